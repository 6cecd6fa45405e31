// start_action = "trap" on a real ESP kernel: trap policies and no SA at start, the first packet from the
// left LAN brings the tunnel up through the kernel's ACQUIRE (RFC 4301 §5.2, RFC 7296 §2.9), and the trap
// outlives the tunnel: after `ipsecctl down` its policies are back and the next packet negotiates again.
#include "tests/kernel/daemon/tunnel_checks.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <regex>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// The reqid the gateway's log names for its trap ("gw/net: trap installed (reqid N)"); empty when none.
std::string trap_reqid(const Gateway& gw) {
  static const std::regex installed(R"(gw/net: trap installed \(reqid (\d+)\))");
  const auto log = gw.log();
  std::smatch m;
  return std::regex_search(log, m, installed) ? m[1].str() : std::string();
}

// How often `ip xfrm state` or `ip xfrm policy` (`what`) in the gateway's namespace names `reqid`.
size_t reqid_count(const Gateway& gw, const std::string& what, const std::string& reqid) {
  const auto out = run(ip() + " -n " + gw.ns() + " xfrm " + what).output;
  const std::string needle = "reqid " + reqid + " ";
  size_t n = 0;
  for (auto at = out.find(needle); at != std::string::npos; at = out.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("start_action trap: the first packet brings the tunnel up and the trap outlives it",
          "[daemon][trap]") {
  TunnelOptions o;
  o.left_start_action = "trap";
  TwoGateways net;
  REQUIRE(net.error() == "");
  std::string why;
  if (!net.start(o, why)) FAIL(why);
  if (!net.left().start_monitor(why)) FAIL(why);

  // Before any traffic: the left holds the trap (in, out and fwd policies, no SA), the passive right nothing.
  const std::string reqid = trap_reqid(net.left());
  REQUIRE(reqid != "");
  CHECK(trap_only_problem(net.left(), o) == "");
  CHECK(nothing_problem(net.right()) == "");
  CHECK(reqid_count(net.left(), "policy", reqid) == 3);

  // The first packets hit the trap; the negotiation the ACQUIRE starts installs the CHILD_SA.
  const auto first = require_tunnel_from_traffic(net, o);
  INFO("first ping: " << first.output);
  CHECK(first.received >= first.sent / 2);
  const auto first_left = net.left().status();
  CHECK(first_left["ike_sas"][0]["role"] == "initiator");
  CHECK(net.right().status()["ike_sas"][0]["role"] == "responder");
  const auto first_child = children_of(first_left).at(0);
  // The CHILD_SA's SAs took the trap's reqid, and its policies are the trap's (no second set).
  CHECK(reqid_count(net.left(), "state", reqid) == 2);
  CHECK(reqid_count(net.left(), "policy", reqid) == 3);
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5);
  INFO("ping: " << pinged.output);
  CHECK(pinged.received == 5);
  const bool udp_there =
      udp_roundtrip(net.left().ns(), net.left_inner(o), net.right().ns(), net.right_inner(o), 5001, why);
  const bool udp_back =
      udp_roundtrip(net.right().ns(), net.right_inner(o), net.left().ns(), net.left_inner(o), 5002, why);
  INFO("UDP: " << why);
  CHECK(udp_there);
  CHECK(udp_back);
  require_counters_match_kernel(net, o);

  // down deletes the IKE SA and its CHILD_SA; the trap stays (engine.h: a CHILD_SA leaves the trap's
  // policies in place when it goes, so the next packet triggers again).
  const auto down = require_down_keeps_trap(net, o);
  INFO("down: " << down.output);
  CHECK(down.json["completed"] == true);
  CHECK(reqid_count(net.left(), "policy", reqid) == 3);

  // Traffic again: a new IKE SA and CHILD_SA under the same trap.
  const auto second = require_tunnel_from_traffic(net, o);
  INFO("second ping: " << second.output);
  CHECK(second.received >= second.sent / 2);
  const auto second_child = children_of(net.left().status()).at(0);
  CHECK(second_child["spi_in"] != first_child["spi_in"]);
  CHECK(second_child["spi_out"] != first_child["spi_out"]);
  CHECK(reqid_count(net.left(), "state", reqid) == 2);
  CHECK(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5).received == 5);
  require_counters_match_kernel(net, o);

  const auto events = net.left().stop_monitor();
  INFO("left's events:\n" << events_text(events));
  CHECK(events_of(events, "ike_up").size() == 2);
  CHECK(events_of(events, "child_up").size() == 2);
  CHECK(events_of(events, "ike_down").size() == 1);
  CHECK(events_of(events, "child_down").size() == 1);
  CHECK(events_of(events, "ike_failed").empty());
  CHECK(events_of(events, "child_failed").empty());

  // The trap goes with the daemon: SIGTERM deletes the IKE SA with the peer and leaves no kernel entry.
  CHECK(net.left().stop(SIGTERM));
  const bool gone = wait_until(3s, [&] {
    return net.left().kernel_sas().empty() && net.left().kernel_policies().empty() &&
           nothing_problem(net.right()).empty();
  });
  INFO("left: " << net.left().kernel_sas().size() << " SAs, " << net.left().kernel_policies().size()
                << " policies; right: " << nothing_problem(net.right()));
  CHECK(gone);
}

}  // namespace ipsecd::test
