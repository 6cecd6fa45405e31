// The built ipsecd binary run inside named network namespaces for the daemon tests: two namespaces joined
// by veth, daemons started with a TOML file, their logs read back, signals sent, exit codes collected.
#pragma once

#include "tests/netns/netns_support.h"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace ipsecd::test {

// Path of the ipsecd executable under test (a compile definition of netns_tests).
const char* ipsecd_binary();

// Namespaces ipsecd-dm-a (192.0.2.1/24) and ipsecd-dm-b (192.0.2.2/24) joined by veth; deleted again by
// the destructor, and before creation in case a killed run left them.
class DaemonNamespaces {
 public:
  static constexpr const char* kA = "ipsecd-dm-a";
  static constexpr const char* kB = "ipsecd-dm-b";
  DaemonNamespaces();
  ~DaemonNamespaces();
  DaemonNamespaces(const DaemonNamespaces&) = delete;
  DaemonNamespaces& operator=(const DaemonNamespaces&) = delete;
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

// A scratch directory for configuration files, removed with its contents by the destructor.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

// `ipsecd --foreground --log-level debug --config FILE` in a namespace, stdout and stderr into a log
// file. The destructor kills it (SIGKILL) when it still runs.
class DaemonProcess {
 public:
  DaemonProcess(const std::string& network_namespace, const std::string& config_file, const std::string& log_file);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  std::string log() const;
  // True once the log holds `text`; false when `limit` passed first or the process exited.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds limit);
  void signal(int signal_number) const;
  // The exit status once the process has ended within `limit` (-1 when killed by a signal).
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  bool running();

 private:
  pid_t pid_ = -1;
  std::string log_file_;
  std::optional<int> status_;
};

}  // namespace ipsecd::test
