// In the VM: a MOBIKE-style address update (RFC 4555 §3.5) through Xfrm::migrate: left moves to a new
// address, both sides migrate their tunnel policies and SAs, traffic flows again over the new endpoints only.
#include "netlink/xfrm.h"
#include "netlink/xfrm_events.h"
#include "tests/kernel/netlink/vm_pair.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <poll.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace ipsecd;
using namespace ipsecd::netlink;
using namespace ipsecd::test;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

constexpr int kPings = 3;
// Left's second address on the same veth, where it moves to.
const char* const kLeftMoved = "192.0.2.11";
const Transform kGcm16{"aes128gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 20, IntegrityAlgorithm::NONE, 0};

MigrateRequest tunnel_move(const Selector& selector, PolicyDirection direction, const char* old_src,
                           const char* old_dst, const char* new_src, const char* new_dst) {
  MigrateRequest r;
  r.selector = selector;
  r.direction = direction;
  r.entries = {{address(old_src), address(old_dst), address(new_src), address(new_dst), IpsecProtocol::Esp,
                IpsecMode::Tunnel, kReqid}};
  return r;
}

uint64_t packets_of(Xfrm& xfrm, const char* src, const char* dst, uint32_t spi) {
  auto sa = xfrm.get_sa({address(src), address(dst), spi, IpsecProtocol::Esp, {}});
  INFO(fmt::format("SA {:#x} {} -> {}: {}", spi, src, dst, sa ? "" : sa.error().message));
  REQUIRE(sa);
  return sa->counters.packets;
}

}  // namespace

TEST_CASE("migrating tunnel policies and SAs to a new address keeps ESP traffic flowing over it",
          "[netlink][migrate][tunnel]") {
  VmPair pair;
  REQUIRE(pair.error().empty());
  std::string why;
  const Selector sel = subnet_selector("198.51.100.0/24", "203.0.113.0/24");
  REQUIRE(pair.add_sa_pair(kLeft, kRight, IpsecProtocol::Esp, IpsecMode::Tunnel, kGcm16, why));
  INFO(why);
  REQUIRE(pair.add_policies(sel, true, false, IpsecMode::Tunnel, kLeft, kRight, why));
  std::optional<XfrmListener> listener;
  {
    EnterNetns in("left");
    REQUIRE(in.error().empty());
    auto l = XfrmListener::open();
    REQUIRE(l);
    listener.emplace(std::move(*l));
  }
  std::string out;
  REQUIRE(ping("left", kRightInner, kPings, out));
  CHECK(packets_of(pair.left(), kLeft, kRight, kSpiLeftToRight) == kPings);

  REQUIRE(run(ip() + " -n left addr add " + kLeftMoved + "/24 dev veth-l").status == 0);
  // Left's view: out L->R and in R->L; right's view: out R->L and in L->R. Each policy migration moves the
  // one SA with its template's old addresses, so the four together move all four SAs.
  const MigrateRequest moves[] = {
      tunnel_move(sel, PolicyDirection::Out, kLeft, kRight, kLeftMoved, kRight),
      tunnel_move(reversed(sel), PolicyDirection::In, kRight, kLeft, kRight, kLeftMoved),
  };
  const MigrateRequest right_moves[] = {
      tunnel_move(reversed(sel), PolicyDirection::Out, kRight, kLeft, kRight, kLeftMoved),
      tunnel_move(sel, PolicyDirection::In, kLeft, kRight, kLeftMoved, kRight),
  };
  for (const auto& m : moves) {
    auto r = pair.left().migrate(m);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
  }
  for (const auto& m : right_moves) {
    auto r = pair.right().migrate(m);
    INFO((r ? std::string() : r.error().message));
    REQUIRE(r);
  }

  // Left's listener saw both of its migrations, with selector, direction, addresses and reqid.
  pollfd pfd{listener->fd(), POLLIN, 0};
  REQUIRE(poll(&pfd, 1, 2000) == 1);
  auto events = listener->read_events();
  REQUIRE(events);
  std::vector<MigrateEvent> seen;
  for (const auto& e : *events) {
    if (const auto* m = std::get_if<MigrateEvent>(&e)) seen.push_back(*m);
  }
  REQUIRE(seen.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(seen[i].selector == moves[i].selector);
    CHECK(seen[i].direction == moves[i].direction);
    REQUIRE(seen[i].entries.size() == 1);
    CHECK(seen[i].entries[0] == moves[i].entries[0]);
    CHECK(seen[i].entries[0].reqid == kReqid);
  }
  CHECK(seen[0].entries[0].new_src.to_string() == kLeftMoved);
  CHECK(seen[1].entries[0].new_dst.to_string() == kLeftMoved);

  // The SAs moved: each side holds exactly the two SAs, with the same SPIs, between the new addresses
  // (a dump, because GETSA finds an ESP SA by destination and SPI alone).
  for (Xfrm* x : {&pair.left(), &pair.right()}) {
    auto sas = x->dump_sas();
    REQUIRE(sas);
    std::vector<std::string> found;
    for (const auto& sa : *sas) {
      found.push_back(fmt::format("{:#x} {} -> {}", sa.id.spi, sa.id.src.to_string(), sa.id.dst.to_string()));
    }
    std::sort(found.begin(), found.end());
    CHECK(found == std::vector<std::string>{fmt::format("{:#x} {} -> {}", kSpiLeftToRight, kLeftMoved, kRight),
                                            fmt::format("{:#x} {} -> {}", kSpiRightToLeft, kRight, kLeftMoved)});
  }
  const uint64_t before_l2r = packets_of(pair.right(), kLeftMoved, kRight, kSpiLeftToRight);
  const uint64_t before_r2l = packets_of(pair.left(), kRight, kLeftMoved, kSpiRightToLeft);
  const auto policies = run(ip() + " -n right xfrm policy").output;
  CHECK_THAT(policies, Catch::Contains(fmt::format("tmpl src {} dst {}", kLeftMoved, kRight)));
  CHECK_THAT(policies, Catch::Contains(fmt::format("tmpl src {} dst {}", kRight, kLeftMoved)));

  // Left gives up its old address (the new one is promoted in its place) and right routes the inner subnet
  // via the new one: from here on, traffic that still used 192.0.2.1 would be lost.
  REQUIRE(run("nsenter --net=/run/netns/left sh -c 'echo 1 > /proc/sys/net/ipv4/conf/veth-l/promote_secondaries'")
              .status == 0);
  REQUIRE(run(ip() + " -n left addr del " + kLeft + "/24 dev veth-l").status == 0);
  REQUIRE(run(ip() + fmt::format(" -n right route replace 198.51.100.0/24 via {} src {}", kLeftMoved, kRightInner))
              .status == 0);
  INFO(run(ip() + " -n left addr show dev veth-l; " + ip() + " -n left route").output);
  REQUIRE(ping("left", kRightInner, kPings, out));
  INFO(out);
  CHECK(packets_of(pair.right(), kLeftMoved, kRight, kSpiLeftToRight) == before_l2r + kPings);
  CHECK(packets_of(pair.left(), kRight, kLeftMoved, kSpiRightToLeft) == before_r2l + kPings);
  CHECK(packets_of(pair.left(), kLeftMoved, kRight, kSpiLeftToRight) >= kPings);
  CHECK(packets_of(pair.right(), kRight, kLeftMoved, kSpiRightToLeft) >= kPings);
  const auto theirs = ip_counters("right", kLeftMoved, kRight, "esp", kSpiLeftToRight);
  CHECK(theirs.packets == static_cast<long long>(before_l2r + kPings));
  REQUIRE(udp_roundtrip("left", kLeftInner, "right", kRightInner, 5003, why));
}
