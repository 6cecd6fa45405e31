// Curve25519 Diffie-Hellman for IKEv2, group 31 (RFC 8031 on top of RFC 7748 X25519).
#include "crypto/key_exchange_methods.h"

#include <botan/curve25519.h>
#include <botan/rng.h>

#include <fmt/format.h>

#include <exception>

namespace ipsecd::crypto::detail {

namespace {

class X25519Exchange final : public KeyExchange {
 public:
  explicit X25519Exchange(std::unique_ptr<Botan::Curve25519_PrivateKey> key)
      : key_(std::move(key)), public_(key_->public_value()) {}

  iana::KeyExchangeMethod method() const override { return iana::KeyExchangeMethod::CURVE25519; }
  const Bytes& public_value() const override { return public_; }

  Expected<SecureBytes, std::string> shared_secret(ByteView peer) const override {
    // RFC 8031 §2: the Key Exchange Data is the 32-byte u-coordinate as RFC 7748 encodes it.
    if (peer.size() != x25519_length) {
      return unexpected(
          fmt::format("CURVE25519 public value is {} bytes, expected {}", peer.size(), x25519_length));
    }
    try {
      SecureBytes secret = key_->agree(peer.data(), peer.size());
      // RFC 8031 §2.1 / RFC 7748 §6.1: a low-order peer point yields all zeros, which MUST be refused.
      // OR every byte so the time taken does not depend on where a nonzero byte sits.
      uint8_t any = 0;
      for (uint8_t b : secret) any = static_cast<uint8_t>(any | b);
      if (any == 0) return unexpected(std::string("CURVE25519 shared secret is all zeros (low-order point)"));
      return secret;
    } catch (const std::exception& e) {
      return unexpected(fmt::format("CURVE25519 agreement failed: {}", e.what()));
    }
  }

 private:
  std::unique_ptr<Botan::Curve25519_PrivateKey> key_;
  Bytes public_;
};

}  // namespace

Expected<std::unique_ptr<KeyExchange>, std::string> make_x25519_exchange(Botan::RandomNumberGenerator& rng,
                                                                         ByteView private_value) {
  try {
    std::unique_ptr<Botan::Curve25519_PrivateKey> key;
    if (private_value.empty()) {
      key = std::make_unique<Botan::Curve25519_PrivateKey>(rng);
    } else if (private_value.size() != x25519_length) {
      return unexpected(fmt::format("CURVE25519 private value is {} bytes, expected {}", private_value.size(),
                                    x25519_length));
    } else {
      // Botan clamps the scalar as RFC 7748 §5 requires.
      key = std::make_unique<Botan::Curve25519_PrivateKey>(
          SecureBytes(private_value.begin(), private_value.end()));
    }
    return std::unique_ptr<KeyExchange>(std::make_unique<X25519Exchange>(std::move(key)));
  } catch (const std::exception& e) {
    return unexpected(fmt::format("CURVE25519 key generation failed: {}", e.what()));
  }
}

}  // namespace ipsecd::crypto::detail
