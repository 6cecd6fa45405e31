// AUTH payload data for signature auth methods 1, 9, 10, 11 (RFC 7296 §3.8, RFC 4754) and 14 (RFC 7427).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/authentication_method.h"
#include "crypto/iana/hash_algorithm.h"
#include "crypto/signature_algorithm_identifier.h"

#include <optional>
#include <span>
#include <string>

namespace Botan {
class Private_Key;
class Public_Key;
class RandomNumberGenerator;
}  // namespace Botan

namespace ipsecd::crypto {

// For method 14, the scheme a key should sign with given the hashes the peer announced in
// SIGNATURE_HASH_ALGORITHMS: Ed25519 needs IDENTITY; ECDSA prefers the hash matching its curve size; RSA uses
// PKCS#1 v1.5 with the strongest announced SHA-2 (PSS is chosen explicitly by configuration).
Expected<SignatureScheme, std::string> choose_signature_scheme(
    const Botan::Public_Key& key, std::span<const iana::HashAlgorithm> peer_hashes);

// The Authentication Data for `method` over `signed_octets`:
//  - 1: RSASSA-PKCS1-v1_5 with SHA-1 (the only hash RFC 7296 defines for it);
//  - 9/10/11: ECDSA on P-256/P-384/P-521 with SHA-256/384/512, r || s fixed width (RFC 4754 §7);
//  - 14: length byte, AlgorithmIdentifier, signature (RFC 7427 §3); `scheme` is required.
// The key must match the method (and, for 9-11, the curve).
Expected<Bytes, std::string> sign_auth_data(iana::AuthenticationMethod method, const Botan::Private_Key& key,
                                            std::optional<SignatureScheme> scheme, ByteView signed_octets,
                                            Botan::RandomNumberGenerator& rng);

// Verifies received Authentication Data. Returns the scheme that verified; an error says why the signature is
// refused.
//
// For method 14, `acceptable_hashes` is what we announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4): a
// scheme whose hash is not in it is refused before any signature check, and SHA-1 is refused even if listed
// (RFC 8247 §3.2: MUST NOT be used for signatures in IKEv2). Methods 1 and 9-11 fix their hash by definition
// (method 1 is SHA-1, RFC 7296 §3.8) and ignore `acceptable_hashes`.
Expected<SignatureScheme, std::string> verify_auth_data(
    iana::AuthenticationMethod method, const Botan::Public_Key& key, ByteView auth_data,
    ByteView signed_octets, std::span<const iana::HashAlgorithm> acceptable_hashes);

}  // namespace ipsecd::crypto
