// Readiness, reload and stop notifications to systemd (sd_notify(3)) for a Type=notify service.
#pragma once

#include <string>
#include <string_view>

namespace ipsecd::daemon {

// Every call is a no-op when NOTIFY_SOCKET is unset (not started by systemd, or --foreground by hand).
class ServiceNotifier {
 public:
  // READY=1 with the one-line status.
  void ready(std::string_view status);
  // RELOADING=1 with MONOTONIC_USEC, as systemd 253+ wants for Type=notify-reload (older ones ignore it).
  void reloading();
  void stopping();
  // STATUS=..., shown by `systemctl status`.
  void status(std::string_view status);

 private:
  void send(const std::string& state);
};

}  // namespace ipsecd::daemon
