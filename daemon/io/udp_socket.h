// A non-blocking IKE UDP socket: datagrams with their destination address in, a chosen source address out.
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "crypto/bytes.h"

#include <cstdint>
#include <optional>
#include <string>

namespace ipsecd::daemon {

// A failed socket call: errno and what was being done.
struct SocketError {
  int error_number = 0;
  std::string message;
};

struct ReceivedDatagram {
  Endpoint local;   // the address the peer sent to (IP_PKTINFO / IPV6_PKTINFO) and our port
  Endpoint remote;  // the sender
  crypto::Bytes bytes;  // the IKE message from its header on: a non-ESP marker is already removed
};

inline constexpr uint16_t kNatTraversalPort = 4500;

// Datagrams receive() consumed without returning them, by kind, for the daemon's drop counters.
struct SkippedDatagrams {
  uint64_t keepalives = 0;  // port 4500: the one octet 0xFF of RFC 3948 §2.3
  uint64_t esp = 0;         // port 4500: a non-zero SPI, ESP in UDP the kernel should have taken (§2.2)
  uint64_t malformed = 0;   // truncated, or on port 4500 too short for the marker
};

// Bound to one address and port (the address may be IpAddress::any(family)). Every socket carries a
// per-socket bypass policy in both directions (IP_XFRM_POLICY / IPV6_XFRM_POLICY with XFRM_POLICY_ALLOW), so
// IKE itself never matches the XFRM policies the daemon installs for its CHILD_SAs. On port 4500 the socket
// is set to UDP_ENCAP_ESPINUDP, so the kernel takes ESP-in-UDP packets for itself (RFC 3948 §2.2) and hands
// up only IKE, which carries the 4-byte zero non-ESP marker: receive() removes it and send() adds it.
class UdpSocket {
 public:
  static Expected<UdpSocket, SocketError> open(const Endpoint& bind);
  ~UdpSocket();
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  int fd() const { return fd_; }
  // The bound address and port (the kernel's choice when port 0 was asked for).
  const Endpoint& local() const { return local_; }
  bool non_esp_marker() const { return local_.port == kNatTraversalPort; }

  // The next waiting IKE datagram, or nullopt when none is waiting. On port 4500 datagrams without the
  // marker (NAT keepalives, RFC 3948 §2.3) are consumed and skipped; so are truncated ones.
  Expected<std::optional<ReceivedDatagram>, SocketError> receive();
  // Sends `bytes` to `to` with source address `from` (unspecified: the kernel chooses).
  Expected<Ok, SocketError> send(const IpAddress& from, const Endpoint& to, crypto::ByteView bytes);
  // A NAT keepalive (RFC 3948 §2.3) to `to`: the single octet 0xFF, without the non-ESP marker.
  Expected<Ok, SocketError> send_keepalive(const IpAddress& from, const Endpoint& to);

  const SkippedDatagrams& skipped() const { return skipped_; }

 private:
  UdpSocket(int fd, Endpoint local) : fd_(fd), local_(std::move(local)) {}
  Expected<Ok, SocketError> send_datagram(const IpAddress& from, const Endpoint& to, crypto::ByteView bytes,
                                          bool marker);

  int fd_ = -1;
  Endpoint local_;
  SkippedDatagrams skipped_;
};

}  // namespace ipsecd::daemon
