// Signature schemes of RFC 7427 Digital Signature auth and their ASN.1 AlgorithmIdentifier blobs (RFC 7427
// §3).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/hash_algorithm.h"

#include <string>
#include <string_view>

namespace ipsecd::crypto {

// The signature algorithms this daemon signs or verifies with auth method 14.
enum class SignatureScheme {
  RSA_PKCS1_SHA1,  // verify only: RFC 8247 §3.2 says MUST NOT sign with SHA-1
  RSA_PKCS1_SHA256,
  RSA_PKCS1_SHA384,
  RSA_PKCS1_SHA512,
  RSA_PSS_SHA256,  // RSASSA-PSS, MGF1 with the same hash, salt length = hash length (RFC 7427 §A.4)
  RSA_PSS_SHA384,
  RSA_PSS_SHA512,
  ECDSA_SHA256,  // any curve; the signature is a DER ECDSA-Sig-Value (RFC 7427 §3)
  ECDSA_SHA384,
  ECDSA_SHA512,
  ED25519,  // RFC 8420: PureEdDSA over the signed octets, announced as hash IDENTITY
};

std::string_view name(SignatureScheme scheme);

// The SIGNATURE_HASH_ALGORITHMS value a peer must have announced for us to use `scheme` (RFC 7427 §4).
iana::HashAlgorithm hash_algorithm(SignatureScheme scheme);

// DER AlgorithmIdentifier, as sent after the length byte in the AUTH payload. Hash AlgorithmIdentifiers
// inside RSASSA-PSS parameters carry NULL parameters and the DEFAULT trailerField is omitted, as DER
// requires.
Bytes encode_algorithm_identifier(SignatureScheme scheme);

// Maps a received AlgorithmIdentifier back to a scheme. Hash parameters may be NULL or absent and an explicit
// trailerField of 1 is accepted (RFC 4055 §2.1, §3.1); anything else unknown is an error naming the OID.
Expected<SignatureScheme, std::string> decode_algorithm_identifier(ByteView der);

}  // namespace ipsecd::crypto
