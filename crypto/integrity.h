// IKEv2 integrity algorithms by IANA transform ID (RFC 7296 §3.3.2, RFC 2404, RFC 3566, RFC 4868).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/integrity_algorithm.h"

#include <memory>
#include <string>

namespace Botan {
class MessageAuthenticationCode;
}

namespace ipsecd::crypto {

class AesXcbcMac;

// Key length (SK_a*) and ICV length, both in bytes.
struct IntegrityLengths {
  size_t key;
  size_t icv;
};

// AUTH_HMAC_MD5_96, AUTH_HMAC_SHA1_96, AUTH_AES_XCBC_96, AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_384_192,
// AUTH_HMAC_SHA2_512_256; an error for any other ID (including NONE).
Expected<IntegrityLengths, std::string> integrity_lengths(iana::IntegrityAlgorithm algorithm);

// One integrity algorithm bound to one key. Immutable once made, so one instance may be shared by threads.
class Integrity {
 public:
  // The key must have exactly integrity_lengths(algorithm).key bytes.
  static Expected<Integrity, std::string> make(iana::IntegrityAlgorithm algorithm, ByteView key);

  Integrity(Integrity&&) noexcept;
  Integrity& operator=(Integrity&&) noexcept;
  ~Integrity();

  iana::IntegrityAlgorithm algorithm() const { return algorithm_; }
  size_t key_size() const { return lengths_.key; }
  size_t icv_size() const { return lengths_.icv; }

  // The MAC truncated to icv_size() bytes.
  Bytes compute(ByteView data) const;
  // Compares in constant time; false also when `icv` has the wrong length.
  bool verify(ByteView data, ByteView icv) const;

 private:
  Integrity(iana::IntegrityAlgorithm algorithm, IntegrityLengths lengths,
            std::unique_ptr<Botan::MessageAuthenticationCode> hmac, std::unique_ptr<AesXcbcMac> xcbc);

  iana::IntegrityAlgorithm algorithm_;
  IntegrityLengths lengths_;
  // Exactly one of these is set, keyed once at make(): the key schedule (HMAC's inner and outer pads)
  // is not redone per message. HMAC state is reset by final(), so compute() is repeatable, but one
  // Integrity must not be used from two threads at once (one per SA direction, owned by the SA's thread).
  mutable std::unique_ptr<Botan::MessageAuthenticationCode> hmac_;
  std::unique_ptr<AesXcbcMac> xcbc_;
};

}  // namespace ipsecd::crypto
