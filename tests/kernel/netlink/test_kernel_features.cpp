// In the VM: EXPIRE (time and bytes) and ACQUIRE through XfrmListener, ESP in UDP on 4500, ESN with
// ALLOCSPI + UPDSA, SA direction on a kernel without it, marks and if_id read back.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "netlink/xfrm_events.h"
#include "tests/kernel/netlink/vm_pair.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <tuple>

using namespace ipsecd;
using namespace ipsecd::netlink;
using namespace ipsecd::test;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

const Transform kGcm16{"aes128gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 20, IntegrityAlgorithm::NONE, 0};

XfrmListener listener_in(const std::string& ns) {
  EnterNetns in(ns);
  REQUIRE(in.error().empty());
  auto l = XfrmListener::open();
  REQUIRE(l);
  return std::move(*l);
}

// Events from `listener` until `done` says so or `seconds` pass.
template <typename Done>
std::vector<XfrmEvent> collect(XfrmListener& listener, double seconds, Done done) {
  std::vector<XfrmEvent> all;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done(all) && std::chrono::steady_clock::now() < end) {
    pollfd pfd{listener.fd(), POLLIN, 0};
    poll(&pfd, 1, 100);
    auto events = listener.read_events();
    REQUIRE(events);
    for (auto& e : *events) all.push_back(std::move(e));
  }
  return all;
}

std::vector<ExpireEvent> expires_of(const std::vector<XfrmEvent>& events, uint32_t spi) {
  std::vector<ExpireEvent> out;
  for (const auto& e : events) {
    if (const auto* x = std::get_if<ExpireEvent>(&e); x != nullptr && x->id.spi == spi) out.push_back(*x);
  }
  return out;
}

bool has_hard(const std::vector<ExpireEvent>& v) {
  for (const auto& e : v) {
    if (e.hard) return true;
  }
  return false;
}

void expect_soft_then_hard(const std::vector<ExpireEvent>& expires) {
  std::string seen;
  for (const auto& e : expires) seen += e.hard ? "hard " : "soft ";
  INFO("EXPIRE events: " << seen);
  REQUIRE(expires.size() == 2);
  CHECK_FALSE(expires[0].hard);
  CHECK(expires[1].hard);
  for (const auto& e : expires) {
    CHECK(e.reqid == kReqid);
    CHECK(e.id.src.to_string() == kLeft);
    CHECK(e.id.dst.to_string() == kRight);
    CHECK(e.id.protocol == IpsecProtocol::Esp);
  }
}

}  // namespace

TEST_CASE("time lifetimes raise a soft then a hard EXPIRE through the listener and the SA is gone",
          "[netlink][events][expire]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  auto listener = listener_in("left");
  auto sa = make_sa(kLeft, kRight, kSpiLeftToRight, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16);
  // Hard well after soft: a timer run late (TCG under load) past both limits reports only the hard one.
  sa.lifetimes.soft.add_seconds = 1;
  sa.lifetimes.hard.add_seconds = 3;
  REQUIRE(pair.left().add_sa(sa));
  auto got = pair.left().get_sa({address(kLeft), address(kRight), kSpiLeftToRight, IpsecProtocol::Esp, {}});
  REQUIRE(got);
  CHECK(got->lifetimes.soft.add_seconds == 1);
  CHECK(got->lifetimes.hard.add_seconds == 3);
  CHECK(got->lifetimes.hard.bytes == 0);
  const auto events = collect(listener, 10, [](const auto& all) { return has_hard(expires_of(all, kSpiLeftToRight)); });
  expect_soft_then_hard(expires_of(events, kSpiLeftToRight));
  auto gone = pair.left().get_sa({address(kLeft), address(kRight), kSpiLeftToRight, IpsecProtocol::Esp, {}});
  REQUIRE_FALSE(gone);
  CHECK(gone.error().error_number == ESRCH);
}

TEST_CASE("byte lifetimes raise a soft then a hard EXPIRE once traffic crosses them", "[netlink][events][expire]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  auto listener = listener_in("left");
  auto sa = make_sa(kLeft, kRight, kSpiLeftToRight, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16);
  // Each 100-byte-payload ping is 128 bytes of IP: soft after the 3rd packet, hard after the 5th.
  sa.lifetimes.soft.bytes = 300;
  sa.lifetimes.hard.bytes = 600;
  REQUIRE(pair.left().add_sa(sa));
  PolicySpec out;
  out.selector = host_selector(kLeft, kRight);
  out.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, kReqid);
  REQUIRE(pair.left().add_policy(out));
  std::string ping_output;
  ping("left", kRight, 8, ping_output, "-s 100");  // unanswered: right has no SA; only the counting matters
  const auto events = collect(listener, 5, [](const auto& all) { return has_hard(expires_of(all, kSpiLeftToRight)); });
  expect_soft_then_hard(expires_of(events, kSpiLeftToRight));
}

TEST_CASE("traffic into a trap policy raises an ACQUIRE naming the flow, the SA's addresses and reqid",
          "[netlink][events][acquire]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  auto listener = listener_in("left");
  PolicySpec trap;
  trap.selector = host_selector(kLeft, kRight);
  trap.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, kReqid);
  REQUIRE(pair.left().add_policy(trap));
  std::string out;
  CHECK_FALSE(ping("left", kRight, 1, out));
  const auto events = collect(listener, 5, [](const auto& all) { return !all.empty(); });
  REQUIRE_FALSE(events.empty());
  const auto* acquire = std::get_if<AcquireEvent>(&events.front());
  REQUIRE(acquire != nullptr);
  CHECK(acquire->selector.src.to_string() == "192.0.2.1/32");
  CHECK(acquire->selector.dst.to_string() == "192.0.2.2/32");
  CHECK(acquire->selector.protocol == IPPROTO_ICMP);
  CHECK(acquire->src.to_string() == kLeft);
  CHECK(acquire->dst.to_string() == kRight);
  CHECK(acquire->protocol == IpsecProtocol::Esp);
  CHECK(acquire->reqid == kReqid);
}

TEST_CASE("ESP in UDP on port 4500 passes and each packet arrives as a UDP datagram", "[netlink][natt]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  // RFC 3948: the receiver decapsulates on a UDP socket with UDP_ENCAP_ESPINUDP, as an IKE daemon holds.
  int sockets[2] = {-1, -1};
  int index = 0;
  for (const char* ns : {"left", "right"}) {
    EnterNetns in(ns);
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(4500);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
    int encap = UDP_ENCAP_ESPINUDP;
    REQUIRE(setsockopt(s, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof encap) == 0);
    sockets[index++] = s;
  }
  std::string why;
  for (Xfrm* x : {&pair.left(), &pair.right()}) {
    for (auto sa : {make_sa(kLeft, kRight, kSpiLeftToRight, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16),
                    make_sa(kRight, kLeft, kSpiRightToLeft, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16)}) {
      sa.encapsulation = UdpEncapsulation{4500, 4500};
      auto r = x->add_sa(sa);
      INFO((r ? std::string() : r.error().message));
      REQUIRE(r);
    }
  }
  // The kernel checks the inbound policy on the UDP datagram before decapsulating: policies cover ICMP
  // only, the IKE socket itself stays unprotected (daemons give it a bypass socket policy).
  REQUIRE(pair.add_policies(host_selector(kLeft, kRight, IPPROTO_ICMP), true, false, IpsecMode::Transport, kLeft,
                            kRight, why));
  auto udp_in = [](const char* ns) {
    const auto snmp = run("nsenter --net=/run/netns/" + std::string(ns) + " cat /proc/net/snmp").output;
    const auto header = snmp.find("Udp: InDatagrams");
    const auto values = snmp.find("Udp: ", header + 5);
    return std::stoll(snmp.substr(values + 5));
  };
  const auto before = udp_in("right");
  std::string out;
  REQUIRE(ping("left", kRight, 3, out));
  CHECK(udp_in("right") - before == 3);
  auto sa = pair.right().get_sa({address(kLeft), address(kRight), kSpiLeftToRight, IpsecProtocol::Esp, {}});
  REQUIRE(sa);
  CHECK(sa->counters.packets == 3);
  REQUIRE(sa->encapsulation.has_value());
  CHECK(sa->encapsulation->src_port == 4500);
  CHECK(sa->encapsulation->dst_port == 4500);
  close(sockets[0]);
  close(sockets[1]);
}

TEST_CASE("ALLOCSPI then UPDSA with ESN and a 128-packet window carries traffic", "[netlink][esn][spi]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  // Each side allocates its inbound SPI, as an IKE responder does, then fills the larval SA with UPDSA.
  SpiRequest to_right;
  to_right.src = address(kLeft);
  to_right.dst = address(kRight);
  to_right.reqid = kReqid;
  to_right.min = 0x20000;
  to_right.max = 0x2ffff;
  auto spi_r = pair.right().allocate_spi(to_right);
  REQUIRE(spi_r);
  SpiRequest to_left = to_right;
  to_left.src = address(kRight);
  to_left.dst = address(kLeft);
  auto spi_l = pair.left().allocate_spi(to_left);
  REQUIRE(spi_l);
  auto make = [&](const char* src, const char* dst, uint32_t spi, SaDirection dir) {
    auto sa = make_sa(src, dst, spi, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16);
    sa.esn = true;
    sa.replay_window = dir == SaDirection::In ? 128 : 0;
    sa.direction = dir;  // dropped on kernels before 6.10
    return sa;
  };
  for (auto [x, sa, update] : {std::tuple{&pair.right(), make(kLeft, kRight, *spi_r, SaDirection::In), true},
                                std::tuple{&pair.left(), make(kRight, kLeft, *spi_l, SaDirection::In), true},
                                std::tuple{&pair.left(), make(kLeft, kRight, *spi_r, SaDirection::Out), false},
                                std::tuple{&pair.right(), make(kRight, kLeft, *spi_l, SaDirection::Out), false}}) {
    auto r = update ? x->update_sa(sa) : x->add_sa(sa);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
  }
  std::string why;
  REQUIRE(pair.add_policies(host_selector(kLeft, kRight), true, false, IpsecMode::Transport, kLeft, kRight, why));
  std::string out;
  REQUIRE(ping("left", kRight, 3, out));
  auto in = pair.right().get_sa({address(kLeft), address(kRight), *spi_r, IpsecProtocol::Esp, {}});
  REQUIRE(in);
  CHECK(in->esn);
  CHECK(in->replay_window == 128);
  CHECK(in->counters.packets == 3);
  CHECK(in->direction.has_value() == pair.right().supports_sa_direction());
  const auto shown = run(ip() + " -n right xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi " +
                         std::to_string(*spi_r)).output;
  CHECK_THAT(shown, Catch::Contains("flag esn"));
  CHECK_THAT(shown, Catch::Contains("replay_window 128, bitmap-length 4"));
}

TEST_CASE("mark and if_id of SAs and policies reach the kernel", "[netlink][mark]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  auto sa = make_sa(kLeft, kRight, 0x7777, IpsecProtocol::Esp, IpsecMode::Tunnel, kGcm16);
  sa.mark = {0x42, 0xff};
  sa.if_id = 9;
  REQUIRE(pair.left().add_sa(sa));
  PolicySpec p;
  p.selector = subnet_selector("198.51.100.0/24", "203.0.113.0/24");
  p.templates = bundle_templates(true, false, IpsecMode::Tunnel, address(kLeft), address(kRight), kReqid);
  p.mark = {0x42, 0xff};
  p.if_id = 9;
  REQUIRE(pair.left().add_policy(p));
  const auto states = run(ip() + " -n left xfrm state").output;
  CHECK_THAT(states, Catch::Contains("mark 0x42/0xff"));
  CHECK_THAT(states, Catch::Contains("if_id 0x9"));
  const auto policies = run(ip() + " -n left xfrm policy").output;
  CHECK_THAT(policies, Catch::Contains("mark 0x42/0xff"));
  CHECK_THAT(policies, Catch::Contains("if_id 0x9"));
  auto got = pair.left().get_sa({address(kLeft), address(kRight), 0x7777, IpsecProtocol::Esp, {0x42, 0xff}});
  REQUIRE(got);
  CHECK(got->if_id == 9);
  CHECK(got->id.mark == Mark{0x42, 0xff});
  auto dumped = pair.left().dump_policies();
  REQUIRE(dumped);
  REQUIRE(dumped->size() == 1);
  CHECK(dumped->front().if_id == 9);
  auto flushed = pair.left().flush_own();
  REQUIRE(flushed);
  CHECK(flushed->sas == 1);
  CHECK(flushed->policies == 1);
}

TEST_CASE("ESP in UDP from a port other than the SA's raises a MAPPING event with old and new port",
          "[netlink][natt][events]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  int sockets[2] = {-1, -1};
  int index = 0;
  for (const char* ns : {"left", "right"}) {
    EnterNetns in(ns);
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(4500);
    REQUIRE(bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0);
    int encap = UDP_ENCAP_ESPINUDP;
    REQUIRE(setsockopt(s, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof encap) == 0);
    sockets[index++] = s;
  }
  auto listener = listener_in("right");
  // Right believes left sends from 4501 (as if a NAT had mapped it there); left really sends from 4500.
  auto out = make_sa(kLeft, kRight, kSpiLeftToRight, IpsecProtocol::Esp, IpsecMode::Transport, kGcm16);
  out.encapsulation = UdpEncapsulation{4500, 4500};
  REQUIRE(pair.left().add_sa(out));
  auto in = out;
  in.encapsulation = UdpEncapsulation{4501, 4500};
  REQUIRE(pair.right().add_sa(in));
  PolicySpec p;
  p.selector = host_selector(kLeft, kRight, IPPROTO_ICMP);
  p.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, kReqid);
  REQUIRE(pair.left().add_policy(p));
  std::string ping_output;
  ping("left", kRight, 1, ping_output);  // no way back: only the inbound processing on right matters
  const auto events = collect(listener, 5, [](const auto& all) { return !all.empty(); });
  REQUIRE_FALSE(events.empty());
  const auto* mapping = std::get_if<MappingEvent>(&events.front());
  REQUIRE(mapping != nullptr);
  CHECK(mapping->id.spi == kSpiLeftToRight);
  CHECK(mapping->id.dst.to_string() == kRight);
  CHECK(mapping->reqid == kReqid);
  CHECK(mapping->old_address.to_string() == kLeft);
  CHECK(mapping->old_port == 4501);
  CHECK(mapping->new_address.to_string() == kLeft);
  CHECK(mapping->new_port == 4500);
  close(sockets[0]);
  close(sockets[1]);
}
