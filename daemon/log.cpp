// Log lines on stderr: journal priority prefixes under systemd, timestamps and level names otherwise.
#include "daemon/log.h"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace ipsecd::daemon {

bool stderr_goes_to_systemd() {
  if (const char* notify = std::getenv("NOTIFY_SOCKET"); notify != nullptr && *notify != '\0') return true;
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  // "DEVICE:INODE" in decimal, as systemd.exec(5) documents.
  const std::string expected = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  return expected == stream;
}

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return 7;
    case LogLevel::info: return 6;
    case LogLevel::notice: return 5;
    case LogLevel::warning: return 4;
    case LogLevel::error: return 3;
  }
  return 6;
}

void Log::write(LogLevel level, std::string_view text) {
  std::string line;
  if (style_ == LogStyle::journal) {
    line = fmt::format("<{}>", syslog_priority(level));
  } else {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&seconds, &local);
    std::array<char, 32> stamp{};
    std::strftime(stamp.data(), stamp.size(), "%Y-%m-%d %H:%M:%S", &local);
    line = fmt::format("{}.{:03} {}: ", stamp.data(), millis, config::name(level));
  }
  for (const char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace ipsecd::daemon
