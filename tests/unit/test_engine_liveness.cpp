// IKEv2 engine: liveness checks and dead peers (§2.4), error answers to malformed requests (§2.5, §2.21),
// the old IKE SA's own removal after a rekey whose Delete never came (§2.18), failed rekeys retried, and
// INVALID_KE_PAYLOAD in an IKE SA rekey (§1.3.2).
#include "engine_harness.h"
#include "hand_initiator.h"

#include "daemon/ike/message_codec.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;
using namespace std::chrono_literals;

namespace {

ConnectionConfig config_a(const char* ike = "aes128gcm16-prfsha256-x25519") {
  return psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org", ike);
}
ConnectionConfig config_b(const char* ike = "aes128gcm16-prfsha256-x25519") {
  return psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org", "initiator@example.org", ike,
                        "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16");
}

ike::Message decode(const crypto::Bytes& bytes) { return ike::decode_message(bytes).value().message; }

TimePoint at_ms(long long ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

// The requests (not responses) of one exchange in a side's log, with their send times.
std::vector<Datagram> requests_of(const std::vector<Datagram>& log, iana::ExchangeType exchange) {
  std::vector<Datagram> out;
  for (const auto& d : log) {
    const auto h = decode(d.bytes).header;
    if (h.exchange == exchange && !h.response) out.push_back(d);
  }
  return out;
}

std::vector<long long> send_times(const std::vector<Datagram>& datagrams) {
  std::vector<long long> out;
  for (const auto& d : datagrams) out.push_back(d.sent_at_ms);
  return out;
}

// Both sides hold one established IKE SA with the same SPIs and one CHILD_SA pair whose kernel SAs match.
void require_one_pair(EnginePair& pair) {
  const auto a = pair.a.engine->ike_sas();
  const auto b = pair.b.engine->ike_sas();
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  CHECK(a.front().state == IkeSaState::established);
  CHECK(b.front().state == IkeSaState::established);
  CHECK(a.front().spi_i == b.front().spi_i);
  CHECK(a.front().spi_r == b.front().spi_r);
  REQUIRE(a.front().child_sas.size() == 1);
  REQUIRE(b.front().child_sas.size() == 1);
  CHECK(a.front().child_sas.front().spi_in == b.front().child_sas.front().spi_out);
  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->kernel.sas.size() == 2);
    CHECK(s->kernel.policies.size() == 3);
    CHECK(s->kernel.larval.empty());
  }
  for (const auto& [key, sa] : pair.a.kernel.sas) {
    const KernelSa* peer = pair.b.kernel.find_sa(sa.id.spi);
    REQUIRE(peer != nullptr);
    CHECK(peer->encryption_key == sa.encryption_key);
  }
}

void require_dead(Side& side) {
  const auto failed = side.events.of<IkeSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().failure.reason == FailureReason::peer_unreachable);
  CHECK(failed.front().connection == "conn");
  CHECK(side.events.of<ChildSaDeleted>().size() == 1);
  CHECK(side.events.of<IkeSaDeleted>().empty());
  CHECK(side.kernel.empty());
  CHECK(side.engine->ike_sas().empty());
  CHECK(side.engine->next_deadline() == std::nullopt);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Liveness (§2.4)

TEST_CASE("A silent peer is declared dead dpd_delay plus the retransmission schedule after last heard",
          "[liveness]") {
  EnginePair pair(config_a(), config_b());
  pair.initiate();
  require_one_pair(pair);
  pair.filter = [](const Datagram&, bool) { return 0; };

  pair.run_timers_until(at_ms(29999));
  CHECK(pair.a.sink.log.size() == 2);
  CHECK(pair.b.sink.log.size() == 2);
  pair.run_timers_until(at_ms(30000 + 41265));
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.kernel.sas.size() == 2);
  // The check goes out 30 s after the IKE_AUTH exchange, then back-off: 1 s, x1.8 each time.
  const auto checks = requests_of(pair.a.sink.log, iana::ExchangeType::INFORMATIONAL);
  CHECK(send_times(checks) == std::vector<long long>{30000, 31000, 32800, 36040, 41872, 52370});
  const auto check = decode(checks.front().bytes);
  CHECK(check.header.message_id == 2);
  REQUIRE(check.payloads.size() == 1);
  // An empty INFORMATIONAL: the SK payload names no inner payload.
  CHECK(std::get<ike::SkPayload>(check.payloads.front().body).first_inner ==
        iana::PayloadType::NO_NEXT_PAYLOAD);
  for (const auto& d : checks) CHECK(d.bytes == checks.front().bytes);

  // 18896 ms after the fifth retransmission the peer is dead, on both sides: each checked the other.
  REQUIRE(pair.a.engine->next_deadline() == at_ms(30000 + 41266));
  pair.run_until(at_ms(30000 + 41266));
  require_dead(pair.a);
  require_dead(pair.b);
  CHECK(pair.a.engine->counters().liveness_checks == 1);
  CHECK(pair.a.engine->counters().retransmitted_requests == 5);
}

TEST_CASE("A live peer answers every liveness check and nothing fails over six hours", "[liveness]") {
  EnginePair pair(config_a(), config_b());
  pair.initiate();
  pair.run_timers_until(TimePoint{} + 6h);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.b.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.events.of<ChildSaFailed>().empty());
  require_one_pair(pair);
  // Both start their check at the same moment after each exchange: about one each per 30 s of silence.
  const uint64_t checks =
      pair.a.engine->counters().liveness_checks + pair.b.engine->counters().liveness_checks;
  CHECK(checks >= 2 * 600);
  CHECK(pair.a.engine->counters().retransmitted_requests == 0);
  CHECK(pair.b.engine->counters().retransmitted_requests == 0);
  // The rekeys went on meanwhile (IKE SA every 4 h less jitter, CHILD_SA every hour less jitter).
  CHECK(pair.a.events.of<IkeSaRekeyed>().size() >= 1);
  CHECK(pair.a.events.of<ChildSaRekeyed>().size() >= 5);
}

TEST_CASE("With dpd_delay 0 no liveness check goes out and a silent peer is not declared dead",
          "[liveness]") {
  auto a = config_a();
  auto b = config_b();
  a.dpd_delay = 0s;
  b.dpd_delay = 0s;
  EnginePair pair(a, b);
  pair.initiate();
  pair.filter = [](const Datagram&, bool) { return 0; };
  // Up to just before the first CHILD_SA rekey (3600 s less at most 360 s of jitter).
  pair.run_timers_until(TimePoint{} + 3239s);
  CHECK(pair.a.sink.log.size() == 2);
  CHECK(pair.b.sink.log.size() == 2);
  CHECK(pair.a.engine->counters().liveness_checks == 0);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.engine->ike_sas().front().state == IkeSaState::established);
  CHECK(pair.a.kernel.sas.size() == 2);
  CHECK(*pair.a.engine->next_deadline() >= TimePoint{} + 3240s);
}

TEST_CASE("The peer's requests count as hearing from it: no liveness check of ours while they flow",
          "[liveness]") {
  auto a = config_a();
  auto b = config_b();
  b.dpd_delay = 10s;  // b checks every 10 s, so a hears a request every 10 s
  // No rekeys of our own within the two hours, so any request of a's would be a liveness check.
  a.children.front().rekey_time = 0s;
  b.children.front().rekey_time = 0s;
  EnginePair pair(a, b);
  pair.initiate();
  pair.run_timers_until(TimePoint{} + 2h);
  CHECK(pair.a.engine->counters().liveness_checks == 0);
  CHECK(pair.b.engine->counters().liveness_checks >= 600);
  // a sent no request at all, only answers, and every one of b's checks was answered.
  CHECK(requests_of(pair.a.sink.log, iana::ExchangeType::INFORMATIONAL).empty());
  CHECK(requests_of(pair.a.sink.log, iana::ExchangeType::CREATE_CHILD_SA).empty());
  CHECK(pair.b.engine->counters().retransmitted_requests == 0);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.b.events.of<IkeSaFailed>().empty());
  require_one_pair(pair);
}

TEST_CASE("A peer that lost its IKE SA is found dead by the liveness check", "[liveness]") {
  EnginePair pair(config_a(), config_b());
  pair.initiate();
  // b restarts without telling a: a's check goes to SPIs b no longer knows, and is dropped there.
  pair.b.start(pair.clock, {}, {config_b()});
  pair.run_timers_until(at_ms(30000 + 41266));
  require_dead(pair.a);
  CHECK(pair.b.engine->counters().unknown_spi == 6);
}

// ---------------------------------------------------------------------------------------------------
// Error answers (§2.5, §2.21, §3.10.1)

namespace {

const ipsecd::Endpoint kA{ip("192.0.2.1"), 500};
const ipsecd::Endpoint kB{ip("192.0.2.2"), 500};

// An IKE_SA_INIT request built by hand, with `extra` payloads after SA, KE and Ni.
crypto::Bytes init_request(uint8_t major_version, std::vector<ike::Payload> extra = {}) {
  Botan::ChaCha_RNG rng(crypto::SecureBytes(32, 0x33));
  auto ke = crypto::make_key_exchange(iana::KeyExchangeMethod::CURVE25519, rng).value();
  ike::Header h;
  h.initiator_spi = 0x0102030405060708;
  h.major_version = major_version;
  h.exchange = iana::ExchangeType::IKE_SA_INIT;
  h.initiator = true;
  std::vector<ike::Payload> payloads{
      ike::Payload{ike::SaPayload{to_sa_proposals(config_a().ike_proposals, {})}},
      ike::Payload{ike::KePayload{iana::KeyExchangeMethod::CURVE25519, ke->public_value()}},
      ike::Payload{ike::NoncePayload{crypto::Bytes(32, 0x44)}}};
  for (auto& p : extra) payloads.push_back(std::move(p));
  return ike::encode_message({h, payloads}).value().bytes;
}

ike::Payload unknown_payload(uint8_t type, bool critical) {
  ike::Payload p{ike::UnknownPayload{type, crypto::Bytes{1, 2, 3}}};
  p.critical = critical;
  return p;
}

// The one notify of a message, or the test fails.
const ike::NotifyPayload& only_notify(const ike::Message& m) {
  REQUIRE(m.payloads.size() == 1);
  const auto* n = std::get_if<ike::NotifyPayload>(&m.payloads.front().body);
  REQUIRE(n != nullptr);
  return *n;
}

struct Responder {
  ManualClock clock;
  Side side{clock, 0xb2, 0xb0000001, "192.0.2.2"};
  explicit Responder(ConnectionConfig config = config_b()) { side.start(clock, {}, {std::move(config)}); }
  Engine& engine() { return *side.engine; }
};

}  // namespace

TEST_CASE("An IKE_SA_INIT request of major version 3 gets INVALID_MAJOR_VERSION in a version 2 header",
          "[errors]") {
  Responder r;
  const crypto::Bytes request = init_request(3);
  r.engine().handle_datagram(kB, kA, request);
  REQUIRE(r.side.sink.log.size() == 1);
  const crypto::Bytes& answer = r.side.sink.log.front().bytes;
  CHECK(answer[17] == 0x20);  // major version 2, minor 0
  const auto m = decode(answer);
  CHECK(m.header.initiator_spi == 0x0102030405060708);
  CHECK(m.header.responder_spi == 0);
  CHECK(m.header.exchange == iana::ExchangeType::IKE_SA_INIT);
  CHECK(m.header.response);
  CHECK(!m.header.initiator);
  CHECK(m.header.message_id == 0);
  CHECK(only_notify(m).type == iana::NotifyMessageType::INVALID_MAJOR_VERSION);
  CHECK(only_notify(m).data.empty());
  CHECK(r.engine().ike_sas().empty());
  CHECK(r.engine().next_deadline() == std::nullopt);
  CHECK(r.side.events.events.empty());
  CHECK(r.engine().counters().decode_failed == 1);
  CHECK(r.engine().counters().errors_answered == 1);

  // A response of version 3 is dropped without a word; version 1 (IKEv1) is no higher version.
  crypto::Bytes response = request;
  response[19] |= 0x20;
  r.engine().handle_datagram(kB, kA, response);
  r.engine().handle_datagram(kB, kA, init_request(1));
  CHECK(r.side.sink.log.size() == 1);
  CHECK(r.engine().counters().decode_failed == 3);
  CHECK(r.engine().counters().errors_answered == 1);
}

TEST_CASE("An IKE_SA_INIT request with an unsupported critical payload gets UNSUPPORTED_CRITICAL_PAYLOAD",
          "[errors]") {
  Responder r;
  r.engine().handle_datagram(kB, kA, init_request(2, {unknown_payload(200, true)}));
  REQUIRE(r.side.sink.log.size() == 1);
  const auto m = decode(r.side.sink.log.front().bytes);
  CHECK(m.header.response);
  CHECK(m.header.responder_spi == 0);
  CHECK(m.header.initiator_spi == 0x0102030405060708);
  CHECK(only_notify(m).type == iana::NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD);
  CHECK(only_notify(m).data == crypto::Bytes{200});
  CHECK(r.engine().ike_sas().empty());
  CHECK(r.engine().counters().errors_answered == 1);

  // The same payload without the critical bit is skipped (§2.5) and the exchange goes on.
  r.engine().handle_datagram(kB, kA, init_request(2, {unknown_payload(200, false)}));
  REQUIRE(r.side.sink.log.size() == 2);
  CHECK(ike::find_first<ike::SaPayload>(decode(r.side.sink.log.back().bytes).payloads) != nullptr);
  CHECK(r.engine().ike_sas().size() == 1);
}

TEST_CASE("A protected request with an unsupported critical payload is answered in the same exchange",
          "[errors]") {
  Responder r;
  HandInitiator peer(r.side, config_a());
  peer.establish();
  const crypto::Bytes request =
      peer.protect(iana::ExchangeType::INFORMATIONAL, false, 2, {unknown_payload(201, true)});
  peer.send(request);
  auto answers = peer.take();
  REQUIRE(answers.size() == 1);
  const auto answer = peer.open(answers.front());
  CHECK(answer.header.response);
  CHECK(answer.header.exchange == iana::ExchangeType::INFORMATIONAL);
  CHECK(answer.header.message_id == 2);
  CHECK(only_notify(answer).type == iana::NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD);
  CHECK(only_notify(answer).data == crypto::Bytes{201});
  CHECK(r.engine().counters().errors_answered == 1);
  CHECK(r.engine().counters().decode_failed == 1);

  // The repeated request gets the same answer byte for byte; the SA and its child stay.
  peer.send(request);
  const auto repeat = peer.take();
  REQUIRE(repeat.size() == 1);
  CHECK(repeat.front() == answers.front());
  CHECK(r.engine().counters().errors_answered == 1);
  REQUIRE(r.engine().ike_sas().size() == 1);
  CHECK(r.engine().ike_sas().front().state == IkeSaState::established);
  CHECK(r.side.kernel.sas.size() == 2);

  // The Message ID was used up: the next request (a CREATE_CHILD_SA with one too) is answered in kind.
  peer.send(
      peer.protect(iana::ExchangeType::CREATE_CHILD_SA, false, 3,
                   {ike::Payload{ike::NoncePayload{crypto::Bytes(32, 7)}}, unknown_payload(202, true)}));
  answers = peer.take();
  REQUIRE(answers.size() == 1);
  const auto child_answer = peer.open(answers.front());
  CHECK(child_answer.header.exchange == iana::ExchangeType::CREATE_CHILD_SA);
  CHECK(child_answer.header.message_id == 3);
  CHECK(only_notify(child_answer).data == crypto::Bytes{202});
  // And an empty INFORMATIONAL, a liveness check, still gets its empty answer.
  peer.send(peer.protect(iana::ExchangeType::INFORMATIONAL, false, 4, {}));
  answers = peer.take();
  REQUIRE(answers.size() == 1);
  const auto empty = peer.open(answers.front());
  CHECK(empty.header.message_id == 4);
  CHECK(empty.payloads.empty());
}

TEST_CASE("A protected request whose inner payloads do not parse gets INVALID_SYNTAX", "[errors]") {
  Responder r;
  HandInitiator peer(r.side, config_a());
  peer.establish();
  // A Notify payload whose Length (6) leaves no room for its Protocol ID, SPI Size and type.
  peer.send(peer.protect_raw(iana::ExchangeType::INFORMATIONAL, false, 2, iana::PayloadType::NOTIFY,
                             crypto::Bytes{0, 0, 0, 6, 0, 0}));
  const auto answers = peer.take();
  REQUIRE(answers.size() == 1);
  const auto answer = peer.open(answers.front());
  CHECK(answer.header.message_id == 2);
  CHECK(answer.header.response);
  CHECK(only_notify(answer).type == iana::NotifyMessageType::INVALID_SYNTAX);
  CHECK(only_notify(answer).data.empty());
  CHECK(r.engine().counters().decode_failed == 1);
  CHECK(r.engine().counters().errors_answered == 1);
  CHECK(r.engine().counters().integrity_failed == 0);
  CHECK(r.engine().ike_sas().front().state == IkeSaState::established);
  CHECK(r.side.events.of<IkeSaFailed>().empty());
}

TEST_CASE("An IKE_AUTH request with an unsupported critical payload is refused and leaves no SA",
          "[errors]") {
  Responder r;
  HandInitiator peer(r.side, config_a());
  peer.init();
  REQUIRE(r.engine().ike_sas().size() == 1);
  peer.send(peer.protect(iana::ExchangeType::IKE_AUTH, false, 1, {unknown_payload(203, true)}));
  const auto answers = peer.take();
  REQUIRE(answers.size() == 1);
  const auto answer = peer.open(answers.front());
  CHECK(answer.header.exchange == iana::ExchangeType::IKE_AUTH);
  CHECK(only_notify(answer).type == iana::NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD);
  CHECK(r.engine().ike_sas().empty());
  REQUIRE(r.side.events.of<IkeSaFailed>().size() == 1);
  CHECK(r.side.events.of<IkeSaFailed>().front().failure.reason == FailureReason::protocol_error);
  CHECK(r.side.kernel.empty());
}

TEST_CASE("A half-open responder answers an IKE_AUTH that does not parse where the request came from",
          "[errors]") {
  Responder r;
  HandInitiator peer(r.side, config_a());
  peer.init();
  REQUIRE(r.engine().ike_sas().size() == 1);
  // The initiator floated to port 4500 (§2.23) for its first protected message, which does not parse.
  const ipsecd::Endpoint floated_peer{peer.endpoint.address, 4500};
  const ipsecd::Endpoint floated_local{r.side.endpoint.address, 4500};
  r.engine().handle_datagram(floated_local, floated_peer,
                             peer.protect_raw(iana::ExchangeType::IKE_AUTH, false, 1, iana::PayloadType::NOTIFY,
                                              crypto::Bytes{0, 0, 0, 6, 0, 0}));
  // §2.11: the response goes to the address and port the request came from, from where it arrived.
  REQUIRE(r.side.sink.queue.size() == 1);
  const Datagram& sent = r.side.sink.queue.front();
  CHECK(sent.remote == floated_peer);
  CHECK(sent.local == floated_local);
  const auto answer = peer.open(sent.bytes);
  CHECK(answer.header.exchange == iana::ExchangeType::IKE_AUTH);
  CHECK(answer.header.message_id == 1);
  CHECK(only_notify(answer).type == iana::NotifyMessageType::INVALID_SYNTAX);
  CHECK(r.engine().ike_sas().empty());
  REQUIRE(r.side.events.of<IkeSaFailed>().size() == 1);
  CHECK(r.side.events.of<IkeSaFailed>().front().failure.reason == FailureReason::protocol_error);
}

TEST_CASE("Responses with an unsupported critical payload or bad syntax are dropped and counted",
          "[errors]") {
  auto b = config_b();
  b.dpd_delay = 0s;
  Responder r(b);
  HandInitiator peer(r.side, config_a());
  peer.establish();
  // b deletes the IKE SA; its Delete (Message ID 0 of b's requests) gets malformed answers first.
  REQUIRE(r.engine().terminate(r.engine().ike_sas().front().unique_id));
  REQUIRE(peer.take().size() == 1);
  peer.send(peer.protect(iana::ExchangeType::INFORMATIONAL, true, 0, {unknown_payload(204, true)}));
  peer.send(peer.protect_raw(iana::ExchangeType::INFORMATIONAL, true, 0, iana::PayloadType::NOTIFY,
                             crypto::Bytes{0, 0, 0, 6, 0, 0}));
  CHECK(peer.take().empty());
  CHECK(r.engine().counters().decode_failed == 2);
  CHECK(r.engine().counters().errors_answered == 0);
  REQUIRE(r.engine().ike_sas().size() == 1);
  CHECK(r.engine().ike_sas().front().state == IkeSaState::deleting);
  CHECK(r.side.kernel.sas.size() == 2);
  // The proper answer still completes the Delete.
  peer.send(peer.protect(iana::ExchangeType::INFORMATIONAL, true, 0, {}));
  CHECK(r.engine().ike_sas().empty());
  CHECK(r.side.kernel.empty());
  CHECK(r.side.events.of<IkeSaDeleted>().size() == 1);
}

TEST_CASE("IKE_SA_INIT responses of version 3 or with an unsupported critical payload are dropped",
          "[errors]") {
  EnginePair pair(config_a(), config_b());
  pair.filter = [](const Datagram&, bool) { return 0; };
  pair.initiate();
  const auto request = decode(pair.a.sink.log.front().bytes);
  ike::Header h = request.header;
  h.responder_spi = 0x99;
  h.response = true;
  h.initiator = false;
  for (bool version_3 : {true, false}) {
    ike::Header answer = h;
    if (version_3) answer.major_version = 3;
    std::vector<ike::Payload> payloads{ike::Payload{ike::NoncePayload{crypto::Bytes(32, 1)}}};
    if (!version_3) payloads.push_back(unknown_payload(205, true));
    pair.a.engine->handle_datagram(kA, kB, ike::encode_message({answer, payloads}).value().bytes);
  }
  CHECK(pair.a.engine->counters().decode_failed == 2);
  CHECK(pair.a.sink.log.size() == 1);
  CHECK(pair.a.events.events.empty());
  CHECK(pair.a.engine->ike_sas().front().state == IkeSaState::init_sent);
}

// ---------------------------------------------------------------------------------------------------
// The old IKE SA after a rekey (§2.18)

namespace {

// a rekeys the IKE SA at time 0; `deliver_delete(n)` says whether the n-th send of a's Delete of the old
// SA (0 = the first) reaches b.
struct LostDelete {
  EnginePair pair;
  uint64_t old_spi_i = 0;
  uint64_t old_id_b = 0;
  int delete_sends = 0;

  explicit LostDelete(std::function<bool(int)> deliver_delete)
      : pair(no_dpd(config_a()), no_dpd(config_b())) {
    pair.initiate();
    old_spi_i = pair.a.engine->ike_sas().front().spi_i;
    old_id_b = pair.b.engine->ike_sas().front().unique_id;
    pair.filter = [this, deliver_delete](const Datagram& d, bool from_a) {
      const auto h = decode(d.bytes).header;
      if (!from_a || h.exchange != iana::ExchangeType::INFORMATIONAL || h.initiator_spi != old_spi_i)
        return 1;
      return deliver_delete(delete_sends++) ? 1 : 0;
    };
    REQUIRE(pair.a.engine->rekey_ike(pair.a.engine->ike_sas().front().unique_id));
    pair.pump();
  }

  static ConnectionConfig no_dpd(ConnectionConfig c) {
    c.dpd_delay = 0s;
    return c;
  }
};

}  // namespace

TEST_CASE("The old IKE SA whose Delete never comes is removed once the initiator would have given up",
          "[rekey][liveness]") {
  LostDelete test([](int) { return false; });
  EnginePair& pair = test.pair;
  REQUIRE(pair.b.engine->ike_sas().size() == 2);
  CHECK(pair.b.engine->ike_sas().front().state == IkeSaState::rekeyed);
  pair.run_timers_until(at_ms(41265));
  CHECK(pair.b.engine->ike_sas().size() == 2);
  CHECK(pair.b.events.of<IkeSaDeleted>().empty());
  pair.run_until(at_ms(41266));
  // Both sides drop the old SA at the same moment: a after its last retransmission, b on its timeout.
  CHECK(test.delete_sends == 6);
  for (Side* s : {&pair.a, &pair.b}) {
    const auto deleted = s->events.of<IkeSaDeleted>();
    REQUIRE(deleted.size() == 1);
    CHECK(!deleted.front().by_peer);
    CHECK(s->events.of<IkeSaFailed>().empty());
    CHECK(s->events.of<ChildSaDeleted>().empty());
  }
  CHECK(pair.b.events.of<IkeSaDeleted>().front().ike_sa == test.old_id_b);
  require_one_pair(pair);
  CHECK(pair.a.engine->ike_sas().front().spi_i != test.old_spi_i);
  CHECK(pair.b.engine->next_deadline() > TimePoint{} + 3000s);
}

TEST_CASE("A Delete of the old IKE SA that arrives on its last retransmission still finds the SA",
          "[rekey][liveness]") {
  LostDelete test([](int send) { return send == 5; });
  EnginePair& pair = test.pair;
  pair.run_timers_until(at_ms(22369));
  CHECK(pair.b.engine->ike_sas().size() == 2);
  pair.run_until(at_ms(22370));
  REQUIRE(pair.b.events.of<IkeSaDeleted>().size() == 1);
  CHECK(pair.b.events.of<IkeSaDeleted>().front().by_peer);
  REQUIRE(pair.a.events.of<IkeSaDeleted>().size() == 1);
  require_one_pair(pair);
  pair.run_timers_until(at_ms(60000));
  CHECK(pair.b.events.of<IkeSaDeleted>().size() == 1);
  require_one_pair(pair);
}

// ---------------------------------------------------------------------------------------------------
// Failed rekeys are retried (EngineSettings::rekey_retry)

TEST_CASE("A CHILD_SA rekey refused with NO_PROPOSAL_CHOSEN is retried 10 to 20 s later", "[rekey]") {
  auto a = config_a();
  auto b = config_b();
  a.children.front().rekey_time = 600s;
  a.children.front().rekey_jitter = 0s;
  b.children.front().rekey_time = 0s;
  a.dpd_delay = 0s;
  b.dpd_delay = 0s;
  EnginePair pair(a, b);
  pair.initiate();
  const uint32_t first_spi = pair.a.engine->ike_sas().front().child_sas.front().spi_in;
  // b's kernel refuses the new SA, so b answers NO_PROPOSAL_CHOSEN.
  pair.b.kernel.refuse_add_sa = true;
  pair.run_timers_until(TimePoint{} + 600s);
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.peer_notify ==
        iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  const auto children = pair.a.engine->ike_sas().front().child_sas;
  REQUIRE(children.size() == 1);
  CHECK(children.front().spi_in == first_spi);
  CHECK(children.front().state == ChildSaState::installed);
  const auto retry = pair.a.engine->next_deadline();
  REQUIRE(retry.has_value());
  CHECK(*retry >= TimePoint{} + 610s);
  CHECK(*retry < TimePoint{} + 620s);

  // Refused again, then accepted: every attempt comes 10 to 20 s after the previous one failed.
  pair.run_until(*retry);
  CHECK(pair.a.events.of<ChildSaFailed>().size() == 2);
  pair.b.kernel.refuse_add_sa = false;
  pair.run_timers_until(*retry + 20s);
  CHECK(pair.a.events.of<ChildSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().size() == 2);
  const auto attempts = requests_of(pair.a.sink.log, iana::ExchangeType::CREATE_CHILD_SA);
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[0].sent_at_ms == 600000);
  CHECK(attempts[1].sent_at_ms ==
        std::chrono::duration_cast<std::chrono::milliseconds>(*retry - TimePoint{}).count());
  CHECK(attempts[2].sent_at_ms - attempts[1].sent_at_ms >= 10000);
  CHECK(attempts[2].sent_at_ms - attempts[1].sent_at_ms < 20000);
  require_one_pair(pair);
  CHECK(pair.a.engine->ike_sas().front().child_sas.front().spi_in != first_spi);
}

TEST_CASE("An IKE SA rekey refused with NO_PROPOSAL_CHOSEN is retried 10 to 20 s later, again and again",
          "[rekey]") {
  auto b = config_b();
  b.rekey_time = 600s;
  b.rekey_jitter = 0s;
  b.dpd_delay = 0s;
  Responder r(b);
  HandInitiator peer(r.side, config_a());
  peer.establish();
  std::vector<long long> attempts;
  for (uint32_t id = 0; id < 4; ++id) {
    const auto next = r.engine().next_deadline();
    REQUIRE(next.has_value());
    r.clock.set(*next);
    r.engine().on_timer(*next);
    const auto sent = peer.take();
    REQUIRE(sent.size() == 1);
    const auto request = peer.open(sent.front());
    CHECK(request.header.exchange == iana::ExchangeType::CREATE_CHILD_SA);
    CHECK(request.header.message_id == id);
    CHECK(!request.header.response);
    const auto* sa = ike::find_first<ike::SaPayload>(request.payloads);
    REQUIRE(sa != nullptr);
    CHECK(sa->proposals.front().protocol == iana::SecurityProtocolId::IKE);
    attempts.push_back(r.clock.elapsed_ms());
    peer.send(peer.protect(iana::ExchangeType::CREATE_CHILD_SA, true, id,
                           {notify_payload(iana::NotifyMessageType::NO_PROPOSAL_CHOSEN)}));
  }
  CHECK(attempts.front() == 600000);
  for (size_t i = 1; i < attempts.size(); ++i) {
    CHECK(attempts[i] - attempts[i - 1] >= 10000);
    CHECK(attempts[i] - attempts[i - 1] < 20000);
  }
  REQUIRE(r.engine().ike_sas().size() == 1);
  CHECK(r.engine().ike_sas().front().state == IkeSaState::established);
  CHECK(r.side.events.of<IkeSaFailed>().empty());
  CHECK(r.side.kernel.sas.size() == 2);
}

// ---------------------------------------------------------------------------------------------------
// INVALID_KE_PAYLOAD in an IKE SA rekey (§1.3.2, §2.18)

TEST_CASE("An IKE SA rekey answered INVALID_KE_PAYLOAD is retried in the group the responder asked for",
          "[rekey]") {
  // a prefers x25519, b ECP-256: the IKE SA comes up with ECP-256 (b's choice as responder), and when b
  // rekeys it with that group, a as responder asks for x25519.
  EnginePair pair(config_a("aes128gcm16-prfsha256-x25519-ecp256"),
                  config_b("aes128gcm16-prfsha256-ecp256-x25519"));
  pair.initiate();
  REQUIRE(pair.a.events.of<IkeSaEstablished>().size() == 1);
  CHECK(pair.a.events.of<IkeSaEstablished>().front().transforms.key_exchange ==
        iana::KeyExchangeMethod::ECP_256);
  const auto old_sa = pair.b.engine->ike_sas().front();
  REQUIRE(pair.b.engine->rekey_ike(old_sa.unique_id));
  pair.pump();
  const auto requests = requests_of(pair.b.sink.log, iana::ExchangeType::CREATE_CHILD_SA);
  REQUIRE(requests.size() == 2);
  // Same proposals and nonce size; the KE data shrank from 64 (ECP-256) to 32 bytes (x25519).
  CHECK(requests[0].bytes.size() == requests[1].bytes.size() + 32);
  CHECK(decode(requests[1].bytes).header.message_id == decode(requests[0].bytes).header.message_id + 1);
  require_one_pair(pair);
  CHECK(pair.b.engine->ike_sas().front().spi_i != old_sa.spi_i);
  CHECK(pair.b.engine->ike_sas().front().role == IkeRole::initiator);
  CHECK(pair.a.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.b.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.b.events.of<IkeSaFailed>().empty());
}
