// Benchmark: full IKEv2 handshakes (IKE_SA_INIT + IKE_AUTH + first CHILD_SA into a recording kernel port)
// between two engines in one process, per second and in CPU per IKE SA, beside the crypto floor measured in
// the same run: X25519 keygen + agree for both sides, plus two signatures and two verifications for
// certificate authentication. Floor and handshake batches alternate, and each handshake batch is divided
// by the floor batch just before it, so a change in the machine's load or clock between batches weighs on
// both sides of a ratio alike.
#include "crypto/key_exchange.h"
#include "crypto/signature.h"
#include "crypto/x509_load.h"
#include "tests/unit/engine_harness.h"

#include <botan/chacha_rng.h>
#include <botan/pk_keys.h>
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace ipsecd;
using namespace ipsecd::ikev2;

namespace {

using Seconds = std::chrono::duration<double>;

// CPU time of this thread (the benchmark is single-threaded), in nanoseconds, unlike getrusage's
// microseconds: one handshake is a few hundred microseconds.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

[[noreturn]] void fail(const std::string& why) {
  fmt::print(stderr, "bench_handshake: {}\n", why);
  std::exit(1);
}

struct Datagram {
  ipsecd::Endpoint local;
  ipsecd::Endpoint remote;
  crypto::Bytes bytes;
};

class Outbox : public DatagramSink {
 public:
  void send(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes) override {
    queue.push_back({local, remote, crypto::Bytes(bytes.begin(), bytes.end())});
  }
  // The benchmarked peers see no NAT, so no keepalive is ever due.
  void send_keepalive(const ipsecd::Endpoint&, const ipsecd::Endpoint&) override {}
  std::vector<Datagram> queue;
};

class CountingEvents : public EventSink {
 public:
  void on_event(const Event& event) override {
    if (std::holds_alternative<IkeSaEstablished>(event)) ++established;
    if (std::holds_alternative<ChildSaInstalled>(event)) ++children;
    if (const auto* f = std::get_if<IkeSaFailed>(&event)) failure = f->failure.detail;
  }
  size_t established = 0;
  size_t children = 0;
  std::string failure;
};

struct Party {
  Party(uint8_t seed, uint32_t first_spi) : rng(crypto::SecureBytes(32, seed)), kernel(first_spi) {}
  Botan::ChaCha_RNG rng;
  Outbox outbox;
  test::RecordingKernelPort kernel;
  CountingEvents events;
  std::unique_ptr<Engine> engine;
};

struct Scenario {
  std::string name;
  ConnectionConfig initiator;
  ConnectionConfig responder;
  // One side's authentication cost beyond the key exchange (sign + verify), zero for PSK.
  std::function<void()> auth_floor;
};

struct Timing {
  double handshake = 0;  // wall seconds per full handshake, both engines
  double responder = 0;  // wall seconds per handshake inside the responder's handle_datagram
  double cpu = 0;        // CPU seconds per full handshake
};

// Delivers what the two parties sent, in order, until neither has anything left; returns the wall time
// spent in b's handle_datagram.
Seconds deliver(Party& a, Party& b) {
  Seconds in_b{0};
  while (!a.outbox.queue.empty() || !b.outbox.queue.empty()) {
    const bool from_a = !a.outbox.queue.empty();
    Party& from = from_a ? a : b;
    Party& to = from_a ? b : a;
    const Datagram d = std::move(from.outbox.queue.front());
    from.outbox.queue.erase(from.outbox.queue.begin());
    const auto before = std::chrono::steady_clock::now();
    to.engine->handle_datagram(d.remote, d.local, d.bytes);
    if (from_a) in_b += std::chrono::steady_clock::now() - before;
  }
  return in_b;
}

// One handshake: initiate() and every datagram until both sides are quiet; returns the IKE SA's id. Not
// inlined, so that a profile (bench/README.md, callgrind) shows the timed part as one function.
[[gnu::noinline]] uint64_t handshake(Party& a, Party& b, Seconds& in_responder) {
  const auto id = a.engine->initiate("conn", "net");
  if (!id) fail("initiate failed");
  in_responder += deliver(a, b);
  return *id;
}

// `count` handshakes between a fresh pair of engines. Timed is each handshake from initiate() to the last
// datagram handled; the Delete exchange that then ends the IKE SA (so the next initiate() makes a new one
// rather than a CHILD_SA on it, and both kernel ports are empty again) is not.
Timing run_batch(const Scenario& s, size_t count) {
  test::ManualClock clock;
  Party a(0xa1, 0xa0000001);
  Party b(0xb2, 0xb0000001);
  a.engine = std::make_unique<Engine>(EngineSettings{}, std::vector<ConnectionConfig>{s.initiator},
                                      EnginePorts{clock, a.rng, a.outbox, a.kernel, a.events});
  b.engine = std::make_unique<Engine>(EngineSettings{}, std::vector<ConnectionConfig>{s.responder},
                                      EnginePorts{clock, b.rng, b.outbox, b.kernel, b.events});
  Seconds total{0};
  Seconds in_responder{0};
  double cpu = 0;
  for (size_t i = 0; i < count; ++i) {
    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    const uint64_t id = handshake(a, b, in_responder);
    total += std::chrono::steady_clock::now() - start;
    cpu += cpu_seconds() - cpu_start;
    (void)a.engine->terminate(id);
    deliver(a, b);
    if (!a.kernel.empty() || !b.kernel.empty()) fail(s.name + ": the Delete left kernel state behind");
  }
  for (Party* p : {&a, &b}) {
    if (p->events.established != count || p->events.children != count) {
      fail(fmt::format("{}: {} of {} IKE SAs and {} CHILD_SAs up ({})", s.name, p->events.established, count,
                       p->events.children, p->events.failure));
    }
  }
  const auto n = static_cast<double>(count);
  return {total.count() / n, in_responder.count() / n, cpu / n};
}

struct Cost {
  double wall = 0;  // seconds per call
  double cpu = 0;   // CPU seconds per call
};

// Wall and CPU seconds per call of `body`, over `count` calls.
Cost floor_cost(size_t count, const std::function<void()>& body) {
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) body();
  const Seconds elapsed = std::chrono::steady_clock::now() - start;
  const auto n = static_cast<double>(count);
  return {elapsed.count() / n, (cpu_seconds() - cpu_start) / n};
}

// X25519 for both sides: two key pairs and two agreements, what every handshake must compute.
void x25519_pair(Botan::RandomNumberGenerator& rng) {
  auto i = crypto::make_key_exchange(iana::KeyExchangeMethod::CURVE25519, rng);
  auto r = crypto::make_key_exchange(iana::KeyExchangeMethod::CURVE25519, rng);
  if (!i || !r) fail("X25519 key generation failed");
  if (!(*i)->shared_secret((*r)->public_value()) || !(*r)->shared_secret((*i)->public_value())) {
    fail("X25519 agreement failed");
  }
}

std::string pki(const std::string& name) { return std::string(IPSECD_FIXTURES_DIR) + "/pki/" + name; }

Botan::X509_Certificate certificate(const std::string& name) {
  auto certs = crypto::load_certificates(pki(name + ".pem"));
  if (!certs || certs->empty()) fail("cannot load " + name);
  return certs->front();
}

std::shared_ptr<const Botan::Private_Key> private_key(const std::string& name) {
  auto key = crypto::load_private_key(pki(name + ".key.pem"));
  if (!key) fail("cannot load key " + name + ": " + key.error());
  return std::shared_ptr<const Botan::Private_Key>(std::move(*key));
}

// Both sides prove themselves with `ee` (sent with the intermediate) and trust only the root CA.
void use_certificate(ConnectionConfig& c, const std::string& ee) {
  auto store = std::make_shared<crypto::TrustStore>();
  if (!store->add_ca(certificate("root-ca"))) fail("root CA refused");
  c.local_auth = {};
  c.local_auth.method = AuthMethod::pubkey;
  c.local_auth.certificates = {certificate(ee), certificate("intermediate-ca")};
  c.local_auth.private_key = private_key(ee);
  c.remote_auth = {};
  c.remote_auth.method = AuthMethod::pubkey;
  c.remote_auth.trust = std::make_shared<crypto::ValidatedKeyCache>(std::move(store), 16);
}

ConnectionConfig initiator_config(const char* local_id, const char* remote_id) {
  auto c = test::psk_connection("192.0.2.1", "192.0.2.2", local_id, remote_id);
  c.send_initial_contact = false;  // each handshake adds an IKE SA rather than replacing the last
  return c;
}

ConnectionConfig responder_config(const char* local_id, const char* remote_id) {
  return test::psk_connection("192.0.2.2", "192.0.2.1", local_id, remote_id, "aes128gcm16-prfsha256-x25519",
                              "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16");
}

Scenario psk_scenario() {
  return {"PSK", initiator_config("initiator@example.org", "@responder.example.org"),
          responder_config("@responder.example.org", "initiator@example.org"), nullptr};
}

// One signature in `scheme` over a message the size of IKE's signed octets, and its verification.
Scenario cert_scenario(const std::string& name, const std::string& ee, const char* id_i, const char* id_r,
                       crypto::SignatureScheme scheme) {
  Scenario s{name, initiator_config(id_i, id_r), responder_config(id_r, id_i), nullptr};
  use_certificate(s.initiator, ee);
  use_certificate(s.responder, ee);
  auto key = private_key(ee);
  auto rng = std::make_shared<Botan::ChaCha_RNG>(crypto::SecureBytes(32, 0x3c));
  const crypto::Bytes octets(600, 0x42);
  const std::vector<iana::HashAlgorithm> hashes{iana::HashAlgorithm::SHA2_256, iana::HashAlgorithm::IDENTITY};
  s.auth_floor = [key, rng, octets, hashes, scheme] {
    auto sig = crypto::sign_auth_data(iana::AuthenticationMethod::DIGITAL_SIGNATURE, *key, scheme, octets, *rng);
    if (!sig) fail("sign failed: " + sig.error());
    if (!crypto::verify_auth_data(iana::AuthenticationMethod::DIGITAL_SIGNATURE, *key, *sig, octets, hashes)) {
      fail("verify failed");
    }
  };
  return s;
}

struct Sample {
  Timing handshake;
  Cost floor;
};

// `runs` pairs of a floor batch and a handshake batch of `count` each.
void run(const Scenario& s, size_t count, int runs) {
  Botan::ChaCha_RNG rng(crypto::SecureBytes(32, 0x5a));
  std::vector<Sample> samples;
  for (int r = 0; r < runs; ++r) {
    const Cost kx = floor_cost(count, [&] { x25519_pair(rng); });
    const Cost auth = s.auth_floor ? floor_cost(std::max<size_t>(count / 4, 4), s.auth_floor) : Cost{};
    samples.push_back({run_batch(s, count), {kx.wall + 2 * auth.wall, kx.cpu + 2 * auth.cpu}});
  }
  const auto of = [&](auto figure) {
    std::vector<double> values;
    for (const Sample& sample : samples) values.push_back(figure(sample));
    return values;
  };
  const auto wall_ratio = of([](const Sample& x) { return x.handshake.handshake / x.floor.wall; });
  const auto cpu_ratio = of([](const Sample& x) { return x.handshake.cpu / x.floor.cpu; });
  const auto [wall_low, wall_high] = std::minmax_element(wall_ratio.begin(), wall_ratio.end());
  const auto [cpu_low, cpu_high] = std::minmax_element(cpu_ratio.begin(), cpu_ratio.end());
  const double responder = median(of([](const Sample& x) { return x.handshake.responder; }));
  fmt::print("{:<8} handshake {:>6.0f} us wall, {:>6.0f} us CPU  in responder {:>6.0f} us ({:>5.0f}/s)"
             "  floor {:>6.0f} us wall, {:>6.0f} us CPU  ratio {:.3f} wall ({:.2f}-{:.2f}), {:.3f} CPU "
             "({:.2f}-{:.2f})\n",
             s.name, median(of([](const Sample& x) { return x.handshake.handshake; })) * 1e6,
             median(of([](const Sample& x) { return x.handshake.cpu; })) * 1e6, responder * 1e6, 1 / responder,
             median(of([](const Sample& x) { return x.floor.wall; })) * 1e6,
             median(of([](const Sample& x) { return x.floor.cpu; })) * 1e6, median(wall_ratio), *wall_low,
             *wall_high, median(cpu_ratio), *cpu_low, *cpu_high);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200;
  const std::string only = argc > 2 && std::string(argv[2]) != "all" ? argv[2] : "";
  const long runs = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 7;
  if (count == 0 || runs < 1 || runs > 1000 ||
      (!only.empty() && only != "psk" && only != "rsa" && only != "ed25519")) {
    fail("usage: bench_handshake [HANDSHAKES_PER_RUN] [all|psk|rsa|ed25519] [RUNS]");
  }
  fmt::print("IKE_SA_INIT + IKE_AUTH + first CHILD_SA, IKE aes128gcm16-prfsha256-x25519, ESP aes128gcm16, "
             "both engines in one process; {} runs of {} handshakes, each after a floor batch of as many; "
             "medians, and the ratio handshake / floor as the median (range) of the runs' ratios\n",
             runs, count);
  const int n = static_cast<int>(runs);
  if (only.empty() || only == "psk") run(psk_scenario(), count, n);
  if (only.empty() || only == "rsa") {
    run(cert_scenario("RSA-2048", "ee-rsa", "rsa@example.com", "rsa.example.com",
                      crypto::SignatureScheme::RSA_PKCS1_SHA256),
        std::max<size_t>(count / 10, 5), n);
  }
  if (only.empty() || only == "ed25519") {
    run(cert_scenario("Ed25519", "ee-ed25519", "198.51.100.10", "ed25519.example.com",
                      crypto::SignatureScheme::ED25519),
        count, n);
  }
  return 0;
}
