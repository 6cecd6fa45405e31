// libFuzzer target: one long-lived PSK responder Engine fed each input as a datagram from a fixed peer, with
// the clock moved on by an input-derived step and on_timer run after every input, so half-open timeouts,
// cookies and retransmissions happen. An input starting with kMagic instead runs a fresh initiator Engine
// whose IKE_SA_INIT (or, by a flag, IKE_AUTH) request is mutated by the input before the responder sees it.
// Checked after every input: the live IKE SAs stay under a cap derived from the engine's half-open limits,
// and an engine with no IKE SA holds no kernel state.
#include "tests/unit/engine_harness.h"

#include <botan/chacha_rng.h>

#include <cstdlib>
#include <memory>
#include <vector>

using namespace ipsecd;
using namespace ipsecd::ikev2;

namespace {

constexpr uint8_t kMagic = 0xa5;
constexpr uint8_t kFlagReachAuth = 0x01;   // answer the initiator so it sends IKE_AUTH
constexpr uint8_t kFlagMutateAuth = 0x02;  // mutate the IKE_AUTH request rather than IKE_SA_INIT
constexpr size_t kMaxMutations = 8;
// Datagrams the magic path hands the responder per input: the IKE_SA_INIT request, its retry after a
// COOKIE or INVALID_KE_PAYLOAD, IKE_AUTH, and one spare.
constexpr size_t kMaxDeliveries = 4;

// Every input moves the clock by at least this much, so time (and with it every timeout) advances however
// the fuzzer shapes its inputs.
constexpr Duration kMinStep{100};
constexpr long long kExtraStepRangeMs = 3000;

EngineSettings fuzz_settings() {
  EngineSettings s;
  s.half_open_timeout = Duration{10000};
  s.cookie_threshold = 16;
  s.retransmit_timeout = Duration{500};
  s.retransmit_base = 2.0;
  s.retransmit_tries = 3;
  return s;
}

// The longest an IKE SA can live without a peer: half-open until the timeout, or deleting until the
// retransmissions of the Delete give up (500 + 1000 + 2000 + 4000 ms with the settings above).
constexpr Duration kMaxOrphanLife{10000};
// Without a cookie at most cookie_threshold SAs are half-open (§2.6); beyond that each admitted SA took one
// delivered datagram, and none outlives kMaxOrphanLife, over which at least kMaxOrphanLife / kMinStep
// inputs pass.
constexpr size_t kMaxLiveSas = 16 + kMaxDeliveries * static_cast<size_t>(kMaxOrphanLife / kMinStep + 1);

const ipsecd::Endpoint kResponder{test::ip("192.0.2.2"), 500};
const ipsecd::Endpoint kInitiator{test::ip("192.0.2.1"), 500};

ConnectionConfig responder_connection() {
  ConnectionConfig c = test::psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org",
                                            "initiator@example.org");
  // The proposals of the strongSwan fixtures as well, so the seed requests get past proposal selection.
  for (const char* p : {"aes256-sha256-modp2048", "aes128-sha1-prfsha1-ecp256", "aes128gcm16-prfsha256-ecp256",
                        "aes256gcm16-prfsha384-x25519", "chacha20poly1305-prfsha256-ecp384"}) {
    c.ike_proposals.push_back(test::proposal(p, iana::SecurityProtocolId::IKE));
  }
  return c;
}

ConnectionConfig initiator_connection() {
  return test::psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org");
}

// Collects what an engine sends until the harness takes it.
class Outbox : public DatagramSink {
 public:
  void send(const ipsecd::Endpoint&, const ipsecd::Endpoint&, crypto::ByteView bytes) override {
    datagrams.emplace_back(bytes.begin(), bytes.end());
  }
  void send_keepalive(const ipsecd::Endpoint&, const ipsecd::Endpoint&) override {}
  std::vector<crypto::Bytes> datagrams;
};

class Events : public EventSink {
 public:
  void on_event(const Event& event) override {
    if (const auto* up = std::get_if<IkeSaEstablished>(&event)) established.push_back(up->ike_sa);
  }
  std::vector<uint64_t> established;
};

struct Responder {
  test::ManualClock clock;
  Botan::ChaCha_RNG rng{crypto::SecureBytes(32, 0xb2)};
  Outbox outbox;
  test::RecordingKernelPort kernel{0xb0000001};
  Events events;
  Engine engine{fuzz_settings(), {responder_connection()}, EnginePorts{clock, rng, outbox, kernel, events}};
};

Responder& responder() {
  static Responder r;
  return r;
}

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ULL;
  return h;
}

// XORs the input's (offset high, offset low, value) triples into `bytes`, offsets taken modulo its size.
void mutate(crypto::Bytes& bytes, const uint8_t* triples, size_t size) {
  if (bytes.empty()) return;
  for (size_t i = 0; i + 3 <= size && i / 3 < kMaxMutations; i += 3) {
    const size_t at = ((size_t{triples[i]} << 8) | triples[i + 1]) % bytes.size();
    bytes[at] ^= triples[i + 2];
  }
}

// A fresh initiator, seeded from the input so its SPIs and nonces differ between inputs, talks to the
// long-lived responder; the input's mutations hit the chosen request on its way.
void run_initiator(Responder& r, const uint8_t* data, size_t size, uint64_t hash) {
  const uint8_t flags = size > 1 ? data[1] : 0;
  const uint8_t* triples = size > 2 ? data + 2 : data;
  const size_t triples_size = size > 2 ? size - 2 : 0;

  crypto::SecureBytes seed(32, 0);
  for (size_t i = 0; i < 8; ++i) seed[i] = static_cast<uint8_t>(hash >> (8 * i));
  Botan::ChaCha_RNG rng(seed);
  Outbox outbox;
  test::RecordingKernelPort kernel(0xa0000001);
  Events events;
  Engine initiator(fuzz_settings(), {initiator_connection()}, EnginePorts{r.clock, rng, outbox, kernel, events});
  if (!initiator.initiate("conn", "net")) std::abort();

  for (size_t delivered = 0; delivered < kMaxDeliveries && !outbox.datagrams.empty(); ++delivered) {
    std::vector<crypto::Bytes> requests = std::move(outbox.datagrams);
    outbox.datagrams.clear();
    for (auto& request : requests) {
      const bool is_auth = delivered > 0 && request.size() > 18 &&
                           request[18] == static_cast<uint8_t>(iana::ExchangeType::IKE_AUTH);
      if (is_auth == ((flags & kFlagMutateAuth) != 0)) mutate(request, triples, triples_size);
      r.engine.handle_datagram(kResponder, kInitiator, request);
    }
    if ((flags & kFlagReachAuth) == 0) break;
    std::vector<crypto::Bytes> answers = std::move(r.outbox.datagrams);
    r.outbox.datagrams.clear();
    for (const auto& answer : answers) initiator.handle_datagram(kInitiator, kResponder, answer);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Responder& r = responder();
  const uint64_t hash = fnv1a(data, size);

  if (size > 0 && data[0] == kMagic) {
    run_initiator(r, data, size, hash);
  } else {
    r.engine.handle_datagram(kResponder, kInitiator, crypto::ByteView(data, size));
  }

  // An SA a handshake completed would otherwise live on with no peer to delete it (the engine has no DPD
  // yet); terminating it sends a Delete that gives up within kMaxOrphanLife.
  for (uint64_t id : r.events.established) (void)r.engine.terminate(id);
  r.events.established.clear();

  const auto step = kMinStep + Duration{static_cast<long long>(hash % kExtraStepRangeMs)};
  r.clock.set(r.clock.now() + step);
  r.engine.on_timer(r.clock.now());
  r.outbox.datagrams.clear();

  const auto sas = r.engine.ike_sas();
  if (sas.size() > kMaxLiveSas) std::abort();
  if (sas.empty() && !r.kernel.empty()) std::abort();
  return 0;
}
