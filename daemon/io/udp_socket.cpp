// UDP socket setup (bypass policy, ESP-in-UDP, packet info) and recvmsg/sendmsg with address control data.
#include "daemon/io/udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ipsecd::daemon {

namespace {

// RFC 3948 §2.2: IKE on the ESP-in-UDP port starts with four zero bytes where ESP has its non-zero SPI.
constexpr std::array<uint8_t, 4> kNonEspMarker{0, 0, 0, 0};
constexpr size_t kMaxDatagram = 65535;

Unexpected<SocketError> failure(std::string what, const Endpoint& endpoint) {
  const int error_number = errno;
  return unexpected(SocketError{error_number, what + " on " + endpoint.to_string() + ": " +
                                                  std::strerror(error_number) + " (errno " +
                                                  std::to_string(error_number) + ")"});
}

union SocketAddress {
  sockaddr base;
  sockaddr_in v4;
  sockaddr_in6 v6;
  sockaddr_storage storage;
};

socklen_t to_sockaddr(const Endpoint& endpoint, SocketAddress& out) {
  std::memset(&out, 0, sizeof out);
  if (endpoint.address.family == AF_INET6) {
    out.v6.sin6_family = AF_INET6;
    out.v6.sin6_port = htons(endpoint.port);
    std::memcpy(&out.v6.sin6_addr, endpoint.address.bytes.data(), 16);
    return sizeof out.v6;
  }
  out.v4.sin_family = AF_INET;
  out.v4.sin_port = htons(endpoint.port);
  std::memcpy(&out.v4.sin_addr, endpoint.address.bytes.data(), 4);
  return sizeof out.v4;
}

Endpoint from_sockaddr(const SocketAddress& address) {
  Endpoint endpoint;
  if (address.base.sa_family == AF_INET6) {
    endpoint.address = *IpAddress::from_bytes({reinterpret_cast<const uint8_t*>(&address.v6.sin6_addr), 16});
    endpoint.port = ntohs(address.v6.sin6_port);
  } else {
    endpoint.address = *IpAddress::from_bytes({reinterpret_cast<const uint8_t*>(&address.v4.sin_addr), 4});
    endpoint.port = ntohs(address.v4.sin_port);
  }
  return endpoint;
}

// The per-socket policy strongSwan and iked set too: allow, with an any selector of the socket's family,
// which the kernel checks before (and instead of) the SPD for this socket's traffic.
bool set_bypass(int fd, int family) {
  const int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const int option = family == AF_INET6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
  for (const auto direction : {XFRM_POLICY_IN, XFRM_POLICY_OUT}) {
    xfrm_userpolicy_info policy{};
    policy.sel.family = static_cast<uint16_t>(family);
    policy.dir = static_cast<uint8_t>(direction);
    policy.action = XFRM_POLICY_ALLOW;
    if (setsockopt(fd, level, option, &policy, sizeof policy) != 0) return false;
  }
  return true;
}

}  // namespace

Expected<UdpSocket, SocketError> UdpSocket::open(const Endpoint& bind) {
  const int family = bind.address.family == AF_INET6 ? AF_INET6 : AF_INET;
  const int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return failure("socket", bind);
  UdpSocket sock(fd, bind);
  const int one = 1;
  if (family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) return failure("IPV6_V6ONLY", bind);
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) != 0) {
      return failure("IPV6_RECVPKTINFO", bind);
    }
  } else if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) != 0) {
    return failure("IP_PKTINFO", bind);
  }
  if (!set_bypass(fd, family)) return failure("IPsec bypass policy (needs CAP_NET_ADMIN)", bind);

  SocketAddress address;
  const socklen_t length = to_sockaddr({bind.address.family == 0 ? IpAddress::any(family) : bind.address,
                                        bind.port},
                                       address);
  if (::bind(fd, &address.base, length) != 0) return failure("bind", bind);
  SocketAddress bound;
  socklen_t bound_length = sizeof bound;
  if (getsockname(fd, &bound.base, &bound_length) != 0) return failure("getsockname", bind);
  sock.local_ = from_sockaddr(bound);

  if (sock.non_esp_marker()) {
    // RFC 3948: the kernel decapsulates ESP arriving on this socket and passes IKE (marker) up.
    const int encap = UDP_ENCAP_ESPINUDP;
    if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof encap) != 0) {
      return failure("UDP_ENCAP_ESPINUDP", sock.local_);
    }
  }
  return sock;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) close(fd_);
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), local_(std::move(other.local_)), skipped_(other.skipped_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    local_ = std::move(other.local_);
    skipped_ = other.skipped_;
  }
  return *this;
}

Expected<std::optional<ReceivedDatagram>, SocketError> UdpSocket::receive() {
  crypto::Bytes buffer(kMaxDatagram);
  for (;;) {
    SocketAddress peer;
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo))>
        control{};
    msghdr message{};
    message.msg_name = &peer;
    message.msg_namelen = sizeof peer;
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    const ssize_t received = recvmsg(fd_, &message, 0);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<ReceivedDatagram>{};
      if (errno == EINTR) continue;
      return failure("recvmsg", local_);
    }
    if ((message.msg_flags & MSG_TRUNC) != 0) {
      ++skipped_.malformed;
      continue;
    }

    ReceivedDatagram datagram;
    datagram.remote = from_sockaddr(peer);
    datagram.local = local_;
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        datagram.local.address = *IpAddress::from_bytes({reinterpret_cast<const uint8_t*>(&info.ipi_addr), 4});
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        datagram.local.address =
            *IpAddress::from_bytes({reinterpret_cast<const uint8_t*>(&info.ipi6_addr), 16});
      }
    }
    auto first = buffer.begin();
    auto last = buffer.begin() + received;
    if (non_esp_marker()) {
      // Anything else reaching us here is a keepalive (RFC 3948 §2.3) or noise: not IKE.
      if (received == 1 && buffer[0] == 0xff) {
        ++skipped_.keepalives;
        continue;
      }
      if (received < static_cast<ssize_t>(kNonEspMarker.size())) {
        ++skipped_.malformed;
        continue;
      }
      if (!std::equal(kNonEspMarker.begin(), kNonEspMarker.end(), first)) {
        ++skipped_.esp;
        continue;
      }
      first += static_cast<std::ptrdiff_t>(kNonEspMarker.size());
    }
    datagram.bytes.assign(first, last);
    return std::optional<ReceivedDatagram>{std::move(datagram)};
  }
}

Expected<Ok, SocketError> UdpSocket::send(const IpAddress& from, const Endpoint& to, crypto::ByteView bytes) {
  return send_datagram(from, to, bytes, non_esp_marker());
}

Expected<Ok, SocketError> UdpSocket::send_keepalive(const IpAddress& from, const Endpoint& to) {
  // RFC 3948 §2.3: one octet 0xFF, never behind a non-ESP marker.
  static constexpr std::array<uint8_t, 1> kKeepalive{0xff};
  return send_datagram(from, to, kKeepalive, false);
}

Expected<Ok, SocketError> UdpSocket::send_datagram(const IpAddress& from, const Endpoint& to,
                                                   crypto::ByteView bytes, bool marker) {
  SocketAddress peer;
  const socklen_t peer_length = to_sockaddr(to, peer);
  std::array<iovec, 2> iov{};
  size_t parts = 0;
  if (marker) {
    iov[parts++] = {const_cast<uint8_t*>(kNonEspMarker.data()), kNonEspMarker.size()};
  }
  iov[parts++] = {const_cast<uint8_t*>(bytes.data()), bytes.size()};

  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> control{};
  msghdr message{};
  message.msg_name = &peer;
  message.msg_namelen = peer_length;
  message.msg_iov = iov.data();
  message.msg_iovlen = parts;
  if (from.family != 0) {
    message.msg_control = control.data();
    cmsghdr* c = nullptr;
    if (from.family == AF_INET6) {
      message.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      std::memcpy(&info.ipi6_addr, from.bytes.data(), 16);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    } else {
      message.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      c = CMSG_FIRSTHDR(&message);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      std::memcpy(&info.ipi_spec_dst, from.bytes.data(), 4);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
  }
  for (;;) {
    if (sendmsg(fd_, &message, 0) >= 0) return Ok{};
    if (errno != EINTR) return failure("sendmsg to " + to.to_string(), local_);
  }
}

}  // namespace ipsecd::daemon
