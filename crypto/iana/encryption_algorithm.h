// IANA "Transform Type 1 - Encryption Algorithm Transform IDs" (IKEv2 parameters registry).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class EncryptionAlgorithm : uint16_t {
  ENCR_DES_IV64 = 1,
  ENCR_DES = 2,
  ENCR_3DES = 3,
  ENCR_RC5 = 4,
  ENCR_IDEA = 5,
  ENCR_CAST = 6,
  ENCR_BLOWFISH = 7,
  ENCR_3IDEA = 8,
  ENCR_DES_IV32 = 9,
  ENCR_NULL = 11,
  ENCR_AES_CBC = 12,
  ENCR_AES_CTR = 13,
  ENCR_AES_CCM_8 = 14,
  ENCR_AES_CCM_12 = 15,
  ENCR_AES_CCM_16 = 16,
  ENCR_AES_GCM_8 = 18,
  ENCR_AES_GCM_12 = 19,
  ENCR_AES_GCM_16 = 20,
  ENCR_NULL_AUTH_AES_GMAC = 21,
  ENCR_CAMELLIA_CBC = 23,
  ENCR_CAMELLIA_CTR = 24,
  ENCR_CAMELLIA_CCM_8 = 25,
  ENCR_CAMELLIA_CCM_12 = 26,
  ENCR_CAMELLIA_CCM_16 = 27,
  ENCR_CHACHA20_POLY1305 = 28,
};

constexpr std::string_view name(EncryptionAlgorithm a) {
  switch (a) {
    case EncryptionAlgorithm::ENCR_DES_IV64: return "ENCR_DES_IV64";
    case EncryptionAlgorithm::ENCR_DES: return "ENCR_DES";
    case EncryptionAlgorithm::ENCR_3DES: return "ENCR_3DES";
    case EncryptionAlgorithm::ENCR_RC5: return "ENCR_RC5";
    case EncryptionAlgorithm::ENCR_IDEA: return "ENCR_IDEA";
    case EncryptionAlgorithm::ENCR_CAST: return "ENCR_CAST";
    case EncryptionAlgorithm::ENCR_BLOWFISH: return "ENCR_BLOWFISH";
    case EncryptionAlgorithm::ENCR_3IDEA: return "ENCR_3IDEA";
    case EncryptionAlgorithm::ENCR_DES_IV32: return "ENCR_DES_IV32";
    case EncryptionAlgorithm::ENCR_NULL: return "ENCR_NULL";
    case EncryptionAlgorithm::ENCR_AES_CBC: return "ENCR_AES_CBC";
    case EncryptionAlgorithm::ENCR_AES_CTR: return "ENCR_AES_CTR";
    case EncryptionAlgorithm::ENCR_AES_CCM_8: return "ENCR_AES_CCM_8";
    case EncryptionAlgorithm::ENCR_AES_CCM_12: return "ENCR_AES_CCM_12";
    case EncryptionAlgorithm::ENCR_AES_CCM_16: return "ENCR_AES_CCM_16";
    case EncryptionAlgorithm::ENCR_AES_GCM_8: return "ENCR_AES_GCM_8";
    case EncryptionAlgorithm::ENCR_AES_GCM_12: return "ENCR_AES_GCM_12";
    case EncryptionAlgorithm::ENCR_AES_GCM_16: return "ENCR_AES_GCM_16";
    case EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC: return "ENCR_NULL_AUTH_AES_GMAC";
    case EncryptionAlgorithm::ENCR_CAMELLIA_CBC: return "ENCR_CAMELLIA_CBC";
    case EncryptionAlgorithm::ENCR_CAMELLIA_CTR: return "ENCR_CAMELLIA_CTR";
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_8: return "ENCR_CAMELLIA_CCM_8";
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_12: return "ENCR_CAMELLIA_CCM_12";
    case EncryptionAlgorithm::ENCR_CAMELLIA_CCM_16: return "ENCR_CAMELLIA_CCM_16";
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305: return "ENCR_CHACHA20_POLY1305";
  }
  return "ENCR_UNKNOWN";
}

}  // namespace ipsecd::iana
