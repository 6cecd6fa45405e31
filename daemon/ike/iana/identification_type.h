// IANA "IKEv2 Identification Payload ID Types" registry (RFC 7296 §3.5, RFC 7619 for ID_NULL).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class IdentificationType : uint8_t {
  ID_IPV4_ADDR = 1,
  ID_FQDN = 2,
  ID_RFC822_ADDR = 3,
  ID_IPV6_ADDR = 5,
  ID_DER_ASN1_DN = 9,
  ID_DER_ASN1_GN = 10,
  ID_KEY_ID = 11,
  ID_FC_NAME = 12,
  ID_NULL = 13,
};

constexpr std::string_view name(IdentificationType t) {
  switch (t) {
    case IdentificationType::ID_IPV4_ADDR: return "ID_IPV4_ADDR";
    case IdentificationType::ID_FQDN: return "ID_FQDN";
    case IdentificationType::ID_RFC822_ADDR: return "ID_RFC822_ADDR";
    case IdentificationType::ID_IPV6_ADDR: return "ID_IPV6_ADDR";
    case IdentificationType::ID_DER_ASN1_DN: return "ID_DER_ASN1_DN";
    case IdentificationType::ID_DER_ASN1_GN: return "ID_DER_ASN1_GN";
    case IdentificationType::ID_KEY_ID: return "ID_KEY_ID";
    case IdentificationType::ID_FC_NAME: return "ID_FC_NAME";
    case IdentificationType::ID_NULL: return "ID_NULL";
  }
  return "ID_UNKNOWN";
}

}  // namespace ipsecd::iana
