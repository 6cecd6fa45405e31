// The CSPRNG for nonces, SPIs, IVs and padding: the operating system's generator through Botan.
#pragma once

#include "crypto/bytes.h"

#include <cstdint>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::crypto {

// Botan's System_RNG (getrandom(2)); thread-safe, no state of our own to seed or reseed.
Botan::RandomNumberGenerator& system_rng();

Bytes random_bytes(size_t length);
SecureBytes random_secret(size_t length);
uint64_t random_u64();

}  // namespace ipsecd::crypto
