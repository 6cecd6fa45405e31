// IANA "IKEv2 Payload Types" registry (RFC 7296 §3.2, RFC 7383 for SKF).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class PayloadType : uint8_t {
  NO_NEXT_PAYLOAD = 0,
  SA = 33,
  KE = 34,
  IDi = 35,
  IDr = 36,
  CERT = 37,
  CERTREQ = 38,
  AUTH = 39,
  NONCE = 40,
  NOTIFY = 41,
  DELETE = 42,
  VENDOR_ID = 43,
  TSi = 44,
  TSr = 45,
  SK = 46,
  CP = 47,
  EAP = 48,
  GSPM = 49,
  IDg = 50,
  GSA = 51,
  KD = 52,
  SKF = 53,
  PS = 54,
};

constexpr std::string_view name(PayloadType t) {
  switch (t) {
    case PayloadType::NO_NEXT_PAYLOAD: return "NO_NEXT_PAYLOAD";
    case PayloadType::SA: return "SA";
    case PayloadType::KE: return "KE";
    case PayloadType::IDi: return "IDi";
    case PayloadType::IDr: return "IDr";
    case PayloadType::CERT: return "CERT";
    case PayloadType::CERTREQ: return "CERTREQ";
    case PayloadType::AUTH: return "AUTH";
    case PayloadType::NONCE: return "Ni/Nr";
    case PayloadType::NOTIFY: return "N";
    case PayloadType::DELETE: return "D";
    case PayloadType::VENDOR_ID: return "V";
    case PayloadType::TSi: return "TSi";
    case PayloadType::TSr: return "TSr";
    case PayloadType::SK: return "SK";
    case PayloadType::CP: return "CP";
    case PayloadType::EAP: return "EAP";
    case PayloadType::GSPM: return "GSPM";
    case PayloadType::IDg: return "IDg";
    case PayloadType::GSA: return "GSA";
    case PayloadType::KD: return "KD";
    case PayloadType::SKF: return "SKF";
    case PayloadType::PS: return "PS";
  }
  return "UNKNOWN";
}

}  // namespace ipsecd::iana
