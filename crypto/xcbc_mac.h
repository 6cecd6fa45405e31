// AES-XCBC-MAC (RFC 3566) on Botan's AES-128, which Botan 2 does not provide.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"

#include <botan/block_cipher.h>

#include <memory>
#include <string>

namespace ipsecd::crypto {

// One keyed AES-XCBC-MAC. Immutable once made (AES encryption in Botan is const), so one instance may be
// shared by threads. The full 128-bit tag is returned: AES-XCBC-MAC-96 (RFC 3566 §2.2) truncates it,
// AES-XCBC-PRF-128 (RFC 4434) does not.
class AesXcbcMac {
 public:
  static constexpr size_t key_size = 16;
  static constexpr size_t tag_size = 16;

  // The key must be exactly 16 bytes (RFC 3566 §2.1 has no variable-length keys).
  static Expected<AesXcbcMac, std::string> make(ByteView key);

  SecureBytes compute(ByteView message) const;

 private:
  AesXcbcMac(std::unique_ptr<Botan::BlockCipher> k1, SecureBytes k2, SecureBytes k3);

  std::unique_ptr<Botan::BlockCipher> k1_;
  SecureBytes k2_;
  SecureBytes k3_;
};

}  // namespace ipsecd::crypto
