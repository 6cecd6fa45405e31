// Test support for the IKEv2 engine: two engines over in-memory transports, a manual clock, seeded RNGs
// and a kernel port that records the resulting SAs and policies.
#pragma once

#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/engine.h"
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/ikev2/proposal.h"
#include "daemon/ike/ikev2/traffic_selectors.h"

#include <botan/chacha_rng.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace ipsecd::test {

using namespace ipsecd::ikev2;

class ManualClock : public TimeSource {
 public:
  TimePoint now() const override { return now_; }
  // Wall time moves with the steady time from a date inside the test PKI's validity (2025 to 2055).
  WallTimePoint system_now() const override {
    return wall_start_ + std::chrono::duration_cast<WallTimePoint::duration>(now_ - TimePoint{});
  }
  void set(TimePoint t) { now_ = t; }
  void set_wall_start(WallTimePoint t) { wall_start_ = t; }
  // Milliseconds since the clock's start, for asserting schedules.
  long long elapsed_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now_ - TimePoint{}).count();
  }

 private:
  TimePoint now_{};
  WallTimePoint wall_start_ = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
};

struct Datagram {
  ipsecd::Endpoint local;
  ipsecd::Endpoint remote;
  crypto::Bytes bytes;
  long long sent_at_ms = 0;
};

class QueueSink : public DatagramSink {
 public:
  explicit QueueSink(const ManualClock& clock) : clock_(clock) {}
  void send(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes) override {
    Datagram d{local, remote, crypto::Bytes(bytes.begin(), bytes.end()), clock_.elapsed_ms()};
    queue.push_back(d);
    log.push_back(std::move(d));
  }
  // Keepalives are recorded apart: they carry no IKE message and are never delivered.
  void send_keepalive(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote) override {
    keepalives.push_back({local, remote, crypto::Bytes{0xff}, clock_.elapsed_ms()});
  }
  std::vector<Datagram> queue;       // not yet delivered
  std::vector<Datagram> log;         // everything ever sent
  std::vector<Datagram> keepalives;  // RFC 3948 §2.3 keepalives, in order

 private:
  const ManualClock& clock_;
};

class RecordingEvents : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  template <typename T>
  std::vector<T> of() const {
    std::vector<T> out;
    for (const auto& e : events) {
      if (const auto* t = std::get_if<T>(&e)) out.push_back(*t);
    }
    return out;
  }
  std::vector<Event> events;
};

// Keeps the kernel state the engine asked for: larval SPIs, SAs by (destination, SPI), and policies.
// Duplicates and unknown entries are refused as the kernel would (EEXIST, ENOENT; update_policy, unlike
// the kernel's UPDPOLICY, needs the policy to exist, as NetlinkKernelPort does); `refuse_add_sa` makes
// every add_sa fail like a kernel without ESP.
class RecordingKernelPort : public KernelPort {
 public:
  explicit RecordingKernelPort(uint32_t first_spi) : next_spi_(first_spi) {}

  Expected<uint32_t, KernelError> allocate_spi(const SpiRequest&) override {
    const uint32_t spi = next_spi_++;
    larval.push_back(spi);
    return spi;
  }
  Expected<Ok, KernelError> add_sa(const KernelSa& sa) override {
    if (refuse_add_sa)
      return unexpected(KernelError{EPROTONOSUPPORT, "add SA: the kernel has no ESP support"});
    const auto key = key_of(sa.id);
    if (sas.count(key) != 0) return unexpected(KernelError{EEXIST, "add SA: exists"});
    if (sa.inbound) {
      auto it = std::find(larval.begin(), larval.end(), sa.id.spi);
      if (it == larval.end()) return unexpected(KernelError{ENOENT, "inbound SA without an allocated SPI"});
      larval.erase(it);
    }
    sas.emplace(key, sa);
    return Ok{};
  }
  Expected<Ok, KernelError> delete_sa(const KernelSaId& id) override {
    if (sas.erase(key_of(id)) != 0) return Ok{};
    auto it = std::find(larval.begin(), larval.end(), id.spi);
    if (it != larval.end()) {
      larval.erase(it);
      return Ok{};
    }
    return unexpected(KernelError{ESRCH, "delete SA: no such SA"});
  }
  Expected<Ok, KernelError> update_sa(const KernelSaId& old_id, const KernelSa& sa) override {
    auto it = sas.find(key_of(old_id));
    if (it == sas.end()) return unexpected(KernelError{ESRCH, "update SA: no such SA"});
    sas.erase(it);
    sas.emplace(key_of(sa.id), sa);
    ++updates;
    return Ok{};
  }
  Expected<Ok, KernelError> add_policy(const KernelPolicy& policy) override {
    for (const auto& p : policies) {
      if (p.src == policy.src && p.dst == policy.dst && p.direction == policy.direction) {
        return unexpected(KernelError{EEXIST, "add policy: exists"});
      }
    }
    policies.push_back(policy);
    ++policy_adds;
    return Ok{};
  }
  // As XFRM_MSG_UPDPOLICY through NetlinkKernelPort: the entry with these selectors and direction takes the
  // new template in place; without one it fails.
  Expected<Ok, KernelError> update_policy(const KernelPolicy& policy) override {
    auto it = std::find_if(policies.begin(), policies.end(), [&](const KernelPolicy& p) {
      return p.src == policy.src && p.dst == policy.dst && p.direction == policy.direction;
    });
    if (it == policies.end()) return unexpected(KernelError{ENOENT, "update policy: no such policy"});
    *it = policy;
    ++policy_updates;
    return Ok{};
  }
  Expected<Ok, KernelError> delete_policy(const KernelPolicyId& id) override {
    auto it = std::find_if(policies.begin(), policies.end(), [&](const KernelPolicy& p) {
      return p.src == id.src && p.dst == id.dst && p.direction == id.direction;
    });
    if (it == policies.end()) return unexpected(KernelError{ENOENT, "delete policy: no such policy"});
    policies.erase(it);
    ++policy_deletes;
    return Ok{};
  }
  Expected<IpAddress, KernelError> source_address_for(const IpAddress&) override {
    if (!route_source) return unexpected(KernelError{ENETUNREACH, "route: no route to the peer"});
    return *route_source;
  }

  bool empty() const { return larval.empty() && sas.empty() && policies.empty(); }
  const KernelSa* find_sa(uint32_t spi) const {
    for (const auto& [key, sa] : sas) {
      if (sa.id.spi == spi) return &sa;
    }
    return nullptr;
  }
  size_t count_policies(PolicyDirection direction) const {
    return static_cast<size_t>(std::count_if(
        policies.begin(), policies.end(), [&](const KernelPolicy& p) { return p.direction == direction; }));
  }

  std::vector<uint32_t> larval;
  std::map<std::tuple<IpAddress, uint32_t, iana::SecurityProtocolId>, KernelSa> sas;
  std::vector<KernelPolicy> policies;
  bool refuse_add_sa = false;
  std::optional<IpAddress> route_source;  // what source_address_for answers; none: no route
  size_t updates = 0;  // update_sa calls that succeeded
  // add_policy, update_policy and delete_policy calls that succeeded
  size_t policy_adds = 0;
  size_t policy_updates = 0;
  size_t policy_deletes = 0;

 private:
  static std::tuple<IpAddress, uint32_t, iana::SecurityProtocolId> key_of(const KernelSaId& id) {
    return {id.dst, id.spi, id.protocol};
  }
  uint32_t next_spi_;
};

inline IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

inline ProposalConfig proposal(const char* text, iana::SecurityProtocolId protocol) {
  auto p = parse_proposal(text, protocol);
  if (!p) throw std::runtime_error("bad test proposal " + std::string(text) + ": " + p.error());
  return *p;
}

inline std::vector<SelectorConfig> selectors(const char* text) {
  auto s = parse_selectors(text);
  if (!s) throw std::runtime_error("bad test selectors " + std::string(text) + ": " + s.error());
  return *s;
}

inline Identity identity(const char* text) { return parse_identity(text).value(); }

inline crypto::SecureBytes secret(const char* text) {
  return crypto::SecureBytes(text, text + std::char_traits<char>::length(text));
}

// A PSK connection between `local` and `remote` with one tunnel-mode child "net".
inline ConnectionConfig psk_connection(const char* local, const char* remote, const char* local_id,
                                       const char* remote_id,
                                       const char* ike = "aes128gcm16-prfsha256-x25519",
                                       const char* esp = "aes128gcm16", const char* local_ts = "10.1.0.0/16",
                                       const char* remote_ts = "10.2.0.0/16") {
  ConnectionConfig c;
  c.name = "conn";
  c.local_address = ip(local);
  c.remote_address = ip(remote);
  c.ike_proposals = {proposal(ike, iana::SecurityProtocolId::IKE)};
  c.local_id = identity(local_id);
  c.remote_id = identity(remote_id);
  c.local_auth.psk = secret("correct horse battery staple");
  c.remote_auth.psk = secret("correct horse battery staple");
  ChildConfig child;
  child.name = "net";
  child.local_ts = selectors(local_ts);
  child.remote_ts = selectors(remote_ts);
  child.esp_proposals = {proposal(esp, iana::SecurityProtocolId::ESP)};
  child.lifetime = {3240, 3600, 0, 0};
  c.children.push_back(std::move(child));
  return c;
}

// The PSK pair most engine tests start from: initiator 192.0.2.1 and responder 192.0.2.2, child "net".
inline ConnectionConfig psk_initiator() {
  return psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org");
}
inline ConnectionConfig psk_responder() {
  return psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org", "initiator@example.org",
                        "aes128gcm16-prfsha256-x25519", "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16");
}

struct Side {
  Side(const ManualClock& clock, uint8_t seed, uint32_t first_spi, const char* address)
      : rng(crypto::SecureBytes(32, seed)), sink(clock), kernel(first_spi), endpoint{ip(address), 500} {}

  Botan::ChaCha_RNG rng;
  QueueSink sink;
  RecordingKernelPort kernel;
  RecordingEvents events;
  ipsecd::Endpoint endpoint;
  std::unique_ptr<Engine> engine;

  void start(const ManualClock& clock, EngineSettings settings, std::vector<ConnectionConfig> connections) {
    engine = std::make_unique<Engine>(settings, std::move(connections),
                                      EnginePorts{clock, rng, sink, kernel, events});
  }
};

// Initiator `a` at 192.0.2.1 and responder `b` at 192.0.2.2, one clock. `filter` sees every datagram
// before delivery and says how often to deliver it (0 drops it, 2 duplicates it).
// Timer driving shared by the two-engine fixtures (EnginePair, RekeyPair, the NAT test's network): `Net`
// has a ManualClock `clock`, sides `a` and `b` holding an `engine`, and pump() delivering what is queued.
template <typename Net>
void run_engines_until(Net& net, TimePoint t) {
  net.clock.set(t);
  net.a.engine->on_timer(t);
  net.b.engine->on_timer(t);
  net.pump();
}

// Follows both engines' next_deadline() up to `limit`, never moving the clock back, then sets it there.
template <typename Net>
void follow_engine_deadlines(Net& net, TimePoint limit) {
  for (int steps = 0; steps < 10000; ++steps) {
    std::optional<TimePoint> next;
    for (const auto* engine : {net.a.engine.get(), net.b.engine.get()}) {
      auto due = engine->next_deadline();
      if (due && (!next || *due < *next)) next = due;
    }
    if (!next || *next > limit) break;
    net.run_until(std::max(*next, net.clock.now()));
  }
  net.clock.set(limit);
}

struct EnginePair {
  ManualClock clock;
  Side a{clock, 0xa1, 0xa0000001, "192.0.2.1"};
  Side b{clock, 0xb2, 0xb0000001, "192.0.2.2"};
  std::function<int(const Datagram&, bool from_a)> filter;

  // `settings_b`, when given, configures the responder differently from the initiator.
  EnginePair(ConnectionConfig config_a, ConnectionConfig config_b, EngineSettings settings = {},
             std::optional<EngineSettings> settings_b = std::nullopt) {
    a.start(clock, settings, {std::move(config_a)});
    b.start(clock, settings_b.value_or(settings), {std::move(config_b)});
  }

  // Delivers queued datagrams, in order, until both queues are empty.
  void pump() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      Side* from = !a.sink.queue.empty() ? &a : !b.sink.queue.empty() ? &b : nullptr;
      if (from == nullptr) return;
      Datagram d = from->sink.queue.front();
      from->sink.queue.erase(from->sink.queue.begin());
      Side& to = from == &a ? b : a;
      const int copies = filter ? filter(d, from == &a) : 1;
      for (int i = 0; i < copies; ++i) to.engine->handle_datagram(d.remote, d.local, d.bytes);
    }
    throw std::runtime_error("engines did not settle");
  }

  // Moves the clock to `t`, runs both engines' timers and delivers what they sent.
  void run_until(TimePoint t) { run_engines_until(*this, t); }
  // Follows next_deadline() until nothing is due before `limit`.
  void run_timers_until(TimePoint limit) { follow_engine_deadlines(*this, limit); }

  uint64_t initiate() {
    auto id = a.engine->initiate("conn", "net");
    if (!id) throw std::runtime_error(id.error());
    pump();
    return *id;
  }
};

}  // namespace ipsecd::test
