// Stateless IKE_SA_INIT cookies (RFC 7296 §2.6): issue and verify under a periodically rotated secret.
#include "daemon/ike/ikev2/cookie.h"

#include <botan/loadstor.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>
#include <botan/rng.h>

#include <array>
#include <exception>

namespace ipsecd::ikev2 {

namespace {

// As long as HMAC-SHA-256's block-sized key would be useful; more adds nothing.
constexpr size_t kSecretLength = 32;

}  // namespace

CookieIssuer::CookieIssuer(Botan::RandomNumberGenerator& rng, Clock::duration period, Clock::time_point now,
                           Secret first)
    : rng_(&rng), period_(period), current_since_(now), current_(std::move(first)) {}

CookieIssuer::CookieIssuer(CookieIssuer&&) noexcept = default;
CookieIssuer& CookieIssuer::operator=(CookieIssuer&&) noexcept = default;
CookieIssuer::~CookieIssuer() = default;

Expected<CookieIssuer, std::string> CookieIssuer::create(Botan::RandomNumberGenerator& rng,
                                                         Clock::duration period, Clock::time_point now) {
  if (period <= Clock::duration::zero())
    return unexpected(std::string("cookie secret period must be positive"));
  // A random first version: a restarted daemon does not reuse the numbers its predecessor handed out.
  std::array<uint8_t, kVersionLength> version{};
  try {
    rng.randomize(version.data(), version.size());
  } catch (const std::exception& e) {
    return unexpected(std::string("no random bytes for the cookie secret: ") + e.what());
  }
  auto first = new_secret(rng, Botan::load_be<uint32_t>(version.data(), 0));
  if (!first) return unexpected(std::string("cannot create an HMAC-SHA-256 cookie secret"));
  return CookieIssuer(rng, period, now, std::move(*first));
}

std::optional<CookieIssuer::Secret> CookieIssuer::new_secret(Botan::RandomNumberGenerator& rng,
                                                             uint32_t version) {
  try {
    auto mac = Botan::MessageAuthenticationCode::create("HMAC(SHA-256)");
    if (!mac) return std::nullopt;
    const crypto::SecureBytes key = rng.random_vec(kSecretLength);
    mac->set_key(key);
    return Secret{version, std::move(mac)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void CookieIssuer::rotate_if_due(Clock::time_point now) {
  if (now - current_since_ < period_) return;
  const auto elapsed_periods = (now - current_since_) / period_;
  auto next = new_secret(*rng_, current_.version + 1);
  // Without fresh randomness the current secret simply serves longer; the next call tries again.
  if (!next) return;
  if (elapsed_periods == 1) {
    previous_ = std::move(current_);
  } else {
    // Idle for two periods or more: the old current secret has also outlived its grace period.
    previous_.reset();
  }
  current_ = std::move(*next);
  current_since_ += elapsed_periods * period_;
}

crypto::Bytes CookieIssuer::mac_of(const Secret& secret, crypto::ByteView ni, crypto::ByteView ip_i,
                                   uint64_t spi_i) {
  // The address length byte keeps Ni | IPi unambiguous: Ni's length varies (16..256) and IPi is 4 or 16
  // bytes, so without it one concatenation could be read as two different (Ni, IPi) pairs.
  std::array<uint8_t, 9> tail{};
  tail[0] = static_cast<uint8_t>(ip_i.size());
  Botan::store_be(spi_i, tail.data() + 1);
  secret.mac->update(ni.data(), ni.size());
  secret.mac->update(ip_i.data(), ip_i.size());
  secret.mac->update(tail.data(), tail.size());
  const auto full = secret.mac->final();
  return crypto::Bytes(full.begin(), full.begin() + kMacLength);
}

crypto::Bytes CookieIssuer::issue(crypto::ByteView ni, crypto::ByteView ip_i, uint64_t spi_i,
                                  Clock::time_point now) {
  rotate_if_due(now);
  crypto::Bytes cookie(kVersionLength);
  Botan::store_be(current_.version, cookie.data());
  const crypto::Bytes mac = mac_of(current_, ni, ip_i, spi_i);
  cookie.insert(cookie.end(), mac.begin(), mac.end());
  return cookie;
}

CookieCheck CookieIssuer::verify(crypto::ByteView cookie, crypto::ByteView ni, crypto::ByteView ip_i,
                                 uint64_t spi_i, Clock::time_point now) {
  rotate_if_due(now);
  if (cookie.size() != kCookieLength) return CookieCheck::malformed;
  const uint32_t version = Botan::load_be<uint32_t>(cookie.data(), 0);
  const Secret* secret = nullptr;
  if (version == current_.version) {
    secret = &current_;
  } else if (previous_ && version == previous_->version) {
    secret = &*previous_;
  } else {
    return CookieCheck::unknown_secret;
  }
  const crypto::Bytes expected = mac_of(*secret, ni, ip_i, spi_i);
  const bool same = Botan::constant_time_compare(expected.data(), cookie.data() + kVersionLength, kMacLength);
  return same ? CookieCheck::valid : CookieCheck::mismatch;
}

}  // namespace ipsecd::ikev2
