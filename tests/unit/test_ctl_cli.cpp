// The built ipsecctl binary: exit codes (usage, no daemon, failed, timed out, done), --wait values and the
// --json output, against a ControlServer with a scripted handler running on its own thread.
#include "ctl/control_server.h"
#include "daemon/io/event_loop.h"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

using namespace ipsecd;
using namespace ipsecd::ctl;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line; its stderr joins its stdout.
CommandResult run_command(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer;
  std::size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

CommandResult run_ipsecctl(const std::string& arguments) {
  return run_command(std::string(IPSECD_IPSECCTL_PATH) + " " + arguments);
}

Status one_connection() {
  return Status{{ConnectionInfo{"site", {"192.0.2.1"}, {"203.0.113.9"}, {"net"}}}, {}, {}};
}

// up: fails with timeout; down: not_found; status: one connection; reload: failed with a reason.
struct ScriptedHandler : ControlHandler {
  std::mutex mutex;
  std::vector<Request> requests;
  void handle(const Request& request, Responder responder) override {
    {
      std::lock_guard lock(mutex);
      requests.push_back(request);
    }
    switch (request.command) {
      case Command::status:
        responder.succeed(one_connection());
        break;
      case Command::version:
        responder.succeed(Version{"ipsecd", "0.1.0", 1});
        break;
      case Command::up:
        responder.fail(ErrorCode::timeout, "no CHILD_SA within the wait");
        break;
      case Command::down:
        responder.fail(ErrorCode::not_found, "no connection named nowhere");
        break;
      default:
        responder.fail(ErrorCode::failed, "config.toml:3: key \"proposals\": unknown keyword");
        break;
    }
  }
  Request last() {
    std::lock_guard lock(mutex);
    REQUIRE_FALSE(requests.empty());
    return requests.back();
  }
};

// The server's loop on a thread of its own for the test's duration; the test only runs ipsecctl.
struct ServerThread {
  std::string dir;
  std::string path;
  io::EventLoop loop;
  ScriptedHandler handler;
  std::unique_ptr<ControlServer> server;
  std::atomic<bool> finished{false};
  std::function<void()> watch_finish;
  std::thread thread;

  ServerThread() {
    char tmpl[] = "/tmp/ipsecd-ctlcli-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/ctl.sock";
    ControlServerOptions options;
    options.socket_path = path;
    auto opened = ControlServer::open(loop, handler, options);
    REQUIRE(opened);
    server = std::move(*opened);
    // Also feeds `monitor`: an event every turn while anyone is subscribed.
    watch_finish = [this] {
      if (server->subscriber_count() > 0)
        server->publish(Event{EventType::child_up, "site", 3, "net", std::nullopt, 1700000000});
      if (finished)
        loop.stop();
      else
        loop.add_timer(io::EventLoop::Clock::now() + 5ms, watch_finish);
    };
    loop.add_timer(io::EventLoop::Clock::now(), watch_finish);
    thread = std::thread([this] { (void)loop.run(); });
  }
  ~ServerThread() {
    finished = true;
    thread.join();
    server.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("ctl ipsecctl exits 2 on bad usage", "[ctl]") {
  CHECK(run_ipsecctl("").exit_code == 2);
  CHECK(run_ipsecctl("frobnicate").exit_code == 2);
  CHECK(run_ipsecctl("up").exit_code == 2);
  CHECK(run_ipsecctl("up site --wait=soon").exit_code == 2);
  CHECK(run_ipsecctl("status extra").exit_code == 2);
  CHECK(run_ipsecctl("--no-such-option status").exit_code == 2);
  const auto help = run_ipsecctl("--help");
  CHECK(help.exit_code == 0);
  CHECK(help.output.find("3  the daemon is unreachable") != std::string::npos);
}

TEST_CASE("ctl ipsecctl exits 3 when no daemon listens", "[ctl]") {
  const auto result = run_ipsecctl("--socket /tmp/ipsecd-no-such-dir/ctl.sock status");
  CHECK(result.exit_code == 3);
  CHECK(result.output.find("is ipsecd running?") != std::string::npos);
  CHECK(run_ipsecctl("--socket /tmp/ipsecd-no-such-dir/ctl.sock up site --wait").exit_code == 3);
}

TEST_CASE("ctl ipsecctl maps the daemon's answers to exit codes and prints the schema for --json", "[ctl]") {
  ServerThread s;
  const std::string socket = "--socket " + s.path + " ";

  const auto status = run_ipsecctl(socket + "--json status");
  CHECK(status.exit_code == 0);
  CHECK(json::parse(status.output) == json(one_connection()));
  const auto list = run_ipsecctl("list " + socket);  // global options after the command
  CHECK(list.exit_code == 0);
  CHECK(list.output.find("site  192.0.2.1  203.0.113.9  net") != std::string::npos);

  const auto up = run_ipsecctl(socket + "up site --wait");
  CHECK(up.exit_code == 4);
  CHECK(up.output.find("no CHILD_SA within the wait") != std::string::npos);
  CHECK(s.handler.last().args == RequestArgs{UpArgs{"site", std::nullopt, 30}});
  CHECK(run_ipsecctl(socket + "up site --child net --wait=5").exit_code == 4);
  CHECK(s.handler.last().args == RequestArgs{UpArgs{"site", "net", 5}});
  CHECK(run_ipsecctl(socket + "up site").exit_code == 4);
  CHECK(s.handler.last().args == RequestArgs{UpArgs{"site", std::nullopt, std::nullopt}});

  const auto down = run_ipsecctl(socket + "--json down nowhere");
  CHECK(down.exit_code == 1);
  CHECK(down.output.find("\"code\": \"not_found\"") != std::string::npos);

  const auto reload = run_ipsecctl(socket + "reload --dry-run");
  CHECK(reload.exit_code == 1);
  CHECK(reload.output.find("unknown keyword") != std::string::npos);
  CHECK(s.handler.last().args == RequestArgs{ReloadArgs{true}});

  const auto version = run_ipsecctl(socket + "version");
  CHECK(version.exit_code == 0);
  CHECK(version.output == "ipsecctl 0.1.0, ipsecd 0.1.0 (control protocol 1)\n");
}

TEST_CASE("ctl ipsecctl monitor prints events until interrupted and then exits 0", "[ctl]") {
  ServerThread s;
  // --preserve-status: the exit code is ipsecctl's own after SIGINT, not timeout's 124.
  const auto result =
      run_command("timeout --preserve-status -s INT 0.5 " + std::string(IPSECD_IPSECCTL_PATH) +
                  " --json --socket " + s.path + " monitor");
  CHECK(result.exit_code == 0);
  const auto first_line = result.output.substr(0, result.output.find('\n'));
  CHECK(json::parse(first_line) ==
        json(Event{EventType::child_up, "site", 3, "net", std::nullopt, 1700000000}));

  const auto human = run_ipsecctl("--socket /tmp/ipsecd-no-such-dir/ctl.sock monitor");
  CHECK(human.exit_code == 3);
}
