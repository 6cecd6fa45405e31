// The daemon's IKE sockets on ports 500 and 4500 (IPv4 and IPv6): datagrams in through the event loop,
// out as the engine's DatagramSink on the socket of the local port and family the engine chose.
#pragma once

#include "common/expected.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/io/event_loop.h"
#include "daemon/io/udp_socket.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ipsecd::daemon {

struct IkeSocketCounters {
  uint64_t received = 0;
  uint64_t sent = 0;
  uint64_t keepalives_sent = 0;  // NAT-T keepalives (RFC 3948 §2.3)
  uint64_t send_failed = 0;   // sendmsg refused, or no socket for the engine's local endpoint
  uint64_t receive_failed = 0;
  SkippedDatagrams skipped;   // summed over the sockets
};

class IkeSockets final : public ikev2::DatagramSink {
 public:
  using Receiver = std::function<void(const ReceivedDatagram& datagram)>;
  using ErrorReporter = std::function<void(const std::string& message)>;

  // One socket per address and port; an empty `addresses` means the IPv4 and IPv6 wildcards. Where the
  // host has no IPv6 at all (EAFNOSUPPORT) the IPv6 wildcard is left out rather than failing start-up.
  static Expected<IkeSockets, std::string> open(const std::vector<IpAddress>& addresses, uint16_t port,
                                                uint16_t nat_port);

  // Watches every socket on `loop`, handing each IKE datagram to `receiver`; socket errors go to
  // `errors`. Both must outlive the watch (until unwatch).
  Expected<Ok, std::string> watch(io::EventLoop& loop, Receiver receiver, ErrorReporter errors);
  void unwatch(io::EventLoop& loop);

  void send(const Endpoint& local, const Endpoint& remote, crypto::ByteView bytes) override;
  void send_keepalive(const Endpoint& local, const Endpoint& remote) override;

  IkeSocketCounters counters() const;
  std::vector<Endpoint> bound() const;

 private:
  explicit IkeSockets(std::vector<UdpSocket> sockets) : sockets_(std::move(sockets)) {}
  void drain(UdpSocket& socket);
  UdpSocket* socket_for(const Endpoint& local);
  // Sends on the socket of `local` with `send_function`, counting a success in `sent_counter` and a
  // failure (no such socket, or the send's error) in send_failed.
  template <typename SendFunction>
  void send_through(const Endpoint& local, uint64_t& sent_counter, SendFunction send_function);

  std::vector<UdpSocket> sockets_;
  Receiver receiver_;
  ErrorReporter errors_;
  IkeSocketCounters counters_;
};

}  // namespace ipsecd::daemon
