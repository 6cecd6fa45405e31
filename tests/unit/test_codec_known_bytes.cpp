// Decoding an IKE_SA_INIT request typed byte by byte from the RFC 7296 §3 layouts, and re-encoding it.
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "crypto/iana/pseudorandom_function.h"
#include "daemon/ike/message_codec.h"

#include <botan/hex.h>
#include <catch2/catch.hpp>

using namespace ipsecd::ike;
using ipsecd::crypto::Bytes;
namespace iana = ipsecd::iana;

namespace {

// Each line is one field group of the layouts in §3.1-§3.10.
const char* const kIkeSaInit =
    // §3.1 header: SPIi, SPIr, Next Payload SA, version 2.0, IKE_SA_INIT, flags I, Message ID 0, Length 216
    "0102030405060708 0000000000000000 21 20 22 08 00000000 000000d8"
    // §3.3 SA: Next KE, not critical, Length 48
    "22 00 0030"
    //   §3.3.1 proposal: last, Length 44, #1, IKE, SPI size 0, 4 transforms
    "00 00 002c 01 01 00 04"
    //     §3.3.2 ENCR AES_CBC (12), Length 12, §3.3.5 TV Key Length 256
    "03 00 000c 01 00 000c 800e 0100"
    //     PRF_HMAC_SHA2_256 (5)
    "03 00 0008 02 00 0005"
    //     AUTH_HMAC_SHA2_256_128 (12)
    "03 00 0008 03 00 000c"
    //     last: KE Curve25519 (31)
    "00 00 0008 04 00 001f"
    // §3.4 KE: Next Nonce, Length 40, group 31, reserved, 32 bytes
    "28 00 0028 001f 0000"
    "1111111111111111111111111111111111111111111111111111111111111111"
    // §3.9 Nonce: Next Notify, Length 36, 32 bytes
    "29 00 0024"
    "2222222222222222222222222222222222222222222222222222222222222222"
    // §3.10 Notify: Next Notify, Length 28, protocol 0, SPI size 0, NAT_DETECTION_SOURCE_IP, 20-byte hash
    "29 00 001c 00 00 4004 3333333333333333333333333333333333333333"
    // Notify NAT_DETECTION_DESTINATION_IP
    "29 00 001c 00 00 4005 4444444444444444444444444444444444444444"
    // Notify IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383), no data, last payload
    "00 00 0008 00 00 402e";

}  // namespace

TEST_CASE("A hand-typed IKE_SA_INIT request decodes field by field", "[codec]") {
  const Bytes wire = Botan::hex_decode(kIkeSaInit);
  REQUIRE(wire.size() == 216);
  auto decoded = decode_message(wire);
  REQUIRE(decoded);
  const Message& m = decoded->message;

  CHECK(m.header.initiator_spi == 0x0102030405060708);
  CHECK(m.header.responder_spi == 0);
  CHECK(m.header.major_version == 2);
  CHECK(m.header.minor_version == 0);
  CHECK(m.header.exchange == iana::ExchangeType::IKE_SA_INIT);
  CHECK(m.header.initiator);
  CHECK_FALSE(m.header.response);
  CHECK_FALSE(m.header.higher_version);
  CHECK(m.header.message_id == 0);
  REQUIRE(m.payloads.size() == 6);

  const auto* sa = std::get_if<SaPayload>(&m.payloads[0].body);
  REQUIRE(sa != nullptr);
  REQUIRE(sa->proposals.size() == 1);
  const Proposal& p = sa->proposals[0];
  CHECK(p.number == 1);
  CHECK(p.protocol == iana::SecurityProtocolId::IKE);
  CHECK(p.spi.empty());
  REQUIRE(p.transforms.size() == 4);
  CHECK(p.transforms[0].type == iana::TransformType::ENCR);
  CHECK(p.transforms[0].id == static_cast<uint16_t>(iana::EncryptionAlgorithm::ENCR_AES_CBC));
  CHECK(p.transforms[0].key_length() == 256);
  CHECK(p.transforms[1].type == iana::TransformType::PRF);
  CHECK(p.transforms[1].id == static_cast<uint16_t>(iana::PseudorandomFunction::PRF_HMAC_SHA2_256));
  CHECK_FALSE(p.transforms[1].key_length());
  CHECK(p.transforms[2].type == iana::TransformType::INTEG);
  CHECK(p.transforms[2].id == static_cast<uint16_t>(iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128));
  CHECK(p.transforms[3].type == iana::TransformType::KE);
  CHECK(p.transforms[3].id == static_cast<uint16_t>(iana::KeyExchangeMethod::CURVE25519));

  const auto* ke = std::get_if<KePayload>(&m.payloads[1].body);
  REQUIRE(ke != nullptr);
  CHECK(ke->group == iana::KeyExchangeMethod::CURVE25519);
  CHECK(ke->data == Bytes(32, 0x11));

  const auto* nonce = std::get_if<NoncePayload>(&m.payloads[2].body);
  REQUIRE(nonce != nullptr);
  CHECK(nonce->data == Bytes(32, 0x22));

  const auto* nat_src = std::get_if<NotifyPayload>(&m.payloads[3].body);
  REQUIRE(nat_src != nullptr);
  CHECK(nat_src->type == iana::NotifyMessageType::NAT_DETECTION_SOURCE_IP);
  CHECK(nat_src->protocol == iana::SecurityProtocolId::NONE);
  CHECK(nat_src->spi.empty());
  CHECK(nat_src->data == Bytes(20, 0x33));
  CHECK(std::get<NotifyPayload>(m.payloads[4].body).type ==
        iana::NotifyMessageType::NAT_DETECTION_DESTINATION_IP);
  CHECK(std::get<NotifyPayload>(m.payloads[5].body).type ==
        iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED);
  CHECK(std::get<NotifyPayload>(m.payloads[5].body).data.empty());

  auto encoded = encode_message(m);
  REQUIRE(encoded);
  CHECK(encoded->bytes == wire);
}

TEST_CASE("The IANA names come out of the registries", "[codec]") {
  CHECK(iana::name(iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED) ==
        "IKEV2_FRAGMENTATION_SUPPORTED");
  CHECK(static_cast<uint16_t>(iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS) == 16431);
  CHECK(static_cast<uint16_t>(iana::NotifyMessageType::CHILDLESS_IKEV2_SUPPORTED) == 16418);
  CHECK(iana::is_error(iana::NotifyMessageType::INVALID_SYNTAX));
  CHECK_FALSE(iana::is_error(iana::NotifyMessageType::INITIAL_CONTACT));
  CHECK(iana::name(iana::ExchangeType::IKE_INTERMEDIATE) == "IKE_INTERMEDIATE");
  CHECK(iana::name(static_cast<iana::ExchangeType>(200)) == "EXCHANGE_UNKNOWN");
  CHECK(iana::name(iana::IdentificationType::ID_NULL) == "ID_NULL");
  CHECK(iana::name(iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE) == "TS_IPV6_ADDR_RANGE");
  CHECK(iana::name(iana::ConfigurationAttributeType::INTERNAL_IP6_DNS) == "INTERNAL_IP6_DNS");
}
