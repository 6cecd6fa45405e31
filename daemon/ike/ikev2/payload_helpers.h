// Small builders and readers of payloads shared by the engine's exchange steps.
#pragma once

#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/nat_detection.h"
#include "daemon/ike/payloads.h"

#include <botan/loadstor.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ipsecd::ikev2 {

inline ike::Payload notify_payload(iana::NotifyMessageType type, crypto::Bytes data = {}) {
  return ike::Payload{ike::NotifyPayload{iana::SecurityProtocolId::NONE, {}, type, std::move(data)}};
}

inline bool has_notify(const std::vector<ike::Payload>& payloads, iana::NotifyMessageType type) {
  return !ike::find_notifies(payloads, type).empty();
}

// The first error notify (types below 16384, §3.10.1), if any.
inline const ike::NotifyPayload* first_error_notify(const std::vector<ike::Payload>& payloads) {
  for (const auto& p : payloads) {
    const auto* n = std::get_if<ike::NotifyPayload>(&p.body);
    if (n != nullptr && static_cast<uint16_t>(n->type) < 16384) return n;
  }
  return nullptr;
}

// How the peer's error notify reads as a failure of ours.
inline Failure failure_from_notify(iana::NotifyMessageType type) {
  FailureReason reason = FailureReason::peer_error;
  switch (type) {
    case iana::NotifyMessageType::NO_PROPOSAL_CHOSEN:
      reason = FailureReason::no_proposal_chosen;
      break;
    case iana::NotifyMessageType::INVALID_KE_PAYLOAD:
      reason = FailureReason::invalid_ke_payload;
      break;
    case iana::NotifyMessageType::AUTHENTICATION_FAILED:
      reason = FailureReason::authentication_failed;
      break;
    case iana::NotifyMessageType::TS_UNACCEPTABLE:
      reason = FailureReason::ts_unacceptable;
      break;
    default:
      break;
  }
  return {reason, type, "peer sent " + std::string(iana::name(type))};
}

inline crypto::Bytes spi_bytes(uint32_t spi) {
  crypto::Bytes out(4);
  Botan::store_be(spi, out.data());
  return out;
}

inline std::optional<uint32_t> spi_value(const crypto::Bytes& spi) {
  if (spi.size() != 4) return std::nullopt;
  return Botan::load_be<uint32_t>(spi.data(), 0);
}

// The Delete payloads for one CHILD_SA, naming the SPIs we receive on (§1.4.1). A Delete payload holds
// SPIs of one protocol (§3.11), so an ESP+AH bundle (ah_spi_in not 0) is named by an ESP and an AH one.
inline std::vector<ike::Payload> child_delete_payloads(iana::SecurityProtocolId protocol, uint32_t spi_in,
                                                       uint32_t ah_spi_in) {
  std::vector<ike::Payload> out{ike::Payload{ike::DeletePayload{protocol, {spi_in}}}};
  if (ah_spi_in != 0)
    out.push_back(ike::Payload{ike::DeletePayload{iana::SecurityProtocolId::AH, {ah_spi_in}}});
  return out;
}

// ID Type, RESERVED and Identification Data: what prf(SK_p, RestOfIDPayload) covers (§2.15).
inline crypto::Bytes id_payload_body(const Identity& id) {
  crypto::Bytes out{static_cast<uint8_t>(id.type), 0, 0, 0};
  out.insert(out.end(), id.data.begin(), id.data.end());
  return out;
}

}  // namespace ipsecd::ikev2
