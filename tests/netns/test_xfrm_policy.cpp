// Host kernel: policies and trap policies (add/update/delete, IPv4/IPv6, ports/protocol, bundles), checked with ip xfrm.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <netinet/in.h>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

constexpr uint32_t kReqid = kIpsecdReqids.first + 1;

Selector selector(const char* src, const char* dst, uint8_t protocol = 0, uint16_t sport = 0, uint16_t dport = 0) {
  return {*Prefix::parse(src), *Prefix::parse(dst), protocol, sport, dport};
}

PolicySpec esp_policy(Selector sel, PolicyDirection direction, IpsecMode mode = IpsecMode::Transport) {
  PolicySpec p;
  p.selector = sel;
  p.direction = direction;
  p.templates = bundle_templates(true, false, mode, *IpAddress::parse("192.0.2.1"), *IpAddress::parse("192.0.2.2"),
                                 kReqid);
  return p;
}

std::string policies() { return run(ip() + " xfrm policy").output; }

}  // namespace

TEST_CASE("IPv4 policies in, out and fwd with protocol and ports are installed as ip xfrm reads them",
          "[netns][xfrm][policy]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  const auto sel = selector("192.0.2.0/24", "198.51.100.7/32", IPPROTO_UDP, 1234, 53);
  for (const auto dir : {PolicyDirection::Out, PolicyDirection::In, PolicyDirection::Fwd}) {
    REQUIRE(xfrm->add_policy(esp_policy(sel, dir)));
  }
  const auto out = policies();
  const auto priority = policy_priority(sel);
  for (const char* dir : {"out", "in", "fwd"}) {
    CHECK_THAT(out, Catch::Contains(fmt::format("dir {} priority {}", dir, priority)));
  }
  CHECK_THAT(out, Catch::Contains("src 192.0.2.0/24 dst 198.51.100.7/32 proto udp sport 1234 dport 53"));
  CHECK_THAT(out, Catch::Contains(fmt::format("proto esp reqid {} mode transport", kReqid)));

  // Adding the same one again is refused; updating it replaces it.
  auto again = xfrm->add_policy(esp_policy(sel, PolicyDirection::Out));
  REQUIRE_FALSE(again);
  CHECK(again.error().error_number == EEXIST);
  CHECK_THAT(again.error().message, Catch::Contains("already exists: update it instead"));
  auto tunnel = esp_policy(sel, PolicyDirection::Out, IpsecMode::Tunnel);
  tunnel.priority = 77;
  REQUIRE(xfrm->update_policy(tunnel));
  CHECK_THAT(policies(), Catch::Contains("dir out priority 77"));
  CHECK_THAT(policies(), Catch::Contains("tmpl src 192.0.2.1 dst 192.0.2.2"));

  auto dump = xfrm->dump_policies();
  REQUIRE(dump);
  REQUIRE(dump->size() == 3);
  for (const auto& p : *dump) {
    CHECK(p.selector == sel);
    REQUIRE(p.templates.size() == 1);
    CHECK(p.templates[0].reqid == kReqid);
    if (p.direction == PolicyDirection::Out) {
      CHECK(p.priority == 77);
      CHECK(p.templates[0].mode == IpsecMode::Tunnel);
    }
  }

  REQUIRE(xfrm->delete_policy(sel, PolicyDirection::Fwd));
  CHECK_THAT(policies(), !Catch::Contains("dir fwd"));
  auto missing = xfrm->delete_policy(sel, PolicyDirection::Fwd);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().error_number == ENOENT);
  CHECK_THAT(missing.error().message, Catch::Contains("no such policy"));
}

TEST_CASE("IPv6 policies with ICMPv6 type and a mark round-trip through the kernel", "[netns][xfrm][policy]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  // For ICMP the kernel keeps the type in the source port field.
  const auto sel = selector("2001:db8:1::/48", "2001:db8:2::5", IPPROTO_ICMPV6, 128, 0);
  auto policy = esp_policy(sel, PolicyDirection::Out);
  policy.templates = bundle_templates(true, false, IpsecMode::Tunnel, *IpAddress::parse("2001:db8::1"),
                                      *IpAddress::parse("2001:db8::2"), kReqid);
  policy.mark = {0x2a, 0xffff};
  REQUIRE(xfrm->add_policy(policy));
  const auto out = run(ip() + " -6 xfrm policy").output;
  CHECK_THAT(out, Catch::Contains("src 2001:db8:1::/48 dst 2001:db8:2::5/128 proto ipv6-icmp type 128"));
  CHECK_THAT(out, Catch::Contains("mark 0x2a/0xffff"));
  CHECK_THAT(out, Catch::Contains("tmpl src 2001:db8::1 dst 2001:db8::2"));
  auto dump = xfrm->dump_policies();
  REQUIRE(dump);
  REQUIRE(dump->size() == 1);
  CHECK(dump->front().selector == sel);
  CHECK(dump->front().mark == Mark{0x2a, 0xffff});
  CHECK(dump->front().templates.front().dst.to_string() == "2001:db8::2");
  // Without the mark it is a different policy.
  CHECK_FALSE(xfrm->delete_policy(sel, PolicyDirection::Out));
  REQUIRE(xfrm->delete_policy(sel, PolicyDirection::Out, {0x2a, 0xffff}));
  CHECK(run(ip() + " -6 xfrm policy").output.empty());
}

TEST_CASE("an ESP+AH bundle policy lists ESP first and AH second, the kernel's innermost-first order",
          "[netns][xfrm][policy]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  PolicySpec p;
  p.selector = selector("198.51.100.0/24", "203.0.113.0/24");
  p.templates = bundle_templates(true, true, IpsecMode::Tunnel, *IpAddress::parse("192.0.2.1"),
                                 *IpAddress::parse("192.0.2.2"), kReqid);
  REQUIRE(xfrm->add_policy(p));
  const auto out = policies();
  const auto esp = out.find("proto esp");
  const auto ah = out.find("proto ah");
  REQUIRE(esp != std::string::npos);
  REQUIRE(ah != std::string::npos);
  CHECK(esp < ah);
  CHECK_THAT(out, Catch::Contains(fmt::format("proto esp reqid {} mode tunnel", kReqid)));
  CHECK_THAT(out, Catch::Contains(fmt::format("proto ah reqid {} mode transport", kReqid)));
}

TEST_CASE("derived priorities put more specific selectors first", "[netns][xfrm][policy]") {
  const auto any = policy_priority(selector("0.0.0.0/0", "0.0.0.0/0"));
  const auto subnet = policy_priority(selector("192.0.2.0/24", "198.51.100.0/24"));
  const auto hosts = policy_priority(selector("192.0.2.1/32", "198.51.100.1/32"));
  const auto hosts_udp = policy_priority(selector("192.0.2.1/32", "198.51.100.1/32", IPPROTO_UDP));
  const auto hosts_udp_port = policy_priority(selector("192.0.2.1/32", "198.51.100.1/32", IPPROTO_UDP, 0, 53));
  CHECK(any > subnet);
  CHECK(subnet > hosts);
  CHECK(hosts > hosts_udp);
  CHECK(hosts_udp > hosts_udp_port);
  // IPv4 /32 and IPv6 /128 are equally specific.
  CHECK(hosts == policy_priority(selector("2001:db8::1/128", "2001:db8::2/128")));
  // A one-bit longer prefix outranks protocol and ports.
  CHECK(policy_priority(selector("192.0.2.0/25", "198.51.100.0/24")) < policy_priority(
      selector("192.0.2.0/24", "198.51.100.0/24", IPPROTO_UDP, 1, 1)));
}

TEST_CASE("a policy without templates is refused, since it could not be recognised as ipsecd's",
          "[netns][xfrm][ownership]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  PolicySpec p;
  p.selector = selector("192.0.2.1/32", "192.0.2.2/32");
  auto r = xfrm->add_policy(p);
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("not be recognisable as ipsecd's"));
  p.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, 42);
  CHECK_FALSE(xfrm->add_policy(p));
  CHECK(policies().empty());
}
