// A bounded cache of peer certificates that passed path validation, keyed by their exact DER bytes.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/x509_store.h"

#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

namespace ipsecd::crypto {

// Path validation costs about 1.7 ms, and peers present the same certificate at every rekey and
// reconnect, so a validated end entity is remembered (least recently used evicted beyond `capacity`).
// A hit is only reused while `now` is inside the window every certificate of the path that validated
// shares: at or after the latest notBefore and before the earliest notAfter (RFC 5280 §6.1.3). Failures
// are never remembered. The cache belongs to one TrustStore: a config reload with new CAs or CRLs makes a
// new cache. Thread-safe.
class ValidatedKeyCache {
 public:
  ValidatedKeyCache(std::shared_ptr<const TrustStore> store, size_t capacity);

  // A certificate is the same entry as before when its DER encoding is byte for byte the same.
  Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> validate(
      const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
      std::chrono::system_clock::time_point now);

  // The same for certificates as a peer's CERT payloads carry them (encoding 4, DER; RFC 7296 §3.6). An end
  // entity with exactly the bytes of one validated before is answered without parsing anything: decoding
  // a certificate and its intermediate costs more than checking an Ed25519 signature, and a peer resends
  // the same bytes at every handshake. The intermediates are then not looked at, as they only help build a
  // path that is already known. On a miss every certificate is parsed (MALFORMED when one cannot be) and
  // the chain validated as above.
  Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> validate_encoded(
      ByteView end_entity, std::span<const ByteView> intermediates,
      std::chrono::system_clock::time_point now);

  // Full path validations performed so far (cache misses), for tests and statistics.
  size_t validations() const;
  size_t size() const;
  // The trust anchors this cache validates against (for CERTREQ, RFC 7296 §3.7).
  const TrustStore& store() const { return *store_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const ValidatedCertificate>>;

  // The entry for `der` if it is valid at `now`; one that is not is forgotten, so validation runs again
  // and reports why.
  std::shared_ptr<const ValidatedCertificate> find(const std::string& der,
                                                   std::chrono::system_clock::time_point now);
  Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> validate_and_remember(
      std::string der, const Botan::X509_Certificate& end_entity,
      std::span<const Botan::X509_Certificate> intermediates, std::chrono::system_clock::time_point now);

  std::shared_ptr<const TrustStore> store_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t validations_ = 0;
};

}  // namespace ipsecd::crypto
