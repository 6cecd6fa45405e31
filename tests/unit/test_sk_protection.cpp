// SK payload protection (RFC 7296 §3.14) against real strongSwan 5.9.8 messages, and its failure modes.
#include "crypto/random.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"
#include "tests/support/strongswan_fixture.h"

#include <botan/hmac_drbg.h>
#include <botan/mac.h>
#include <botan/rng.h>

#include <catch2/catch.hpp>

using namespace ipsecd;
using ipsecd::test::load_strongswan_fixture;
using ipsecd::test::strongswan_fixture_names;

namespace {

crypto::SkAlgorithm algorithm_of(const test::StrongswanFixture& f) {
  return crypto::SkAlgorithm{static_cast<iana::EncryptionAlgorithm>(f.transforms.encryption),
                             f.transforms.encryption_key_bits,
                             static_cast<iana::IntegrityAlgorithm>(f.transforms.integrity.value_or(0))};
}

std::unique_ptr<crypto::SkCipher> cipher_for(const test::StrongswanFixture& f, bool from_initiator) {
  auto cipher = crypto::make_sk_cipher(algorithm_of(f), from_initiator ? f.sk_ei : f.sk_er,
                                       from_initiator ? f.sk_ai : f.sk_ar);
  REQUIRE(cipher);
  return std::move(*cipher);
}

// A CBC + HMAC cipher with fixed keys for the failure cases.
std::unique_ptr<crypto::SkCipher> test_cipher() {
  const crypto::SecureBytes ke(32, 0x11), ka(32, 0x22);
  auto cipher = crypto::make_sk_cipher(
      {iana::EncryptionAlgorithm::ENCR_AES_CBC, 256, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128}, ke,
      ka);
  REQUIRE(cipher);
  return std::move(*cipher);
}

std::unique_ptr<crypto::SkCipher> aead_test_cipher() {
  auto cipher = crypto::make_sk_cipher(
      {iana::EncryptionAlgorithm::ENCR_CHACHA20_POLY1305, 0, iana::IntegrityAlgorithm::NONE},
      crypto::SecureBytes(36, 0x44), {});
  REQUIRE(cipher);
  return std::move(*cipher);
}

std::unique_ptr<crypto::SkCipher> gcm_test_cipher() {
  auto cipher = crypto::make_sk_cipher(
      {iana::EncryptionAlgorithm::ENCR_AES_GCM_16, 256, iana::IntegrityAlgorithm::NONE},
      crypto::SecureBytes(36, 0x66), {});
  REQUIRE(cipher);
  return std::move(*cipher);
}

// The IV follows the IKE header and the SK payload's generic header (RFC 7296 §3.14).
constexpr size_t kSkIvOffset = 28 + 4;

ike::Header informational_header() {
  ike::Header h;
  h.initiator_spi = 0x0102030405060708;
  h.responder_spi = 0x1112131415161718;
  h.exchange = iana::ExchangeType::INFORMATIONAL;
  h.initiator = true;
  h.message_id = 7;
  return h;
}

std::vector<ike::Payload> some_inner_payloads() {
  ike::NotifyPayload notify;
  notify.type = iana::NotifyMessageType::INITIAL_CONTACT;
  ike::DeletePayload del;
  del.protocol = iana::SecurityProtocolId::ESP;
  del.spis = {0x01020304, 0x05060708};
  return {ike::Payload{notify}, ike::Payload{del}};
}

}  // namespace

TEST_CASE("strongSwan SK payloads decrypt and re-encrypt byte for byte", "[sk]") {
  size_t checked = 0;
  for (const auto& name : strongswan_fixture_names()) {
    const auto f = load_strongswan_fixture(name);
    for (const auto& enc : f.encrypted) {
      INFO(name << " message " << enc.message_index);
      const auto& msg = f.messages.at(static_cast<size_t>(enc.message_index));
      auto decoded = ike::decode_message(msg.bytes);
      REQUIRE(decoded);
      auto cipher = cipher_for(f, msg.from_initiator);

      auto inner = ike::unprotect_message(msg.bytes, *decoded, *cipher);
      REQUIRE(inner);
      auto expected_payloads = ike::decode_payloads(
          std::get<ike::SkPayload>(decoded->message.payloads.back().body).first_inner, enc.plain);
      REQUIRE(expected_payloads);
      CHECK(inner->payloads == *expected_payloads);
      CHECK(crypto::Bytes(inner->padding.begin(), inner->padding.end()) ==
            crypto::Bytes(enc.padding.begin(), enc.padding.end() - 1));

      auto again =
          ike::protect_message(decoded->message.header, inner->payloads, *cipher, enc.iv, inner->padding);
      REQUIRE(again);
      CHECK(*again == msg.bytes);
      ++checked;
    }
  }
  CHECK(checked >= 16);
}

TEST_CASE("protect then unprotect with a random IV restores the payloads", "[sk]") {
  auto cipher = test_cipher();
  auto bytes =
      ike::protect_message(informational_header(), some_inner_payloads(), *cipher, crypto::system_rng());
  REQUIRE(bytes);
  auto decoded = ike::decode_message(*bytes);
  REQUIRE(decoded);
  auto inner = ike::unprotect_message(*bytes, *decoded, *cipher);
  REQUIRE(inner);
  CHECK(inner->payloads == some_inner_payloads());
  CHECK(decoded->message.header == informational_header());
}

TEST_CASE("a tampered SK message fails its ICV before decryption", "[sk]") {
  const int which = GENERATE(0, 1, 2);
  auto cipher = which == 0 ? test_cipher() : which == 1 ? aead_test_cipher() : gcm_test_cipher();
  auto bytes =
      ike::protect_message(informational_header(), some_inner_payloads(), *cipher, crypto::system_rng());
  REQUIRE(bytes);
  // Every byte is covered: header, SK header, IV, ciphertext and the ICV itself.
  for (size_t i = 0; i < bytes->size(); ++i) {
    auto tampered = *bytes;
    tampered[i] ^= 0x01;
    auto decoded = ike::decode_message(tampered);
    if (!decoded) continue;  // a header or SK-header field no longer parses: dropped earlier
    auto inner = ike::unprotect_message(tampered, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    INFO("offset " << i);
    CHECK(inner.error().code == ike::UnprotectErrorCode::integrity_failed);
  }
  // The keyed cipher objects recover from every failed check.
  auto decoded = ike::decode_message(*bytes);
  REQUIRE(decoded);
  CHECK(ike::unprotect_message(*bytes, *decoded, *cipher));
}

TEST_CASE("protect_message takes sequential IVs for AEAD and RNG IVs for CBC", "[sk]") {
  const auto iv_of = [](const crypto::Bytes& datagram, size_t size) {
    return crypto::Bytes(datagram.begin() + kSkIvOffset,
                         datagram.begin() + static_cast<long>(kSkIvOffset + size));
  };
  for (auto& aead : {gcm_test_cipher(), aead_test_cipher()}) {
    Botan::Null_RNG no_rng;  // a counter needs no randomness
    for (uint8_t n = 0; n < 3; ++n) {
      auto bytes = ike::protect_message(informational_header(), some_inner_payloads(), *aead, no_rng);
      REQUIRE(bytes);
      CHECK(iv_of(*bytes, 8) == crypto::Bytes{0, 0, 0, 0, 0, 0, 0, n});
      auto decoded = ike::decode_message(*bytes);
      REQUIRE(decoded);
      CHECK(ike::unprotect_message(*bytes, *decoded, *aead));
    }
  }

  auto cbc = test_cipher();
  const crypto::Bytes seed(32, 0x99);
  Botan::HMAC_DRBG rng(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"));
  rng.initialize_with(seed.data(), seed.size());
  Botan::HMAC_DRBG mirror(Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)"));
  mirror.initialize_with(seed.data(), seed.size());
  auto bytes = ike::protect_message(informational_header(), some_inner_payloads(), *cbc, rng);
  REQUIRE(bytes);
  const auto expected = mirror.random_vec(16);
  CHECK(iv_of(*bytes, 16) == crypto::Bytes(expected.begin(), expected.end()));
  // A failing RNG is an error value.
  Botan::Null_RNG no_rng;
  CHECK_FALSE(ike::protect_message(informational_header(), some_inner_payloads(), *cbc, no_rng));
}

TEST_CASE("SK length, padding and inner-chain errors are reported, not thrown", "[sk]") {
  auto cipher = test_cipher();
  const crypto::Bytes iv(16, 0x33);
  const auto header = informational_header();

  SECTION("a message without SK") {
    ike::Message plain{header, some_inner_payloads()};
    auto encoded = ike::encode_message(plain);
    REQUIRE(encoded);
    auto decoded = ike::decode_message(encoded->bytes);
    REQUIRE(decoded);
    auto inner = ike::unprotect_message(encoded->bytes, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ike::UnprotectErrorCode::not_encrypted);
  }

  // Builds a datagram whose SK body is `body`, with an ICV computed over it when `seal` is set.
  auto message_with_plaintext = [&](crypto::ByteView padded_plaintext) {
    ike::Message outer{header,
                       {ike::Payload{ike::SkPayload{iana::PayloadType::NOTIFY,
                                                    crypto::Bytes(16 + padded_plaintext.size() + 16)}}}};
    auto encoded = ike::encode_message(outer);
    REQUIRE(encoded);
    auto& bytes = encoded->bytes;
    const size_t at = *encoded->encrypted_offset;
    auto sealed = cipher->seal(crypto::ByteView(bytes).first(at), iv, padded_plaintext);
    REQUIRE(sealed.size() == padded_plaintext.size() + 16);
    std::copy(iv.begin(), iv.end(), bytes.begin() + static_cast<ptrdiff_t>(at));
    std::copy(sealed.begin(), sealed.end(), bytes.begin() + static_cast<ptrdiff_t>(at + 16));
    return bytes;
  };

  SECTION("Pad Length reaching before the plaintext") {
    crypto::Bytes padded(16, 0);
    padded.back() = 200;
    auto bytes = message_with_plaintext(padded);
    auto decoded = ike::decode_message(bytes);
    REQUIRE(decoded);
    auto inner = ike::unprotect_message(bytes, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ike::UnprotectErrorCode::bad_padding);
  }

  SECTION("a malformed inner chain") {
    // A Notify header claiming 40 bytes in a 15-byte plaintext.
    crypto::Bytes padded{0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    auto bytes = message_with_plaintext(padded);
    auto decoded = ike::decode_message(bytes);
    REQUIRE(decoded);
    auto inner = ike::unprotect_message(bytes, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ike::UnprotectErrorCode::inner_decode);
    CHECK(inner.error().decode.code == ike::DecodeErrorCode::bad_length);
  }

  SECTION("ciphertext not a whole number of blocks") {
    auto bytes = message_with_plaintext(crypto::Bytes(16, 0));
    // Drop one byte of the body and fix both length fields so the codec accepts the shape.
    bytes.pop_back();
    bytes[27] = static_cast<uint8_t>(bytes.size());
    const size_t sk_len = bytes.size() - 28;
    bytes[30] = static_cast<uint8_t>(sk_len >> 8);
    bytes[31] = static_cast<uint8_t>(sk_len);
    auto decoded = ike::decode_message(bytes);
    REQUIRE(decoded);
    auto inner = ike::unprotect_message(bytes, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ike::UnprotectErrorCode::bad_length);
  }

  SECTION("a body too short for IV, one block and ICV") {
    ike::Message outer{header, {ike::Payload{ike::SkPayload{iana::PayloadType::NOTIFY, crypto::Bytes(20)}}}};
    auto encoded = ike::encode_message(outer);
    REQUIRE(encoded);
    auto decoded = ike::decode_message(encoded->bytes);
    REQUIRE(decoded);
    auto inner = ike::unprotect_message(encoded->bytes, *decoded, *cipher);
    REQUIRE_FALSE(inner);
    CHECK(inner.error().code == ike::UnprotectErrorCode::bad_length);
  }

  SECTION("padding that does not fill whole blocks is refused when sealing") {
    auto bytes = ike::protect_message(header, some_inner_payloads(), *cipher, iv, crypto::Bytes(3, 0));
    CHECK_FALSE(bytes);
  }
}
