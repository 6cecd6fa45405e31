// Starting a test's helper process (a daemon, a monitor, ping) in a network namespace, output to a file.
#pragma once

#include <sys/types.h>

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

}  // namespace ipsecd::test
