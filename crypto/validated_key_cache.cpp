// A bounded cache of peer certificates that passed path validation, keyed by certificate fingerprint.
#include "crypto/validated_key_cache.h"

namespace ipsecd::crypto {

ValidatedKeyCache::ValidatedKeyCache(std::shared_ptr<const TrustStore> store, size_t capacity)
    : store_(std::move(store)), capacity_(capacity == 0 ? 1 : capacity) {}

Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> ValidatedKeyCache::validate(
    const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
    std::chrono::system_clock::time_point now) {
  // SHA-256 over the whole DER certificate: a different certificate for the same key is a different entry.
  const std::string fingerprint = end_entity.fingerprint("SHA-256");
  {
    std::lock_guard lock(mutex_);
    if (auto it = index_.find(fingerprint); it != index_.end()) {
      const ValidatedCertificate& cached = *it->second->second;
      if (now >= cached.valid_from && now < cached.valid_until) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->second;
      }
      // Something on the path has expired since, or is not valid yet at `now` (a clock set back or a
      // caller passing an earlier time): forget it and let validation report why.
      lru_.erase(it->second);
      index_.erase(it);
    }
    ++validations_;
  }

  // Validation runs outside the lock so other peers' lookups are not held up behind it.
  auto result = store_->validate(end_entity, intermediates, now);
  if (!result) return unexpected(result.error());
  auto validated = std::make_shared<const ValidatedCertificate>(std::move(result).value());

  std::lock_guard lock(mutex_);
  if (auto it = index_.find(fingerprint); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(fingerprint, validated);
  index_[fingerprint] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return validated;
}

size_t ValidatedKeyCache::validations() const {
  std::lock_guard lock(mutex_);
  return validations_;
}

size_t ValidatedKeyCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace ipsecd::crypto
