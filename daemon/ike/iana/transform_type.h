// IANA "Transform Type Values" registry (RFC 7296 §3.3.2).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

// Transform IDs for each type live in crypto/iana/ (EncryptionAlgorithm, PseudorandomFunction,
// IntegrityAlgorithm, KeyExchangeMethod); ESN uses 0 (no) and 1 (yes).
enum class TransformType : uint8_t {
  ENCR = 1,
  PRF = 2,
  INTEG = 3,
  KE = 4,
  ESN = 5,
};

constexpr std::string_view name(TransformType t) {
  switch (t) {
    case TransformType::ENCR: return "ENCR";
    case TransformType::PRF: return "PRF";
    case TransformType::INTEG: return "INTEG";
    case TransformType::KE: return "KE";
    case TransformType::ESN: return "ESN";
  }
  return "TRANSFORM_TYPE_UNKNOWN";
}

}  // namespace ipsecd::iana
