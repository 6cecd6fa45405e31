// The AES-CBC + HMAC-SHA2-256 SK cipher with fixed keys that the fuzz targets seal and open with: block
// alignment and a separate ICV, as most peers use.
#pragma once

#include "crypto/sk_cipher.h"

#include <cstdlib>

namespace ipsecd::fuzz {

inline const crypto::SkCipher& fixed_cbc_cipher() {
  static const auto cipher = [] {
    auto c = crypto::make_sk_cipher(
        {iana::EncryptionAlgorithm::ENCR_AES_CBC, 128, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128},
        crypto::SecureBytes(16, 0x01), crypto::SecureBytes(32, 0x02));
    if (!c) std::abort();
    return std::move(*c);
  }();
  return *cipher;
}

}  // namespace ipsecd::fuzz
