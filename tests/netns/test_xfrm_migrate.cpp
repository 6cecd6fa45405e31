// Host kernel: Xfrm::migrate moves tunnel templates to new endpoints (ip xfrm policy reads them back), the
// listener reports the MIGRATE with entries and KMADDRESS, and refusals come back as errno plus sentence.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "netlink/xfrm_events.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <poll.h>

#include <cerrno>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

namespace {

constexpr uint32_t kReqid = kIpsecdReqids.first + 7;

IpAddress addr(const char* text) { return *IpAddress::parse(text); }

Selector subnets() { return {*Prefix::parse("198.51.100.0/24"), *Prefix::parse("203.0.113.0/24"), 0, 0, 0}; }

PolicySpec tunnel_policy(const char* src, const char* dst) {
  PolicySpec p;
  p.selector = subnets();
  p.direction = PolicyDirection::Out;
  p.templates = bundle_templates(true, false, IpsecMode::Tunnel, addr(src), addr(dst), kReqid);
  return p;
}

MigrateEntry esp_tunnel_move(const char* old_src, const char* old_dst, const char* new_src, const char* new_dst,
                             uint32_t reqid = kReqid, IpsecProtocol protocol = IpsecProtocol::Esp) {
  return {addr(old_src), addr(old_dst), addr(new_src), addr(new_dst), protocol, IpsecMode::Tunnel, reqid};
}

std::string message_of(const Expected<Ok, KernelError>& r) { return r ? std::string() : r.error().message; }

// The one MigrateEvent queued on `listener` (the kernel multicasts it before it answers the request).
std::vector<MigrateEvent> migrate_events(XfrmListener& listener) {
  pollfd pfd{listener.fd(), POLLIN, 0};
  poll(&pfd, 1, 1000);
  auto events = listener.read_events();
  REQUIRE(events);
  std::vector<MigrateEvent> out;
  for (const auto& e : *events) {
    if (const auto* m = std::get_if<MigrateEvent>(&e)) out.push_back(*m);
  }
  return out;
}

}  // namespace

TEST_CASE("migrate moves a tunnel template to the new endpoints and the listener reports old and new",
          "[netns][xfrm][migrate]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  auto listener = XfrmListener::open();
  REQUIRE(listener);
  REQUIRE(xfrm->add_policy(tunnel_policy("192.0.2.1", "192.0.2.2")));
  CHECK_THAT(run(ip() + " xfrm policy").output, Catch::Contains("tmpl src 192.0.2.1 dst 192.0.2.2"));

  MigrateRequest request;
  request.selector = subnets();
  request.direction = PolicyDirection::Out;
  request.entries = {esp_tunnel_move("192.0.2.1", "192.0.2.2", "192.0.2.11", "192.0.2.2")};
  request.km_address = KmAddress{addr("192.0.2.11"), addr("192.0.2.2")};
  const auto r = xfrm->migrate(request);
  INFO(message_of(r));
  REQUIRE(r);

  const auto policies = run(ip() + " xfrm policy").output;
  CHECK_THAT(policies, Catch::Contains("tmpl src 192.0.2.11 dst 192.0.2.2"));
  CHECK_THAT(policies, !Catch::Contains("192.0.2.1 "));
  CHECK_THAT(policies, Catch::Contains(fmt::format("proto esp reqid {} mode tunnel", kReqid)));
  // The policy itself stays: same selector, direction and priority.
  auto dumped = xfrm->dump_policies();
  REQUIRE(dumped);
  REQUIRE(dumped->size() == 1);
  CHECK(dumped->front().selector == subnets());
  CHECK(dumped->front().priority == policy_priority(subnets()));
  REQUIRE(dumped->front().templates.size() == 1);
  CHECK(dumped->front().templates[0].src == addr("192.0.2.11"));
  CHECK(dumped->front().templates[0].dst == addr("192.0.2.2"));

  const auto events = migrate_events(*listener);
  REQUIRE(events.size() == 1);
  const auto& e = events.front();
  CHECK(e.selector == subnets());
  CHECK(e.direction == PolicyDirection::Out);
  REQUIRE(e.entries.size() == 1);
  CHECK(e.entries[0] == request.entries[0]);
  CHECK(e.entries[0].old_src.to_string() == "192.0.2.1");
  CHECK(e.entries[0].new_src.to_string() == "192.0.2.11");
  CHECK(e.entries[0].reqid == kReqid);
  REQUIRE(e.km_address);
  CHECK(e.km_address->local.to_string() == "192.0.2.11");
  CHECK(e.km_address->remote.to_string() == "192.0.2.2");
}

TEST_CASE("migrate moves two nested tunnel templates to IPv6 endpoints and the event lists both entries",
          "[netns][xfrm][migrate]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  auto listener = XfrmListener::open();
  REQUIRE(listener);
  // ESP tunnel inside an AH tunnel, each with its own reqid: the kernel sends one XFRMA_MIGRATE attribute
  // per entry, so the event decoder has to read them all.
  PolicySpec p = tunnel_policy("192.0.2.1", "192.0.2.2");
  p.direction = PolicyDirection::Fwd;
  p.templates.push_back({IpsecProtocol::Ah, IpsecMode::Tunnel, addr("192.0.2.1"), addr("192.0.2.2"), kReqid + 1, false});
  REQUIRE(xfrm->add_policy(p));

  MigrateRequest request;
  request.selector = subnets();
  request.direction = PolicyDirection::Fwd;
  request.entries = {esp_tunnel_move("192.0.2.1", "192.0.2.2", "2001:db8::1", "2001:db8::2"),
                     esp_tunnel_move("192.0.2.1", "192.0.2.2", "2001:db8:1::1", "2001:db8:1::2", kReqid + 1,
                                     IpsecProtocol::Ah)};
  const auto r = xfrm->migrate(request);
  INFO(message_of(r));
  REQUIRE(r);

  const auto policies = run(ip() + " xfrm policy").output;
  CHECK_THAT(policies, Catch::Contains("tmpl src 2001:db8::1 dst 2001:db8::2"));
  CHECK_THAT(policies, Catch::Contains("tmpl src 2001:db8:1::1 dst 2001:db8:1::2"));
  CHECK_THAT(policies, !Catch::Contains("tmpl src 192.0.2.1"));

  const auto events = migrate_events(*listener);
  REQUIRE(events.size() == 1);
  CHECK(events.front().direction == PolicyDirection::Fwd);
  CHECK(events.front().entries == request.entries);
  CHECK_FALSE(events.front().km_address);
}

TEST_CASE("migrate refusals: no such policy, no matching template, foreign reqid, no entries",
          "[netns][xfrm][migrate]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  REQUIRE(xfrm->add_policy(tunnel_policy("192.0.2.1", "192.0.2.2")));
  MigrateRequest request;
  request.selector = subnets();
  request.direction = PolicyDirection::Out;
  request.entries = {esp_tunnel_move("192.0.2.1", "192.0.2.2", "192.0.2.11", "192.0.2.2")};

  SECTION("no policy in that direction") {
    request.direction = PolicyDirection::In;
    const auto r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK(r.error().error_number == ENOENT);
    CHECK_THAT(r.error().message, Catch::StartsWith("migrate in policy 198.51.100.0/24 -> 203.0.113.0/24: no policy"));
  }
  SECTION("old addresses that no template has") {
    request.entries[0].old_src = addr("192.0.2.99");
    const auto r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK(r.error().error_number == ENODATA);
    CHECK_THAT(r.error().message, Catch::Contains("no template with this protocol, mode, reqid"));
    CHECK_THAT(run(ip() + " xfrm policy").output, Catch::Contains("tmpl src 192.0.2.1 dst 192.0.2.2"));
  }
  SECTION("a reqid outside ipsecd's range is refused before the kernel sees it") {
    request.entries[0].reqid = 0;
    const auto r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK(r.error().error_number == EINVAL);
    CHECK_THAT(r.error().message, Catch::Contains("outside ipsecd's range"));
  }
  SECTION("no entries, or more than the kernel's 6") {
    request.entries.clear();
    auto r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("1 to 6"));
    request.entries.assign(7, esp_tunnel_move("192.0.2.1", "192.0.2.2", "192.0.2.11", "192.0.2.2"));
    r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message, Catch::Contains("1 to 6"));
  }
  SECTION("the same entry twice is refused by the kernel") {
    request.entries.push_back(request.entries[0]);
    const auto r = xfrm->migrate(request);
    REQUIRE_FALSE(r);
    CHECK(r.error().error_number == EINVAL);
    CHECK_THAT(run(ip() + " xfrm policy").output, Catch::Contains("tmpl src 192.0.2.1 dst 192.0.2.2"));
  }
}
