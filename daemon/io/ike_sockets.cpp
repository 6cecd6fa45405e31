// IkeSockets: opening the 500/4500 sockets, draining them from the loop, choosing the socket to send on.
#include "daemon/io/ike_sockets.h"

#include <sys/socket.h>

#include <cerrno>

namespace ipsecd::daemon {

Expected<IkeSockets, std::string> IkeSockets::open(const std::vector<IpAddress>& addresses, uint16_t port,
                                                   uint16_t nat_port) {
  std::vector<IpAddress> binds = addresses;
  const bool wildcard = binds.empty();
  if (wildcard) binds = {IpAddress::any(AF_INET), IpAddress::any(AF_INET6)};
  std::vector<UdpSocket> sockets;
  for (const auto& address : binds) {
    for (const uint16_t p : {port, nat_port}) {
      auto socket = UdpSocket::open({address, p});
      if (!socket) {
        if (wildcard && address.family == AF_INET6 && socket.error().error_number == EAFNOSUPPORT) break;
        return unexpected(socket.error().message);
      }
      sockets.push_back(std::move(*socket));
    }
  }
  return IkeSockets(std::move(sockets));
}

Expected<Ok, std::string> IkeSockets::watch(io::EventLoop& loop, Receiver receiver, ErrorReporter errors) {
  receiver_ = std::move(receiver);
  errors_ = std::move(errors);
  for (auto& socket : sockets_) {
    UdpSocket* s = &socket;
    auto watched = loop.watch(socket.fd(), io::readable, [this, s](uint32_t) { drain(*s); });
    if (!watched) return watched;
  }
  return Ok{};
}

void IkeSockets::unwatch(io::EventLoop& loop) {
  for (const auto& socket : sockets_) loop.unwatch(socket.fd());
}

void IkeSockets::drain(UdpSocket& socket) {
  // Bounded per wake-up, so a flood on one socket cannot starve the others and the timers.
  for (int i = 0; i < 64; ++i) {
    auto received = socket.receive();
    if (!received) {
      ++counters_.receive_failed;
      if (errors_) errors_(received.error().message);
      return;
    }
    if (!*received) return;
    ++counters_.received;
    if (receiver_) receiver_(**received);
  }
}

UdpSocket* IkeSockets::socket_for(const Endpoint& local) {
  UdpSocket* wildcard = nullptr;
  for (auto& socket : sockets_) {
    const auto& bound = socket.local();
    if (bound.port != local.port || bound.address.family != local.address.family) continue;
    if (bound.address == local.address) return &socket;
    if (bound.address == IpAddress::any(bound.address.family) && wildcard == nullptr) wildcard = &socket;
  }
  return wildcard;
}

void IkeSockets::send(const Endpoint& local, const Endpoint& remote, crypto::ByteView bytes) {
  send_through(local, counters_.sent, [&](UdpSocket& socket) { return socket.send(local.address, remote, bytes); });
}

void IkeSockets::send_keepalive(const Endpoint& local, const Endpoint& remote) {
  send_through(local, counters_.keepalives_sent,
               [&](UdpSocket& socket) { return socket.send_keepalive(local.address, remote); });
}

template <typename SendFunction>
void IkeSockets::send_through(const Endpoint& local, uint64_t& sent_counter, SendFunction send_function) {
  UdpSocket* socket = socket_for(local);
  if (socket == nullptr) {
    ++counters_.send_failed;
    if (errors_) errors_("no IKE socket for local endpoint " + local.to_string());
    return;
  }
  if (auto sent = send_function(*socket); !sent) {
    ++counters_.send_failed;
    if (errors_) errors_(sent.error().message);
    return;
  }
  ++sent_counter;
}

IkeSocketCounters IkeSockets::counters() const {
  IkeSocketCounters out = counters_;
  for (const auto& socket : sockets_) {
    out.skipped.keepalives += socket.skipped().keepalives;
    out.skipped.esp += socket.skipped().esp;
    out.skipped.malformed += socket.skipped().malformed;
  }
  return out;
}

std::vector<Endpoint> IkeSockets::bound() const {
  std::vector<Endpoint> out;
  for (const auto& socket : sockets_) out.push_back(socket.local());
  return out;
}

}  // namespace ipsecd::daemon
