// The real daemon's control socket against clients that misbehave: garbage, invalid JSON, a 1 MiB line,
// wrong versions, unknown commands, bad arguments, silence, 100 connections at once, and a subscriber that
// never reads while events flow. Each gets PROTOCOL.md's error object or is dropped, and the daemon goes
// on answering and exits 0 on SIGTERM.
#include "tests/netns/ctl_netns_support.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// One daemon (site-a, idle) in namespace A with its socket in a scratch directory.
struct OneDaemon {
  DaemonNamespaces namespaces;
  ScratchDir dir;
  std::string socket = dir.path() + "/a.sock";
  DaemonProcess a{DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                  dir.path() + "/a.log"};
};

// The daemon still answers `ipsecctl status` and runs.
void still_serving(const ScratchDir& dir, const std::string& socket, DaemonProcess& daemon) {
  const auto status = ipsecctl(dir, socket, "status");
  INFO(status.out << status.err);
  CHECK(status.status == 0);
  CHECK(status.out.find("site-a") != std::string::npos);
  CHECK(daemon.running());
}

void stops_cleanly(DaemonProcess& daemon) {
  daemon.signal(SIGTERM);
  CHECK(daemon.wait_exit(5s) == std::optional<int>(0));
  CHECK(daemon.log().find("ipsecd stopped") != std::string::npos);
}

// The error object of one response line: code and message, with or without the request's id.
struct ErrorLine {
  std::optional<uint64_t> id;
  std::string code;
  std::string message;
};

ErrorLine error_of(const std::optional<std::string>& line) {
  REQUIRE(line.has_value());
  INFO(*line);
  const auto j = json::parse(*line, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.at("v") == 1);
  CHECK(j.at("ok") == false);
  CHECK(j.size() == (j.contains("id") ? 4u : 3u));  // v, ok, error and maybe id: nothing else
  ErrorLine e;
  if (j.contains("id")) e.id = j.at("id").get<uint64_t>();
  e.code = j.at("error").at("code").get<std::string>();
  e.message = j.at("error").at("message").get<std::string>();
  return e;
}

}  // namespace

TEST_CASE("malformed requests get PROTOCOL.md error objects and the connection goes on",
          "[netns][ctl-abuse]") {
  OneDaemon d;
  REQUIRE(d.namespaces.error().empty());
  INFO(d.a.log());
  REQUIRE(d.a.wait_for_log("started", 5s));
  RawSocket client(d.socket);
  REQUIRE(client.connected());

  struct Case {
    std::string line;
    std::optional<uint64_t> id;
    const char* code;
    const char* message;
  };
  const std::vector<Case> cases{
      {std::string("\x00\xff\xfe garbage \x80\x81", 15), std::nullopt, "bad_request", "not valid JSON"},
      {"{\"v\":1,\"id\":3,", std::nullopt, "bad_request", "not valid JSON"},
      {"{\"v\":1,\"id\":12,\"cmd\":\"frob\xff\"}", std::nullopt, "bad_request", "not valid JSON"},
      {std::string(60000, '['), std::nullopt, "bad_request", "not valid JSON"},
      {"[1,2]", std::nullopt, "bad_request", "a request must be a JSON object"},
      {"{\"v\":1,\"id\":\"x\",\"cmd\":\"status\"}", std::nullopt, "bad_request",
       "\"id\" must be a non-negative integer"},
      {"{\"v\":1,\"id\":-4,\"cmd\":\"status\"}", std::nullopt, "bad_request",
       "\"id\" must be a non-negative integer"},
      {"{\"v\":2,\"id\":5,\"cmd\":\"status\"}", 5, "unsupported_version",
       "protocol version 2 is not supported; this server speaks version 1"},
      {"{\"v\":\"1\",\"id\":5,\"cmd\":\"status\"}", 5, "bad_request",
       "\"v\" must be the protocol version, an integer"},
      {"{\"id\":5,\"cmd\":\"status\"}", 5, "bad_request", "\"v\" must be the protocol version, an integer"},
      {"{\"v\":1,\"id\":6,\"cmd\":\"frobnicate\"}", 6, "unknown_command", "unknown command \"frobnicate\""},
      {"{\"v\":1,\"id\":6,\"cmd\":7}", 6, "bad_request", "\"cmd\" must be a string"},
      {"{\"v\":1,\"id\":7,\"cmd\":\"up\"}", 7, "bad_request", "missing \"conn\""},
      {"{\"v\":1,\"id\":8,\"cmd\":\"up\",\"conn\":5}", 8, "bad_request", "\"conn\" must be a string"},
      {"{\"v\":1,\"id\":9,\"cmd\":\"up\",\"conn\":\"site-a\",\"wait_seconds\":-1}", 9, "bad_request",
       "\"wait_seconds\" must be a whole number of seconds"},
      {"{\"v\":1,\"id\":10,\"cmd\":\"status\",\"conn\":\"x\"}", 10, "bad_request",
       "\"status\" takes no argument \"conn\""},
      {"{\"v\":1,\"id\":11,\"cmd\":\"reload\",\"dry_run\":\"yes\"}", 11, "bad_request",
       "\"dry_run\" must be true or false"},
      {"{\"v\":1,\"id\":13,\"cmd\":\"up\",\"conn\":\"nowhere\"}", 13, "not_found",
       "no connection named 'nowhere'"},
  };
  for (const auto& c : cases) {
    INFO(json(c.line).dump(-1, ' ', false, json::error_handler_t::replace));
    REQUIRE(client.send(c.line + "\n") == c.line.size() + 1);
    const auto error = error_of(client.read_line(5s));
    CHECK(error.id == c.id);
    CHECK(error.code == c.code);
    CHECK(error.message == c.message);
  }
  // Blank lines and a CR before the newline are ignored; the connection still answers.
  client.send("\n  \r\n{\"v\":1,\"id\":99,\"cmd\":\"version\"}\r\n");
  const auto answer = client.read_line(5s);
  REQUIRE(answer.has_value());
  const auto version = json::parse(*answer, nullptr, false);
  CHECK(version.value("id", 0) == 99);
  CHECK(version.value("ok", false));
  CHECK(!client.eof());

  still_serving(d.dir, d.socket, d.a);
  stops_cleanly(d.a);
}

TEST_CASE("a 1 MiB line is refused as bad_request and that client is disconnected", "[netns][ctl-abuse]") {
  OneDaemon d;
  REQUIRE(d.namespaces.error().empty());
  INFO(d.a.log());
  REQUIRE(d.a.wait_for_log("started", 5s));
  {
    RawSocket client(d.socket);
    REQUIRE(client.connected());
    // The daemon closes after 64 KiB, so most of the line never leaves.
    client.send(std::string(1024 * 1024, 'x') + "\n");
    const auto error = error_of(client.read_line(5s));
    CHECK(!error.id);
    CHECK(error.code == "bad_request");
    CHECK(error.message == "line longer than 65536 bytes");
    CHECK(client.drain_until_closed(5s));
  }
  {
    // A line of exactly 64 KiB is still read (it is not JSON) and the connection stays.
    RawSocket client(d.socket);
    REQUIRE(client.connected());
    REQUIRE(client.send(std::string(64 * 1024 - 1, ' ') + "x\n") == 64 * 1024 + 1);
    CHECK(error_of(client.read_line(5s)).message == "not valid JSON");
    client.send("{\"v\":1,\"id\":2,\"cmd\":\"version\"}\n");
    const auto answer = client.read_line(5s);
    REQUIRE(answer.has_value());
    CHECK(json::parse(*answer, nullptr, false).value("ok", false));
  }
  still_serving(d.dir, d.socket, d.a);
  stops_cleanly(d.a);
}

TEST_CASE("a silent client and 100 simultaneous clients: 64 served, the rest busy", "[netns][ctl-abuse]") {
  OneDaemon d;
  REQUIRE(d.namespaces.error().empty());
  INFO(d.a.log());
  REQUIRE(d.a.wait_for_log("started", 5s));

  // Connects and never sends: the daemon sends it nothing and serves others meanwhile.
  RawSocket silent(d.socket);
  REQUIRE(silent.connected());
  still_serving(d.dir, d.socket, d.a);
  CHECK(!silent.read_line(300ms).has_value());
  CHECK(!silent.eof());
  // A partial line (no newline) is held, not answered.
  silent.send("{\"v\":1,\"id\":1,");
  CHECK(!silent.read_line(300ms).has_value());
  silent.close();
  // Give the daemon a moment to see the closes (silent's and ipsecctl's) before counting admissions.
  std::this_thread::sleep_for(300ms);

  std::vector<std::unique_ptr<RawSocket>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawSocket>(d.socket));
    REQUIRE(clients.back()->connected());
  }
  int served = 0;
  int busy = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    // A refused client's socket is already closed by the daemon; its busy line is still there to read.
    clients[i]->send("{\"v\":1,\"id\":" + std::to_string(i) + ",\"cmd\":\"version\"}\n");
    const auto line = clients[i]->read_line(5s);
    REQUIRE(line.has_value());
    const auto j = json::parse(*line, nullptr, false);
    REQUIRE(j.is_object());
    if (j.value("ok", false)) {
      CHECK(j.at("id") == i);
      ++served;
    } else {
      const auto error = error_of(line);
      CHECK(error.code == "busy");
      CHECK(error.message == "too many control clients");
      CHECK(clients[i]->drain_until_closed(5s));
      ++busy;
    }
  }
  CHECK(served == 64);
  CHECK(busy == 36);
  clients.clear();
  still_serving(d.dir, d.socket, d.a);
  stops_cleanly(d.a);
}

TEST_CASE("a subscriber that never reads does not hold up the daemon and is dropped at 1 MiB",
          "[netns][ctl-abuse]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const auto socket = dir.path() + "/a.sock";
  DaemonProcess b(DaemonNamespaces::kB, dir.write("b.toml", site_b_config(dir.path() + "/b.sock")),
                  dir.path() + "/b.log");
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                  dir.path() + "/a.log");
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());
  REQUIRE(b.wait_for_log("started", 5s));
  REQUIRE(a.wait_for_log("started", 5s));

  RawSocket stuck(socket);
  REQUIRE(stuck.connected());
  stuck.set_receive_buffer(4096);
  REQUIRE(stuck.send("{\"v\":1,\"id\":1,\"cmd\":\"subscribe\"}\n") > 0);

  // Events flow (IKE SA up, CHILD_SA refused by the ESP-less kernel, IKE SA deleted) and every command is
  // answered in time although the subscriber reads none of them.
  for (int round = 0; round < 3; ++round) {
    const auto up = ipsecctl(dir, socket, "up site-a --wait=10");
    INFO(up.out << up.err);
    CHECK(up.status == 1);
    CHECK(up.err.find("child net: ") != std::string::npos);
    const auto down = ipsecctl(dir, socket, "down site-a --wait=5");
    INFO(down.out << down.err);
    CHECK(down.status == 0);
  }
  CHECK(a.log().find("ike[3] site-a: established") != std::string::npos);

  // Its own pipelined requests pile up unread answers until the daemon drops it: far fewer answers than
  // requests ever reach it, and then the end of the connection.
  std::string requests;
  for (int i = 0; i < 200; ++i) requests += "{\"v\":1,\"id\":2,\"cmd\":\"status\"}\n";
  std::size_t sent = 0;
  for (int i = 0; i < 200 && stuck.send(requests, 200ms) == requests.size(); ++i) sent += 200;
  std::size_t lines = 0;
  CHECK(stuck.drain_until_closed(10s, &lines));
  CHECK(lines < sent);
  CHECK(lines > 0);  // the events and answers that fitted before the cap

  still_serving(dir, socket, a);
  stops_cleanly(a);
  CHECK(b.running());
}

}  // namespace ipsecd::test
