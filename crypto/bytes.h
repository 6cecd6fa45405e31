// Byte-string vocabulary of crypto/: public bytes, secret bytes (wiped on free) and read-only views.
#pragma once

#include <botan/secmem.h>

#include <cstdint>
#include <span>
#include <vector>

namespace ipsecd::crypto {

using Bytes = std::vector<uint8_t>;
using SecureBytes = Botan::secure_vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

}  // namespace ipsecd::crypto
