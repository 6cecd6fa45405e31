// The CSPRNG for nonces, SPIs, IVs and padding: the operating system's generator through Botan.
#include "crypto/random.h"

#include <botan/system_rng.h>

#include <cstring>

namespace ipsecd::crypto {

Botan::RandomNumberGenerator& system_rng() { return Botan::system_rng(); }

Bytes random_bytes(size_t length) {
  Bytes out(length);
  system_rng().randomize(out.data(), out.size());
  return out;
}

SecureBytes random_secret(size_t length) { return system_rng().random_vec(length); }

uint64_t random_u64() {
  uint8_t raw[8];
  system_rng().randomize(raw, sizeof raw);
  uint64_t value;
  std::memcpy(&value, raw, sizeof value);
  return value;
}

}  // namespace ipsecd::crypto
