// A ping that runs in the background (one request every 100 ms) while a case waits for rekeys.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace ipsecd::test {

class BackgroundPing {
 public:
  // `ping -i 0.1 -W 1 -I src dst` in namespace `ns`, its output in `output_file`.
  BackgroundPing(const std::string& ns, const std::string& src, const std::string& dst,
                 std::string output_file);
  ~BackgroundPing();
  BackgroundPing(const BackgroundPing&) = delete;
  BackgroundPing& operator=(const BackgroundPing&) = delete;

  bool running() const { return pid_ > 0; }
  // Interrupts it (ping prints its summary on SIGINT) and reads the counts; false when there was no summary.
  bool stop();
  int sent() const { return sent_; }
  int received() const { return received_; }
  const std::string& output() const { return output_; }
  // About when the request with sequence number `seq` went out: spread evenly between the start and the
  // stop (a loaded guest stretches ping's 100 ms interval).
  std::chrono::system_clock::time_point sent_at(int seq) const;
  // Sequence numbers of the requests that got no reply, but for the last one, which may have been in
  // flight when the ping was interrupted.
  std::vector<int> lost() const;

 private:
  std::string output_file_;
  std::chrono::system_clock::time_point started_, stopped_;
  pid_t pid_ = -1;
  int sent_ = 0, received_ = 0;
  std::string output_;
};

}  // namespace ipsecd::test
