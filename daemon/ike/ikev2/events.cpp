// Names of the engine's failure reasons and SA states, as logs and ipsecctl print them.
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/ike_sa.h"

namespace ipsecd::ikev2 {

std::string_view name(FailureReason reason) {
  switch (reason) {
    case FailureReason::no_proposal_chosen:
      return "no proposal chosen";
    case FailureReason::invalid_ke_payload:
      return "invalid KE payload";
    case FailureReason::authentication_failed:
      return "authentication failed";
    case FailureReason::identity_mismatch:
      return "identity mismatch";
    case FailureReason::ts_unacceptable:
      return "traffic selectors unacceptable";
    case FailureReason::kernel_refused:
      return "kernel refused";
    case FailureReason::peer_unreachable:
      return "peer unreachable";
    case FailureReason::half_open_timeout:
      return "half-open timeout";
    case FailureReason::protocol_error:
      return "protocol error";
    case FailureReason::peer_error:
      return "peer error";
    case FailureReason::certificate_untrusted:
      return "certificate untrusted";
    case FailureReason::certificate_expired:
      return "certificate expired";
    case FailureReason::certificate_revoked:
      return "certificate revoked";
    case FailureReason::certificate_not_allowed:
      return "certificate not allowed";
    case FailureReason::certificate_invalid:
      return "certificate invalid";
    case FailureReason::id_not_in_certificate:
      return "ID not in certificate";
    case FailureReason::bad_signature:
      return "bad signature";
    case FailureReason::hash_not_acceptable:
      return "hash not acceptable";
    case FailureReason::ike_sa_deleted:
      return "IKE SA deleted";
  }
  return "unknown";
}

std::string_view name(IkeSaState state) {
  switch (state) {
    case IkeSaState::init_sent:
      return "IKE_SA_INIT sent";
    case IkeSaState::auth_sent:
      return "IKE_AUTH sent";
    case IkeSaState::half_open:
      return "half-open";
    case IkeSaState::established:
      return "established";
    case IkeSaState::deleting:
      return "deleting";
    case IkeSaState::rekeyed:
      return "rekeyed";
  }
  return "unknown";
}

}  // namespace ipsecd::ikev2
