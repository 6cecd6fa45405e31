// Host kernel: flush_own removes exactly ipsecd's SAs and policies; entries added by ip xfrm survive.
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace ipsecd;
using namespace ipsecd::netlink;
using ipsecd::test::ip;
using ipsecd::test::run;
using ipsecd::test::ScopedNetns;

TEST_CASE("flush_own removes ipsecd's SAs and policies and leaves foreign ones", "[netns][xfrm][ownership]") {
  ScopedNetns ns;
  REQUIRE(ns.error().empty());
  auto xfrm = Xfrm::open();
  REQUIRE(xfrm);
  const auto a = *IpAddress::parse("192.0.2.1");
  const auto b = *IpAddress::parse("192.0.2.2");
  for (uint32_t i = 0; i < 3; ++i) {
    SpiRequest request;
    request.src = a;
    request.dst = b;
    request.reqid = kIpsecdReqids.first + i;
    REQUIRE(xfrm->allocate_spi(request));
    PolicySpec p;
    p.selector = {Prefix::host(a), *Prefix::parse("198.51.100." + std::to_string(i) + "/32"), 0, 0, 0};
    p.templates = bundle_templates(true, i == 2, IpsecMode::Transport, {}, {}, kIpsecdReqids.first + i);
    REQUIRE(xfrm->add_policy(p));
  }
  // Foreign entries: another keying daemon's (reqid 7) and an administrator's block policy.
  REQUIRE(run(ip() + " xfrm state allocspi src 192.0.2.1 dst 192.0.2.9 proto esp reqid 7").status == 0);
  REQUIRE(run(ip() + " xfrm policy add src 192.0.2.1 dst 203.0.113.0/24 dir out tmpl proto esp reqid 7").status == 0);
  REQUIRE(run(ip() + " xfrm policy add src 192.0.2.1 dst 203.0.113.9 dir out action block").status == 0);
  // Same selector as one of ours but a foreign template.
  REQUIRE(run(ip() + " xfrm policy add src 192.0.2.1 dst 198.51.100.0 dir in tmpl proto ah reqid 8").status == 0);

  auto flushed = xfrm->flush_own();
  REQUIRE(flushed);
  CHECK(flushed->sas == 3);
  CHECK(flushed->policies == 3);

  const auto states = run(ip() + " xfrm state").output;
  CHECK_THAT(states, Catch::Contains("dst 192.0.2.9"));
  CHECK_THAT(states, Catch::Contains("reqid 7 "));
  CHECK_THAT(states, !Catch::Contains("dst 192.0.2.2"));
  const auto policies = run(ip() + " xfrm policy").output;
  CHECK_THAT(policies, Catch::Contains("dst 203.0.113.0/24"));
  CHECK_THAT(policies, Catch::Contains("dst 203.0.113.9/32"));
  CHECK_THAT(policies, Catch::Contains("proto ah reqid 8"));
  CHECK_THAT(policies, !Catch::Contains(fmt::format("reqid {}", kIpsecdReqids.first)));
  auto dump = xfrm->dump_policies();
  REQUIRE(dump);
  CHECK(dump->size() == 3);
  for (const auto& p : *dump) {
    for (const auto& t : p.templates) CHECK_FALSE(kIpsecdReqids.contains(t.reqid));
  }
  // A second flush finds nothing of ours.
  auto again = xfrm->flush_own();
  REQUIRE(again);
  CHECK(again->sas == 0);
  CHECK(again->policies == 0);
}
