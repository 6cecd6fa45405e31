// Runs one cell of the interop matrix: ipsecd in gw-left against a real peer in gw-right, with assertions
// on both sides (ipsecctl status --json and the peer's own tool) and on the kernel.
#pragma once

#include "tests/interop/interop_case.h"
#include "tests/interop/peer.h"

#include <string>

namespace ipsecd::test {

struct CaseOutcome {
  enum class Result { pass, fail, not_applicable };
  Result result = Result::fail;
  // fail: "STEP: what went wrong", then both logs' tails; n/a: the peer's reason; pass: a short summary
  // (rekeys seen, pings answered).
  std::string reason;
  double seconds = 0;  // wall time of the case
};

// Brings the case's tunnel up (ipsecd_initiator: `ipsecctl up gw --wait`; ipsecd_responder: the peer
// initiates), checks that both sides list the same CHILD_SA (mirrored SPIs) and the kernels hold it, that
// traffic passes, that ipsecd's CHILD_SA and IKE SA rekeys during continuous traffic succeed with at most
// a few pings lost per rekey, that both sides end with one new CHILD_SA and that ipsecctl's counters are
// the kernel's, then `down gw --wait` leaves nothing behind on either side. Everything is stopped again.
CaseOutcome run_case(Peer& peer, const InteropCase& c);

}  // namespace ipsecd::test
