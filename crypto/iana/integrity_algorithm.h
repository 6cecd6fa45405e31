// IANA "Transform Type 3 - Integrity Algorithm Transform IDs" (IKEv2 parameters registry).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class IntegrityAlgorithm : uint16_t {
  NONE = 0,
  AUTH_HMAC_MD5_96 = 1,
  AUTH_HMAC_SHA1_96 = 2,
  AUTH_DES_MAC = 3,
  AUTH_KPDK_MD5 = 4,
  AUTH_AES_XCBC_96 = 5,
  AUTH_HMAC_MD5_128 = 6,
  AUTH_HMAC_SHA1_160 = 7,
  AUTH_AES_CMAC_96 = 8,
  AUTH_AES_128_GMAC = 9,
  AUTH_AES_192_GMAC = 10,
  AUTH_AES_256_GMAC = 11,
  AUTH_HMAC_SHA2_256_128 = 12,
  AUTH_HMAC_SHA2_384_192 = 13,
  AUTH_HMAC_SHA2_512_256 = 14,
};

constexpr std::string_view name(IntegrityAlgorithm a) {
  switch (a) {
    case IntegrityAlgorithm::NONE: return "NONE";
    case IntegrityAlgorithm::AUTH_HMAC_MD5_96: return "AUTH_HMAC_MD5_96";
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_96: return "AUTH_HMAC_SHA1_96";
    case IntegrityAlgorithm::AUTH_DES_MAC: return "AUTH_DES_MAC";
    case IntegrityAlgorithm::AUTH_KPDK_MD5: return "AUTH_KPDK_MD5";
    case IntegrityAlgorithm::AUTH_AES_XCBC_96: return "AUTH_AES_XCBC_96";
    case IntegrityAlgorithm::AUTH_HMAC_MD5_128: return "AUTH_HMAC_MD5_128";
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_160: return "AUTH_HMAC_SHA1_160";
    case IntegrityAlgorithm::AUTH_AES_CMAC_96: return "AUTH_AES_CMAC_96";
    case IntegrityAlgorithm::AUTH_AES_128_GMAC: return "AUTH_AES_128_GMAC";
    case IntegrityAlgorithm::AUTH_AES_192_GMAC: return "AUTH_AES_192_GMAC";
    case IntegrityAlgorithm::AUTH_AES_256_GMAC: return "AUTH_AES_256_GMAC";
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128: return "AUTH_HMAC_SHA2_256_128";
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192: return "AUTH_HMAC_SHA2_384_192";
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256: return "AUTH_HMAC_SHA2_512_256";
  }
  return "AUTH_UNKNOWN";
}

}  // namespace ipsecd::iana
