// Shared-key AUTH payload data, auth method 2 (RFC 7296 §2.15).
#pragma once

#include "crypto/bytes.h"
#include "crypto/prf.h"

namespace ipsecd::crypto {

// prf(Shared Secret, "Key Pad for IKEv2"): the key of every AUTH made with this secret under this PRF, so a
// side that makes and checks AUTH with one secret can work it out once.
SecureBytes psk_key_pad(const Prf& prf, ByteView shared_secret);

// AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets> ), with the negotiated PRF, from the
// padded key of psk_key_pad().
SecureBytes psk_auth_padded(const Prf& prf, ByteView padded_key, ByteView signed_octets);

// Recomputes AUTH from the padded key and compares it to the received value in constant time; false on any
// length mismatch.
bool verify_psk_auth_padded(const Prf& prf, ByteView padded_key, ByteView signed_octets,
                            ByteView received_auth);

}  // namespace ipsecd::crypto
