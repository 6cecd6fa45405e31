// Tests for NAT detection (RFC 7296 §2.23): notify data against an independent SHA-1, and judging received
// notifies, including those of a real strongSwan IKE_SA_INIT exchange.
#include "daemon/ike/ikev2/nat_detection.h"

#include "daemon/ike/message_codec.h"
#include "tests/support/strongswan_fixture.h"

#include <botan/hash.h>

#include <catch2/catch.hpp>

#include <vector>

using ipsecd::crypto::Bytes;
using ipsecd::iana::NotifyMessageType;
using ipsecd::ike::NotifyPayload;
using ipsecd::ike::Payload;
using namespace ipsecd::ikev2;

namespace {

Endpoint ep(std::initializer_list<uint8_t> address, uint16_t port) {
  return Endpoint{*ipsecd::IpAddress::from_bytes(std::vector<uint8_t>(address)), port};
}

constexpr uint64_t kSpiI = 0x0102030405060708;
constexpr uint64_t kSpiR = 0x1112131415161718;

const Endpoint kInitiator = ep({192, 0, 2, 1}, 500);
const Endpoint kResponder = ep({192, 0, 2, 2}, 500);

// The §2.23 hash over bytes typed out by hand, so the byte order of SPIs and port is checked too.
Bytes sha1(const Bytes& input) {
  auto hash = Botan::HashFunction::create_or_throw("SHA-1");
  const auto digest = hash->process(input);
  return Bytes(digest.begin(), digest.end());
}

std::vector<Payload> as_payloads(const std::vector<NotifyPayload>& notifies) {
  std::vector<Payload> out;
  for (const auto& n : notifies) out.push_back(Payload{n, false});
  return out;
}

}  // namespace

TEST_CASE("NAT detection data is SHA-1 of SPIi, SPIr, address and port", "[natd]") {
  const Bytes v4_input = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x11, 0x12, 0x13,
                          0x14, 0x15, 0x16, 0x17, 0x18, 192,  0,    2,    1,    0x01, 0xf4};
  const Bytes v4 = nat_detection_data(kSpiI, kSpiR, kInitiator);
  CHECK(v4.size() == 20);
  CHECK(v4 == sha1(v4_input));

  // IKE_SA_INIT request: SPIr is zero; port 4500 = 0x1194.
  const Bytes request_input = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0, 0,    0,
                               0,    0,    0,    0,    0,    198,  51,   100,  7, 0x11, 0x94};
  CHECK(nat_detection_data(kSpiI, 0, ep({198, 51, 100, 7}, 4500)) == sha1(request_input));

  const Endpoint v6 = ep({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}, 500);
  Bytes v6_input = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18};
  v6_input.insert(v6_input.end(), v6.address.view().begin(), v6.address.view().end());
  v6_input.insert(v6_input.end(), {0x01, 0xf4});
  CHECK(nat_detection_data(kSpiI, kSpiR, v6) == sha1(v6_input));

  // Every input takes part.
  CHECK(nat_detection_data(kSpiI, kSpiR, ep({192, 0, 2, 1}, 501)) != v4);
  CHECK(nat_detection_data(kSpiI, kSpiR, kResponder) != v4);
  CHECK(nat_detection_data(kSpiI + 1, kSpiR, kInitiator) != v4);
  CHECK(nat_detection_data(kSpiI, kSpiR + 1, kInitiator) != v4);
}

TEST_CASE("NAT detection notifies carry source and destination", "[natd]") {
  const auto notifies = nat_detection_notifies(kSpiI, 0, kInitiator, kResponder);
  REQUIRE(notifies.size() == 2);
  CHECK(notifies[0].type == NotifyMessageType::NAT_DETECTION_SOURCE_IP);
  CHECK(notifies[0].data == nat_detection_data(kSpiI, 0, kInitiator));
  CHECK(notifies[1].type == NotifyMessageType::NAT_DETECTION_DESTINATION_IP);
  CHECK(notifies[1].data == nat_detection_data(kSpiI, 0, kResponder));
  for (const auto& n : notifies) {
    CHECK(n.protocol == ipsecd::iana::SecurityProtocolId::NONE);
    CHECK(n.spi.empty());
  }
}

TEST_CASE("NAT detection verdicts", "[natd]") {
  // The initiator sent from 192.0.2.1:500 to 192.0.2.2:500; the responder judges what arrived.
  const auto sent = as_payloads(nat_detection_notifies(kSpiI, 0, kInitiator, kResponder));

  CHECK(evaluate_nat_detection(kSpiI, 0, sent, kInitiator, kResponder) == NatDetection{true, false, false});

  // The initiator's source was rewritten on the way: it is behind a NAT.
  const Endpoint translated = ep({203, 0, 113, 5}, 500);
  CHECK(evaluate_nat_detection(kSpiI, 0, sent, translated, kResponder) == NatDetection{true, false, true});
  const Endpoint port_translated = ep({192, 0, 2, 1}, 61234);
  CHECK(evaluate_nat_detection(kSpiI, 0, sent, port_translated, kResponder) ==
        NatDetection{true, false, true});

  // The datagram arrived at another address than the one it was sent to: we are behind a NAT.
  const Endpoint forwarded = ep({10, 0, 0, 2}, 500);
  CHECK(evaluate_nat_detection(kSpiI, 0, sent, kInitiator, forwarded) == NatDetection{true, true, false});
  CHECK(evaluate_nat_detection(kSpiI, 0, sent, translated, forwarded) == NatDetection{true, true, true});

  // The hashes bind the SPIs: judged with another SPIr nothing matches.
  CHECK(evaluate_nat_detection(kSpiI, kSpiR, sent, kInitiator, kResponder) == NatDetection{true, true, true});
}

TEST_CASE("Any of several SOURCE_IP notifies may match", "[natd]") {
  const Endpoint other = ep({198, 51, 100, 1}, 500);
  std::vector<NotifyPayload> notifies = {
      nat_detection_notify(NotifyMessageType::NAT_DETECTION_SOURCE_IP, kSpiI, kSpiR, other),
      nat_detection_notify(NotifyMessageType::NAT_DETECTION_SOURCE_IP, kSpiI, kSpiR, kInitiator),
      nat_detection_notify(NotifyMessageType::NAT_DETECTION_DESTINATION_IP, kSpiI, kSpiR, kResponder),
  };
  const auto payloads = as_payloads(notifies);
  CHECK(evaluate_nat_detection(kSpiI, kSpiR, payloads, kInitiator, kResponder) ==
        NatDetection{true, false, false});
  CHECK(evaluate_nat_detection(kSpiI, kSpiR, payloads, other, kResponder) ==
        NatDetection{true, false, false});
  const Endpoint third = ep({203, 0, 113, 9}, 500);
  CHECK(evaluate_nat_detection(kSpiI, kSpiR, payloads, third, kResponder) == NatDetection{true, false, true});

  // A notify with data of the wrong size simply does not match.
  notifies[1].data.resize(19);
  CHECK(evaluate_nat_detection(kSpiI, kSpiR, as_payloads(notifies), kInitiator, kResponder) ==
        NatDetection{true, false, true});
}

TEST_CASE("Without both notify types the peer does not detect NAT", "[natd]") {
  CHECK(evaluate_nat_detection(kSpiI, 0, {}, kInitiator, kResponder) == NatDetection{});
  const auto only_source = as_payloads({nat_detection_notify(NotifyMessageType::NAT_DETECTION_SOURCE_IP,
                                                             kSpiI, 0, ep({203, 0, 113, 1}, 9))});
  CHECK(evaluate_nat_detection(kSpiI, 0, only_source, kInitiator, kResponder) == NatDetection{});
  const auto only_destination = as_payloads({nat_detection_notify(
      NotifyMessageType::NAT_DETECTION_DESTINATION_IP, kSpiI, 0, ep({203, 0, 113, 1}, 9))});
  CHECK(evaluate_nat_detection(kSpiI, 0, only_destination, kInitiator, kResponder) == NatDetection{});
}

TEST_CASE("strongSwan IKE_SA_INIT NAT detection notifies say no NAT for their own addresses", "[natd]") {
  const auto fixture = ipsecd::test::load_strongswan_fixture("psk-aes256-sha256-modp2048");
  REQUIRE(fixture.messages.size() >= 2);

  // messages[0]: request 192.0.2.1:500 -> 192.0.2.2:500, SPIr zero in its header.
  auto request = ipsecd::ike::decode_message(fixture.messages[0].bytes);
  REQUIRE(request.has_value());
  const auto& rq = request->message;
  REQUIRE(rq.header.exchange == ipsecd::iana::ExchangeType::IKE_SA_INIT);
  REQUIRE_FALSE(rq.header.response);
  CHECK(rq.header.responder_spi == 0);
  CHECK(ipsecd::ike::find_notifies(rq.payloads, NotifyMessageType::NAT_DETECTION_SOURCE_IP).size() == 1);
  CHECK(ipsecd::ike::find_notifies(rq.payloads, NotifyMessageType::NAT_DETECTION_DESTINATION_IP).size() == 1);
  const uint64_t spi_i = rq.header.initiator_spi;

  CHECK(evaluate_nat_detection(spi_i, 0, rq.payloads, kInitiator, kResponder) ==
        NatDetection{true, false, false});
  CHECK(evaluate_nat_detection(spi_i, 0, rq.payloads, ep({203, 0, 113, 7}, 500), kResponder) ==
        NatDetection{true, false, true});
  CHECK(evaluate_nat_detection(spi_i, 0, rq.payloads, ep({192, 0, 2, 1}, 4500), kResponder) ==
        NatDetection{true, false, true});
  CHECK(evaluate_nat_detection(spi_i, 0, rq.payloads, kInitiator, ep({10, 0, 0, 2}, 500)) ==
        NatDetection{true, true, false});
  // Our builder reproduces charon's notify data byte for byte.
  CHECK(ipsecd::ike::find_notifies(rq.payloads, NotifyMessageType::NAT_DETECTION_SOURCE_IP)[0]->data ==
        nat_detection_data(spi_i, 0, kInitiator));

  // messages[1]: the response 192.0.2.2:500 -> 192.0.2.1:500, with both SPIs.
  auto response = ipsecd::ike::decode_message(fixture.messages[1].bytes);
  REQUIRE(response.has_value());
  const auto& rs = response->message;
  REQUIRE(rs.header.response);
  CHECK(rs.header.initiator_spi == spi_i);
  CHECK(rs.header.responder_spi != 0);
  const uint64_t spi_r = rs.header.responder_spi;
  CHECK(evaluate_nat_detection(spi_i, spi_r, rs.payloads, kResponder, kInitiator) ==
        NatDetection{true, false, false});
  CHECK(evaluate_nat_detection(spi_i, spi_r, rs.payloads, ep({203, 0, 113, 8}, 4500), kInitiator) ==
        NatDetection{true, false, true});
  CHECK(evaluate_nat_detection(spi_i, spi_r, rs.payloads, kResponder, ep({192, 0, 2, 1}, 1025)) ==
        NatDetection{true, true, false});
  // The request's hashes were over SPIr zero, so they do not fit the response's SPIs.
  CHECK(evaluate_nat_detection(spi_i, spi_r, rq.payloads, kInitiator, kResponder) ==
        NatDetection{true, true, true});
}
