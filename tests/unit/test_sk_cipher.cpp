// Tests for the SK payload ciphers: RFC 3602/GCM/RFC 8439 vectors, tampering, strongSwan datagrams.
#include "crypto/integrity.h"
#include "crypto/iv_counter.h"
#include "crypto/sk_cipher.h"

#include "tests/support/strongswan_fixture.h"

#include <botan/hex.h>
#include <botan/hmac_drbg.h>
#include <botan/loadstor.h>
#include <botan/mac.h>
#include <botan/rng.h>

#include <catch2/catch.hpp>
#include <limits>
#include <string>

using ipsecd::crypto::Bytes;
using ipsecd::crypto::ByteView;
using ipsecd::crypto::Integrity;
using ipsecd::crypto::IvCounter;
using ipsecd::crypto::make_sk_cipher;
using ipsecd::crypto::SecureBytes;
using ipsecd::crypto::sk_key_lengths;
using ipsecd::crypto::SkAlgorithm;
using ipsecd::crypto::SkCipher;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

Bytes unhex(const std::string& text) { return Botan::hex_decode(text); }
Bytes ascii(const std::string& text) { return Bytes(text.begin(), text.end()); }
std::string hex(ByteView bytes) { return Botan::hex_encode(bytes.data(), bytes.size(), false); }
Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

std::unique_ptr<SkCipher> cipher(const SkAlgorithm& algorithm, const Bytes& encryption_key,
                                 const Bytes& integrity_key) {
  auto made = make_sk_cipher(algorithm, encryption_key, integrity_key);
  INFO((made.has_value() ? std::string() : made.error()));
  REQUIRE(made.has_value());
  return std::move(made).value();
}

// A cipher with arbitrary keys of the right lengths.
std::unique_ptr<SkCipher> cipher(const SkAlgorithm& algorithm) {
  auto lengths = sk_key_lengths(algorithm);
  INFO((lengths.has_value() ? std::string() : lengths.error()));
  REQUIRE(lengths.has_value());
  return cipher(algorithm, Bytes(lengths->encryption, 0x3c), Bytes(lengths->integrity, 0x5a));
}

const SkAlgorithm aes128_sha1{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96};

// McGrew-Viega GCM test cases 4, 10 and 16 share plaintext, AAD and the 12-byte IV cafebabe facedbaddecaf888,
// which maps to salt cafebabe (end of SK_e) and IV facedbaddecaf888 (RFC 5282 §4).
const Bytes gcm_plaintext = unhex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
const Bytes gcm_aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
const Bytes gcm_salt = unhex("cafebabe");
const Bytes gcm_iv = unhex("facedbaddecaf888");

}  // namespace

TEST_CASE("sk_key_lengths gives SK_e and SK_a sizes per RFC 7296, RFC 5282 and RFC 7634", "[sk_cipher]") {
  struct Row {
    SkAlgorithm algorithm;
    size_t encryption;
    size_t integrity;
  };
  const Row row = GENERATE(
      Row{{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96}, 16, 20},
      Row{{EncryptionAlgorithm::ENCR_AES_CBC, 192, IntegrityAlgorithm::AUTH_AES_XCBC_96}, 24, 16},
      Row{{EncryptionAlgorithm::ENCR_AES_CBC, 256, IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256}, 32, 64},
      Row{{EncryptionAlgorithm::ENCR_3DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128}, 24, 32},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_8, 128, IntegrityAlgorithm::NONE}, 20, 0},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_12, 192, IntegrityAlgorithm::NONE}, 28, 0},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_16, 256, IntegrityAlgorithm::NONE}, 36, 0},
      Row{{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE}, 36, 0},
      Row{{EncryptionAlgorithm::ENCR_DES, 0, IntegrityAlgorithm::AUTH_HMAC_MD5_96, true}, 8, 16});
  auto lengths = sk_key_lengths(row.algorithm);
  INFO(std::string(ipsecd::iana::name(row.algorithm.encryption)));
  REQUIRE(lengths.has_value());
  CHECK(lengths->encryption == row.encryption);
  CHECK(lengths->integrity == row.integrity);
}

TEST_CASE("sk_key_lengths and make_sk_cipher refuse what they cannot do as error values", "[sk_cipher]") {
  const SkAlgorithm refused = GENERATE(
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 160, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::NONE},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_DES_MAC},
      SkAlgorithm{EncryptionAlgorithm::ENCR_3DES, 192, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_16, 0, IntegrityAlgorithm::NONE},
      SkAlgorithm{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 256, IntegrityAlgorithm::NONE},
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CCM_16, 128, IntegrityAlgorithm::NONE},
      SkAlgorithm{EncryptionAlgorithm::ENCR_CAMELLIA_CBC, 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{static_cast<EncryptionAlgorithm>(1234), 128, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
      SkAlgorithm{EncryptionAlgorithm::ENCR_DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96});
  CHECK_FALSE(sk_key_lengths(refused).has_value());
  CHECK_FALSE(make_sk_cipher(refused, Bytes(32, 1), Bytes(20, 2)).has_value());
}

TEST_CASE("ENCR_DES works only when legacy algorithms are explicitly allowed", "[sk_cipher]") {
  SkAlgorithm des{EncryptionAlgorithm::ENCR_DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96};
  auto refused = make_sk_cipher(des, Bytes(8, 1), Bytes(20, 2));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().find("allow_legacy") != std::string::npos);
  des.allow_legacy = true;
  auto des_cipher = cipher(des, Bytes(8, 1), Bytes(20, 2));
  CHECK(des_cipher->block_size() == 8);
  const Bytes sealed = des_cipher->seal(ascii("hdr"), Bytes(8, 9), Bytes(16, 7));
  auto opened = des_cipher->open(ascii("hdr"), Bytes(8, 9), sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(Bytes(16, 7)));
}

TEST_CASE("make_sk_cipher rejects keys of the wrong length", "[sk_cipher]") {
  CHECK_FALSE(make_sk_cipher(aes128_sha1, Bytes(15, 1), Bytes(20, 2)).has_value());
  CHECK_FALSE(make_sk_cipher(aes128_sha1, Bytes(16, 1), Bytes(16, 2)).has_value());
  CHECK_FALSE(make_sk_cipher(aes128_sha1, Bytes(32, 1), Bytes(20, 2)).has_value());
  const SkAlgorithm gcm{EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::NONE};
  CHECK_FALSE(make_sk_cipher(gcm, Bytes(16, 1), {}).has_value());  // salt missing
  CHECK_FALSE(make_sk_cipher(gcm, Bytes(20, 1), Bytes(20, 2)).has_value());
  CHECK(make_sk_cipher(gcm, Bytes(20, 1), {}).has_value());
}

TEST_CASE("IV, block and ICV sizes per algorithm", "[sk_cipher]") {
  struct Row {
    SkAlgorithm algorithm;
    size_t iv;
    size_t block;
    size_t icv;
  };
  const Row row = GENERATE(
      Row{aes128_sha1, 16, 16, 12},
      Row{{EncryptionAlgorithm::ENCR_AES_CBC, 256, IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192}, 16, 16, 24},
      Row{{EncryptionAlgorithm::ENCR_3DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128}, 8, 8, 16},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_8, 128, IntegrityAlgorithm::NONE}, 8, 1, 8},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_12, 192, IntegrityAlgorithm::NONE}, 8, 1, 12},
      Row{{EncryptionAlgorithm::ENCR_AES_GCM_16, 256, IntegrityAlgorithm::NONE}, 8, 1, 16},
      Row{{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE}, 8, 1, 16});
  auto sk = cipher(row.algorithm);
  CHECK(sk->iv_size() == row.iv);
  CHECK(sk->block_size() == row.block);
  CHECK(sk->icv_size() == row.icv);
}

TEST_CASE("AES-CBC in the SK payload matches RFC 3602 section 4 cases 1 and 2", "[sk_cipher]") {
  struct Case {
    const char* key;
    const char* iv;
    Bytes plaintext;
    const char* ciphertext;
  };
  const Case c = GENERATE(Case{"06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
                               ascii("Single block msg"), "e353779c1079aeb82708942dbe77181a"},
                          Case{"c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
                               unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
                               "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"});
  const Bytes integrity_key(20, 0x11);
  auto sk = cipher(aes128_sha1, unhex(c.key), integrity_key);
  const Bytes associated = ascii("IKE header and SK payload header");
  const Bytes iv = unhex(c.iv);
  const Bytes sealed = sk->seal(associated, iv, c.plaintext);
  const Bytes ciphertext = unhex(c.ciphertext);
  REQUIRE(sealed.size() == ciphertext.size() + 12);
  CHECK(hex(ByteView(sealed).first(ciphertext.size())) == c.ciphertext);

  // RFC 7296 §3.14: the ICV covers everything from the IKE header through the ciphertext.
  auto integrity = Integrity::make(IntegrityAlgorithm::AUTH_HMAC_SHA1_96, integrity_key);
  REQUIRE(integrity.has_value());
  CHECK(hex(ByteView(sealed).last(12)) ==
        hex(integrity->compute(concat(concat(associated, iv), ciphertext))));

  auto opened = sk->open(associated, iv, sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(c.plaintext));
}

TEST_CASE("AES-GCM in the SK payload matches GCM test cases 4, 10 and 16 with salt and IV split",
          "[sk_cipher]") {
  struct Case {
    uint16_t key_bits;
    const char* key;
    const char* ciphertext;
    const char* tag;
  };
  const Case c = GENERATE(Case{128, "feffe9928665731c6d6a8f9467308308",
                               "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                               "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
                               "5bc94fbc3221a5db94fae95ae7121a47"},
                          Case{192, "feffe9928665731c6d6a8f9467308308feffe9928665731c",
                               "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
                               "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
                               "2519498e80f1478f37ba55bd6d27618c"},
                          Case{256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
                               "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                               "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                               "76fc6ece0f4e1768cddf8853bb2d551b"});
  struct Variant {
    EncryptionAlgorithm encryption;
    size_t tag_size;
  };
  const Variant v = GENERATE(Variant{EncryptionAlgorithm::ENCR_AES_GCM_16, 16},
                             Variant{EncryptionAlgorithm::ENCR_AES_GCM_12, 12},
                             Variant{EncryptionAlgorithm::ENCR_AES_GCM_8, 8});
  auto sk = cipher({v.encryption, c.key_bits, IntegrityAlgorithm::NONE}, concat(unhex(c.key), gcm_salt), {});
  const Bytes sealed = sk->seal(gcm_aad, gcm_iv, gcm_plaintext);
  // A shorter GCM tag is the leading part of the full one (NIST SP 800-38D §5.2.1.2).
  CHECK(hex(sealed) == std::string(c.ciphertext) + std::string(c.tag).substr(0, 2 * v.tag_size));
  auto opened = sk->open(gcm_aad, gcm_iv, sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(gcm_plaintext));
}

TEST_CASE("ChaCha20-Poly1305 in the SK payload matches RFC 8439 section 2.8.2", "[sk_cipher]") {
  // The RFC's nonce 07000000 4041424344454647 is salt || IV in RFC 7634 §2 terms.
  const Bytes key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f07000000");
  const Bytes iv = unhex("4041424344454647");
  const Bytes aad = unhex("50515253c0c1c2c3c4c5c6c7");
  const Bytes plaintext = ascii(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
      "sunscreen would be it.");
  auto sk = cipher({EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE}, key, {});
  const Bytes sealed = sk->seal(aad, iv, plaintext);
  CHECK(hex(sealed) ==
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691");
  auto opened = sk->open(aad, iv, sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(plaintext));
}

TEST_CASE("open rejects tampered ICV, ciphertext, associated data or IV and truncated input", "[sk_cipher]") {
  const SkAlgorithm algorithm =
      GENERATE(SkAlgorithm(aes128_sha1),
               SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 256, IntegrityAlgorithm::AUTH_AES_XCBC_96},
               SkAlgorithm{EncryptionAlgorithm::ENCR_3DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128},
               SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_8, 128, IntegrityAlgorithm::NONE},
               SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_16, 256, IntegrityAlgorithm::NONE},
               SkAlgorithm{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE});
  auto sk = cipher(algorithm);
  const Bytes associated = ascii("0123456789abcdef0123456789abcdef");
  const Bytes iv(sk->iv_size(), 0x24);
  const Bytes plaintext(3 * 48, 0x61);  // a multiple of every block size here
  const Bytes sealed = sk->seal(associated, iv, plaintext);
  REQUIRE(sealed.size() == plaintext.size() + sk->icv_size());

  auto opened = sk->open(associated, iv, sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(plaintext));

  Bytes bad_icv = sealed;
  bad_icv.back() ^= 0x01;
  CHECK_FALSE(sk->open(associated, iv, bad_icv).has_value());

  Bytes bad_ciphertext = sealed;
  bad_ciphertext.front() ^= 0x01;
  CHECK_FALSE(sk->open(associated, iv, bad_ciphertext).has_value());

  Bytes bad_associated = associated;
  bad_associated[4] ^= 0x01;
  CHECK_FALSE(sk->open(bad_associated, iv, sealed).has_value());

  Bytes bad_iv = iv;
  bad_iv[0] ^= 0x01;
  CHECK_FALSE(sk->open(associated, bad_iv, sealed).has_value());

  CHECK_FALSE(sk->open(associated, iv, ByteView(sealed).first(sealed.size() - 1)).has_value());
  CHECK_FALSE(sk->open(associated, iv, ByteView(sealed).first(sk->icv_size() - 1)).has_value());
  CHECK_FALSE(sk->open(associated, iv, {}).has_value());
  CHECK_FALSE(sk->open(associated, ByteView(iv).first(iv.size() - 1), sealed).has_value());
}

TEST_CASE("CBC open rejects ciphertext that is not a non-zero multiple of the block", "[sk_cipher]") {
  auto sk = cipher(aes128_sha1);
  const Bytes iv(16, 0);
  CHECK_FALSE(sk->open({}, iv, Bytes(12, 0)).has_value());       // ICV only, no ciphertext
  CHECK_FALSE(sk->open({}, iv, Bytes(15 + 12, 0)).has_value());  // ragged ciphertext
}

TEST_CASE("seal returns nothing when the caller breaks its contract", "[sk_cipher]") {
  auto cbc = cipher(aes128_sha1);
  CHECK(cbc->seal({}, Bytes(15, 0), Bytes(16, 0)).empty());
  CHECK(cbc->seal({}, Bytes(16, 0), Bytes(17, 0)).empty());
  CHECK(cbc->seal({}, Bytes(16, 0), {}).empty());
  auto gcm = cipher({EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::NONE});
  CHECK(gcm->seal({}, Bytes(12, 0), Bytes(5, 0)).empty());
  // AEAD needs no alignment: any plaintext length seals.
  CHECK(gcm->seal({}, Bytes(8, 0), Bytes(5, 0)).size() == 5 + 16);
}

namespace {

SkAlgorithm algorithm_of(const ipsecd::test::FixtureTransforms& transforms) {
  return SkAlgorithm{static_cast<EncryptionAlgorithm>(transforms.encryption), transforms.encryption_key_bits,
                     static_cast<IntegrityAlgorithm>(transforms.integrity.value_or(0))};
}

}  // namespace

TEST_CASE("SK payloads sealed by strongSwan 5.9.8 are reproduced byte for byte and open", "[sk_cipher]") {
  const auto names = ipsecd::test::strongswan_fixture_names();
  REQUIRE(names.size() >= 5);
  for (const auto& name : names) {
    INFO(name);
    const auto fixture = ipsecd::test::load_strongswan_fixture(name);
    const SkAlgorithm algorithm = algorithm_of(fixture.transforms);
    auto initiator = cipher(algorithm, Bytes(fixture.sk_ei.begin(), fixture.sk_ei.end()),
                            Bytes(fixture.sk_ai.begin(), fixture.sk_ai.end()));
    auto responder = cipher(algorithm, Bytes(fixture.sk_er.begin(), fixture.sk_er.end()),
                            Bytes(fixture.sk_ar.begin(), fixture.sk_ar.end()));
    REQUIRE_FALSE(fixture.encrypted.empty());
    for (const auto& message : fixture.encrypted) {
      INFO("message " << message.message_index);
      const auto& datagram = fixture.messages.at(static_cast<size_t>(message.message_index));
      const SkCipher& sk = datagram.from_initiator ? *initiator : *responder;
      const Bytes padded = concat(message.plain, message.padding);
      const Bytes& wire = datagram.bytes;
      const size_t header = message.associated.size() + message.iv.size();
      REQUIRE(wire.size() == header + padded.size() + sk.icv_size());
      CHECK(hex(ByteView(wire).first(message.associated.size())) == hex(message.associated));
      CHECK(hex(ByteView(wire).subspan(message.associated.size(), message.iv.size())) == hex(message.iv));

      const ByteView sealed = ByteView(wire).subspan(header);
      CHECK(hex(sk.seal(message.associated, message.iv, padded)) == hex(sealed));
      auto opened = sk.open(message.associated, message.iv, sealed);
      REQUIRE(opened.has_value());
      CHECK(hex(*opened) == hex(padded));
    }
  }
}

TEST_CASE("AEAD IVs are a per-instance counter from zero and never touch the RNG", "[sk_cipher]") {
  const SkAlgorithm algorithm =
      GENERATE(SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_16, 256, IntegrityAlgorithm::NONE},
               SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_8, 128, IntegrityAlgorithm::NONE},
               SkAlgorithm{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE});
  CAPTURE(ipsecd::iana::name(algorithm.encryption));
  auto first = cipher(algorithm);
  auto second = cipher(algorithm);
  // Null_RNG throws if asked for anything: a counter needs no randomness.
  Botan::Null_RNG no_rng;
  for (uint64_t expected = 0; expected < 300; ++expected) {
    auto iv = first->next_iv(no_rng);
    REQUIRE(iv.has_value());
    REQUIRE(iv->size() == first->iv_size());
    Bytes big_endian(8);
    Botan::store_be(expected, big_endian.data());
    CHECK(*iv == big_endian);
  }
  // Each instance (one per SA direction) counts on its own.
  CHECK(hex(*second->next_iv(no_rng)) == "0000000000000000");
}

TEST_CASE("IvCounter refuses to wrap around", "[sk_cipher]") {
  IvCounter counter(std::numeric_limits<uint64_t>::max() - 1);
  CHECK(hex(*counter.next()) == "fffffffffffffffe");
  CHECK(hex(*counter.next()) == "ffffffffffffffff");
  auto wrapped = counter.next();
  REQUIRE_FALSE(wrapped.has_value());
  CHECK(wrapped.error().find("rekey") != std::string::npos);
  CHECK_FALSE(counter.next().has_value());
}

TEST_CASE("CBC IVs are fresh bytes from the RNG", "[sk_cipher]") {
  const SkAlgorithm algorithm = GENERATE(
      SkAlgorithm{EncryptionAlgorithm::ENCR_AES_CBC, 128, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128},
      SkAlgorithm{EncryptionAlgorithm::ENCR_3DES, 0, IntegrityAlgorithm::AUTH_HMAC_SHA1_96});
  CAPTURE(ipsecd::iana::name(algorithm.encryption));
  auto cbc = cipher(algorithm);
  // Two DRBGs seeded alike: the IVs must be exactly what the RNG handed out, in order.
  const Bytes seed(32, 0x77);
  Botan::HMAC_DRBG rng(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"));
  rng.initialize_with(seed.data(), seed.size());
  Botan::HMAC_DRBG mirror(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"));
  mirror.initialize_with(seed.data(), seed.size());
  for (int i = 0; i < 3; ++i) {
    auto iv = cbc->next_iv(rng);
    REQUIRE(iv.has_value());
    CHECK(iv->size() == cbc->iv_size());
    const auto expected = mirror.random_vec(cbc->iv_size());
    CHECK(*iv == Bytes(expected.begin(), expected.end()));
  }
  // An RNG that fails is an error value, not an exception.
  Botan::Null_RNG no_rng;
  CHECK_FALSE(cbc->next_iv(no_rng).has_value());
}

TEST_CASE("Two instances under one key interoperate whichever direction each uses first", "[sk_cipher]") {
  const SkAlgorithm algorithm =
      GENERATE(SkAlgorithm(aes128_sha1),
               SkAlgorithm{EncryptionAlgorithm::ENCR_AES_GCM_16, 128, IntegrityAlgorithm::NONE},
               SkAlgorithm{EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, IntegrityAlgorithm::NONE});
  // The sender only seals and the receiver starts by opening, as the two ends of one SA direction do.
  auto sender = cipher(algorithm);
  auto receiver = cipher(algorithm);
  const Bytes associated = ascii("IKE header and SK payload header");
  const Bytes iv(sender->iv_size(), 0x11);
  const Bytes plaintext(32, 0x70);
  const Bytes sealed = sender->seal(associated, iv, plaintext);
  REQUIRE_FALSE(sealed.empty());
  Bytes forged = sealed;
  forged[3] ^= 0x80;
  CHECK_FALSE(receiver->open(associated, iv, forged).has_value());
  auto opened = receiver->open(associated, iv, sealed);
  REQUIRE(opened.has_value());
  CHECK(hex(*opened) == hex(plaintext));
  // And the other way round, after each has used its first direction.
  const Bytes iv2(sender->iv_size(), 0x22);
  const Bytes reply = receiver->seal(associated, iv2, plaintext);
  CHECK(hex(reply) != hex(sealed));
  auto reply_opened = sender->open(associated, iv2, reply);
  REQUIRE(reply_opened.has_value());
  CHECK(hex(*reply_opened) == hex(plaintext));
}
