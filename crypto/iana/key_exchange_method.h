// IANA "Transform Type 4 - Key Exchange Method Transform IDs" (IKEv2 parameters registry).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class KeyExchangeMethod : uint16_t {
  NONE = 0,
  MODP_768 = 1,
  MODP_1024 = 2,
  MODP_1536 = 5,
  MODP_2048 = 14,
  MODP_3072 = 15,
  MODP_4096 = 16,
  MODP_6144 = 17,
  MODP_8192 = 18,
  ECP_256 = 19,
  ECP_384 = 20,
  ECP_521 = 21,
  MODP_1024_160_POS = 22,
  MODP_2048_224_POS = 23,
  MODP_2048_256_POS = 24,
  ECP_192 = 25,
  ECP_224 = 26,
  BRAINPOOL_P224R1 = 27,
  BRAINPOOL_P256R1 = 28,
  BRAINPOOL_P384R1 = 29,
  BRAINPOOL_P512R1 = 30,
  CURVE25519 = 31,
  CURVE448 = 32,
};

constexpr std::string_view name(KeyExchangeMethod m) {
  switch (m) {
    case KeyExchangeMethod::NONE: return "NONE";
    case KeyExchangeMethod::MODP_768: return "MODP_768";
    case KeyExchangeMethod::MODP_1024: return "MODP_1024";
    case KeyExchangeMethod::MODP_1536: return "MODP_1536";
    case KeyExchangeMethod::MODP_2048: return "MODP_2048";
    case KeyExchangeMethod::MODP_3072: return "MODP_3072";
    case KeyExchangeMethod::MODP_4096: return "MODP_4096";
    case KeyExchangeMethod::MODP_6144: return "MODP_6144";
    case KeyExchangeMethod::MODP_8192: return "MODP_8192";
    case KeyExchangeMethod::ECP_256: return "ECP_256";
    case KeyExchangeMethod::ECP_384: return "ECP_384";
    case KeyExchangeMethod::ECP_521: return "ECP_521";
    case KeyExchangeMethod::MODP_1024_160_POS: return "MODP_1024_160_POS";
    case KeyExchangeMethod::MODP_2048_224_POS: return "MODP_2048_224_POS";
    case KeyExchangeMethod::MODP_2048_256_POS: return "MODP_2048_256_POS";
    case KeyExchangeMethod::ECP_192: return "ECP_192";
    case KeyExchangeMethod::ECP_224: return "ECP_224";
    case KeyExchangeMethod::BRAINPOOL_P224R1: return "BRAINPOOL_P224R1";
    case KeyExchangeMethod::BRAINPOOL_P256R1: return "BRAINPOOL_P256R1";
    case KeyExchangeMethod::BRAINPOOL_P384R1: return "BRAINPOOL_P384R1";
    case KeyExchangeMethod::BRAINPOOL_P512R1: return "BRAINPOOL_P512R1";
    case KeyExchangeMethod::CURVE25519: return "CURVE25519";
    case KeyExchangeMethod::CURVE448: return "CURVE448";
  }
  return "KE_UNKNOWN";
}

}  // namespace ipsecd::iana
