// Elliptic-curve Diffie-Hellman over the NIST prime curves, groups 19/20/21, encoded as RFC 5903 says.
#include "crypto/key_exchange_methods.h"
#include "crypto/random.h"

#include <botan/bigint.h>
#include <botan/ec_group.h>
#include <botan/ecdh.h>
#include <botan/pubkey.h>

#include <fmt/format.h>

#include <exception>

namespace ipsecd::crypto::detail {

namespace {

using iana::KeyExchangeMethod;

const char* curve_name(KeyExchangeMethod method) {
  switch (method) {
    case KeyExchangeMethod::ECP_256:
      return "secp256r1";
    case KeyExchangeMethod::ECP_384:
      return "secp384r1";
    case KeyExchangeMethod::ECP_521:
      return "secp521r1";
    default:
      return nullptr;
  }
}

// Bytes of one field element: 32, 48 and 66 (521 bits round up).
size_t field_length(KeyExchangeMethod method) {
  switch (method) {
    case KeyExchangeMethod::ECP_256:
      return 32;
    case KeyExchangeMethod::ECP_384:
      return 48;
    case KeyExchangeMethod::ECP_521:
      return 66;
    default:
      return 0;
  }
}

class EcpExchange final : public KeyExchange {
 public:
  EcpExchange(KeyExchangeMethod method, std::unique_ptr<Botan::ECDH_PrivateKey> key)
      : method_(method), key_(std::move(key)), field_(field_length(method)) {
    // RFC 5903 §7: the Key Exchange Data is x || y, each padded to the field size, with no SEC1 prefix.
    const Botan::PointGFp& point = key_->public_point();
    public_ = Botan::unlock(Botan::BigInt::encode_1363(point.get_affine_x(), field_));
    const SecureBytes y = Botan::BigInt::encode_1363(point.get_affine_y(), field_);
    public_.insert(public_.end(), y.begin(), y.end());
  }

  KeyExchangeMethod method() const override { return method_; }
  const Bytes& public_value() const override { return public_; }

  Expected<SecureBytes, std::string> shared_secret(ByteView peer) const override {
    if (peer.size() != 2 * field_) {
      return unexpected(fmt::format("{} public value is {} bytes, expected {}", iana::name(method_),
                                    peer.size(), 2 * field_));
    }
    try {
      const Botan::EC_Group& group = key_->domain();
      const Botan::BigInt x(peer.data(), field_);
      const Botan::BigInt y(peer.data() + field_, field_);
      if (x >= group.get_p() || y >= group.get_p()) {
        return unexpected(fmt::format("{} public value has a coordinate not below p", iana::name(method_)));
      }
      // RFC 6989 §2.3 / RFC 5903: the peer's point must lie on the curve (and, here, in the prime-order
      // group; the NIST curves have cofactor 1).
      if (!group.verify_public_element(group.point(x, y))) {
        return unexpected(fmt::format("{} public value is not a point on the curve", iana::name(method_)));
      }
      Bytes sec1;
      sec1.reserve(1 + peer.size());
      sec1.push_back(0x04);
      sec1.insert(sec1.end(), peer.begin(), peer.end());
      // RFC 5903 §9: the shared secret is the x coordinate of the shared point only, which is what
      // Botan's "Raw" ECDH returns (padded to the field size).
      Botan::PK_Key_Agreement agreement(*key_, system_rng(), "Raw");
      return agreement.derive_key(0, sec1.data(), sec1.size()).bits_of();
    } catch (const std::exception& e) {
      return unexpected(fmt::format("{} agreement failed: {}", iana::name(method_), e.what()));
    }
  }

 private:
  KeyExchangeMethod method_;
  std::unique_ptr<Botan::ECDH_PrivateKey> key_;
  size_t field_;
  Bytes public_;
};

}  // namespace

std::optional<size_t> ecp_length(KeyExchangeMethod method) {
  const size_t field = field_length(method);
  if (field == 0) return std::nullopt;
  return 2 * field;
}

Expected<std::unique_ptr<KeyExchange>, std::string> make_ecp_exchange(KeyExchangeMethod method,
                                                                      Botan::RandomNumberGenerator& rng,
                                                                      ByteView private_value) {
  const char* curve = curve_name(method);
  if (curve == nullptr) return unexpected(fmt::format("{} is not an ECP group", iana::name(method)));
  try {
    const Botan::EC_Group group(curve);
    Botan::BigInt d;
    if (!private_value.empty()) {
      d = Botan::BigInt(private_value.data(), private_value.size());
      if (d.is_zero() || d >= group.get_order()) {
        return unexpected(fmt::format("{} private value is out of range", iana::name(method)));
      }
    }
    // A zero d asks Botan to draw a fresh scalar.
    auto key = std::make_unique<Botan::ECDH_PrivateKey>(rng, group, d);
    return std::unique_ptr<KeyExchange>(std::make_unique<EcpExchange>(method, std::move(key)));
  } catch (const std::exception& e) {
    return unexpected(fmt::format("{} key generation failed: {}", iana::name(method), e.what()));
  }
}

}  // namespace ipsecd::crypto::detail
