// Keying material each ESP or AH transform takes from CHILD_SA KEYMAT (RFC 7296 §2.17).
#pragma once

#include "common/expected.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "crypto/ike_key_derivation.h"

#include <cstdint>
#include <string>

namespace ipsecd::crypto {

// ESP: `key_bits` is the Key Length attribute (0 for fixed-size ciphers). The encryption length includes
// the salt or nonce the kernel expects after the key: 4 bytes for AES-CTR (RFC 3686 §5.1), AES-GCM
// (RFC 4106 §8.1), AES-GMAC (RFC 4543) and ChaCha20-Poly1305 (RFC 7634 §2), 3 bytes for AES-CCM
// (RFC 4309 §7.1). Combined-mode ciphers take integrity NONE; other ciphers, ENCR_NULL included, need an
// integrity algorithm: ESP without integrity is refused, as RFC 8221 advises against it.
Expected<ChildSaKeyLengths, std::string> esp_key_lengths(iana::EncryptionAlgorithm encryption,
                                                         uint16_t key_bits,
                                                         iana::IntegrityAlgorithm integrity);

// AH: integrity only.
Expected<ChildSaKeyLengths, std::string> ah_key_lengths(iana::IntegrityAlgorithm integrity);

}  // namespace ipsecd::crypto
