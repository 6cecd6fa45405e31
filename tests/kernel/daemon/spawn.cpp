// spawn_in: fork, setns and exec with the child's output redirected, for the gateway and interop fixtures.
#include "tests/kernel/daemon/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace ipsecd::test {

pid_t spawn_in(const std::string& ns, const std::string& output, const std::vector<std::string>& argv,
               OutputFile mode) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int netns = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (netns < 0 || setns(netns, CLONE_NEWNET) != 0) _exit(126);
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (mode == OutputFile::append ? O_APPEND : O_TRUNC);
  const int out = open(output.c_str(), flags, 0600);
  if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

}  // namespace ipsecd::test
