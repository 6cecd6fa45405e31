// run_case: one interop case from topology to teardown, each step checked on ipsecd's side, the peer's and
// the kernel's; the first failed step ends the case with its name, the problem and both logs' tails.
#include "tests/interop/runner.h"

#include "tests/interop/background_ping.h"
#include "tests/interop/case_setup.h"
#include "tests/kernel/daemon/tunnel_checks.h"
#include "tests/kernel/daemon/two_gateways.h"
#include "tests/netns/netns_support.h"
#include "tests/netns/text_files.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kScratch = "/tmp/interop";
constexpr const char* kPeerNamespace = "gw-right";
constexpr size_t kLogTailLines = 40;

struct Spis {
  uint32_t in = 0, out = 0;  // ipsecd's inbound and outbound SPI
  bool operator==(const Spis&) const = default;
};

// An ipsecctl call that did not complete: its exit status and the error's code and message.
std::string ctl_failure(const Gateway::Ctl& r) {
  std::string text = "exit status " + std::to_string(r.status);
  // ipsecctl's own complaint follows the JSON answer on stderr: parse the object alone.
  const size_t open = r.output.find('{'), close = r.output.rfind('}');
  const auto json = open < close ? nlohmann::json::parse(r.output.substr(open, close - open + 1), nullptr, false)
                                 : nlohmann::json();
  if (json.is_object() && json.contains("error") && json["error"].is_object()) {
    return text + ", " + json["error"].value("code", "") + ": " + json["error"].value("message", "");
  }
  return text + ": " + r.output;
}

std::string hex(uint32_t spi) {
  std::ostringstream out;
  out << std::hex << spi;
  return out.str();
}

// The checks of one case, in order; each returns the problem, empty when the step passed.
class CaseSteps {
 public:
  CaseSteps(Peer& peer, const InteropCase& c, TwoGateways& net)
      : peer_(peer), c_(c), net_(net), ipsecd_(net.left()) {
    options_.transport = c.mode == Mode::transport;
    options_.esp = {peer.esp_proposal()};
  }

  std::string step;  // the step running (or failed)
  std::string summary;

  std::string run() {
    std::string why;
    step = "start ipsecd";
    const std::string config = ipsecd_config(c_, ipsecd_.socket(), RekeyTiming{}, peer_.esp_proposal(),
                                             peer_.ipsecd_daemon_settings());
    if (!ipsecd_.start(config, why)) return why;
    step = "start ipsecctl monitor";
    if (!ipsecd_.start_monitor(why)) return why;
    step = "start peer";
    const std::string work_dir = std::string(kScratch) + "/peer";
    if (const auto r = test::run("rm -rf " + work_dir + " && mkdir -p " + work_dir); r.status != 0)
      return "cannot make " + work_dir + ": " + r.output;
    if (!peer_.start(peer_setup(c_, kPeerNamespace, work_dir), why)) return why;

    step = c_.role == Role::ipsecd_initiator ? "ipsecctl up gw --wait" : "peer initiates";
    if (c_.role == Role::ipsecd_initiator) {
      const auto up = ipsecd_.ctl("up gw --wait=30");
      if (up.status != 0 || !up.json.is_object() || up.json["completed"] != true) return ctl_failure(up);
    } else if (!peer_.initiate(why)) {
      return why;
    }

    step = "one tunnel on both sides";
    Spis first;
    if (auto problem = poll_tunnel(5s, std::nullopt, first); !problem.empty()) return problem;

    step = "traffic";
    if (auto problem = ping_all(5); !problem.empty()) return problem;

    step = "rekeys under traffic";
    if (auto problem = rekeys_under_traffic(); !problem.empty()) return problem;

    step = "one new tunnel on both sides after the rekeys";
    Spis last;
    if (auto problem = poll_tunnel(10s, first, last); !problem.empty()) return problem;

    step = "traffic after the rekeys";
    // ipsecd goes on rekeying, and a CHILD rekey may fall into these pings: a peer that sends on its new
    // SA as soon as it answers the CREATE_CHILD_SA (Libreswan 4.10) loses the replies of the moment before
    // ipsecd has installed its new inbound SA. One more try then, only when a rekey happened meanwhile.
    const int rekeys_before = count_events(ipsecd_.monitor_events(), "child_rekeyed");
    if (auto problem = ping_all(3); !problem.empty()) {
      const bool rekeyed = wait_until(1s, [&] {
        return count_events(ipsecd_.monitor_events(), "child_rekeyed") > rekeys_before;
      });
      if (!rekeyed) return problem;
      if (problem = ping_all(3); !problem.empty()) return problem;
    }

    step = "ipsecctl counters equal the kernel's";
    std::string counters;
    if (!wait_until(3s, [&] { return (counters = counters_problem(ipsecd_, options_)).empty(); }))
      return counters;

    step = "ipsecctl down gw --wait";
    if (auto problem = down(); !problem.empty()) return problem;

    step = "ipsecctl monitor events";
    for (const auto& e : ipsecd_.stop_monitor()) {
      const std::string type = e.value("type", "");
      if (type.ends_with("_failed")) return "ipsecd reported " + e.dump();
    }
    return {};
  }

 private:
  // ipsecd lists one established IKE SA with one installed CHILD_SA, the peer lists the same CHILD_SA
  // (its outbound SPI is ipsecd's inbound one and vice versa), ipsecd's kernel holds exactly those two SAs
  // in the case's mode with its policies, and the peer's kernel holds the two SAs too.
  std::string tunnel_problem(Spis& spis) {
    const auto status = ipsecd_.status();
    if (!status.is_object() || status["ike_sas"].size() != 1)
      return "ipsecd does not list exactly one IKE SA: " + status.dump();
    const auto& ike = status["ike_sas"][0];
    if (ike["state"] != "established") return "ipsecd's IKE SA is " + ike["state"].dump();
    const auto children = children_of(status);
    if (children.size() != 1 || children[0]["state"] != "installed")
      return "ipsecd does not list exactly one installed CHILD_SA: " + status.dump();
    spis = {spi_of(children[0]["spi_in"]), spi_of(children[0]["spi_out"])};
    const bool transport = c_.mode == Mode::transport;
    if (children[0]["mode"] != (transport ? "transport" : "tunnel"))
      return "ipsecd's CHILD_SA is in mode " + children[0]["mode"].dump();

    const PeerView view = peer_.view();
    if (!view.ike_established) return "the peer shows no established IKE SA:\n" + view.raw;
    if (view.children.size() != 1)
      return "the peer shows " + std::to_string(view.children.size()) + " CHILD_SAs:\n" + view.raw;
    if (view.children[0].outbound_spi != spis.in || view.children[0].inbound_spi != spis.out) {
      return "SPIs do not mirror: ipsecd in " + hex(spis.in) + " out " + hex(spis.out) + ", the peer in " +
             hex(view.children[0].inbound_spi) + " out " + hex(view.children[0].outbound_spi) + "\n" + view.raw;
    }

    const auto sas = ipsecd_.kernel_sas();
    if (sas.size() != 2) return "ipsecd's kernel holds " + std::to_string(sas.size()) + " SAs";
    for (uint32_t spi : {spis.in, spis.out}) {
      const auto sa = find_sa(sas, "esp", spi);
      if (!sa) return "ipsecd's kernel has no ESP SA " + hex(spi);
      if (sa->mode != (transport ? "transport" : "tunnel")) return "ipsecd's kernel SA in mode " + sa->mode;
    }
    const size_t policies = ipsecd_.kernel_policies().size();
    if (policies != (transport ? 2u : 3u))
      return "ipsecd's kernel holds " + std::to_string(policies) + " in/out/fwd policies";
    const auto peer_sas = net_.right().kernel_sas();
    for (uint32_t spi : {spis.in, spis.out}) {
      if (!find_sa(peer_sas, "esp", spi)) return "the peer's kernel has no ESP SA " + hex(spi);
    }
    return {};
  }

  // Polls tunnel_problem (rekeys come and go meanwhile); with `not_before`, the SPIs must be new ones.
  std::string poll_tunnel(std::chrono::milliseconds limit, std::optional<Spis> not_before, Spis& spis) {
    std::string problem;
    wait_until(limit, [&] {
      problem = tunnel_problem(spis);
      if (problem.empty() && not_before && (spis.in == not_before->in || spis.out == not_before->out))
        problem = "the CHILD_SA still has its first SPIs " + hex(spis.in) + "/" + hex(spis.out);
      return problem.empty();
    });
    return problem;
  }

  // The addresses the case's traffic runs between: the LANs' in tunnel mode, the gateways' in transport.
  std::string inner(bool ipsecd_side) const {
    return ipsecd_side ? net_.left_inner(options_) : net_.right_inner(options_);
  }

  std::string ping_all(int count) {
    const auto p = ping(ipsecd_.ns(), inner(true), inner(false), count);
    if (p.received != count) {
      return std::to_string(p.received) + " of " + std::to_string(count) + " pings answered:\n" + p.output;
    }
    return {};
  }

  int count_events(const std::vector<nlohmann::json>& events, const std::string& type) const {
    int n = 0;
    for (const auto& e : events) n += e.value("type", "") == type ? 1 : 0;
    return n;
  }

  // Continuous ping (every 100 ms) until ipsecd's monitor has reported a child_rekeyed and an ike_rekeyed
  // event; no *_failed event; a lost ping only within a second or two of a rekey (the events' times are
  // whole seconds) and at most two per rekey. The request in flight when the ping stops does not count.
  std::string rekeys_under_traffic() {
    BackgroundPing pinger(ipsecd_.ns(), inner(true), inner(false), std::string(kScratch) + "/ping.out");
    if (!pinger.running()) return "cannot start ping";
    std::string failed;
    std::vector<nlohmann::json> events;
    int child_rekeys = 0, ike_rekeys = 0;
    const bool seen = wait_until(25s, [&] {
      events = ipsecd_.monitor_events();
      for (const auto& e : events) {
        if (e.value("type", "").ends_with("_failed")) failed = e.dump();
      }
      child_rekeys = count_events(events, "child_rekeyed");
      ike_rekeys = count_events(events, "ike_rekeyed");
      return !failed.empty() || (child_rekeys > 0 && ike_rekeys > 0);
    });
    if (!pinger.stop()) return "ping printed no summary:\n" + pinger.output();
    if (!failed.empty()) return "ipsecd reported " + failed;
    if (!seen) {
      return "within 25 s ipsecd reported " + std::to_string(child_rekeys) + " child_rekeyed and " +
             std::to_string(ike_rekeys) + " ike_rekeyed events (want at least one each)";
    }
    summary = std::to_string(child_rekeys) + " CHILD + " + std::to_string(ike_rekeys) + " IKE rekeys, " +
              std::to_string(pinger.received()) + "/" + std::to_string(pinger.sent()) + " pings";
    std::vector<double> rekey_times;
    for (const auto& e : events) {
      const std::string type = e.value("type", "");
      if ((type == "child_rekeyed" || type == "ike_rekeyed") && e["time"].is_number())
        rekey_times.push_back(e["time"].get<double>());
    }
    const auto lost = pinger.lost();
    if (lost.size() > 2 * rekey_times.size()) {
      return std::to_string(lost.size()) + " of " + std::to_string(pinger.sent()) + " pings lost (at most " +
             std::to_string(2 * rekey_times.size()) + " allowed for " + std::to_string(rekey_times.size()) +
             " rekeys):\n" + pinger.output();
    }
    for (int seq : lost) {
      const double at = std::chrono::duration<double>(pinger.sent_at(seq).time_since_epoch()).count();
      const bool near_rekey = std::any_of(rekey_times.begin(), rekey_times.end(),
                                          [&](double t) { return at >= t - 1.0 && at <= t + 2.0; });
      if (!near_rekey) {
        return "ping seq=" + std::to_string(seq) + " was lost away from every rekey (events " +
               nlohmann::json(events).dump() + "):\n" + pinger.output();
      }
    }
    return {};
  }

  std::string down() {
    const auto r = ipsecd_.ctl("down gw --wait=20");
    if (r.status != 0 || !r.json.is_object() || r.json["completed"] != true) return ctl_failure(r);
    if (!wait_until(3s, [&] { return ipsecd_.kernel_sas().empty() && ipsecd_.kernel_policies().empty(); })) {
      return "ipsecd's kernel still holds " + std::to_string(ipsecd_.kernel_sas().size()) + " SAs and " +
             std::to_string(ipsecd_.kernel_policies().size()) + " in/out/fwd policies";
    }
    const auto status = ipsecd_.status();
    if (!status.is_object() || !status["ike_sas"].empty()) return "ipsecd still lists " + status.dump();
    PeerView view;
    if (!wait_until(5s, [&] { return (view = peer_.view()).children.empty(); }))
      return "the peer still shows " + std::to_string(view.children.size()) + " CHILD_SAs:\n" + view.raw;
    return {};
  }

  Peer& peer_;
  const InteropCase& c_;
  TwoGateways& net_;
  Gateway& ipsecd_;
  TunnelOptions options_;
};

}  // namespace

CaseOutcome run_case(Peer& peer, const InteropCase& c) {
  const auto started = std::chrono::steady_clock::now();
  CaseOutcome outcome;
  if (const std::string why = peer.unsupported(c); !why.empty()) {
    outcome.result = CaseOutcome::Result::not_applicable;
    outcome.reason = why;
    return outcome;
  }
  test::run(std::string("rm -rf ") + kScratch + " && mkdir -p " + kScratch);
  std::string problem, step, summary, logs;
  {
    TwoGateways net;
    if (!net.error().empty()) {
      step = "topology";
      problem = net.error();
    } else {
      CaseSteps steps(peer, c, net);
      problem = steps.run();
      step = steps.step;
      summary = steps.summary;
      if (!problem.empty()) {
        logs = "\n---- ipsecd log (tail)\n" + last_lines(net.left().log(), kLogTailLines) + "---- " + peer.name() +
               " log (tail)\n" + last_lines(peer.log(), kLogTailLines);
      }
    }
    peer.stop();
    net.left().stop_monitor();
    net.left().stop();
  }
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (problem.empty()) {
    outcome.result = CaseOutcome::Result::pass;
    outcome.reason = summary;
  } else {
    outcome.result = CaseOutcome::Result::fail;
    outcome.reason = step + ": " + problem + logs;
  }
  return outcome;
}

}  // namespace ipsecd::test
