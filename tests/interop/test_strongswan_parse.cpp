// parse_swanctl_list_sas against charon 5.9.8's `swanctl --list-sas` layout: what StrongswanPeer::view reads.
#include "tests/interop/strongswan_peer.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

TEST_CASE("swanctl --list-sas: the established IKE SA and only the installed CHILD_SA with its SPIs",
          "[strongswan][parse]") {
  const std::string output =
      "gw: #2, ESTABLISHED, IKEv2, 9e3c4a7d1b2f5e60_i 1a2b3c4d5e6f7081_r*\n"
      "  local  'peer.example.com' @ 192.0.2.2[500]\n"
      "  remote 'ipsecd.example.com' @ 192.0.2.1[500]\n"
      "  AES_CBC-256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256\n"
      "  established 3s ago, rekeying in 14393s\n"
      "  net: #3, reqid 1, INSTALLED, TUNNEL, ESP:AES_CBC-256/HMAC_SHA2_256_128\n"
      "    installed 3s ago, rekeying in 14390s, expires in 15837s\n"
      "    in  c3a1f7e2,    420 bytes,     5 packets,     0s ago\n"
      "    out 0f9e8d7c,    420 bytes,     5 packets,     0s ago\n"
      "    local  203.0.113.0/24\n"
      "    remote 198.51.100.0/24\n"
      "  net: #2, reqid 1, REKEYED, TUNNEL, ESP:AES_CBC-256/HMAC_SHA2_256_128\n"
      "    in  aaaaaaaa,    840 bytes,    10 packets\n"
      "    out bbbbbbbb,    840 bytes,    10 packets\n";
  const PeerView view = parse_swanctl_list_sas(output);
  CHECK(view.ike_established);
  REQUIRE(view.children.size() == 1);
  CHECK(view.children[0].inbound_spi == 0xc3a1f7e2u);
  CHECK(view.children[0].outbound_spi == 0x0f9e8d7cu);
  CHECK(view.raw == output);
}

TEST_CASE("swanctl --list-sas: a rekeyed IKE SA alone is not established", "[strongswan][parse]") {
  const PeerView view = parse_swanctl_list_sas("gw: #1, REKEYED, IKEv2, 9e3c4a7d1b2f5e60_i 1a2b3c4d5e6f7081_r*\n");
  CHECK(!view.ike_established);
  CHECK(view.children.empty());
  CHECK(parse_swanctl_list_sas("").children.empty());
}

}  // namespace ipsecd::test
