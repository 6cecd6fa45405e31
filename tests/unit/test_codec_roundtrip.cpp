// Round trips of the IKEv2 codec: structs -> bytes -> equal structs, and bytes -> structs -> same bytes.
#include "daemon/ike/message_codec.h"

#include <botan/hex.h>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace ipsecd::ike;
using ipsecd::crypto::Bytes;
namespace iana = ipsecd::iana;

namespace {

Bytes filled(size_t n, uint8_t start) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(start + i);
  return b;
}

Transform transform(iana::TransformType type, uint16_t id, std::vector<TransformAttribute> attributes = {}) {
  return Transform{type, id, std::move(attributes)};
}

SaPayload ike_sa() {
  Proposal gcm{1,
               iana::SecurityProtocolId::IKE,
               {},
               {transform(iana::TransformType::ENCR, 20, {TransformAttribute::key_length(256)}),
                transform(iana::TransformType::PRF, 7), transform(iana::TransformType::KE, 31)}};
  // A TLV-form attribute of an unassigned type, kept generically.
  TransformAttribute tlv{17, false, 0, {0xde, 0xad, 0xbe}};
  Proposal cbc{2,
               iana::SecurityProtocolId::IKE,
               {},
               {transform(iana::TransformType::ENCR, 12, {TransformAttribute::key_length(128), tlv}),
                transform(iana::TransformType::PRF, 5), transform(iana::TransformType::INTEG, 12),
                transform(iana::TransformType::KE, 19)}};
  return SaPayload{{gcm, cbc}};
}

SaPayload esp_sa() {
  Proposal p{1,
             iana::SecurityProtocolId::ESP,
             {0xc0, 0x01, 0xd0, 0x0d},
             {transform(iana::TransformType::ENCR, 20, {TransformAttribute::key_length(128)}),
              transform(iana::TransformType::ESN, 0)}};
  return SaPayload{{p}};
}

TrafficSelector v4(uint8_t last_octet) {
  return TrafficSelector{
      iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE, 6, 443, 443, {192, 0, 2, 0}, {192, 0, 2, last_octet}};
}

TrafficSelector v6() {
  Bytes start = Botan::hex_decode("20010db8000000000000000000000000");
  Bytes end = Botan::hex_decode("20010db8ffffffffffffffffffffffff");
  return TrafficSelector{iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE, 0, 0, 65535, start, end};
}

// One sample of every payload a bare (SK-inner) chain may hold.
std::vector<std::pair<std::string, Payload>> inner_samples() {
  return {
      {"SA IKE", Payload{ike_sa()}},
      {"SA ESP", Payload{esp_sa()}},
      {"KE", Payload{KePayload{iana::KeyExchangeMethod::CURVE25519, filled(32, 1)}}},
      {"IDi FQDN", Payload{IdiPayload{iana::IdentificationType::ID_FQDN, {'m', 'o', 'o', 'n'}}}},
      {"IDr IPv4", Payload{IdrPayload{iana::IdentificationType::ID_IPV4_ADDR, {192, 0, 2, 1}}}},
      {"CERT", Payload{CertPayload{iana::CertificateEncoding::X509_SIGNATURE, filled(300, 7)}}},
      {"CERTREQ", Payload{CertReqPayload{iana::CertificateEncoding::X509_SIGNATURE, filled(40, 9)}}},
      {"AUTH", Payload{AuthPayload{iana::AuthenticationMethod::SHARED_KEY_MIC, filled(32, 3)}}},
      {"Nonce 16", Payload{NoncePayload{filled(16, 4)}}},
      {"Nonce 256", Payload{NoncePayload{filled(256, 5)}}},
      {"Notify with SPI",
       Payload{NotifyPayload{
           iana::SecurityProtocolId::ESP, {1, 2, 3, 4}, iana::NotifyMessageType::REKEY_SA, {}}}},
      {"Notify with data", Payload{NotifyPayload{iana::SecurityProtocolId::NONE,
                                                 {},
                                                 iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS,
                                                 {0, 2, 0, 3, 0, 4}}}},
      {"Delete IKE", Payload{DeletePayload{iana::SecurityProtocolId::IKE, {}}}},
      {"Delete ESP", Payload{DeletePayload{iana::SecurityProtocolId::ESP, {0x11223344, 0x55667788}}}},
      {"Vendor ID", Payload{VendorIdPayload{filled(16, 0x80)}}},
      {"TSi", Payload{TsiPayload{{v4(255), v6()}}}},
      {"TSr", Payload{TsrPayload{{v4(7)}}}},
      {"CP", Payload{CpPayload{iana::ConfigurationType::CFG_REPLY,
                               {{iana::ConfigurationAttributeType::INTERNAL_IP4_ADDRESS, {192, 0, 2, 10}},
                                {iana::ConfigurationAttributeType::INTERNAL_IP4_DNS, {}}}}}},
      {"EAP", Payload{EapPayload{{1, 7, 0, 6, 1, 'x'}}}},
      {"unknown non-critical", Payload{UnknownPayload{60, {1, 2, 3}}}},
      {"critical bit kept on a known type", Payload{VendorIdPayload{{0x42}}, true}},
  };
}

Header init_header() {
  Header h;
  h.initiator_spi = 0x0102030405060708;
  h.exchange = iana::ExchangeType::IKE_SA_INIT;
  h.initiator = true;
  return h;
}

}  // namespace

TEST_CASE("Every payload type survives encode then decode then encode", "[codec]") {
  for (const auto& [label, payload] : inner_samples()) {
    DYNAMIC_SECTION(label) {
      auto bytes = encode_payloads({payload});
      REQUIRE(bytes);
      auto decoded = decode_payloads(payload.type(), *bytes);
      REQUIRE(decoded);
      REQUIRE(decoded->size() == 1);
      CHECK(decoded->front() == payload);
      auto again = encode_payloads(*decoded);
      REQUIRE(again);
      CHECK(*again == *bytes);
    }
  }
}

TEST_CASE("A bare chain of every inner payload round-trips in order", "[codec]") {
  std::vector<Payload> chain;
  for (const auto& sample : inner_samples()) chain.push_back(sample.second);
  chain.resize(std::min<size_t>(chain.size(), 64));
  auto bytes = encode_payloads(chain);
  REQUIRE(bytes);
  auto decoded = decode_payloads(first_payload_type(chain), *bytes);
  REQUIRE(decoded);
  CHECK(*decoded == chain);
  CHECK(*encode_payloads(*decoded) == *bytes);
}

TEST_CASE("An IKE_SA_INIT request round-trips as a whole message", "[codec]") {
  Message m{
      init_header(),
      {Payload{ike_sa()}, Payload{KePayload{iana::KeyExchangeMethod::CURVE25519, filled(32, 0x10)}},
       Payload{NoncePayload{filled(32, 0x30)}},
       Payload{NotifyPayload{iana::SecurityProtocolId::NONE,
                             {},
                             iana::NotifyMessageType::NAT_DETECTION_SOURCE_IP,
                             filled(20, 0x50)}},
       Payload{NotifyPayload{
           iana::SecurityProtocolId::NONE, {}, iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED, {}}},
       Payload{UnknownPayload{99, {0xaa}}}, Payload{VendorIdPayload{filled(16, 0x70)}}}};
  auto encoded = encode_message(m);
  REQUIRE(encoded);
  CHECK_FALSE(encoded->encrypted_offset);
  CHECK(encoded->bytes[16] == 33);  // header Next Payload: SA
  auto decoded = decode_message(encoded->bytes);
  REQUIRE(decoded);
  CHECK(decoded->message == m);
  CHECK_FALSE(decoded->encrypted_offset);
  auto again = encode_message(decoded->message);
  REQUIRE(again);
  CHECK(again->bytes == encoded->bytes);
  CHECK(find_notifies(decoded->message.payloads, iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED)
            .size() == 1);
  REQUIRE(find_first<KePayload>(decoded->message.payloads) != nullptr);
  CHECK(find_first<KePayload>(decoded->message.payloads)->group == iana::KeyExchangeMethod::CURVE25519);
}

TEST_CASE("An SK message keeps its ciphertext and exposes where the IV starts", "[codec]") {
  Header h = init_header();
  h.responder_spi = 0x1112131415161718;
  h.exchange = iana::ExchangeType::IKE_AUTH;
  h.message_id = 1;
  const Bytes encrypted = filled(80, 0x90);
  Message m{h,
            {Payload{NotifyPayload{
                 iana::SecurityProtocolId::NONE, {}, iana::NotifyMessageType::COOKIE, filled(8, 1)}},
             Payload{SkPayload{iana::PayloadType::IDi, encrypted}}}};
  auto encoded = encode_message(m);
  REQUIRE(encoded);
  const size_t sk_header = kHeaderLength + 16;  // after the 16-byte Notify
  REQUIRE(encoded->encrypted_offset == sk_header + 4);
  CHECK(encoded->bytes[sk_header] == static_cast<uint8_t>(iana::PayloadType::IDi));
  CHECK(Bytes(encoded->bytes.begin() + static_cast<std::ptrdiff_t>(*encoded->encrypted_offset),
              encoded->bytes.end()) == encrypted);

  auto decoded = decode_message(encoded->bytes);
  REQUIRE(decoded);
  CHECK(decoded->message == m);
  CHECK(decoded->encrypted_offset == encoded->encrypted_offset);
  const auto* sk = std::get_if<SkPayload>(&decoded->message.payloads.back().body);
  REQUIRE(sk != nullptr);
  CHECK(sk->first_inner == iana::PayloadType::IDi);
}

TEST_CASE("An SKF fragment puts its fragment fields in the associated data", "[codec]") {
  Header h = init_header();
  h.exchange = iana::ExchangeType::IKE_AUTH;
  Message m{h, {Payload{SkfPayload{iana::PayloadType::NO_NEXT_PAYLOAD, 2, 3, filled(40, 0)}}}};
  auto encoded = encode_message(m);
  REQUIRE(encoded);
  CHECK(encoded->encrypted_offset == kHeaderLength + 8);
  auto decoded = decode_message(encoded->bytes);
  REQUIRE(decoded);
  CHECK(decoded->message == m);
  CHECK(decoded->encrypted_offset == kHeaderLength + 8);
}

TEST_CASE("The SK plaintext decodes with the same chain code", "[codec]") {
  std::vector<Payload> inner{Payload{IdiPayload{iana::IdentificationType::ID_FQDN, {'s', 'u', 'n'}}},
                             Payload{AuthPayload{iana::AuthenticationMethod::SHARED_KEY_MIC, filled(32, 0)}},
                             Payload{esp_sa()}, Payload{TsiPayload{{v4(255)}}}, Payload{TsrPayload{{v6()}}}};
  auto plaintext = encode_payloads(inner);
  REQUIRE(plaintext);
  auto decoded = decode_payloads(iana::PayloadType::IDi, *plaintext);
  REQUIRE(decoded);
  CHECK(*decoded == inner);
}

TEST_CASE("The encoder refuses what the wire cannot carry", "[codec]") {
  SECTION("SK not last") {
    Message m{init_header(),
              {Payload{SkPayload{iana::PayloadType::IDi, {1}}}, Payload{NoncePayload{filled(16, 0)}}}};
    CHECK_FALSE(encode_message(m));
  }
  SECTION("SK inside a bare chain") {
    CHECK_FALSE(encode_payloads({Payload{SkPayload{iana::PayloadType::IDi, {1}}}}));
  }
  SECTION("payload over 65535 bytes") {
    CHECK_FALSE(encode_payloads({Payload{VendorIdPayload{Bytes(65532, 0)}}}));
  }
  SECTION("TS address of the wrong size") {
    TrafficSelector ts = v4(1);
    ts.end_address.push_back(0);
    CHECK_FALSE(encode_payloads({Payload{TsiPayload{{ts}}}}));
  }
  SECTION("unknown payload wearing a parsed type") {
    CHECK_FALSE(encode_payloads({Payload{UnknownPayload{40, {}}}}));
  }
  SECTION("nonce too short") { CHECK_FALSE(encode_payloads({Payload{NoncePayload{filled(15, 0)}}})); }
}

TEST_CASE("The encoder refuses what the decoder would reject", "[codec]") {
  SECTION("IKE proposal with a 4-byte SPI") {
    SaPayload sa = ike_sa();
    sa.proposals[0].spi = {1, 2, 3, 4};
    CHECK_FALSE(encode_payloads({Payload{sa}}));
  }
  SECTION("proposals numbered 1 then 3") {
    SaPayload sa = ike_sa();
    sa.proposals[1].number = 3;
    CHECK_FALSE(encode_payloads({Payload{sa}}));
  }
  SECTION("IKE proposals sharing a number") {
    SaPayload sa = ike_sa();
    sa.proposals[1].number = 1;
    CHECK_FALSE(encode_payloads({Payload{sa}}));
  }
  SECTION("a lone proposal may keep the number it was accepted under") {
    SaPayload sa = esp_sa();
    sa.proposals[0].number = 5;
    CHECK(encode_payloads({Payload{sa}}));
  }
  SECTION("65 traffic selectors") {
    CHECK_FALSE(encode_payloads({Payload{TsiPayload{std::vector<TrafficSelector>(65, v4(1))}}}));
  }
  SECTION("ID_IPV4_ADDR of 5 bytes") {
    CHECK_FALSE(
        encode_payloads({Payload{IdiPayload{iana::IdentificationType::ID_IPV4_ADDR, {192, 0, 2, 1, 0}}}}));
  }
  SECTION("EAP Length field disagreeing with the message") {
    CHECK_FALSE(encode_payloads({Payload{EapPayload{{1, 7, 0, 9, 1, 'x'}}}}));
  }
  SECTION("delete of an unknown protocol") {
    CHECK_FALSE(encode_payloads({Payload{DeletePayload{iana::SecurityProtocolId::FC_ESP_HEADER, {1}}}}));
  }
  SECTION("SKF fragment beyond the total") {
    Message m{init_header(), {Payload{SkfPayload{iana::PayloadType::IDi, 3, 2, filled(16, 0)}}}};
    CHECK_FALSE(encode_message(m));
  }
  SECTION("IKE delete with SPIs, or a child delete with an IKE SPI count") {
    CHECK_FALSE(encode_payloads({Payload{DeletePayload{iana::SecurityProtocolId::IKE, {1}}}}));
    CHECK_FALSE(encode_payloads({Payload{DeletePayload{iana::SecurityProtocolId::ESP, {1}, 1}}}));
    CHECK(encode_payloads({Payload{DeletePayload{iana::SecurityProtocolId::IKE, {}, 3}}}));
  }
  SECTION("256 transforms, one more than the one-byte count holds") {
    SaPayload sa = esp_sa();
    sa.proposals.resize(1);
    sa.proposals[0].transforms.resize(255, Transform{iana::TransformType::ENCR, 20, {}});
    CHECK(encode_payloads({Payload{sa}}));
    sa.proposals[0].transforms.push_back(Transform{iana::TransformType::ENCR, 20, {}});
    CHECK_FALSE(encode_payloads({Payload{sa}}));
  }
  SECTION("1025 configuration attributes") {
    CpPayload cp{
        iana::ConfigurationType::CFG_REPLY,
        std::vector<ConfigurationAttribute>(1024, {iana::ConfigurationAttributeType::INTERNAL_IP4_DNS, {}})};
    CHECK(encode_payloads({Payload{cp}}));
    cp.attributes.push_back(cp.attributes.back());
    CHECK_FALSE(encode_payloads({Payload{cp}}));
  }
  SECTION("a notify SPI longer than the SPI Size field") {
    CHECK_FALSE(encode_payloads({Payload{NotifyPayload{
        iana::SecurityProtocolId::IKE, Bytes(256, 1), iana::NotifyMessageType::REKEY_SA, {}}}}));
  }
}

TEST_CASE("ESP and AH proposals sharing a number (an RFC 4306 bundle) round-trip", "[codec]") {
  const Proposal esp = esp_sa().proposals.front();
  Proposal ah{1,
              iana::SecurityProtocolId::AH,
              {0xa4, 0, 0, 1},
              {transform(iana::TransformType::INTEG, 12), transform(iana::TransformType::ESN, 0)}};
  auto numbered = [](Proposal p, uint8_t number) {
    p.number = number;
    return p;
  };
  for (const auto& sa : {SaPayload{{numbered(esp, 1), numbered(ah, 1), numbered(esp, 2), numbered(ah, 2)}},
                         SaPayload{{numbered(esp, 3), numbered(ah, 3)}}}) {
    auto bytes = encode_payloads({Payload{sa}});
    REQUIRE(bytes);
    auto decoded = decode_payloads(iana::PayloadType::SA, *bytes);
    REQUIRE(decoded);
    CHECK(decoded->front() == Payload{sa});
  }
  // Several bundles must still start at 1.
  CHECK_FALSE(encode_payloads({Payload{SaPayload{{numbered(esp, 2), numbered(ah, 2), numbered(esp, 3)}}}}));
}
