// The ipsecd binary with start_action = trap: trap policies in the kernel at start, the first packet's
// ACQUIRE negotiating with the peer daemon, the policies outliving a failed CHILD_SA and leaving on SIGTERM.
//
// On a host without ESP the peer's kernel refuses the CHILD_SA, so the test stops at the IKE SA. In the
// kernel VM (ESP available) the same test also sees the CHILD_SA installed with the trap's reqid and both
// SAs in `ip xfrm state`; the datagram that triggered the ACQUIRE is lost (the kernel drops packets while
// it waits, xfrm_larval_drop), and the next one travels in ESP. Run it there with
// `netns_tests "[trap]"` as root.
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// The engine's first reqid (EngineSettings::first_reqid, 0x49500001) as `ip xfrm` prints it.
constexpr const char* kTrapReqid = "reqid 1229979649";

std::string xfrm(const char* ns, const char* what) { return run(ip() + " -n " + ns + " xfrm " + what).output; }

// One UDP datagram from 203.0.113.1 (inside A's local_ts) to 203.0.113.129 (inside its remote_ts), sent
// from A's namespace: it hits the trap's out policy.
bool send_into_trap() {
  EnterNetns in(DaemonNamespaces::kA);
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (udp < 0) return false;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, "203.0.113.1", &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  inet_pton(AF_INET, "203.0.113.129", &to.sin_addr);
  const bool bound = bind(udp, reinterpret_cast<const sockaddr*>(&from), sizeof from) == 0;
  // EAGAIN while the kernel waits for the SA is expected: the ACQUIRE has gone out all the same.
  if (bound) (void)sendto(udp, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  close(udp);
  return bound;
}

}  // namespace

TEST_CASE("start_action trap installs trap policies and the first packet brings the IKE SA up",
          "[netns][daemon][trap]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const std::string a_ns = std::string(ip()) + " -n " + DaemonNamespaces::kA;
  // A's inner address and the route to B's inner network, so the datagram reaches the policy lookup.
  REQUIRE(run(a_ns + " addr add 203.0.113.1/32 dev lo && " + a_ns + " route add 203.0.113.128/25 via 192.0.2.2")
              .status == 0);

  DaemonProcess b(DaemonNamespaces::kB, dir.write("b.toml", site_b_config(dir.path() + "/b.sock")),
                  dir.path() + "/b.log");
  REQUIRE(b.wait_for_log("started", 5s));
  // A names no local_addr: the trap's templates and the IKE SA take 192.0.2.1, the source address of the
  // kernel's route to 192.0.2.2.
  std::string a_config = site_a_config(dir.path() + "/a.sock", "trap");
  const std::string local_addr_line = "local_addr = \"192.0.2.1\"\n";
  REQUIRE(a_config.find(local_addr_line) != std::string::npos);
  a_config.erase(a_config.find(local_addr_line), local_addr_line.size());
  DaemonProcess a(DaemonNamespaces::kA, dir.write("a.toml", a_config), dir.path() + "/a.log");
  INFO("A:\n" << a.log() << "\nB:\n" << b.log());
  REQUIRE(a.wait_for_log("site-a/net: trap installed (reqid 1229979649)", 5s));

  const auto policies = xfrm(DaemonNamespaces::kA, "policy");
  INFO(policies);
  CHECK(policies.find("src 203.0.113.0/25 dst 203.0.113.128/25 \n\tdir out") != std::string::npos);
  CHECK(policies.find("src 203.0.113.128/25 dst 203.0.113.0/25 \n\tdir in") != std::string::npos);
  CHECK(policies.find("src 203.0.113.128/25 dst 203.0.113.0/25 \n\tdir fwd") != std::string::npos);
  CHECK(policies.find("tmpl src 192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid 1229979649 mode tunnel") !=
        std::string::npos);
  CHECK(policies.find("tmpl src 192.0.2.2 dst 192.0.2.1\n\t\tproto esp reqid 1229979649 mode tunnel") !=
        std::string::npos);
  // Nothing negotiated before traffic comes.
  CHECK(a.log().find("established") == std::string::npos);
  CHECK(xfrm(DaemonNamespaces::kA, "state").find(kTrapReqid) == std::string::npos);

  REQUIRE(send_into_trap());
  REQUIRE(a.wait_for_log("ike[1] site-a: negotiating child net for traffic 203.0.113.1/32[udp/", 5s));
  // The packet as the kernel reported it (from the socket's ephemeral port to port 9).
  CHECK(a.log().find("-> 203.0.113.129/32[udp/9]") != std::string::npos);
  REQUIRE(a.wait_for_log("ike[1] site-a: established 192.0.2.1:500 <-> 192.0.2.2:500 as initiator", 10s));
  REQUIRE(b.wait_for_log("ike[1] site-a: established", 5s));
  // The packet's own selectors went first in TSi/TSr; the responder answered with the configured ranges.
  REQUIRE(a.wait_for_log("child[1.1] site-a/net: ", 5s));
  if (a.log().find("child[1.1] site-a/net: installed") != std::string::npos) {
    // A kernel with ESP (the VM): the CHILD_SA's SAs carry the trap's reqid, so the trap's policies use them.
    CHECK(a.log().find("reqid 1229979649 tunnel mode, 203.0.113.0/25 === 203.0.113.128/25") != std::string::npos);
    CHECK(xfrm(DaemonNamespaces::kA, "state").find(kTrapReqid) != std::string::npos);
  } else {
    CHECK(a.log().find("child[1.1] site-a/net: failed") != std::string::npos);
  }
  // The trap stays for the next packet, whatever became of the CHILD_SA.
  CHECK(xfrm(DaemonNamespaces::kA, "policy").find(kTrapReqid) != std::string::npos);

  a.signal(SIGTERM);
  REQUIRE(a.wait_exit(5s) == std::optional<int>(0));
  const auto after = xfrm(DaemonNamespaces::kA, "policy");
  INFO(after);
  CHECK(after.find(kTrapReqid) == std::string::npos);
  CHECK(after.find("203.0.113.") == std::string::npos);
}

}  // namespace ipsecd::test
