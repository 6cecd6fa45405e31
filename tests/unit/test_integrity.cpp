// Tests for the IKEv2 integrity algorithms: key/ICV lengths, RFC 2202/4868/3566 vectors and verification.
#include "crypto/integrity.h"

#include <botan/hex.h>

#include <catch2/catch.hpp>
#include <string>

using ipsecd::crypto::Bytes;
using ipsecd::crypto::ByteView;
using ipsecd::crypto::Integrity;
using ipsecd::crypto::integrity_lengths;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

Bytes unhex(const std::string& text) { return Botan::hex_decode(text); }
Bytes ascii(const std::string& text) { return Bytes(text.begin(), text.end()); }
std::string hex(ByteView bytes) { return Botan::hex_encode(bytes.data(), bytes.size(), false); }

Integrity make(IntegrityAlgorithm algorithm, const Bytes& key) {
  auto integrity = Integrity::make(algorithm, key);
  REQUIRE(integrity.has_value());
  return std::move(integrity).value();
}

}  // namespace

TEST_CASE("Integrity key and ICV lengths follow RFC 2403, 2404, 3566 and 4868", "[integ]") {
  struct Row {
    IntegrityAlgorithm algorithm;
    size_t key;
    size_t icv;
  };
  const Row row = GENERATE(Row{IntegrityAlgorithm::AUTH_HMAC_MD5_96, 16, 12},
                           Row{IntegrityAlgorithm::AUTH_HMAC_SHA1_96, 20, 12},
                           Row{IntegrityAlgorithm::AUTH_AES_XCBC_96, 16, 12},
                           Row{IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, 32, 16},
                           Row{IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, 48, 24},
                           Row{IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, 64, 32});
  auto lengths = integrity_lengths(row.algorithm);
  REQUIRE(lengths.has_value());
  CHECK(lengths->key == row.key);
  CHECK(lengths->icv == row.icv);
  auto integrity = make(row.algorithm, Bytes(row.key, 0x42));
  CHECK(integrity.algorithm() == row.algorithm);
  CHECK(integrity.key_size() == row.key);
  CHECK(integrity.icv_size() == row.icv);
  CHECK(integrity.compute(ascii("message")).size() == row.icv);
}

TEST_CASE("Unsupported integrity algorithms and wrong key lengths are error values", "[integ]") {
  CHECK_FALSE(integrity_lengths(IntegrityAlgorithm::NONE).has_value());
  CHECK_FALSE(integrity_lengths(IntegrityAlgorithm::AUTH_DES_MAC).has_value());
  CHECK_FALSE(integrity_lengths(static_cast<IntegrityAlgorithm>(77)).has_value());
  CHECK_FALSE(Integrity::make(IntegrityAlgorithm::AUTH_HMAC_SHA1_96, Bytes(16, 1)).has_value());
  CHECK_FALSE(Integrity::make(IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, Bytes(33, 1)).has_value());
  CHECK_FALSE(Integrity::make(IntegrityAlgorithm::AUTH_AES_XCBC_96, Bytes(10, 1)).has_value());
}

TEST_CASE("HMAC-MD5-96 and HMAC-SHA1-96 truncate the RFC 2202 MACs to 96 bits", "[integ]") {
  // RFC 2202 test case 1 in both sections uses a key of the hash length, as RFC 2403/2404 require.
  CHECK(hex(make(IntegrityAlgorithm::AUTH_HMAC_MD5_96, Bytes(16, 0x0b)).compute(ascii("Hi There"))) ==
        "9294727a3638bb1c13f48ef8");
  CHECK(hex(make(IntegrityAlgorithm::AUTH_HMAC_SHA1_96, Bytes(20, 0x0b)).compute(ascii("Hi There"))) ==
        "b617318655057264e28bc0b6");
}

TEST_CASE("HMAC-SHA2 integrity matches RFC 4868 section 2.7.2 test case 1", "[integ]") {
  CHECK(hex(make(IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, Bytes(32, 0x0b)).compute(ascii("Hi There"))) ==
        "198a607eb44bfbc69903a0f1cf2bbdc5");
  CHECK(hex(make(IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192, Bytes(48, 0x0b)).compute(ascii("Hi There"))) ==
        "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973");
  CHECK(hex(make(IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256, Bytes(64, 0x0b)).compute(ascii("Hi There"))) ==
        "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8");
}

TEST_CASE("AES-XCBC-MAC-96 matches RFC 3566 section 4.6", "[integ]") {
  auto xcbc = make(IntegrityAlgorithm::AUTH_AES_XCBC_96, unhex("000102030405060708090a0b0c0d0e0f"));
  CHECK(hex(xcbc.compute({})) == "75f0251d528ac01c4573dfd5");
  CHECK(hex(xcbc.compute(unhex("000102"))) == "5b376580ae2f19afe7219cee");
  CHECK(hex(xcbc.compute(unhex("000102030405060708090a0b0c0d0e0f"))) == "d2a246fa349b68a79998a439");
  CHECK(hex(xcbc.compute(unhex("000102030405060708090a0b0c0d0e0f10111213"))) == "47f51b4564966215b8985c63");
  CHECK(hex(xcbc.compute(unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"))) ==
        "f54f0ec8d2b9f3d36807734b");
  CHECK(hex(xcbc.compute(unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021"))) ==
        "becbb3bccdb518a30677d548");
  CHECK(hex(xcbc.compute(Bytes(1000, 0))) == "f0dafee895db30253761103b");
}

TEST_CASE("verify accepts the right ICV and rejects any change", "[integ]") {
  const auto algorithm = GENERATE(IntegrityAlgorithm::AUTH_HMAC_SHA1_96, IntegrityAlgorithm::AUTH_AES_XCBC_96,
                                  IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256);
  auto lengths = integrity_lengths(algorithm);
  REQUIRE(lengths.has_value());
  auto integrity = make(algorithm, Bytes(lengths->key, 0x17));
  const Bytes data = ascii("IKE header, SK payload header, IV and ciphertext");
  const Bytes icv = integrity.compute(data);
  CHECK(integrity.verify(data, icv));

  Bytes flipped_icv = icv;
  flipped_icv.back() ^= 0x01;
  CHECK_FALSE(integrity.verify(data, flipped_icv));

  Bytes flipped_data = data;
  flipped_data.front() ^= 0x80;
  CHECK_FALSE(integrity.verify(flipped_data, icv));

  CHECK_FALSE(integrity.verify(data, ByteView(icv).first(icv.size() - 1)));
  CHECK_FALSE(integrity.verify(data, {}));

  auto other_key = make(algorithm, Bytes(lengths->key, 0x18));
  CHECK_FALSE(other_key.verify(data, icv));
}
