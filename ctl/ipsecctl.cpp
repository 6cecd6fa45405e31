// ipsecctl: the command line for ipsecd, talking to it only over the control socket (PROTOCOL.md).
#include "ctl/cli_commands.h"

#include <CLI/CLI.hpp>

#include <string>

using namespace ipsecd::ctl;

namespace {

constexpr const char* exit_codes_help =
    "Exit codes:\n"
    "  0  done\n"
    "  1  failed (the reason is printed: the daemon's, the peer's or the kernel's)\n"
    "  2  usage error\n"
    "  3  the daemon is unreachable (not running, or no permission to use its socket)\n"
    "  4  timed out (a --wait ran out, or the daemon did not answer)\n";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Control the ipsecd IKE daemon.", "ipsecctl"};
  app.footer(exit_codes_help);
  app.require_subcommand(1, 1);
  app.fallthrough();  // global options are accepted after the command too

  CliOptions options;
  app.add_option("--socket", options.socket_path, "The daemon's control socket")->capture_default_str();
  app.add_flag("--json", options.json,
               "Print results as JSON objects, exactly per the schema in PROTOCOL.md");

  UpArgs up_args;
  uint32_t up_wait = 0;
  auto* up = app.add_subcommand("up", "Bring a connection up (its IKE SA and CHILD_SAs)");
  up->add_option("NAME", up_args.conn, "Connection name")->required();
  up->add_option("--child", up_args.child, "Only this CHILD_SA of the connection");
  auto* up_wait_flag =
      up->add_flag("--wait{" + std::to_string(default_wait_seconds) + "}", up_wait,
                   "Wait until the CHILD_SA is installed, up to SECONDS (--wait=SECONDS, default " +
                       std::to_string(default_wait_seconds) + ")");

  DownArgs down_args;
  uint32_t down_wait = 0;
  auto* down = app.add_subcommand("down", "Take a connection down (delete its IKE SAs)");
  down->add_option("NAME", down_args.conn, "Connection name")->required();
  auto* down_wait_flag =
      down->add_flag("--wait{" + std::to_string(default_wait_seconds) + "}", down_wait,
                     "Wait until its IKE SAs are gone, up to SECONDS (--wait=SECONDS, default " +
                         std::to_string(default_wait_seconds) + ")");

  auto* status = app.add_subcommand("status", "List connections, IKE SAs and CHILD_SAs");
  auto* list = app.add_subcommand("list", "List the configured connections");

  ReloadArgs reload_args;
  auto* reload = app.add_subcommand("reload", "Reload the configuration");
  reload->add_flag("--dry-run", reload_args.dry_run, "Check and report the changes without applying them");

  auto* monitor = app.add_subcommand("monitor", "Print SA events as they happen, until interrupted");
  auto* version = app.add_subcommand("version", "Print the versions of ipsecctl and the daemon");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_done : exit_usage;
  }

  if (up->parsed()) {
    if (up_wait_flag->count() > 0) up_args.wait_seconds = up_wait;
    return run_up(options, up_args);
  }
  if (down->parsed()) {
    if (down_wait_flag->count() > 0) down_args.wait_seconds = down_wait;
    return run_down(options, down_args);
  }
  if (status->parsed()) return run_status(options, false);
  if (list->parsed()) return run_status(options, true);
  if (reload->parsed()) return run_reload(options, reload_args);
  if (monitor->parsed()) return run_monitor(options);
  if (version->parsed()) return run_version(options);
  return exit_usage;
}
