// ipsecd: the IKEv2 keying daemon's command line (CLI11): run in the foreground or as a systemd service,
// or check a configuration file and exit.
#include "daemon/config/load_config.h"
#include "daemon/control_service.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/service_notifier.h"

#include <CLI/CLI.hpp>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace {

using ipsecd::config::LogLevel;

// --check-config: every error on its own line (FILE:LINE:COL: KEY: REASON) so editors can jump to it.
int check_config(const std::string& file) {
  auto loaded = ipsecd::config::load_config(file);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << ipsecd::config::to_string(error) << '\n';
    return 1;
  }
  std::cout << "configuration OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ipsecd: IKEv2 keying daemon for Linux IPsec (XFRM)", "ipsecd"};
  std::string config_file(ipsecd::config::default_config_file);
  std::string check_file;
  bool foreground = false;
  std::optional<LogLevel> log_level;
  std::string log_level_name;
  const std::map<std::string, LogLevel> levels{{"debug", LogLevel::debug},
                                               {"info", LogLevel::info},
                                               {"notice", LogLevel::notice},
                                               {"warning", LogLevel::warning},
                                               {"error", LogLevel::error}};

  app.add_option("-c,--config", config_file, "configuration file")->capture_default_str();
  auto* check = app.add_option("--check-config", check_file,
                               "check the configuration (FILE, or the --config file) and exit: 0 when valid, 1 "
                               "with every error as FILE:LINE:COL: KEY: REASON");
  check->expected(0, 1);
  app.add_flag("-f,--foreground", foreground,
               "log for a terminal (timestamps, level names) even under systemd; ipsecd never forks");
  app.add_option("--log-level", log_level_name,
                 "debug, info, notice, warning or error (overrides [daemon] log_level)")
      ->check(CLI::IsMember(levels, CLI::ignore_case));
  app.set_version_flag("-V,--version", std::string("ipsecd ") + IPSECD_VERSION);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; a bad command line exits 2, as ipsecctl's usage errors do.
    const int printed = app.exit(e);
    return printed == 0 ? 0 : 2;
  }

  if (check->count() > 0) return check_config(check_file.empty() ? config_file : check_file);
  if (!log_level_name.empty()) {
    for (char& c : log_level_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    log_level = levels.at(log_level_name);
  }

  const auto style = !foreground && ipsecd::daemon::stderr_goes_to_systemd() ? ipsecd::daemon::LogStyle::journal
                                                                              : ipsecd::daemon::LogStyle::plain;
  ipsecd::daemon::Log log(stderr, style, log_level.value_or(LogLevel::info));
  ipsecd::daemon::ServiceNotifier notifier;
  ipsecd::daemon::DaemonOptions options;
  options.config_file = config_file;
  options.log_level = log_level;

  auto daemon = ipsecd::daemon::Daemon::start(options, log, notifier);
  if (!daemon) {
    log.error("start-up failed: {}", daemon.error());
    return 1;
  }
  auto control = ipsecd::daemon::ControlService::open(**daemon);
  if (!control) {
    log.error("start-up failed: {}", control.error());
    return 1;
  }
  (*daemon)->ready();
  return (*daemon)->run();
}
