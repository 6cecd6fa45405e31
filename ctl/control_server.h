// The control socket inside ipsecd: accepts ipsecctl clients on a Unix stream socket, reads JSON-line
// requests through the daemon's EventLoop, hands them to a ControlHandler and streams events to
// subscribers. Never blocks the loop: slow or misbehaving clients are disconnected.
#pragma once

#include "common/expected.h"
#include "ctl/control_handler.h"
#include "ctl/peer_credentials.h"
#include "ctl/protocol.h"
#include "daemon/io/event_loop.h"

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace ipsecd::ctl {

struct ControlServerOptions {
  std::string socket_path{default_socket_path};
  // Unset: the socket is 0600 (only the daemon's user). Set: 0660 and chowned to this group, whose
  // members may use it.
  std::optional<gid_t> group;
  std::size_t max_clients = 64;
  std::size_t max_line_bytes = ctl::max_line_bytes;
  // Unsent bytes a client may have queued before it is disconnected (a subscriber that does not read).
  std::size_t max_output_bytes = 1024 * 1024;
  // Requests of one client handed to the handler and not yet answered; more are refused with busy.
  std::size_t max_pending_requests = 16;
};

class ClientConnection;

class ControlServer {
 public:
  // Creates the socket's parent directory (0755) when missing, removes a stale socket, binds, sets the
  // mode (and group) and starts watching it on `loop`. `loop` and `handler` must outlive the server.
  static Expected<std::unique_ptr<ControlServer>, std::string> open(io::EventLoop& loop,
                                                                    ControlHandler& handler,
                                                                    ControlServerOptions options);
  ~ControlServer();  // disconnects every client, closes and removes the socket
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Queues `event` to every subscriber; a subscriber whose queue would exceed max_output_bytes is
  // disconnected instead.
  void publish(const Event& event);

  std::size_t client_count() const { return clients_.size(); }
  std::size_t subscriber_count() const;
  const std::string& socket_path() const { return options_.socket_path; }

 private:
  ControlServer(io::EventLoop& loop, ControlHandler& handler, ControlServerOptions options, int listen_fd);
  void on_acceptable();
  // Checks the new client's credentials and the client limit, then watches it.
  void admit(int fd);
  // Stops accepting for a moment when out of descriptors or memory.
  void pause_accepting();

  friend class ClientConnection;

  io::EventLoop& loop_;
  ControlHandler& handler_;
  ControlServerOptions options_;
  int listen_fd_ = -1;
  uid_t own_uid_ = 0;
  std::optional<io::EventLoop::TimerId> resume_timer_;
  std::pair<dev_t, ino_t> socket_file_{};  // identifies the socket file we bound, to remove only that
  std::map<int, std::shared_ptr<ClientConnection>> clients_;  // by fd
};

}  // namespace ipsecd::ctl
