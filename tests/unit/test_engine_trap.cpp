// On-demand CHILD_SAs: trap policies, negotiation from ACQUIRE with the packet's selectors first (RFC 7296
// §2.9), the trap outliving its children, and the daemon's start/close/dpd actions.
#include "engine_harness.h"

#include "crypto/ike_key_derivation.h"
#include "crypto/key_exchange.h"
#include "crypto/prf.h"
#include "crypto/sk_cipher.h"
#include "daemon/config/daemon_config.h"
#include "daemon/connection_actions.h"
#include "daemon/ike/ikev2/payload_helpers.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"
#include "daemon/kernel_selectors.h"

#include <botan/chacha_rng.h>
#include <botan/loadstor.h>

#include <catch2/catch.hpp>

namespace ipsecd::test {
namespace {

Selector sel(const char* text) { return parse_selector(text).value().selector; }

const Selector packet_src = sel("10.1.7.9[icmp]");
const Selector packet_dst = sel("10.2.0.7[icmp]");

size_t count_reqid(const RecordingKernelPort& kernel, uint32_t reqid) {
  return static_cast<size_t>(std::count_if(kernel.policies.begin(), kernel.policies.end(),
                                           [&](const KernelPolicy& p) { return p.reqid == reqid; }));
}

bool has_policy(const RecordingKernelPort& kernel, const Selector& src, const Selector& dst,
                PolicyDirection direction) {
  return std::any_of(kernel.policies.begin(), kernel.policies.end(), [&](const KernelPolicy& p) {
    return p.src == src && p.dst == dst && p.direction == direction;
  });
}

ConnectionConfig with_second_child(ConnectionConfig c, const char* local_ts, const char* remote_ts) {
  ChildConfig other = c.children.front();
  other.name = "other";
  other.local_ts = selectors(local_ts);
  other.remote_ts = selectors(remote_ts);
  c.children.push_back(std::move(other));
  return c;
}

// Answers the engine's IKE_SA_INIT by hand and derives the IKE SA's keys, so that the test can read the
// IKE_AUTH request the engine sends next.
struct HandResponder {
  Botan::ChaCha_RNG rng{crypto::SecureBytes(32, 0x7c)};
  std::unique_ptr<crypto::SkCipher> cipher_i;

  std::vector<ike::Payload> read_ike_auth(Side& initiator, const ConnectionConfig& config) {
    REQUIRE(initiator.sink.queue.size() == 1);
    const auto init = initiator.sink.queue.front();
    initiator.sink.queue.clear();
    const auto request = ike::decode_message(init.bytes).value().message;
    const auto* sa = ike::find_first<ike::SaPayload>(request.payloads);
    const auto* ke_i = ike::find_first<ike::KePayload>(request.payloads);
    const auto* nonce = ike::find_first<ike::NoncePayload>(request.payloads);
    REQUIRE((sa != nullptr && ke_i != nullptr && nonce != nullptr));
    const auto chosen = select_proposal(config.ike_proposals, sa->proposals).value();
    auto ke = crypto::make_key_exchange(ke_i->group, rng).value();
    crypto::Bytes nonce_r(32, 0x42);
    const uint64_t spi_r = 0x8877665544332211;
    ike::Header h = request.header;
    h.responder_spi = spi_r;
    h.initiator = false;
    h.response = true;
    const auto response =
        ike::encode_message({h,
                             {ike::Payload{ike::SaPayload{{to_accepted_proposal(chosen.transforms, chosen.number, {})}}},
                              ike::Payload{ike::KePayload{ke_i->group, ke->public_value()}},
                              ike::Payload{ike::NoncePayload{nonce_r}}}})
            .value()
            .bytes;
    initiator.engine->handle_datagram(init.local, init.remote, response);

    const auto shared = ke->shared_secret(ke_i->data).value();
    auto prf = crypto::make_prf(chosen.transforms.prf).value();
    const auto skeyseed = crypto::ike_sa_skeyseed(*prf, nonce->data, nonce_r, shared).value();
    const auto algorithm = chosen.transforms.sk_algorithm();
    const auto keys = crypto::derive_ike_sa_keys(*prf, skeyseed, nonce->data, nonce_r,
                                                 request.header.initiator_spi, spi_r, algorithm)
                          .value();
    cipher_i = crypto::make_sk_cipher(algorithm, keys.sk_ei, keys.sk_ai).value();

    REQUIRE(initiator.sink.queue.size() == 1);
    const auto auth = initiator.sink.queue.front();
    initiator.sink.queue.clear();
    const auto decoded = ike::decode_message(auth.bytes).value();
    REQUIRE(decoded.message.header.exchange == iana::ExchangeType::IKE_AUTH);
    auto inner = ike::unprotect_message(auth.bytes, decoded, *cipher_i);
    REQUIRE(inner.has_value());
    return inner->payloads;
  }
};

}  // namespace

TEST_CASE("install_trap adds out in and fwd policies without SAs under a reserved reqid", "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  a.start(clock, {}, {with_second_child(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"),
                                        "10.3.0.0/16", "10.4.0.0/16")});
  const auto reqid = a.engine->install_trap("conn", "net");
  REQUIRE(reqid.has_value());
  REQUIRE(a.kernel.policies.size() == 3);
  CHECK(a.kernel.sas.empty());
  CHECK(a.kernel.larval.empty());
  CHECK(a.sink.log.empty());
  for (const auto& p : a.kernel.policies) {
    CHECK(p.reqid == *reqid);
    CHECK(p.mode == IpsecMode::tunnel);
    CHECK(p.protocol == iana::SecurityProtocolId::ESP);
    const bool out = p.direction == PolicyDirection::out;
    CHECK(p.tunnel_src == ip(out ? "192.0.2.1" : "192.0.2.2"));
    CHECK(p.tunnel_dst == ip(out ? "192.0.2.2" : "192.0.2.1"));
    CHECK(p.src == sel(out ? "10.1.0.0/16" : "10.2.0.0/16"));
  }
  CHECK(a.kernel.count_policies(PolicyDirection::fwd) == 1);

  const auto other = a.engine->install_trap("conn", "other");
  REQUIRE(other.has_value());
  CHECK(*other != *reqid);
  CHECK(count_reqid(a.kernel, *other) == 3);
  const auto traps = a.engine->traps();
  REQUIRE(traps.size() == 2);
  CHECK(traps.front().child == "net");
  CHECK(traps.front().local_ts == std::vector{sel("10.1.0.0/16")});

  // Installing again keeps the reqid and the policies (no kernel churn).
  CHECK(a.engine->install_trap("conn", "net").value() == *reqid);
  CHECK(a.kernel.policies.size() == 6);

  CHECK_FALSE(a.engine->install_trap("conn", "nothing").has_value());
  CHECK_FALSE(a.engine->install_trap("nothing", "net").has_value());
}

TEST_CASE("a trap needs the connection's addresses", "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  auto config = psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test");
  config.remote_address.reset();
  a.start(clock, {}, {config});
  CHECK_FALSE(a.engine->install_trap("conn", "net").has_value());
  CHECK(a.kernel.policies.empty());
}

TEST_CASE("without local_addr a trap and an initiation use the source of the route to the peer",
          "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  auto config = psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test");
  config.local_address.reset();
  a.start(clock, {}, {config});

  // No route: both refuse, name the peer and say what to do, and leave the kernel alone.
  const auto refused = a.engine->install_trap("conn", "net");
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error(), Catch::Contains("192.0.2.2") && Catch::Contains("set local_addr"));
  CHECK_FALSE(a.engine->initiate("conn", "net").has_value());
  CHECK(a.kernel.policies.empty());
  CHECK(a.sink.queue.empty());

  a.kernel.route_source = ip("192.0.2.7");
  REQUIRE(a.engine->install_trap("conn", "net").has_value());
  for (const auto& p : a.kernel.policies) {
    const bool out = p.direction == PolicyDirection::out;
    CHECK(p.tunnel_src == ip(out ? "192.0.2.7" : "192.0.2.2"));
    CHECK(p.tunnel_dst == ip(out ? "192.0.2.2" : "192.0.2.7"));
  }
  REQUIRE(a.engine->initiate("conn", "net").has_value());
  REQUIRE(a.sink.queue.size() == 1);
  CHECK(a.sink.queue.front().local == ipsecd::Endpoint{ip("192.0.2.7"), 500});
  CHECK(a.sink.queue.front().remote == ipsecd::Endpoint{ip("192.0.2.2"), 500});
}

TEST_CASE("an ACQUIRE starts IKE_SA_INIT and IKE_AUTH proposes the packet's selectors first", "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  const auto config = psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test");
  a.start(clock, {}, {config});
  const uint32_t reqid = a.engine->install_trap("conn", "net").value();

  const auto result = a.engine->on_acquire(reqid, packet_src, packet_dst);
  REQUIRE(result.has_value());
  CHECK(result->outcome == AcquireOutcome::initiated);
  CHECK(result->connection == "conn");
  CHECK(result->child == "net");

  HandResponder responder;
  const auto auth = responder.read_ike_auth(a, config);
  const auto* tsi = ike::find_first<ike::TsiPayload>(auth);
  const auto* tsr = ike::find_first<ike::TsrPayload>(auth);
  REQUIRE((tsi != nullptr && tsr != nullptr));
  CHECK(from_wire(tsi->selectors).value() == std::vector{packet_src, sel("10.1.0.0/16")});
  CHECK(from_wire(tsr->selectors).value() == std::vector{packet_dst, sel("10.2.0.0/16")});
}

TEST_CASE("a packet outside the configured selectors is not proposed", "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  const auto config = psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test");
  a.start(clock, {}, {config});
  const uint32_t reqid = a.engine->install_trap("conn", "net").value();
  REQUIRE(a.engine->on_acquire(reqid, sel("10.9.0.1"), packet_dst).has_value());
  HandResponder responder;
  const auto auth = responder.read_ike_auth(a, config);
  CHECK(from_wire(ike::find_first<ike::TsiPayload>(auth)->selectors).value() == std::vector{sel("10.1.0.0/16")});
  CHECK(from_wire(ike::find_first<ike::TsrPayload>(auth)->selectors).value() == std::vector{sel("10.2.0.0/16")});
}

TEST_CASE("the responder narrows around the packet and the child takes the trap's reqid", "[engine-trap]") {
  // The responder accepts two small parts of the initiator's side; the one holding the packet comes first.
  EnginePair pair(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"),
                  psk_connection("192.0.2.2", "192.0.2.1", "b@test", "a@test", "aes128gcm16-prfsha256-x25519",
                                 "aes128gcm16", "10.2.0.0/16", "10.1.0.0/24, 10.1.7.0/24"));
  const uint32_t reqid = pair.a.engine->install_trap("conn", "net").value();
  REQUIRE(pair.a.engine->on_acquire(reqid, packet_src, packet_dst).has_value());
  pair.pump();

  const auto installed = pair.a.events.of<ChildSaInstalled>();
  REQUIRE(installed.size() == 1);
  CHECK(installed.front().reqid == reqid);
  CHECK(installed.front().local_ts == std::vector{sel("10.1.7.0/24"), sel("10.1.0.0/24")});
  CHECK(installed.front().remote_ts == std::vector{sel("10.2.0.0/16")});
  // The trap's three policies and the narrowed child's own, all with one reqid.
  CHECK(count_reqid(pair.a.kernel, reqid) == 9);
  CHECK(has_policy(pair.a.kernel, sel("10.1.7.0/24"), sel("10.2.0.0/16"), PolicyDirection::out));
  CHECK(has_policy(pair.a.kernel, sel("10.1.0.0/16"), sel("10.2.0.0/16"), PolicyDirection::out));
  for (const auto& [key, sa] : pair.a.kernel.sas) CHECK(sa.reqid == reqid);
  CHECK(pair.a.kernel.sas.size() == 2);

  // The child goes: its own policies with it, the trap's stay.
  pair.b.engine->on_kernel_expire(pair.b.events.of<ChildSaInstalled>().front().spi_in, true);
  pair.pump();
  CHECK(pair.a.events.of<ChildSaDeleted>().size() == 1);
  CHECK(pair.a.kernel.sas.empty());
  CHECK(pair.a.kernel.policies.size() == 3);
  CHECK(count_reqid(pair.a.kernel, reqid) == 3);
}

TEST_CASE("traps on both sides: the trap's policies serve the child and outlive it", "[engine-trap]") {
  EnginePair pair(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"),
                  psk_connection("192.0.2.2", "192.0.2.1", "b@test", "a@test", "aes128gcm16-prfsha256-x25519",
                                 "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16"));
  const uint32_t reqid_a = pair.a.engine->install_trap("conn", "net").value();
  const uint32_t reqid_b = pair.b.engine->install_trap("conn", "net").value();
  const auto first = pair.a.engine->on_acquire(reqid_a, packet_src, packet_dst).value();
  pair.pump();

  REQUIRE(pair.a.events.of<ChildSaInstalled>().size() == 1);
  CHECK(pair.a.events.of<ChildSaInstalled>().front().local_ts == std::vector{sel("10.1.0.0/16")});
  CHECK(pair.b.events.of<ChildSaInstalled>().front().reqid == reqid_b);
  // The negotiated selectors are the trap's: no policy was added or would be removed by the child.
  CHECK(pair.a.kernel.policies.size() == 3);
  CHECK(pair.b.kernel.policies.size() == 3);
  for (const auto& [key, sa] : pair.a.kernel.sas) CHECK(sa.reqid == reqid_a);
  for (const auto& [key, sa] : pair.b.kernel.sas) CHECK(sa.reqid == reqid_b);

  SECTION("the peer deletes the child: the trap stays and the next ACQUIRE uses CREATE_CHILD_SA") {
    pair.b.engine->on_kernel_expire(pair.b.events.of<ChildSaInstalled>().front().spi_in, true);
    pair.pump();
    const auto deleted = pair.a.events.of<ChildSaDeleted>();
    REQUIRE(deleted.size() == 1);
    CHECK(deleted.front().cause == ChildDeleteCause::peer);
    CHECK(pair.a.kernel.sas.empty());
    CHECK(pair.a.kernel.policies.size() == 3);
    CHECK(pair.b.kernel.policies.size() == 3);

    const auto again = pair.a.engine->on_acquire(reqid_a, packet_src, packet_dst).value();
    CHECK(again.outcome == AcquireOutcome::initiated);
    CHECK(again.ike_sa == first.ike_sa);
    pair.pump();
    CHECK(pair.a.events.of<ChildSaInstalled>().size() == 2);
    CHECK(pair.a.events.of<ChildSaInstalled>().back().reqid == reqid_a);
    CHECK(pair.a.engine->ike_sas().size() == 1);
    CHECK(pair.a.kernel.sas.size() == 2);
    CHECK(pair.a.kernel.policies.size() == 3);
  }

  SECTION("uninstalling the trap hands its policies to the live child, which takes them when it goes") {
    REQUIRE(pair.a.engine->uninstall_trap("conn", "net").has_value());
    CHECK(pair.a.engine->traps().empty());
    CHECK(pair.a.kernel.policies.size() == 3);
    REQUIRE(pair.a.engine->terminate(first.ike_sa).has_value());
    pair.pump();
    CHECK(pair.a.kernel.empty());
    CHECK_FALSE(pair.a.engine->uninstall_trap("conn", "net").has_value());
  }

  for (const bool old_goes_first : {true, false}) {
    DYNAMIC_SECTION("uninstalling the trap while two IKE SAs hold a child of its reqid hands the policies to "
                    "both; they go with the last (old IKE SA ends " << (old_goes_first ? "first)" : "last)")) {
      // down, then up before the old IKE SA's Delete is through: two children of the trap's reqid.
      REQUIRE(pair.a.engine->terminate(first.ike_sa).has_value());
      REQUIRE(pair.a.sink.queue.size() == 1);
      const Datagram held_delete = pair.a.sink.queue.front();
      pair.a.sink.queue.clear();
      const uint64_t second = pair.a.engine->initiate("conn", "net").value();
      pair.pump();
      REQUIRE(pair.a.events.of<ChildSaInstalled>().size() == 2);
      CHECK(pair.a.events.of<ChildSaInstalled>().back().reqid == reqid_a);

      REQUIRE(pair.a.engine->uninstall_trap("conn", "net").has_value());
      CHECK(pair.a.kernel.policies.size() == 3);
      const auto end_old = [&] {
        pair.b.engine->handle_datagram(held_delete.remote, held_delete.local, held_delete.bytes);
        pair.pump();
      };
      const auto end_new = [&] {
        REQUIRE(pair.a.engine->terminate(second).has_value());
        pair.pump();
      };
      if (old_goes_first) end_old(); else end_new();
      CHECK(pair.a.engine->ike_sas().size() == 1);
      CHECK(pair.a.kernel.policies.size() == 3);
      if (old_goes_first) end_new(); else end_old();
      CHECK(pair.a.engine->ike_sas().empty());
      CHECK(pair.a.kernel.empty());
    }
  }

  SECTION("the IKE SA deleted by the peer closes its children for close_action") {
    REQUIRE(pair.b.engine->terminate(pair.b.engine->ike_sas().front().unique_id).has_value());
    pair.pump();
    const auto deleted = pair.a.events.of<ChildSaDeleted>();
    REQUIRE(deleted.size() == 1);
    CHECK(deleted.front().cause == ChildDeleteCause::peer);
    CHECK(pair.b.events.of<ChildSaDeleted>().front().cause == ChildDeleteCause::ike_sa_gone);
    CHECK(pair.a.kernel.policies.size() == 3);
    CHECK(pair.a.kernel.sas.empty());
  }
}

TEST_CASE("repeated ACQUIREs while negotiating or installed are ignored and counted", "[engine-trap]") {
  EnginePair pair(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"),
                  psk_connection("192.0.2.2", "192.0.2.1", "b@test", "a@test", "aes128gcm16-prfsha256-x25519",
                                 "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16"));
  const uint32_t reqid = pair.a.engine->install_trap("conn", "net").value();
  CHECK(pair.a.engine->on_acquire(reqid, packet_src, packet_dst)->outcome == AcquireOutcome::initiated);
  CHECK(pair.a.engine->on_acquire(reqid, packet_src, sel("10.2.0.8[icmp]"))->outcome ==
        AcquireOutcome::in_progress);
  CHECK(pair.a.sink.queue.size() == 1);  // one IKE_SA_INIT
  CHECK(pair.a.engine->counters().acquires_ignored == 1);
  pair.pump();
  CHECK(pair.a.engine->ike_sas().size() == 1);
  CHECK(pair.a.engine->on_acquire(reqid, packet_src, packet_dst)->outcome == AcquireOutcome::in_progress);
  CHECK(pair.a.engine->counters().acquires_ignored == 2);
  CHECK(pair.a.sink.queue.empty());
  CHECK(pair.a.events.of<ChildSaInstalled>().size() == 1);
}

TEST_CASE("an ACQUIRE for a child of an established IKE SA uses CREATE_CHILD_SA", "[engine-trap]") {
  auto a = with_second_child(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"), "10.3.0.0/16",
                             "10.4.0.0/16");
  auto b = with_second_child(psk_connection("192.0.2.2", "192.0.2.1", "b@test", "a@test",
                                            "aes128gcm16-prfsha256-x25519", "aes128gcm16", "10.2.0.0/16",
                                            "10.1.0.0/24, 10.1.7.0/24"),
                             "10.4.0.0/16", "10.3.0.0/16");
  // The responder takes the first child whose policy fits; ours is "net" only when it comes first there.
  EnginePair pair(a, b);
  const uint32_t reqid = pair.a.engine->install_trap("conn", "net").value();
  const uint64_t ike = pair.a.engine->initiate("conn", "other").value();
  pair.pump();
  REQUIRE(pair.a.engine->ike_sas().front().state == IkeSaState::established);

  const auto result = pair.a.engine->on_acquire(reqid, packet_src, packet_dst).value();
  CHECK(result.outcome == AcquireOutcome::initiated);
  CHECK(result.ike_sa == ike);
  pair.pump();
  const auto sas = pair.a.engine->ike_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas.front().children == std::vector<std::string>{"other", "net"});
  const auto installed = pair.a.events.of<ChildSaInstalled>();
  REQUIRE(installed.size() == 2);
  CHECK(installed.back().reqid == reqid);
  // The packet went first in CREATE_CHILD_SA too: the responder's part holding it leads.
  CHECK(installed.back().local_ts == std::vector{sel("10.1.7.0/24"), sel("10.1.0.0/24")});
}

TEST_CASE("uninstall_trap removes the trap policies and an unknown reqid is ignored", "[engine-trap]") {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  a.start(clock, {}, {psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test")});
  const uint32_t reqid = a.engine->install_trap("conn", "net").value();

  const auto unknown = a.engine->on_acquire(reqid + 100, packet_src, packet_dst);
  REQUIRE(unknown.has_value());
  CHECK(unknown->outcome == AcquireOutcome::unknown_reqid);
  CHECK(a.engine->counters().acquires_unknown == 1);
  CHECK(a.sink.log.empty());
  CHECK(a.engine->ike_sas().empty());

  REQUIRE(a.engine->uninstall_trap("conn", "net").has_value());
  CHECK(a.kernel.policies.empty());
  CHECK(a.engine->traps().empty());
  CHECK(a.engine->on_acquire(reqid, packet_src, packet_dst)->outcome == AcquireOutcome::unknown_reqid);
  CHECK(a.engine->counters().acquires_unknown == 2);
}

TEST_CASE("an ACQUIRE's packet becomes IKE selectors", "[engine-trap]") {
  netlink::Selector packet;
  packet.src = Prefix::parse("10.1.7.9/32").value();
  packet.dst = Prefix::parse("10.2.0.0/24").value();
  packet.protocol = 6;
  packet.src_port = 40000;
  packet.dst_port = 443;
  const auto tcp = daemon::packet_selectors(packet).value();
  CHECK(tcp.first == sel("10.1.7.9[tcp/40000]"));
  CHECK(tcp.second == sel("10.2.0.0/24[tcp/443]"));

  packet.protocol = 1;
  packet.src_port = 8;
  packet.dst_port = 0;
  const auto icmp = daemon::packet_selectors(packet).value();
  CHECK(icmp.first == sel("10.1.7.9[icmp]"));

  packet.src = Prefix::parse("2001:db8::1").value();
  packet.dst = Prefix::parse("2001:db8:1::/48").value();
  packet.protocol = 17;
  packet.src_port = 0;
  packet.dst_port = 53;
  const auto udp6 = daemon::packet_selectors(packet).value();
  CHECK(udp6.first == sel("2001:db8::1[udp]"));
  CHECK(udp6.second == sel("2001:db8:1::/48[udp/53]"));

  packet.src = Prefix{};
  CHECK_FALSE(daemon::packet_selectors(packet).has_value());
}

// --- the daemon's actions ---

namespace {

config::DaemonConfig actions_config(config::ChildAction start, config::ChildAction close, config::DpdAction dpd) {
  config::DaemonConfig c;
  c.connections.push_back(with_second_child(psk_connection("192.0.2.1", "192.0.2.2", "a@test", "b@test"),
                                            "10.3.0.0/16", "10.4.0.0/16"));
  auto& policy = c.policies["conn"];
  policy.dpd_action = dpd;
  policy.children["net"] = {start, close};
  policy.children["other"] = {config::ChildAction::none, config::ChildAction::none};
  return c;
}

using Kind = daemon::ChildRequest::Kind;

ChildSaInstalled installed(uint64_t ike, const char* child) {
  ChildSaInstalled e;
  e.ike_sa = ike;
  e.connection = "conn";
  e.child = child;
  return e;
}

}  // namespace

TEST_CASE("start_action trap asks for traps at start and after a reload", "[engine-trap]") {
  const auto c = actions_config(config::ChildAction::trap, config::ChildAction::none, config::DpdAction::clear);
  CHECK(daemon::start_traps(c, {"conn"}) == std::vector<daemon::ChildRequest>{{Kind::trap, "conn", "net"}});
  CHECK(daemon::start_traps(c, {"gone"}).empty());

  config::ConfigDiff diff;
  diff.changed = {"conn"};
  const std::vector<TrapSummary> traps{{"conn", "net", 7, {}, {}}, {"conn", "other", 8, {}, {}},
                                       {"old", "x", 9, {}, {}}};
  CHECK(daemon::reload_traps(c, diff, traps) ==
        std::vector<daemon::ChildRequest>{{Kind::untrap, "conn", "other"}, {Kind::trap, "conn", "net"}});
  diff.changed.clear();
  diff.removed = {"old"};
  CHECK(daemon::reload_traps(c, diff, traps) == std::vector<daemon::ChildRequest>{{Kind::untrap, "old", "x"}});
}

TEST_CASE("close_action answers a child the peer closed", "[engine-trap]") {
  const auto close = GENERATE(config::ChildAction::none, config::ChildAction::trap, config::ChildAction::start);
  const auto c = actions_config(config::ChildAction::none, close, config::DpdAction::clear);
  daemon::ConnectionActions actions;
  CHECK(actions.on_event(IkeSaEstablished{1, "conn", IkeRole::initiator, {}, {}, {}, {}, {}, {}}, c, false).empty());
  CHECK(actions.on_event(installed(1, "net"), c, false).empty());
  CHECK(actions.on_event(installed(1, "other"), c, false).empty());

  // Our own deletes (and the old SA of a rekey) close nothing.
  CHECK(actions.on_event(ChildSaDeleted{1, "conn", "other", 1, 2, ChildDeleteCause::local}, c, false).empty());
  CHECK(actions.on_event(ChildSaDeleted{1, "conn", "other", 3, 4, ChildDeleteCause::peer}, c, false).empty());

  const auto requests = actions.on_event(ChildSaDeleted{1, "conn", "net", 5, 6, ChildDeleteCause::peer}, c, false);
  if (close == config::ChildAction::none) {
    CHECK(requests.empty());
  } else {
    CHECK(requests == std::vector<daemon::ChildRequest>{
                          {close == config::ChildAction::trap ? Kind::trap : Kind::initiate, "conn", "net"}});
  }
  // Nothing is started again while the daemon stops.
  CHECK(actions.on_event(installed(1, "net"), c, true).empty());
  CHECK(actions.on_event(ChildSaDeleted{1, "conn", "net", 7, 8, ChildDeleteCause::peer}, c, true).empty());
}

TEST_CASE("a rekey's duplicate closed by the peer leaves the child up", "[engine-trap]") {
  const auto c = actions_config(config::ChildAction::none, config::ChildAction::start, config::DpdAction::clear);
  daemon::ConnectionActions actions;
  (void)actions.on_event(installed(1, "net"), c, false);
  (void)actions.on_event(installed(1, "net"), c, false);
  CHECK(actions.on_event(ChildSaDeleted{1, "conn", "net", 5, 6, ChildDeleteCause::peer}, c, false).empty());
  CHECK(actions.on_event(ChildSaDeleted{1, "conn", "net", 7, 8, ChildDeleteCause::peer}, c, false).size() == 1);
}

TEST_CASE("dpd_action answers a dead peer with the children its IKE SA carried", "[engine-trap]") {
  const auto dpd = GENERATE(config::DpdAction::clear, config::DpdAction::trap, config::DpdAction::restart);
  const auto c = actions_config(config::ChildAction::none, config::ChildAction::none, dpd);
  daemon::ConnectionActions actions;
  (void)actions.on_event(IkeSaEstablished{1, "conn", IkeRole::initiator, {}, {}, {}, {}, {}, {}}, c, false);
  (void)actions.on_event(installed(1, "other"), c, false);
  (void)actions.on_event(installed(1, "net"), c, false);
  // A rekey moves them to the new IKE SA (§2.18).
  (void)actions.on_event(IkeSaRekeyed{1, 2, "conn", {}}, c, false);
  // remove_sa's events: the children go with the IKE SA, then the failure.
  CHECK(actions.on_event(ChildSaDeleted{2, "conn", "net", 1, 2, ChildDeleteCause::ike_sa_gone}, c, false).empty());
  CHECK(actions.on_event(ChildSaDeleted{2, "conn", "other", 3, 4, ChildDeleteCause::ike_sa_gone}, c, false).empty());
  const auto requests = actions.on_event(
      IkeSaFailed{2, "conn", IkeRole::initiator, {FailureReason::peer_unreachable, std::nullopt, "gone"}}, c, false);
  if (dpd == config::DpdAction::clear) {
    CHECK(requests.empty());
  } else {
    const auto kind = dpd == config::DpdAction::trap ? Kind::trap : Kind::initiate;
    // In configuration order.
    CHECK(requests == std::vector<daemon::ChildRequest>{{kind, "conn", "net"}, {kind, "conn", "other"}});
  }
}

TEST_CASE("dpd_action is not applied to a negotiation that failed or an SA that ended otherwise", "[engine-trap]") {
  const auto c = actions_config(config::ChildAction::none, config::ChildAction::none, config::DpdAction::restart);
  daemon::ConnectionActions actions;
  // Never established: IKE_SA_INIT went unanswered.
  CHECK(actions
            .on_event(IkeSaFailed{1, "conn", IkeRole::initiator, {FailureReason::peer_unreachable, std::nullopt, ""}},
                      c, false)
            .empty());
  (void)actions.on_event(IkeSaEstablished{2, "conn", IkeRole::initiator, {}, {}, {}, {}, {}, {}}, c, false);
  (void)actions.on_event(installed(2, "net"), c, false);
  CHECK(actions
            .on_event(IkeSaFailed{2, "conn", IkeRole::initiator, {FailureReason::authentication_failed, std::nullopt, ""}},
                      c, false)
            .empty());
  (void)actions.on_event(IkeSaEstablished{3, "conn", IkeRole::initiator, {}, {}, {}, {}, {}, {}}, c, false);
  (void)actions.on_event(installed(3, "net"), c, false);
  CHECK(actions.on_event(IkeSaDeleted{3, "conn", false}, c, false).empty());
  CHECK(actions
            .on_event(IkeSaFailed{3, "conn", IkeRole::initiator, {FailureReason::peer_unreachable, std::nullopt, ""}},
                      c, false)
            .empty());
}

}  // namespace ipsecd::test
