// IANA "IKEv2 Security Protocol Identifiers" registry (RFC 7296 §3.3.1, RFC 4595).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class SecurityProtocolId : uint8_t {
  // Reserved in the registry; Notify payloads about the IKE SA carry it (§3.10).
  NONE = 0,
  IKE = 1,
  AH = 2,
  ESP = 3,
  FC_ESP_HEADER = 4,
  FC_CT_AUTHENTICATION = 5,
};

constexpr std::string_view name(SecurityProtocolId p) {
  switch (p) {
    case SecurityProtocolId::NONE: return "NONE";
    case SecurityProtocolId::IKE: return "IKE";
    case SecurityProtocolId::AH: return "AH";
    case SecurityProtocolId::ESP: return "ESP";
    case SecurityProtocolId::FC_ESP_HEADER: return "FC_ESP_HEADER";
    case SecurityProtocolId::FC_CT_AUTHENTICATION: return "FC_CT_AUTHENTICATION";
  }
  return "PROTOCOL_UNKNOWN";
}

}  // namespace ipsecd::iana
