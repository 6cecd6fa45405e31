// Assertions on the state of two ipsecd gateways: ipsecctl's view against iproute2's.
#include "tests/kernel/daemon/tunnel_checks.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

const char* main_protocol(const TunnelOptions& o) { return o.esp.empty() ? "ah" : "esp"; }
size_t sas_per_side(const TunnelOptions& o) { return !o.esp.empty() && !o.ah.empty() ? 4 : 2; }
// Tunnel mode on a gateway adds a fwd policy for the inbound direction (forwarded LAN traffic).
size_t policies_per_side(const TunnelOptions& o) { return o.transport ? 2 : 3; }

}  // namespace

std::string one_tunnel_problem(TwoGateways& net, const TunnelOptions& o) {
  const auto left_status = net.left().status();
  const auto right_status = net.right().status();
  for (const auto* status : {&left_status, &right_status}) {
    if (!status->is_object() || (*status)["ike_sas"].size() != 1) return "not exactly one IKE SA listed";
    const auto& ike = (*status)["ike_sas"][0];
    if (ike["state"] != "established") return "the IKE SA is " + ike["state"].dump();
    for (const char* key : {"local", "remote", "local_id", "remote_id", "proposal"}) {
      if (ike[key] == "") return std::string("the IKE SA's ") + key + " is empty: " + ike.dump();
    }
  }
  const auto left = children_of(left_status);
  const auto right = children_of(right_status);
  if (left.size() != 1 || right.size() != 1) {
    return "CHILD_SAs listed: left " + std::to_string(left.size()) + ", right " +
           std::to_string(right.size());
  }
  if (left[0]["state"] != "installed" || right[0]["state"] != "installed")
    return "a CHILD_SA is not installed";
  if (left[0]["spi_out"] != right[0]["spi_in"] || left[0]["spi_in"] != right[0]["spi_out"]) {
    return "the two sides' SPIs do not mirror each other: left " + left[0].dump() + ", right " +
           right[0].dump();
  }
  for (Gateway* gw : {&net.left(), &net.right()}) {
    const auto child = gw == &net.left() ? left[0] : right[0];
    const auto sas = gw->kernel_sas();
    if (sas.size() != sas_per_side(o))
      return gw->ns() + " kernel holds " + std::to_string(sas.size()) + " SAs";
    for (const auto& spi : {child["spi_in"], child["spi_out"]}) {
      const auto sa = find_sa(sas, main_protocol(o), spi_of(spi));
      if (!sa) return gw->ns() + " kernel has no " + main_protocol(o) + " SA " + spi.dump();
      if (sa->mode != (o.transport ? "transport" : "tunnel")) return gw->ns() + " SA in mode " + sa->mode;
    }
    const auto policies = gw->kernel_policies();
    if (policies.size() != policies_per_side(o)) {
      return gw->ns() + " kernel holds " + std::to_string(policies.size()) + " policies";
    }
  }
  return {};
}

bool exactly_one_tunnel(TwoGateways& net, const TunnelOptions& options) {
  return one_tunnel_problem(net, options).empty();
}

void require_one_tunnel(TwoGateways& net, const TunnelOptions& options) {
  const std::string problem = one_tunnel_problem(net, options);
  INFO("left status: " << net.left().status().dump(1));
  INFO("right status: " << net.right().status().dump(1));
  REQUIRE(problem == "");
}

std::string counters_problem(Gateway& gw, const TunnelOptions& o) {
  const auto children = children_of(gw.status());
  const auto sas = gw.kernel_sas();
  if (children.size() != 1) return gw.ns() + " lists " + std::to_string(children.size()) + " CHILD_SAs";
  const auto& child = children[0];
  const auto in = find_sa(sas, main_protocol(o), spi_of(child["spi_in"]));
  const auto out = find_sa(sas, main_protocol(o), spi_of(child["spi_out"]));
  if (!in || !out) return gw.ns() + " kernel lacks an SA of " + child.dump();
  if (child["bytes_in"] != in->bytes || child["packets_in"] != in->packets ||
      child["bytes_out"] != out->bytes || child["packets_out"] != out->packets) {
    return gw.ns() + " status " + child.dump() + " but the kernel counts in " + std::to_string(in->bytes) +
           " bytes " + std::to_string(in->packets) + " packets, out " + std::to_string(out->bytes) +
           " bytes " + std::to_string(out->packets) + " packets";
  }
  return {};
}

std::string counters_problem(TwoGateways& net, const TunnelOptions& o) {
  for (Gateway* gw : {&net.left(), &net.right()}) {
    if (auto problem = counters_problem(*gw, o); !problem.empty()) return problem;
  }
  return {};
}

void require_counters_match_kernel(TwoGateways& net, const TunnelOptions& options) {
  for (Gateway* gw : {&net.left(), &net.right()}) {
    const auto status = gw->status();
    const auto sas = gw->kernel_sas();
    const auto children = children_of(status);
    INFO(gw->ns() << " status: " << status.dump(1));
    REQUIRE(children.size() == 1);
    const auto& child = children[0];
    const auto in = find_sa(sas, main_protocol(options), spi_of(child["spi_in"]));
    const auto out = find_sa(sas, main_protocol(options), spi_of(child["spi_out"]));
    REQUIRE(in);
    REQUIRE(out);
    CHECK(child["bytes_in"].get<long long>() == in->bytes);
    CHECK(child["packets_in"].get<long long>() == in->packets);
    CHECK(child["bytes_out"].get<long long>() == out->bytes);
    CHECK(child["packets_out"].get<long long>() == out->packets);
    CHECK(in->packets > 0);
    CHECK(out->packets > 0);
    CHECK(child["mode"] == (options.transport ? "transport" : "tunnel"));
    CHECK(child["protocol"] == (options.ah.empty() ? "ESP" : options.esp.empty() ? "AH" : "ESP+AH"));
    // ESP/AH framing from the negotiated transforms (crypto/ipsec_overhead.h): a tunnel adds an outer
    // header, a bundle an AH header; either way the MSS for a 1500-octet path is below the plain 1460.
    const auto overhead = child["overhead_bytes"].get<int>();
    CHECK(overhead >= (options.transport ? 24 : 44));
    CHECK(overhead <= 120);
    const auto mss = child["mss_1500"].get<int>();
    CHECK(mss >= 1300);
    CHECK(mss <= 1460 - (options.transport ? 0 : 20) - 16);
    CHECK(child["life_in_seconds"].is_number());
    if (sas_per_side(options) == 4) {
      // The AH SAs of the bundle wrap every ESP packet: same packet counts, in each direction.
      long long ah_in = -1, ah_out = -1;
      for (const auto& sa : sas) {
        if (sa.proto != "ah") continue;
        (sa.dst == in->dst ? ah_in : ah_out) = sa.packets;
      }
      CHECK(ah_in == in->packets);
      CHECK(ah_out == out->packets);
    }
  }
}

void require_clean_down(TwoGateways& net) {
  const auto down = net.left().ctl("down gw --wait=30");
  INFO("down: " << down.output);
  REQUIRE(down.status == 0);
  CHECK(down.json["completed"] == true);
  for (Gateway* gw : {&net.left(), &net.right()}) {
    // The peer removes its SAs when it handles our Delete, before it answers; a short grace covers the
    // moment between its answer and our reading.
    const bool clean =
        wait_until(2s, [&] { return gw->kernel_sas().empty() && gw->kernel_policies().empty(); });
    INFO(gw->ns() << " SAs left: " << gw->kernel_sas().size()
                  << ", policies left: " << gw->kernel_policies().size());
    CHECK(clean);
    const auto status = gw->status();
    REQUIRE(status.is_object());
    CHECK(status["ike_sas"].empty());
  }
}

std::string trap_only_problem(Gateway& gw, const TunnelOptions& o) {
  if (const auto sas = gw.kernel_sas(); !sas.empty()) {
    return gw.ns() + " kernel holds " + std::to_string(sas.size()) + " SAs";
  }
  if (const auto policies = gw.kernel_policies(); policies.size() != policies_per_side(o)) {
    return gw.ns() + " kernel holds " + std::to_string(policies.size()) + " policies";
  }
  const auto status = gw.status();
  if (!status.is_object()) return gw.ns() + " daemon does not answer";
  if (!status["ike_sas"].empty()) return gw.ns() + " lists IKE SAs: " + status["ike_sas"].dump();
  return {};
}

std::string nothing_problem(Gateway& gw) {
  if (const auto sas = gw.kernel_sas(); !sas.empty()) {
    return gw.ns() + " kernel holds " + std::to_string(sas.size()) + " SAs";
  }
  if (const auto policies = gw.kernel_policies(); !policies.empty()) {
    return gw.ns() + " kernel holds " + std::to_string(policies.size()) + " policies";
  }
  const auto status = gw.status();
  if (!status.is_object()) return gw.ns() + " daemon does not answer";
  if (!status["ike_sas"].empty()) return gw.ns() + " lists IKE SAs: " + status["ike_sas"].dump();
  return {};
}

std::string left_trap_only_problem(TwoGateways& net, const TunnelOptions& o,
                                   std::chrono::milliseconds limit) {
  std::string problem;
  wait_until(limit, [&] {
    problem = trap_only_problem(net.left(), o);
    if (problem.empty()) problem = nothing_problem(net.right());
    return problem.empty();
  });
  return problem;
}

Gateway::Ctl require_down_keeps_trap(TwoGateways& net, const TunnelOptions& o) {
  auto down = net.left().ctl("down gw --wait=30");
  INFO("down: " << down.output);
  REQUIRE(down.status == 0);
  const std::string problem = left_trap_only_problem(net, o, 3s);
  INFO("after down: " << problem);
  CHECK(problem.empty());
  return down;
}

PingResult require_tunnel_from_traffic(TwoGateways& net, const TunnelOptions& o, int count,
                                       std::chrono::milliseconds limit) {
  const auto pinged = ping(net.left().ns(), net.left_inner(o), net.right_inner(o), count);
  std::string problem;
  const bool up = wait_until(limit, [&] {
    problem = one_tunnel_problem(net, o);
    return problem.empty();
  });
  INFO("ping: " << pinged.output);
  INFO("last problem: " << problem);
  INFO(net.logs());
  REQUIRE(up);
  require_one_tunnel(net, o);
  return pinged;
}

std::vector<nlohmann::json> events_of(const std::vector<nlohmann::json>& events, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events) {
    if (e.value("type", "") == type) out.push_back(e);
  }
  return out;
}

std::string events_text(const std::vector<nlohmann::json>& events) {
  std::string text;
  for (const auto& e : events) text += e.dump() + "\n";
  return text;
}

}  // namespace ipsecd::test
