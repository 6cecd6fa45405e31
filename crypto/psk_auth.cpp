// Shared-key AUTH payload data, auth method 2 (RFC 7296 §2.15).
#include "crypto/psk_auth.h"

#include <botan/mem_ops.h>

#include <string_view>

namespace ipsecd::crypto {

namespace {

// §2.15: the 17 ASCII characters, without a terminating NUL.
constexpr std::string_view key_pad = "Key Pad for IKEv2";

}  // namespace

SecureBytes psk_key_pad(const Prf& prf, ByteView shared_secret) {
  const ByteView pad(reinterpret_cast<const uint8_t*>(key_pad.data()), key_pad.size());
  return prf.compute(shared_secret, pad);
}

SecureBytes psk_auth_padded(const Prf& prf, ByteView padded_key, ByteView signed_octets) {
  return prf.compute(padded_key, signed_octets);
}

bool verify_psk_auth_padded(const Prf& prf, ByteView padded_key, ByteView signed_octets,
                            ByteView received_auth) {
  const SecureBytes expected = psk_auth_padded(prf, padded_key, signed_octets);
  // The length is public (it is the PRF's output size); only the contents need a constant-time compare.
  if (received_auth.size() != expected.size()) return false;
  return Botan::constant_time_compare(expected.data(), received_auth.data(), expected.size());
}

}  // namespace ipsecd::crypto
