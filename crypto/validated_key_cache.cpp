// A bounded cache of peer certificates that passed path validation, keyed by their exact DER bytes.
#include "crypto/validated_key_cache.h"

#include "crypto/x509_load.h"

#include <fmt/format.h>

#include <exception>
#include <vector>

namespace ipsecd::crypto {

ValidatedKeyCache::ValidatedKeyCache(std::shared_ptr<const TrustStore> store, size_t capacity)
    : store_(std::move(store)), capacity_(capacity == 0 ? 1 : capacity) {}

std::shared_ptr<const ValidatedCertificate> ValidatedKeyCache::find(
    const std::string& der, std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mutex_);
  const auto it = index_.find(der);
  if (it == index_.end()) return nullptr;
  const std::shared_ptr<const ValidatedCertificate> cached = it->second->second;
  if (now >= cached->valid_from && now < cached->valid_until) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return cached;
  }
  // Something on the path has expired since, or is not valid yet at `now` (a clock set back or a caller
  // passing an earlier time).
  lru_.erase(it->second);
  index_.erase(it);
  return nullptr;
}

Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError>
ValidatedKeyCache::validate_and_remember(std::string der, const Botan::X509_Certificate& end_entity,
                                         std::span<const Botan::X509_Certificate> intermediates,
                                         std::chrono::system_clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    ++validations_;
  }
  // Validation runs outside the lock so other peers' lookups are not held up behind it.
  auto result = store_->validate(end_entity, intermediates, now);
  if (!result) return unexpected(result.error());
  auto validated = std::make_shared<const ValidatedCertificate>(std::move(result).value());

  std::lock_guard lock(mutex_);
  if (auto it = index_.find(der); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(std::move(der), validated);
  index_[lru_.front().first] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return validated;
}

Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> ValidatedKeyCache::validate(
    const Botan::X509_Certificate& end_entity, std::span<const Botan::X509_Certificate> intermediates,
    std::chrono::system_clock::time_point now) {
  std::string der;
  try {
    const std::vector<uint8_t> encoded = end_entity.BER_encode();
    der.assign(encoded.begin(), encoded.end());
  } catch (const std::exception& e) {
    return unexpected(CertificateError{CertificateFailure::MALFORMED,
                                       fmt::format("certificate cannot be encoded: {}", e.what())});
  }
  if (auto cached = find(der, now)) return cached;
  return validate_and_remember(std::move(der), end_entity, intermediates, now);
}

Expected<std::shared_ptr<const ValidatedCertificate>, CertificateError> ValidatedKeyCache::validate_encoded(
    ByteView end_entity, std::span<const ByteView> intermediates, std::chrono::system_clock::time_point now) {
  std::string der(end_entity.begin(), end_entity.end());
  if (auto cached = find(der, now)) return cached;

  auto parsed_end_entity = parse_certificate(end_entity);
  if (!parsed_end_entity) {
    return unexpected(CertificateError{CertificateFailure::MALFORMED, std::move(parsed_end_entity.error())});
  }
  std::vector<Botan::X509_Certificate> parsed_intermediates;
  parsed_intermediates.reserve(intermediates.size());
  for (ByteView bytes : intermediates) {
    auto parsed = parse_certificate(bytes);
    if (!parsed)
      return unexpected(CertificateError{CertificateFailure::MALFORMED, std::move(parsed.error())});
    parsed_intermediates.push_back(std::move(*parsed));
  }
  return validate_and_remember(std::move(der), *parsed_end_entity, parsed_intermediates, now);
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
