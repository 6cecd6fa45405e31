// IKEv2 fragmentation (RFC 7383): SKF datagrams within the size limit, reassembly in any order, and the
// limits and failure modes of a fragment set.
#include "crypto/random.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/skf_fragmentation.h"

#include <botan/rng.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

using namespace ipsecd;

namespace {

std::unique_ptr<crypto::SkCipher> make_cipher(iana::EncryptionAlgorithm encr,
                                              iana::IntegrityAlgorithm integ) {
  auto lengths = crypto::sk_key_lengths({encr, 256, integ});
  REQUIRE(lengths);
  auto cipher = crypto::make_sk_cipher({encr, 256, integ}, crypto::SecureBytes(lengths->encryption, 0x5a),
                                       crypto::SecureBytes(lengths->integrity, 0xa5));
  REQUIRE(cipher);
  return std::move(*cipher);
}

ike::Header auth_header() {
  ike::Header h;
  h.initiator_spi = 0xa1a2a3a4a5a6a7a8;
  h.responder_spi = 0xb1b2b3b4b5b6b7b8;
  h.exchange = iana::ExchangeType::IKE_AUTH;
  h.initiator = true;
  h.message_id = 1;
  return h;
}

// An IKE_AUTH-like chain made large by a certificate, as in the case fragmentation exists for.
std::vector<ike::Payload> large_inner() {
  ike::IdiPayload id;
  id.type = iana::IdentificationType::ID_FQDN;
  id.data = {'g', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'};
  ike::CertPayload cert;
  cert.encoding = iana::CertificateEncoding::X509_SIGNATURE;
  cert.data.resize(3000);
  for (size_t i = 0; i < cert.data.size(); ++i) cert.data[i] = static_cast<uint8_t>(i * 7);
  ike::AuthPayload auth;
  auth.method = iana::AuthenticationMethod::SHARED_KEY_MIC;
  auth.data = crypto::Bytes(32, 0x42);
  return {ike::Payload{id}, ike::Payload{cert}, ike::Payload{auth}};
}

std::vector<ike::OpenedFragment> open_all(const std::vector<crypto::Bytes>& datagrams,
                                          const crypto::SkCipher& cipher) {
  std::vector<ike::OpenedFragment> out;
  for (const auto& d : datagrams) {
    auto decoded = ike::decode_message(d);
    REQUIRE(decoded);
    auto opened = ike::unprotect_fragment(d, *decoded, cipher);
    REQUIRE(opened);
    out.push_back(std::move(*opened));
  }
  return out;
}

}  // namespace

TEST_CASE("fragments fit the datagram size and reassemble in any order", "[skf]") {
  const auto encr =
      GENERATE(iana::EncryptionAlgorithm::ENCR_AES_CBC, iana::EncryptionAlgorithm::ENCR_AES_GCM_16);
  const auto integ = encr == iana::EncryptionAlgorithm::ENCR_AES_CBC
                         ? iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128
                         : iana::IntegrityAlgorithm::NONE;
  const size_t max_datagram = GENERATE(576, 1280);
  auto cipher = make_cipher(encr, integ);

  auto datagrams =
      ike::fragment_message(auth_header(), large_inner(), *cipher, max_datagram, crypto::system_rng());
  REQUIRE(datagrams);
  REQUIRE(datagrams->size() >= 3);
  for (const auto& d : *datagrams) CHECK(d.size() <= max_datagram);

  auto fragments = open_all(*datagrams, *cipher);
  CHECK(fragments.front().first_inner == iana::PayloadType::IDi);
  for (size_t i = 1; i < fragments.size(); ++i)
    CHECK(fragments[i].first_inner == iana::PayloadType::NO_NEXT_PAYLOAD);

  // Reverse order plus a duplicate of every fragment.
  std::vector<ike::OpenedFragment> shuffled(fragments.rbegin(), fragments.rend());
  shuffled.insert(shuffled.begin() + 1, fragments.begin(), fragments.end() - 1);
  ike::FragmentReassembly reassembly;
  std::optional<std::vector<ike::Payload>> whole;
  for (auto& f : shuffled) {
    auto result = reassembly.add(std::move(f));
    REQUIRE(result);
    if (*result) {
      REQUIRE_FALSE(whole);
      whole = std::move(**result);
    }
  }
  REQUIRE(whole);
  CHECK(*whole == large_inner());
}

TEST_CASE("every AEAD fragment takes the next IV of the cipher's counter", "[skf]") {
  auto cipher = make_cipher(iana::EncryptionAlgorithm::ENCR_AES_GCM_16, iana::IntegrityAlgorithm::NONE);
  Botan::Null_RNG no_rng;  // a counter needs no randomness
  auto first = ike::fragment_message(auth_header(), large_inner(), *cipher, 1280, no_rng);
  REQUIRE(first);
  auto second = ike::fragment_message(auth_header(), large_inner(), *cipher, 1280, no_rng);
  REQUIRE(second);
  // IKE header, generic payload header, Fragment Number and Total Fragments, then the IV (RFC 7383 §2.5).
  constexpr long kIvOffset = 28 + 4 + 4;
  uint8_t expected = 0;
  for (const auto* set : {&*first, &*second}) {
    for (const auto& d : *set) {
      CHECK(crypto::Bytes(d.begin() + kIvOffset, d.begin() + kIvOffset + 8) ==
            crypto::Bytes{0, 0, 0, 0, 0, 0, 0, expected});
      ++expected;
    }
  }
  CHECK(expected == 2 * first->size());
  CHECK(open_all(*second, *cipher).size() == second->size());
}

TEST_CASE("a tampered fragment fails its ICV", "[skf]") {
  auto cipher =
      make_cipher(iana::EncryptionAlgorithm::ENCR_AES_CBC, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);
  auto datagrams = ike::fragment_message(auth_header(), large_inner(), *cipher, 1280, crypto::system_rng());
  REQUIRE(datagrams);
  auto tampered = datagrams->at(1);
  tampered[tampered.size() / 2] ^= 0x80;
  auto decoded = ike::decode_message(tampered);
  REQUIRE(decoded);
  auto opened = ike::unprotect_fragment(tampered, *decoded, *cipher);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().code == ike::UnprotectErrorCode::integrity_failed);
}

TEST_CASE("a re-fragmented set with more fragments replaces the old one", "[skf]") {
  auto cipher =
      make_cipher(iana::EncryptionAlgorithm::ENCR_AES_CBC, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);
  auto big = ike::fragment_message(auth_header(), large_inner(), *cipher, 1280, crypto::system_rng());
  auto small = ike::fragment_message(auth_header(), large_inner(), *cipher, 576, crypto::system_rng());
  REQUIRE(big);
  REQUIRE(small);
  auto big_fragments = open_all(*big, *cipher);
  auto small_fragments = open_all(*small, *cipher);
  REQUIRE(small_fragments.size() > big_fragments.size());

  ike::FragmentReassembly reassembly;
  REQUIRE(reassembly.add(big_fragments[0]));
  CHECK(reassembly.total() == big_fragments.size());
  std::optional<std::vector<ike::Payload>> whole;
  for (size_t i = 0; i < small_fragments.size(); ++i) {
    auto result = reassembly.add(small_fragments[i]);
    REQUIRE(result);
    // A late fragment of the abandoned, smaller set changes nothing.
    if (i == 1) REQUIRE(reassembly.add(big_fragments[1]));
    if (*result) whole = std::move(**result);
  }
  CHECK(reassembly.total() == small_fragments.size());
  REQUIRE(whole);
  CHECK(*whole == large_inner());
}

TEST_CASE("fragment sets over the limits are refused", "[skf]") {
  auto cipher =
      make_cipher(iana::EncryptionAlgorithm::ENCR_AES_CBC, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);

  SECTION("too many fragments to send") {
    auto datagrams = ike::fragment_message(auth_header(), large_inner(), *cipher, 120, crypto::system_rng());
    CHECK_FALSE(datagrams);
  }
  SECTION("no room for content") {
    auto datagrams = ike::fragment_message(auth_header(), large_inner(), *cipher, 60, crypto::system_rng());
    CHECK_FALSE(datagrams);
  }
  SECTION("a peer's set larger than kMaxFragments") {
    ike::FragmentReassembly reassembly;
    auto result =
        reassembly.add({1, ike::kMaxFragments + 1, iana::PayloadType::IDi, crypto::SecureBytes(10)});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ike::UnprotectErrorCode::bad_fragment);
  }
  SECTION("fragment number outside the set") {
    ike::FragmentReassembly reassembly;
    auto result = reassembly.add({5, 4, iana::PayloadType::IDi, crypto::SecureBytes(10)});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ike::UnprotectErrorCode::bad_fragment);
  }
  SECTION("reassembled bytes over the message limit") {
    ike::FragmentReassembly reassembly;
    REQUIRE(reassembly.add({1, 3, iana::PayloadType::IDi, crypto::SecureBytes(40000)}));
    auto result = reassembly.add({2, 3, iana::PayloadType::IDi, crypto::SecureBytes(40000)});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ike::UnprotectErrorCode::bad_fragment);
  }
  SECTION("a complete set whose inner chain is malformed") {
    ike::FragmentReassembly reassembly;
    REQUIRE(reassembly.add({2, 2, iana::PayloadType::NO_NEXT_PAYLOAD, crypto::SecureBytes{0, 0}}));
    auto result = reassembly.add({1, 2, iana::PayloadType::NOTIFY, crypto::SecureBytes{0, 0, 0, 99}});
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ike::UnprotectErrorCode::inner_decode);
  }
}
