// Dispatch from IANA key exchange method ids to the MODP, ECP and Curve25519 implementations.
#include "crypto/key_exchange.h"

#include "crypto/key_exchange_methods.h"
#include "crypto/random.h"

#include <fmt/format.h>

namespace ipsecd::crypto {

namespace {

Expected<std::unique_ptr<KeyExchange>, std::string> make(iana::KeyExchangeMethod method,
                                                         Botan::RandomNumberGenerator& rng,
                                                         ByteView private_value) {
  if (detail::modp_length(method)) return detail::make_modp_exchange(method, rng, private_value);
  if (detail::ecp_length(method)) return detail::make_ecp_exchange(method, rng, private_value);
  if (method == iana::KeyExchangeMethod::CURVE25519) return detail::make_x25519_exchange(rng, private_value);
  return unexpected(fmt::format("key exchange method {} ({}) is not supported", iana::name(method),
                                static_cast<unsigned>(method)));
}

}  // namespace

bool is_supported(iana::KeyExchangeMethod method) { return public_value_length(method).has_value(); }

std::optional<size_t> public_value_length(iana::KeyExchangeMethod method) {
  if (auto n = detail::modp_length(method)) return n;
  if (auto n = detail::ecp_length(method)) return n;
  if (method == iana::KeyExchangeMethod::CURVE25519) return detail::x25519_length;
  return std::nullopt;
}

Expected<std::unique_ptr<KeyExchange>, std::string> make_key_exchange(iana::KeyExchangeMethod method,
                                                                      Botan::RandomNumberGenerator& rng) {
  return make(method, rng, {});
}

Expected<std::unique_ptr<KeyExchange>, std::string> make_key_exchange_from_private(
    iana::KeyExchangeMethod method, ByteView private_value) {
  if (private_value.empty()) return unexpected(std::string("empty private value"));
  // The RNG is only used by Botan for side-channel blinding here, never for the key itself.
  return make(method, system_rng(), private_value);
}

}  // namespace ipsecd::crypto
