// Host kernel: UdpSocket reports destination addresses, sends from a chosen source, handles the non-ESP
// marker on 4500 and passes IKE through XFRM block policies thanks to its per-socket bypass.
#include "daemon/io/udp_socket.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>

using namespace ipsecd;
using ipsecd::daemon::ReceivedDatagram;
using ipsecd::daemon::UdpSocket;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

Endpoint endpoint(const char* address, uint16_t port) { return {*IpAddress::parse(address), port}; }

// Waits up to five seconds (generous for a loaded CI machine) for the next datagram on `socket`.
std::optional<ReceivedDatagram> next(UdpSocket& socket) {
  pollfd p{socket.fd(), POLLIN, 0};
  for (int i = 0; i < 50; ++i) {
    auto got = socket.receive();
    REQUIRE(got);
    if (*got) return std::move(*got);
    (void)poll(&p, 1, 100);
  }
  return std::nullopt;
}

// A plain socket with no bypass policy, to send raw bytes (a marker, a keepalive) to a UdpSocket.
int plain_socket(const Endpoint& bind) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(bind.port);
  std::memcpy(&sin.sin_addr, bind.address.bytes.data(), 4);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0);
  return fd;
}

ssize_t plain_send(int fd, const Endpoint& to, const crypto::Bytes& bytes) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(to.port);
  std::memcpy(&sin.sin_addr, to.address.bytes.data(), 4);
  return sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

void add_addresses() {
  for (const char* a : {"192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/128", "2001:db8::2/128"}) {
    REQUIRE(run(ip() + " addr add " + a + " dev lo nodad").status == 0);
  }
}

}  // namespace

TEST_CASE("UDP sockets report the destination address and send from the chosen source, IPv4 and IPv6",
          "[netns][udp_socket]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  add_addresses();
  for (const auto& [any, a, b] : {std::tuple{"0.0.0.0", "192.0.2.1", "192.0.2.2"},
                                  std::tuple{"::", "2001:db8::1", "2001:db8::2"}}) {
    INFO(any);
    auto wildcard = UdpSocket::open(endpoint(any, 500));
    REQUIRE(wildcard);
    CHECK(wildcard->local() == endpoint(any, 500));
    CHECK_FALSE(wildcard->non_esp_marker());
    auto other = UdpSocket::open(endpoint(a, 0));
    REQUIRE(other);
    CHECK(other->local().port != 0);

    const crypto::Bytes payload{1, 2, 3, 4, 5};
    REQUIRE(other->send(*IpAddress::parse(a), endpoint(b, 500), payload));
    auto got = next(*wildcard);
    REQUIRE(got);
    CHECK(got->local == endpoint(b, 500));  // IP_PKTINFO / IPV6_PKTINFO: b, though bound to any
    CHECK(got->remote == other->local());
    CHECK(got->bytes == payload);

    // The wildcard socket answers from the address it was reached on.
    REQUIRE(wildcard->send(got->local.address, got->remote, crypto::Bytes{9}));
    auto back = next(*other);
    REQUIRE(back);
    CHECK(back->remote == endpoint(b, 500));
    CHECK(back->bytes == crypto::Bytes{9});
    auto none = other->receive();
    REQUIRE(none);
    CHECK_FALSE(*none);
  }
}

TEST_CASE("Port 4500 strips and adds the non-ESP marker and skips keepalives", "[netns][udp_socket]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  add_addresses();
  auto nat = UdpSocket::open(endpoint("192.0.2.2", 4500));
  REQUIRE(nat);
  CHECK(nat->non_esp_marker());
  const int raw = plain_socket(endpoint("192.0.2.1", 4500));

  // RFC 3948 §2.3 keepalive (one 0xff byte), then IKE behind the marker.
  REQUIRE(plain_send(raw, nat->local(), crypto::Bytes{0xff}) == 1);
  REQUIRE(plain_send(raw, nat->local(), crypto::Bytes{0, 0, 0, 0, 0xaa, 0xbb}) == 6);
  auto got = next(*nat);
  REQUIRE(got);
  CHECK(got->bytes == crypto::Bytes{0xaa, 0xbb});
  CHECK(got->remote == endpoint("192.0.2.1", 4500));

  REQUIRE(nat->send({}, endpoint("192.0.2.1", 4500), crypto::Bytes{0xcc}));
  pollfd p{raw, POLLIN, 0};
  REQUIRE(poll(&p, 1, 1000) == 1);
  uint8_t buffer[16];
  const ssize_t n = recv(raw, buffer, sizeof buffer, 0);
  REQUIRE(n == 5);
  CHECK(crypto::Bytes(buffer, buffer + n) == crypto::Bytes{0, 0, 0, 0, 0xcc});
  close(raw);
}

TEST_CASE("The per-socket bypass lets IKE through XFRM policies that block all other UDP",
          "[netns][udp_socket]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  add_addresses();
  auto ike = UdpSocket::open(endpoint("192.0.2.2", 500));
  REQUIRE(ike);
  auto peer = UdpSocket::open(endpoint("192.0.2.1", 500));
  REQUIRE(peer);
  const int raw = plain_socket(endpoint("192.0.2.1", 501));
  // Loopback is exempt from XFRM by default (disable_policy, disable_xfrm); this test needs it not to be.
  REQUIRE(run("sysctl -qw net.ipv4.conf.lo.disable_policy=0 net.ipv4.conf.lo.disable_xfrm=0").status == 0);
  for (const char* direction : {"out", "in"}) {
    REQUIRE(run(ip() + " xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 proto udp dir " + direction +
                " action block")
                .status == 0);
  }
  // Without a bypass the block policy refuses the datagram (EPERM on output).
  CHECK(plain_send(raw, ike->local(), crypto::Bytes{1}) < 0);
  CHECK(errno == EPERM);
  REQUIRE(peer->send({}, ike->local(), crypto::Bytes{7, 7}));
  auto got = next(*ike);
  REQUIRE(got);
  CHECK(got->bytes == crypto::Bytes{7, 7});
  close(raw);
}

TEST_CASE("Socket errors come back as values with errno", "[netns][udp_socket]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  // 192.0.2.9 is not an address of this namespace.
  auto unbound = UdpSocket::open(endpoint("192.0.2.9", 500));
  REQUIRE_FALSE(unbound);
  CHECK(unbound.error().error_number == EADDRNOTAVAIL);
  CHECK_THAT(unbound.error().message, Catch::Contains("bind on 192.0.2.9:500"));
}
