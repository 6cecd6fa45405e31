// dpd_action (the peer found dead by the liveness check, RFC 7296 §2.4) and close_action (the peer deleted
// the CHILD_SA, or the IKE SA and with it the CHILD_SA) on the left gateway, with the right one passive:
// "restart" and "start" negotiate again at once, "trap" leaves trap policies that the next packet turns
// into a tunnel.
// "clear" and "none" (the defaults) leave nothing: test_restart.cpp's SIGKILL of the responder and the
// clean downs of every case.
#include "tests/kernel/daemon/tunnel_checks.h"

#include <catch2/catch.hpp>

#include <signal.h>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

TunnelOptions short_liveness() {
  TunnelOptions o;
  set_short_liveness(o);
  return o;
}

struct FirstTunnel {
  uint64_t left_ike_sa = 0;
  uint64_t right_ike_sa = 0;
  nlohmann::json left_child;
};

// Requires the namespaces up, starts both daemons, brings the tunnel up with `ipsecctl up` on the left,
// proves it carries traffic and starts the left's monitor.
FirstTunnel start_tunnel(TwoGateways& net, const TunnelOptions& o) {
  REQUIRE(net.error() == "");
  std::string why;
  if (!net.start(o, why)) FAIL(why);
  const auto up = net.left().ctl("up gw --wait=30");
  INFO("up: " << up.output);
  REQUIRE(up.status == 0);
  require_one_tunnel(net, o);
  CHECK(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 3).received == 3);
  const auto left = net.left().status();
  FirstTunnel first{left["ike_sas"][0]["unique_id"].get<uint64_t>(),
                    net.right().status()["ike_sas"][0]["unique_id"].get<uint64_t>(), children_of(left).at(0)};
  if (!net.left().start_monitor(why)) FAIL(why);
  return first;
}

// A tunnel other than `first`: new IKE SAs on both sides, initiated by the left, new SPIs; traffic passes
// and the counters are the kernel's. A restarted right daemon counts its IKE SAs from 1 again, so only
// the same daemon's ids are compared.
void require_new_tunnel(TwoGateways& net, const TunnelOptions& o, const FirstTunnel& first,
                        bool right_restarted) {
  require_one_tunnel(net, o);
  const auto left = net.left().status();
  const auto right = net.right().status();
  CHECK(left["ike_sas"][0]["unique_id"].get<uint64_t>() != first.left_ike_sa);
  if (!right_restarted) CHECK(right["ike_sas"][0]["unique_id"].get<uint64_t>() != first.right_ike_sa);
  CHECK(left["ike_sas"][0]["role"] == "initiator");
  CHECK(right["ike_sas"][0]["role"] == "responder");
  const auto child = children_of(left).at(0);
  CHECK(child["spi_in"] != first.left_child["spi_in"]);
  CHECK(child["spi_out"] != first.left_child["spi_out"]);
  const auto sas = net.left().kernel_sas();
  CHECK_FALSE(find_sa(sas, "esp", spi_of(first.left_child["spi_in"])));
  CHECK_FALSE(find_sa(sas, "esp", spi_of(first.left_child["spi_out"])));
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5);
  INFO("ping: " << pinged.output);
  CHECK(pinged.received == 5);
  require_counters_match_kernel(net, o);
}

// `down gw` on the right, the passive side: to the left, a Delete from the peer.
void require_right_down(TwoGateways& net) {
  const auto down = net.right().ctl("down gw --wait=30");
  INFO("right's down: " << down.output);
  REQUIRE(down.status == 0);
}

// Within `limit`, one side (the left when `left_side`) lists exactly one IKE SA, not `old_ike_sa`, and
// exactly one tunnel is up (one_tunnel_problem).
void require_tunnel_back(TwoGateways& net, const TunnelOptions& o, bool left_side, uint64_t old_ike_sa,
                         std::chrono::milliseconds limit) {
  Gateway& gw = left_side ? net.left() : net.right();
  std::string problem;
  const bool back = wait_until(limit, [&] {
    const auto status = gw.status();
    problem = status.is_object() && status["ike_sas"].size() == 1 &&
                      status["ike_sas"][0]["unique_id"].get<uint64_t>() != old_ike_sa
                  ? one_tunnel_problem(net, o)
                  : std::string(left_side ? "the left" : "the right") + " lists " + status.dump();
    return problem.empty();
  });
  INFO("last problem: " << problem);
  REQUIRE(back);
}

// The left's monitor saw the first IKE SA end once (`type`, its reason containing `reason`) and exactly
// one new IKE SA with its CHILD_SA come up, nothing else failing.
void require_events(Gateway& left, const FirstTunnel& first, const std::string& type, const std::string& reason) {
  const auto events = left.stop_monitor();
  INFO("left's events:\n" << events_text(events));
  const auto ended = events_of(events, type);
  REQUIRE(ended.size() == 1);
  CHECK(ended[0]["ike_sa"] == first.left_ike_sa);
  CHECK(ended[0]["reason"].is_string());
  CHECK(ended[0].value("reason", std::string()).find(reason) != std::string::npos);
  const auto up = events_of(events, "ike_up");
  REQUIRE(up.size() == 1);
  CHECK(up[0]["ike_sa"] != first.left_ike_sa);
  CHECK(events_of(events, "child_up").size() == 1);
  CHECK(events_of(events, "child_failed").empty());
  CHECK(events_of(events, type == "ike_failed" ? "ike_down" : "ike_failed").empty());
}

// The left holds its trap: traffic from the left's side brings a new tunnel up (require_new_tunnel), the
// left's monitor saw the first IKE SA end (require_events) and a `down` leaves the trap again.
void require_trap_brings_tunnel_back(TwoGateways& net, const TunnelOptions& o, const FirstTunnel& first,
                                     bool right_restarted, const std::string& type,
                                     const std::string& reason) {
  const auto pinged = require_tunnel_from_traffic(net, o);
  INFO("first ping: " << pinged.output);
  CHECK(pinged.received >= pinged.sent / 2);
  require_new_tunnel(net, o, first, right_restarted);
  require_events(net.left(), first, type, reason);
  require_down_keeps_trap(net, o);
}

}  // namespace

TEST_CASE("dpd_action restart: a peer found dead is negotiated with again at once", "[daemon][dpd]") {
  auto o = short_liveness();
  o.left_dpd_action = "restart";
  TwoGateways net;
  const auto first = start_tunnel(net, o);

  // The right's daemon dies and starts again at once: it removes what its dead run left in the kernel and
  // does not know the old IKE SA, so the left's liveness check goes unanswered (a message for an unknown
  // SPI gets no answer) exactly as with a peer that stays dead; only the left can bring the tunnel back.
  net.right().stop(SIGKILL);
  std::string why;
  if (!net.right().start(why)) FAIL(why);
  CHECK(nothing_problem(net.right()) == "");

  require_tunnel_back(net, o, true, first.left_ike_sa, 20s);
  require_new_tunnel(net, o, first, true);
  require_events(net.left(), first, "ike_failed", "peer unreachable");
  require_clean_down(net);
}

TEST_CASE("dpd_action trap: a peer found dead leaves a trap that traffic turns into a new tunnel",
          "[daemon][dpd][trap]") {
  auto o = short_liveness();
  o.left_dpd_action = "trap";
  TwoGateways net;
  const auto first = start_tunnel(net, o);

  net.right().stop(SIGKILL);
  CHECK(net.right().kernel_sas().size() == 2);
  CHECK(net.right().kernel_policies().size() == 3);
  // The left's liveness check goes unanswered: the IKE SA, its CHILD_SA and their kernel entries go and
  // the trap's policies take their place; nothing is negotiated while no packet comes.
  std::string problem;
  const bool trapped = wait_until(20s, [&] {
    problem = trap_only_problem(net.left(), o);
    return problem.empty();
  });
  INFO("last problem: " << problem);
  REQUIRE(trapped);
  CHECK(net.left().log().find("gw/net: trap installed") != std::string::npos);

  std::string why;
  if (!net.right().start(why)) FAIL(why);
  CHECK(nothing_problem(net.right()) == "");
  CHECK(trap_only_problem(net.left(), o) == "");
  require_trap_brings_tunnel_back(net, o, first, true, "ike_failed", "peer unreachable");
}

TEST_CASE("close_action trap: the peer's Delete leaves a trap that traffic turns into a new tunnel",
          "[daemon][close][trap]") {
  TunnelOptions o;
  o.left_close_action = "trap";
  TwoGateways net;
  const auto first = start_tunnel(net, o);

  require_right_down(net);
  const std::string problem = left_trap_only_problem(net, o, 3s);
  INFO("last problem: " << problem);
  REQUIRE(problem.empty());
  CHECK(net.left().log().find("gw/net: trap installed") != std::string::npos);

  require_trap_brings_tunnel_back(net, o, first, false, "ike_down", "deleted by the peer");
}

TEST_CASE(
    "close_action trap: the peer's Delete of the CHILD_SA leaves a trap, the next packet negotiates a "
    "CHILD_SA in the same IKE SA",
    "[daemon][close][trap]") {
  TunnelOptions o;
  o.left_close_action = "trap";
  // Right's SAs end at 2000 bytes (about 24 pings; no rekey_bytes, so no rekey first): right deletes the
  // CHILD_SA with the left and keeps the IKE SA.
  o.right_child_extra = "life_bytes = 2000\n";
  TwoGateways net;
  const auto first = start_tunnel(net, o);

  // 40 pings 0.1 s apart: right's SAs reach their limit part way, right's Delete leaves the left its trap,
  // and the pings that follow hit it: the ACQUIRE negotiates with CREATE_CHILD_SA in the IKE SA that is up.
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 40, "0.1");
  INFO("ping: " << pinged.output);
  std::string problem;
  const bool back = wait_until(15s, [&] {
    problem = one_tunnel_problem(net, o);
    if (problem.empty() && children_of(net.left().status()).at(0)["spi_in"] == first.left_child["spi_in"]) {
      problem = "the first CHILD_SA is still up";
    }
    return problem.empty();
  });
  INFO("last problem: " << problem);
  REQUIRE(back);
  CHECK(pinged.received >= pinged.sent / 2);
  const auto left = net.left().status();
  CHECK(left["ike_sas"][0]["unique_id"].get<uint64_t>() == first.left_ike_sa);
  CHECK(net.right().status()["ike_sas"][0]["unique_id"].get<uint64_t>() == first.right_ike_sa);
  const auto child = children_of(left).at(0);
  CHECK(child["spi_out"] != first.left_child["spi_out"]);
  CHECK(net.left().log().find("gw/net: trap installed") != std::string::npos);
  // 5 pings are 420 bytes each way: the new SAs stay below right's limit.
  CHECK(ping(net.left().ns(), net.left_inner(o), net.right_inner(o), 5).received == 5);
  require_counters_match_kernel(net, o);

  const auto events = net.left().stop_monitor();
  INFO("left's events:\n" << events_text(events));
  const auto down = events_of(events, "child_down");
  REQUIRE(down.size() == 1);
  CHECK(down[0]["ike_sa"] == first.left_ike_sa);
  const auto up = events_of(events, "child_up");
  REQUIRE(up.size() == 1);
  CHECK(up[0]["ike_sa"] == first.left_ike_sa);
  for (const char* type : {"ike_up", "ike_down", "ike_failed", "child_failed"}) {
    INFO(type);
    CHECK(events_of(events, type).empty());
  }
  // The IKE SA goes with down, the trap stays.
  require_down_keeps_trap(net, o);
}

TEST_CASE("close_action start: the peer's Delete is answered with a new negotiation", "[daemon][close]") {
  TunnelOptions o;
  o.left_close_action = "start";
  TwoGateways net;
  const auto first = start_tunnel(net, o);

  require_right_down(net);
  require_tunnel_back(net, o, false, first.right_ike_sa, 15s);
  require_new_tunnel(net, o, first, false);
  require_events(net.left(), first, "ike_down", "deleted by the peer");
  // The left's own down is no close by the peer: nothing is negotiated again and both sides end empty.
  require_clean_down(net);
}

}  // namespace ipsecd::test
