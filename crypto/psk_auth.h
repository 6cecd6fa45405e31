// Shared-key AUTH payload data, auth method 2 (RFC 7296 §2.15).
#pragma once

#include "crypto/bytes.h"
#include "crypto/prf.h"

namespace ipsecd::crypto {

// AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets> ), with the negotiated PRF.
SecureBytes psk_auth(const Prf& prf, ByteView shared_secret, ByteView signed_octets);

// Recomputes AUTH and compares it to the received value in constant time; false on any length mismatch.
bool verify_psk_auth(const Prf& prf, ByteView shared_secret, ByteView signed_octets, ByteView received_auth);

}  // namespace ipsecd::crypto
