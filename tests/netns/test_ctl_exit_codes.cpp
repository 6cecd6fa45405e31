// ipsecctl against the real daemon: every exit code (0 done, 1 failed, 2 usage, 3 unreachable, 4 timed out)
// with what it prints, and --json output that parses with PROTOCOL.md's schema keys and types.
#include "tests/netns/ctl_netns_support.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Type = json::value_t;

// Site-a (idle, driven by ipsecctl) in namespace A and its responder in B.
struct TwoDaemons {
  DaemonNamespaces namespaces;
  ScratchDir dir;
  std::string socket = dir.path() + "/a.sock";
  DaemonProcess b{DaemonNamespaces::kB, dir.write("b.toml", site_b_config(dir.path() + "/b.sock")),
                  dir.path() + "/b.log"};
  DaemonProcess a{DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                  dir.path() + "/a.log"};
};

// `object` has each key with a value of the given kind (an unsigned member may also be written as a
// non-negative integer, and "number_unsigned or null" is written as Type::discarded here).
void has_keys(const json& object, const std::map<std::string, Type>& keys) {
  INFO(object.dump());
  REQUIRE(object.is_object());
  for (const auto& [key, type] : keys) {
    INFO(key);
    REQUIRE(object.contains(key));
    const auto& value = object.at(key);
    if (type == Type::discarded) {
      CHECK((value.is_null() || value.is_number_integer()));
    } else if (type == Type::number_integer) {
      CHECK(value.is_number_integer());
    } else if (type == Type::number_unsigned) {
      CHECK(value.is_number_unsigned());
    } else {
      CHECK(value.type() == type);
    }
  }
}

json parsed(const SplitResult& result) {
  INFO(result.out << result.err);
  auto j = json::parse(result.out, nullptr, false);
  REQUIRE(!j.is_discarded());
  return j;
}

// A socket file with nobody listening, as a daemon killed without cleanup leaves.
void make_stale_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
  ::close(fd);
}

}  // namespace

TEST_CASE("ipsecctl exits 0 and 1 against two real daemons, printing the daemon's and the peer's reasons",
          "[netns][ctl-exit]") {
  TwoDaemons d;
  REQUIRE(d.namespaces.error().empty());
  INFO("A:\n" << d.a.log() << "\nB:\n" << d.b.log());
  REQUIRE(d.b.wait_for_log("started", 5s));
  REQUIRE(d.a.wait_for_log("started", 5s));

  const auto version = ipsecctl(d.dir, d.socket, "version");
  CHECK(version.status == 0);
  CHECK(version.out.find("ipsecd") != std::string::npos);
  const auto list = ipsecctl(d.dir, d.socket, "list");
  CHECK(list.status == 0);
  CHECK(list.out.find("site-a") != std::string::npos);
  const auto dry = ipsecctl(d.dir, d.socket, "reload --dry-run");
  CHECK(dry.status == 0);
  const auto reload = ipsecctl(d.dir, d.socket, "reload");
  CHECK(reload.status == 0);

  // 1: the daemon refuses names it does not know.
  const auto unknown = ipsecctl(d.dir, d.socket, "up nowhere");
  CHECK(unknown.status == 1);
  CHECK(unknown.err == "ipsecctl: no connection named 'nowhere' (not_found)\n");
  CHECK(ipsecctl(d.dir, d.socket, "down nowhere").status == 1);
  const auto no_child = ipsecctl(d.dir, d.socket, "up site-a --child elsewhere");
  CHECK(no_child.status == 1);
  CHECK(no_child.err.find("elsewhere") != std::string::npos);

  // 1: the IKE SA comes up, the CHILD_SA does not (the responder's kernel has no ESP); the reason is printed.
  const auto up = ipsecctl(d.dir, d.socket, "up site-a --wait=10");
  INFO(up.out << up.err);
  CHECK(up.status == 1);
  CHECK(up.err.rfind("ipsecctl: child net: ", 0) == 0);
  CHECK(up.err.find("NO_PROPOSAL_CHOSEN") != std::string::npos);
  CHECK(up.err.find("(failed)\n") != std::string::npos);

  // 0: taking the established IKE SA down, and status showing it gone.
  const auto status_up = ipsecctl(d.dir, d.socket, "status");
  CHECK(status_up.status == 0);
  CHECK(status_up.out.find("established") != std::string::npos);
  const auto down = ipsecctl(d.dir, d.socket, "down site-a --wait=5");
  INFO(down.out << down.err);
  CHECK(down.status == 0);
  CHECK(d.b.wait_for_log("site-a: deleted by the peer", 2s));
  CHECK(ipsecctl(d.dir, d.socket, "status").out.find("established") == std::string::npos);

  // 0: up without --wait answers once the work has started.
  const auto started = ipsecctl(d.dir, d.socket, "up site-a");
  CHECK(started.status == 0);
  CHECK(d.a.wait_for_log("ike[2] site-a: established", 10s));
  CHECK(ipsecctl(d.dir, d.socket, "down site-a").status == 0);

  // The kernel's own reason shows at the responder, which installs first: B's `up` fails at A's kernel,
  // and B's ipsecctl prints A's NO_PROPOSAL_CHOSEN.
  const auto from_b = ipsecctl(d.dir, d.dir.path() + "/b.sock", "up site-a --wait=10");
  INFO(from_b.out << from_b.err);
  CHECK(from_b.status == 1);
  CHECK(from_b.err.find("NO_PROPOSAL_CHOSEN") != std::string::npos);
  CHECK(d.a.wait_for_log("failed: kernel refused: ", 5s));

  d.a.signal(SIGTERM);
  CHECK(d.a.wait_exit(5s) == std::optional<int>(0));
}

TEST_CASE("ipsecctl exits 2 on usage errors without contacting the daemon", "[netns][ctl-exit]") {
  ScratchDir dir;
  const std::string absent = dir.path() + "/absent.sock";  // exit 3 would show a connection was tried
  for (const char* args : {"", "frobnicate", "up", "down", "up site-a --wait=abc", "up site-a --child",
                           "--bogus status", "status extra", "reload --force"}) {
    INFO(args);
    const auto result = ipsecctl(dir, absent, args);
    CHECK(result.status == 2);
    CHECK(result.out.empty());
    CHECK(!result.err.empty());
  }
  const auto help = ipsecctl(dir, absent, "--help");
  CHECK(help.status == 0);
  CHECK(help.out.find("Exit codes:") != std::string::npos);
}

TEST_CASE("ipsecctl exits 3 when the daemon is unreachable or goes away", "[netns][ctl-exit]") {
  ScratchDir dir;
  SECTION("no socket file") {
    const auto result = ipsecctl(dir, dir.path() + "/absent.sock", "status");
    CHECK(result.status == 3);
    CHECK(result.err.find(dir.path() + "/absent.sock") != std::string::npos);
  }
  SECTION("a regular file at the path") {
    const auto file = dir.write("plain", "not a socket\n");
    CHECK(ipsecctl(dir, file, "version").status == 3);
  }
  SECTION("a stale socket nobody listens on") {
    make_stale_socket(dir.path() + "/stale.sock");
    const auto result = ipsecctl(dir, dir.path() + "/stale.sock", "--json status");
    CHECK(result.status == 3);
    CHECK(result.out.empty());
  }
  SECTION("the daemon dies while ipsecctl waits") {
    DaemonNamespaces namespaces;
    REQUIRE(namespaces.error().empty());
    const auto socket = dir.path() + "/a.sock";
    DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                    dir.path() + "/a.log");
    REQUIRE(a.wait_for_log("started", 5s));
    // No daemon in B: the wait would run 20 s; the daemon is killed after one.
    std::thread killer([&a] {
      std::this_thread::sleep_for(1s);
      a.signal(SIGKILL);
    });
    const auto result = ipsecctl(dir, socket, "up site-a --wait=20");
    killer.join();
    INFO(result.out << result.err);
    CHECK(result.status == 3);
  }
}

TEST_CASE("ipsecctl up --wait toward a peer that never answers exits 4 when the wait runs out",
          "[netns][ctl-exit]") {
  DaemonNamespaces namespaces;  // B exists, with 192.0.2.2, but runs no daemon
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const auto socket = dir.path() + "/a.sock";
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", site_a_config(socket, "none")),
                  dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));

  const auto begin = std::chrono::steady_clock::now();
  const auto up = ipsecctl(dir, socket, "--json up site-a --wait=2");
  const auto took = std::chrono::steady_clock::now() - begin;
  INFO(up.out << up.err);
  CHECK(up.status == 4);
  CHECK(took >= 1900ms);
  CHECK(took < 8s);
  const auto error = parsed(up);
  CHECK(error.at("error").at("code") == "timeout");
  CHECK(error.at("error").at("message").is_string());
  CHECK(up.err.find("(timeout)") != std::string::npos);
  // The daemon is fine and still trying.
  CHECK(ipsecctl(dir, socket, "status").status == 0);
  a.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == std::optional<int>(0));
}

TEST_CASE("ipsecctl --json prints objects with PROTOCOL.md's keys", "[netns][ctl-exit][ctl-json]") {
  TwoDaemons d;
  REQUIRE(d.namespaces.error().empty());
  INFO("A:\n" << d.a.log() << "\nB:\n" << d.b.log());
  REQUIRE(d.b.wait_for_log("started", 5s));
  REQUIRE(d.a.wait_for_log("started", 5s));

  const auto version = parsed(ipsecctl(d.dir, d.socket, "--json version"));
  has_keys(version,
           {{"daemon", Type::string}, {"version", Type::string}, {"protocol", Type::number_integer}});
  CHECK(version.at("daemon") == "ipsecd");
  CHECK(version.at("protocol") == 1);

  // monitor --json in the background while the IKE SA comes up and its CHILD_SA fails.
  SplitResult monitor;
  std::thread watcher([&] {
    monitor = run_split(d.dir, "timeout --preserve-status -s INT 8 " + ipsecctl_binary() + " --socket '" +
                                   d.socket + "' --json monitor 2>/dev/null");
  });
  std::this_thread::sleep_for(500ms);
  const auto up = ipsecctl(d.dir, d.socket, "--json up site-a");
  CHECK(up.status == 0);
  const auto up_result = parsed(up);
  has_keys(up_result, {{"connection", Type::string},
                       {"ike_sa", Type::number_unsigned},
                       {"children", Type::array},
                       {"completed", Type::boolean}});
  CHECK(up_result.at("completed") == false);
  REQUIRE(d.a.wait_for_log("child[1.1] site-a/net: failed", 10s));

  // A datagram that is no IKE message reaches A's port 500: it is dropped and counted.
  {
    EnterNetns in_b(DaemonNamespaces::kB);
    REQUIRE(in_b.error().empty());
    const int udp = socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(udp >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(500);
    inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
    const char garbage[] = "not an IKE message";
    CHECK(sendto(udp, garbage, sizeof garbage, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) > 0);
    close(udp);
  }
  json status;
  for (int i = 0; i < 50; ++i) {
    status = parsed(ipsecctl(d.dir, d.socket, "--json status"));
    if (status.contains("counters") && status["counters"].value("decode_failed", 0) == 1) break;
    std::this_thread::sleep_for(100ms);
  }
  has_keys(status, {{"connections", Type::array}, {"ike_sas", Type::array}, {"counters", Type::object}});
  CHECK(status.at("counters").at("decode_failed") == 1);
  CHECK(status.at("counters").at("datagrams_received") >= 2);  // the IKE_SA_INIT response and the garbage
  CHECK(status.at("counters").at("integrity_failed") == 0);
  REQUIRE(status.at("connections").size() == 1);
  has_keys(status.at("connections")[0], {{"name", Type::string},
                                         {"local_addrs", Type::array},
                                         {"remote_addrs", Type::array},
                                         {"children", Type::array}});
  CHECK(status.at("connections")[0].at("local_addrs") == json::array({"192.0.2.1"}));
  REQUIRE(status.at("ike_sas").size() == 1);
  const auto& ike = status.at("ike_sas")[0];
  has_keys(ike, {{"connection", Type::string},
                 {"unique_id", Type::number_unsigned},
                 {"state", Type::string},
                 {"role", Type::string},
                 {"local", Type::string},
                 {"remote", Type::string},
                 {"local_id", Type::string},
                 {"remote_id", Type::string},
                 {"proposal", Type::string},
                 {"established_seconds", Type::number_integer},
                 {"rekey_in_seconds", Type::discarded},
                 {"nat_local", Type::boolean},
                 {"nat_remote", Type::boolean},
                 {"children", Type::array}});
  // PROTOCOL.md: the keyword form, as the config wrote it.
  CHECK(ike.at("proposal").get<std::string>() == "aes256gcm16-prfsha256-x25519");
  CHECK(ike.at("remote") == "192.0.2.2:500");
  // The CHILD_SA was refused, so there is none to list (ChildSa is covered by the kernel VM tests).
  CHECK(ike.at("children").empty());
  // No key material: the PSK's hex appears nowhere.
  CHECK(status.dump().find("3f1e9a8c") == std::string::npos);

  const auto list = parsed(ipsecctl(d.dir, d.socket, "--json list"));
  CHECK(list.contains("connections"));

  const auto down = parsed(ipsecctl(d.dir, d.socket, "--json down site-a --wait=5"));
  has_keys(down, {{"connection", Type::string}, {"ike_sas", Type::array}, {"completed", Type::boolean}});
  CHECK(down.at("ike_sas") == json::array({ike.at("unique_id")}));
  CHECK(down.at("completed") == true);

  const auto reload = parsed(ipsecctl(d.dir, d.socket, "--json reload --dry-run"));
  has_keys(reload, {{"added", Type::array},
                    {"changed", Type::array},
                    {"removed", Type::array},
                    {"applied", Type::boolean}});
  CHECK(reload.at("applied") == false);

  const auto missing = parsed(ipsecctl(d.dir, d.socket, "--json up nowhere"));
  has_keys(missing, {{"error", Type::object}});
  has_keys(missing.at("error"), {{"code", Type::string}, {"message", Type::string}});
  CHECK(missing.at("error").at("code") == "not_found");

  watcher.join();
  INFO(monitor.out);
  CHECK(monitor.status == 0);
  std::map<std::string, int> seen;
  std::size_t start = 0;
  for (std::size_t nl; (nl = monitor.out.find('\n', start)) != std::string::npos; start = nl + 1) {
    const auto event = json::parse(monitor.out.substr(start, nl - start), nullptr, false);
    has_keys(event, {{"type", Type::string},
                     {"connection", Type::string},
                     {"ike_sa", Type::discarded},
                     {"time", Type::number_integer}});
    CHECK((event.at("child").is_null() || event.at("child").is_string()));
    CHECK((event.at("reason").is_null() || event.at("reason").is_string()));
    ++seen[event.at("type").get<std::string>()];
  }
  CHECK(seen["ike_up"] == 1);
  CHECK(seen["child_failed"] == 1);
  CHECK(seen["ike_down"] == 1);
}

}  // namespace ipsecd::test
