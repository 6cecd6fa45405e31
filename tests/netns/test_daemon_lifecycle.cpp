// The ipsecd binary in two namespaces: IKE SA up on both sides, start-up and shutdown flushing only our
// kernel entries, SIGTERM Deletes reaching the peer, SIGHUP with a broken configuration.
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// A reqid inside netlink::kIpsecdReqids (0x49500005) and one outside it, as `ip xfrm` prints them.
constexpr const char* kOwnedReqid = "1229979653";
constexpr const char* kForeignReqid = "7";

std::string policies(const char* ns) { return run(ip() + " -n " + ns + " xfrm policy").output; }

void add_policy(const char* ns, const std::string& src, const std::string& dst, const std::string& reqid) {
  const auto added = run(ip() + " -n " + ns + " xfrm policy add src " + src + " dst " + dst +
                         " dir out tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid " + reqid + " mode tunnel");
  REQUIRE(added.status == 0);
}

struct Pair {
  DaemonNamespaces namespaces;
  ScratchDir dir;
  std::string config_a = dir.write("a.toml", site_a_config(dir.path() + "/a.sock"));
  std::string config_b = dir.write("b.toml", site_b_config(dir.path() + "/b.sock"));
};

}  // namespace

TEST_CASE("two ipsecd daemons establish the IKE SA, the ESP-less kernel refuses the CHILD_SA", "[netns][daemon]") {
  Pair pair;
  REQUIRE(pair.namespaces.error().empty());
  DaemonProcess b(DaemonNamespaces::kB, pair.config_b, pair.dir.path() + "/b.log");
  REQUIRE(b.wait_for_log("started", 5s));
  DaemonProcess a(DaemonNamespaces::kA, pair.config_a, pair.dir.path() + "/a.log");
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());

  REQUIRE(a.wait_for_log("ike[1] site-a: established 192.0.2.1:500 <-> 192.0.2.2:500 as initiator", 10s));
  REQUIRE(b.wait_for_log("ike[1] site-a: established 192.0.2.2:500 <-> 192.0.2.1:500 as responder", 5s));
  CHECK(a.log().find("(PSK, IKE:") != std::string::npos);
  // The responder installs first: its kernel's refusal with errno and sentence, then the initiator hears
  // the error notify.
  REQUIRE(b.wait_for_log("child[1.1] site-a/net: failed: kernel refused: ", 5s));
  CHECK(b.log().find("errno") != std::string::npos);
  REQUIRE(a.wait_for_log("child[1.1] site-a/net: failed: ", 5s));
  CHECK(a.log().find("NO_PROPOSAL_CHOSEN") != std::string::npos);
  CHECK(a.running());
  CHECK(b.running());
  // No key material in any line: the PSK's hex never appears.
  CHECK(a.log().find("3f1e9a8c") == std::string::npos);
  CHECK(b.log().find("3f1e9a8c") == std::string::npos);
}

TEST_CASE("start-up removes a policy with our reqid left behind and keeps a foreign one", "[netns][daemon]") {
  Pair pair;
  REQUIRE(pair.namespaces.error().empty());
  add_policy(DaemonNamespaces::kA, "10.1.0.0/24", "10.2.0.0/24", kOwnedReqid);
  add_policy(DaemonNamespaces::kA, "10.3.0.0/24", "10.4.0.0/24", kForeignReqid);
  REQUIRE(policies(DaemonNamespaces::kA).find(std::string("reqid ") + kOwnedReqid) != std::string::npos);

  const auto idle = pair.dir.write("idle.toml", site_a_config(pair.dir.path() + "/a.sock", "none"));
  DaemonProcess a(DaemonNamespaces::kA, idle, pair.dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));
  CHECK(a.log().find("kernel: removed 0 SAs and 1 policy an earlier run of ipsecd left behind") != std::string::npos);
  const auto after = policies(DaemonNamespaces::kA);
  INFO(after);
  CHECK(after.find(std::string("reqid ") + kOwnedReqid) == std::string::npos);
  CHECK(after.find(std::string("reqid ") + kForeignReqid + " ") != std::string::npos);
}

TEST_CASE("SIGTERM deletes the IKE SA at the peer, flushes our kernel entries and exits 0", "[netns][daemon]") {
  Pair pair;
  REQUIRE(pair.namespaces.error().empty());
  DaemonProcess b(DaemonNamespaces::kB, pair.config_b, pair.dir.path() + "/b.log");
  REQUIRE(b.wait_for_log("started", 5s));
  DaemonProcess a(DaemonNamespaces::kA, pair.config_a, pair.dir.path() + "/a.log");
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());
  REQUIRE(a.wait_for_log("ike[1] site-a: established", 10s));
  REQUIRE(a.wait_for_log("child[1.1] site-a/net: failed", 5s));
  // Entries of ours the engine does not know of (as an SA whose peer never answers would leave): the
  // shutdown flush removes them, and leaves the foreign one.
  add_policy(DaemonNamespaces::kA, "10.1.0.0/24", "10.2.0.0/24", kOwnedReqid);
  add_policy(DaemonNamespaces::kA, "10.3.0.0/24", "10.4.0.0/24", kForeignReqid);

  a.signal(SIGTERM);
  const auto status = a.wait_exit(5s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(b.wait_for_log("ike[1] site-a: deleted by the peer", 2s));
  CHECK(a.log().find("shutting down: deleting 1 IKE SA") != std::string::npos);
  CHECK(a.log().find("ike[1] site-a: deleted") != std::string::npos);
  CHECK(a.log().find("ipsecd stopped") != std::string::npos);
  const auto after = policies(DaemonNamespaces::kA);
  INFO(after);
  CHECK(after.find(std::string("reqid ") + kOwnedReqid) == std::string::npos);
  CHECK(after.find(std::string("reqid ") + kForeignReqid + " ") != std::string::npos);
  CHECK(b.running());
}

TEST_CASE("SIGHUP with a broken configuration keeps the running one and names file and line",
          "[netns][daemon]") {
  Pair pair;
  REQUIRE(pair.namespaces.error().empty());
  const auto file = pair.dir.write("reload.toml", site_a_config(pair.dir.path() + "/a.sock", "none"));
  DaemonProcess a(DaemonNamespaces::kA, file, pair.dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));

  // Line 3 gets a value of the wrong kind.
  auto broken = site_a_config(pair.dir.path() + "/a.sock", "none");
  broken.replace(broken.find("log_level = \"debug\""), std::string("log_level = \"debug\"").size(),
                 "log_level = \"loud\"");
  pair.dir.write("reload.toml", broken);
  a.signal(SIGHUP);
  REQUIRE(a.wait_for_log("reload failed with 1 error: keeping the running configuration", 5s));
  CHECK(a.log().find("reload: " + file + ":3:") != std::string::npos);
  CHECK(a.log().find("daemon.log_level") != std::string::npos);
  CHECK(a.running());

  // Fixed, with a second connection: the reload applies it.
  auto fixed = site_a_config(pair.dir.path() + "/a.sock", "none");
  fixed += R"(
[connections.site-c]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.3"
[connections.site-c.local]
auth = "psk"
id = "gw-a.example.com"
[connections.site-c.remote]
auth = "psk"
id = "gw-c.example.com"
[connections.site-c.children.net]
local_ts = ["203.0.113.0/25"]
remote_ts = ["198.51.100.0/24"]
[secrets.ac]
ids = ["gw-c.example.com"]
psk = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)";
  pair.dir.write("reload.toml", fixed);
  a.signal(SIGHUP);
  REQUIRE(a.wait_for_log("reloaded " + file + ": added site-c; changed none; removed none", 5s));
  CHECK(a.running());
  a.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == std::optional<int>(0));
}

}  // namespace ipsecd::test
