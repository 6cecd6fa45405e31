// Test support for real-kernel tests: throwaway network namespaces and running iproute2 as an independent reader.
#pragma once

#include <string>

namespace ipsecd::test {

struct CommandResult {
  int status = -1;     // exit status, -1 if it did not exit normally
  std::string output;  // stdout and stderr
};

// Runs `command` with /bin/sh in the calling thread's network namespace.
CommandResult run(const std::string& command);

// iproute2's `ip`: the harness copy inside the kernel VM (busybox's applet shadows it there), else from PATH.
const std::string& ip();

// Moves this process into a fresh, unnamed network namespace (loopback up) and back to the original one
// when destroyed; the throwaway namespace dies with its last socket, so nothing outlives the test.
class ScopedNetns {
 public:
  ScopedNetns();
  ~ScopedNetns();
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  // Empty when the namespace is in place; else why not (not root, no CAP_SYS_ADMIN).
  const std::string& error() const { return error_; }

 private:
  int original_ = -1;
  std::string error_;
};

// Enters the named namespace /run/netns/NAME (made by `ip netns add`) until destroyed. Sockets opened
// meanwhile stay in that namespace after leaving it.
class EnterNetns {
 public:
  explicit EnterNetns(const std::string& name);
  ~EnterNetns();
  EnterNetns(const EnterNetns&) = delete;
  EnterNetns& operator=(const EnterNetns&) = delete;
  const std::string& error() const { return error_; }

 private:
  int original_ = -1;
  std::string error_;
};

}  // namespace ipsecd::test
