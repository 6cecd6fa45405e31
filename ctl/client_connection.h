// One accepted control client inside the ControlServer: line framing of its requests, its output queue
// and its unanswered requests. Internal to ctl/.
#pragma once

#include "ctl/control_server.h"
#include "ctl/peer_credentials.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ipsecd::ctl {

// The shared state behind every copy of a Responder.
struct PendingReply {
  std::weak_ptr<ClientConnection> client;
  uint64_t id = 0;
  bool answered = false;
};

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(ControlServer& server, int fd, PeerCredentials peer);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  void on_ready(uint32_t readiness);
  // Queues one line and tries to send it. When the unsent output would exceed the server's limit the
  // client is disconnected instead (false).
  bool send_line(std::string_view line);
  // The answer to one of this client's requests.
  void send_answer(std::string_view line);
  // Closes the socket; the server forgets the client. Idempotent.
  void close();

  bool open() const { return fd_ >= 0; }
  bool subscribed() const { return subscribed_; }
  const PeerCredentials& peer() const { return peer_; }

 private:
  void read_available();
  void handle_line(std::string_view line);
  void flush();
  // Error to the client, then disconnect (after a best-effort send).
  void refuse_and_close(const std::optional<uint64_t>& id, ErrorCode code, std::string message);

  ControlServer& server_;
  int fd_;
  PeerCredentials peer_;
  std::string input_;
  std::string output_;
  std::size_t output_sent_ = 0;  // bytes at the front of output_ already sent
  bool want_write_ = false;
  bool subscribed_ = false;
  std::size_t pending_requests_ = 0;
};

}  // namespace ipsecd::ctl
