// Namespace switching with unshare(2)/setns(2) and command execution through popen(3).
#include "tests/netns/netns_support.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ipsecd::test {

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed: " + std::string(std::strerror(errno));
    return result;
  }
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) result.output.append(chunk.data(), n);
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const std::string& ip() {
  static const std::string path = [] {
    if (const char* env = std::getenv("IPSECD_IP")) return std::string(env);
    if (access("/usr/libexec/ipsecd-vm/ip", X_OK) == 0) return std::string("/usr/libexec/ipsecd-vm/ip");
    return std::string("ip");
  }();
  return path;
}

ScopedNetns::ScopedNetns() {
  original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) {
    error_ = "cannot open /proc/self/ns/net: " + std::string(std::strerror(errno));
    return;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    error_ = "unshare(CLONE_NEWNET): " + std::string(std::strerror(errno)) + " (these tests need root)";
    return;
  }
  const auto lo = run(ip() + " link set lo up");
  if (lo.status != 0) error_ = "cannot bring lo up: " + lo.output;
}

ScopedNetns::~ScopedNetns() {
  if (original_ >= 0) {
    if (setns(original_, CLONE_NEWNET) != 0) std::abort();  // staying in a test namespace would corrupt later tests
    close(original_);
  }
}

EnterNetns::EnterNetns(const std::string& name) {
  original_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  const int target = open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
    error_ = "cannot enter network namespace " + name + ": " + std::strerror(errno);
  }
  if (target >= 0) close(target);
}

EnterNetns::~EnterNetns() {
  if (original_ >= 0) {
    if (setns(original_, CLONE_NEWNET) != 0) std::abort();
    close(original_);
  }
}

}  // namespace ipsecd::test
