// prf+, the IKEv2 key-stretching function (RFC 7296 §2.13).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/prf.h"

#include <string>

namespace ipsecd::crypto {

// The iteration counter is one octet, so prf+ yields at most this many PRF outputs (RFC 7296 §2.13).
inline constexpr size_t prf_plus_max_iterations = 255;

// The first `length` bytes of T1 | T2 | ... where Tn = prf(K, Tn-1 | S | n) and T0 is empty. An error when
// `length` needs more than 255 iterations.
Expected<SecureBytes, std::string> prf_plus(const Prf& prf, ByteView key, ByteView seed, size_t length);

}  // namespace ipsecd::crypto
