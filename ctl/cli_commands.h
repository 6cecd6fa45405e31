// ipsecctl's commands: each sends one request (or subscribes), prints the answer and returns the exit code.
#pragma once

#include "ctl/protocol.h"

#include <chrono>
#include <string>

namespace ipsecd::ctl {

// ipsecctl's exit codes (PROTOCOL.md, `ipsecctl --help`).
enum ExitCode : int {
  exit_done = 0,
  exit_failed = 1,       // the daemon refused or the peer/kernel failed; the reason is printed
  exit_usage = 2,        // bad command line
  exit_unreachable = 3,  // no daemon at the socket (or no permission to use it), or the connection was lost
  exit_timeout = 4,      // a wait (or the daemon's answer) timed out
};

struct CliOptions {
  std::string socket_path{default_socket_path};
  bool json = false;
  std::chrono::milliseconds connect_timeout{5000};
  // How long a command without --wait waits for its answer.
  std::chrono::milliseconds answer_timeout{15000};
};

// The default of `up --wait` and `down --wait` without a value.
inline constexpr uint32_t default_wait_seconds = 30;

int run_version(const CliOptions& options);
// `status`, or `list` (connections only) when `connections_only`.
int run_status(const CliOptions& options, bool connections_only);
int run_up(const CliOptions& options, const UpArgs& args);
int run_down(const CliOptions& options, const DownArgs& args);
int run_reload(const CliOptions& options, const ReloadArgs& args);
// Prints events until SIGINT or SIGTERM (exit 0) or until the daemon goes away (exit 3).
int run_monitor(const CliOptions& options);

}  // namespace ipsecd::ctl
