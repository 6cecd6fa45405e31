// ipsecctl's commands over a ControlClient: request, answer, output (tables or the --json schema) and exit
// code.
#include "ctl/cli_commands.h"

#include "ctl/control_client.h"
#include "ctl/status_table.h"

#include <csignal>
#include <functional>
#include <iostream>

namespace ipsecd::ctl {

namespace {

using Clock = ControlClient::Clock;

int exit_code_for(const ClientError& error) {
  switch (error.kind) {
    case ClientError::Kind::timeout:
      return exit_timeout;
    case ClientError::Kind::unreachable:
      return exit_unreachable;
    case ClientError::Kind::interrupted:
    case ClientError::Kind::protocol:
      return exit_failed;
  }
  return exit_failed;
}

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::timeout:
      return exit_timeout;
    case ErrorCode::denied:
      return exit_unreachable;
    default:
      return exit_failed;
  }
}

int report(const ClientError& error) {
  std::cerr << "ipsecctl: " << error.message << "\n";
  return exit_code_for(error);
}

int report(const CliOptions& options, const Error& error) {
  if (options.json)
    std::cout << nlohmann::json{{"error", {{"code", name(error.code)}, {"message", error.message}}}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  std::cerr << "ipsecctl: " << error.message << " (" << name(error.code) << ")\n";
  return exit_code_for(error.code);
}

// Sends one request and prints its result: the schema object for --json, `human` of it otherwise.
template <typename Result>
int call_and_print(const CliOptions& options, Command command, RequestArgs args,
                   std::chrono::milliseconds answer_timeout,
                   const std::function<std::string(const Result&)>& human) {
  auto client = ControlClient::connect(options.socket_path, options.connect_timeout);
  if (!client) return report(client.error());
  const Request request{client->next_id(), command, std::move(args)};
  auto response = client->call(request, Clock::now() + answer_timeout);
  if (!response) return report(response.error());
  if (const auto* error = std::get_if<Error>(&response->outcome)) return report(options, *error);
  const auto& json = std::get<nlohmann::json>(response->outcome);
  auto result = result_as<Result>(json);
  if (!result) return report(ClientError{ClientError::Kind::protocol, result.error()});
  if (options.json)
    std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    std::cout << human(*result);
  return exit_done;
}

// The daemon answers a wait itself (with `timeout`); the client allows it a margin beyond that.
std::chrono::milliseconds wait_timeout(const CliOptions& options,
                                       const std::optional<uint32_t>& wait_seconds) {
  if (!wait_seconds) return options.answer_timeout;
  return std::chrono::seconds(*wait_seconds) + options.answer_timeout;
}

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

}  // namespace

int run_version(const CliOptions& options) {
  return call_and_print<Version>(options, Command::version, {}, options.answer_timeout,
                                 [](const Version& v) { return format_version(v, IPSECD_VERSION); });
}

int run_status(const CliOptions& options, bool connections_only) {
  return call_and_print<Status>(
      options, Command::status, {}, options.answer_timeout, [connections_only](const Status& s) {
        return connections_only ? format_connections(s.connections) : format_status(s);
      });
}

int run_up(const CliOptions& options, const UpArgs& args) {
  return call_and_print<UpResult>(options, Command::up, args, wait_timeout(options, args.wait_seconds),
                                  format_up);
}

int run_down(const CliOptions& options, const DownArgs& args) {
  return call_and_print<DownResult>(options, Command::down, args, wait_timeout(options, args.wait_seconds),
                                    format_down);
}

int run_reload(const CliOptions& options, const ReloadArgs& args) {
  return call_and_print<ReloadResult>(options, Command::reload, args, options.answer_timeout, format_reload);
}

int run_monitor(const CliOptions& options) {
  struct sigaction action {};
  action.sa_handler = on_interrupt;  // no SA_RESTART: the blocking poll returns EINTR
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  auto client = ControlClient::connect(options.socket_path, options.connect_timeout);
  if (!client) return report(client.error());
  const Request request{client->next_id(), Command::subscribe, {}};
  auto response = client->call(request, Clock::now() + options.answer_timeout);
  if (!response) return report(response.error());
  if (const auto* error = std::get_if<Error>(&response->outcome)) return report(options, *error);

  while (!interrupted) {
    auto line = client->read(Clock::now() + std::chrono::hours(1));
    if (!line) {
      if (line.error().kind == ClientError::Kind::interrupted ||
          line.error().kind == ClientError::Kind::timeout)
        continue;
      return report(line.error());
    }
    const auto* event = std::get_if<Event>(&*line);
    if (event == nullptr) continue;  // a stray response; only events are expected now
    if (options.json)
      std::cout << nlohmann::json(*event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                << "\n";
    else
      std::cout << format_event(*event);
    std::cout.flush();  // monitor output is read live, often through a pipe
  }
  return exit_done;
}

}  // namespace ipsecd::ctl
