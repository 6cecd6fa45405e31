// Tests for SKEYSEED, SK_*, rekeyed SKEYSEED, CHILD_SA KEYMAT and ESP/AH key lengths (CAVP, strongSwan).
#include "crypto/esp_key_lengths.h"
#include "crypto/ike_key_derivation.h"
#include "crypto/prf_plus.h"

#include "tests/support/strongswan_fixture.h"

#include <botan/hex.h>

#include <catch2/catch.hpp>
#include <string>

using ipsecd::crypto::ah_key_lengths;
using ipsecd::crypto::Bytes;
using ipsecd::crypto::ByteView;
using ipsecd::crypto::ChildSaKeyLengths;
using ipsecd::crypto::derive_child_sa_keys;
using ipsecd::crypto::derive_ike_sa_keys;
using ipsecd::crypto::esp_key_lengths;
using ipsecd::crypto::ike_sa_skeyseed;
using ipsecd::crypto::make_prf;
using ipsecd::crypto::Prf;
using ipsecd::crypto::prf_plus;
using ipsecd::crypto::rekeyed_ike_sa_skeyseed;
using ipsecd::crypto::SecureBytes;
using ipsecd::crypto::SkAlgorithm;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;
using ipsecd::iana::PseudorandomFunction;

namespace {

Bytes unhex(const std::string& text) { return Botan::hex_decode(text); }
std::string hex(ByteView bytes) { return Botan::hex_encode(bytes.data(), bytes.size(), false); }
Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::unique_ptr<Prf> prf_for(PseudorandomFunction id) {
  auto prf = make_prf(id);
  REQUIRE(prf.has_value());
  return std::move(prf).value();
}

// The IKE header's SPI value from its 8 wire bytes.
uint64_t spi(const Bytes& wire) {
  REQUIRE(wire.size() == 8);
  uint64_t value = 0;
  for (uint8_t byte : wire) value = (value << 8) | byte;
  return value;
}

}  // namespace

TEST_CASE("IKEv2 KDF matches the NIST CAVP HMAC-SHA1 vector", "[kdf]") {
  // NIST CAVP IKEv2 KDF vector (as carried in Libreswan's self-test): 8-byte nonces, 132 bytes of DKM.
  const Bytes ni = unhex("32b50d5f4a3763f3");
  const Bytes nr = unhex("9206a04b26564cb1");
  const Bytes gir = unhex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");
  const Bytes gir_new = unhex("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330");
  const std::string dkm =
      "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002"
      "a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a"
      "5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
      "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435"
      "a7a56cc4";
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA1);

  auto skeyseed = ike_sa_skeyseed(*prf, ni, nr, gir);
  REQUIRE(skeyseed.has_value());
  CHECK(hex(*skeyseed) == "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7");

  // 3 x 20 (SK_d, SK_pi, SK_pr) + 2 x 20 (HMAC-SHA1-96) + 2 x 16 (AES-128) = 132 bytes, the DKM length.
  const SkAlgorithm algorithm{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96};
  auto keys = derive_ike_sa_keys(*prf, *skeyseed, ni, nr, 0x34c9e7c188868785, 0x3ff77d760d2b2199, algorithm);
  REQUIRE(keys.has_value());
  CHECK(hex(keys->sk_d) + hex(keys->sk_ai) + hex(keys->sk_ar) + hex(keys->sk_ei) + hex(keys->sk_er) +
            hex(keys->sk_pi) + hex(keys->sk_pr) ==
        dkm);
  CHECK(keys->sk_d.size() == 20);
  CHECK(keys->sk_ei.size() == 16);

  CHECK(hex(rekeyed_ike_sa_skeyseed(*prf, keys->sk_d, gir_new, ni, nr)) ==
        "63e81194946ebd05df7df5ebf5d8750056bf1f1d");
}

TEST_CASE("SKEYSEED and SK_* match strongSwan 5.9.8", "[kdf]") {
  const auto names = ipsecd::test::strongswan_fixture_names();
  REQUIRE(names.size() >= 5);
  for (const auto& name : names) {
    INFO(name);
    const auto fixture = ipsecd::test::load_strongswan_fixture(name);
    const auto& transforms = fixture.transforms;
    auto prf = prf_for(static_cast<PseudorandomFunction>(transforms.prf));
    const SkAlgorithm algorithm{static_cast<EncryptionAlgorithm>(transforms.encryption),
                                transforms.encryption_key_bits,
                                static_cast<IntegrityAlgorithm>(transforms.integrity.value_or(0))};

    auto skeyseed = ike_sa_skeyseed(*prf, fixture.ni, fixture.nr, fixture.shared_secret);
    REQUIRE(skeyseed.has_value());
    CHECK(hex(*skeyseed) == hex(fixture.skeyseed));

    auto keys = derive_ike_sa_keys(*prf, *skeyseed, fixture.ni, fixture.nr, spi(fixture.spi_i),
                                   spi(fixture.spi_r), algorithm);
    REQUIRE(keys.has_value());
    CHECK(hex(keys->sk_d) == hex(fixture.sk_d));
    CHECK(hex(keys->sk_ai) == hex(fixture.sk_ai));
    CHECK(hex(keys->sk_ar) == hex(fixture.sk_ar));
    CHECK(hex(keys->sk_ei) == hex(fixture.sk_ei));
    CHECK(hex(keys->sk_er) == hex(fixture.sk_er));
    CHECK(hex(keys->sk_pi) == hex(fixture.sk_pi));
    CHECK(hex(keys->sk_pr) == hex(fixture.sk_pr));
  }
}

TEST_CASE("SKEYSEED with AES-XCBC or AES-CMAC is keyed by the first 64 bits of each nonce", "[kdf]") {
  const auto id = GENERATE(PseudorandomFunction::PRF_AES128_XCBC, PseudorandomFunction::PRF_AES128_CMAC);
  auto prf = prf_for(id);
  const Bytes ni = unhex("00112233445566778899aabbccddeeff0123456789abcdef");
  const Bytes nr = unhex("ffeeddccbbaa99887766554433221100fedcba9876543210");
  const Bytes gir = unhex("5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
  auto skeyseed = ike_sa_skeyseed(*prf, ni, nr, gir);
  REQUIRE(skeyseed.has_value());
  CHECK(hex(*skeyseed) == hex(prf->compute(unhex("0011223344556677ffeeddccbbaa9988"), gir)));

  Bytes ni_changed_tail = ni;
  ni_changed_tail.back() ^= 0xff;
  auto same = ike_sa_skeyseed(*prf, ni_changed_tail, nr, gir);
  REQUIRE(same.has_value());
  CHECK(hex(*same) == hex(*skeyseed));

  CHECK_FALSE(ike_sa_skeyseed(*prf, Bytes(7, 1), nr, gir).has_value());
  CHECK_FALSE(ike_sa_skeyseed(*prf, ni, Bytes(7, 1), gir).has_value());
}

TEST_CASE("SKEYSEED with an HMAC PRF is keyed by the whole of Ni | Nr", "[kdf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  const Bytes ni(32, 0x01);
  const Bytes nr(32, 0x02);
  const Bytes gir(64, 0x03);
  auto skeyseed = ike_sa_skeyseed(*prf, ni, nr, gir);
  REQUIRE(skeyseed.has_value());
  CHECK(hex(*skeyseed) == hex(prf->compute(concat(ni, nr), gir)));
}

TEST_CASE("derive_ike_sa_keys passes on unusable SK algorithms and prf+ limits as errors", "[kdf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA1);
  const SkAlgorithm gcm_with_integ{EncryptionAlgorithm::ENCR_AES_GCM_16, 128,
                                   IntegrityAlgorithm::AUTH_HMAC_SHA1_96};
  CHECK_FALSE(
      derive_ike_sa_keys(*prf, Bytes(20, 1), Bytes(16, 2), Bytes(16, 3), 1, 2, gcm_with_integ).has_value());

  // 255 x 16 = 4080 bytes is all AES-XCBC-PRF-128's prf+ can give.
  auto xcbc = prf_for(PseudorandomFunction::PRF_AES128_XCBC);
  CHECK_FALSE(
      derive_child_sa_keys(*xcbc, Bytes(16, 1), {}, Bytes(16, 2), Bytes(16, 3), {1000, 1100}).has_value());
  CHECK(derive_child_sa_keys(*xcbc, Bytes(16, 1), {}, Bytes(16, 2), Bytes(16, 3), {1000, 1040}).has_value());
}

TEST_CASE("CHILD_SA KEYMAT is cut initiator-to-responder first, encryption before integrity", "[kdf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  const Bytes sk_d(32, 0x0d);
  const Bytes ni(32, 0x01);
  const Bytes nr(32, 0x02);
  const Bytes gir(32, 0x03);
  const ChildSaKeyLengths lengths{20, 32};  // both keys present, so the cutting order shows

  struct Variant {
    Bytes pfs;
    Bytes seed;
  };
  const Variant v = GENERATE_COPY(Variant{{}, concat(ni, nr)}, Variant{gir, concat(gir, concat(ni, nr))});
  auto keys = derive_child_sa_keys(*prf, sk_d, v.pfs, ni, nr, lengths);
  REQUIRE(keys.has_value());
  auto keymat = prf_plus(*prf, sk_d, v.seed, 2 * (20 + 32));
  REQUIRE(keymat.has_value());
  const std::string all = hex(*keymat);
  CHECK(hex(keys->initiator_to_responder.encryption) == all.substr(0, 40));
  CHECK(hex(keys->initiator_to_responder.integrity) == all.substr(40, 64));
  CHECK(hex(keys->responder_to_initiator.encryption) == all.substr(104, 40));
  CHECK(hex(keys->responder_to_initiator.integrity) == all.substr(144, 64));
}

TEST_CASE("CHILD_SA KEYMAT with PFS differs from KEYMAT without", "[kdf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  const Bytes sk_d(32, 0x0d);
  auto without = derive_child_sa_keys(*prf, sk_d, {}, Bytes(32, 1), Bytes(32, 2), {36, 0});
  auto with = derive_child_sa_keys(*prf, sk_d, Bytes(32, 3), Bytes(32, 1), Bytes(32, 2), {36, 0});
  REQUIRE(without.has_value());
  REQUIRE(with.has_value());
  CHECK(with->initiator_to_responder.encryption != without->initiator_to_responder.encryption);
  CHECK(without->initiator_to_responder.integrity.empty());
  CHECK(without->responder_to_initiator.encryption.size() == 36);
}

TEST_CASE("ESP key lengths include the salt or nonce the kernel expects", "[kdf]") {
  struct Row {
    EncryptionAlgorithm encryption;
    uint16_t key_bits;
    IntegrityAlgorithm integrity;
    size_t encryption_length;
    size_t integrity_length;
  };
  const Row row = GENERATE(
      Row{EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::NONE, 20, 0},
      Row{EncryptionAlgorithm::ENCR_AES_GCM_8, 256, IntegrityAlgorithm::NONE, 36, 0},
      Row{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE, 36, 0},
      Row{EncryptionAlgorithm::ENCR_AES_CCM_16, 192, IntegrityAlgorithm::NONE, 27, 0},
      Row{EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC, 128, IntegrityAlgorithm::NONE, 20, 0},
      Row{EncryptionAlgorithm::ENCR_AES_CTR, 128, IntegrityAlgorithm::AUTH_AES_XCBC_96, 20, 16},
      Row{EncryptionAlgorithm::ENCR_AES_CBC, 256, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32, 32},
      Row{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_AES_CMAC_96, 16, 16},
      Row{EncryptionAlgorithm::ENCR_3DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96, 24, 20},
      Row{EncryptionAlgorithm::ENCR_NULL, 0, IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, 0, 64});
  auto lengths = esp_key_lengths(row.encryption, row.key_bits, row.integrity);
  INFO(std::string(ipsecd::iana::name(row.encryption)));
  REQUIRE(lengths.has_value());
  CHECK(lengths->encryption == row.encryption_length);
  CHECK(lengths->integrity == row.integrity_length);
}

TEST_CASE("ESP and AH key lengths refuse inconsistent transforms", "[kdf]") {
  CHECK_FALSE(
      esp_key_lengths(EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96)
          .has_value());
  CHECK_FALSE(esp_key_lengths(EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::NONE).has_value());
  CHECK_FALSE(esp_key_lengths(EncryptionAlgorithm::ENCR_NULL, 0, IntegrityAlgorithm::NONE).has_value());
  CHECK_FALSE(esp_key_lengths(EncryptionAlgorithm::ENCR_AES_CBC, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96)
                  .has_value());
  CHECK_FALSE(esp_key_lengths(EncryptionAlgorithm::ENCR_3DES, 192, IntegrityAlgorithm::AUTH_HMAC_SHA1_96)
                  .has_value());
  CHECK_FALSE(
      esp_key_lengths(EncryptionAlgorithm::ENCR_DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96).has_value());
  CHECK_FALSE(
      esp_key_lengths(EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_DES_MAC).has_value());

  auto ah = ah_key_lengths(IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192);
  REQUIRE(ah.has_value());
  CHECK(ah->encryption == 0);
  CHECK(ah->integrity == 48);
  CHECK_FALSE(ah_key_lengths(IntegrityAlgorithm::NONE).has_value());
}
