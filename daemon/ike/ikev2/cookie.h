// Stateless IKE_SA_INIT cookies (RFC 7296 §2.6): issue and verify under a periodically rotated secret.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace Botan {
class MessageAuthenticationCode;
class RandomNumberGenerator;
}  // namespace Botan

namespace ipsecd::ikev2 {

enum class CookieCheck : uint8_t {
  valid,
  malformed,       // not the length this issuer gives out
  unknown_secret,  // names a secret that is too old (or never existed)
  mismatch,        // does not belong to this nonce, address and SPI
};

// Cookie = <VersionIDofSecret> | HMAC-SHA-256(<secret>, Ni | IPi | len(IPi) | SPIi) truncated (§2.6).
// The version is 4 bytes, the MAC 16 (128 bits leave nothing to guess), so a cookie is 20 bytes, inside
// the 1..64 the RFC allows. The secret rotates every `period`; the one before stays valid for one more
// period, so a cookie issued just before a rotation still verifies when the initiator returns with it.
// Time and randomness are passed in; the engine decides when cookies are required.
class CookieIssuer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kVersionLength = 4;
  static constexpr size_t kMacLength = 16;
  static constexpr size_t kCookieLength = kVersionLength + kMacLength;

  // Fails when the period is not positive or Botan cannot give HMAC-SHA-256 or random bytes.
  static Expected<CookieIssuer, std::string> create(Botan::RandomNumberGenerator& rng, Clock::duration period,
                                                    Clock::time_point now);

  CookieIssuer(CookieIssuer&&) noexcept;
  CookieIssuer& operator=(CookieIssuer&&) noexcept;
  ~CookieIssuer();

  // `ip_i` is the initiator's address as the datagram showed it (4 or 16 bytes), `spi_i` its IKE SPI.
  crypto::Bytes issue(crypto::ByteView ni, crypto::ByteView ip_i, uint64_t spi_i, Clock::time_point now);
  CookieCheck verify(crypto::ByteView cookie, crypto::ByteView ni, crypto::ByteView ip_i, uint64_t spi_i,
                     Clock::time_point now);

 private:
  struct Secret {
    uint32_t version = 0;
    std::unique_ptr<Botan::MessageAuthenticationCode> mac;  // keyed with the secret
  };

  CookieIssuer(Botan::RandomNumberGenerator& rng, Clock::duration period, Clock::time_point now,
               Secret first);

  static std::optional<Secret> new_secret(Botan::RandomNumberGenerator& rng, uint32_t version);
  void rotate_if_due(Clock::time_point now);
  static crypto::Bytes mac_of(const Secret& secret, crypto::ByteView ni, crypto::ByteView ip_i,
                              uint64_t spi_i);

  Botan::RandomNumberGenerator* rng_;
  Clock::duration period_;
  Clock::time_point current_since_;
  Secret current_;
  std::optional<Secret> previous_;
};

}  // namespace ipsecd::ikev2
