// Benchmark: XFRM policy and SA install rates through netlink/ against `ip -batch` doing the same work,
// in a private network namespace. Policies run anywhere; SAs need ESP (run it in the kernel VM, see
// bench_xfrm_install.sh), where only the ratio means anything.
// Usage: bench_xfrm_install policies|sas [COUNT] [REPETITIONS]
#include "netlink/kernel_algorithms.h"
#include "netlink/policy_priority.h"
#include "netlink/xfrm.h"

#include <fmt/format.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

using namespace ipsecd;
using namespace ipsecd::netlink;

namespace {

std::string ip_path() {
  if (access("/usr/libexec/ipsecd-vm/ip", X_OK) == 0) return "/usr/libexec/ipsecd-vm/ip";
  return "ip";
}

double median_seconds(int repetitions, const std::function<bool()>& run, const std::function<void()>& reset) {
  std::vector<double> times;
  for (int i = 0; i < repetitions; ++i) {
    reset();
    const auto start = std::chrono::steady_clock::now();
    if (!run()) return -1;
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Entry i: distinct by destination host and UDP port, all TEST-NET.
Selector selector_of(int i) {
  return {*Prefix::parse("192.0.2.1/32"), *Prefix::parse(fmt::format("198.51.100.{}/32", i % 250 + 1)), 17, 0,
          static_cast<uint16_t>(1000 + i / 250)};
}

constexpr uint32_t kReqid = kIpsecdReqids.first + 5;
const char* const kKeyHex = "0x00112233445566778899aabbccddeeff01020304";

SaSpec sa_of(int i) {
  SaSpec sa;
  sa.src = *IpAddress::parse("192.0.2.1");
  sa.dst = *IpAddress::parse("192.0.2.2");
  sa.spi = 0x10000 + static_cast<uint32_t>(i);
  sa.reqid = kReqid;
  SecretBytes key(20);
  for (size_t b = 0; b < key.size(); ++b) key[b] = static_cast<uint8_t>(b * 0x11);
  (void)set_esp_algorithms(sa, ipsecd::iana::EncryptionAlgorithm::ENCR_AES_GCM_16, key,
                           ipsecd::iana::IntegrityAlgorithm::NONE, {});
  return sa;
}

std::string batch_file(const std::string& kind, int count) {
  const std::string path = fmt::format("/tmp/bench_xfrm_install.{}.{}", kind, getpid());
  std::ofstream out(path);
  for (int i = 0; i < count; ++i) {
    if (kind == "policies") {
      const auto s = selector_of(i);
      out << fmt::format("xfrm policy add src {} dst {} proto 17 dport {} dir out priority {} tmpl proto esp reqid "
                         "{} mode transport\n",
                         s.src.to_string(), s.dst.to_string(), s.dst_port, policy_priority(s), kReqid);
    } else {
      out << fmt::format("xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi {:#x} reqid {} mode transport "
                         "aead rfc4106(gcm(aes)) {} 128\n",
                         0x10000 + i, kReqid, kKeyHex);
    }
  }
  return path;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string kind = argc > 1 ? argv[1] : "policies";
  const int count = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int repetitions = argc > 3 ? std::atoi(argv[3]) : 5;
  if ((kind != "policies" && kind != "sas") || count <= 0 || count > 60000 || repetitions <= 0) {
    std::fprintf(stderr, "usage: bench_xfrm_install policies|sas [COUNT<=60000] [REPETITIONS]\n");
    return 2;
  }
  // A private namespace: nothing touches the SPD/SAD the machine runs with.
  if (unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET) (run as root)");
    return 2;
  }
  auto xfrm = Xfrm::open();
  if (!xfrm) {
    std::fprintf(stderr, "%s\n", xfrm.error().message.c_str());
    return 1;
  }
  const std::string ip = ip_path();
  const std::string flush = ip + (kind == "policies" ? " xfrm policy flush" : " xfrm state flush");
  auto reset = [&] { (void)std::system(flush.c_str()); };

  std::string error;
  const double library = median_seconds(
      repetitions,
      [&] {
        for (int i = 0; i < count; ++i) {
          ipsecd::Expected<ipsecd::Ok, KernelError> r = ipsecd::Ok{};
          if (kind == "policies") {
            PolicySpec p;
            p.selector = selector_of(i);
            p.templates = bundle_templates(true, false, IpsecMode::Transport, {}, {}, kReqid);
            r = xfrm->add_policy(p);
          } else {
            r = xfrm->add_sa(sa_of(i));
          }
          if (!r) {
            error = r.error().message;
            return false;
          }
        }
        return true;
      },
      reset);
  if (library < 0) {
    std::fprintf(stderr, "library install failed: %s\n", error.c_str());
    return 1;
  }
  const std::string batch = batch_file(kind, count);
  const std::string command = ip + " -batch " + batch;
  const double iproute = median_seconds(repetitions, [&] { return std::system(command.c_str()) == 0; }, reset);
  std::remove(batch.c_str());
  if (iproute < 0) {
    std::fprintf(stderr, "ip -batch failed\n");
    return 1;
  }
  reset();
  std::printf("%s: %d entries, median of %d runs\n", kind.c_str(), count, repetitions);
  std::printf("  netlink/    %8.1f ms  %10.0f entries/s\n", library * 1e3, count / library);
  std::printf("  ip -batch   %8.1f ms  %10.0f entries/s\n", iproute * 1e3, count / iproute);
  std::printf("  ratio (netlink/ rate / ip -batch rate): %.2f\n", iproute / library);
  if (const char* results = std::getenv("IPSECD_VM_RESULTS")) {
    if (FILE* f = std::fopen(results, "a")) {
      std::fprintf(f, "RESULT bench_xfrm_install/%s PASS\n", kind.c_str());
      std::fclose(f);
    }
  }
  return 0;
}
