// Two ipsecd daemons negotiate tunnels on a real ESP/AH kernel, driven by TOML files and ipsecctl: PSK and
// certificates, tunnel and transport mode, ESP and ESP+AH; ping and UDP pass, counters agree, down is clean.
#include "tests/kernel/daemon/tunnel_checks.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {
namespace {

// up on the left, traffic both ways, counters, down.
void exercise(const TunnelOptions& options) {
  TwoGateways net;
  REQUIRE(net.error() == "");
  std::string why;
  if (!net.start(options, why)) FAIL(why);

  const auto up = net.left().ctl("up gw --wait=30");
  INFO("up: " << up.output);
  REQUIRE(up.status == 0);
  CHECK(up.json["completed"] == true);
  CHECK(up.json["children"] == nlohmann::json::array({"net"}));
  require_one_tunnel(net, options);

  const auto pinged = ping(net.left().ns(), net.left_inner(options), net.right_inner(options), 5);
  INFO(pinged.output);
  CHECK(pinged.received == 5);
  const bool there = udp_roundtrip(net.left().ns(), net.left_inner(options), net.right().ns(),
                                   net.right_inner(options), 4711, why);
  INFO("UDP: " << why);
  CHECK(there);
  const bool back = udp_roundtrip(net.right().ns(), net.right_inner(options), net.left().ns(),
                                  net.left_inner(options), 4712, why);
  INFO("UDP back: " << why);
  CHECK(back);
  require_counters_match_kernel(net, options);
  require_clean_down(net);
}

}  // namespace

TEST_CASE("PSK ESP tunnel between two LANs: ping and UDP pass, counters match, down is clean", "[daemon]") {
  exercise(TunnelOptions{});
}

TEST_CASE("Certificate ESP+AH tunnel (ECDSA and RSA chains to one root)", "[daemon]") {
  TunnelOptions o;
  o.certificates = true;
  o.ike_proposal = "aes256-sha256-ecp256";
  o.esp = {"aes256-sha256"};
  o.ah = {"sha256"};
  exercise(o);
}

TEST_CASE("PSK ESP+AH transport between the gateways", "[daemon]") {
  TunnelOptions o;
  o.transport = true;
  o.esp = {"aes128-sha256"};
  o.ah = {"sha384"};
  exercise(o);
}

TEST_CASE("Certificate ESP transport with AES-GCM", "[daemon]") {
  TunnelOptions o;
  o.certificates = true;
  o.transport = true;
  o.esp = {"aes256gcm16"};
  exercise(o);
}

}  // namespace ipsecd::test
