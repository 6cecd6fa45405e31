// Assertions shared by the daemon kernel tests: a tunnel is up and carries traffic, ipsecctl's counters are
// the kernel's, and a teardown leaves nothing behind.
#pragma once

#include "tests/kernel/daemon/two_gateways.h"

namespace ipsecd::test {

// Both sides list exactly one established IKE SA (endpoints, identities and proposal filled in) with one
// installed CHILD_SA, the two CHILD_SAs are each other's mirror
// (left's outbound SPI is right's inbound one and vice versa), and each kernel holds exactly that
// CHILD_SA's SAs (two, four for ESP+AH) in the configured mode and its in/out(/fwd) policies.
void require_one_tunnel(TwoGateways& net, const TunnelOptions& options);
// The same as a yes/no answer, and as the reason it is not so (empty when it is), for polling while
// rekeys come and go.
bool exactly_one_tunnel(TwoGateways& net, const TunnelOptions& options);
std::string one_tunnel_problem(TwoGateways& net, const TunnelOptions& options);

// `status --json` of each side agrees with `ip -s xfrm state`: bytes and packets of the inbound and the
// outbound SA (ESP's in a bundle, whose AH SAs must have counted the same packets).
void require_counters_match_kernel(TwoGateways& net, const TunnelOptions& options);

// The same as a reason (empty when they agree), for polling while rekeys come and go.
std::string counters_problem(TwoGateways& net, const TunnelOptions& options);
// One gateway's side of it (the interop tests have one ipsecd and a foreign peer).
std::string counters_problem(Gateway& gw, const TunnelOptions& options);

// `down gw --wait` on the left; then neither kernel holds an SA or an in/out/fwd policy, and neither
// daemon lists an IKE SA.
void require_clean_down(TwoGateways& net);

// What `gw` holds when only a trap is left: the in/out(/fwd) policies of `options`' child, no SA (not even
// the kernel's larval one) and no IKE SA listed. The reason it is not so, empty when it is.
std::string trap_only_problem(Gateway& gw, const TunnelOptions& options);
// `gw` holds nothing: no SA, no in/out/fwd policy, no IKE SA listed. The reason it does, empty when not.
std::string nothing_problem(Gateway& gw);

// Polls up to `limit` until the left holds only its trap (trap_only_problem) and the right nothing
// (nothing_problem); the last reason it is not so, empty when it is.
std::string left_trap_only_problem(TwoGateways& net, const TunnelOptions& options,
                                   std::chrono::milliseconds limit);
// `down gw --wait` on the left, which must succeed: the left keeps its trap, the right holds nothing (within
// 3 s). down's answer.
Gateway::Ctl require_down_keeps_trap(TwoGateways& net, const TunnelOptions& options);

// Traffic from the left's side (`count` pings 0.2 s apart) meets the left's trap: the kernel's ACQUIRE makes
// the left negotiate, and within `limit` exactly one tunnel is up (require_one_tunnel). The pings' result;
// those sent before the CHILD_SA was installed may be lost.
PingResult require_tunnel_from_traffic(TwoGateways& net, const TunnelOptions& options, int count = 10,
                                       std::chrono::milliseconds limit = std::chrono::seconds(15));

// The monitor events (Gateway::stop_monitor) of one type, and all of them as text for a failure message.
std::vector<nlohmann::json> events_of(const std::vector<nlohmann::json>& events, const std::string& type);
std::string events_text(const std::vector<nlohmann::json>& events);

}  // namespace ipsecd::test
