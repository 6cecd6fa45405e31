// Benchmark: decode + ICV verify + decrypt + inner decode of real strongSwan IKE_AUTH requests, in
// messages per second, beside the floor of SkCipher::open alone on the same bytes.
#include "crypto/sk_cipher.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"
#include "tests/support/strongswan_fixture.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

using namespace ipsecd;

namespace {

constexpr int kRepetitions = 9;

template <typename F>
double median_rate(size_t iterations, F&& body) {
  std::vector<double> rates;
  for (int r = 0; r < kRepetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < iterations; ++i) body();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    rates.push_back(static_cast<double>(iterations) / elapsed.count());
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

void run(const std::string& name, size_t iterations) {
  const auto f = test::load_strongswan_fixture(name);
  const auto& enc = f.encrypted.front();  // the IKE_AUTH request
  const auto& msg = f.messages.at(static_cast<size_t>(enc.message_index));
  auto cipher = crypto::make_sk_cipher(
      {static_cast<iana::EncryptionAlgorithm>(f.transforms.encryption), f.transforms.encryption_key_bits,
       static_cast<iana::IntegrityAlgorithm>(f.transforms.integrity.value_or(0))},
      f.sk_ei, f.sk_ai);
  if (!cipher) std::abort();

  size_t payloads = 0;
  const double full = median_rate(iterations, [&] {
    auto decoded = ike::decode_message(msg.bytes);
    if (!decoded) std::abort();
    auto inner = ike::unprotect_message(msg.bytes, *decoded, **cipher);
    if (!inner) std::abort();
    payloads = inner->payloads.size();
  });

  const size_t body = enc.associated.size();
  const crypto::ByteView bytes(msg.bytes);
  const double floor = median_rate(iterations, [&] {
    auto plain = (*cipher)->open(bytes.first(body), bytes.subspan(body, enc.iv.size()),
                                 bytes.subspan(body + enc.iv.size()));
    if (!plain) std::abort();
  });

  fmt::print("{:<40} {:>5} B {:>2} payloads  full {:>9.0f} msg/s  open-only {:>9.0f} msg/s  ratio {:.2f}\n",
             name, msg.bytes.size(), payloads, full, floor, floor / full);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t iterations = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  fmt::print("IKE_AUTH request: decode + ICV + decrypt + inner decode (median of {} runs of {})\n",
             kRepetitions, iterations);
  for (const auto& name : test::strongswan_fixture_names()) run(name, iterations);
  return 0;
}
