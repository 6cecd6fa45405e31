// Parses proposals written in strongSwan's algorithm keywords ("aes128-sha256-modp2048") into ProposalConfig.
#include "daemon/ike/ikev2/proposal.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace ipsecd::ikev2 {

namespace {

using iana::EncryptionAlgorithm;
using iana::IntegrityAlgorithm;
using iana::KeyExchangeMethod;
using iana::PseudorandomFunction;

enum class Kind { encryption, integrity, prf, key_exchange, esn };

struct Keyword {
  std::string_view name;
  Kind kind;
  uint16_t id;
  uint16_t key_bits = 0;  // encryption only; 0 for fixed-size ciphers
  // Integrity only: the PRF on the same primitive, which strongSwan derives for an IKE proposal that
  // names no PRF.
  PseudorandomFunction derived_prf{};
};

constexpr Keyword encr(std::string_view name, EncryptionAlgorithm id, uint16_t key_bits) {
  return {name, Kind::encryption, static_cast<uint16_t>(id), key_bits};
}
constexpr Keyword integ(std::string_view name, IntegrityAlgorithm id, PseudorandomFunction derived_prf) {
  return {name, Kind::integrity, static_cast<uint16_t>(id), 0, derived_prf};
}
constexpr Keyword prf(std::string_view name, PseudorandomFunction id) {
  return {name, Kind::prf, static_cast<uint16_t>(id), 0};
}
constexpr Keyword ke(std::string_view name, KeyExchangeMethod id) {
  return {name, Kind::key_exchange, static_cast<uint16_t>(id), 0};
}

// strongSwan's keywords (docs.strongswan.org "IKEv2 Cipher Suites") for the algorithms crypto/ implements.
// The GCM aliases name the ICV in bits instead of bytes (aes128gcm128 = aes128gcm16). Of several names for
// one transform the first is the one to_keywords writes.
constexpr std::array kKeywords = {
    encr("des", EncryptionAlgorithm::ENCR_DES, 0),
    encr("3des", EncryptionAlgorithm::ENCR_3DES, 0),
    encr("aes128", EncryptionAlgorithm::ENCR_AES_CBC, 128),
    encr("aes", EncryptionAlgorithm::ENCR_AES_CBC, 128),
    encr("aes192", EncryptionAlgorithm::ENCR_AES_CBC, 192),
    encr("aes256", EncryptionAlgorithm::ENCR_AES_CBC, 256),
    encr("aes128gcm8", EncryptionAlgorithm::ENCR_AES_GCM_8, 128),
    encr("aes128gcm64", EncryptionAlgorithm::ENCR_AES_GCM_8, 128),
    encr("aes128gcm12", EncryptionAlgorithm::ENCR_AES_GCM_12, 128),
    encr("aes128gcm96", EncryptionAlgorithm::ENCR_AES_GCM_12, 128),
    encr("aes128gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 128),
    encr("aes128gcm128", EncryptionAlgorithm::ENCR_AES_GCM_16, 128),
    encr("aes192gcm8", EncryptionAlgorithm::ENCR_AES_GCM_8, 192),
    encr("aes192gcm64", EncryptionAlgorithm::ENCR_AES_GCM_8, 192),
    encr("aes192gcm12", EncryptionAlgorithm::ENCR_AES_GCM_12, 192),
    encr("aes192gcm96", EncryptionAlgorithm::ENCR_AES_GCM_12, 192),
    encr("aes192gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 192),
    encr("aes192gcm128", EncryptionAlgorithm::ENCR_AES_GCM_16, 192),
    encr("aes256gcm8", EncryptionAlgorithm::ENCR_AES_GCM_8, 256),
    encr("aes256gcm64", EncryptionAlgorithm::ENCR_AES_GCM_8, 256),
    encr("aes256gcm12", EncryptionAlgorithm::ENCR_AES_GCM_12, 256),
    encr("aes256gcm96", EncryptionAlgorithm::ENCR_AES_GCM_12, 256),
    encr("aes256gcm16", EncryptionAlgorithm::ENCR_AES_GCM_16, 256),
    encr("aes256gcm128", EncryptionAlgorithm::ENCR_AES_GCM_16, 256),
    encr("chacha20poly1305", EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0),
    integ("md5", IntegrityAlgorithm::AUTH_HMAC_MD5_96, PseudorandomFunction::PRF_HMAC_MD5),
    integ("sha1", IntegrityAlgorithm::AUTH_HMAC_SHA1_96, PseudorandomFunction::PRF_HMAC_SHA1),
    integ("sha", IntegrityAlgorithm::AUTH_HMAC_SHA1_96, PseudorandomFunction::PRF_HMAC_SHA1),
    integ("aesxcbc", IntegrityAlgorithm::AUTH_AES_XCBC_96, PseudorandomFunction::PRF_AES128_XCBC),
    integ("sha256", IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, PseudorandomFunction::PRF_HMAC_SHA2_256),
    integ("sha2_256", IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, PseudorandomFunction::PRF_HMAC_SHA2_256),
    integ("sha384", IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, PseudorandomFunction::PRF_HMAC_SHA2_384),
    integ("sha2_384", IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, PseudorandomFunction::PRF_HMAC_SHA2_384),
    integ("sha512", IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, PseudorandomFunction::PRF_HMAC_SHA2_512),
    integ("sha2_512", IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, PseudorandomFunction::PRF_HMAC_SHA2_512),
    prf("prfmd5", PseudorandomFunction::PRF_HMAC_MD5),
    prf("prfsha1", PseudorandomFunction::PRF_HMAC_SHA1),
    prf("prfaesxcbc", PseudorandomFunction::PRF_AES128_XCBC),
    prf("prfaescmac", PseudorandomFunction::PRF_AES128_CMAC),
    prf("prfsha256", PseudorandomFunction::PRF_HMAC_SHA2_256),
    prf("prfsha384", PseudorandomFunction::PRF_HMAC_SHA2_384),
    prf("prfsha512", PseudorandomFunction::PRF_HMAC_SHA2_512),
    ke("modp768", KeyExchangeMethod::MODP_768),
    ke("modp1024", KeyExchangeMethod::MODP_1024),
    ke("modp1536", KeyExchangeMethod::MODP_1536),
    ke("modp2048", KeyExchangeMethod::MODP_2048),
    ke("modp3072", KeyExchangeMethod::MODP_3072),
    ke("modp4096", KeyExchangeMethod::MODP_4096),
    ke("modp6144", KeyExchangeMethod::MODP_6144),
    ke("modp8192", KeyExchangeMethod::MODP_8192),
    ke("ecp256", KeyExchangeMethod::ECP_256),
    ke("ecp384", KeyExchangeMethod::ECP_384),
    ke("ecp521", KeyExchangeMethod::ECP_521),
    ke("x25519", KeyExchangeMethod::CURVE25519),
    ke("curve25519", KeyExchangeMethod::CURVE25519),
    Keyword{"noesn", Kind::esn, 0, 0},
    Keyword{"esn", Kind::esn, 1, 0},
};

const Keyword* find_keyword(std::string_view name) {
  const auto it =
      std::find_if(kKeywords.begin(), kKeywords.end(), [&](const Keyword& k) { return k.name == name; });
  return it == kKeywords.end() ? nullptr : &*it;
}

template <typename T>
bool add_unique(std::vector<T>& list, T value) {
  if (std::find(list.begin(), list.end(), value) != list.end()) return false;
  list.push_back(value);
  return true;
}

// What the keywords said beyond the config itself: the first of each sort (for messages about
// combinations) and the PRFs the integrity keywords imply.
struct Seen {
  std::string_view first_aead, first_non_aead, first_integrity;
  std::vector<PseudorandomFunction> derived_prf;
};

// §3.3.3 lists the transform types each protocol negotiates; a keyword of another type is a mistake.
Expected<Ok, std::string> check_kind_allowed(const Keyword& k, iana::SecurityProtocolId protocol,
                                             std::string_view text) {
  using P = iana::SecurityProtocolId;
  if (k.kind == Kind::encryption && protocol == P::AH) {
    return unexpected(
        fmt::format("encryption keyword '{}' in AH proposal '{}': AH only authenticates", k.name, text));
  }
  if (k.kind == Kind::prf && protocol != P::IKE) {
    return unexpected(fmt::format("PRF keyword '{}' in {} proposal '{}': only IKE negotiates a PRF", k.name,
                                  iana::name(protocol), text));
  }
  if (k.kind == Kind::esn && protocol == P::IKE) {
    return unexpected(
        fmt::format("keyword '{}' in IKE proposal '{}': ESN applies to ESP and AH only", k.name, text));
  }
  return Ok{};
}

bool add(ProposalConfig& config, const Keyword& k) {
  switch (k.kind) {
    case Kind::encryption:
      return add_unique(config.encryption,
                        EncryptionTransform{static_cast<EncryptionAlgorithm>(k.id), k.key_bits});
    case Kind::integrity:
      return add_unique(config.integrity, static_cast<IntegrityAlgorithm>(k.id));
    case Kind::prf:
      return add_unique(config.prf, static_cast<PseudorandomFunction>(k.id));
    case Kind::key_exchange:
      return add_unique(config.key_exchange, static_cast<KeyExchangeMethod>(k.id));
    case Kind::esn:
      return add_unique(config.esn, k.id == 1);
  }
  return false;
}

// The rules between transform types, checked once every keyword is in.
Expected<Ok, std::string> check_complete(ProposalConfig& config, const Seen& seen, std::string_view text) {
  using P = iana::SecurityProtocolId;
  const auto protocol = config.protocol;
  if (protocol == P::AH) {
    if (config.integrity.empty()) {
      return unexpected(fmt::format("AH proposal '{}' has no integrity algorithm", text));
    }
  } else {
    if (config.encryption.empty()) {
      return unexpected(
          fmt::format("{} proposal '{}' has no encryption algorithm", iana::name(protocol), text));
    }
    // RFC 7296 §3.3: combined-mode and classic ciphers need separate proposals, since only the latter
    // take an INTEG transform.
    if (!seen.first_aead.empty() && !seen.first_non_aead.empty()) {
      return unexpected(fmt::format(
          "proposal '{}' mixes AEAD '{}' with non-AEAD '{}' encryption: put them in separate proposals", text,
          seen.first_aead, seen.first_non_aead));
    }
    if (!seen.first_aead.empty() && !config.integrity.empty()) {
      return unexpected(fmt::format(
          "proposal '{}' gives integrity '{}' to AEAD encryption '{}', which takes none (RFC 5282 §8)", text,
          seen.first_integrity, seen.first_aead));
    }
    if (!seen.first_non_aead.empty() && config.integrity.empty()) {
      return unexpected(fmt::format("proposal '{}' has no integrity algorithm, which encryption '{}' needs",
                                    text, seen.first_non_aead));
    }
  }
  if (protocol == P::IKE) {
    if (config.prf.empty()) {
      if (config.integrity.empty()) {
        return unexpected(fmt::format(
            "IKE proposal '{}' with AEAD encryption '{}' needs an explicit PRF keyword such as prfsha256",
            text, seen.first_aead));
      }
      config.prf = seen.derived_prf;
    }
    if (config.key_exchange.empty()) {
      return unexpected(fmt::format("IKE proposal '{}' has no key exchange method", text));
    }
  } else if (config.esn.empty()) {
    config.esn.push_back(false);
  }
  return Ok{};
}

}  // namespace

Expected<ProposalConfig, std::string> parse_proposal(std::string_view text,
                                                     iana::SecurityProtocolId protocol) {
  using P = iana::SecurityProtocolId;
  if (protocol != P::IKE && protocol != P::ESP && protocol != P::AH) {
    return unexpected(fmt::format("proposals for protocol {} are not supported", iana::name(protocol)));
  }
  if (text.empty()) return unexpected(fmt::format("empty {} proposal", iana::name(protocol)));
  ProposalConfig config;
  config.protocol = protocol;
  Seen seen;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('-', start), text.size());
    const std::string_view word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) return unexpected(fmt::format("empty algorithm keyword in proposal '{}'", text));
    const Keyword* k = find_keyword(word);
    if (k == nullptr) {
      return unexpected(fmt::format("unknown algorithm keyword '{}' in proposal '{}'", word, text));
    }
    if (auto allowed = check_kind_allowed(*k, protocol, text); !allowed) return unexpected(allowed.error());
    if (!add(config, *k)) {
      return unexpected(
          fmt::format("keyword '{}' repeats an algorithm already listed in proposal '{}'", word, text));
    }
    if (k->kind == Kind::encryption) {
      auto& first = is_aead(static_cast<EncryptionAlgorithm>(k->id)) ? seen.first_aead : seen.first_non_aead;
      if (first.empty()) first = k->name;
    }
    if (k->kind == Kind::integrity) {
      if (seen.first_integrity.empty()) seen.first_integrity = k->name;
      add_unique(seen.derived_prf, k->derived_prf);
    }
  }
  if (auto complete = check_complete(config, seen, text); !complete) return unexpected(complete.error());
  return config;
}

std::string to_keywords(const NegotiatedTransforms& transforms) {
  std::string out;
  auto add = [&](Kind kind, uint16_t id, uint16_t key_bits) {
    const auto it = std::find_if(kKeywords.begin(), kKeywords.end(), [&](const Keyword& k) {
      return k.kind == kind && k.id == id && (kind != Kind::encryption || k.key_bits == key_bits);
    });
    if (!out.empty()) out += '-';
    out += it != kKeywords.end() ? std::string(it->name) : fmt::format("unknown{}", id);
  };
  using P = iana::SecurityProtocolId;
  if (transforms.protocol != P::AH) {
    add(Kind::encryption, static_cast<uint16_t>(transforms.encryption.id), transforms.encryption.key_bits);
  }
  if (transforms.integrity != IntegrityAlgorithm::NONE) {
    add(Kind::integrity, static_cast<uint16_t>(transforms.integrity), 0);
  }
  if (transforms.protocol == P::IKE) add(Kind::prf, static_cast<uint16_t>(transforms.prf), 0);
  if (transforms.key_exchange != KeyExchangeMethod::NONE) {
    add(Kind::key_exchange, static_cast<uint16_t>(transforms.key_exchange), 0);
  }
  if (transforms.protocol != P::IKE && transforms.esn) add(Kind::esn, 1, 0);
  return out;
}

}  // namespace ipsecd::ikev2
