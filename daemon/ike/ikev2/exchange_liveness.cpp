// Liveness checks (RFC 7296 §2.4, §1.4): an empty INFORMATIONAL request after dpd_delay without word from
// the peer; it retransmits like any request, and when retransmission gives up the peer is dead
// (on_sa_timer fails the IKE SA with FailureReason::peer_unreachable, removing its CHILD_SAs).
#include "daemon/ike/ikev2/engine.h"

namespace ipsecd::ikev2 {

std::optional<TimePoint> Engine::liveness_deadline(const IkeSa& sa) const {
  // §2.4: only a silence calls for a check. Any request of ours that is out tests liveness already, and
  // an SA that is being deleted or was replaced needs no check.
  if (sa.state != IkeSaState::established || sa.requests.outstanding()) return std::nullopt;
  if (sa.connection->dpd_delay.count() <= 0) return std::nullopt;
  return sa.last_heard + Duration(sa.connection->dpd_delay);
}

void Engine::on_liveness_timer(IkeSa& sa, TimePoint now) {
  const auto due = liveness_deadline(sa);
  if (!due || now < *due) return;
  ++counters_.liveness_checks;
  if (!send_request(sa, iana::ExchangeType::INFORMATIONAL, {})) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, "liveness check could not be built"});
  }
}

}  // namespace ipsecd::ikev2
