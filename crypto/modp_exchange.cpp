// Finite-field Diffie-Hellman over the IKE MODP groups 1, 2, 5 and 14-18 (RFC 2409 §6, RFC 3526).
#include "crypto/key_exchange_methods.h"
#include "crypto/random.h"

#include <botan/bigint.h>
#include <botan/dh.h>
#include <botan/dl_group.h>
#include <botan/pubkey.h>

#include <fmt/format.h>

#include <exception>
#include <map>

namespace ipsecd::crypto::detail {

namespace {

using iana::KeyExchangeMethod;

// RFC 2409 §6.1, the First Oakley Group: 2^768 - 2^704 - 1 + 2^64 * ([2^638 pi] + 149686), generator 2.
// Botan names no 768-bit group, so it is built here; it is a safe prime like the others.
constexpr const char* modp768_prime_hex =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";

Botan::DL_Group make_group(KeyExchangeMethod method) {
  switch (method) {
    case KeyExchangeMethod::MODP_768: {
      const Botan::BigInt p(std::string("0x") + modp768_prime_hex);
      return Botan::DL_Group(p, (p - 1) >> 1, Botan::BigInt(2));
    }
    // RFC 2409 §6.2 (group 2) and RFC 3526 (groups 5, 14-18) are Botan's "modp/ietf/<bits>".
    case KeyExchangeMethod::MODP_1024:
      return Botan::DL_Group("modp/ietf/1024");
    case KeyExchangeMethod::MODP_1536:
      return Botan::DL_Group("modp/ietf/1536");
    case KeyExchangeMethod::MODP_2048:
      return Botan::DL_Group("modp/ietf/2048");
    case KeyExchangeMethod::MODP_3072:
      return Botan::DL_Group("modp/ietf/3072");
    case KeyExchangeMethod::MODP_4096:
      return Botan::DL_Group("modp/ietf/4096");
    case KeyExchangeMethod::MODP_6144:
      return Botan::DL_Group("modp/ietf/6144");
    case KeyExchangeMethod::MODP_8192:
      return Botan::DL_Group("modp/ietf/8192");
    default:
      return Botan::DL_Group();
  }
}

// Parsing a group is not free; each is built once and shared (DL_Group copies share their data).
const Botan::DL_Group& group_for(KeyExchangeMethod method) {
  static const std::map<KeyExchangeMethod, Botan::DL_Group> groups = [] {
    std::map<KeyExchangeMethod, Botan::DL_Group> all;
    for (auto m : {KeyExchangeMethod::MODP_768, KeyExchangeMethod::MODP_1024, KeyExchangeMethod::MODP_1536,
                   KeyExchangeMethod::MODP_2048, KeyExchangeMethod::MODP_3072, KeyExchangeMethod::MODP_4096,
                   KeyExchangeMethod::MODP_6144, KeyExchangeMethod::MODP_8192}) {
      all.emplace(m, make_group(m));
    }
    return all;
  }();
  return groups.at(method);
}

class ModpExchange final : public KeyExchange {
 public:
  ModpExchange(KeyExchangeMethod method, std::unique_ptr<Botan::DH_PrivateKey> key, size_t length)
      : method_(method),
        key_(std::move(key)),
        length_(length),
        public_(Botan::unlock(Botan::BigInt::encode_1363(key_->get_y(), length_))) {}

  KeyExchangeMethod method() const override { return method_; }
  const Bytes& public_value() const override { return public_; }

  Expected<SecureBytes, std::string> shared_secret(ByteView peer) const override {
    // RFC 7296 §3.4: the data is the public value left-padded to the modulus length.
    if (peer.size() != length_) {
      return unexpected(
          fmt::format("{} public value is {} bytes, expected {}", iana::name(method_), peer.size(), length_));
    }
    // RFC 6989 §2.1: for these safe-prime groups, 1 < y < p-1 is the whole check.
    const Botan::BigInt y(peer.data(), peer.size());
    const Botan::BigInt& p = key_->get_group().get_p();
    if (y <= 1 || y >= p - 1) {
      return unexpected(
          fmt::format("{} public value is out of range (must be 1 < y < p-1)", iana::name(method_)));
    }
    try {
      Botan::PK_Key_Agreement agreement(*key_, system_rng(), "Raw");
      SecureBytes secret = agreement.derive_key(0, peer.data(), peer.size()).bits_of();
      // §2.14: g^ir is as long as the modulus, leading zeros included.
      if (secret.size() < length_) secret.insert(secret.begin(), length_ - secret.size(), 0);
      return secret;
    } catch (const std::exception& e) {
      return unexpected(fmt::format("{} agreement failed: {}", iana::name(method_), e.what()));
    }
  }

 private:
  KeyExchangeMethod method_;
  std::unique_ptr<Botan::DH_PrivateKey> key_;
  size_t length_;
  Bytes public_;
};

}  // namespace

std::optional<size_t> modp_length(KeyExchangeMethod method) {
  switch (method) {
    case KeyExchangeMethod::MODP_768:
      return 96;
    case KeyExchangeMethod::MODP_1024:
      return 128;
    case KeyExchangeMethod::MODP_1536:
      return 192;
    case KeyExchangeMethod::MODP_2048:
      return 256;
    case KeyExchangeMethod::MODP_3072:
      return 384;
    case KeyExchangeMethod::MODP_4096:
      return 512;
    case KeyExchangeMethod::MODP_6144:
      return 768;
    case KeyExchangeMethod::MODP_8192:
      return 1024;
    default:
      return std::nullopt;
  }
}

Expected<std::unique_ptr<KeyExchange>, std::string> make_modp_exchange(KeyExchangeMethod method,
                                                                       Botan::RandomNumberGenerator& rng,
                                                                       ByteView private_value) {
  const auto length = modp_length(method);
  if (!length) return unexpected(fmt::format("{} is not a MODP group", iana::name(method)));
  try {
    const Botan::DL_Group& group = group_for(method);
    Botan::BigInt x;
    if (!private_value.empty()) {
      x = Botan::BigInt(private_value.data(), private_value.size());
      if (x <= 1 || x >= group.get_p() - 1) {
        return unexpected(fmt::format("{} private value is out of range", iana::name(method)));
      }
    }
    // A zero x asks Botan to draw one of the group's recommended exponent size.
    auto key = std::make_unique<Botan::DH_PrivateKey>(rng, group, x);
    return std::unique_ptr<KeyExchange>(std::make_unique<ModpExchange>(method, std::move(key), *length));
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{} key generation failed: {}", iana::name(method), e.what()));
  }
}

}  // namespace ipsecd::crypto::detail
