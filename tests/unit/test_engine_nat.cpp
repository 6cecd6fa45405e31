// IKEv2 engine NAT traversal (RFC 7296 §2.23, RFC 3948): two engines with simulated NATs between them;
// detection, the float to 4500, UDP-encapsulated kernel SAs, following a NAT mapping change, keepalives.
#include "engine_harness.h"

#include "daemon/ike/message_codec.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>

using namespace ipsecd;
using namespace ipsecd::test;
using namespace std::chrono_literals;

namespace {

// A NAPT box: datagrams from the inside get the public address and a port of its choosing, remembered
// per inside port; answers to that public port go back in, anything else from outside is dropped unless
// `port_forwarding` sends ports 500 and 4500 to the inside host (a responder behind a NAT).
struct Nat {
  IpAddress public_address;
  IpAddress inside_address;
  bool port_forwarding = false;
  uint16_t next_port = 40000;
  std::map<uint16_t, uint16_t> outbound{};  // inside port -> public port
  std::map<uint16_t, uint16_t> inbound{};   // public port -> inside port

  Endpoint translate_out(const Endpoint& inside) {
    auto it = outbound.find(inside.port);
    if (it == outbound.end()) {
      const uint16_t port = port_forwarding ? inside.port : next_port++;
      it = outbound.emplace(inside.port, port).first;
      inbound[port] = inside.port;
    }
    return {public_address, it->second};
  }
  std::optional<Endpoint> translate_in(const Endpoint& outside) const {
    auto it = inbound.find(outside.port);
    if (it != inbound.end()) return Endpoint{inside_address, it->second};
    if (port_forwarding && (outside.port == 500 || outside.port == 4500)) {
      return Endpoint{inside_address, outside.port};
    }
    return std::nullopt;
  }
  // The box forgets its mappings (a reboot, an idle timeout): the next datagrams get new public ports.
  void forget() {
    outbound.clear();
    inbound.clear();
  }
};

constexpr const char* kInitiatorPrivate = "198.51.100.10";
constexpr const char* kInitiatorNat = "203.0.113.1";
constexpr const char* kResponderPrivate = "198.51.100.20";
constexpr const char* kResponderNat = "203.0.113.2";

ChildConfig second_child(const ChildConfig& first, const char* local_ts, const char* remote_ts) {
  ChildConfig c = first;
  c.name = "net2";
  c.local_ts = selectors(local_ts);
  c.remote_ts = selectors(remote_ts);
  return c;
}

// Initiator `a` and responder `b` with an optional NAT in front of each. The responder accepts any peer
// address, as one must when the initiator's public address is not known in advance.
struct NatNetwork {
  ManualClock clock;
  bool nat_a;
  bool nat_b;
  Side a;
  Side b;
  std::optional<Nat> box_a;
  std::optional<Nat> box_b;
  // Says whether to drop a datagram before it reaches any NAT.
  std::function<bool(const Datagram&, bool from_a)> drop;
  std::vector<Datagram> arrived_at_a;  // as delivered: local = a's endpoint, remote = the source seen
  std::vector<Datagram> arrived_at_b;

  NatNetwork(bool behind_nat_a, bool behind_nat_b, const std::function<void(ConnectionConfig&)>& tune_a = {},
             const std::function<void(ConnectionConfig&)>& tune_b = {})
      : nat_a(behind_nat_a),
        nat_b(behind_nat_b),
        a(clock, 0xa1, 0xa0000001, behind_nat_a ? kInitiatorPrivate : "192.0.2.1"),
        b(clock, 0xb2, 0xb0000001, behind_nat_b ? kResponderPrivate : "192.0.2.2") {
    if (nat_a) box_a = Nat{ip(kInitiatorNat), ip(kInitiatorPrivate), false};
    if (nat_b) box_b = Nat{ip(kResponderNat), ip(kResponderPrivate), true};
    ConnectionConfig ca = psk_connection(nat_a ? kInitiatorPrivate : "192.0.2.1",
                                         nat_b ? kResponderNat : "192.0.2.2", "initiator@example.org",
                                         "@responder.example.org");
    ConnectionConfig cb = psk_connection(nat_b ? kResponderPrivate : "192.0.2.2", "192.0.2.1",
                                         "@responder.example.org", "initiator@example.org",
                                         "aes128gcm16-prfsha256-x25519", "aes128gcm16", "10.2.0.0/16",
                                         "10.1.0.0/16");
    cb.remote_address.reset();
    // A second child, so that a request can be made through a NAT's new mapping once the first is up.
    ca.children.push_back(second_child(ca.children.front(), "10.3.0.0/16", "10.4.0.0/16"));
    cb.children.push_back(second_child(cb.children.front(), "10.4.0.0/16", "10.3.0.0/16"));
    if (tune_a) tune_a(ca);
    if (tune_b) tune_b(cb);
    a.start(clock, {}, {std::move(ca)});
    b.start(clock, {}, {std::move(cb)});
  }

  void deliver(const Datagram& d, bool from_a) {
    if (drop && drop(d, from_a)) return;
    Endpoint source = d.local;
    Endpoint destination = d.remote;
    std::optional<Nat>& outgoing = from_a ? box_a : box_b;
    std::optional<Nat>& incoming = from_a ? box_b : box_a;
    if (outgoing) source = outgoing->translate_out(source);
    if (incoming && destination.address == incoming->public_address) {
      auto inside = incoming->translate_in(destination);
      if (!inside) return;
      destination = *inside;
    }
    Side& to = from_a ? b : a;
    if (destination.address != to.endpoint.address) return;
    (from_a ? arrived_at_b : arrived_at_a).push_back({destination, source, d.bytes, clock.elapsed_ms()});
    to.engine->handle_datagram(destination, source, d.bytes);
  }

  void pump() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      Side* from = !a.sink.queue.empty() ? &a : !b.sink.queue.empty() ? &b : nullptr;
      if (from == nullptr) return;
      Datagram d = from->sink.queue.front();
      from->sink.queue.erase(from->sink.queue.begin());
      deliver(d, from == &a);
    }
    FAIL("engines did not settle");
  }

  void run_until(TimePoint t) { run_engines_until(*this, t); }
  void run_timers_until(TimePoint limit) { follow_engine_deadlines(*this, limit); }

  void initiate() {
    REQUIRE(a.engine->initiate("conn", "net"));
    pump();
    REQUIRE(a.events.of<IkeSaEstablished>().size() == 1);
    REQUIRE(b.events.of<IkeSaEstablished>().size() == 1);
    REQUIRE(a.events.of<ChildSaInstalled>().size() == 1);
    REQUIRE(b.events.of<ChildSaInstalled>().size() == 1);
  }

  IkeSaSummary sa_of(const Side& side) const {
    auto sas = side.engine->ike_sas();
    REQUIRE(sas.size() == 1);
    return sas.front();
  }
};

ike::Header header(const Datagram& d) { return ike::decode_message(d.bytes).value().message.header; }

std::vector<Datagram> of_exchange(const std::vector<Datagram>& log, iana::ExchangeType exchange) {
  std::vector<Datagram> out;
  for (const auto& d : log) {
    if (header(d).exchange == exchange) out.push_back(d);
  }
  return out;
}

const KernelSa& kernel_sa(const Side& side, uint32_t spi) {
  const KernelSa* sa = side.kernel.find_sa(spi);
  REQUIRE(sa != nullptr);
  return *sa;
}

// The first CHILD_SA's inbound and outbound kernel SAs of `side`.
std::pair<const KernelSa*, const KernelSa*> first_child_sas(const Side& side) {
  const auto child = side.events.of<ChildSaInstalled>().front();
  return {&kernel_sa(side, child.spi_in), &kernel_sa(side, child.spi_out)};
}

Endpoint endpoint(const char* address, uint16_t port) { return {ip(address), port}; }

}  // namespace

TEST_CASE("Without a NAT the IKE SA stays on port 500 and ESP is not encapsulated", "[unit][engine-nat]") {
  NatNetwork net(false, false);
  net.initiate();
  const auto up_a = net.a.events.of<IkeSaEstablished>().front();
  const auto up_b = net.b.events.of<IkeSaEstablished>().front();
  CHECK(up_a.nat == NatSituation{});
  CHECK(up_b.nat == NatSituation{});
  CHECK(up_a.local == endpoint("192.0.2.1", 500));
  CHECK(up_a.remote == endpoint("192.0.2.2", 500));
  for (const auto& d : of_exchange(net.a.sink.log, iana::ExchangeType::IKE_AUTH)) {
    CHECK(d.local.port == 500);
    CHECK(d.remote.port == 500);
  }
  for (const Side* side : {&net.a, &net.b}) {
    REQUIRE(side->kernel.sas.size() == 2);
    for (const auto& [key, sa] : side->kernel.sas) CHECK_FALSE(sa.encapsulation.has_value());
  }
  net.run_timers_until(net.clock.now() + 120s);
  CHECK(net.a.sink.keepalives.empty());
  CHECK(net.b.sink.keepalives.empty());
}

TEST_CASE("A NAT in front of the initiator moves IKE_AUTH to 4500 and encapsulates ESP", "[unit][engine-nat]") {
  NatNetwork net(true, false);
  net.initiate();
  const auto up_a = net.a.events.of<IkeSaEstablished>().front();
  const auto up_b = net.b.events.of<IkeSaEstablished>().front();
  CHECK(up_a.nat.local_behind_nat);
  CHECK_FALSE(up_a.nat.remote_behind_nat);
  CHECK_FALSE(up_b.nat.local_behind_nat);
  CHECK(up_b.nat.remote_behind_nat);
  CHECK_FALSE(up_a.nat.forced);

  // IKE_SA_INIT on 500, IKE_AUTH from the initiator's 4500 to the responder's 4500.
  const auto init = of_exchange(net.a.sink.log, iana::ExchangeType::IKE_SA_INIT);
  REQUIRE(init.size() == 1);
  CHECK(init.front().local == endpoint(kInitiatorPrivate, 500));
  const auto auth = of_exchange(net.a.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(auth.size() == 1);
  CHECK(auth.front().local == endpoint(kInitiatorPrivate, 4500));
  CHECK(auth.front().remote == endpoint("192.0.2.2", 4500));

  // The responder answers from its 4500 to the NAT's mapping of the initiator's 4500.
  const Endpoint mapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  CHECK(mapped.port != 4500);
  CHECK(mapped.port != net.box_a->translate_out(endpoint(kInitiatorPrivate, 500)).port);
  const auto answers = of_exchange(net.b.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(answers.size() == 1);
  CHECK(answers.front().local == endpoint("192.0.2.2", 4500));
  CHECK(answers.front().remote == mapped);
  CHECK(up_b.remote == mapped);
  CHECK(up_b.local == endpoint("192.0.2.2", 4500));

  const auto [in_a, out_a] = first_child_sas(net.a);
  REQUIRE(in_a->encapsulation);
  REQUIRE(out_a->encapsulation);
  CHECK(*out_a->encapsulation == UdpEncapsulation{4500, 4500});
  CHECK(*in_a->encapsulation == UdpEncapsulation{4500, 4500});
  const auto [in_b, out_b] = first_child_sas(net.b);
  REQUIRE(in_b->encapsulation);
  REQUIRE(out_b->encapsulation);
  CHECK(*out_b->encapsulation == UdpEncapsulation{4500, mapped.port});
  CHECK(*in_b->encapsulation == UdpEncapsulation{mapped.port, 4500});
  CHECK(out_b->id.dst == ip(kInitiatorNat));
  for (const auto& p : net.b.kernel.policies) {
    if (p.direction == PolicyDirection::out) CHECK(p.tunnel_dst == ip(kInitiatorNat));
  }
}

TEST_CASE("A NAT in front of the responder is detected on both sides and the responder keeps the mapping open",
          "[unit][engine-nat]") {
  NatNetwork net(false, true);
  net.initiate();
  const auto up_a = net.a.events.of<IkeSaEstablished>().front();
  const auto up_b = net.b.events.of<IkeSaEstablished>().front();
  CHECK_FALSE(up_a.nat.local_behind_nat);
  CHECK(up_a.nat.remote_behind_nat);
  CHECK(up_b.nat.local_behind_nat);
  CHECK_FALSE(up_b.nat.remote_behind_nat);
  CHECK(up_a.remote == endpoint(kResponderNat, 4500));
  CHECK(up_b.local == endpoint(kResponderPrivate, 4500));
  CHECK(up_b.remote == endpoint("192.0.2.1", 4500));

  const auto [in_a, out_a] = first_child_sas(net.a);
  REQUIRE(out_a->encapsulation);
  CHECK(*out_a->encapsulation == UdpEncapsulation{4500, 4500});
  CHECK(out_a->id.dst == ip(kResponderNat));
  const auto [in_b, out_b] = first_child_sas(net.b);
  REQUIRE(in_b->encapsulation);
  CHECK(*in_b->encapsulation == UdpEncapsulation{4500, 4500});
  CHECK(in_b->id.dst == ip(kResponderPrivate));

  net.run_timers_until(net.clock.now() + 21s);
  CHECK(net.a.sink.keepalives.empty());
  REQUIRE(net.b.sink.keepalives.size() == 1);
  CHECK(net.b.sink.keepalives.front().local == endpoint(kResponderPrivate, 4500));
  CHECK(net.b.sink.keepalives.front().remote == endpoint("192.0.2.1", 4500));
  CHECK(net.b.sink.keepalives.front().bytes == crypto::Bytes{0xff});
}

TEST_CASE("NATs in front of both peers make both send keepalives and neither follows the other",
          "[unit][engine-nat]") {
  NatNetwork net(true, true);
  net.initiate();
  const auto up_a = net.a.events.of<IkeSaEstablished>().front();
  const auto up_b = net.b.events.of<IkeSaEstablished>().front();
  CHECK(up_a.nat.local_behind_nat);
  CHECK(up_a.nat.remote_behind_nat);
  CHECK(up_b.nat.local_behind_nat);
  CHECK(up_b.nat.remote_behind_nat);
  const Endpoint mapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  CHECK(up_b.remote == mapped);
  const auto [in_b, out_b] = first_child_sas(net.b);
  REQUIRE(out_b->encapsulation);
  CHECK(*out_b->encapsulation == UdpEncapsulation{4500, mapped.port});

  // The initiator's NAT forgets its mapping; a new request comes from a new port. The responder, behind a
  // NAT itself, answers it where it came from but keeps the IKE SA and the kernel SAs where they were
  // (§2.23: a host behind a NAT SHOULD NOT update).
  net.box_a->forget();
  REQUIRE(net.a.engine->initiate("conn", "net2"));
  net.pump();
  REQUIRE(net.a.events.of<ChildSaInstalled>().size() == 2);
  const Endpoint remapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  REQUIRE(remapped.port != mapped.port);
  const auto answers = of_exchange(net.b.sink.log, iana::ExchangeType::CREATE_CHILD_SA);
  REQUIRE(answers.size() == 1);
  CHECK(answers.front().remote == remapped);
  CHECK(net.sa_of(net.b).remote == mapped);
  CHECK(net.b.kernel.updates == 0);

  net.run_timers_until(net.clock.now() + 21s);
  CHECK(net.a.sink.keepalives.size() == 1);
  CHECK(net.b.sink.keepalives.size() == 1);
}

TEST_CASE("Forced encapsulation without a NAT floats to 4500 and the peer encapsulates too",
          "[unit][engine-nat]") {
  NatNetwork net(false, false, [](ConnectionConfig& c) { c.force_encapsulation = true; });
  net.initiate();
  const auto up_a = net.a.events.of<IkeSaEstablished>().front();
  const auto up_b = net.b.events.of<IkeSaEstablished>().front();
  CHECK(up_a.nat == NatSituation{false, false, true});
  // The faked NAT_DETECTION_SOURCE_IP makes the responder see the initiator behind a NAT.
  CHECK(up_b.nat == NatSituation{false, true, false});
  CHECK(up_a.local == endpoint("192.0.2.1", 4500));
  CHECK(up_a.remote == endpoint("192.0.2.2", 4500));
  CHECK(up_b.remote == endpoint("192.0.2.1", 4500));
  for (const Side* side : {&net.a, &net.b}) {
    REQUIRE(side->kernel.sas.size() == 2);
    for (const auto& [key, sa] : side->kernel.sas) {
      REQUIRE(sa.encapsulation);
      CHECK(*sa.encapsulation == UdpEncapsulation{4500, 4500});
    }
  }
  // Nobody is really behind a NAT: no keepalives.
  net.run_timers_until(net.clock.now() + 120s);
  CHECK(net.a.sink.keepalives.empty());
  CHECK(net.b.sink.keepalives.empty());
}

TEST_CASE("A connection configured on port 4500 starts there and still detects the NAT", "[unit][engine-nat]") {
  NatNetwork net(
      true, false,
      [](ConnectionConfig& c) {
        c.local_port = 4500;
        c.remote_port = 4500;
      },
      [](ConnectionConfig& c) { c.local_port = 4500; });
  net.initiate();
  const auto init = of_exchange(net.a.sink.log, iana::ExchangeType::IKE_SA_INIT);
  REQUIRE(init.size() == 1);
  CHECK(init.front().local == endpoint(kInitiatorPrivate, 4500));
  CHECK(init.front().remote == endpoint("192.0.2.2", 4500));
  CHECK(net.a.events.of<IkeSaEstablished>().front().nat.local_behind_nat);
  const Endpoint mapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  const auto [in_b, out_b] = first_child_sas(net.b);
  REQUIRE(out_b->encapsulation);
  CHECK(*out_b->encapsulation == UdpEncapsulation{4500, mapped.port});
}

TEST_CASE("A NAT mapping change moves the responder's IKE SA and the CHILD_SAs' encapsulation",
          "[unit][engine-nat]") {
  NatNetwork net(true, false);
  net.initiate();
  const Endpoint mapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  const auto child_b = net.b.events.of<ChildSaInstalled>().front();
  CHECK(kernel_sa(net.b, child_b.spi_out).encapsulation == UdpEncapsulation{4500, mapped.port});

  net.box_a->forget();
  net.clock.set(net.clock.now() + 5s);
  REQUIRE(net.a.engine->initiate("conn", "net2"));  // a CREATE_CHILD_SA request through the new mapping
  net.pump();
  REQUIRE(net.b.events.of<ChildSaInstalled>().size() == 2);
  const Endpoint remapped = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  REQUIRE(remapped.port != mapped.port);

  CHECK(net.sa_of(net.b).remote == remapped);
  CHECK(net.b.kernel.updates == 2);
  const KernelSa& out = kernel_sa(net.b, child_b.spi_out);
  const KernelSa& in = kernel_sa(net.b, child_b.spi_in);
  CHECK(out.encapsulation == UdpEncapsulation{4500, remapped.port});
  CHECK(in.encapsulation == UdpEncapsulation{remapped.port, 4500});
  CHECK(out.id.dst == ip(kInitiatorNat));
  // The keys did not change: the SA is the same one, moved.
  CHECK(out.encryption_key == kernel_sa(net.a, child_b.spi_out).encryption_key);
  // The second child is installed with the new ports, and the initiator's side moved nothing.
  const auto second = net.b.events.of<ChildSaInstalled>().back();
  CHECK(kernel_sa(net.b, second.spi_out).encapsulation == UdpEncapsulation{4500, remapped.port});
  CHECK(net.a.kernel.updates == 0);
  // Later requests of the responder go to the new mapping.
  REQUIRE(net.b.engine->rekey_child(child_b.spi_in));
  net.pump();
  const auto rekeys = of_exchange(net.b.sink.log, iana::ExchangeType::CREATE_CHILD_SA);
  REQUIRE_FALSE(rekeys.empty());
  CHECK(rekeys.back().remote == remapped);
  CHECK(net.b.events.of<ChildSaRekeyed>().size() == 1);
}

TEST_CASE("A NAT that changes its public address moves the outbound SA and the tunnel policies",
          "[unit][engine-nat]") {
  NatNetwork net(true, false);
  net.initiate();
  const auto child_b = net.b.events.of<ChildSaInstalled>().front();
  net.box_a->forget();
  net.box_a->public_address = ip("203.0.113.99");
  REQUIRE(net.a.engine->initiate("conn", "net2"));
  net.pump();
  REQUIRE(net.b.events.of<ChildSaInstalled>().size() == 2);
  CHECK(net.sa_of(net.b).remote.address == ip("203.0.113.99"));
  const KernelSa& out = kernel_sa(net.b, child_b.spi_out);
  CHECK(out.id.dst == ip("203.0.113.99"));
  CHECK(kernel_sa(net.b, child_b.spi_in).id.src == ip("203.0.113.99"));
  for (const auto& p : net.b.kernel.policies) {
    if (p.direction == PolicyDirection::out) CHECK(p.tunnel_dst == ip("203.0.113.99"));
    if (p.direction != PolicyDirection::out) CHECK(p.tunnel_src == ip("203.0.113.99"));
  }
  // Deleting the IKE SA still finds every kernel entry.
  REQUIRE(net.b.engine->terminate(net.sa_of(net.b).unique_id));
  net.pump();
  CHECK(net.b.kernel.empty());
  CHECK(net.a.kernel.empty());
}

TEST_CASE("Keepalives go out only from the NAT-ed side and only after nat_keepalive without sending",
          "[unit][engine-nat]") {
  // No liveness checks: their INFORMATIONALs would also count as sending and move the keepalive times.
  const auto no_liveness = [](ConnectionConfig& c) { c.dpd_delay = 0s; };
  NatNetwork net(true, false, no_liveness, no_liveness);
  net.initiate();
  const TimePoint start = net.clock.now();
  net.run_timers_until(start + 19s);
  CHECK(net.a.sink.keepalives.empty());
  net.run_timers_until(start + 20s);
  REQUIRE(net.a.sink.keepalives.size() == 1);
  CHECK(net.a.sink.keepalives.front().sent_at_ms == net.clock.elapsed_ms());
  CHECK(net.a.sink.keepalives.front().local == endpoint(kInitiatorPrivate, 4500));
  CHECK(net.a.sink.keepalives.front().remote == endpoint("192.0.2.2", 4500));

  // IKE traffic to the peer at 30 s resets the idle time: the next keepalive is due at 50 s, not 40 s.
  net.run_timers_until(start + 30s);
  REQUIRE(net.a.engine->initiate("conn", "net2"));
  net.pump();
  net.run_timers_until(start + 49s);
  CHECK(net.a.sink.keepalives.size() == 1);
  net.run_timers_until(start + 50s);
  REQUIRE(net.a.sink.keepalives.size() == 2);
  CHECK(net.a.sink.keepalives.back().sent_at_ms - net.a.sink.keepalives.front().sent_at_ms == 30000);
  net.run_timers_until(start + 90s);
  CHECK(net.a.sink.keepalives.size() == 4);
  CHECK(net.b.sink.keepalives.empty());
}

TEST_CASE("nat_keepalive 0 sends no keepalives behind a NAT", "[unit][engine-nat]") {
  NatNetwork net(true, false, [](ConnectionConfig& c) { c.nat_keepalive = 0s; });
  net.initiate();
  net.run_timers_until(net.clock.now() + 300s);
  CHECK(net.a.sink.keepalives.empty());
}

TEST_CASE("A retransmitted IKE_AUTH after the float is answered through the NAT's new mapping",
          "[unit][engine-nat]") {
  NatNetwork net(true, false);
  bool dropped = false;
  net.drop = [&](const Datagram& d, bool from_a) {
    if (from_a || dropped || header(d).exchange != iana::ExchangeType::IKE_AUTH) return false;
    dropped = true;
    return true;
  };
  REQUIRE(net.a.engine->initiate("conn", "net"));
  net.pump();
  REQUIRE(dropped);
  REQUIRE(net.b.events.of<IkeSaEstablished>().size() == 1);
  REQUIRE(net.a.events.of<IkeSaEstablished>().empty());
  const Endpoint first = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));

  // The NAT loses the mapping before the initiator retransmits from its 4500.
  net.box_a->forget();
  net.run_timers_until(net.clock.now() + 2s);
  REQUIRE(net.a.events.of<IkeSaEstablished>().size() == 1);
  const Endpoint second = net.box_a->translate_out(endpoint(kInitiatorPrivate, 4500));
  REQUIRE(second.port != first.port);
  CHECK(net.b.engine->counters().retransmitted_responses == 1);
  const auto requests = of_exchange(net.a.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(requests.size() == 2);
  CHECK(requests.back().local == endpoint(kInitiatorPrivate, 4500));
  CHECK(requests.back().remote == endpoint("192.0.2.2", 4500));
  const auto answers = of_exchange(net.b.sink.log, iana::ExchangeType::IKE_AUTH);
  REQUIRE(answers.size() == 2);
  CHECK(answers.back().remote == second);
  // A retransmission is no new message: the IKE SA stays with the mapping of the original request.
  CHECK(net.sa_of(net.b).remote == first);
}
