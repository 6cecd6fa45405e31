// A ping that runs in the background (one request every 100 ms) while a case waits for rekeys.
#pragma once

#include <sys/types.h>

#include <string>

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

 private:
  std::string output_file_;
  pid_t pid_ = -1;
  int sent_ = 0, received_ = 0;
  std::string output_;
};

}  // namespace ipsecd::test
