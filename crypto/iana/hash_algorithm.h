// IANA "IKEv2 Hash Algorithms" registry (RFC 7427 §7, RFC 8420), sent in SIGNATURE_HASH_ALGORITHMS.
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class HashAlgorithm : uint16_t {
  SHA1 = 1,
  SHA2_256 = 2,
  SHA2_384 = 3,
  SHA2_512 = 4,
  IDENTITY = 5,
};

constexpr std::string_view name(HashAlgorithm h) {
  switch (h) {
    case HashAlgorithm::SHA1: return "SHA1";
    case HashAlgorithm::SHA2_256: return "SHA2_256";
    case HashAlgorithm::SHA2_384: return "SHA2_384";
    case HashAlgorithm::SHA2_512: return "SHA2_512";
    case HashAlgorithm::IDENTITY: return "IDENTITY";
  }
  return "HASH_UNKNOWN";
}

}  // namespace ipsecd::iana
