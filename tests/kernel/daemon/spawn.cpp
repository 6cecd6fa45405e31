// spawn_in: fork, setns and exec with the child's output redirected, for the gateway and interop fixtures;
// stop_process: signal, wait, and SIGKILL what does not go.
#include "tests/kernel/daemon/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace ipsecd::test {
namespace {

// Waits up to `limit` for `pid` to exit; true when it did (reaped).
bool reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  do {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < end);
  return false;
}

}  // namespace

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

bool stop_process(pid_t& pid, int sig, std::chrono::milliseconds limit) {
  kill(pid, sig);
  const bool exited = reap(pid, limit);
  if (!exited) {
    kill(pid, SIGKILL);
    reap(pid, std::chrono::seconds(2));
  }
  pid = -1;
  return exited;
}

}  // namespace ipsecd::test
