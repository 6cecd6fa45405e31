// A gateway's ipsecd dies by SIGKILL and is started again: it removes the kernel entries its dead run left
// behind, start_action = start brings the tunnel back, and the peer keeps no stale IKE SA (found dead by
// its liveness checks, RFC 7296 §2.4, or replaced on INITIAL_CONTACT).
#include "tests/kernel/daemon/tunnel_checks.h"

#include <catch2/catch.hpp>

#include <signal.h>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

bool left_child_installed(TwoGateways& net) {
  const auto children = children_of(net.left().status());
  return children.size() == 1 && children[0]["state"] == "installed";
}

// Left initiates by itself (start_action = start); right checks liveness after 2 s of silence and gives
// up after two quick retransmissions.
TunnelOptions restart_options(bool short_dpd) {
  TunnelOptions o;
  o.left_start_action = "start";
  if (short_dpd) set_short_liveness(o);
  return o;
}

struct KilledLeft {
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  uint64_t right_ike_sa = 0;
};

// Starts both, waits for the tunnel start_action brings up, checks it, then SIGKILLs left's daemon and
// checks that its SAs and policies stayed in the kernel.
KilledLeft start_then_kill_left(TwoGateways& net, const TunnelOptions& o) {
  std::string why;
  if (!net.start(o, why)) FAIL(why);
  REQUIRE(wait_until(20s, [&] { return exactly_one_tunnel(net, o); }));
  REQUIRE(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 3).received == 3);
  const auto child = children_of(net.left().status()).at(0);
  KilledLeft killed{spi_of(child["spi_in"]), spi_of(child["spi_out"]),
                    net.right().status()["ike_sas"][0]["unique_id"].get<uint64_t>()};

  net.left().stop(SIGKILL);
  CHECK(net.left().kernel_sas().size() == 2);
  CHECK(net.left().kernel_policies().size() == 3);
  return killed;
}

// Starts left again: it flushes the dead run's entries, and the tunnel comes back with new SPIs.
void restart_left(TwoGateways& net, const TunnelOptions& o, const KilledLeft& killed) {
  std::string why;
  if (!net.left().start(why)) FAIL(why);
  INFO(net.logs());
  CHECK(net.left().log().find("an earlier run of ipsecd left behind") != std::string::npos);
  REQUIRE(wait_until(20s, [&] { return left_child_installed(net); }));
  REQUIRE(wait_until(5s, [&] { return exactly_one_tunnel(net, o); }));
  require_one_tunnel(net, o);
  const auto sas = net.left().kernel_sas();
  CHECK_FALSE(find_sa(sas, "esp", killed.spi_in));
  CHECK_FALSE(find_sa(sas, "esp", killed.spi_out));
  const auto right = net.right().status();
  REQUIRE(right["ike_sas"].size() == 1);
  CHECK(right["ike_sas"][0]["unique_id"].get<uint64_t>() != killed.right_ike_sa);
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5);
  INFO(pinged.output);
  CHECK(pinged.received == 5);
  require_counters_match_kernel(net, o);
  require_clean_down(net);
}

}  // namespace

TEST_CASE(
    "SIGKILL and restart: the peer's liveness check drops the dead IKE SA, start_action brings the "
    "tunnel back",
    "[daemon][restart]") {
  const auto o = restart_options(true);
  TwoGateways net;
  REQUIRE(net.error() == "");
  const auto killed = start_then_kill_left(net, o);

  // Right hears nothing for dpd_delay, its check goes unanswered, and it deletes the IKE SA with its
  // CHILD_SA and their kernel entries.
  const bool dropped = wait_until(20s, [&] {
    return net.right().status()["ike_sas"].empty() && net.right().kernel_sas().empty() &&
           net.right().kernel_policies().empty();
  });
  INFO(net.logs());
  REQUIRE(dropped);
  restart_left(net, o, killed);
}

TEST_CASE("SIGKILL and immediate restart: INITIAL_CONTACT replaces the peer's stale IKE SA",
          "[daemon][restart]") {
  const auto o = restart_options(false);
  TwoGateways net;
  REQUIRE(net.error() == "");
  const auto killed = start_then_kill_left(net, o);
  restart_left(net, o, killed);
}

TEST_CASE(
    "SIGKILL of the responder: the initiator's liveness check clears its side, up brings the tunnel back "
    "after the restart",
    "[daemon][restart]") {
  auto o = restart_options(true);
  o.left_start_action = "none";
  o.left_dpd_action = "clear";  // the default, said out loud: a dead peer's SAs are forgotten, no more
  TwoGateways net;
  REQUIRE(net.error() == "");
  std::string why;
  if (!net.start(o, why)) FAIL(why);
  REQUIRE(net.left().ctl("up gw --wait=30").status == 0);
  require_one_tunnel(net, o);

  net.right().stop(SIGKILL);
  CHECK(net.right().kernel_sas().size() == 2);
  CHECK(net.right().kernel_policies().size() == 3);
  // The initiator checks liveness too (dpd_delay is per connection, both sides have it).
  const bool dropped = wait_until(20s, [&] {
    return net.left().status()["ike_sas"].empty() && net.left().kernel_sas().empty() &&
           net.left().kernel_policies().empty();
  });
  INFO(net.logs());
  REQUIRE(dropped);

  if (!net.right().start(why)) FAIL(why);
  CHECK(net.right().log().find("an earlier run of ipsecd left behind") != std::string::npos);
  CHECK(net.right().kernel_sas().empty());
  CHECK(net.right().kernel_policies().empty());
  // dpd_action = "clear" negotiates nothing again by itself, not even with the peer back.
  CHECK(nothing_problem(net.left()) == "");
  const auto up = net.left().ctl("up gw --wait=30");
  INFO("up: " << up.output);
  REQUIRE(up.status == 0);
  require_one_tunnel(net, o);
  CHECK(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5).received == 5);
  require_counters_match_kernel(net, o);
  require_clean_down(net);
}

}  // namespace ipsecd::test
