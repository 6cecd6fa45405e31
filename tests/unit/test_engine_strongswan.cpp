// IKEv2 engine against real strongSwan 5.9.8 bytes: our responder answers charon's IKE_SA_INIT request as
// charon's own responder did.
#include "engine_harness.h"

#include "daemon/ike/ikev2/nat_detection.h"
#include "daemon/ike/ikev2/payload_helpers.h"
#include "daemon/ike/message_codec.h"
#include "tests/support/strongswan_fixture.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;

TEST_CASE("Our responder answers charon's IKE_SA_INIT request choosing charon's transforms", "[engine]") {
  const auto fixture = load_strongswan_fixture("psk-aes256-sha256-modp2048");
  // The responder side of the capture's swanctl-responder.conf.
  auto config = psk_connection("192.0.2.2", "192.0.2.1", "responder@example.org", "initiator@example.org",
                               "aes256-sha256-modp2048", "aes128gcm16", "192.0.2.2/32", "192.0.2.1/32");
  config.local_auth.psk = secret("ipsecd-fixture-psk-0123456789");
  config.remote_auth.psk = secret("ipsecd-fixture-psk-0123456789");
  ManualClock clock;
  Side responder(clock, 0x55, 0xc0000001, "192.0.2.2");
  responder.start(clock, {}, {config});

  const auto& request = fixture.messages.at(0);
  const auto& charon_response = fixture.messages.at(1);
  REQUIRE(request.exchange_type == 34);
  REQUIRE(!request.is_response);
  const ipsecd::Endpoint initiator{ip("192.0.2.1"), 500};
  responder.engine->handle_datagram(responder.endpoint, initiator, request.bytes);

  REQUIRE(responder.sink.log.size() == 1);
  const Datagram sent = responder.sink.log.front();
  CHECK(sent.remote == initiator);
  const auto ours = ike::decode_message(sent.bytes).value().message;
  const auto theirs = ike::decode_message(charon_response.bytes).value().message;
  const auto asked = ike::decode_message(request.bytes).value().message;

  CHECK(ours.header.initiator_spi == asked.header.initiator_spi);
  CHECK(ours.header.responder_spi != 0);
  CHECK(ours.header.response);
  CHECK(!ours.header.initiator);
  CHECK(ours.header.message_id == 0);
  CHECK(ours.header.exchange == iana::ExchangeType::IKE_SA_INIT);

  // The same single proposal, transform for transform, as charon chose.
  REQUIRE(ike::find_first<ike::SaPayload>(ours.payloads) != nullptr);
  CHECK(*ike::find_first<ike::SaPayload>(ours.payloads) == *ike::find_first<ike::SaPayload>(theirs.payloads));
  const auto* ke = ike::find_first<ike::KePayload>(ours.payloads);
  REQUIRE(ke != nullptr);
  CHECK(ke->group == iana::KeyExchangeMethod::MODP_2048);
  CHECK(ke->data.size() == 256);
  CHECK(ike::find_first<ike::NoncePayload>(ours.payloads)->data.size() == 32);

  // charon's response is SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP)
  // N(MULT_AUTH); ours is the same up to the last two, which announce features we do not have.
  REQUIRE(ours.payloads.size() == 7);
  REQUIRE(theirs.payloads.size() == 9);
  for (size_t i = 0; i < ours.payloads.size(); ++i) {
    CHECK(ours.payloads[i].type() == theirs.payloads[i].type());
    const auto* n_ours = std::get_if<ike::NotifyPayload>(&ours.payloads[i].body);
    const auto* n_theirs = std::get_if<ike::NotifyPayload>(&theirs.payloads[i].body);
    if (n_ours != nullptr && n_theirs != nullptr) {
      CHECK(n_ours->type == n_theirs->type);
      if (n_ours->type == iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS)
        CHECK(n_ours->data == n_theirs->data);
    }
  }
  CHECK(sent.bytes.size() == charon_response.bytes.size() - 16);

  // Judged from charon's side, our NAT detection data says: no NAT either way.
  const auto verdict =
      ikev2::evaluate_nat_detection(ours.header.initiator_spi, ours.header.responder_spi, ours.payloads,
                                    responder.endpoint, initiator);
  CHECK(verdict.peer_supports);
  CHECK(!verdict.local_behind_nat);
  CHECK(!verdict.remote_behind_nat);

  // The repeated request gets the same bytes again and no second SA.
  responder.engine->handle_datagram(responder.endpoint, initiator, request.bytes);
  REQUIRE(responder.sink.log.size() == 2);
  CHECK(responder.sink.log[1].bytes == sent.bytes);
  CHECK(responder.engine->ike_sas().size() == 1);
  CHECK(responder.engine->ike_sas().front().state == IkeSaState::half_open);
}
