// sd_notify(3) messages for READY, RELOADING (with MONOTONIC_USEC), STOPPING and STATUS.
#include "daemon/service_notifier.h"

#include <systemd/sd-daemon.h>

#include <ctime>

namespace ipsecd::daemon {

namespace {

// STATUS= is one line: a newline would start a new assignment in the notification.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

}  // namespace

void ServiceNotifier::send(const std::string& state) { (void)sd_notify(0, state.c_str()); }

void ServiceNotifier::ready(std::string_view status) { send("READY=1\nSTATUS=" + one_line(status)); }

void ServiceNotifier::reloading() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::stopping() { send("STOPPING=1"); }

void ServiceNotifier::status(std::string_view status) { send("STATUS=" + one_line(status)); }

}  // namespace ipsecd::daemon
