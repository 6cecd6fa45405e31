// Test support for CREATE_CHILD_SA: two engines whose nonces can be scripted (for the lowest-nonce rule),
// message-by-message delivery for collision orderings, and checks of the final SA sets and kernel state.
#pragma once

#include "engine_harness.h"

#include "daemon/ike/message_codec.h"

#include <botan/chacha_rng.h>
#include <botan/rng.h>

#include <catch2/catch.hpp>

#include <deque>
#include <set>

namespace ipsecd::test {

// Nonces are the engine's only draws of exactly kRekeyNonceSize bytes.
constexpr size_t kRekeyNonceSize = 40;

// Seeded ChaCha output, except that the next nonces can be set by the test.
class NonceScriptRng : public Botan::RandomNumberGenerator {
 public:
  explicit NonceScriptRng(uint8_t seed) : inner_(crypto::SecureBytes(32, seed)) {}
  void randomize(uint8_t output[], size_t length) override {
    if (length == kRekeyNonceSize && !nonces.empty()) {
      std::copy(nonces.front().begin(), nonces.front().end(), output);
      nonces.pop_front();
      return;
    }
    inner_.randomize(output, length);
  }
  bool accepts_input() const override { return false; }
  void add_entropy(const uint8_t[], size_t) override {}
  std::string name() const override { return "NonceScript"; }
  void clear() override {}
  bool is_seeded() const override { return true; }

  std::deque<crypto::Bytes> nonces;

 private:
  Botan::ChaCha_RNG inner_;
};

inline crypto::Bytes nonce_of(uint8_t byte) { return crypto::Bytes(kRekeyNonceSize, byte); }

struct RekeySide {
  RekeySide(const ManualClock& clock, uint8_t seed, uint32_t first_spi)
      : rng(seed), sink(clock), kernel(first_spi) {}
  NonceScriptRng rng;
  QueueSink sink;
  RecordingKernelPort kernel;
  RecordingEvents events;
  std::unique_ptr<Engine> engine;

  std::vector<IkeSaSummary> sas() const { return engine->ike_sas(); }
  // The one IKE SA, or the test fails.
  IkeSaSummary only_sa() const {
    auto all = sas();
    REQUIRE(all.size() == 1);
    return all.front();
  }
  std::vector<ChildSaSummary> children() const {
    std::vector<ChildSaSummary> out;
    for (const auto& s : sas()) out.insert(out.end(), s.child_sas.begin(), s.child_sas.end());
    return out;
  }
};

inline EngineSettings rekey_settings() {
  EngineSettings s;
  s.nonce_size = kRekeyNonceSize;
  return s;
}

// Initiator `a` at 192.0.2.1, responder `b` at 192.0.2.2, connections with children "net" and "net2".
struct RekeyPair {
  ManualClock clock;
  RekeySide a{clock, 0xa1, 0xa0000001};
  RekeySide b{clock, 0xb2, 0xb0000001};
  std::function<int(const Datagram&, bool from_a)> filter;

  RekeyPair(ConnectionConfig config_a, ConnectionConfig config_b,
            EngineSettings settings = rekey_settings()) {
    a.engine = std::make_unique<Engine>(settings, std::vector<ConnectionConfig>{std::move(config_a)},
                                        EnginePorts{clock, a.rng, a.sink, a.kernel, a.events});
    b.engine = std::make_unique<Engine>(settings, std::vector<ConnectionConfig>{std::move(config_b)},
                                        EnginePorts{clock, b.rng, b.sink, b.kernel, b.events});
  }

  RekeySide& other(RekeySide& side) { return &side == &a ? b : a; }

  // Delivers the `index`-th queued datagram of `from` (and takes it off the queue).
  void deliver(RekeySide& from, size_t index = 0) {
    REQUIRE(index < from.sink.queue.size());
    Datagram d = from.sink.queue[index];
    from.sink.queue.erase(from.sink.queue.begin() + static_cast<std::ptrdiff_t>(index));
    const int copies = filter ? filter(d, &from == &a) : 1;
    for (int i = 0; i < copies; ++i) other(from).engine->handle_datagram(d.remote, d.local, d.bytes);
  }
  // Drops the `index`-th queued datagram of `from`.
  void drop(RekeySide& from, size_t index = 0) {
    REQUIRE(index < from.sink.queue.size());
    from.sink.queue.erase(from.sink.queue.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void pump() {
    for (int rounds = 0; rounds < 1000; ++rounds) {
      RekeySide* from = !a.sink.queue.empty() ? &a : !b.sink.queue.empty() ? &b : nullptr;
      if (from == nullptr) return;
      deliver(*from);
    }
    FAIL("engines did not settle");
  }

  void run_until(TimePoint t) { run_engines_until(*this, t); }
  // Follows both engines' deadlines up to `limit`.
  void run_timers_until(TimePoint limit) { follow_engine_deadlines(*this, limit); }

  void establish() {
    REQUIRE(a.engine->initiate("conn", "net"));
    pump();
    REQUIRE(a.events.of<ChildSaInstalled>().size() == 1);
    REQUIRE(b.events.of<ChildSaInstalled>().size() == 1);
  }
};

// Both sides hold exactly `count` CHILD_SAs, all in use, paired crosswise by SPI, and the kernel holds
// exactly their SAs (with matching keys), no larval SPI, and for each child its policies under its reqid.
inline void require_settled_children(RekeyPair& pair, size_t count, size_t policies_per_child = 3) {
  const auto ca = pair.a.children();
  const auto cb = pair.b.children();
  REQUIRE(ca.size() == count);
  REQUIRE(cb.size() == count);
  for (const auto& c : ca) {
    CHECK(c.state == ChildSaState::installed);
    auto peer =
        std::find_if(cb.begin(), cb.end(), [&](const ChildSaSummary& p) { return p.spi_in == c.spi_out; });
    REQUIRE(peer != cb.end());
    CHECK(peer->spi_out == c.spi_in);
    CHECK(peer->name == c.name);
    CHECK(peer->state == ChildSaState::installed);
  }
  for (auto* side : {&pair.a, &pair.b}) {
    const auto children = side->children();
    CHECK(side->kernel.larval.empty());
    REQUIRE(side->kernel.sas.size() == 2 * count);
    std::set<uint32_t> reqids;
    for (const auto& c : children) {
      const KernelSa* in = side->kernel.find_sa(c.spi_in);
      const KernelSa* out = side->kernel.find_sa(c.spi_out);
      REQUIRE(in != nullptr);
      REQUIRE(out != nullptr);
      CHECK(in->inbound);
      CHECK(!out->inbound);
      CHECK(in->reqid == c.reqid);
      CHECK(out->reqid == c.reqid);
      reqids.insert(c.reqid);
    }
    CHECK(reqids.size() == count);
    CHECK(side->kernel.policies.size() == policies_per_child * count);
    for (const auto& p : side->kernel.policies) CHECK(reqids.count(p.reqid) == 1);
  }
  // Keys match crosswise: our outbound SA is the peer's inbound one.
  for (const auto& [key, sa] : pair.a.kernel.sas) {
    const KernelSa* peer = pair.b.kernel.find_sa(sa.id.spi);
    REQUIRE(peer != nullptr);
    CHECK(peer->inbound != sa.inbound);
    CHECK(peer->encryption_key == sa.encryption_key);
    CHECK(peer->integrity_key == sa.integrity_key);
  }
}

// Both sides hold exactly one IKE SA, established, with the same SPIs.
inline void require_one_ike_sa(RekeyPair& pair) {
  const auto a = pair.a.only_sa();
  const auto b = pair.b.only_sa();
  CHECK(a.state == IkeSaState::established);
  CHECK(b.state == IkeSaState::established);
  CHECK(a.spi_i == b.spi_i);
  CHECK(a.spi_r == b.spi_r);
}

// A further child `name` with one ESP proposal.
inline ChildConfig extra_child(const char* name, const char* local_ts, const char* remote_ts,
                               const char* esp = "aes128gcm16") {
  ChildConfig child;
  child.name = name;
  child.local_ts = selectors(local_ts);
  child.remote_ts = selectors(remote_ts);
  child.esp_proposals = {proposal(esp, iana::SecurityProtocolId::ESP)};
  child.lifetime = {3240, 3600, 0, 0};
  return child;
}

// The PSK initiator and responder with children "net" and "net2", as the CREATE_CHILD_SA tests use them.
inline ConnectionConfig two_child_initiator(const char* esp = "aes128gcm16", const char* esp2 = "aes128gcm16") {
  auto c = psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org",
                          "aes128gcm16-prfsha256-x25519", esp);
  c.children.push_back(extra_child("net2", "10.3.0.0/16", "10.4.0.0/16", esp2));
  return c;
}

inline ConnectionConfig two_child_responder(const char* esp = "aes128gcm16", const char* esp2 = "aes128gcm16") {
  auto c = psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org", "initiator@example.org",
                          "aes128gcm16-prfsha256-x25519", esp, "10.2.0.0/16", "10.1.0.0/16");
  c.children.push_back(extra_child("net2", "10.4.0.0/16", "10.3.0.0/16", esp2));
  return c;
}

// The inbound SPI of `side`'s installed child `child`.
inline uint32_t spi_in_of(const RekeySide& side, const char* child = "net") {
  for (const auto& c : side.children()) {
    if (c.name == child && c.state == ChildSaState::installed) return c.spi_in;
  }
  FAIL("no installed child " << child);
  return 0;
}

inline iana::ExchangeType exchange_of(const Datagram& d) {
  return ike::decode_message(d.bytes).value().message.header.exchange;
}

}  // namespace ipsecd::test
