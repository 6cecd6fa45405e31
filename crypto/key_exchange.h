// Key Exchange payload data and shared secrets by IANA Transform Type 4 id (RFC 7296 §3.4, RFC 5903, RFC
// 8031).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/key_exchange_method.h"

#include <memory>
#include <optional>
#include <string>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::crypto {

// One side's ephemeral key pair for one method. Thread-compatible: shared_secret() is const and may run on
// a worker thread while nothing else touches the object.
class KeyExchange {
 public:
  virtual ~KeyExchange() = default;
  virtual iana::KeyExchangeMethod method() const = 0;
  // The Key Exchange Data we send, already in the method's wire encoding.
  virtual const Bytes& public_value() const = 0;
  // Validates the peer's Key Exchange Data before use and returns g^ir in the method's encoding (§2.14).
  virtual Expected<SecureBytes, std::string> shared_secret(ByteView peer_public_value) const = 0;
};

// True for the methods implemented here: MODP 1, 2, 5, 14-18, ECP 19-21 and Curve25519 (31).
bool is_supported(iana::KeyExchangeMethod method);

// Exact length of Key Exchange Data for `method` (RFC 7296 §3.4 says a wrong length is INVALID_SYNTAX);
// nullopt for unsupported methods.
std::optional<size_t> public_value_length(iana::KeyExchangeMethod method);

// A fresh key pair drawn from `rng`.
Expected<std::unique_ptr<KeyExchange>, std::string> make_key_exchange(iana::KeyExchangeMethod method,
                                                                      Botan::RandomNumberGenerator& rng);

// A key pair from a given private value, for known-answer tests: a big-endian exponent (MODP), a big-endian
// scalar of the curve's order length (ECP), or the 32-byte X25519 scalar as RFC 7748 writes it.
Expected<std::unique_ptr<KeyExchange>, std::string> make_key_exchange_from_private(
    iana::KeyExchangeMethod method, ByteView private_value);

}  // namespace ipsecd::crypto
