// Malformed input to the IKEv2 decoder: every case fails with its specific error code, none crashes.
#include "daemon/ike/message_codec.h"
#include "tests/support/strongswan_fixture.h"

#include <botan/hex.h>
#include <catch2/catch.hpp>

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

using namespace ipsecd::ike;
using ipsecd::crypto::Bytes;
namespace iana = ipsecd::iana;

namespace {

constexpr uint8_t kNone = 0, kSa = 33, kKe = 34, kIdi = 35, kAuth = 39, kNonce = 40, kNotify = 41,
                  kDelete = 42, kVendor = 43, kTsi = 44, kTsr = 45, kSk = 46, kCp = 47, kEap = 48, kSkf = 53;
constexpr uint8_t kCritical = 0x80;

Bytes hex(const char* h) { return Botan::hex_decode(h); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes u16(size_t v) { return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}; }

Bytes repeat(size_t n, const Bytes& part) {
  Bytes out;
  for (size_t i = 0; i < n; ++i) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Generic payload header (§3.2) with an explicit Length.
Bytes payload_len(uint8_t next, size_t length, const Bytes& body, uint8_t flags = 0) {
  return cat({{next, flags}, u16(length), body});
}

Bytes payload(uint8_t next, const Bytes& body, uint8_t flags = 0) {
  return payload_len(next, body.size() + 4, body, flags);
}

// IKE header (§3.1) with an explicit Length and version byte.
Bytes datagram_len(uint8_t first, const Bytes& payloads, size_t length, uint8_t version = 0x20) {
  Bytes out = cat({hex("0102030405060708 0000000000000000"),
                   {first, version, 34, 0x08},
                   hex("00000000"),
                   {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
                    static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)},
                   payloads});
  return out;
}

Bytes datagram(uint8_t first, const Bytes& payloads, uint8_t version = 0x20) {
  return datagram_len(first, payloads, payloads.size() + 28, version);
}

const Bytes kNonceBody(16, 0x5a);

// §3.3.2 transform with a computed length.
Bytes transform_bytes(uint8_t more, uint8_t type, uint16_t id, const Bytes& attributes = {}) {
  return cat({{more, 0}, u16(attributes.size() + 8), {type, 0}, u16(id), attributes});
}

const Bytes kAesKeyLength = hex("800e0080");

Bytes ike_transforms() {
  return cat({transform_bytes(3, 1, 12, kAesKeyLength), transform_bytes(3, 2, 5), transform_bytes(3, 3, 12),
              transform_bytes(0, 4, 19)});
}

// §3.3.1 proposal with a computed length.
Bytes proposal(uint8_t last, uint8_t number, uint8_t protocol, const Bytes& spi, uint8_t count,
               const Bytes& transforms) {
  return cat({{last, 0},
              u16(transforms.size() + spi.size() + 8),
              {number, protocol, static_cast<uint8_t>(spi.size()), count},
              spi,
              transforms});
}

Bytes ike_proposal(uint8_t last = 0, uint8_t number = 1) {
  return proposal(last, number, 1, {}, 4, ike_transforms());
}

Bytes sa_message(const Bytes& sa_body) { return datagram(kSa, payload(kNone, sa_body)); }

Bytes ts_body(uint8_t count, const Bytes& selectors) { return cat({{count, 0, 0, 0}, selectors}); }

Bytes ipv4_selector(size_t length = 16) {
  return cat({{7, 0}, u16(length), hex("0000ffff c0000200 c00002ff")});
}

struct Case {
  std::string name;
  Bytes wire;
  DecodeErrorCode code;
};

std::vector<Case> cases() {
  const Bytes nonce = payload(kNone, kNonceBody);
  return {
      // IKE header (§3.1)
      {"datagram shorter than the header", hex("01020304050607080000"), DecodeErrorCode::truncated},
      {"header length one more than the datagram", datagram_len(kNonce, nonce, nonce.size() + 29),
       DecodeErrorCode::bad_length},
      {"header length one less than the datagram", datagram_len(kNonce, nonce, nonce.size() + 27),
       DecodeErrorCode::bad_length},
      {"header length zero", datagram_len(kNonce, nonce, 0), DecodeErrorCode::bad_length},
      {"message over 65535 bytes", datagram_len(kVendor, Bytes(70000 - 28, 0), 70000),
       DecodeErrorCode::too_large},
      {"major version 3", datagram(kNonce, nonce, 0x30), DecodeErrorCode::bad_version},
      // Generic payload header and chain (§3.2)
      {"payload length zero", datagram(kNonce, payload_len(kNone, 0, kNonceBody)),
       DecodeErrorCode::bad_length},
      {"payload length 3", datagram(kNonce, payload_len(kNone, 3, kNonceBody)), DecodeErrorCode::bad_length},
      {"payload length 65535", datagram(kNonce, payload_len(kNone, 65535, kNonceBody)),
       DecodeErrorCode::bad_length},
      {"payload length one past the end", datagram(kNonce, payload_len(kNone, 21, kNonceBody)),
       DecodeErrorCode::bad_length},
      {"payload length one short leaves a stray byte",
       datagram(kVendor, payload_len(kNone, 20 - 1, kNonceBody)), DecodeErrorCode::bad_structure},
      {"chain names a payload that is absent", datagram(kNonce, payload(kNotify, kNonceBody)),
       DecodeErrorCode::truncated},
      {"bytes after the payload that ends the chain", datagram(kNonce, cat({nonce, payload(kNone, {1})})),
       DecodeErrorCode::bad_structure},
      {"header names no payload but bytes follow", datagram(kNone, nonce), DecodeErrorCode::bad_structure},
      {"SK not last", datagram(kSk, cat({payload(kIdi, Bytes(32, 1)), nonce})),
       DecodeErrorCode::bad_structure},
      {"SKF not last", datagram(kSkf, cat({payload(kIdi, cat({hex("00010002"), Bytes(32, 1)})), nonce})),
       DecodeErrorCode::bad_structure},
      {"unknown critical payload", datagram(60, payload(kNone, {1, 2}, kCritical)),
       DecodeErrorCode::unsupported_critical_payload},
      {"65 payloads", datagram(kVendor, cat({repeat(64, payload(kVendor, {7})), payload(kNone, {7})})),
       DecodeErrorCode::too_many},
      // SA (§3.3)
      {"proposal claims 255 transforms but the 4th is marked last",
       sa_message(proposal(0, 1, 1, {}, 255, ike_transforms())), DecodeErrorCode::bad_structure},
      {"proposal claims 5 transforms but the 4th is marked last",
       sa_message(proposal(0, 1, 1, {}, 5, ike_transforms())), DecodeErrorCode::bad_structure},
      {"proposal claims 2 transforms but carries 1",
       sa_message(proposal(0, 1, 1, {}, 2, transform_bytes(3, 1, 20))), DecodeErrorCode::truncated},
      {"proposal with zero transforms", sa_message(proposal(0, 1, 1, {}, 0, {})), DecodeErrorCode::bad_value},
      {"transform marked more but counted last",
       sa_message(proposal(0, 1, 1, {}, 1, transform_bytes(3, 1, 20))), DecodeErrorCode::bad_structure},
      {"bytes after the last counted transform",
       sa_message(proposal(0, 1, 1, {}, 1, cat({transform_bytes(0, 1, 20), transform_bytes(0, 2, 5)}))),
       DecodeErrorCode::bad_length},
      {"proposal number 0", sa_message(ike_proposal(0, 0)), DecodeErrorCode::bad_structure},
      {"proposals numbered 1 then 3", sa_message(cat({ike_proposal(2, 1), ike_proposal(0, 3)})),
       DecodeErrorCode::bad_structure},
      {"several proposals starting at 2", sa_message(cat({ike_proposal(2, 2), ike_proposal(0, 3)})),
       DecodeErrorCode::bad_structure},
      {"IKE proposals sharing a number", sa_message(cat({ike_proposal(2, 1), ike_proposal(0, 1)})),
       DecodeErrorCode::bad_structure},
      {"proposal marked more but none follows", sa_message(ike_proposal(2, 1)),
       DecodeErrorCode::bad_structure},
      {"proposal Last Substruc 1", sa_message(ike_proposal(1, 1)), DecodeErrorCode::bad_value},
      {"bytes after the proposal marked last", sa_message(cat({ike_proposal(0, 1), ike_proposal(0, 2)})),
       DecodeErrorCode::bad_structure},
      {"65 proposals", sa_message(cat({[] {
         Bytes all;
         for (uint8_t n = 1; n <= 65; ++n) {
           const Bytes p = proposal(n == 65 ? 0 : 2, n, 1, {}, 1, transform_bytes(0, 1, 20));
           all.insert(all.end(), p.begin(), p.end());
         }
         return all;
       }()})),
       DecodeErrorCode::too_many},
      {"proposal length past the SA payload",
       sa_message(cat({{0, 0}, u16(200), {1, 1, 0, 1}, transform_bytes(0, 1, 20)})),
       DecodeErrorCode::bad_length},
      {"proposal length below 8", sa_message(cat({{0, 0}, u16(7), {1, 1, 0, 1}, transform_bytes(0, 1, 20)})),
       DecodeErrorCode::bad_length},
      {"transform length larger than its proposal",
       sa_message(proposal(0, 1, 1, {}, 1, cat({{0, 0}, u16(64), {1, 0}, u16(20)}))),
       DecodeErrorCode::bad_length},
      {"transform length below 8",
       sa_message(proposal(0, 1, 1, {}, 1, cat({{0, 0}, u16(4), {1, 0}, u16(20)}))),
       DecodeErrorCode::bad_length},
      {"TLV attribute longer than its transform",
       sa_message(proposal(0, 1, 1, {}, 1, transform_bytes(0, 1, 12, hex("0011 0010 aabb")))),
       DecodeErrorCode::bad_length},
      {"17 attributes in one transform",
       sa_message(proposal(0, 1, 1, {}, 1, transform_bytes(0, 1, 12, repeat(17, kAesKeyLength)))),
       DecodeErrorCode::too_many},
      {"IKE proposal with a 4-byte SPI", sa_message(proposal(0, 1, 1, {1, 2, 3, 4}, 4, ike_transforms())),
       DecodeErrorCode::bad_value},
      {"ESP proposal without an SPI", sa_message(proposal(0, 1, 3, {}, 1, transform_bytes(0, 1, 20))),
       DecodeErrorCode::bad_value},
      // KE, ID, Nonce, Notify, Delete (§3.4-§3.11)
      {"KE body of 3 bytes", datagram(kKe, payload(kNone, {0, 19, 0})), DecodeErrorCode::truncated},
      {"ID_IPV4_ADDR of 5 bytes", datagram(kIdi, payload(kNone, hex("01000000 c000020001"))),
       DecodeErrorCode::bad_length},
      {"AUTH without its method", datagram(kAuth, payload(kNone, {})), DecodeErrorCode::truncated},
      {"nonce of 15 bytes", datagram(kNonce, payload(kNone, Bytes(15, 1))), DecodeErrorCode::bad_length},
      {"nonce of 257 bytes", datagram(kNonce, payload(kNone, Bytes(257, 1))), DecodeErrorCode::bad_length},
      {"empty nonce", datagram(kNonce, payload(kNone, {})), DecodeErrorCode::bad_length},
      {"notify SPI size 3 with 2 bytes left", datagram(kNotify, payload(kNone, hex("03 03 4000 0102"))),
       DecodeErrorCode::truncated},
      {"notify SPI size 8 with 4 bytes left", datagram(kNotify, payload(kNone, hex("01 08 4000 01020304"))),
       DecodeErrorCode::truncated},
      {"delete count 3 with 2 SPIs", datagram(kDelete, payload(kNone, hex("03 04 0003 11111111 22222222"))),
       DecodeErrorCode::bad_length},
      {"delete count 1 with 2 SPIs", datagram(kDelete, payload(kNone, hex("03 04 0001 11111111 22222222"))),
       DecodeErrorCode::bad_length},
      {"delete ESP with 8-byte SPIs", datagram(kDelete, payload(kNone, hex("03 08 0001 1111111122222222"))),
       DecodeErrorCode::bad_value},
      {"delete IKE with SPI bytes", datagram(kDelete, payload(kNone, hex("01 00 0001 11111111"))),
       DecodeErrorCode::bad_length},
      {"delete of protocol 9", datagram(kDelete, payload(kNone, hex("09 04 0000"))),
       DecodeErrorCode::bad_value},
      // TS (§3.13)
      {"IPv4 selector length 24",
       datagram(kTsi, payload(kNone, ts_body(1, cat({ipv4_selector(24), Bytes(8, 0)})))),
       DecodeErrorCode::bad_length},
      {"IPv6 selector length 16",
       datagram(kTsr, payload(kNone, ts_body(1, cat({{8, 0}, u16(16), hex("0000ffff"), Bytes(8, 0)})))),
       DecodeErrorCode::bad_length},
      {"unknown selector type",
       datagram(kTsi, payload(kNone, ts_body(1, cat({{99, 0}, u16(16), Bytes(12, 0)})))),
       DecodeErrorCode::bad_value},
      {"TS count 0", datagram(kTsi, payload(kNone, ts_body(0, {}))), DecodeErrorCode::bad_value},
      {"TS count 200", datagram(kTsi, payload(kNone, ts_body(200, ipv4_selector()))),
       DecodeErrorCode::too_many},
      {"TS count 2 with 1 selector", datagram(kTsi, payload(kNone, ts_body(2, ipv4_selector()))),
       DecodeErrorCode::truncated},
      {"bytes after the last selector",
       datagram(kTsi, payload(kNone, ts_body(1, cat({ipv4_selector(), {0}})))), DecodeErrorCode::bad_length},
      // CP, EAP, SKF (§3.15, §3.16, RFC 7383 §2.5)
      {"CP attribute longer than the payload",
       datagram(kCp, payload(kNone, hex("01000000 0001 0008 c0000201"))), DecodeErrorCode::bad_length},
      {"1025 CP attributes",
       datagram(kCp, payload(kNone, cat({hex("01000000"), repeat(1025, hex("0003 0000"))}))),
       DecodeErrorCode::too_many},
      {"EAP Length disagrees with the payload", datagram(kEap, payload(kNone, hex("01 07 0009 01 78"))),
       DecodeErrorCode::bad_length},
      {"EAP shorter than its header", datagram(kEap, payload(kNone, hex("01 07 00"))),
       DecodeErrorCode::truncated},
      {"SKF fragment 0", datagram(kSkf, payload(kIdi, cat({hex("0000 0002"), Bytes(16, 0)}))),
       DecodeErrorCode::bad_value},
      {"SKF fragment 3 of 2", datagram(kSkf, payload(kNone, cat({hex("0003 0002"), Bytes(16, 0)}))),
       DecodeErrorCode::bad_value},
      {"SKF without fragment fields", datagram(kSkf, payload(kIdi, {0, 1})), DecodeErrorCode::truncated},
  };
}

// A valid IKE_AUTH-like message whose outer chain covers every non-encrypted payload type.
Message rich_message() {
  Header h;
  h.initiator_spi = 0x0102030405060708;
  h.responder_spi = 0x1112131415161718;
  h.exchange = iana::ExchangeType::IKE_AUTH;
  h.initiator = true;
  h.message_id = 1;
  TrafficSelector v4{
      iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE, 0, 0, 65535, {192, 0, 2, 0}, {192, 0, 2, 255}};
  TrafficSelector v6{
      iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE, 17, 500, 4500, Bytes(16, 0x20), Bytes(16, 0x21)};
  Proposal esp{1,
               iana::SecurityProtocolId::ESP,
               {1, 2, 3, 4},
               {Transform{iana::TransformType::ENCR, 20, {TransformAttribute::key_length(256)}},
                Transform{iana::TransformType::ESN, 0, {}}}};
  return Message{h,
                 {Payload{IdiPayload{iana::IdentificationType::ID_FQDN, {'c', 'a', 'r', 'o', 'l'}}},
                  Payload{CertPayload{iana::CertificateEncoding::X509_SIGNATURE, Bytes(40, 0x30)}},
                  Payload{CertReqPayload{iana::CertificateEncoding::X509_SIGNATURE, Bytes(20, 0x31)}},
                  Payload{AuthPayload{iana::AuthenticationMethod::DIGITAL_SIGNATURE, Bytes(24, 0x32)}},
                  Payload{NotifyPayload{
                      iana::SecurityProtocolId::ESP, {9, 9, 9, 9}, iana::NotifyMessageType::REKEY_SA, {}}},
                  Payload{CpPayload{iana::ConfigurationType::CFG_REQUEST,
                                    {{iana::ConfigurationAttributeType::INTERNAL_IP4_ADDRESS, {}}}}},
                  Payload{SaPayload{{esp}}}, Payload{TsiPayload{{v4, v6}}}, Payload{TsrPayload{{v4}}},
                  Payload{DeletePayload{iana::SecurityProtocolId::ESP, {0xaabbccdd}}},
                  Payload{KePayload{iana::KeyExchangeMethod::ECP_256, Bytes(64, 0x33)}},
                  Payload{NoncePayload{Bytes(32, 0x34)}}, Payload{EapPayload{{2, 1, 0, 5, 1}}},
                  Payload{VendorIdPayload{Bytes(16, 0x35)}}, Payload{UnknownPayload{61, {1, 2, 3}}}}};
}

}  // namespace

TEST_CASE("Each malformed datagram fails with its specific code", "[malformed]") {
  for (const auto& c : cases()) {
    DYNAMIC_SECTION(c.name) {
      auto decoded = decode_message(c.wire);
      REQUIRE_FALSE(decoded);
      INFO(to_string(decoded.error()));
      CHECK(decoded.error().code == c.code);
      CHECK(decoded.error().offset <= c.wire.size());
      CHECK_FALSE(decoded.error().message.empty());
    }
  }
}

// Unusual but valid input the decoder once refused: each decodes to the expected struct and re-encodes to
// the same bytes.
TEST_CASE("Unusual but valid payloads decode and re-encode byte for byte", "[malformed]") {
  const auto only_payload = [](const Bytes& wire) -> Payload {
    auto decoded = decode_message(wire);
    INFO((decoded ? std::string() : to_string(decoded.error())));
    REQUIRE(decoded);
    REQUIRE(decoded->message.payloads.size() == 1);
    auto encoded = encode_message(decoded->message);
    REQUIRE(encoded);
    CHECK(encoded->bytes == wire);
    return decoded->message.payloads.front();
  };

  SECTION("delete IKE with Num of SPIs 2 and no SPI bytes") {
    const Payload p = only_payload(datagram(kDelete, payload(kNone, hex("01 00 0002"))));
    CHECK(p.body == PayloadBody{DeletePayload{iana::SecurityProtocolId::IKE, {}, 2}});
  }
  SECTION("notify with a 3-byte SPI") {
    const Payload p = only_payload(datagram(kNotify, payload(kNone, hex("03 03 4000 010203 aabb"))));
    CHECK(p.body == PayloadBody{NotifyPayload{iana::SecurityProtocolId::ESP,
                                              {1, 2, 3},
                                              static_cast<iana::NotifyMessageType>(0x4000),
                                              {0xaa, 0xbb}}});
  }
  SECTION("notify with a 16-byte SPI") {
    const Payload p =
        only_payload(datagram(kNotify, payload(kNone, cat({hex("01 10 4001"), Bytes(16, 0x77)}))));
    CHECK(std::get<NotifyPayload>(p.body).spi == Bytes(16, 0x77));
  }
  SECTION("proposals with 65 and 255 transforms") {
    for (const uint8_t count : {uint8_t{65}, uint8_t{255}}) {
      CAPTURE(count);
      Bytes transforms;
      for (size_t i = 0; i < count; ++i) {
        const Bytes t =
            transform_bytes(static_cast<uint8_t>(i + 1 == count ? 0 : 3), 1, static_cast<uint16_t>(i + 1));
        transforms.insert(transforms.end(), t.begin(), t.end());
      }
      const Payload p = only_payload(sa_message(proposal(0, 1, 1, {}, count, transforms)));
      const auto& sa = std::get<SaPayload>(p.body);
      REQUIRE(sa.proposals.size() == 1);
      REQUIRE(sa.proposals[0].transforms.size() == count);
      CHECK(sa.proposals[0].transforms.back() == Transform{iana::TransformType::ENCR, count, {}});
    }
  }
  SECTION("1024 CP attributes") {
    const Payload p =
        only_payload(datagram(kCp, payload(kNone, cat({hex("02000000"), repeat(1024, hex("0003 0000"))}))));
    const auto& cp = std::get<CpPayload>(p.body);
    CHECK(cp.type == iana::ConfigurationType::CFG_REPLY);
    REQUIRE(cp.attributes.size() == 1024);
    CHECK(cp.attributes.back() ==
          ConfigurationAttribute{iana::ConfigurationAttributeType::INTERNAL_IP4_DNS, {}});
  }
}

TEST_CASE("An unknown critical payload reports its type for UNSUPPORTED_CRITICAL_PAYLOAD", "[malformed]") {
  const Bytes wire = datagram(kNonce, cat({payload(60, kNonceBody), payload(kNone, {1, 2}, kCritical)}));
  auto decoded = decode_message(wire);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == DecodeErrorCode::unsupported_critical_payload);
  CHECK(decoded.error().payload_type == 60);
  CHECK(decoded.error().offset == 28 + 20);
}

TEST_CASE("An unknown non-critical payload is skipped and kept for re-encoding", "[malformed]") {
  const Bytes wire =
      datagram(kNonce, cat({payload(60, kNonceBody), payload(kVendor, {1, 2}), payload(kNone, {3})}));
  auto decoded = decode_message(wire);
  REQUIRE(decoded);
  const auto& payloads = decoded->message.payloads;
  REQUIRE(payloads.size() == 3);
  const auto* unknown = std::get_if<UnknownPayload>(&payloads[1].body);
  REQUIRE(unknown != nullptr);
  CHECK(unknown->type == 60);
  CHECK(unknown->body == Bytes{1, 2});
  CHECK(std::holds_alternative<VendorIdPayload>(payloads[2].body));
  auto encoded = encode_message(decoded->message);
  REQUIRE(encoded);
  CHECK(encoded->bytes == wire);
}

TEST_CASE("A wrong major version still leaves the header readable for the reply", "[malformed]") {
  const Bytes wire = datagram(kNonce, payload(kNone, kNonceBody), 0x30);
  CHECK(decode_message(wire).error().code == DecodeErrorCode::bad_version);
  auto header = decode_header(wire);
  REQUIRE(header);
  CHECK(header->header.major_version == 3);
  CHECK(header->header.initiator_spi == 0x0102030405060708);
}

TEST_CASE("An encrypted payload inside the SK plaintext is refused", "[malformed]") {
  // A valid Nonce whose Next Payload names SK, then the SK payload.
  const Bytes plaintext = cat({payload(kSk, kNonceBody), payload(kIdi, Bytes(20, 0))});
  auto decoded = decode_payloads(iana::PayloadType::NONCE, plaintext);
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == DecodeErrorCode::bad_structure);
  CHECK(decoded.error().payload_type == kSk);
  CHECK(decoded.error().offset == 20);
}

TEST_CASE("Truncating a valid message at every offset fails cleanly", "[malformed]") {
  auto encoded = encode_message(rich_message());
  REQUIRE(encoded);
  const Bytes& wire = encoded->bytes;
  REQUIRE(decode_message(wire));
  for (size_t n = 0; n < wire.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    const Bytes prefix(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    auto as_is = decode_message(prefix);
    REQUIRE_FALSE(as_is);
    CHECK(as_is.error().code ==
          (n < kHeaderLength ? DecodeErrorCode::truncated : DecodeErrorCode::bad_length));
    if (n < kHeaderLength) continue;
    // The same prefix with the header Length made consistent, so the payload walk itself meets the cut.
    Bytes patched = prefix;
    for (size_t i = 0; i < 4; ++i) patched[24 + i] = static_cast<uint8_t>(n >> (24 - 8 * i));
    auto walked = decode_message(patched);
    REQUIRE_FALSE(walked);
    const auto code = walked.error().code;
    CHECK((code == DecodeErrorCode::truncated || code == DecodeErrorCode::bad_length));
  }
}

TEST_CASE("Truncating a valid inner chain at every offset fails cleanly", "[malformed]") {
  const auto payloads = rich_message().payloads;
  auto bytes = encode_payloads(payloads);
  REQUIRE(bytes);
  for (size_t n = 0; n < bytes->size(); ++n) {
    INFO("prefix of " << n << " bytes");
    auto decoded = decode_payloads(first_payload_type(payloads), ipsecd::crypto::ByteView(bytes->data(), n));
    REQUIRE_FALSE(decoded);
    const auto code = decoded.error().code;
    CHECK((code == DecodeErrorCode::truncated || code == DecodeErrorCode::bad_length));
    CHECK(decoded.error().offset <= n);
  }
}

TEST_CASE("Overwriting any byte of a valid message never crashes and valid results re-encode",
          "[malformed]") {
  auto encoded = encode_message(rich_message());
  REQUIRE(encoded);
  size_t rejected = 0;
  for (size_t i = 0; i < encoded->bytes.size(); ++i) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x7f}, uint8_t{0x80}, uint8_t{0xff}}) {
      Bytes wire = encoded->bytes;
      wire[i] = value;
      auto decoded = decode_message(wire);
      if (!decoded) {
        ++rejected;
        continue;
      }
      // What decodes must encode again and decode to the same structs; reserved bits the codec drops
      // may make the bytes differ.
      auto again = encode_message(decoded->message);
      REQUIRE(again);
      CHECK(decode_message(again->bytes)->message == decoded->message);
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("Random mutations of real strongSwan messages never crash the decoder", "[malformed]") {
  std::mt19937 rng(7296);
  size_t accepted = 0, rejected = 0;
  for (const auto& name : ipsecd::test::strongswan_fixture_names()) {
    const auto fixture = ipsecd::test::load_strongswan_fixture(name);
    std::vector<Bytes> inputs;
    for (const auto& m : fixture.messages) inputs.push_back(m.bytes);
    for (const auto& e : fixture.encrypted) inputs.push_back(e.plain);
    for (size_t which = 0; which < inputs.size(); ++which) {
      const bool is_message = which < fixture.messages.size();
      for (int round = 0; round < 200; ++round) {
        Bytes wire = inputs[which];
        if (wire.empty()) continue;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) wire[rng() % wire.size()] = static_cast<uint8_t>(rng());
        if (is_message) {
          auto decoded = decode_message(wire);
          if (!decoded) {
            ++rejected;
            continue;
          }
          ++accepted;
          auto again = encode_message(decoded->message);
          REQUIRE(again);
          CHECK(decode_message(again->bytes)->message == decoded->message);
        } else {
          auto decoded = decode_payloads(static_cast<iana::PayloadType>(rng() % 56), wire);
          if (!decoded) {
            ++rejected;
            continue;
          }
          ++accepted;
          auto again = encode_payloads(*decoded);
          REQUIRE(again);
        }
      }
    }
  }
  CHECK(rejected > 0);
  CHECK(accepted > 0);
}
