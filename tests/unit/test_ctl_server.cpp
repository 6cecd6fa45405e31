// ControlServer on a real EventLoop in a temporary directory: socket permissions, framing limits, garbage,
// deferred answers, disconnects, slow subscribers and many clients; the peer credential check.
#include "ctl/control_client.h"
#include "ctl/control_server.h"
#include "daemon/io/event_loop.h"

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

using namespace ipsecd;
using namespace ipsecd::ctl;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/ipsecd-ctl-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// Answers version and status at once, fails down with not_found, and keeps up and reload for later.
struct TestHandler : ControlHandler {
  std::vector<Request> requests;
  std::vector<Responder> deferred;
  void handle(const Request& request, Responder responder) override {
    requests.push_back(request);
    switch (request.command) {
      case Command::version:
        responder.succeed(Version{"ipsecd", "0.1.0", 1});
        break;
      case Command::status:
        responder.succeed(Status{});
        break;
      case Command::down:
        responder.fail(ErrorCode::not_found, "no connection named " + std::get<DownArgs>(request.args).conn);
        break;
      default:
        deferred.push_back(responder);
        break;
    }
  }
};

// Runs the loop until `done` holds or `limit` passes; true when `done` held.
bool pump_until(io::EventLoop& loop, const std::function<bool()>& done,
                std::chrono::milliseconds limit = 3000ms) {
  const auto give_up = io::EventLoop::Clock::now() + limit;
  std::function<void()> check;
  check = [&] {
    if (done() || io::EventLoop::Clock::now() >= give_up)
      loop.stop();
    else
      loop.add_timer(io::EventLoop::Clock::now() + 2ms, check);
  };
  loop.add_timer(io::EventLoop::Clock::now(), check);
  REQUIRE(loop.run());
  return done();
}

void pump_for(io::EventLoop& loop, std::chrono::milliseconds duration) {
  const auto until = io::EventLoop::Clock::now() + duration;
  pump_until(
      loop, [&] { return io::EventLoop::Clock::now() >= until; }, duration + 1000ms);
}

// A test client on a raw, blocking-write socket whose reading never blocks.
struct RawClient {
  int fd = -1;
  std::string input;
  bool closed = false;

  explicit RawClient(const std::string& path) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~RawClient() {
    if (fd >= 0) close(fd);
  }
  void write(const std::string& data) const {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close while we write (an oversized line)
      sent += static_cast<std::size_t>(n);
    }
  }
  // Reads what has arrived; true when a complete line is buffered.
  bool has_line() {
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n > 0) {
        input.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) closed = true;
      break;
    }
    return input.find('\n') != std::string::npos;
  }
  std::string take_line() {
    const auto nl = input.find('\n');
    REQUIRE(nl != std::string::npos);
    std::string line = input.substr(0, nl);
    input.erase(0, nl + 1);
    return line;
  }
  bool is_closed() {
    has_line();
    return closed;
  }
};

std::string request_line(uint64_t id, const std::string& cmd, json args = json::object()) {
  args["v"] = 1;
  args["id"] = id;
  args["cmd"] = cmd;
  return args.dump() + "\n";
}

json next_json(io::EventLoop& loop, RawClient& client) {
  REQUIRE(pump_until(loop, [&] { return client.has_line(); }));
  return json::parse(client.take_line());
}

struct Fixture {
  TempDir dir;
  io::EventLoop loop;
  TestHandler handler;
  std::unique_ptr<ControlServer> server;
  std::string path;

  explicit Fixture(ControlServerOptions options = {}) {
    path = dir.path + "/run/ctl.sock";
    options.socket_path = path;
    auto opened = ControlServer::open(loop, handler, options);
    if (!opened) FAIL(opened.error());
    server = std::move(*opened);
  }
};

}  // namespace

TEST_CASE("ctl server creates its socket 0600 in a new 0755 directory and removes it when done", "[ctl]") {
  Fixture f;
  struct stat st {};
  REQUIRE(stat(f.path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(stat((f.dir.path + "/run").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0755);
  f.server.reset();
  CHECK_FALSE(std::filesystem::exists(f.path));
}

TEST_CASE("ctl server leaves a socket file that replaced its own", "[ctl]") {
  Fixture f;
  REQUIRE(unlink(f.path.c_str()) == 0);
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, f.path.c_str(), f.path.size());
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  f.server.reset();
  CHECK(std::filesystem::exists(f.path));
  close(fd);
}

TEST_CASE("ctl server with a group makes its socket 0660 owned by that group", "[ctl]") {
  ControlServerOptions options;
  options.group = getegid();
  Fixture f(options);
  struct stat st {};
  REQUIRE(stat(f.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0660);
  CHECK(st.st_gid == getegid());
}

TEST_CASE("ctl server replaces a stale socket but not a live one or a regular file", "[ctl]") {
  TempDir dir;
  io::EventLoop loop;
  TestHandler handler;
  const std::string path = dir.path + "/ctl.sock";
  {
    // A socket file nobody listens on, as a crashed daemon leaves it.
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size());
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    close(fd);
  }
  ControlServerOptions options;
  options.socket_path = path;
  auto first = ControlServer::open(loop, handler, options);
  REQUIRE(first);
  auto second = ControlServer::open(loop, handler, options);
  REQUIRE_FALSE(second);
  CHECK(second.error().find("another process") != std::string::npos);

  const std::string file = dir.path + "/not-a-socket";
  std::ofstream(file) << "keep me";
  options.socket_path = file;
  auto third = ControlServer::open(loop, handler, options);
  REQUIRE_FALSE(third);
  CHECK(std::filesystem::file_size(file) == 7);
}

TEST_CASE("ctl server answers requests and keeps the ids", "[ctl]") {
  Fixture f;
  RawClient client(f.path);
  client.write(request_line(41, "version") + request_line(42, "down", {{"conn", "nowhere"}}));
  const json version = next_json(f.loop, client);
  CHECK(version == json{{"v", 1},
                        {"id", 41},
                        {"ok", true},
                        {"result", {{"daemon", "ipsecd"}, {"version", "0.1.0"}, {"protocol", 1}}}});
  const json down = next_json(f.loop, client);
  CHECK(down["id"] == 42);
  CHECK(down["ok"] == false);
  CHECK(down["error"]["code"] == "not_found");
  REQUIRE(f.handler.requests.size() == 2);
  CHECK(f.handler.requests[1].args == RequestArgs{DownArgs{"nowhere", std::nullopt}});
}

TEST_CASE("ctl server answers garbage with error objects and goes on serving", "[ctl]") {
  Fixture f;
  RawClient bad(f.path);
  RawClient good(f.path);
  bad.write("this is not json\n");
  CHECK(next_json(f.loop, bad)["error"]["code"] == "bad_request");
  bad.write(std::string("\x00\x01\xff\xfe", 4) + "\n");
  CHECK(next_json(f.loop, bad)["error"]["code"] == "bad_request");
  bad.write(R"({"v":1,"id":"x","cmd":"status"})"
            "\n");
  CHECK(next_json(f.loop, bad)["error"]["code"] == "bad_request");
  bad.write(R"({"v":3,"id":5,"cmd":"status"})"
            "\n");
  const json version = next_json(f.loop, bad);
  CHECK(version["error"]["code"] == "unsupported_version");
  CHECK(version["id"] == 5);
  bad.write(request_line(6, "reboot"));
  CHECK(next_json(f.loop, bad)["error"]["code"] == "unknown_command");
  bad.write(request_line(7, "up", {{"conn", 12}}));
  CHECK(next_json(f.loop, bad)["error"]["code"] == "bad_request");
  bad.write("\n  \r\n");  // blank lines are skipped, not answered

  good.write(request_line(1, "status"));
  CHECK(next_json(f.loop, good)["ok"] == true);
  bad.write(request_line(8, "version"));
  CHECK(next_json(f.loop, bad)["id"] == 8);
  CHECK(f.handler.requests.size() == 2);
  CHECK(f.server->client_count() == 2);
}

TEST_CASE("ctl server refuses an overlong line and disconnects only that client", "[ctl]") {
  ControlServerOptions options;
  options.max_line_bytes = 1024;
  Fixture f(options);
  RawClient flood(f.path);
  RawClient good(f.path);
  flood.write(std::string(4000, 'x'));  // no newline: the line can only get longer
  const json refused = next_json(f.loop, flood);
  CHECK(refused["error"]["code"] == "bad_request");
  CHECK_FALSE(refused.contains("id"));
  REQUIRE(pump_until(f.loop, [&] { return flood.is_closed(); }));

  // A complete line over the limit is refused the same way.
  RawClient flood2(f.path);
  flood2.write(request_line(1, "up", {{"conn", std::string(2000, 'a')}}));
  CHECK(next_json(f.loop, flood2)["error"]["code"] == "bad_request");
  REQUIRE(pump_until(f.loop, [&] { return flood2.is_closed(); }));
  CHECK(f.handler.requests.empty());

  good.write(request_line(2, "version"));
  CHECK(next_json(f.loop, good)["ok"] == true);
  CHECK(f.server->client_count() == 1);
}

TEST_CASE("ctl server sends a deferred answer when the handler gives it", "[ctl]") {
  Fixture f;
  RawClient client(f.path);
  client.write(request_line(9, "up", {{"conn", "site"}, {"wait_seconds", 30}}));
  REQUIRE(pump_until(f.loop, [&] { return f.handler.deferred.size() == 1; }));
  pump_for(f.loop, 30ms);
  CHECK_FALSE(client.has_line());

  // Other requests of the same client are answered meanwhile.
  client.write(request_line(10, "status"));
  CHECK(next_json(f.loop, client)["id"] == 10);

  Responder responder = f.handler.deferred[0];
  CHECK(responder.pending());
  CHECK(responder.client_connected());
  CHECK(responder.request_id() == 9);
  responder.succeed(UpResult{"site", 4, {"net"}, true});
  responder.fail(ErrorCode::failed, "a second answer is ignored");
  CHECK_FALSE(responder.pending());
  const json answer = next_json(f.loop, client);
  CHECK(answer["id"] == 9);
  CHECK(answer["result"] == json(UpResult{"site", 4, {"net"}, true}));
  pump_for(f.loop, 20ms);
  CHECK_FALSE(client.has_line());
}

TEST_CASE("ctl server drops the answer to a client that left before it", "[ctl]") {
  Fixture f;
  std::optional<RawClient> leaving;
  leaving.emplace(f.path);
  leaving->write(request_line(1, "up", {{"conn", "site"}, {"wait_seconds", 5}}));
  REQUIRE(pump_until(f.loop, [&] { return f.handler.deferred.size() == 1; }));
  leaving.reset();
  REQUIRE(pump_until(f.loop, [&] { return f.server->client_count() == 0; }));

  Responder responder = f.handler.deferred[0];
  CHECK_FALSE(responder.client_connected());
  CHECK(responder.pending());
  responder.fail(ErrorCode::timeout, "nobody is listening");
  CHECK_FALSE(responder.pending());

  RawClient next(f.path);
  next.write(request_line(2, "version"));
  CHECK(next_json(f.loop, next)["id"] == 2);

  // Even the server going away first leaves a held Responder harmless.
  next.write(request_line(3, "reload", {{"dry_run", true}}));
  REQUIRE(pump_until(f.loop, [&] { return f.handler.deferred.size() == 2; }));
  f.server.reset();
  f.handler.deferred[1].succeed(ReloadResult{});
  CHECK_FALSE(f.handler.deferred[1].client_connected());
}

TEST_CASE("ctl server refuses more unanswered requests than its limit with busy", "[ctl]") {
  ControlServerOptions options;
  options.max_pending_requests = 2;
  Fixture f(options);
  RawClient client(f.path);
  client.write(request_line(1, "up", {{"conn", "a"}}) + request_line(2, "up", {{"conn", "b"}}) +
               request_line(3, "up", {{"conn", "c"}}));
  const json busy = next_json(f.loop, client);
  CHECK(busy["id"] == 3);
  CHECK(busy["error"]["code"] == "busy");
  CHECK(f.handler.deferred.size() == 2);
  f.handler.deferred[0].succeed(UpResult{});
  CHECK(next_json(f.loop, client)["id"] == 1);
  client.write(request_line(4, "up", {{"conn", "d"}}));
  REQUIRE(pump_until(f.loop, [&] { return f.handler.deferred.size() == 3; }));
}

TEST_CASE("ctl server streams events to subscribers only", "[ctl]") {
  Fixture f;
  RawClient subscriber(f.path);
  RawClient other(f.path);
  subscriber.write(request_line(1, "subscribe"));
  const json subscribed = next_json(f.loop, subscriber);
  CHECK(subscribed["result"] == json{{"subscribed", true}});
  CHECK(f.server->subscriber_count() == 1);

  const Event event{EventType::child_up, "site", 3, "net", std::nullopt, 1700000000};
  f.server->publish(event);
  const json line = next_json(f.loop, subscriber);
  CHECK(line == json{{"v", 1}, {"event", event}});
  pump_for(f.loop, 20ms);
  CHECK_FALSE(other.has_line());
}

TEST_CASE("ctl server drops a subscriber that never reads and keeps feeding the others", "[ctl]") {
  ControlServerOptions options;
  options.max_output_bytes = 64 * 1024;
  Fixture f(options);
  RawClient stalled(f.path);
  RawClient reader(f.path);
  stalled.write(request_line(1, "subscribe"));
  reader.write(request_line(1, "subscribe"));
  REQUIRE(pump_until(f.loop, [&] { return f.server->subscriber_count() == 2 && reader.has_line(); }));
  reader.take_line();
  REQUIRE(pump_until(f.loop, [&] { return stalled.input.size() > 0 || stalled.has_line(); }));
  stalled.input.clear();  // from here on the stalled client reads nothing

  std::size_t received = 0;
  constexpr int events = 20000;
  for (int i = 0; i < events; ++i) {
    const auto started = std::chrono::steady_clock::now();
    f.server->publish(Event{EventType::child_rekeyed, "site-with-a-long-name", static_cast<uint64_t>(i),
                            "net", "rekeyed on schedule", 1700000000});
    CHECK(std::chrono::steady_clock::now() - started < 1s);  // publishing never waits for a client
    if (i % 200 == 199) {
      pump_until(f.loop, [&] {
        while (reader.has_line()) {
          reader.take_line();
          ++received;
        }
        return received == static_cast<std::size_t>(i + 1);
      });
    }
  }
  CHECK(received == events);
  CHECK(f.server->subscriber_count() == 1);
  CHECK(f.server->client_count() == 1);
}

TEST_CASE("ctl server serves many clients at once and refuses one over the limit", "[ctl]") {
  ControlServerOptions options;
  options.max_clients = 40;
  Fixture f(options);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 40; ++i) clients.push_back(std::make_unique<RawClient>(f.path));
  REQUIRE(pump_until(f.loop, [&] { return f.server->client_count() == 40; }));
  for (std::size_t i = 0; i < clients.size(); ++i) clients[i]->write(request_line(i, "version"));
  for (std::size_t i = 0; i < clients.size(); ++i) CHECK(next_json(f.loop, *clients[i])["id"] == i);

  RawClient extra(f.path);
  const json refused = next_json(f.loop, extra);
  CHECK(refused["error"]["code"] == "busy");
  REQUIRE(pump_until(f.loop, [&] { return extra.is_closed(); }));

  clients.pop_back();
  REQUIRE(pump_until(f.loop, [&] { return f.server->client_count() == 39; }));
  RawClient late(f.path);
  late.write(request_line(99, "version"));
  CHECK(next_json(f.loop, late)["id"] == 99);
}

TEST_CASE("ctl peer credentials admit root, the owner and the socket's group only", "[ctl]") {
  const uid_t owner = 990;
  const gid_t group = 4242;
  CHECK(peer_allowed(PeerCredentials{1, 0, 0, {}}, owner, std::nullopt));
  CHECK(peer_allowed(PeerCredentials{1, owner, 100, {}}, owner, std::nullopt));
  CHECK_FALSE(peer_allowed(PeerCredentials{1, 1000, group, {}}, owner, std::nullopt));
  CHECK(peer_allowed(PeerCredentials{1, 1000, group, {}}, owner, group));
  CHECK(peer_allowed(PeerCredentials{1, 1000, 100, {27, group}}, owner, group));
  CHECK_FALSE(peer_allowed(PeerCredentials{1, 1000, 100, {27, 4243}}, owner, group));
}

TEST_CASE("ctl peer credentials are read from the connected process", "[ctl]") {
  int fds[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  auto peer = read_peer_credentials(fds[0]);
  close(fds[0]);
  close(fds[1]);
  REQUIRE(peer);
  CHECK(peer->pid == getpid());
  CHECK(peer->uid == geteuid());
  CHECK(peer->gid == getegid());
  CHECK_FALSE(read_peer_credentials(-1));
}

TEST_CASE("ctl client talks to the server and reports a missing daemon and a silent one", "[ctl]") {
  Fixture f;
  std::atomic<bool> finished{false};
  std::function<void()> watch_finish;
  watch_finish = [&] {
    if (finished)
      f.loop.stop();
    else
      f.loop.add_timer(io::EventLoop::Clock::now() + 5ms, watch_finish);
  };
  f.loop.add_timer(io::EventLoop::Clock::now(), watch_finish);
  std::thread loop_thread([&] { (void)f.loop.run(); });

  auto client = ControlClient::connect(f.path, 2000ms);
  bool version_ok = false;
  bool down_not_found = false;
  bool up_timed_out = false;
  if (client) {
    auto version =
        client->call(Request{client->next_id(), Command::version, {}}, ControlClient::Clock::now() + 2s);
    version_ok = version && version->ok() &&
                 *result_as<Version>(std::get<json>(version->outcome)) == Version{"ipsecd", "0.1.0", 1};
    auto down = client->call(Request{client->next_id(), Command::down, DownArgs{"x", std::nullopt}},
                             ControlClient::Clock::now() + 2s);
    down_not_found = down && !down->ok() && std::get<Error>(down->outcome).code == ErrorCode::not_found;
    // The handler keeps "up" unanswered: the client's deadline ends the wait.
    auto up = client->call(Request{client->next_id(), Command::up, UpArgs{"x", std::nullopt, std::nullopt}},
                           ControlClient::Clock::now() + 100ms);
    up_timed_out = !up && up.error().kind == ClientError::Kind::timeout;
  }
  finished = true;
  loop_thread.join();
  REQUIRE(client);
  CHECK(version_ok);
  CHECK(down_not_found);
  CHECK(up_timed_out);

  auto missing = ControlClient::connect(f.dir.path + "/nothing.sock", 200ms);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ClientError::Kind::unreachable);
}
