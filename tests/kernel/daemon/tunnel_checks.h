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

}  // namespace ipsecd::test
