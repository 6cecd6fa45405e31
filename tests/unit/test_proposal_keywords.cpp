// Proposal keyword parsing: every strongSwan keyword we accept, derived PRFs, defaults and each error.
#include "crypto/key_exchange.h"
#include "daemon/ike/ikev2/proposal.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace ipsecd;
using ikev2::EncryptionTransform;
using ikev2::parse_proposal;
using ikev2::ProposalConfig;
using E = iana::EncryptionAlgorithm;
using I = iana::IntegrityAlgorithm;
using F = iana::PseudorandomFunction;
using K = iana::KeyExchangeMethod;
using P = iana::SecurityProtocolId;

namespace {

ProposalConfig must_parse(const std::string& text, P protocol) {
  auto parsed = parse_proposal(text, protocol);
  if (!parsed) FAIL(parsed.error());
  return *parsed;
}

}  // namespace

TEST_CASE("Every encryption keyword names its transform and key length", "[proposal]") {
  struct Row {
    const char* keyword;
    E id;
    uint16_t bits;
  };
  const std::vector<Row> rows = {
      {"des", E::ENCR_DES, 0},
      {"3des", E::ENCR_3DES, 0},
      {"aes", E::ENCR_AES_CBC, 128},
      {"aes128", E::ENCR_AES_CBC, 128},
      {"aes192", E::ENCR_AES_CBC, 192},
      {"aes256", E::ENCR_AES_CBC, 256},
      {"aes128gcm8", E::ENCR_AES_GCM_8, 128},
      {"aes128gcm64", E::ENCR_AES_GCM_8, 128},
      {"aes128gcm12", E::ENCR_AES_GCM_12, 128},
      {"aes128gcm96", E::ENCR_AES_GCM_12, 128},
      {"aes128gcm16", E::ENCR_AES_GCM_16, 128},
      {"aes128gcm128", E::ENCR_AES_GCM_16, 128},
      {"aes192gcm8", E::ENCR_AES_GCM_8, 192},
      {"aes192gcm64", E::ENCR_AES_GCM_8, 192},
      {"aes192gcm12", E::ENCR_AES_GCM_12, 192},
      {"aes192gcm96", E::ENCR_AES_GCM_12, 192},
      {"aes192gcm16", E::ENCR_AES_GCM_16, 192},
      {"aes192gcm128", E::ENCR_AES_GCM_16, 192},
      {"aes256gcm8", E::ENCR_AES_GCM_8, 256},
      {"aes256gcm64", E::ENCR_AES_GCM_8, 256},
      {"aes256gcm12", E::ENCR_AES_GCM_12, 256},
      {"aes256gcm96", E::ENCR_AES_GCM_12, 256},
      {"aes256gcm16", E::ENCR_AES_GCM_16, 256},
      {"aes256gcm128", E::ENCR_AES_GCM_16, 256},
      {"chacha20poly1305", E::ENCR_CHACHA20_POLY1305, 0},
  };
  for (const auto& row : rows) {
    INFO(row.keyword);
    const bool aead = ikev2::is_aead(row.id);
    const std::string esp = std::string(row.keyword) + (aead ? "" : "-sha256");
    const auto config = must_parse(esp, P::ESP);
    CHECK(config.protocol == P::ESP);
    CHECK(config.encryption == std::vector<EncryptionTransform>{{row.id, row.bits}});
    CHECK(config.integrity.size() == (aead ? 0u : 1u));
    CHECK(config.esn == std::vector<bool>{false});
    CHECK(config.prf.empty());
    CHECK(config.key_exchange.empty());
    // The same keyword works for IKE, and crypto/ can build the SK cipher it names.
    const std::string ike = std::string(row.keyword) + (aead ? "-prfsha256" : "-sha256") + "-modp2048";
    const auto ike_config = must_parse(ike, P::IKE);
    ikev2::NegotiatedTransforms n;
    n.encryption = ike_config.encryption.front();
    n.integrity = ike_config.integrity.empty() ? I::NONE : ike_config.integrity.front();
    CHECK(crypto::sk_key_lengths(n.sk_algorithm()));
  }
}

TEST_CASE("Every integrity keyword maps to its standard truncation and derives its PRF", "[proposal]") {
  struct Row {
    const char* keyword;
    I integrity;
    F derived_prf;
  };
  const std::vector<Row> rows = {
      {"md5", I::AUTH_HMAC_MD5_96, F::PRF_HMAC_MD5},
      {"sha", I::AUTH_HMAC_SHA1_96, F::PRF_HMAC_SHA1},
      {"sha1", I::AUTH_HMAC_SHA1_96, F::PRF_HMAC_SHA1},
      {"aesxcbc", I::AUTH_AES_XCBC_96, F::PRF_AES128_XCBC},
      {"sha256", I::AUTH_HMAC_SHA2_256_128, F::PRF_HMAC_SHA2_256},
      {"sha2_256", I::AUTH_HMAC_SHA2_256_128, F::PRF_HMAC_SHA2_256},
      {"sha384", I::AUTH_HMAC_SHA2_384_192, F::PRF_HMAC_SHA2_384},
      {"sha2_384", I::AUTH_HMAC_SHA2_384_192, F::PRF_HMAC_SHA2_384},
      {"sha512", I::AUTH_HMAC_SHA2_512_256, F::PRF_HMAC_SHA2_512},
      {"sha2_512", I::AUTH_HMAC_SHA2_512_256, F::PRF_HMAC_SHA2_512},
  };
  for (const auto& row : rows) {
    INFO(row.keyword);
    const auto ah = must_parse(row.keyword, P::AH);
    CHECK(ah.integrity == std::vector<I>{row.integrity});
    CHECK(ah.encryption.empty());
    CHECK(ah.prf.empty());
    CHECK(ah.esn == std::vector<bool>{false});
    const auto ike = must_parse(std::string("aes128-") + row.keyword + "-modp2048", P::IKE);
    CHECK(ike.integrity == std::vector<I>{row.integrity});
    CHECK(ike.prf == std::vector<F>{row.derived_prf});
  }
}

TEST_CASE("Every PRF keyword names its transform", "[proposal]") {
  const std::vector<std::pair<const char*, F>> rows = {
      {"prfmd5", F::PRF_HMAC_MD5},         {"prfsha1", F::PRF_HMAC_SHA1},
      {"prfaesxcbc", F::PRF_AES128_XCBC},  {"prfaescmac", F::PRF_AES128_CMAC},
      {"prfsha256", F::PRF_HMAC_SHA2_256}, {"prfsha384", F::PRF_HMAC_SHA2_384},
      {"prfsha512", F::PRF_HMAC_SHA2_512},
  };
  for (const auto& [keyword, prf] : rows) {
    INFO(keyword);
    const auto config = must_parse(std::string("aes256gcm16-") + keyword + "-x25519", P::IKE);
    CHECK(config.prf == std::vector<F>{prf});
    CHECK(config.integrity.empty());
  }
}

TEST_CASE("Every key exchange keyword names a method crypto/ supports", "[proposal]") {
  const std::vector<std::pair<const char*, K>> rows = {
      {"modp768", K::MODP_768},      {"modp1024", K::MODP_1024}, {"modp1536", K::MODP_1536},
      {"modp2048", K::MODP_2048},    {"modp3072", K::MODP_3072}, {"modp4096", K::MODP_4096},
      {"modp6144", K::MODP_6144},    {"modp8192", K::MODP_8192}, {"ecp256", K::ECP_256},
      {"ecp384", K::ECP_384},        {"ecp521", K::ECP_521},     {"x25519", K::CURVE25519},
      {"curve25519", K::CURVE25519},
  };
  for (const auto& [keyword, method] : rows) {
    INFO(keyword);
    CHECK(must_parse(std::string("aes128-sha256-") + keyword, P::IKE).key_exchange == std::vector<K>{method});
    CHECK(must_parse(std::string("aes128gcm16-") + keyword, P::ESP).key_exchange == std::vector<K>{method});
    CHECK(crypto::is_supported(method));
  }
}

TEST_CASE("ESN keywords list the acceptable settings in order, No ESN by default", "[proposal]") {
  CHECK(must_parse("aes128gcm16", P::ESP).esn == std::vector<bool>{false});
  CHECK(must_parse("aes128gcm16-esn", P::ESP).esn == std::vector<bool>{true});
  CHECK(must_parse("aes128gcm16-noesn", P::ESP).esn == std::vector<bool>{false});
  CHECK(must_parse("aes128gcm16-esn-noesn", P::ESP).esn == std::vector<bool>{true, false});
  CHECK(must_parse("noesn-aes128gcm16-esn", P::ESP).esn == std::vector<bool>{false, true});
  CHECK(must_parse("sha256-esn", P::AH).esn == std::vector<bool>{true});
  CHECK(must_parse("aes128-sha256-modp2048", P::IKE).esn.empty());
}

TEST_CASE("Several algorithms of each kind are alternatives in the order written", "[proposal]") {
  const auto config = must_parse("aes256-aes128-sha256-sha1-modp2048-ecp256", P::IKE);
  ProposalConfig expected;
  expected.protocol = P::IKE;
  expected.encryption = {{E::ENCR_AES_CBC, 256}, {E::ENCR_AES_CBC, 128}};
  expected.integrity = {I::AUTH_HMAC_SHA2_256_128, I::AUTH_HMAC_SHA1_96};
  expected.prf = {F::PRF_HMAC_SHA2_256, F::PRF_HMAC_SHA1};
  expected.key_exchange = {K::MODP_2048, K::ECP_256};
  CHECK(config == expected);
}

TEST_CASE("The order of different kinds does not matter", "[proposal]") {
  // The example pair from strongSwan's proposal documentation.
  CHECK(must_parse("aes256gcm16-aes192gcm16-prfsha384-prfsha256-ecp384-modp3072", P::IKE) ==
        must_parse("aes256gcm16-prfsha384-ecp384-aes192gcm16-prfsha256-modp3072", P::IKE));
}

TEST_CASE("An explicit PRF replaces the ones integrity would derive", "[proposal]") {
  const auto config = must_parse("aes128-sha256-sha384-prfsha1-modp2048", P::IKE);
  CHECK(config.prf == std::vector<F>{F::PRF_HMAC_SHA1});
  const auto derived = must_parse("aes128-sha384-md5-aesxcbc-modp2048", P::IKE);
  CHECK(derived.prf == std::vector<F>{F::PRF_HMAC_SHA2_384, F::PRF_HMAC_MD5, F::PRF_AES128_XCBC});
}

TEST_CASE("ESP with PFS keeps its key exchange methods, without PFS has none", "[proposal]") {
  CHECK(must_parse("aes256-sha512-ecp521-modp4096", P::ESP).key_exchange ==
        std::vector<K>{K::ECP_521, K::MODP_4096});
  CHECK(must_parse("aes256-sha512", P::ESP).key_exchange.empty());
  CHECK(must_parse("sha1-modp2048", P::AH).key_exchange == std::vector<K>{K::MODP_2048});
}

TEST_CASE("Malformed proposals are errors that name the keyword and the proposal", "[proposal]") {
  struct Row {
    const char* text;
    P protocol;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"aes128-xyz-modp2048", P::IKE, "unknown algorithm keyword 'xyz' in proposal 'aes128-xyz-modp2048'"},
      {"AES128-sha256-modp2048", P::IKE,
       "unknown algorithm keyword 'AES128' in proposal 'AES128-sha256-modp2048'"},
      {"aes128ctr-sha256", P::ESP, "unknown algorithm keyword 'aes128ctr' in proposal 'aes128ctr-sha256'"},
      {"default", P::IKE, "unknown algorithm keyword 'default' in proposal 'default'"},
      {"", P::IKE, "empty IKE proposal"},
      {"aes128--sha256", P::ESP, "empty algorithm keyword in proposal 'aes128--sha256'"},
      {"aes128-sha256-", P::ESP, "empty algorithm keyword in proposal 'aes128-sha256-'"},
      {"aes128-sha256-aes128", P::ESP,
       "keyword 'aes128' repeats an algorithm already listed in proposal 'aes128-sha256-aes128'"},
      {"aes128gcm16-aes128gcm128", P::ESP,
       "keyword 'aes128gcm128' repeats an algorithm already listed in proposal 'aes128gcm16-aes128gcm128'"},
      {"aes128-sha-sha1", P::ESP,
       "keyword 'sha1' repeats an algorithm already listed in proposal 'aes128-sha-sha1'"},
      {"aes128-sha256", P::IKE, "IKE proposal 'aes128-sha256' has no key exchange method"},
      {"aes128gcm16-x25519", P::IKE,
       "IKE proposal 'aes128gcm16-x25519' with AEAD encryption 'aes128gcm16' needs an explicit PRF keyword "
       "such "
       "as prfsha256"},
      {"aes128-modp2048", P::IKE,
       "proposal 'aes128-modp2048' has no integrity algorithm, which encryption 'aes128' needs"},
      {"aes128", P::ESP, "proposal 'aes128' has no integrity algorithm, which encryption 'aes128' needs"},
      {"sha256-modp2048", P::IKE, "IKE proposal 'sha256-modp2048' has no encryption algorithm"},
      {"sha256", P::ESP, "ESP proposal 'sha256' has no encryption algorithm"},
      {"modp2048", P::AH, "AH proposal 'modp2048' has no integrity algorithm"},
      {"aes128gcm16-sha256", P::ESP,
       "proposal 'aes128gcm16-sha256' gives integrity 'sha256' to AEAD encryption 'aes128gcm16', which takes "
       "none "
       "(RFC 5282 §8)"},
      {"aes128gcm16-aes128-sha256", P::ESP,
       "proposal 'aes128gcm16-aes128-sha256' mixes AEAD 'aes128gcm16' with non-AEAD 'aes128' encryption: put "
       "them "
       "in separate proposals"},
      {"aes128-sha256", P::AH,
       "encryption keyword 'aes128' in AH proposal 'aes128-sha256': AH only authenticates"},
      {"aes128gcm16-prfsha256", P::ESP,
       "PRF keyword 'prfsha256' in ESP proposal 'aes128gcm16-prfsha256': only IKE negotiates a PRF"},
      {"sha256-prfsha256", P::AH,
       "PRF keyword 'prfsha256' in AH proposal 'sha256-prfsha256': only IKE negotiates a PRF"},
      {"aes128-sha256-modp2048-esn", P::IKE,
       "keyword 'esn' in IKE proposal 'aes128-sha256-modp2048-esn': ESN applies to ESP and AH only"},
      {"aes128gcm16", P::NONE, "proposals for protocol NONE are not supported"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    const auto parsed = parse_proposal(row.text, row.protocol);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error() == row.message);
  }
}

TEST_CASE("to_string lists a configured proposal with IANA names", "[proposal]") {
  CHECK(ikev2::to_string(must_parse("aes256-aes128-sha256-modp2048-ecp256", P::IKE)) ==
        "IKE:ENCR_AES_CBC_256/ENCR_AES_CBC_128/AUTH_HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048/ECP_256");
  CHECK(ikev2::to_string(must_parse("chacha20poly1305-aes128gcm16-esn-noesn", P::ESP)) ==
        "ESP:ENCR_CHACHA20_POLY1305/ENCR_AES_GCM_16_128/ESN/NO_ESN");
  CHECK(ikev2::to_string(must_parse("sha1", P::AH)) == "AH:AUTH_HMAC_SHA1_96/NO_ESN");
}

TEST_CASE("Negotiated transforms print back in the keyword syntax they parse from", "[proposal]") {
  using ipsecd::iana::SecurityProtocolId;
  for (const auto& [text, protocol] : std::vector<std::pair<std::string, SecurityProtocolId>>{
           {"aes256gcm16-prfsha384-x25519", SecurityProtocolId::IKE},
           {"aes128-sha256-prfsha256-modp2048", SecurityProtocolId::IKE},
           {"chacha20poly1305-prfsha256-ecp384", SecurityProtocolId::IKE},
           {"aes256gcm16", SecurityProtocolId::ESP},
           {"aes128-sha1-esn", SecurityProtocolId::ESP},
           {"aes192-sha512-modp3072", SecurityProtocolId::ESP},
           {"sha384", SecurityProtocolId::AH}}) {
    INFO(text);
    auto parsed = ipsecd::ikev2::parse_proposal(text, protocol);
    REQUIRE(parsed);
    ipsecd::ikev2::NegotiatedTransforms t;
    t.protocol = protocol;
    if (!parsed->encryption.empty()) t.encryption = parsed->encryption.front();
    if (!parsed->integrity.empty()) t.integrity = parsed->integrity.front();
    if (!parsed->prf.empty()) t.prf = parsed->prf.front();
    if (!parsed->key_exchange.empty()) t.key_exchange = parsed->key_exchange.front();
    t.esn = !parsed->esn.empty() && parsed->esn.front();
    CHECK(ipsecd::ikev2::to_keywords(t) == text);
  }
}
