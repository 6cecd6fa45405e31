// The never-repeating 64-bit counter that supplies AEAD IVs for IKEv2 SK payloads (RFC 5282 §3.1, RFC 7634
// §2).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"

#include <cstdint>
#include <string>

namespace ipsecd::crypto {

// GCM and ChaCha20-Poly1305 lose confidentiality and integrity if an IV ever repeats under one key; a
// counter guarantees it cannot, where 64 random bits would only make it unlikely. Not for concurrent use.
class IvCounter {
 public:
  explicit IvCounter(uint64_t first = 0) : next_(first) {}

  // The next value as 8 big-endian bytes. After 2^64-1 has been handed out every further call is an
  // error: wrapping would repeat an IV, so the SA must be rekeyed instead.
  Expected<Bytes, std::string> next();

 private:
  uint64_t next_;
  bool exhausted_ = false;
};

}  // namespace ipsecd::crypto
