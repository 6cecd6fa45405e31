// Starting a test's helper process (a daemon, a monitor, ping) in a network namespace, output to a file,
// and stopping it.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ipsecd::test {

// Whether spawn_in adds to the output file or starts it afresh.
enum class OutputFile { append, truncate };

// fork + setns into /run/netns/`ns` + execvp of `argv` (argv[0] looked up in PATH unless it holds a '/'),
// stdout and stderr going to `output`; the child's pid, -1 when the fork failed. The child exits 126 when
// it cannot enter the namespace or open the file, 127 when the exec fails.
pid_t spawn_in(const std::string& ns, const std::string& output, const std::vector<std::string>& argv,
               OutputFile mode = OutputFile::append);

// Sends `sig` to our child `pid` and waits up to `limit` for it to exit; if it does not, SIGKILL and up to
// 2 s more. `pid` becomes -1. True when it exited within `limit` of `sig`.
bool stop_process(pid_t& pid, int sig = SIGTERM, std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace ipsecd::test
