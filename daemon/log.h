// The daemon's log: one line per event on stderr, with sd-daemon priority prefixes when systemd reads it.
#pragma once

#include "daemon/config/daemon_config.h"

#include <fmt/format.h>

#include <cstdio>
#include <string_view>

namespace ipsecd::daemon {

using config::LogLevel;

// How lines are dressed. journal: "<5>text" (sd-daemon(3)), since the journal adds time and unit itself.
// plain: "2024-05-01 12:00:00.123 notice: text", for a person reading a terminal.
enum class LogStyle : uint8_t { plain, journal };

// True when stderr is the journal stream systemd set up (JOURNAL_STREAM names its device and inode,
// systemd.exec(5)) or systemd waits for our readiness notification (NOTIFY_SOCKET).
bool stderr_goes_to_systemd();

class Log {
 public:
  Log(std::FILE* out, LogStyle style, LogLevel threshold) : out_(out), style_(style), threshold_(threshold) {}

  void set_threshold(LogLevel threshold) { threshold_ = threshold; }
  LogLevel threshold() const { return threshold_; }
  bool enabled(LogLevel level) const { return level >= threshold_; }

  // Writes one line (a newline inside `text` is replaced, so a line stays one event).
  void write(LogLevel level, std::string_view text);

  template <typename... Args>
  void log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
    if (enabled(level)) write(level, fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::debug, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::info, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void notice(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::notice, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warning(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::warning, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) {
    log(LogLevel::error, format, std::forward<Args>(args)...);
  }

 private:
  std::FILE* out_;
  LogStyle style_;
  LogLevel threshold_;
};

// syslog(3) priority of a level: err 3, warning 4, notice 5, info 6, debug 7.
int syslog_priority(LogLevel level);

}  // namespace ipsecd::daemon
