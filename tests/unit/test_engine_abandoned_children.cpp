// CHILD_SAs asked for on an IKE SA that ends first (our Delete, the peer's, retransmissions run out):
// each is reported failed once, so that ipsecctl up --wait hears at once instead of at its timeout.
#include "rekey_harness.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

// The index in `events` of the first event of type T, or events.size().
template <typename T>
size_t first_index_of(const RecordingEvents& events) {
  for (size_t i = 0; i < events.events.size(); ++i) {
    if (std::holds_alternative<T>(events.events[i])) return i;
  }
  return events.events.size();
}

// The one ChildSaFailed of `side`, for net2: no other child failed and none failed twice.
ChildSaFailed only_failure(const RekeySide& side) {
  const auto failed = side.events.of<ChildSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().child == "net2");
  CHECK(failed.front().connection == "conn");
  return failed.front();
}

// a's IKE SA is established with "net", a rekey of "net" is in flight (sent, not yet delivered) and
// "net2" waits behind it for the window (§2.3).
void queue_second_child_behind_rekey(RekeyPair& pair) {
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  REQUIRE(pair.a.sink.queue.size() == 1);
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  // Still only the rekey is out: net2 is queued.
  REQUIRE(pair.a.sink.queue.size() == 1);
}

// net2 asked for on a's established IKE SA: its CREATE_CHILD_SA in flight, or queued behind a rekey.
void ask_for_second_child(RekeyPair& pair, bool in_flight) {
  if (!in_flight) {
    queue_second_child_behind_rekey(pair);
    return;
  }
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
}

}  // namespace

TEST_CASE("Terminate with a child queued behind the exchange in flight fails that child once",
          "[engine][abandoned]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  queue_second_child_behind_rekey(pair);
  const uint64_t ike_sa = pair.a.only_sa().unique_id;
  REQUIRE(pair.a.engine->terminate(ike_sa));
  // Reported at once: the Delete waits for the rekey's answer, but net2 will never be made.
  const auto failed = only_failure(pair.a);
  CHECK(failed.ike_sa == ike_sa);
  CHECK(failed.failure.reason == FailureReason::ike_sa_deleted);
  CHECK(failed.failure.detail == "the IKE SA is being deleted");
  CHECK(pair.a.events.of<IkeSaDeleted>().empty());

  pair.pump();
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(120));
  only_failure(pair.a);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  // The IKE SA still went properly: the peer got our Delete after the rekey was answered.
  const auto exchanges = [&] {
    std::vector<iana::ExchangeType> out;
    for (const auto& d : pair.a.sink.log) out.push_back(exchange_of(d));
    return out;
  }();
  CHECK(std::count(exchanges.begin(), exchanges.end(), iana::ExchangeType::CREATE_CHILD_SA) == 1);
  REQUIRE(pair.a.events.of<IkeSaDeleted>().size() == 1);
  const auto peer_deleted = pair.b.events.of<IkeSaDeleted>();
  REQUIRE(peer_deleted.size() == 1);
  CHECK(peer_deleted.front().by_peer);
  CHECK(pair.b.events.of<IkeSaFailed>().empty());
  CHECK(pair.a.sas().empty());
  CHECK(pair.b.sas().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  for (const auto& installed : pair.a.events.of<ChildSaInstalled>()) CHECK(installed.child == "net");
}

TEST_CASE("Terminate with the further child itself in flight installs it and fails nothing",
          "[engine][abandoned]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  REQUIRE(pair.a.engine->terminate(pair.a.only_sa().unique_id));
  pair.pump();
  // The exchange in flight completes (§2.3) and the Delete then takes the child with the IKE SA.
  CHECK(pair.a.events.of<ChildSaFailed>().empty());
  const auto installed = pair.a.events.of<ChildSaInstalled>();
  REQUIRE(installed.size() == 2);
  CHECK(installed.back().child == "net2");
  CHECK(pair.a.sas().empty());
  CHECK(pair.b.sas().empty());
  CHECK(pair.a.kernel.empty());
}

TEST_CASE("Retransmissions running out fail a queued or in-flight child with the IKE SA's reason",
          "[engine][abandoned]") {
  for (bool in_flight : {false, true}) {
    INFO((in_flight ? "net2 in flight" : "net2 queued behind a rekey"));
    RekeyPair pair(two_child_initiator(), two_child_responder());
    ask_for_second_child(pair, in_flight);
    pair.filter = [](const Datagram&, bool from_a) { return from_a ? 0 : 1; };
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(60));
    const auto ike_failed = pair.a.events.of<IkeSaFailed>();
    REQUIRE(ike_failed.size() == 1);
    CHECK(ike_failed.front().failure.reason == FailureReason::peer_unreachable);
    const auto failed = only_failure(pair.a);
    CHECK(failed.failure.reason == FailureReason::peer_unreachable);
    CHECK(failed.failure.detail == ike_failed.front().failure.detail);
    // Before the IKE SA's own report, as the SA's other events are.
    CHECK(first_index_of<ChildSaFailed>(pair.a.events) < first_index_of<IkeSaFailed>(pair.a.events));
    CHECK(pair.a.sas().empty());
    CHECK(pair.a.kernel.empty());
  }
}

TEST_CASE("The peer's Delete of the IKE SA fails the child queued on it or in flight",
          "[engine][abandoned]") {
  for (bool in_flight : {false, true}) {
    INFO((in_flight ? "net2 in flight" : "net2 queued behind a rekey"));
    RekeyPair pair(two_child_initiator(), two_child_responder());
    ask_for_second_child(pair, in_flight);
    REQUIRE(pair.b.engine->terminate(pair.b.only_sa().unique_id));
    pair.deliver(pair.b);  // b's Delete reaches a before a's request reaches b
    const auto failed = only_failure(pair.a);
    CHECK(failed.failure.reason == FailureReason::ike_sa_deleted);
    CHECK(failed.failure.detail == "the peer deleted the IKE SA");
    REQUIRE(pair.a.events.of<IkeSaDeleted>().size() == 1);
    CHECK(pair.a.events.of<IkeSaDeleted>().front().by_peer);
    pair.pump();
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(120));
    only_failure(pair.a);
    CHECK(pair.a.sas().empty());
    CHECK(pair.b.sas().empty());
    CHECK(pair.a.kernel.empty());
    CHECK(pair.b.kernel.empty());
  }
}

TEST_CASE("A retry after TEMPORARY_FAILURE fails when our Delete of the IKE SA starts",
          "[engine][abandoned]") {
  // b's IKE SA rekey is out (and held back), so b refuses a's CREATE_CHILD_SA for net2 (§2.25) and a
  // queues a retry for later.
  for (bool terminate_first : {false, true}) {
    INFO((terminate_first ? "terminate while net2 is in flight" : "terminate while the retry waits"));
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    const uint64_t ike_sa = pair.a.only_sa().unique_id;
    REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
    REQUIRE(pair.a.engine->initiate("conn", "net2"));
    // Our Delete then waits for the exchange in flight, and the retry lands behind it.
    if (terminate_first) REQUIRE(pair.a.engine->terminate(ike_sa));
    pair.deliver(pair.a);  // net2's request: TEMPORARY_FAILURE
    pair.deliver(pair.b, 1);  // the answer (behind b's held rekey request): a retry is queued
    if (terminate_first) {
      // The answer freed the window: the Delete went, and the retry with it, reported now.
      CHECK(exchange_of(pair.a.sink.queue.back()) == iana::ExchangeType::INFORMATIONAL);
    } else {
      CHECK(pair.a.events.of<ChildSaFailed>().empty());
      REQUIRE(pair.a.engine->terminate(ike_sa));
    }
    const auto failed = only_failure(pair.a);
    CHECK(failed.failure.reason == FailureReason::ike_sa_deleted);
    CHECK(failed.failure.detail == "the IKE SA is being deleted");
    pair.pump();
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(120));
    only_failure(pair.a);
    CHECK(pair.a.events.of<ChildSaInstalled>().size() == 1);
    CHECK(pair.a.sas().empty());
    CHECK(pair.b.sas().empty());
    CHECK(pair.a.kernel.empty());
    CHECK(pair.b.kernel.empty());
  }
}

TEST_CASE("Terminate before IKE_AUTH is answered fails its first child, an IKE SA failure does not twice",
          "[engine][abandoned]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  REQUIRE(pair.a.engine->initiate("conn", "net"));
  pair.deliver(pair.a);  // IKE_SA_INIT
  pair.deliver(pair.b);  // its answer: IKE_AUTH goes out
  REQUIRE(pair.a.only_sa().state == IkeSaState::auth_sent);
  REQUIRE(pair.a.engine->terminate(pair.a.only_sa().unique_id));
  const auto failed = pair.a.events.of<ChildSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().child == "net");
  CHECK(failed.front().failure.reason == FailureReason::ike_sa_deleted);
  CHECK(pair.a.events.of<IkeSaDeleted>().size() == 1);
  CHECK(pair.a.kernel.empty());

  // IKE_AUTH never answered: IkeSaFailed alone reports the first child, which rode in it (§1.2).
  RekeyPair lost(two_child_initiator(), two_child_responder());
  lost.filter = [](const Datagram& d, bool from_a) {
    return from_a && exchange_of(d) == iana::ExchangeType::IKE_AUTH ? 0 : 1;
  };
  REQUIRE(lost.a.engine->initiate("conn", "net"));
  lost.pump();
  lost.run_timers_until(lost.clock.now() + std::chrono::seconds(60));
  CHECK(lost.a.events.of<IkeSaFailed>().size() == 1);
  CHECK(lost.a.events.of<ChildSaFailed>().empty());
  CHECK(lost.a.kernel.empty());
}
