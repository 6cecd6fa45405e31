// IKEv2 engine: two engines negotiate PSK IKE SAs and first CHILD_SAs in one process; failures, lost and
// repeated packets, give-up timing, delete, and garbage input.
#include "engine_harness.h"

#include "daemon/ike/message_codec.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;
using ipsecd::ikev2::PolicyDirection;

namespace {


ike::Message decode(const crypto::Bytes& bytes) { return ike::decode_message(bytes).value().message; }

std::vector<Datagram> of_exchange(const std::vector<Datagram>& log, iana::ExchangeType exchange) {
  std::vector<Datagram> out;
  for (const auto& d : log) {
    if (decode(d.bytes).header.exchange == exchange) out.push_back(d);
  }
  return out;
}

// Our outbound SA must be the peer's inbound SA: same SPI, algorithms and keys.
void require_crosswise(const RecordingKernelPort& ours, const RecordingKernelPort& theirs) {
  for (const auto& [key, sa] : ours.sas) {
    const KernelSa* peer = theirs.find_sa(sa.id.spi);
    REQUIRE(peer != nullptr);
    CHECK(peer->inbound != sa.inbound);
    CHECK(peer->id.src == sa.id.src);
    CHECK(peer->id.dst == sa.id.dst);
    CHECK(peer->encryption == sa.encryption);
    CHECK(peer->encryption_key == sa.encryption_key);
    CHECK(peer->integrity_key == sa.integrity_key);
    CHECK(peer->reqid != 0);
  }
}

void require_up(EnginePair& pair) {
  REQUIRE(pair.a.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(pair.b.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(pair.a.events.of<ChildSaInstalled>().size() == 1);
  REQUIRE(pair.b.events.of<ChildSaInstalled>().size() == 1);
}

}  // namespace

TEST_CASE("PSK IKE_SA_INIT, IKE_AUTH and the first tunnel CHILD_SA come up on both sides", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  const uint64_t id = pair.initiate();
  require_up(pair);

  const auto up_a = pair.a.events.of<IkeSaEstablished>().front();
  const auto up_b = pair.b.events.of<IkeSaEstablished>().front();
  CHECK(up_a.ike_sa == id);
  CHECK(up_a.role == IkeRole::initiator);
  CHECK(up_b.role == IkeRole::responder);
  CHECK(up_a.remote_id == identity("@responder.example.org"));
  CHECK(up_b.remote_id == identity("initiator@example.org"));
  CHECK(up_a.transforms == up_b.transforms);
  CHECK(up_a.transforms.key_exchange == iana::KeyExchangeMethod::CURVE25519);

  const auto child_a = pair.a.events.of<ChildSaInstalled>().front();
  const auto child_b = pair.b.events.of<ChildSaInstalled>().front();
  CHECK(child_a.spi_out == child_b.spi_in);
  CHECK(child_a.spi_in == child_b.spi_out);
  CHECK(child_a.mode == IpsecMode::tunnel);
  CHECK(child_a.local_ts == child_b.remote_ts);
  CHECK(format_selectors(child_a.local_ts) == "10.1.0.0/16");
  CHECK(format_selectors(child_a.remote_ts) == "10.2.0.0/16");
  CHECK(child_a.transforms.encryption.id == iana::EncryptionAlgorithm::ENCR_AES_GCM_16);

  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->kernel.larval.empty());
    CHECK(s->kernel.sas.size() == 2);
    CHECK(s->kernel.count_policies(PolicyDirection::out) == 1);
    CHECK(s->kernel.count_policies(PolicyDirection::in) == 1);
    CHECK(s->kernel.count_policies(PolicyDirection::fwd) == 1);
    CHECK(s->kernel.find_sa(s == &pair.a ? child_a.spi_in : child_b.spi_in)->encryption_key.size() == 20);
  }
  require_crosswise(pair.a.kernel, pair.b.kernel);
  require_crosswise(pair.b.kernel, pair.a.kernel);
  const KernelSa* out_a = pair.a.kernel.find_sa(child_a.spi_out);
  CHECK(out_a->lifetime.hard_seconds == 3600);
  // The two directions never share keys.
  CHECK(out_a->encryption_key != pair.a.kernel.find_sa(child_a.spi_in)->encryption_key);
  // Out policy: our side to theirs, tunnel between the IKE addresses.
  for (const auto& p : pair.a.kernel.policies) {
    if (p.direction != PolicyDirection::out) continue;
    CHECK(format_selector(p.src) == "10.1.0.0/16");
    CHECK(p.tunnel_src == ip("192.0.2.1"));
    CHECK(p.tunnel_dst == ip("192.0.2.2"));
  }

  REQUIRE(pair.a.engine->ike_sas().size() == 1);
  CHECK(pair.a.engine->ike_sas().front().state == IkeSaState::established);
  CHECK(pair.b.engine->ike_sas().front().state == IkeSaState::established);
  // Nothing to retransmit: what comes next is the liveness check after 30 s without word (dpd_delay).
  for (Side* side : {&pair.a, &pair.b}) {
    CHECK(side->engine->next_deadline() == pair.clock.now() + std::chrono::seconds(30));
  }
  // Four datagrams: two exchanges, nothing retransmitted.
  CHECK(pair.a.sink.log.size() == 2);
  CHECK(pair.b.sink.log.size() == 2);
}

TEST_CASE("INVALID_KE_PAYLOAD makes the initiator retry in the group the responder asked for", "[engine]") {
  auto a = psk_initiator();
  a.ike_proposals = {proposal("aes128gcm16-prfsha256-x25519-ecp256", iana::SecurityProtocolId::IKE)};
  auto b = psk_responder();
  b.ike_proposals = {proposal("aes128gcm16-prfsha256-ecp256", iana::SecurityProtocolId::IKE)};
  EnginePair pair(a, b);
  pair.initiate();
  require_up(pair);
  CHECK(pair.a.events.of<IkeSaEstablished>().front().transforms.key_exchange ==
        iana::KeyExchangeMethod::ECP_256);

  const auto inits = of_exchange(pair.a.sink.log, iana::ExchangeType::IKE_SA_INIT);
  REQUIRE(inits.size() == 2);
  CHECK(ike::find_first<ike::KePayload>(decode(inits[0].bytes).payloads)->group ==
        iana::KeyExchangeMethod::CURVE25519);
  CHECK(ike::find_first<ike::KePayload>(decode(inits[1].bytes).payloads)->group ==
        iana::KeyExchangeMethod::ECP_256);
  // Same SPIi, still Message ID 0.
  CHECK(decode(inits[0].bytes).header.initiator_spi == decode(inits[1].bytes).header.initiator_spi);
  CHECK(decode(inits[1].bytes).header.message_id == 0);
  const auto answer = decode(of_exchange(pair.b.sink.log, iana::ExchangeType::IKE_SA_INIT).front().bytes);
  const auto invalid_ke = ike::find_notifies(answer.payloads, iana::NotifyMessageType::INVALID_KE_PAYLOAD);
  REQUIRE(invalid_ke.size() == 1);
  CHECK(invalid_ke.front()->data == crypto::Bytes{0x00, 0x13});
  CHECK(answer.header.responder_spi == 0);
  // The responder kept no state for the refused guess.
  CHECK(pair.b.engine->ike_sas().size() == 1);
}

TEST_CASE("No common IKE proposal fails on both sides with NO_PROPOSAL_CHOSEN", "[engine]") {
  auto a = psk_initiator();
  a.ike_proposals = {proposal("aes128-sha256-modp2048", iana::SecurityProtocolId::IKE)};
  auto b = psk_responder();
  b.ike_proposals = {proposal("aes256gcm16-prfsha384-ecp384", iana::SecurityProtocolId::IKE)};
  EnginePair pair(a, b);
  pair.initiate();
  const auto failed_a = pair.a.events.of<IkeSaFailed>();
  const auto failed_b = pair.b.events.of<IkeSaFailed>();
  REQUIRE(failed_a.size() == 1);
  REQUIRE(failed_b.size() == 1);
  CHECK(failed_a.front().failure.reason == FailureReason::no_proposal_chosen);
  CHECK(failed_a.front().failure.peer_notify == iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  CHECK(failed_b.front().failure.reason == FailureReason::no_proposal_chosen);
  CHECK(pair.a.engine->ike_sas().empty());
  CHECK(pair.b.engine->ike_sas().empty());
  CHECK(pair.a.engine->next_deadline() == std::nullopt);
}

TEST_CASE("A wrong PSK fails authentication on both sides and leaves no kernel state", "[engine]") {
  auto a = psk_initiator();
  a.local_auth.psk = secret("not the shared secret");
  EnginePair pair(a, psk_responder());
  pair.initiate();
  const auto failed_a = pair.a.events.of<IkeSaFailed>();
  const auto failed_b = pair.b.events.of<IkeSaFailed>();
  REQUIRE(failed_a.size() == 1);
  REQUIRE(failed_b.size() == 1);
  CHECK(failed_b.front().failure.reason == FailureReason::authentication_failed);
  CHECK(failed_b.front().connection == "conn");
  CHECK(failed_a.front().failure.reason == FailureReason::authentication_failed);
  CHECK(failed_a.front().failure.peer_notify == iana::NotifyMessageType::AUTHENTICATION_FAILED);
  CHECK(pair.a.events.of<IkeSaEstablished>().empty());
  CHECK(pair.b.events.of<IkeSaEstablished>().empty());
  CHECK(pair.a.kernel.empty());  // the SPI allocated for the proposal is released
  CHECK(pair.b.kernel.empty());
  CHECK(pair.a.engine->ike_sas().empty());
  CHECK(pair.b.engine->ike_sas().empty());
}

TEST_CASE("A responder that finds the initiator's PSK AUTH wrong is refused by the initiator too",
          "[engine]") {
  auto b = psk_responder();
  b.local_auth.psk = secret("responder signs with another secret");
  EnginePair pair(psk_initiator(), b);
  pair.initiate();
  // The responder accepted the initiator and installed the CHILD_SA, then heard AUTHENTICATION_FAILED.
  REQUIRE(pair.a.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.a.events.of<IkeSaFailed>().front().failure.reason == FailureReason::authentication_failed);
  CHECK(!pair.a.events.of<IkeSaFailed>().front().failure.peer_notify);
  REQUIRE(pair.b.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.b.events.of<IkeSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::AUTHENTICATION_FAILED);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  CHECK(pair.b.engine->ike_sas().empty());
}

TEST_CASE("A peer identity no connection accepts is refused with AUTHENTICATION_FAILED", "[engine]") {
  auto b = psk_responder();
  b.remote_id = identity("someone-else@example.org");
  EnginePair pair(psk_initiator(), b);
  pair.initiate();
  REQUIRE(pair.b.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.b.events.of<IkeSaFailed>().front().failure.reason == FailureReason::identity_mismatch);
  REQUIRE(pair.a.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.a.events.of<IkeSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::AUTHENTICATION_FAILED);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}

TEST_CASE("An initiator refuses a responder with another identity than configured", "[engine]") {
  auto a = psk_initiator();
  a.remote_id = identity("@impostor.example.org");
  auto b = psk_responder();
  EnginePair pair(a, b);
  pair.initiate();
  // IDr names someone the responder is not: it refuses, as it would in any case.
  REQUIRE(pair.b.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.b.events.of<IkeSaFailed>().front().failure.reason == FailureReason::identity_mismatch);
  CHECK(pair.a.events.of<IkeSaFailed>().front().failure.reason == FailureReason::authentication_failed);
  CHECK(pair.a.kernel.empty());
}

TEST_CASE("TS_UNACCEPTABLE fails only the CHILD_SA: the IKE SA stays up on both sides", "[engine]") {
  auto b = psk_responder();
  b.children.front().remote_ts = selectors("10.9.0.0/16");
  EnginePair pair(psk_initiator(), b);
  pair.initiate();
  REQUIRE(pair.a.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(pair.b.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  REQUIRE(pair.b.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.reason == FailureReason::ts_unacceptable);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::TS_UNACCEPTABLE);
  CHECK(pair.a.events.of<ChildSaFailed>().front().child == "net");
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.reason == FailureReason::ts_unacceptable);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  CHECK(pair.a.engine->ike_sas().front().state == IkeSaState::established);
  CHECK(pair.b.engine->ike_sas().front().state == IkeSaState::established);
}

TEST_CASE("No common ESP proposal fails only the CHILD_SA with the peer's NO_PROPOSAL_CHOSEN", "[engine]") {
  auto b = psk_responder();
  b.children.front().esp_proposals = {proposal("aes256-sha512", iana::SecurityProtocolId::ESP)};
  EnginePair pair(psk_initiator(), b);
  pair.initiate();
  REQUIRE(pair.a.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}

TEST_CASE("A kernel that refuses the SA fails the CHILD_SA, answered NO_PROPOSAL_CHOSEN, IKE SA kept",
          "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.b.kernel.refuse_add_sa = true;
  pair.initiate();
  REQUIRE(pair.b.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.reason == FailureReason::kernel_refused);
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.detail == "add SA: the kernel has no ESP support");
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  CHECK(pair.a.events.of<IkeSaEstablished>().size() == 1);
  CHECK(pair.b.events.of<IkeSaEstablished>().size() == 1);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}

TEST_CASE("Transport mode: USE_TRANSPORT_MODE both ways, no forward policy", "[engine]") {
  auto a = psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org",
                          "aes128gcm16-prfsha256-x25519", "aes128gcm16", "dynamic", "dynamic");
  auto b = psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org", "initiator@example.org",
                          "aes128gcm16-prfsha256-x25519", "aes128gcm16", "dynamic", "dynamic");
  a.children.front().mode = IpsecMode::transport;
  b.children.front().mode = IpsecMode::transport;
  EnginePair pair(a, b);
  pair.initiate();
  require_up(pair);
  CHECK(pair.a.events.of<ChildSaInstalled>().front().mode == IpsecMode::transport);
  CHECK(pair.b.events.of<ChildSaInstalled>().front().mode == IpsecMode::transport);
  CHECK(format_selectors(pair.a.events.of<ChildSaInstalled>().front().local_ts) == "192.0.2.1/32");
  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->kernel.count_policies(PolicyDirection::fwd) == 0);
    CHECK(s->kernel.policies.size() == 2);
    for (const auto& [key, sa] : s->kernel.sas) CHECK(sa.mode == IpsecMode::transport);
  }
  require_crosswise(pair.a.kernel, pair.b.kernel);
}

TEST_CASE("A lost first request is recovered by retransmission after one second", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  int seen = 0;
  pair.filter = [&](const Datagram&, bool from_a) { return from_a && seen++ == 0 ? 0 : 1; };
  pair.initiate();
  CHECK(pair.a.events.events.empty());
  REQUIRE(pair.a.engine->next_deadline() == TimePoint{} + std::chrono::milliseconds(1000));
  pair.run_until(TimePoint{} + std::chrono::milliseconds(1000));
  require_up(pair);
  CHECK(pair.a.engine->counters().retransmitted_requests == 1);
  CHECK(pair.a.sink.log[1].bytes == pair.a.sink.log[0].bytes);
}

TEST_CASE("A lost response is recovered: the responder answers the repeat from its cache", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  for (auto lost : {iana::ExchangeType::IKE_SA_INIT, iana::ExchangeType::IKE_AUTH}) {
    DYNAMIC_SECTION(iana::name(lost)) {
      bool dropped = false;
      pair.filter = [&](const Datagram& d, bool from_a) {
        if (from_a || dropped || decode(d.bytes).header.exchange != lost) return 1;
        dropped = true;
        return 0;
      };
      pair.initiate();
      CHECK(dropped);
      pair.run_until(TimePoint{} + std::chrono::milliseconds(1000));
      require_up(pair);
      CHECK(pair.b.engine->counters().retransmitted_responses == 1);
      const auto answers = of_exchange(pair.b.sink.log, lost);
      REQUIRE(answers.size() == 2);
      CHECK(answers[0].bytes == answers[1].bytes);
      // One SA each: the repeat made no second one.
      CHECK(pair.b.engine->ike_sas().size() == 1);
      CHECK(pair.b.kernel.sas.size() == 2);
    }
  }
}

TEST_CASE("A duplicated request is answered byte for byte from the cache and the extra answer ignored",
          "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.filter = [&](const Datagram& d, bool from_a) {
    return from_a && decode(d.bytes).header.exchange == iana::ExchangeType::IKE_AUTH ? 2 : 1;
  };
  pair.initiate();
  require_up(pair);
  const auto answers = of_exchange(pair.b.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].bytes == answers[1].bytes);
  CHECK(pair.b.engine->counters().retransmitted_responses == 1);
  CHECK(pair.a.engine->counters().out_of_window == 1);
  CHECK(pair.b.kernel.sas.size() == 2);
}

TEST_CASE("A peer that never answers is declared dead after the back-off schedule", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.filter = [](const Datagram&, bool) { return 0; };
  pair.initiate();
  pair.run_timers_until(TimePoint{} + std::chrono::milliseconds(41265));
  CHECK(pair.a.events.events.empty());
  std::vector<long long> times;
  for (const auto& d : pair.a.sink.log) times.push_back(d.sent_at_ms);
  // 1 s, then x1.8 each time: 1000, 1800, 3240, 5832, 10498 ms between the sends.
  CHECK(times == std::vector<long long>{0, 1000, 2800, 6040, 11872, 22370});
  for (const auto& d : pair.a.sink.log) CHECK(d.bytes == pair.a.sink.log.front().bytes);
  // The fifth retransmission waits 18896 ms before giving up.
  REQUIRE(pair.a.engine->next_deadline() == TimePoint{} + std::chrono::milliseconds(41266));
  pair.run_until(TimePoint{} + std::chrono::milliseconds(41266));
  REQUIRE(pair.a.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.a.events.of<IkeSaFailed>().front().failure.reason == FailureReason::peer_unreachable);
  CHECK(pair.a.engine->counters().retransmitted_requests == 5);
  CHECK(pair.a.engine->ike_sas().empty());
  CHECK(pair.a.engine->next_deadline() == std::nullopt);
}

TEST_CASE("A peer gone after IKE_SA_INIT: the IKE_AUTH give-up releases the allocated SPI", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.filter = [](const Datagram& d, bool from_a) {
    return from_a && decode(d.bytes).header.exchange == iana::ExchangeType::IKE_AUTH ? 0 : 1;
  };
  pair.initiate();
  CHECK(pair.a.kernel.larval.size() == 1);
  pair.run_timers_until(TimePoint{} + std::chrono::seconds(60));
  CHECK(pair.a.events.of<IkeSaFailed>().front().failure.reason == FailureReason::peer_unreachable);
  CHECK(pair.a.kernel.empty());
  // The responder's half-open SA timed out at 30 s.
  REQUIRE(pair.b.events.of<IkeSaFailed>().size() == 1);
  CHECK(pair.b.events.of<IkeSaFailed>().front().failure.reason == FailureReason::half_open_timeout);
  CHECK(pair.b.engine->ike_sas().empty());
}

TEST_CASE("Terminate deletes the IKE SA and its CHILD_SA on both sides, kernel included", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  const uint64_t id = pair.initiate();
  require_up(pair);
  REQUIRE(pair.a.engine->terminate(id));
  pair.pump();
  REQUIRE(pair.a.events.of<IkeSaDeleted>().size() == 1);
  REQUIRE(pair.b.events.of<IkeSaDeleted>().size() == 1);
  CHECK(!pair.a.events.of<IkeSaDeleted>().front().by_peer);
  CHECK(pair.b.events.of<IkeSaDeleted>().front().by_peer);
  CHECK(pair.a.events.of<ChildSaDeleted>().size() == 1);
  CHECK(pair.b.events.of<ChildSaDeleted>().size() == 1);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  CHECK(pair.a.engine->ike_sas().empty());
  CHECK(pair.b.engine->ike_sas().empty());
  CHECK(!pair.a.engine->terminate(id));
}

TEST_CASE("Terminate from the responder side works the same way", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.initiate();
  const uint64_t id_b = pair.b.events.of<IkeSaEstablished>().front().ike_sa;
  REQUIRE(pair.b.engine->terminate(id_b));
  pair.pump();
  CHECK(pair.a.events.of<IkeSaDeleted>().front().by_peer);
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}

TEST_CASE("Garbage and tampered datagrams are dropped and counted, never acted on", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  bool tampered = false;
  pair.filter = [&](const Datagram& d, bool from_a) {
    if (!from_a || tampered || decode(d.bytes).header.exchange != iana::ExchangeType::IKE_AUTH) return 1;
    tampered = true;
    crypto::Bytes bad = d.bytes;
    bad[bad.size() - 1] ^= 0x01;  // the ICV's last byte
    pair.b.engine->handle_datagram(d.remote, d.local, bad);
    return 1;
  };
  pair.initiate();
  require_up(pair);
  CHECK(pair.b.engine->counters().integrity_failed == 1);

  const ipsecd::Endpoint from{ip("192.0.2.1"), 500};
  const ipsecd::Endpoint to{ip("192.0.2.2"), 500};
  Engine& b = *pair.b.engine;
  b.handle_datagram(to, from, crypto::Bytes{});
  b.handle_datagram(to, from, crypto::Bytes(27, 0xff));
  const crypto::Bytes auth_request = of_exchange(pair.a.sink.log, iana::ExchangeType::IKE_AUTH).front().bytes;
  for (size_t cut = 0; cut < auth_request.size(); cut += 7) {
    b.handle_datagram(to, from,
                      crypto::Bytes(auth_request.begin(), auth_request.begin() + static_cast<long>(cut)));
  }
  CHECK(b.counters().decode_failed >= 2 + auth_request.size() / 7);
  // A well-formed message for SPIs nobody has.
  crypto::Bytes unknown = auth_request;
  unknown[0] ^= 0xff;
  b.handle_datagram(to, from, unknown);
  CHECK(b.counters().unknown_spi == 1);
  // An old request (Message ID 0 is long done) with valid protection is ignored, not answered again.
  const size_t sent_before = pair.b.sink.log.size();
  crypto::Bytes old = auth_request;
  old[20] = 0;
  old[21] = 0;
  old[22] = 0;
  old[23] = 0;
  b.handle_datagram(to, from, old);
  CHECK(b.counters().out_of_window == 1);
  CHECK(pair.b.sink.log.size() == sent_before);
  CHECK(b.ike_sas().front().state == IkeSaState::established);
  CHECK(pair.b.kernel.sas.size() == 2);
}

TEST_CASE("Past the half-open threshold the responder asks for a cookie and the initiator returns it",
          "[engine]") {
  EngineSettings settings;
  settings.cookie_threshold = 0;
  EnginePair pair(psk_initiator(), psk_responder(), settings);
  pair.initiate();
  require_up(pair);
  const auto inits = of_exchange(pair.a.sink.log, iana::ExchangeType::IKE_SA_INIT);
  REQUIRE(inits.size() == 2);
  const auto first_answer =
      decode(of_exchange(pair.b.sink.log, iana::ExchangeType::IKE_SA_INIT).front().bytes);
  const auto cookie = ike::find_notifies(first_answer.payloads, iana::NotifyMessageType::COOKIE);
  REQUIRE(cookie.size() == 1);
  const auto retry = decode(inits[1].bytes);
  const auto* echoed = std::get_if<ike::NotifyPayload>(&retry.payloads.front().body);
  REQUIRE(echoed != nullptr);
  CHECK(echoed->type == iana::NotifyMessageType::COOKIE);
  CHECK(echoed->data == cookie.front()->data);
}

// The threshold counts half-open SAs only: one that establishes or times out stops counting (§2.6).
TEST_CASE("The cookie threshold counts the half-open SAs of the moment", "[engine]") {
  EngineSettings settings;
  settings.cookie_threshold = 1;
  auto initiator = psk_initiator();
  initiator.send_initial_contact = false;  // the IKE SAs of the four connections live side by side
  std::vector<ConnectionConfig> connections;
  for (const char* name : {"conn", "conn2", "conn3", "conn4"}) {
    connections.push_back(initiator);
    connections.back().name = name;
  }
  EnginePair pair(initiator, psk_responder(), settings);
  pair.a.start(pair.clock, settings, connections);
  const auto cookies_asked = [&] {
    size_t n = 0;
    for (const auto& d : of_exchange(pair.b.sink.log, iana::ExchangeType::IKE_SA_INIT)) {
      n += ike::find_notifies(decode(d.bytes).payloads, iana::NotifyMessageType::COOKIE).size();
    }
    return n;
  };
  const auto half_open_at_b = [&] {
    const auto sas = pair.b.engine->ike_sas();
    return std::count_if(sas.begin(), sas.end(), [](const auto& s) { return s.state == IkeSaState::half_open; });
  };

  pair.initiate();
  require_up(pair);
  CHECK(cookies_asked() == 0);

  // b's answers are lost: conn2 stays half-open at b, and conn3 arrives past the threshold.
  pair.filter = [](const Datagram&, bool from_a) { return from_a ? 1 : 0; };
  REQUIRE(pair.a.engine->initiate("conn2", "net"));
  pair.pump();
  CHECK(half_open_at_b() == 1);
  CHECK(cookies_asked() == 0);
  REQUIRE(pair.a.engine->initiate("conn3", "net"));
  pair.pump();
  CHECK(cookies_asked() == 1);
  CHECK(half_open_at_b() == 1);

  // Nothing gets through until b's half-open SA has timed out.
  pair.filter = [](const Datagram&, bool) { return 0; };
  pair.run_until(pair.clock.now() + settings.half_open_timeout + std::chrono::seconds(1));
  CHECK(half_open_at_b() == 0);

  // With the network back, the retransmissions of conn2 and conn3 and a new conn4 all come up; the
  // half-open count is back to zero, so conn4's first IKE_SA_INIT is admitted without a cookie.
  pair.filter = nullptr;
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(60));
  const size_t asked_before_conn4 = cookies_asked();
  REQUIRE(pair.a.engine->initiate("conn4", "net"));
  pair.pump();
  CHECK(cookies_asked() == asked_before_conn4);
  CHECK(half_open_at_b() == 0);
  CHECK(pair.b.engine->ike_sas().size() == 4);
  for (const auto& sa : pair.b.engine->ike_sas()) CHECK(sa.state == IkeSaState::established);
}

TEST_CASE("Long IKE_AUTH messages go as RFC 7383 fragments and a lost fragment is recovered", "[engine]") {
  EngineSettings settings;
  settings.fragment_size = 160;
  EnginePair pair(psk_initiator(), psk_responder(), settings);
  int response_fragments_seen = 0;
  pair.filter = [&](const Datagram& d, bool from_a) {
    const auto m = decode(d.bytes);
    if (from_a || m.header.exchange != iana::ExchangeType::IKE_AUTH) return 1;
    // The second fragment of the first answer is lost.
    return ++response_fragments_seen == 2 ? 0 : 1;
  };
  pair.initiate();
  CHECK(pair.a.events.events.empty());
  pair.run_until(TimePoint{} + std::chrono::milliseconds(1000));
  require_up(pair);
  require_crosswise(pair.a.kernel, pair.b.kernel);

  for (Side* s : {&pair.a, &pair.b}) {
    const auto auth = of_exchange(s->sink.log, iana::ExchangeType::IKE_AUTH);
    REQUIRE(auth.size() >= 2);
    for (const auto& d : auth) {
      CHECK(d.bytes.size() <= 160);
      CHECK(decode(d.bytes).payloads.back().type() == iana::PayloadType::SKF);
    }
  }
  // The initiator sent its fragments twice; the responder answered the repeat once, on fragment 1, with
  // the very datagrams it had cached.
  const auto requests = of_exchange(pair.a.sink.log, iana::ExchangeType::IKE_AUTH);
  const auto answers = of_exchange(pair.b.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(requests.size() % 2 == 0);
  REQUIRE(answers.size() % 2 == 0);
  for (size_t i = 0; i < answers.size() / 2; ++i)
    CHECK(answers[i].bytes == answers[i + answers.size() / 2].bytes);
  CHECK(pair.b.engine->counters().retransmitted_responses == 1);
}

TEST_CASE("INITIAL_CONTACT from a restarted initiator replaces the responder's stale IKE SA and children",
          "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.initiate();
  require_up(pair);
  const uint64_t old_b = pair.b.events.of<IkeSaEstablished>().front().ike_sa;
  // The initiator restarts: a new engine, an empty kernel, the same configuration.
  pair.a.kernel = RecordingKernelPort(0xa1000001);
  pair.a.start(pair.clock, {}, {psk_initiator()});
  pair.initiate();

  REQUIRE(pair.b.events.of<IkeSaEstablished>().size() == 2);
  REQUIRE(pair.b.events.of<IkeSaDeleted>().size() == 1);
  CHECK(pair.b.events.of<IkeSaDeleted>().front().ike_sa == old_b);
  CHECK(pair.b.events.of<ChildSaDeleted>().size() == 1);
  REQUIRE(pair.b.engine->ike_sas().size() == 1);
  CHECK(pair.b.engine->ike_sas().front().unique_id != old_b);
  // The old policies went before the new ones came, so the new CHILD_SA installed cleanly.
  REQUIRE(pair.b.events.of<ChildSaInstalled>().size() == 2);
  CHECK(pair.b.kernel.sas.size() == 2);
  CHECK(pair.b.kernel.policies.size() == 3);
  require_crosswise(pair.a.kernel, pair.b.kernel);
  require_crosswise(pair.b.kernel, pair.a.kernel);
}

TEST_CASE("Without INITIAL_CONTACT a second IKE SA lives beside the first", "[engine]") {
  auto a = psk_initiator();
  a.send_initial_contact = false;
  a.children.front().local_ts = selectors("10.3.0.0/16");
  auto b = psk_responder();
  b.children.front().remote_ts = selectors("10.1.0.0/16, 10.3.0.0/16");
  EnginePair pair(a, b);
  pair.initiate();
  auto second = a;
  second.children.front().local_ts = selectors("10.1.0.0/16");
  pair.a.start(pair.clock, {}, {second});
  pair.initiate();
  CHECK(pair.b.events.of<IkeSaDeleted>().empty());
  CHECK(pair.b.engine->ike_sas().size() == 2);
  CHECK(pair.b.kernel.sas.size() == 4);
}

TEST_CASE("A half-open IKE SA from the peer's address does not hold INITIAL_CONTACT back", "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.initiate();
  require_up(pair);
  // The initiator restarts; before it initiates, an IKE_SA_INIT from the peer's address, which anyone can
  // send, leaves it a half-open responder SA.
  pair.a.kernel = RecordingKernelPort(0xa1000001);
  pair.a.start(pair.clock, {}, {psk_initiator()});
  Side spoofer(pair.clock, 0x5f, 0xe0000001, "192.0.2.2");
  spoofer.start(pair.clock, {}, {psk_responder()});
  REQUIRE(spoofer.engine->initiate("conn", "net"));
  REQUIRE(spoofer.sink.queue.size() == 1);
  const Datagram init = spoofer.sink.queue.front();
  pair.a.engine->handle_datagram(init.remote, init.local, init.bytes);
  pair.a.sink.queue.clear();
  REQUIRE(pair.a.engine->ike_sas().size() == 1);
  REQUIRE(pair.a.engine->ike_sas().front().state == IkeSaState::half_open);

  pair.initiate();
  // INITIAL_CONTACT went: the responder replaced its stale IKE SA.
  REQUIRE(pair.b.events.of<IkeSaDeleted>().size() == 1);
  CHECK(pair.b.engine->ike_sas().size() == 1);
}

TEST_CASE("INITIAL_CONTACT is not sent beside another IKE SA with the same peer", "[engine]") {
  // Two connections to one peer, both with send_initial_contact: the second IKE SA must not tell the peer
  // that it is the only one (§2.4), or the peer would delete the first.
  auto first = psk_initiator();
  first.children.front().local_ts = selectors("10.3.0.0/16");
  auto second = psk_initiator();
  second.name = "conn2";
  auto b = psk_responder();
  b.children.front().remote_ts = selectors("10.1.0.0/16, 10.3.0.0/16");
  EnginePair pair(first, b);
  pair.a.start(pair.clock, {}, {first, second});
  pair.initiate();
  REQUIRE(pair.a.engine->initiate("conn2", "net"));
  pair.pump();
  CHECK(pair.b.events.of<IkeSaEstablished>().size() == 2);
  CHECK(pair.b.events.of<IkeSaDeleted>().empty());
  CHECK(pair.b.engine->ike_sas().size() == 2);
  CHECK(pair.b.kernel.sas.size() == 4);
}

TEST_CASE("Every single-byte corruption of IKE_SA_INIT is answered, refused or dropped, never crashes",
          "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  pair.filter = [](const Datagram&, bool) { return 0; };
  pair.initiate();
  const Datagram request = pair.a.sink.log.front();
  size_t answered = 0;
  for (size_t i = 0; i < request.bytes.size(); ++i) {
    ManualClock clock;
    Side responder(clock, 0x77, 0xd0000001, "192.0.2.2");
    responder.start(clock, {}, {psk_responder()});
    crypto::Bytes mutated = request.bytes;
    mutated[i] ^= 0x5a;
    responder.engine->handle_datagram(request.remote, request.local, mutated);
    const auto& c = responder.engine->counters();
    // Either it did not decode, or it was refused with a notify or accepted with one answer.
    if (c.decode_failed + c.unexpected + c.unknown_spi + c.out_of_window + c.integrity_failed == 0) {
      REQUIRE(responder.sink.log.size() == 1);
      ++answered;
    }
    CHECK(responder.sink.log.size() <= 1);
    CHECK(responder.kernel.empty());
  }
  // Corruptions inside nonce, KE data or notify data still decode and get an answer.
  CHECK(answered > request.bytes.size() / 2);
}

TEST_CASE("Terminate toward a silent peer removes everything once the Delete's retransmissions run out",
          "[engine]") {
  EnginePair pair(psk_initiator(), psk_responder());
  const uint64_t id = pair.initiate();
  require_up(pair);
  pair.filter = [](const Datagram&, bool) { return 0; };
  REQUIRE(pair.a.engine->terminate(id));
  pair.pump();
  // The CHILD_SA stays installed while the Delete is still being retransmitted.
  CHECK(pair.a.kernel.sas.size() == 2);
  CHECK(pair.a.engine->ike_sas().front().state == IkeSaState::deleting);
  pair.run_timers_until(TimePoint{} + std::chrono::milliseconds(41265));
  CHECK(pair.a.events.of<IkeSaDeleted>().empty());
  pair.run_until(TimePoint{} + std::chrono::milliseconds(41266));
  REQUIRE(pair.a.events.of<IkeSaDeleted>().size() == 1);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.a.engine->ike_sas().empty());
  CHECK(pair.a.engine->counters().retransmitted_requests == 5);
}
