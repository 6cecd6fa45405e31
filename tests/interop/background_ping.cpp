// BackgroundPing: ping spawned in the namespace with its output in a file, SIGINT to end it, summary parsing.
#include "tests/interop/background_ping.h"

#include "tests/kernel/daemon/spawn.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace ipsecd::test {

using namespace std::chrono_literals;

BackgroundPing::BackgroundPing(const std::string& ns, const std::string& src, const std::string& dst,
                               std::string output_file)
    : output_file_(std::move(output_file)) {
  started_ = std::chrono::system_clock::now();
  pid_ = spawn_in(ns, output_file_, {"ping", "-i", "0.1", "-W", "1", "-I", src, dst}, OutputFile::truncate);
}

BackgroundPing::~BackgroundPing() { stop(); }

bool BackgroundPing::stop() {
  if (pid_ <= 0) return !output_.empty();
  stopped_ = std::chrono::system_clock::now();
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

std::chrono::system_clock::time_point BackgroundPing::sent_at(int seq) const {
  if (sent_ <= 0) return started_;
  return started_ + (stopped_ - started_) * seq / sent_;
}

std::vector<int> BackgroundPing::lost() const {
  // busybox ping: "64 bytes from 203.0.113.1: seq=7 ttl=64 time=0.512 ms" per reply.
  static const std::regex reply(R"(seq=(\d+) )");
  std::set<int> answered;
  for (auto it = std::sregex_iterator(output_.begin(), output_.end(), reply); it != std::sregex_iterator(); ++it)
    answered.insert(std::stoi((*it)[1]));
  std::vector<int> missing;
  for (int seq = 0; seq + 1 < sent_; ++seq) {
    if (!answered.count(seq)) missing.push_back(seq);
  }
  return missing;
}

}  // namespace ipsecd::test
