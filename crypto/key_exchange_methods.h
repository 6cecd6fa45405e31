// Constructors of the concrete key exchange families, shared by key_exchange.cpp and their own files.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/key_exchange_method.h"
#include "crypto/key_exchange.h"

#include <memory>
#include <optional>
#include <string>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::crypto::detail {

// In each maker an empty `private_value` means "draw a fresh private value from rng".

std::optional<size_t> modp_length(iana::KeyExchangeMethod method);
Expected<std::unique_ptr<KeyExchange>, std::string> make_modp_exchange(iana::KeyExchangeMethod method,
                                                                       Botan::RandomNumberGenerator& rng,
                                                                       ByteView private_value);

std::optional<size_t> ecp_length(iana::KeyExchangeMethod method);
Expected<std::unique_ptr<KeyExchange>, std::string> make_ecp_exchange(iana::KeyExchangeMethod method,
                                                                      Botan::RandomNumberGenerator& rng,
                                                                      ByteView private_value);

inline constexpr size_t x25519_length = 32;
Expected<std::unique_ptr<KeyExchange>, std::string> make_x25519_exchange(Botan::RandomNumberGenerator& rng,
                                                                         ByteView private_value);

}  // namespace ipsecd::crypto::detail
