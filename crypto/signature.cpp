// AUTH payload data for signature auth methods 1, 9, 10, 11 (RFC 7296 §3.8, RFC 4754) and 14 (RFC 7427).
#include "crypto/signature.h"

#include <botan/ecc_key.h>
#include <botan/pk_keys.h>
#include <botan/pubkey.h>
#include <botan/rng.h>

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace ipsecd::crypto {

namespace {

using iana::AuthenticationMethod;

enum class KeyKind { RSA, ECDSA, ED25519, OTHER };

KeyKind kind_of(const Botan::Public_Key& key) {
  const std::string algo = key.algo_name();
  if (algo == "RSA") return KeyKind::RSA;
  if (algo == "ECDSA") return KeyKind::ECDSA;
  if (algo == "Ed25519") return KeyKind::ED25519;
  return KeyKind::OTHER;
}

// How Botan is asked to sign or verify one scheme.
struct BotanScheme {
  KeyKind kind;
  std::string padding;
  Botan::Signature_Format format;
};

BotanScheme botan_scheme(SignatureScheme scheme) {
  using S = SignatureScheme;
  const auto der = Botan::DER_SEQUENCE;
  const auto ieee = Botan::IEEE_1363;
  switch (scheme) {
    case S::RSA_PKCS1_SHA1:
      return {KeyKind::RSA, "EMSA3(SHA-1)", ieee};
    case S::RSA_PKCS1_SHA256:
      return {KeyKind::RSA, "EMSA3(SHA-256)", ieee};
    case S::RSA_PKCS1_SHA384:
      return {KeyKind::RSA, "EMSA3(SHA-384)", ieee};
    case S::RSA_PKCS1_SHA512:
      return {KeyKind::RSA, "EMSA3(SHA-512)", ieee};
    // Salt length fixed to the hash length; the explicit length also makes Botan refuse other salt sizes.
    case S::RSA_PSS_SHA256:
      return {KeyKind::RSA, "EMSA4(SHA-256,MGF1,32)", ieee};
    case S::RSA_PSS_SHA384:
      return {KeyKind::RSA, "EMSA4(SHA-384,MGF1,48)", ieee};
    case S::RSA_PSS_SHA512:
      return {KeyKind::RSA, "EMSA4(SHA-512,MGF1,64)", ieee};
    // RFC 7427 §3: within Digital Signature auth, ECDSA signatures are DER ECDSA-Sig-Value.
    case S::ECDSA_SHA256:
      return {KeyKind::ECDSA, "EMSA1(SHA-256)", der};
    case S::ECDSA_SHA384:
      return {KeyKind::ECDSA, "EMSA1(SHA-384)", der};
    case S::ECDSA_SHA512:
      return {KeyKind::ECDSA, "EMSA1(SHA-512)", der};
    case S::ED25519:
      return {KeyKind::ED25519, "Pure", ieee};
  }
  return {KeyKind::OTHER, "", ieee};
}

// Methods 1, 9, 10, 11 fix key type, curve and hash, and use the raw (IEEE 1363) signature format.
struct LegacyMethod {
  SignatureScheme scheme;
  const char* curve;  // nullptr for RSA
};

std::optional<LegacyMethod> legacy_method(AuthenticationMethod method) {
  switch (method) {
    case AuthenticationMethod::RSA_DIGITAL_SIGNATURE:
      return LegacyMethod{SignatureScheme::RSA_PKCS1_SHA1, nullptr};
    case AuthenticationMethod::ECDSA_SHA256_P256:
      return LegacyMethod{SignatureScheme::ECDSA_SHA256, "secp256r1"};
    case AuthenticationMethod::ECDSA_SHA384_P384:
      return LegacyMethod{SignatureScheme::ECDSA_SHA384, "secp384r1"};
    case AuthenticationMethod::ECDSA_SHA512_P521:
      return LegacyMethod{SignatureScheme::ECDSA_SHA512, "secp521r1"};
    default:
      return std::nullopt;
  }
}

// RFC 4754 §7: methods 9-11 carry r || s, each as wide as the group order, with no DER wrapping.
BotanScheme legacy_botan_scheme(const LegacyMethod& legacy) {
  BotanScheme s = botan_scheme(legacy.scheme);
  s.format = Botan::IEEE_1363;
  return s;
}

std::optional<std::string> key_mismatch(const Botan::Public_Key& key, KeyKind wanted, const char* curve) {
  if (kind_of(key) != wanted) return fmt::format("a {} key cannot make this signature", key.algo_name());
  if (curve != nullptr) {
    const auto* ec = dynamic_cast<const Botan::EC_PublicKey*>(&key);
    if (ec == nullptr || ec->domain().get_curve_oid().to_formatted_string() != curve) {
      return fmt::format("the ECDSA key is not on {} as the auth method requires (RFC 4754)", curve);
    }
  }
  return std::nullopt;
}

Expected<Bytes, std::string> raw_sign(const Botan::Private_Key& key, const BotanScheme& s, ByteView data,
                                      Botan::RandomNumberGenerator& rng) {
  try {
    Botan::PK_Signer signer(key, rng, s.padding, s.format);
    return signer.sign_message(data.data(), data.size(), rng);
  } catch (const std::exception& e) {
    return unexpected(fmt::format("signing failed: {}", e.what()));
  }
}

bool raw_verify(const Botan::Public_Key& key, const BotanScheme& s, ByteView data, ByteView signature) {
  try {
    Botan::PK_Verifier verifier(key, s.padding, s.format);
    return verifier.verify_message(data.data(), data.size(), signature.data(), signature.size());
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

Expected<SignatureScheme, std::string> choose_signature_scheme(
    const Botan::Public_Key& key, std::span<const iana::HashAlgorithm> peer_hashes) {
  using H = iana::HashAlgorithm;
  const auto announced = [&](H h) {
    return std::find(peer_hashes.begin(), peer_hashes.end(), h) != peer_hashes.end();
  };
  switch (kind_of(key)) {
    case KeyKind::ED25519:
      if (announced(H::IDENTITY)) return SignatureScheme::ED25519;
      return unexpected(std::string("peer did not announce the IDENTITY hash needed for Ed25519 (RFC 8420)"));
    case KeyKind::ECDSA: {
      const size_t bits = key.key_length();
      const H natural = bits <= 256 ? H::SHA2_256 : bits <= 384 ? H::SHA2_384 : H::SHA2_512;
      const auto scheme_for = [](H h) {
        return h == H::SHA2_256   ? SignatureScheme::ECDSA_SHA256
               : h == H::SHA2_384 ? SignatureScheme::ECDSA_SHA384
                                  : SignatureScheme::ECDSA_SHA512;
      };
      if (announced(natural)) return scheme_for(natural);
      for (H h : {H::SHA2_512, H::SHA2_384, H::SHA2_256}) {
        if (announced(h)) return scheme_for(h);
      }
      return unexpected(std::string("peer announced no SHA-2 hash usable with ECDSA"));
    }
    case KeyKind::RSA:
      if (announced(H::SHA2_512)) return SignatureScheme::RSA_PKCS1_SHA512;
      if (announced(H::SHA2_384)) return SignatureScheme::RSA_PKCS1_SHA384;
      if (announced(H::SHA2_256)) return SignatureScheme::RSA_PKCS1_SHA256;
      return unexpected(std::string("peer announced no SHA-2 hash usable with RSA"));
    case KeyKind::OTHER:
      break;
  }
  return unexpected(fmt::format("{} keys are not supported for signatures", key.algo_name()));
}

Expected<Bytes, std::string> sign_auth_data(AuthenticationMethod method, const Botan::Private_Key& key,
                                            std::optional<SignatureScheme> scheme, ByteView signed_octets,
                                            Botan::RandomNumberGenerator& rng) {
  if (auto legacy = legacy_method(method)) {
    const BotanScheme s = legacy_botan_scheme(*legacy);
    if (auto why = key_mismatch(key, s.kind, legacy->curve)) return unexpected(*why);
    return raw_sign(key, s, signed_octets, rng);
  }
  if (method != AuthenticationMethod::DIGITAL_SIGNATURE) {
    return unexpected(fmt::format("auth method {} is not a signature method", iana::name(method)));
  }
  if (!scheme) return unexpected(std::string("Digital Signature auth needs a signature scheme"));
  if (*scheme == SignatureScheme::RSA_PKCS1_SHA1) {
    return unexpected(std::string("refusing to sign with SHA-1 (RFC 8247 §3.2)"));
  }
  const BotanScheme s = botan_scheme(*scheme);
  if (auto why = key_mismatch(key, s.kind, nullptr)) return unexpected(*why);
  auto signature = raw_sign(key, s, signed_octets, rng);
  if (!signature) return signature;

  // RFC 7427 §3: ASN.1 Length (1 octet) | AlgorithmIdentifier | Signature Value.
  const Bytes alg_id = encode_algorithm_identifier(*scheme);
  Bytes out;
  out.reserve(1 + alg_id.size() + signature->size());
  out.push_back(static_cast<uint8_t>(alg_id.size()));
  out.insert(out.end(), alg_id.begin(), alg_id.end());
  out.insert(out.end(), signature->begin(), signature->end());
  return out;
}

Expected<SignatureScheme, std::string> verify_auth_data(
    AuthenticationMethod method, const Botan::Public_Key& key, ByteView auth_data, ByteView signed_octets,
    std::span<const iana::HashAlgorithm> acceptable_hashes) {
  SignatureScheme scheme;
  BotanScheme s;
  ByteView signature;
  const char* curve = nullptr;
  if (auto legacy = legacy_method(method)) {
    scheme = legacy->scheme;
    s = legacy_botan_scheme(*legacy);
    curve = legacy->curve;
    signature = auth_data;
  } else if (method == AuthenticationMethod::DIGITAL_SIGNATURE) {
    if (auth_data.empty()) return unexpected(std::string("empty Digital Signature authentication data"));
    const size_t length = auth_data[0];
    if (length == 0 || auth_data.size() <= 1 + length) {
      return unexpected(std::string("Digital Signature authentication data is truncated"));
    }
    auto decoded = decode_algorithm_identifier(auth_data.subspan(1, length));
    if (!decoded) return decoded;
    scheme = *decoded;
    const iana::HashAlgorithm hash = hash_algorithm(scheme);
    if (hash == iana::HashAlgorithm::SHA1) {
      return unexpected(
          fmt::format("refusing {}: SHA-1 must not be used for signatures (RFC 8247 §3.2)", name(scheme)));
    }
    if (std::find(acceptable_hashes.begin(), acceptable_hashes.end(), hash) == acceptable_hashes.end()) {
      return unexpected(fmt::format("refusing {}: hash {} was not announced (RFC 7427 §4)", name(scheme),
                                    iana::name(hash)));
    }
    s = botan_scheme(scheme);
    signature = auth_data.subspan(1 + length);
  } else {
    return unexpected(fmt::format("auth method {} is not a signature method", iana::name(method)));
  }

  if (auto why = key_mismatch(key, s.kind, curve)) return unexpected(*why);
  if (!raw_verify(key, s, signed_octets, signature)) {
    return unexpected(fmt::format("{} signature does not verify", name(scheme)));
  }
  return scheme;
}

}  // namespace ipsecd::crypto
