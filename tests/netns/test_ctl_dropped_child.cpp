// ipsecctl up --wait for a CHILD_SA that its IKE SA will never make (queued behind an exchange in flight
// when `down` deletes the IKE SA) fails at once with exit status 1 instead of waiting for its timeout.
#include "tests/netns/ctl_netns_support.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <future>
#include <string>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// site-a with two more children, net2 and net3, each a CREATE_CHILD_SA of its own (RFC 7296 §1.3.1).
std::string site_a_with_more_children(const std::string& socket) {
  return site_a_config(socket, "none") + R"(
[connections.site-a.children.net2]
local_ts = ["198.51.100.0/25"]
remote_ts = ["198.51.100.128/25"]
esp_proposals = ["aes256gcm16"]

[connections.site-a.children.net3]
local_ts = ["198.51.100.0/26"]
remote_ts = ["198.51.100.192/26"]
esp_proposals = ["aes256gcm16"]
)";
}

}  // namespace

TEST_CASE("ipsecctl up --wait of a child queued behind an unanswered exchange exits 1 at once on down",
          "[netns][ctl-exit][ctl-dropped-child]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const std::string socket = dir.path() + "/a.sock";
  DaemonProcess b{DaemonNamespaces::kB, dir.write("b.toml", site_b_config(dir.path() + "/b.sock")),
                  dir.path() + "/b.log"};
  DaemonProcess a{DaemonNamespaces::kA, dir.write("a.toml", site_a_with_more_children(socket)),
                  dir.path() + "/a.log"};
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());
  REQUIRE(b.wait_for_log("started", 5s));
  REQUIRE(a.wait_for_log("started", 5s));

  REQUIRE(ipsecctl(dir, socket, "up site-a --child net").status == 0);
  REQUIRE(a.wait_for_log("site-a: established", 10s));
  // B stops answering: net2's CREATE_CHILD_SA stays in flight, and net3 waits behind it for the window
  // (RFC 7296 §2.3).
  b.signal(SIGSTOP);
  REQUIRE(ipsecctl(dir, socket, "up site-a --child net2").status == 0);
  auto waiting = std::async(std::launch::async, [&] {
    const auto begin = std::chrono::steady_clock::now();
    auto result = ipsecctl(dir, socket, "up site-a --child net3 --wait=20");
    return std::make_pair(result, std::chrono::steady_clock::now() - begin);
  });
  REQUIRE(a.wait_for_log("for child net3", 5s));

  // Our Delete waits for net2's answer, which never comes; net3 will never be made.
  const auto down = ipsecctl(dir, socket, "down site-a");
  CHECK(down.status == 0);
  REQUIRE(waiting.wait_for(10s) == std::future_status::ready);
  const auto [up, took] = waiting.get();
  INFO(up.out << up.err);
  CHECK(up.status == 1);
  CHECK(took < 5s);
  CHECK(up.err.rfind("ipsecctl: child net3: IKE SA deleted: the IKE SA is being deleted", 0) == 0);
  CHECK(up.err.find("(failed)\n") != std::string::npos);

  b.signal(SIGCONT);
  a.signal(SIGTERM);
  CHECK(a.wait_exit(10s).has_value());
  b.signal(SIGTERM);
  CHECK(b.wait_exit(10s) == std::optional<int>(0));
}

}  // namespace ipsecd::test
