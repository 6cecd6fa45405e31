// IANA "Transform Type 2 - Pseudorandom Function Transform IDs" (IKEv2 parameters registry).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class PseudorandomFunction : uint16_t {
  PRF_HMAC_MD5 = 1,
  PRF_HMAC_SHA1 = 2,
  PRF_HMAC_TIGER = 3,
  PRF_AES128_XCBC = 4,
  PRF_HMAC_SHA2_256 = 5,
  PRF_HMAC_SHA2_384 = 6,
  PRF_HMAC_SHA2_512 = 7,
  PRF_AES128_CMAC = 8,
};

constexpr std::string_view name(PseudorandomFunction p) {
  switch (p) {
    case PseudorandomFunction::PRF_HMAC_MD5: return "PRF_HMAC_MD5";
    case PseudorandomFunction::PRF_HMAC_SHA1: return "PRF_HMAC_SHA1";
    case PseudorandomFunction::PRF_HMAC_TIGER: return "PRF_HMAC_TIGER";
    case PseudorandomFunction::PRF_AES128_XCBC: return "PRF_AES128_XCBC";
    case PseudorandomFunction::PRF_HMAC_SHA2_256: return "PRF_HMAC_SHA2_256";
    case PseudorandomFunction::PRF_HMAC_SHA2_384: return "PRF_HMAC_SHA2_384";
    case PseudorandomFunction::PRF_HMAC_SHA2_512: return "PRF_HMAC_SHA2_512";
    case PseudorandomFunction::PRF_AES128_CMAC: return "PRF_AES128_CMAC";
  }
  return "PRF_UNKNOWN";
}

}  // namespace ipsecd::iana
