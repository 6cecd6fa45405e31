// CREATE_CHILD_SA between two engines: further children with and without PFS, CHILD_SA and IKE SA rekeys,
// their collisions in every delivery order and nonce order, lost and repeated messages, and the final SAs.
#include "rekey_harness.h"

#include "daemon/ike/message_codec.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

bool is_response(const Datagram& d) { return ike::decode_message(d.bytes).value().message.header.response; }

// Which nonces win: the exchange started by `a` (with b's answer) holds the lowest of the four nonces,
// or the one started by `b`. Draw order on each side: its own request, then its answer to the peer.
enum class Lowest { a_exchange, b_exchange };

void script_nonces(RekeyPair& pair, Lowest lowest) {
  if (lowest == Lowest::a_exchange) {
    pair.a.rng.nonces = {nonce_of(0x10), nonce_of(0x40)};
    pair.b.rng.nonces = {nonce_of(0x30), nonce_of(0x50)};
  } else {
    // b's own request nonce is the highest, yet its exchange holds the lowest through a's answer.
    pair.a.rng.nonces = {nonce_of(0x30), nonce_of(0x10)};
    pair.b.rng.nonces = {nonce_of(0x50), nonce_of(0x40)};
  }
}

size_t count_rekeyed(const RekeySide& side) { return side.events.of<ChildSaRekeyed>().size(); }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Further CHILD_SAs (§1.3.1)

TEST_CASE("A second child is added to the established IKE SA with CREATE_CHILD_SA", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  const auto ike_before = pair.a.only_sa();
  auto id = pair.a.engine->initiate("conn", "net2");
  REQUIRE(id);
  CHECK(*id == ike_before.unique_id);
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 2);
  CHECK(pair.a.only_sa().spi_i == ike_before.spi_i);
  const auto installed = pair.b.events.of<ChildSaInstalled>();
  REQUIRE(installed.size() == 2);
  CHECK(installed.back().child == "net2");
  CHECK(format_selectors(installed.back().local_ts) == "10.4.0.0/16");
  CHECK(installed.back().transforms.key_exchange == iana::KeyExchangeMethod::NONE);
  CHECK(exchange_of(pair.a.sink.log.back()) == iana::ExchangeType::CREATE_CHILD_SA);
}

TEST_CASE("The responder can add a child too, on the IKE SA it did not start", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.b.engine->initiate("conn", "net2"));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 2);
}

TEST_CASE("A child with PFS runs a key exchange in the group of its ESP proposal", "[rekey]") {
  RekeyPair pair(two_child_initiator("aes128gcm16", "aes128gcm16-x25519"),
                 two_child_responder("aes128gcm16", "aes128gcm16-x25519"));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_settled_children(pair, 2);
  const auto a_child = pair.a.events.of<ChildSaInstalled>().back();
  CHECK(a_child.transforms.key_exchange == iana::KeyExchangeMethod::CURVE25519);
  // Same nonces, SK_d and selectors without PFS would give other keys: the shared secret went in.
  RekeyPair plain(two_child_initiator(), two_child_responder());
  plain.establish();
  REQUIRE(plain.a.engine->initiate("conn", "net2"));
  plain.pump();
  CHECK(pair.a.kernel.find_sa(a_child.spi_in)->encryption_key !=
        plain.a.kernel.find_sa(plain.a.events.of<ChildSaInstalled>().back().spi_in)->encryption_key);
}

TEST_CASE("INVALID_KE_PAYLOAD for a PFS child makes the initiator retry in the requested group", "[rekey]") {
  RekeyPair pair(two_child_initiator("aes128gcm16", "aes128gcm16-x25519-ecp256"),
                 two_child_responder("aes128gcm16", "aes128gcm16-ecp256"));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_settled_children(pair, 2);
  CHECK(pair.a.events.of<ChildSaInstalled>().back().transforms.key_exchange ==
        iana::KeyExchangeMethod::ECP_256);
  CHECK(pair.a.events.of<ChildSaFailed>().empty());
  // Two CREATE_CHILD_SA requests: the refused guess and the retry.
  size_t requests = 0;
  for (const auto& d : pair.a.sink.log) {
    if (exchange_of(d) == iana::ExchangeType::CREATE_CHILD_SA && !is_response(d)) ++requests;
  }
  CHECK(requests == 2);
}

TEST_CASE("NO_PROPOSAL_CHOSEN for a further child fails only that child", "[rekey]") {
  RekeyPair pair(two_child_initiator("aes128gcm16", "aes256gcm16"), two_child_responder("aes128gcm16", "aes128gcm16"));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  const auto failed = pair.a.events.of<ChildSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().child == "net2");
  CHECK(failed.front().failure.peer_notify == iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  CHECK(pair.b.events.of<ChildSaFailed>().size() == 1);
}

TEST_CASE("TS_UNACCEPTABLE for a further child fails only that child", "[rekey]") {
  auto b = two_child_responder();
  b.children.back().local_ts = selectors("10.9.0.0/16");
  RekeyPair pair(two_child_initiator(), b);
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  const auto failed = pair.a.events.of<ChildSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().failure.peer_notify == iana::NotifyMessageType::TS_UNACCEPTABLE);
}

TEST_CASE("A further child in transport mode gets USE_TRANSPORT_MODE and no forward policy", "[rekey]") {
  auto a = two_child_initiator();
  auto b = two_child_responder();
  a.children.back().mode = IpsecMode::transport;
  b.children.back().mode = IpsecMode::transport;
  a.children.back().local_ts = selectors("192.0.2.1/32");
  a.children.back().remote_ts = selectors("192.0.2.2/32");
  b.children.back().local_ts = selectors("192.0.2.2/32");
  b.children.back().remote_ts = selectors("192.0.2.1/32");
  RekeyPair pair(a, b);
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  CHECK(pair.a.events.of<ChildSaInstalled>().back().mode == IpsecMode::transport);
  CHECK(pair.b.events.of<ChildSaInstalled>().back().mode == IpsecMode::transport);
  CHECK(pair.a.kernel.count_policies(PolicyDirection::fwd) == 1);
  CHECK(pair.a.kernel.policies.size() == 5);
}

// ---------------------------------------------------------------------------------------------------
// CHILD_SA rekey (§1.3.3)

TEST_CASE("CHILD_SA rekey by the initiator replaces the SAs and keeps the policies", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  const uint32_t old_a = spi_in_of(pair.a);
  const uint32_t old_b = spi_in_of(pair.b);
  const auto policies_before = pair.a.kernel.policies;
  REQUIRE(pair.a.engine->rekey_child(old_a));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  CHECK(spi_in_of(pair.a) != old_a);
  CHECK(spi_in_of(pair.b) != old_b);
  CHECK(pair.a.kernel.find_sa(old_a) == nullptr);
  CHECK(pair.b.kernel.find_sa(old_b) == nullptr);
  CHECK(pair.a.kernel.policies == policies_before);
  CHECK(pair.a.children().front().reqid == pair.a.events.of<ChildSaInstalled>().front().reqid);
  REQUIRE(count_rekeyed(pair.a) == 1);
  REQUIRE(count_rekeyed(pair.b) == 1);
  CHECK(pair.a.events.of<ChildSaRekeyed>().front().old_spi_in == old_a);
  CHECK(pair.a.events.of<ChildSaRekeyed>().front().new_spi_in == spi_in_of(pair.a));
  // The initiator of the rekey sent the Delete of the old pair.
  CHECK(exchange_of(pair.a.sink.log.back()) == iana::ExchangeType::INFORMATIONAL);
}

TEST_CASE("CHILD_SA rekey by the responder of the IKE SA", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b)));
  pair.pump();
  require_settled_children(pair, 1);
  CHECK(count_rekeyed(pair.a) == 1);
  CHECK(count_rekeyed(pair.b) == 1);
}

TEST_CASE("CHILD_SA rekey with PFS", "[rekey]") {
  RekeyPair pair(two_child_initiator("aes128gcm16-x25519"), two_child_responder("aes128gcm16-x25519"));
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.pump();
  require_settled_children(pair, 1);
  CHECK(pair.a.events.of<ChildSaInstalled>().back().transforms.key_exchange ==
        iana::KeyExchangeMethod::CURVE25519);
}

TEST_CASE("Two rekeys in a row leave one pair and the original policies", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.pump();
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b)));
  pair.pump();
  require_settled_children(pair, 1);
  CHECK(count_rekeyed(pair.a) == 2);
}

TEST_CASE("The child's rekey_time starts a rekey once, with jitter, and again an hour later", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  const auto start = pair.clock.now();
  pair.run_timers_until(start + std::chrono::seconds(3239));
  CHECK(count_rekeyed(pair.a) == 0);
  pair.run_timers_until(start + std::chrono::seconds(3600));
  // Both sides' timers fired; the earlier one rekeyed and the other side's child was already replaced.
  CHECK(count_rekeyed(pair.a) == 1);
  CHECK(count_rekeyed(pair.b) == 1);
  require_settled_children(pair, 1);
  pair.run_timers_until(start + std::chrono::seconds(7200));
  CHECK(count_rekeyed(pair.a) == 2);
  require_settled_children(pair, 1);
}

TEST_CASE("A soft kernel EXPIRE rekeys the child, a hard one deletes it", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  pair.a.engine->on_kernel_expire(spi_in_of(pair.a), false);
  pair.pump();
  require_settled_children(pair, 1);
  CHECK(count_rekeyed(pair.b) == 1);
  pair.b.engine->on_kernel_expire(spi_in_of(pair.b), true);
  pair.pump();
  CHECK(pair.a.children().empty());
  CHECK(pair.b.children().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  require_one_ike_sa(pair);
  // An EXPIRE for an SPI we do not know changes nothing.
  pair.a.engine->on_kernel_expire(0x12345678, true);
  CHECK(pair.a.sink.queue.empty());
}

TEST_CASE("A lost CHILD_SA rekey request is retransmitted", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.drop(pair.a);
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));
  require_settled_children(pair, 1);
  CHECK(pair.a.engine->counters().retransmitted_requests == 1);
}

TEST_CASE("A lost CHILD_SA rekey response is answered again from the cache", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.deliver(pair.a);
  pair.drop(pair.b);
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));
  require_settled_children(pair, 1);
  CHECK(pair.b.engine->counters().retransmitted_responses == 1);
  CHECK(pair.b.events.of<ChildSaInstalled>().size() == 2);
}

TEST_CASE("A duplicated CHILD_SA rekey request makes one new child", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  pair.filter = [](const Datagram& d, bool) {
    return exchange_of(d) == iana::ExchangeType::CREATE_CHILD_SA ? 2 : 1;
  };
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.pump();
  require_settled_children(pair, 1);
  CHECK(pair.b.events.of<ChildSaInstalled>().size() == 2);
}

TEST_CASE("A lost Delete of the old pair is retransmitted and the old SAs still go", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.deliver(pair.a);
  pair.deliver(pair.b);
  REQUIRE(exchange_of(pair.a.sink.queue.front()) == iana::ExchangeType::INFORMATIONAL);
  pair.drop(pair.a);
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));
  require_settled_children(pair, 1);
}

TEST_CASE("Rekey of an unknown child is refused locally", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  CHECK(!pair.a.engine->rekey_child(0x1));
  CHECK(!pair.a.engine->rekey_ike(999));
}

// ---------------------------------------------------------------------------------------------------
// IKE SA rekey (§1.3.2, §2.18)

TEST_CASE("IKE SA rekey makes a new IKE SA with fresh SPIs that takes the children", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  const auto old_sa = pair.a.only_sa();
  const auto kernel_before = pair.a.kernel.sas;
  REQUIRE(pair.a.engine->rekey_ike(old_sa.unique_id));
  pair.pump();
  require_one_ike_sa(pair);
  const auto fresh = pair.a.only_sa();
  CHECK(fresh.unique_id != old_sa.unique_id);
  CHECK(fresh.spi_i != old_sa.spi_i);
  CHECK(fresh.spi_r != old_sa.spi_r);
  CHECK(fresh.role == IkeRole::initiator);
  CHECK(pair.b.only_sa().role == IkeRole::responder);
  require_settled_children(pair, 2);
  CHECK(pair.a.kernel.sas == kernel_before);  // the children moved; their SAs were not touched
  REQUIRE(pair.a.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<IkeSaRekeyed>().front().old_ike_sa == old_sa.unique_id);
  // The event names the algorithms the rekey chose (§1.3.2), which the daemon's status shows.
  CHECK(pair.a.events.of<IkeSaRekeyed>().front().transforms.protocol == iana::SecurityProtocolId::IKE);
  CHECK(pair.a.events.of<IkeSaRekeyed>().front().transforms.key_exchange != iana::KeyExchangeMethod::NONE);
  CHECK(pair.b.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaDeleted>().empty());
  CHECK(pair.b.events.of<ChildSaDeleted>().empty());

  // The new IKE SA carries exchanges: a child rekey, then a delete of everything.
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b)));
  pair.pump();
  require_settled_children(pair, 2);
  REQUIRE(pair.a.engine->terminate(fresh.unique_id));
  pair.pump();
  CHECK(pair.a.sas().empty());
  CHECK(pair.b.sas().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}

TEST_CASE("IKE SA rekey by the responder makes it the initiator of the new IKE SA", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
  pair.pump();
  require_one_ike_sa(pair);
  CHECK(pair.b.only_sa().role == IkeRole::initiator);
  CHECK(pair.a.only_sa().role == IkeRole::responder);
  require_settled_children(pair, 1);
}

TEST_CASE("The connection's rekey_time rekeys the IKE SA with jitter", "[rekey]") {
  auto a = two_child_initiator();
  auto b = two_child_responder();
  for (auto* c : {&a, &b}) {
    c->rekey_time = std::chrono::seconds(600);
    c->rekey_jitter = std::chrono::seconds(60);
  }
  RekeyPair pair(a, b);
  pair.establish();
  const auto first = pair.a.only_sa();
  const auto start = pair.clock.now();
  pair.run_timers_until(start + std::chrono::seconds(539));
  CHECK(pair.a.events.of<IkeSaRekeyed>().empty());
  pair.run_timers_until(start + std::chrono::seconds(600));
  CHECK(pair.a.events.of<IkeSaRekeyed>().size() == 1);
  require_one_ike_sa(pair);
  CHECK(pair.a.only_sa().spi_i != first.spi_i);
  require_settled_children(pair, 1);
}

TEST_CASE("A lost IKE SA rekey response is answered again from the cache", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  pair.deliver(pair.a);
  pair.drop(pair.b);
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  CHECK(pair.b.engine->counters().retransmitted_responses == 1);
}

// ---------------------------------------------------------------------------------------------------
// Collisions (§2.8.1, §2.25)

namespace {

// Both sides start a rekey of the one child before either request is delivered.
void start_both_child_rekeys(RekeyPair& pair) {
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b)));
  REQUIRE(pair.a.sink.queue.size() == 1);
  REQUIRE(pair.b.sink.queue.size() == 1);
}

// After a child rekey collision: one pair, from the exchange that did not hold the lowest nonce.
void require_child_collision_outcome(RekeyPair& pair, Lowest lowest, uint32_t first_new_a,
                                     uint32_t first_new_b) {
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  // a's own rekey made a's child with inbound SPI first_new_a; b's made b's first_new_b.
  if (lowest == Lowest::a_exchange) {
    CHECK(spi_in_of(pair.b) == first_new_b);
  } else {
    CHECK(spi_in_of(pair.a) == first_new_a);
  }
}

}  // namespace

TEST_CASE("Simultaneous CHILD_SA rekeys crossing in flight, a's exchange lowest", "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  script_nonces(pair, Lowest::a_exchange);
  start_both_child_rekeys(pair);
  const uint32_t new_a = pair.a.kernel.larval.back();
  const uint32_t new_b = pair.b.kernel.larval.back();
  pair.deliver(pair.a);  // a's request to b, answered
  pair.deliver(pair.b);  // b's request to a, answered
  pair.pump();
  require_child_collision_outcome(pair, Lowest::a_exchange, new_a, new_b);
  CHECK(count_rekeyed(pair.a) == 1);
  CHECK(count_rekeyed(pair.b) == 1);
}

TEST_CASE("Simultaneous CHILD_SA rekeys crossing in flight, b's exchange lowest", "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  script_nonces(pair, Lowest::b_exchange);
  start_both_child_rekeys(pair);
  const uint32_t new_a = pair.a.kernel.larval.back();
  const uint32_t new_b = pair.b.kernel.larval.back();
  pair.deliver(pair.a);
  pair.deliver(pair.b);
  pair.pump();
  require_child_collision_outcome(pair, Lowest::b_exchange, new_a, new_b);
}

TEST_CASE("Simultaneous CHILD_SA rekeys, b's request reaches a first, a's exchange lowest",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  script_nonces(pair, Lowest::a_exchange);
  start_both_child_rekeys(pair);
  const uint32_t new_a = pair.a.kernel.larval.back();
  const uint32_t new_b = pair.b.kernel.larval.back();
  pair.deliver(pair.b);
  pair.deliver(pair.a);
  pair.pump();
  require_child_collision_outcome(pair, Lowest::a_exchange, new_a, new_b);
}

TEST_CASE("Simultaneous CHILD_SA rekeys, b's request reaches a first, b's exchange lowest",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  script_nonces(pair, Lowest::b_exchange);
  start_both_child_rekeys(pair);
  const uint32_t new_a = pair.a.kernel.larval.back();
  const uint32_t new_b = pair.b.kernel.larval.back();
  pair.deliver(pair.b);
  pair.deliver(pair.a);
  pair.pump();
  require_child_collision_outcome(pair, Lowest::b_exchange, new_a, new_b);
}

TEST_CASE("CHILD_SA rekey collision where a's answer overtakes b's request (reordered)",
          "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    start_both_child_rekeys(pair);
    pair.deliver(pair.a);     // a's request reaches b: b answers while its own request is out
    pair.deliver(pair.b, 1);  // b's answer overtakes b's request: a completes and deletes the old pair
    pair.pump();              // b's request then finds the old child being deleted: TEMPORARY_FAILURE
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
    CHECK(count_rekeyed(pair.a) == 1);
    CHECK(count_rekeyed(pair.b) == 1);
  }
}

TEST_CASE("CHILD_SA rekey collision where b's request is lost and retransmitted later",
          "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    start_both_child_rekeys(pair);
    pair.drop(pair.b);  // b's request is lost
    pair.pump();        // a's rekey completes, the old pair is deleted
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(30));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
  }
}

TEST_CASE("CHILD_SA rekey collision with both answers lost and retransmitted", "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    start_both_child_rekeys(pair);
    pair.deliver(pair.a);
    pair.deliver(pair.b);
    pair.drop(pair.a);  // a's answer to b
    pair.drop(pair.b);  // b's answer to a
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(30));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
  }
}

TEST_CASE("CHILD_SA rekey against a Delete of the same child, crossing", "[rekey][collision]") {
  for (bool delete_first : {false, true}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
    pair.b.engine->on_kernel_expire(spi_in_of(pair.b), true);  // b deletes the child
    REQUIRE(pair.b.sink.queue.size() == 1);
    if (delete_first) {
      pair.deliver(pair.b);
      pair.deliver(pair.a);
    } else {
      pair.deliver(pair.a);
      pair.deliver(pair.b);
    }
    pair.pump();
    require_one_ike_sa(pair);
    // The child is gone on both sides, and nothing of it is left in either kernel.
    CHECK(pair.a.children().empty());
    CHECK(pair.b.children().empty());
    CHECK(pair.a.kernel.empty());
    CHECK(pair.b.kernel.empty());
  }
}

TEST_CASE("CHILD_SA rekey request meeting the peer's outstanding Delete is refused and nothing survives",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.b.engine->on_kernel_expire(spi_in_of(pair.b), true);
  pair.deliver(pair.b);  // b's Delete reaches a, which answers and drops the child
  pair.deliver(pair.a);  // a's rekey request reaches b, whose Delete is still out: TEMPORARY_FAILURE
  pair.pump();
  CHECK(pair.a.children().empty());
  CHECK(pair.b.children().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  const auto failed = pair.a.events.of<ChildSaFailed>();
  CHECK(failed.empty());
}

TEST_CASE("A stale rekey request after the child is gone is answered CHILD_SA_NOT_FOUND",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.drop(pair.a);
  pair.b.engine->on_kernel_expire(spi_in_of(pair.b), true);
  pair.deliver(pair.b);  // Delete reaches a
  pair.deliver(pair.a);  // a's answer reaches b: the child is gone on both sides
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));  // a retransmits its rekey
  CHECK(pair.a.children().empty());
  CHECK(pair.b.children().empty());
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
  CHECK(pair.a.engine->counters().retransmitted_requests == 1);
}

TEST_CASE("Simultaneous IKE SA rekeys crossing in flight, either exchange lowest", "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    for (bool a_first : {true, false}) {
      RekeyPair pair(two_child_initiator(), two_child_responder());
      pair.establish();
      REQUIRE(pair.a.engine->initiate("conn", "net2"));
      pair.pump();
      const auto kernel_a = pair.a.kernel.sas;
      script_nonces(pair, lowest);
      REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
      REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
      if (a_first) {
        pair.deliver(pair.a);
        pair.deliver(pair.b);
      } else {
        pair.deliver(pair.b);
        pair.deliver(pair.a);
      }
      pair.pump();
      require_one_ike_sa(pair);
      require_settled_children(pair, 2);
      CHECK(pair.a.kernel.sas == kernel_a);
      // The winner's initiator is the initiator of the surviving IKE SA.
      CHECK(pair.a.only_sa().role ==
            (lowest == Lowest::a_exchange ? IkeRole::responder : IkeRole::initiator));
      CHECK(pair.a.events.of<ChildSaDeleted>().empty());
      CHECK(pair.b.events.of<ChildSaDeleted>().empty());
    }
  }
}

TEST_CASE("IKE SA rekey collision where the answer overtakes the peer's request", "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
    REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
    pair.deliver(pair.a);     // b answers a's request while its own is out
    pair.deliver(pair.b, 1);  // the answer overtakes b's request: a finishes and deletes the old IKE SA
    pair.pump();
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
  }
}

TEST_CASE("IKE SA rekey collision with lost answers recovered by retransmission", "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
    REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
    pair.deliver(pair.a);
    pair.deliver(pair.b);
    pair.drop(pair.a);
    pair.drop(pair.b);
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(30));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
  }
}

TEST_CASE("IKE SA rekey against CHILD_SA rekey: TEMPORARY_FAILURE both ways, both retried later",
          "[rekey][collision]") {
  for (bool ike_by_a : {true, false}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    RekeySide& ike_side = ike_by_a ? pair.a : pair.b;
    RekeySide& child_side = ike_by_a ? pair.b : pair.a;
    REQUIRE(ike_side.engine->rekey_ike(ike_side.only_sa().unique_id));
    REQUIRE(child_side.engine->rekey_child(spi_in_of(child_side)));
    pair.deliver(pair.a);
    pair.deliver(pair.b);
    pair.pump();
    // Neither went through yet.
    CHECK(count_rekeyed(pair.a) == 0);
    CHECK(pair.a.events.of<IkeSaRekeyed>().empty());
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(10));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
    CHECK(pair.a.events.of<IkeSaRekeyed>().size() == 1);
    CHECK(count_rekeyed(pair.a) == 1);
    CHECK(count_rekeyed(pair.b) == 1);
  }
}

TEST_CASE("IKE SA rekey against a Delete of the IKE SA: nothing is left on either side",
          "[rekey][collision]") {
  for (bool delete_first : {false, true}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
    REQUIRE(pair.b.engine->terminate(pair.b.only_sa().unique_id));
    if (delete_first) {
      pair.deliver(pair.b);
      pair.deliver(pair.a);
    } else {
      pair.deliver(pair.a);
      pair.deliver(pair.b);
    }
    pair.pump();
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(120));
    CHECK(pair.a.sas().empty());
    CHECK(pair.b.sas().empty());
    CHECK(pair.a.kernel.empty());
    CHECK(pair.b.kernel.empty());
  }
}

TEST_CASE("Terminate while our CHILD_SA or IKE SA rekey is in flight tells the peer once it is answered",
          "[rekey][collision]") {
  for (bool ike_rekey : {false, true}) {
    INFO((ike_rekey ? "IKE SA rekey" : "CHILD_SA rekey") << " in flight");
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    if (ike_rekey) {
      REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
    } else {
      REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
    }
    REQUIRE(pair.a.engine->terminate(pair.a.only_sa().unique_id));
    // Window size 1 (§2.3): the Delete waits for the answer; the SA is not dropped behind the peer's back.
    CHECK(pair.a.events.of<IkeSaDeleted>().empty());
    pair.pump();
    CHECK(pair.a.sas().empty());
    CHECK(pair.b.sas().empty());
    CHECK(pair.a.kernel.empty());
    CHECK(pair.b.kernel.empty());
    // The peer learnt of it from a Delete (by_peer), not from a timeout.
    const auto deleted = pair.b.events.of<IkeSaDeleted>();
    REQUIRE(!deleted.empty());
    CHECK(deleted.back().by_peer);
    CHECK(pair.b.events.of<IkeSaFailed>().empty());
  }
}

TEST_CASE("Up after a down whose Delete waits for the window starts a new IKE SA", "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  const uint64_t going = pair.a.only_sa().unique_id;
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  REQUIRE(pair.a.engine->terminate(going));
  // The IKE SA still looks established, but its Delete is queued: the child must not ride on it (it would
  // be lost with it), and a rekey of it is not queued behind the Delete.
  const auto fresh = pair.a.engine->initiate("conn", "net");
  REQUIRE(fresh.has_value());
  CHECK(*fresh != going);
  CHECK(pair.a.engine->rekey_ike(going).has_value());
  pair.pump();
  const auto sas = pair.a.sas();
  const auto fresh_sa =
      std::find_if(sas.begin(), sas.end(), [&](const IkeSaSummary& s) { return s.unique_id == *fresh; });
  REQUIRE(fresh_sa != sas.end());
  CHECK(fresh_sa->state == IkeSaState::established);
  CHECK(pair.a.events.of<IkeSaRekeyed>().empty());
}

TEST_CASE("A further child requested during an IKE SA rekey is created on the new IKE SA",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  REQUIRE(pair.a.engine->initiate("conn", "net2"));  // waits for the window
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 2);
}

TEST_CASE("Rekey timers on both sides over a day leave one IKE SA and one pair per child",
          "[rekey][collision]") {
  auto a = two_child_initiator();
  auto b = two_child_responder();
  for (auto* c : {&a, &b}) {
    c->rekey_time = std::chrono::seconds(900);
    c->rekey_jitter = std::chrono::seconds(60);
    for (auto& child : c->children) {
      child.rekey_time = std::chrono::seconds(300);
      child.rekey_jitter = std::chrono::seconds(30);
    }
  }
  RekeyPair pair(a, b);
  pair.establish();
  REQUIRE(pair.b.engine->initiate("conn", "net2"));
  pair.pump();
  pair.run_timers_until(pair.clock.now() + std::chrono::hours(24));
  require_one_ike_sa(pair);
  require_settled_children(pair, 2);
  CHECK(pair.a.events.of<IkeSaRekeyed>().size() >= 90);
  CHECK(count_rekeyed(pair.a) >= 2 * 280);
  CHECK(pair.a.events.of<IkeSaFailed>().empty());
  CHECK(pair.b.events.of<IkeSaFailed>().empty());
}

TEST_CASE("A duplicated IKE SA rekey request makes one new IKE SA", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  pair.filter = [](const Datagram& d, bool) {
    return exchange_of(d) == iana::ExchangeType::CREATE_CHILD_SA ? 2 : 1;
  };
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  CHECK(pair.b.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.b.engine->counters().retransmitted_responses == 1);
}

TEST_CASE("A lost Delete of the old IKE SA is retransmitted and the old SA goes on both sides", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  pair.deliver(pair.a);
  pair.deliver(pair.b);
  REQUIRE(exchange_of(pair.a.sink.queue.front()) == iana::ExchangeType::INFORMATIONAL);
  pair.drop(pair.a);
  CHECK(pair.b.sas().size() == 2);  // the old one waits, rekeyed, for the Delete
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(2));
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
}

TEST_CASE("A CHILD_SA rekey queued behind an IKE SA rekey runs on the new IKE SA", "[rekey]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  const uint32_t old_a = spi_in_of(pair.a);
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  REQUIRE(pair.a.engine->rekey_child(old_a));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  CHECK(spi_in_of(pair.a) != old_a);
  REQUIRE(pair.a.events.of<ChildSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaRekeyed>().front().ike_sa == pair.a.only_sa().unique_id);
}

TEST_CASE("Simultaneous rekeys of two different children do not collide", "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a, "net")));
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b, "net2")));
  pair.deliver(pair.a);
  pair.deliver(pair.b);
  pair.pump();
  require_settled_children(pair, 2);
  CHECK(count_rekeyed(pair.a) == 2);
  CHECK(count_rekeyed(pair.b) == 2);
}

TEST_CASE("CHILD_SA Delete against IKE SA rekey: the rekey waits and the child is gone",
          "[rekey][collision]") {
  for (bool ike_by_a : {true, false}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    REQUIRE(pair.a.engine->initiate("conn", "net2"));
    pair.pump();
    RekeySide& ike_side = ike_by_a ? pair.a : pair.b;
    RekeySide& delete_side = ike_by_a ? pair.b : pair.a;
    REQUIRE(ike_side.engine->rekey_ike(ike_side.only_sa().unique_id));
    delete_side.engine->on_kernel_expire(spi_in_of(delete_side, "net2"), true);
    pair.deliver(pair.a);
    pair.deliver(pair.b);
    pair.pump();
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(10));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
    CHECK(pair.a.children().front().name == "net");
    CHECK(pair.a.events.of<IkeSaRekeyed>().size() == 1);
  }
}

TEST_CASE("A further child against an IKE SA rekey is refused, retried and made on the new IKE SA",
          "[rekey][collision]") {
  RekeyPair pair(two_child_initiator(), two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  REQUIRE(pair.b.engine->initiate("conn", "net2"));
  pair.deliver(pair.a);
  pair.deliver(pair.b);
  pair.pump();
  CHECK(pair.a.events.of<IkeSaRekeyed>().empty());
  pair.run_timers_until(pair.clock.now() + std::chrono::seconds(10));
  require_one_ike_sa(pair);
  require_settled_children(pair, 2);
  CHECK(pair.a.events.of<IkeSaRekeyed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().empty());
  CHECK(pair.b.events.of<ChildSaFailed>().empty());
}

TEST_CASE("A responder without PFS picks the initiator's proposal without KE and ignores its KE payload",
          "[rekey]") {
  auto a = two_child_initiator();
  a.children.back().esp_proposals = {proposal("aes128gcm16-x25519", iana::SecurityProtocolId::ESP),
                                     proposal("aes128gcm16", iana::SecurityProtocolId::ESP)};
  RekeyPair pair(a, two_child_responder());
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_settled_children(pair, 2);
  CHECK(pair.a.events.of<ChildSaInstalled>().back().transforms.key_exchange == iana::KeyExchangeMethod::NONE);
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a, "net2")));
  pair.pump();
  require_settled_children(pair, 2);
  CHECK(count_rekeyed(pair.a) == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().empty());
}

TEST_CASE("IKE SA rekey collision where b's request is lost: a's rekey wins, b's goes with the old SA",
          "[rekey][collision]") {
  for (Lowest lowest : {Lowest::a_exchange, Lowest::b_exchange}) {
    RekeyPair pair(two_child_initiator(), two_child_responder());
    pair.establish();
    script_nonces(pair, lowest);
    REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
    REQUIRE(pair.b.engine->rekey_ike(pair.b.only_sa().unique_id));
    pair.drop(pair.b);
    pair.pump();
    pair.run_timers_until(pair.clock.now() + std::chrono::seconds(30));
    require_one_ike_sa(pair);
    require_settled_children(pair, 1);
    CHECK(pair.a.only_sa().role == IkeRole::initiator);
    CHECK(pair.a.events.of<ChildSaDeleted>().empty());
    CHECK(pair.b.events.of<ChildSaDeleted>().empty());
  }
}
