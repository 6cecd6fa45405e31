// Trust anchors (configured CA certificates and CRLs) and PKIX path validation of peer certificates.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/x509_identity.h"

#include <botan/certstor.h>
#include <botan/pk_keys.h>
#include <botan/x509_crl.h>
#include <botan/x509cert.h>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ipsecd::crypto {

enum class CertificateFailure {
  EXPIRED,
  NOT_YET_VALID,
  UNKNOWN_CA,
  REVOKED,
  BAD_SIGNATURE,
  CRL_PROBLEM,
  NOT_ALLOWED,  // a CA flag, key usage, path length or name constraint forbids this chain
  WEAK,         // key too short or hash not trusted
  MALFORMED,    // the bytes do not decode as a certificate
  OTHER,
};

struct CertificateError {
  CertificateFailure failure;
  // A sentence a person can act on, e.g. "certificate expired: CN=..., ...".
  std::string message;
};

// A chain that validated: the end entity, its public key, the window in which the result may be reused
// (from the latest notBefore to the earliest notAfter on the path), and the names the end entity binds,
// worked out once here rather than at every handshake that reuses the result.
struct ValidatedCertificate {
  Botan::X509_Certificate end_entity;
  std::shared_ptr<const Botan::Public_Key> public_key;
  std::chrono::system_clock::time_point valid_until;
  std::chrono::system_clock::time_point valid_from;
  CertificateIdentity identity;
};

// Not safe for concurrent mutation; build it while loading config, then share it read-only (validate is
// const and may run on worker threads).
class TrustStore {
 public:
  // Only CA certificates are accepted. Botan 2 builds paths up to a self-signed certificate, so an anchor
  // that is not a self-signed root only helps when its root is configured too.
  Expected<Ok, std::string> add_ca(const Botan::X509_Certificate& ca);
  // The CRL's signature is checked during validation against its issuer.
  void add_crl(const Botan::X509_CRL& crl);
  size_t ca_count() const;
  // SHA-1 of each trust anchor's DER SubjectPublicKeyInfo, in the order added: the Certification Authority
  // field of an X.509 CERTREQ (RFC 7296 §3.7).
  const std::vector<Bytes>& ca_key_hashes() const { return ca_key_hashes_; }

  // RFC 5280 path validation of `end_entity` with the untrusted `intermediates` a peer sent, at time `now`.
  // CRLs are consulted where present; a missing CRL is not an error.
  Expected<ValidatedCertificate, CertificateError> validate(
      const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
      std::chrono::system_clock::time_point now) const;

 private:
  Botan::Certificate_Store_In_Memory store_;
  std::vector<Bytes> ca_key_hashes_;
};

}  // namespace ipsecd::crypto
