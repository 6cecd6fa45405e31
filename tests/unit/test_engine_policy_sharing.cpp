// Kernel policies shared by CHILD_SAs with the same selectors: PolicyTable on its own, and the engine
// re-initiating a connection while the old IKE SA's Delete is still out, and an IKE rekey.
#include "daemon/ike/ikev2/policy_table.h"
#include "rekey_harness.h"

#include "daemon/ike/message_codec.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

Selector selector_of(const char* text) { return selectors(text).front().selector; }

// The out policy 10.1.0.0/16 -> 10.2.0.0/16 as a child with `reqid` and peer `peer` installs it.
KernelPolicy out_policy(uint32_t reqid, const char* peer = "192.0.2.2") {
  return {selector_of("10.1.0.0/16"), selector_of("10.2.0.0/16"), PolicyDirection::out, IpsecMode::tunnel,
          ip("192.0.2.1"), ip(peer), iana::SecurityProtocolId::ESP, reqid, {}};
}

constexpr PolicyUser kOld{iana::SecurityProtocolId::ESP, 0xc0000001};
constexpr PolicyUser kNew{iana::SecurityProtocolId::ESP, 0xc0000002};

bool is_informational_request(const Datagram& d) {
  const auto decoded = ike::decode_message(d.bytes);
  REQUIRE(decoded.has_value());
  const auto& header = decoded->message.header;
  return header.exchange == iana::ExchangeType::INFORMATIONAL && !header.response;
}

// Takes `side`'s Delete of its IKE SA off the queue, undelivered.
Datagram hold_delete(RekeySide& side) {
  REQUIRE(side.sink.queue.size() >= 1);
  Datagram held = side.sink.queue.front();
  REQUIRE(is_informational_request(held));
  side.sink.queue.erase(side.sink.queue.begin());
  return held;
}

// Terminates the established IKE SA of `a` holding back its Delete, and brings the same child up again on
// a new IKE SA meanwhile. Returns the held Delete and the two IKE SAs' unique ids (old, new).
// INITIAL_CONTACT is configured (the default), but the new IKE SA does not send it while the old one's
// Delete is out (§2.4), so the responder too keeps the old IKE SA until its Delete.
std::tuple<Datagram, uint64_t, uint64_t> down_then_up(RekeyPair& pair) {
  pair.establish();
  const uint64_t old_id = pair.a.only_sa().unique_id;
  REQUIRE(pair.a.engine->terminate(old_id));
  Datagram held = hold_delete(pair.a);
  const auto fresh = pair.a.engine->initiate("conn", "net");
  REQUIRE(fresh.has_value());
  REQUIRE(*fresh != old_id);
  pair.pump();
  return {std::move(held), old_id, *fresh};
}

void deliver_to_b(RekeyPair& pair, const Datagram& d) {
  pair.b.engine->handle_datagram(d.remote, d.local, d.bytes);
}

}  // namespace

TEST_CASE("PolicyTable adds for the first user and updates the same entry for the second",
          "[policy_table]") {
  RecordingKernelPort kernel(1);
  PolicyTable table(kernel);
  REQUIRE(table.install(kOld, out_policy(1)));
  REQUIRE(table.install(kNew, out_policy(2)));
  REQUIRE(kernel.policies.size() == 1);
  CHECK(kernel.policies.front().reqid == 2);  // the newest user's template
  CHECK(kernel.policy_adds == 1);
  CHECK(kernel.policy_updates == 1);
  CHECK(table.users(policy_id(out_policy(1))) == std::vector{kOld, kNew});

  // The older user goes: the entry stays as it is for the newer one.
  table.release(kOld, policy_id(out_policy(1)));
  REQUIRE(kernel.policies.size() == 1);
  CHECK(kernel.policies.front().reqid == 2);
  CHECK(kernel.policy_updates == 1);
  CHECK(kernel.policy_deletes == 0);
  // The last user goes: so does the entry.
  table.release(kNew, policy_id(out_policy(1)));
  CHECK(kernel.policies.empty());
  CHECK(kernel.policy_deletes == 1);
  CHECK(table.users(policy_id(out_policy(1))).empty());
}

TEST_CASE("PolicyTable points the entry back at the remaining user when the newest goes first",
          "[policy_table]") {
  RecordingKernelPort kernel(1);
  PolicyTable table(kernel);
  REQUIRE(table.install(kOld, out_policy(1)));
  REQUIRE(table.install(kNew, out_policy(2, "192.0.2.9")));
  table.release(kNew, policy_id(out_policy(1)));
  REQUIRE(kernel.policies.size() == 1);
  CHECK(kernel.policies.front() == out_policy(1));
  CHECK(kernel.policy_updates == 2);
  CHECK(table.users(policy_id(out_policy(1))) == std::vector{kOld});
  // Releasing a user twice, or one that never used it, changes nothing.
  table.release(kNew, policy_id(out_policy(1)));
  CHECK(kernel.policies.size() == 1);
  CHECK(kernel.policy_updates == 2);
  table.release(kOld, policy_id(out_policy(1)));
  CHECK(kernel.policies.empty());
}

TEST_CASE("PolicyTable records nothing the kernel refused, and a failed update leaves the older user alone",
          "[policy_table]") {
  RecordingKernelPort kernel(1);
  PolicyTable table(kernel);
  // Someone else's policy with these selectors: the kernel refuses the add, as it would with EEXIST.
  REQUIRE(kernel.add_policy(out_policy(7)));
  auto refused = table.install(kOld, out_policy(1));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().error_number == EEXIST);
  CHECK(table.users(policy_id(out_policy(1))).empty());
  REQUIRE(kernel.delete_policy(policy_id(out_policy(7))));

  REQUIRE(table.install(kOld, out_policy(1)));
  // The entry vanished behind the table's back (flushed by hand): the second child's update fails.
  kernel.policies.clear();
  auto lost = table.install(kNew, out_policy(2));
  REQUIRE_FALSE(lost);
  CHECK(lost.error().error_number == ENOENT);
  CHECK(table.users(policy_id(out_policy(1))) == std::vector{kOld});
}

TEST_CASE("PolicyTable hands a policy over to a successor and moves it with change", "[policy_table]") {
  RecordingKernelPort kernel(1);
  PolicyTable table(kernel);
  REQUIRE(table.install(kOld, out_policy(1)));
  table.hand_over(policy_id(out_policy(1)), kOld, kNew);
  CHECK(table.users(policy_id(out_policy(1))) == std::vector{kNew});
  CHECK(kernel.policy_adds + kernel.policy_updates + kernel.policy_deletes == 1);
  // change of the kernel's user rewrites the entry; of an older user only its record.
  REQUIRE(table.change(kNew, out_policy(1, "192.0.2.9")));
  CHECK(kernel.policies.front().tunnel_dst == ip("192.0.2.9"));
  REQUIRE(table.install(kOld, out_policy(3)));
  REQUIRE(table.change(kNew, out_policy(1, "192.0.2.8")));
  CHECK(kernel.policies.front().reqid == 3);
  table.release(kOld, policy_id(out_policy(1)));
  CHECK(kernel.policies.front() == out_policy(1, "192.0.2.8"));
  // A hand-over to a user that already has the policy releases the giver.
  REQUIRE(table.install(kOld, out_policy(4)));
  table.hand_over(policy_id(out_policy(1)), kOld, kNew);
  CHECK(table.users(policy_id(out_policy(1))) == std::vector{kNew});
  CHECK(kernel.policies.front() == out_policy(1, "192.0.2.8"));
}

TEST_CASE("Up again while the old IKE SA's Delete is out shares the policies, and the old child's end "
          "leaves them to the new one",
          "[engine][policy_sharing]") {
  RekeyPair pair(psk_initiator(), psk_responder());
  auto [held, old_id, new_id] = down_then_up(pair);
  for (auto* side : {&pair.a, &pair.b}) {
    // Both CHILD_SAs stand, each with its SAs; the policies were added once and updated once.
    REQUIRE(side->children().size() == 2);
    CHECK(side->events.of<ChildSaFailed>().empty());
    CHECK(side->kernel.sas.size() == 4);
    CHECK(side->kernel.policies.size() == 3);
    CHECK(side->kernel.policy_adds == 3);
    CHECK(side->kernel.policy_updates == 3);
    CHECK(side->kernel.policy_deletes == 0);
  }
  const auto policies_a = pair.a.kernel.policies;

  // Now the Delete of the old IKE SA arrives, and its answer.
  deliver_to_b(pair, held);
  pair.pump();
  for (auto* side : {&pair.a, &pair.b}) {
    REQUIRE(side->sas().size() == 1);
    CHECK(side->only_sa().unique_id != old_id);
    CHECK(side->children().size() == 1);
    CHECK(side->kernel.sas.size() == 2);
    CHECK(side->kernel.policies.size() == 3);
    CHECK(side->kernel.policy_deletes == 0);
    CHECK(side->kernel.policy_updates == 3);  // the entries were the new child's already
  }
  CHECK(pair.a.kernel.policies == policies_a);
  require_settled_children(pair, 1);

  // The last user's end removes them.
  REQUIRE(pair.a.engine->terminate(new_id));
  pair.pump();
  for (auto* side : {&pair.a, &pair.b}) {
    CHECK(side->sas().empty());
    CHECK(side->kernel.empty());
    CHECK(side->kernel.policy_deletes == 3);
  }
}

TEST_CASE("When the new IKE SA goes first, the shared policies stay for the old one's child",
          "[engine][policy_sharing]") {
  RekeyPair pair(psk_initiator(), psk_responder());
  auto [held, old_id, new_id] = down_then_up(pair);
  REQUIRE(pair.a.engine->terminate(new_id));
  pair.pump();
  for (auto* side : {&pair.a, &pair.b}) {
    REQUIRE(side->sas().size() == 1);
    CHECK(side->children().size() == 1);
    CHECK(side->kernel.sas.size() == 2);
    // Still there, pointed back at the remaining child.
    CHECK(side->kernel.policies.size() == 3);
    CHECK(side->kernel.policy_updates == 6);
    CHECK(side->kernel.policy_deletes == 0);
    for (const auto& p : side->kernel.policies) CHECK(p.reqid == side->children().front().reqid);
  }
  deliver_to_b(pair, held);
  pair.pump();
  for (auto* side : {&pair.a, &pair.b}) {
    CHECK(side->sas().empty());
    CHECK(side->kernel.empty());
    CHECK(side->kernel.policy_deletes == 3);
  }
}

TEST_CASE("An IKE SA rekey moves the children without touching their policies", "[engine][policy_sharing]") {
  RekeyPair pair(psk_initiator(), psk_responder());
  pair.establish();
  const auto before_a = pair.a.kernel.policies;
  const auto before_b = pair.b.kernel.policies;
  REQUIRE(pair.a.engine->rekey_ike(pair.a.only_sa().unique_id));
  pair.pump();
  require_one_ike_sa(pair);
  require_settled_children(pair, 1);
  CHECK(pair.a.kernel.policies == before_a);
  CHECK(pair.b.kernel.policies == before_b);
  for (auto* side : {&pair.a, &pair.b}) {
    CHECK(side->kernel.policy_adds == 3);
    CHECK(side->kernel.policy_updates == 0);
    CHECK(side->kernel.policy_deletes == 0);
  }
  // The moved child still owns them: its end removes them.
  REQUIRE(pair.a.engine->terminate(pair.a.only_sa().unique_id));
  pair.pump();
  CHECK(pair.a.kernel.empty());
  CHECK(pair.b.kernel.empty());
}
