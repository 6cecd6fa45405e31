// A bounded cache of peer certificates that passed path validation, keyed by certificate fingerprint.
#pragma once

#include "common/expected.h"
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
// shares: at or after the latest notBefore and before the earliest notAfter (RFC 5280 §6.1.3). The cache
// belongs to one TrustStore: a config reload with new CAs or CRLs makes a new cache. Thread-safe.
class ValidatedKeyCache {
 public:
  ValidatedKeyCache(std::shared_ptr<const TrustStore> store, size_t capacity);

  Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> validate(
      const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
      std::chrono::system_clock::time_point now);

  // Full path validations performed so far (cache misses), for tests and statistics.
  size_t validations() const;
  size_t size() const;
  // The trust anchors this cache validates against (for CERTREQ, RFC 7296 §3.7).
  const TrustStore& store() const { return *store_; }

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const ValidatedCertificate>>;

  std::shared_ptr<const TrustStore> store_;
  size_t capacity_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  size_t validations_ = 0;
};

}  // namespace ipsecd::crypto
