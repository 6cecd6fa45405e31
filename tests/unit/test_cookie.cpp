// Tests for stateless cookies (RFC 7296 §2.6): a cookie verifies only for its own nonce, address and SPI,
// and only while its secret is current or one period old.
#include "daemon/ike/ikev2/cookie.h"

#include <botan/hmac_drbg.h>
#include <botan/mac.h>

#include <catch2/catch.hpp>

#include <chrono>

using ipsecd::crypto::Bytes;
using namespace ipsecd::ikev2;
using namespace std::chrono_literals;

namespace {

using Clock = CookieIssuer::Clock;

// A seeded DRBG keeps the tests deterministic.
struct SeededRng {
  explicit SeededRng(uint8_t seed)
      : drbg(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)")) {
    const Bytes entropy(32, seed);
    drbg.add_entropy(entropy.data(), entropy.size());
  }
  Botan::HMAC_DRBG drbg;
};

const Clock::time_point kStart{1000s};
constexpr auto kPeriod = 60s;

const Bytes kNi(32, 0xa5);
const Bytes kIp = {192, 0, 2, 1};
constexpr uint64_t kSpi = 0x0123456789abcdef;

}  // namespace

TEST_CASE("A cookie verifies for what it was issued for", "[cookie]") {
  SeededRng rng(1);
  auto issuer = CookieIssuer::create(rng.drbg, kPeriod, kStart);
  REQUIRE(issuer.has_value());
  const Bytes cookie = issuer->issue(kNi, kIp, kSpi, kStart);
  CHECK(cookie.size() == CookieIssuer::kCookieLength);
  CHECK(cookie.size() <= 64);
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi, kStart) == CookieCheck::valid);
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi, kStart + kPeriod - 1ms) == CookieCheck::valid);
  // Stateless: issuing again gives the same cookie under the same secret.
  CHECK(issuer->issue(kNi, kIp, kSpi, kStart + 1s) == cookie);

  const Bytes ipv6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const Bytes v6_cookie = issuer->issue(kNi, ipv6, kSpi, kStart);
  CHECK(issuer->verify(v6_cookie, kNi, ipv6, kSpi, kStart) == CookieCheck::valid);
  CHECK(v6_cookie != cookie);
}

TEST_CASE("A cookie is refused for anything else", "[cookie]") {
  SeededRng rng(2);
  auto issuer = CookieIssuer::create(rng.drbg, kPeriod, kStart);
  REQUIRE(issuer.has_value());
  const Bytes cookie = issuer->issue(kNi, kIp, kSpi, kStart);

  for (size_t i = CookieIssuer::kVersionLength; i < cookie.size(); ++i) {
    Bytes modified = cookie;
    modified[i] ^= 0x01;
    INFO("byte " << i);
    CHECK(issuer->verify(modified, kNi, kIp, kSpi, kStart) == CookieCheck::mismatch);
  }
  Bytes other_nonce = kNi;
  other_nonce.back() ^= 0x80;
  CHECK(issuer->verify(cookie, other_nonce, kIp, kSpi, kStart) == CookieCheck::mismatch);
  const Bytes longer_nonce(33, 0xa5);
  CHECK(issuer->verify(cookie, longer_nonce, kIp, kSpi, kStart) == CookieCheck::mismatch);
  const Bytes other_ip = {192, 0, 2, 2};
  CHECK(issuer->verify(cookie, kNi, other_ip, kSpi, kStart) == CookieCheck::mismatch);
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi ^ 1, kStart) == CookieCheck::mismatch);

  // Moving bytes between Ni and IPi does not give the same input: Ni 32 + IPv4 vs Ni 20 + IPv6.
  Bytes ni_20(kNi.begin(), kNi.begin() + 20);
  Bytes ip_16(kNi.begin() + 20, kNi.end());
  ip_16.insert(ip_16.end(), kIp.begin(), kIp.end());
  CHECK(issuer->verify(cookie, ni_20, ip_16, kSpi, kStart) == CookieCheck::mismatch);

  CHECK(issuer->verify(Bytes(cookie.begin(), cookie.end() - 1), kNi, kIp, kSpi, kStart) ==
        CookieCheck::malformed);
  Bytes longer = cookie;
  longer.push_back(0);
  CHECK(issuer->verify(longer, kNi, kIp, kSpi, kStart) == CookieCheck::malformed);
  CHECK(issuer->verify(Bytes{}, kNi, kIp, kSpi, kStart) == CookieCheck::malformed);
}

TEST_CASE("Cookies outlive one rotation but not two", "[cookie]") {
  SeededRng rng(3);
  auto issuer = CookieIssuer::create(rng.drbg, kPeriod, kStart);
  REQUIRE(issuer.has_value());
  // Issued just before the first rotation.
  const Bytes cookie = issuer->issue(kNi, kIp, kSpi, kStart + kPeriod - 1s);

  // After one rotation: a new secret signs, the old one still verifies.
  const Bytes fresh = issuer->issue(kNi, kIp, kSpi, kStart + kPeriod + 1s);
  CHECK(fresh != cookie);
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi, kStart + kPeriod + 1s) == CookieCheck::valid);
  CHECK(issuer->verify(fresh, kNi, kIp, kSpi, kStart + kPeriod + 1s) == CookieCheck::valid);

  // After the second rotation the first secret is gone; the second now serves as the previous one.
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi, kStart + 2 * kPeriod) == CookieCheck::unknown_secret);
  CHECK(issuer->verify(fresh, kNi, kIp, kSpi, kStart + 2 * kPeriod) == CookieCheck::valid);
  CHECK(issuer->verify(fresh, kNi, kIp, kSpi, kStart + 3 * kPeriod) == CookieCheck::unknown_secret);
}

TEST_CASE("A long idle time retires both secrets at once", "[cookie]") {
  SeededRng rng(4);
  auto issuer = CookieIssuer::create(rng.drbg, kPeriod, kStart);
  REQUIRE(issuer.has_value());
  const Bytes cookie = issuer->issue(kNi, kIp, kSpi, kStart);
  // No call for two periods: the secret that signed the cookie is more than one period out of service.
  CHECK(issuer->verify(cookie, kNi, kIp, kSpi, kStart + 2 * kPeriod + 1s) == CookieCheck::unknown_secret);

  SeededRng rng2(5);
  auto other = CookieIssuer::create(rng2.drbg, kPeriod, kStart);
  REQUIRE(other.has_value());
  const Bytes cookie2 = other->issue(kNi, kIp, kSpi, kStart);
  // One period and a bit of idleness: still valid as the previous secret.
  CHECK(other->verify(cookie2, kNi, kIp, kSpi, kStart + kPeriod + 30s) == CookieCheck::valid);
}

TEST_CASE("Unknown secret versions are refused", "[cookie]") {
  SeededRng rng(6);
  auto issuer = CookieIssuer::create(rng.drbg, kPeriod, kStart);
  REQUIRE(issuer.has_value());
  const Bytes cookie = issuer->issue(kNi, kIp, kSpi, kStart);
  for (size_t i = 0; i < CookieIssuer::kVersionLength; ++i) {
    Bytes modified = cookie;
    modified[i] ^= 0x40;
    INFO("byte " << i);
    CHECK(issuer->verify(modified, kNi, kIp, kSpi, kStart) == CookieCheck::unknown_secret);
  }
  // Another issuer's cookie fails: different secret, and almost surely a different version too.
  SeededRng rng2(7);
  auto other = CookieIssuer::create(rng2.drbg, kPeriod, kStart);
  REQUIRE(other.has_value());
  const Bytes foreign = other->issue(kNi, kIp, kSpi, kStart);
  CHECK(issuer->verify(foreign, kNi, kIp, kSpi, kStart) != CookieCheck::valid);
}

TEST_CASE("Cookie issuer refuses a period that is not positive", "[cookie]") {
  SeededRng rng(8);
  auto zero = CookieIssuer::create(rng.drbg, Clock::duration::zero(), kStart);
  REQUIRE_FALSE(zero.has_value());
  CHECK_THAT(zero.error(), Catch::Contains("period"));
  CHECK_FALSE(CookieIssuer::create(rng.drbg, -1s, kStart).has_value());
}
