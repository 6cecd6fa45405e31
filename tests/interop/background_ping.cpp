// BackgroundPing: fork + exec of nsenter/ping with its output in a file, SIGINT to end it, summary parsing.
#include "tests/interop/background_ping.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace ipsecd::test {

using namespace std::chrono_literals;

BackgroundPing::BackgroundPing(const std::string& ns, const std::string& src, const std::string& dst,
                               std::string output_file)
    : output_file_(std::move(output_file)) {
  const std::vector<std::string> argv = {"nsenter", "--net=/run/netns/" + ns, "ping", "-i", "0.1", "-W", "1",
                                         "-I", src, dst};
  pid_ = fork();
  if (pid_ != 0) return;
  const int out = open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

BackgroundPing::~BackgroundPing() { stop(); }

bool BackgroundPing::stop() {
  if (pid_ <= 0) return !output_.empty();
  kill(pid_, SIGINT);
  int status = 0;
  const auto end = std::chrono::steady_clock::now() + 3s;
  while (waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() >= end) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  pid_ = -1;
  std::ifstream in(output_file_);
  std::stringstream text;
  text << in.rdbuf();
  output_ = text.str();
  static const std::regex summary(R"((\d+) packets transmitted, (\d+) packets received)");
  std::smatch m;
  if (!std::regex_search(output_, m, summary)) return false;
  sent_ = std::stoi(m[1]);
  received_ = std::stoi(m[2]);
  return true;
}

}  // namespace ipsecd::test
