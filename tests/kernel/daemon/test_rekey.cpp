// Short lifetimes force several CHILD_SA and IKE SA rekeys (RFC 7296 §1.3.2, §1.3.3, §2.8) while ping
// traffic runs through the tunnel: little loss, and one clean tunnel with no duplicate SA at the end.
#include "tests/kernel/daemon/tunnel_checks.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

using namespace std::chrono_literals;

TEST_CASE("CHILD_SA and IKE SA rekeys under continuous ping traffic", "[daemon][rekey]") {
  TunnelOptions o;
  o.child_rekey_time = "5s";
  o.child_rekey_jitter = "1s";
  o.child_life_time = "12s";
  o.ike_rekey_time = "9s";
  o.ike_rekey_jitter = "1s";
  TwoGateways net;
  REQUIRE(net.error() == "");
  std::string why;
  if (!net.start(o, why)) FAIL(why);
  if (!net.left().start_monitor(why)) FAIL(why);

  const auto up = net.left().ctl("up gw --wait=30");
  INFO("up: " << up.output);
  REQUIRE(up.status == 0);

  // 200 requests 0.1 s apart: about 20 s, four rekey periods of the CHILD_SA and two of the IKE SA.
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 200, "0.1");
  // Rekeys go on every few seconds; between them each side must be down to exactly one SA pair, listed as
  // completely as the first ones (IKE SA endpoints, identities, proposal) with the kernel's counters. The
  // events are read at such a moment, when no rekey is half done.
  std::string problem;
  const bool settled = wait_until(10s, [&] {
    problem = one_tunnel_problem(net, o);
    if (problem.empty()) problem = counters_problem(net, o);
    return problem.empty();
  });
  const auto events = net.left().stop_monitor();
  int child_rekeys = 0, ike_rekeys = 0, child_downs = 0, ike_downs = 0, failures = 0;
  std::string event_text;
  for (const auto& e : events) {
    event_text += e.dump() + "\n";
    const std::string type = e.value("type", "");
    child_rekeys += type == "child_rekeyed";
    ike_rekeys += type == "ike_rekeyed";
    child_downs += type == "child_down";
    ike_downs += type == "ike_down";
    failures += type == "child_failed" || type == "ike_failed";
  }
  INFO("ping: " << pinged.output);
  INFO("left's events:\n" << event_text);
  CHECK(child_rekeys >= 3);
  CHECK(ike_rekeys >= 1);
  CHECK(failures == 0);
  // Every rekey retires its predecessor, and nothing else went down.
  CHECK(child_downs == child_rekeys);
  CHECK(ike_downs == ike_rekeys);
  // A request in flight while the SA pair is replaced may be lost; at most 2%.
  CHECK(pinged.sent == 200);
  CHECK(pinged.received >= 196);

  INFO("last problem: " << problem);
  CHECK(settled);
  CHECK(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 3).received == 3);
  require_clean_down(net);
}

}  // namespace ipsecd::test
