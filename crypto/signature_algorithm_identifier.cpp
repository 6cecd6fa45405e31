// Signature schemes of RFC 7427 Digital Signature auth and their ASN.1 AlgorithmIdentifier blobs (RFC 7427
// §3).
#include "crypto/signature_algorithm_identifier.h"

#include <botan/alg_id.h>
#include <botan/asn1_obj.h>
#include <botan/ber_dec.h>
#include <botan/der_enc.h>

#include <fmt/format.h>

#include <exception>
#include <optional>

namespace ipsecd::crypto {

namespace {

// Object identifiers (RFC 8017 App. C, RFC 5758 §3.2, RFC 8410 §3, NIST CSOR for the hashes).
const Botan::OID oid_sha1{1, 3, 14, 3, 2, 26};
const Botan::OID oid_sha256{2, 16, 840, 1, 101, 3, 4, 2, 1};
const Botan::OID oid_sha384{2, 16, 840, 1, 101, 3, 4, 2, 2};
const Botan::OID oid_sha512{2, 16, 840, 1, 101, 3, 4, 2, 3};
const Botan::OID oid_mgf1{1, 2, 840, 113549, 1, 1, 8};
const Botan::OID oid_rsassa_pss{1, 2, 840, 113549, 1, 1, 10};
const Botan::OID oid_sha1_rsa{1, 2, 840, 113549, 1, 1, 5};
const Botan::OID oid_sha256_rsa{1, 2, 840, 113549, 1, 1, 11};
const Botan::OID oid_sha384_rsa{1, 2, 840, 113549, 1, 1, 12};
const Botan::OID oid_sha512_rsa{1, 2, 840, 113549, 1, 1, 13};
const Botan::OID oid_ecdsa_sha256{1, 2, 840, 10045, 4, 3, 2};
const Botan::OID oid_ecdsa_sha384{1, 2, 840, 10045, 4, 3, 3};
const Botan::OID oid_ecdsa_sha512{1, 2, 840, 10045, 4, 3, 4};
const Botan::OID oid_ed25519{1, 3, 101, 112};

struct PssHash {
  SignatureScheme scheme;
  const Botan::OID* hash;
  size_t salt;
};

const PssHash pss_hashes[] = {
    {SignatureScheme::RSA_PSS_SHA256, &oid_sha256, 32},
    {SignatureScheme::RSA_PSS_SHA384, &oid_sha384, 48},
    {SignatureScheme::RSA_PSS_SHA512, &oid_sha512, 64},
};

// RSASSA-PSS-params (RFC 8017 App. A.2.3) with every field explicitly tagged.
Bytes encode_pss_params(const PssHash& p) {
  const Botan::AlgorithmIdentifier hash(*p.hash, Botan::AlgorithmIdentifier::USE_NULL_PARAM);
  Bytes hash_der;
  Botan::DER_Encoder(hash_der).encode(hash);
  const Botan::AlgorithmIdentifier mgf(oid_mgf1, hash_der);
  Bytes out;
  Botan::DER_Encoder(out)
      .start_cons(Botan::SEQUENCE)
      .start_cons(Botan::ASN1_Tag(0), Botan::CONTEXT_SPECIFIC)
      .encode(hash)
      .end_cons()
      .start_cons(Botan::ASN1_Tag(1), Botan::CONTEXT_SPECIFIC)
      .encode(mgf)
      .end_cons()
      .start_cons(Botan::ASN1_Tag(2), Botan::CONTEXT_SPECIFIC)
      .encode(p.salt)
      .end_cons()
      .end_cons();
  return out;
}

Expected<SignatureScheme, std::string> decode_pss_params(const std::vector<uint8_t>& params) {
  // DEFAULT values from RFC 8017 A.2.3: SHA-1, MGF1 with SHA-1, salt 20, trailer 1.
  const Botan::AlgorithmIdentifier sha1_default(oid_sha1, Botan::AlgorithmIdentifier::USE_NULL_PARAM);
  Botan::AlgorithmIdentifier hash;
  Botan::AlgorithmIdentifier mgf;
  size_t salt = 0;
  size_t trailer = 0;
  Botan::BER_Decoder(params)
      .start_cons(Botan::SEQUENCE)
      .decode_optional(hash, Botan::ASN1_Tag(0),
                       Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC), sha1_default)
      .decode_optional(mgf, Botan::ASN1_Tag(1), Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC),
                       Botan::AlgorithmIdentifier(oid_mgf1, std::vector<uint8_t>()))
      .decode_optional(salt, Botan::ASN1_Tag(2),
                       Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC), size_t(20))
      .decode_optional(trailer, Botan::ASN1_Tag(3),
                       Botan::ASN1_Tag(Botan::CONSTRUCTED | Botan::CONTEXT_SPECIFIC), size_t(1))
      .end_cons()
      .verify_end();
  if (!hash.parameters_are_null_or_empty()) return unexpected(std::string("RSASSA-PSS hash has parameters"));
  if (mgf.get_oid() != oid_mgf1) return unexpected(std::string("RSASSA-PSS mask generation is not MGF1"));
  Botan::AlgorithmIdentifier mgf_hash;
  Botan::BER_Decoder(mgf.get_parameters()).decode(mgf_hash).verify_end();
  for (const auto& p : pss_hashes) {
    if (hash.get_oid() != *p.hash) continue;
    // RFC 7427 §A.4 and RFC 8247: MGF1 uses the same hash and the salt is as long as the hash.
    if (mgf_hash.get_oid() != *p.hash || !mgf_hash.parameters_are_null_or_empty() || salt != p.salt ||
        trailer != 1) {
      return unexpected(
          fmt::format("unsupported RSASSA-PSS parameters (salt {}, trailer {})", salt, trailer));
    }
    return p.scheme;
  }
  return unexpected(fmt::format("unsupported RSASSA-PSS hash {}", hash.get_oid().to_string()));
}

}  // namespace

std::string_view name(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::RSA_PKCS1_SHA1:
      return "sha1WithRSAEncryption";
    case SignatureScheme::RSA_PKCS1_SHA256:
      return "sha256WithRSAEncryption";
    case SignatureScheme::RSA_PKCS1_SHA384:
      return "sha384WithRSAEncryption";
    case SignatureScheme::RSA_PKCS1_SHA512:
      return "sha512WithRSAEncryption";
    case SignatureScheme::RSA_PSS_SHA256:
      return "RSASSA-PSS with SHA-256";
    case SignatureScheme::RSA_PSS_SHA384:
      return "RSASSA-PSS with SHA-384";
    case SignatureScheme::RSA_PSS_SHA512:
      return "RSASSA-PSS with SHA-512";
    case SignatureScheme::ECDSA_SHA256:
      return "ecdsa-with-SHA256";
    case SignatureScheme::ECDSA_SHA384:
      return "ecdsa-with-SHA384";
    case SignatureScheme::ECDSA_SHA512:
      return "ecdsa-with-SHA512";
    case SignatureScheme::ED25519:
      return "Ed25519";
  }
  return "unknown signature scheme";
}

iana::HashAlgorithm hash_algorithm(SignatureScheme scheme) {
  switch (scheme) {
    case SignatureScheme::RSA_PKCS1_SHA1:
      return iana::HashAlgorithm::SHA1;
    case SignatureScheme::RSA_PKCS1_SHA256:
    case SignatureScheme::RSA_PSS_SHA256:
    case SignatureScheme::ECDSA_SHA256:
      return iana::HashAlgorithm::SHA2_256;
    case SignatureScheme::RSA_PKCS1_SHA384:
    case SignatureScheme::RSA_PSS_SHA384:
    case SignatureScheme::ECDSA_SHA384:
      return iana::HashAlgorithm::SHA2_384;
    case SignatureScheme::RSA_PKCS1_SHA512:
    case SignatureScheme::RSA_PSS_SHA512:
    case SignatureScheme::ECDSA_SHA512:
      return iana::HashAlgorithm::SHA2_512;
    case SignatureScheme::ED25519:
      return iana::HashAlgorithm::IDENTITY;
  }
  return iana::HashAlgorithm::IDENTITY;
}

Bytes encode_algorithm_identifier(SignatureScheme scheme) {
  using Botan::AlgorithmIdentifier;
  AlgorithmIdentifier id;
  switch (scheme) {
    // RFC 4055 §5: PKCS#1 v1.5 identifiers carry NULL parameters.
    case SignatureScheme::RSA_PKCS1_SHA1:
      id = {oid_sha1_rsa, AlgorithmIdentifier::USE_NULL_PARAM};
      break;
    case SignatureScheme::RSA_PKCS1_SHA256:
      id = {oid_sha256_rsa, AlgorithmIdentifier::USE_NULL_PARAM};
      break;
    case SignatureScheme::RSA_PKCS1_SHA384:
      id = {oid_sha384_rsa, AlgorithmIdentifier::USE_NULL_PARAM};
      break;
    case SignatureScheme::RSA_PKCS1_SHA512:
      id = {oid_sha512_rsa, AlgorithmIdentifier::USE_NULL_PARAM};
      break;
    case SignatureScheme::RSA_PSS_SHA256:
      id = {oid_rsassa_pss, encode_pss_params(pss_hashes[0])};
      break;
    case SignatureScheme::RSA_PSS_SHA384:
      id = {oid_rsassa_pss, encode_pss_params(pss_hashes[1])};
      break;
    case SignatureScheme::RSA_PSS_SHA512:
      id = {oid_rsassa_pss, encode_pss_params(pss_hashes[2])};
      break;
    // RFC 5758 §3.2 and RFC 8410 §3: ECDSA and Ed25519 identifiers have absent parameters.
    case SignatureScheme::ECDSA_SHA256:
      id = {oid_ecdsa_sha256, AlgorithmIdentifier::USE_EMPTY_PARAM};
      break;
    case SignatureScheme::ECDSA_SHA384:
      id = {oid_ecdsa_sha384, AlgorithmIdentifier::USE_EMPTY_PARAM};
      break;
    case SignatureScheme::ECDSA_SHA512:
      id = {oid_ecdsa_sha512, AlgorithmIdentifier::USE_EMPTY_PARAM};
      break;
    case SignatureScheme::ED25519:
      id = {oid_ed25519, AlgorithmIdentifier::USE_EMPTY_PARAM};
      break;
  }
  Bytes out;
  Botan::DER_Encoder(out).encode(id);
  return out;
}

Expected<SignatureScheme, std::string> decode_algorithm_identifier(ByteView der) {
  try {
    Botan::AlgorithmIdentifier id;
    Botan::BER_Decoder(der.data(), der.size()).decode(id).verify_end();
    const Botan::OID& oid = id.get_oid();
    if (oid == oid_rsassa_pss) return decode_pss_params(id.get_parameters());

    const struct {
      const Botan::OID* oid;
      SignatureScheme scheme;
    } simple[] = {
        {&oid_sha1_rsa, SignatureScheme::RSA_PKCS1_SHA1},
        {&oid_sha256_rsa, SignatureScheme::RSA_PKCS1_SHA256},
        {&oid_sha384_rsa, SignatureScheme::RSA_PKCS1_SHA384},
        {&oid_sha512_rsa, SignatureScheme::RSA_PKCS1_SHA512},
        {&oid_ecdsa_sha256, SignatureScheme::ECDSA_SHA256},
        {&oid_ecdsa_sha384, SignatureScheme::ECDSA_SHA384},
        {&oid_ecdsa_sha512, SignatureScheme::ECDSA_SHA512},
        {&oid_ed25519, SignatureScheme::ED25519},
    };
    for (const auto& s : simple) {
      if (oid != *s.oid) continue;
      if (!id.parameters_are_null_or_empty()) {
        return unexpected(fmt::format("AlgorithmIdentifier {} has unexpected parameters", oid.to_string()));
      }
      return s.scheme;
    }
    return unexpected(fmt::format("unsupported signature algorithm {}", oid.to_string()));
  } catch (const std::exception& e) {
    return unexpected(fmt::format("malformed AlgorithmIdentifier: {}", e.what()));
  }
}

}  // namespace ipsecd::crypto
