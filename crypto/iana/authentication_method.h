// IANA "IKEv2 Authentication Method" registry (RFC 7296 §3.8, RFC 4754, RFC 7427).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class AuthenticationMethod : uint8_t {
  RSA_DIGITAL_SIGNATURE = 1,
  SHARED_KEY_MIC = 2,
  DSS_DIGITAL_SIGNATURE = 3,
  ECDSA_SHA256_P256 = 9,
  ECDSA_SHA384_P384 = 10,
  ECDSA_SHA512_P521 = 11,
  GENERIC_SECURE_PASSWORD = 12,
  NULL_AUTHENTICATION = 13,
  DIGITAL_SIGNATURE = 14,
};

constexpr std::string_view name(AuthenticationMethod m) {
  switch (m) {
    case AuthenticationMethod::RSA_DIGITAL_SIGNATURE: return "RSA_DIGITAL_SIGNATURE";
    case AuthenticationMethod::SHARED_KEY_MIC: return "SHARED_KEY_MIC";
    case AuthenticationMethod::DSS_DIGITAL_SIGNATURE: return "DSS_DIGITAL_SIGNATURE";
    case AuthenticationMethod::ECDSA_SHA256_P256: return "ECDSA_SHA256_P256";
    case AuthenticationMethod::ECDSA_SHA384_P384: return "ECDSA_SHA384_P384";
    case AuthenticationMethod::ECDSA_SHA512_P521: return "ECDSA_SHA512_P521";
    case AuthenticationMethod::GENERIC_SECURE_PASSWORD: return "GENERIC_SECURE_PASSWORD";
    case AuthenticationMethod::NULL_AUTHENTICATION: return "NULL_AUTHENTICATION";
    case AuthenticationMethod::DIGITAL_SIGNATURE: return "DIGITAL_SIGNATURE";
  }
  return "AUTH_METHOD_UNKNOWN";
}

}  // namespace ipsecd::iana
