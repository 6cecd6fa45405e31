// Tests for the IKEv2 PRFs, AES-XCBC-MAC and prf+ with RFC 2202, 4231, 3566, 4434 and 4615 vectors.
#include "crypto/prf.h"
#include "crypto/prf_plus.h"
#include "crypto/xcbc_mac.h"

#include <botan/hash.h>
#include <botan/hex.h>
#include <botan/mac.h>

#include <catch2/catch.hpp>
#include <string>

using ipsecd::crypto::AesXcbcMac;
using ipsecd::crypto::Bytes;
using ipsecd::crypto::ByteView;
using ipsecd::crypto::make_prf;
using ipsecd::crypto::Prf;
using ipsecd::crypto::prf_plus;
using ipsecd::crypto::SecureBytes;
using ipsecd::iana::PseudorandomFunction;

namespace {

Bytes unhex(const std::string& text) { return Botan::hex_decode(text); }
Bytes ascii(const std::string& text) { return Bytes(text.begin(), text.end()); }
Bytes repeated(uint8_t byte, size_t count) { return Bytes(count, byte); }
std::string hex(ByteView bytes) { return Botan::hex_encode(bytes.data(), bytes.size(), false); }

std::unique_ptr<Prf> prf_for(PseudorandomFunction id) {
  auto prf = make_prf(id);
  REQUIRE(prf.has_value());
  return std::move(prf).value();
}

std::string prf_hex(PseudorandomFunction id, const Bytes& key, const Bytes& data) {
  return hex(prf_for(id)->compute(key, data));
}

const Bytes rfc_message = unhex("000102030405060708090a0b0c0d0e0f10111213");
const std::string hash_key_first = "Test Using Larger Than Block-Size Key - Hash Key First";

}  // namespace

TEST_CASE("PRF_HMAC_MD5 matches RFC 2202 section 2", "[prf]") {
  const auto id = PseudorandomFunction::PRF_HMAC_MD5;
  CHECK(prf_hex(id, repeated(0x0b, 16), ascii("Hi There")) == "9294727a3638bb1c13f48ef8158bfc9d");
  CHECK(prf_hex(id, ascii("Jefe"), ascii("what do ya want for nothing?")) ==
        "750c783e6ab0b503eaa86e310a5db738");
  CHECK(prf_hex(id, repeated(0xaa, 16), repeated(0xdd, 50)) == "56be34521d144c88dbb8c733f0e8b3f6");
  CHECK(prf_hex(id, repeated(0xaa, 80), ascii(hash_key_first)) == "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
}

TEST_CASE("PRF_HMAC_SHA1 matches RFC 2202 section 3", "[prf]") {
  const auto id = PseudorandomFunction::PRF_HMAC_SHA1;
  CHECK(prf_hex(id, repeated(0x0b, 20), ascii("Hi There")) == "b617318655057264e28bc0b6fb378c8ef146be00");
  CHECK(prf_hex(id, ascii("Jefe"), ascii("what do ya want for nothing?")) ==
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(prf_hex(id, repeated(0xaa, 20), repeated(0xdd, 50)) == "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
  CHECK(prf_hex(id, repeated(0xaa, 80), ascii(hash_key_first)) == "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST_CASE("PRF_HMAC_SHA2_256/384/512 match RFC 4231 test cases 1, 2 and 6", "[prf]") {
  const Bytes key1 = repeated(0x0b, 20);
  const Bytes data1 = ascii("Hi There");
  const Bytes key2 = ascii("Jefe");
  const Bytes data2 = ascii("what do ya want for nothing?");
  const Bytes key6 = repeated(0xaa, 131);
  const Bytes data6 = ascii(hash_key_first);

  const auto sha256 = PseudorandomFunction::PRF_HMAC_SHA2_256;
  CHECK(prf_hex(sha256, key1, data1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(prf_hex(sha256, key2, data2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(prf_hex(sha256, key6, data6) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

  const auto sha384 = PseudorandomFunction::PRF_HMAC_SHA2_384;
  CHECK(prf_hex(sha384, key1, data1) ==
        "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6");
  CHECK(prf_hex(sha384, key2, data2) ==
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649");
  CHECK(prf_hex(sha384, key6, data6) ==
        "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952");

  const auto sha512 = PseudorandomFunction::PRF_HMAC_SHA2_512;
  CHECK(prf_hex(sha512, key1, data1) ==
        "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
        "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
  CHECK(prf_hex(sha512, key2, data2) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
  CHECK(prf_hex(sha512, key6, data6) ==
        "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
        "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

TEST_CASE("HMAC PRFs accept keys beyond Botan's 4096-byte limit as RFC 2104 defines them", "[prf]") {
  // RFC 2104 §2: a key longer than the hash block is replaced by its hash, so both must agree.
  const Bytes long_key = repeated(0x5c, 5000);
  auto sha256 = Botan::HashFunction::create_or_throw("SHA-256");
  const SecureBytes hashed_key = sha256->process(long_key);
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  CHECK(hex(prf->compute(long_key, ascii("data"))) == hex(prf->compute(hashed_key, ascii("data"))));
}

TEST_CASE("AES-XCBC-MAC gives the full 128-bit tags of RFC 3566 section 4.6", "[prf]") {
  const Bytes key = unhex("000102030405060708090a0b0c0d0e0f");
  auto mac = AesXcbcMac::make(key);
  REQUIRE(mac.has_value());
  auto tag = [&](const Bytes& message) { return hex(mac->compute(message)); };
  CHECK(tag({}) == "75f0251d528ac01c4573dfd584d79f29");
  CHECK(tag(unhex("000102")) == "5b376580ae2f19afe7219ceef172756f");
  CHECK(tag(unhex("000102030405060708090a0b0c0d0e0f")) == "d2a246fa349b68a79998a4394ff7a263");
  CHECK(tag(rfc_message) == "47f51b4564966215b8985c63055ed308");
  CHECK(tag(unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")) ==
        "f54f0ec8d2b9f3d36807734bd5283fd4");
  CHECK(tag(unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021")) ==
        "becbb3bccdb518a30677d5481fb6b4d8");
  CHECK(tag(Bytes(1000, 0)) == "f0dafee895db30253761103b5d84528f");
}

TEST_CASE("AES-XCBC-MAC refuses keys that are not 16 bytes", "[prf]") {
  CHECK_FALSE(AesXcbcMac::make(Bytes(15, 1)).has_value());
  CHECK_FALSE(AesXcbcMac::make(Bytes(17, 1)).has_value());
}

TEST_CASE("PRF_AES128_XCBC matches RFC 4434 section 6 for 16, 10 and 18-byte keys", "[prf]") {
  const auto id = PseudorandomFunction::PRF_AES128_XCBC;
  CHECK(prf_hex(id, unhex("000102030405060708090a0b0c0d0e0f"), rfc_message) ==
        "47f51b4564966215b8985c63055ed308");
  CHECK(prf_hex(id, unhex("00010203040506070809"), rfc_message) == "0fa087af7d866e7653434e602fdde835");
  CHECK(prf_hex(id, unhex("000102030405060708090a0b0c0d0e0fedcb"), rfc_message) ==
        "8cd3c93ae598a9803006ffb67c40e9e4");
}

TEST_CASE("PRF_AES128_CMAC matches RFC 4615 section 4 for 18, 16 and 10-byte keys", "[prf]") {
  const auto id = PseudorandomFunction::PRF_AES128_CMAC;
  CHECK(prf_hex(id, unhex("000102030405060708090a0b0c0d0e0fedcb"), rfc_message) ==
        "84a348a4a45d235babfffc0d2b4da09a");
  CHECK(prf_hex(id, unhex("000102030405060708090a0b0c0d0e0f"), rfc_message) ==
        "980ae87b5f4c9c5214f5b6a8455e4c2d");
  CHECK(prf_hex(id, unhex("00010203040506070809"), rfc_message) == "290d9e112edb09ee141fcf64c0b72f3d");
}

TEST_CASE("PRF sizes follow RFC 7296 section 2.13", "[prf]") {
  struct Row {
    PseudorandomFunction id;
    size_t output;
    bool fixed;
  };
  const Row row = GENERATE(Row{PseudorandomFunction::PRF_HMAC_MD5, 16, false},
                           Row{PseudorandomFunction::PRF_HMAC_SHA1, 20, false},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_256, 32, false},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_384, 48, false},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_512, 64, false},
                           Row{PseudorandomFunction::PRF_AES128_XCBC, 16, true},
                           Row{PseudorandomFunction::PRF_AES128_CMAC, 16, true});
  auto prf = prf_for(row.id);
  CHECK(prf->id() == row.id);
  CHECK(prf->output_size() == row.output);
  CHECK(prf->key_size() == row.output);
  CHECK(prf->fixed_key_size() == row.fixed);
  CHECK(prf->compute(Bytes{1, 2, 3}, Bytes{4, 5}).size() == row.output);
}

TEST_CASE("make_prf refuses PRFs it does not implement", "[prf]") {
  CHECK_FALSE(make_prf(PseudorandomFunction::PRF_HMAC_TIGER).has_value());
  CHECK_FALSE(make_prf(static_cast<PseudorandomFunction>(999)).has_value());
}

TEST_CASE("prf+ chains Tn = prf(K, Tn-1 | S | n) as RFC 7296 section 2.13 defines", "[prf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA1);
  const Bytes key = unhex("0102030405060708");
  const Bytes seed = ascii("seed bytes");

  Bytes input1 = seed;
  input1.push_back(0x01);
  const SecureBytes t1 = prf->compute(key, input1);
  Bytes input2(t1.begin(), t1.end());
  input2.insert(input2.end(), seed.begin(), seed.end());
  input2.push_back(0x02);
  const SecureBytes t2 = prf->compute(key, input2);

  auto out = prf_plus(*prf, key, seed, 30);
  REQUIRE(out.has_value());
  CHECK(hex(*out) == hex(t1) + hex(t2).substr(0, 20));
}

TEST_CASE("prf+ output is a prefix of any longer output and may be empty", "[prf]") {
  auto prf = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  const Bytes key = ascii("key");
  const Bytes seed = ascii("seed");
  auto short_out = prf_plus(*prf, key, seed, 45);
  auto long_out = prf_plus(*prf, key, seed, 200);
  REQUIRE(short_out.has_value());
  REQUIRE(long_out.has_value());
  CHECK(short_out->size() == 45);
  CHECK(long_out->size() == 200);
  CHECK(hex(*long_out).substr(0, 90) == hex(*short_out));
  auto empty = prf_plus(*prf, key, seed, 0);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

TEST_CASE("prf+ stops at 255 iterations with an error value", "[prf]") {
  const auto id = GENERATE(PseudorandomFunction::PRF_HMAC_SHA1, PseudorandomFunction::PRF_AES128_XCBC);
  auto prf = prf_for(id);
  const size_t limit = 255 * prf->output_size();
  auto at_limit = prf_plus(*prf, Bytes{1}, Bytes{2}, limit);
  REQUIRE(at_limit.has_value());
  CHECK(at_limit->size() == limit);
  auto beyond = prf_plus(*prf, Bytes{1}, Bytes{2}, limit + 1);
  REQUIRE_FALSE(beyond.has_value());
  CHECK(beyond.error().find("255") != std::string::npos);
}

TEST_CASE("prf+ under every PRF chains Tn = prf(K, Tn-1 | S | n) as compute gives it", "[prf]") {
  const auto id = GENERATE(PseudorandomFunction::PRF_HMAC_MD5, PseudorandomFunction::PRF_HMAC_SHA1,
                           PseudorandomFunction::PRF_HMAC_SHA2_256, PseudorandomFunction::PRF_HMAC_SHA2_384,
                           PseudorandomFunction::PRF_HMAC_SHA2_512, PseudorandomFunction::PRF_AES128_XCBC,
                           PseudorandomFunction::PRF_AES128_CMAC);
  auto prf = prf_for(id);
  const Bytes key = repeated(0x6b, 40);
  const Bytes seed = ascii("Ni | Nr | SPIi | SPIr");
  std::string expected;
  Bytes previous;
  for (uint8_t n = 1; n <= 3; ++n) {
    Bytes input = previous;
    input.insert(input.end(), seed.begin(), seed.end());
    input.push_back(n);
    const SecureBytes t = prf->compute(key, input);
    previous.assign(t.begin(), t.end());
    expected += hex(t);
  }
  const size_t length = 3 * prf->output_size() - 5;
  auto out = prf_plus(*prf, key, seed, length);
  REQUIRE(out.has_value());
  CHECK(hex(*out) == expected.substr(0, 2 * length));
}

TEST_CASE("HMAC PRFs equal Botan's HMAC for keys around the hash block size", "[prf]") {
  struct Row {
    PseudorandomFunction id;
    std::string hash;
  };
  const Row row = GENERATE(Row{PseudorandomFunction::PRF_HMAC_MD5, "MD5"},
                           Row{PseudorandomFunction::PRF_HMAC_SHA1, "SHA-1"},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_256, "SHA-256"},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_384, "SHA-384"},
                           Row{PseudorandomFunction::PRF_HMAC_SHA2_512, "SHA-512"});
  const size_t key_length = GENERATE(as<size_t>{}, 0, 1, 17, 63, 64, 65, 127, 128, 129, 300);
  auto prf = prf_for(row.id);
  auto reference = Botan::MessageAuthenticationCode::create_or_throw("HMAC(" + row.hash + ")");
  Bytes key(key_length);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
  const Bytes data = repeated(0x3a, 200);
  reference->set_key(key);
  const std::string expected = hex(reference->process(data));
  INFO(row.hash << " with a " << key_length << "-byte key");
  CHECK(hex(prf->compute(key, data)) == expected);
  Bytes out(prf->output_size());
  const ByteView whole(data);
  const ByteView pieces[] = {whole.first(1), ByteView(), whole.subspan(1, 130), whole.subspan(131)};
  prf->keyed(key)->compute(pieces, out);
  CHECK(hex(out) == expected);
}

TEST_CASE("A keyed PRF equals compute under the same key and stays usable after each call", "[prf]") {
  const auto id = GENERATE(PseudorandomFunction::PRF_HMAC_MD5, PseudorandomFunction::PRF_HMAC_SHA1,
                           PseudorandomFunction::PRF_HMAC_SHA2_256, PseudorandomFunction::PRF_HMAC_SHA2_384,
                           PseudorandomFunction::PRF_HMAC_SHA2_512, PseudorandomFunction::PRF_AES128_XCBC,
                           PseudorandomFunction::PRF_AES128_CMAC);
  // 10 and 18 bytes take the AES PRFs' padding and reduction paths (RFC 4434 §2, RFC 4615 §3).
  const size_t key_length = GENERATE(as<size_t>{}, 10, 16, 18, 5000);
  auto prf = prf_for(id);
  const Bytes key = repeated(0x42, key_length);
  auto keyed = prf->keyed(key);
  REQUIRE(keyed->output_size() == prf->output_size());
  for (const Bytes& data : {ascii("first message"), Bytes(), repeated(0x99, 333), ascii("first message")}) {
    const ByteView pieces[] = {data};
    Bytes out(keyed->output_size());
    keyed->compute(pieces, out);
    CHECK(hex(out) == hex(prf->compute(key, data)));
  }
}

TEST_CASE("Keyed PRFs reproduce RFC 4231 test case 2 and RFC 4615 section 4", "[prf]") {
  auto sha256 = prf_for(PseudorandomFunction::PRF_HMAC_SHA2_256);
  const Bytes what = ascii("what do ya want for nothing?");
  const ByteView split[] = {ByteView(what).first(4), ByteView(what).subspan(4)};
  Bytes out(32);
  sha256->keyed(ascii("Jefe"))->compute(split, out);
  CHECK(hex(out) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  auto cmac = prf_for(PseudorandomFunction::PRF_AES128_CMAC);
  const ByteView message[] = {ByteView(rfc_message).first(7), ByteView(rfc_message).subspan(7)};
  Bytes tag(16);
  cmac->keyed(unhex("00010203040506070809"))->compute(message, tag);
  CHECK(hex(tag) == "290d9e112edb09ee141fcf64c0b72f3d");
}
