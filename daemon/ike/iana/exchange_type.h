// IANA "IKEv2 Exchange Types" registry (RFC 7296 §3.1, RFC 5723, RFC 9242, RFC 9370, G-IKEv2).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class ExchangeType : uint8_t {
  IKE_SA_INIT = 34,
  IKE_AUTH = 35,
  CREATE_CHILD_SA = 36,
  INFORMATIONAL = 37,
  IKE_SESSION_RESUME = 38,
  GSA_AUTH = 39,
  GSA_REGISTRATION = 40,
  GSA_REKEY = 41,
  IKE_INTERMEDIATE = 43,
  IKE_FOLLOWUP_KE = 44,
};

constexpr std::string_view name(ExchangeType t) {
  switch (t) {
    case ExchangeType::IKE_SA_INIT: return "IKE_SA_INIT";
    case ExchangeType::IKE_AUTH: return "IKE_AUTH";
    case ExchangeType::CREATE_CHILD_SA: return "CREATE_CHILD_SA";
    case ExchangeType::INFORMATIONAL: return "INFORMATIONAL";
    case ExchangeType::IKE_SESSION_RESUME: return "IKE_SESSION_RESUME";
    case ExchangeType::GSA_AUTH: return "GSA_AUTH";
    case ExchangeType::GSA_REGISTRATION: return "GSA_REGISTRATION";
    case ExchangeType::GSA_REKEY: return "GSA_REKEY";
    case ExchangeType::IKE_INTERMEDIATE: return "IKE_INTERMEDIATE";
    case ExchangeType::IKE_FOLLOWUP_KE: return "IKE_FOLLOWUP_KE";
  }
  return "EXCHANGE_UNKNOWN";
}

}  // namespace ipsecd::iana
