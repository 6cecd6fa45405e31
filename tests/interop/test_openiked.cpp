// The OpenIKED interop matrix: every case of all_cases() against iked 7.2 in the VM (label interop), and the
// parser of `ikectl show sa` that the matrix's assertions on iked's side rely on.
#include "tests/interop/matrix.h"
#include "tests/interop/openiked_peer.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

// `ikectl show sa` of iked 7.2 in the VM, right after an IKE SA rekey of ipsecd's: the old IKE SA is
// closing, the new one carries the CHILD_SA, and the global tables repeat it.
constexpr const char* show_sa_after_ike_rekey =
    "iked_sas: 0x55d193451060 rspi 0x9b7c9ae3375766d5 ispi 0xc2ee6c74efa0f561 "
    "192.0.2.2:500->192.0.2.1:500<FQDN/ecdsa.example.com>[] CLOSING i nexti (nil) pol 0x55d193451e80\n"
    "iked_sas: 0x55d1934a93e0 rspi 0x3f7f348844cd3c29 ispi 0x3977df27fd2af45a "
    "192.0.2.2:500->192.0.2.1:500<FQDN/ecdsa.example.com>[] ESTABLISHED r nexti (nil) pol 0x55d193451e80\n"
    "  sa_childsas: 0x55d1934a7c10 ESP 0xfbe24219 in 192.0.2.1:500 -> 192.0.2.2:500 (LA) B=(nil) "
    "P=0x55d1934a7cc0 @0x55d1934a93e0\n"
    "  sa_childsas: 0x55d1934a7cc0 ESP 0x184cc35a out 192.0.2.2:500 -> 192.0.2.1:500 (L) B=(nil) "
    "P=0x55d1934a7c10 @0x55d1934a93e0\n"
    "  sa_flows: 0x55d1934a5850 ESP out 192.0.2.1/32 -> 192.0.2.2/32 [0]@-1 (L) @0x55d1934a93e0\n"
    "  sa_flows: 0x55d1934a5260 ESP out 192.0.2.2/32 -> 192.0.2.1/32 [0]@-1 (L) @0x55d1934a93e0\n"
    "  sa_flows: 0x55d1934a54a0 ESP in 192.0.2.1/32 -> 192.0.2.2/32 [0]@-1 (L) @0x55d1934a93e0\n"
    "iked_activesas: 0x55d1934a7cc0 ESP 0x184cc35a out 192.0.2.2:500 -> 192.0.2.1:500 (L) B=(nil) "
    "P=0x55d1934a7c10 @0x55d1934a93e0\n"
    "iked_activesas: 0x55d1934a7c10 ESP 0xfbe24219 in 192.0.2.1:500 -> 192.0.2.2:500 (LA) B=(nil) "
    "P=0x55d1934a7cc0 @0x55d1934a93e0\n"
    "iked_flows: 0x55d1934a54a0 ESP in 192.0.2.1/32 -> 192.0.2.2/32 [0]@-1 (L) @0x55d1934a93e0\n";

TEST_CASE("ikectl show sa pairs each inbound CHILD_SA with its outbound partner", "[openiked]") {
  const PeerView view = parse_ikectl_show_sa(show_sa_after_ike_rekey);
  CHECK(view.ike_established);
  REQUIRE(view.children.size() == 1);
  CHECK(view.children[0].inbound_spi == 0xfbe24219u);
  CHECK(view.children[0].outbound_spi == 0x184cc35au);
  CHECK(view.raw == show_sa_after_ike_rekey);
}

TEST_CASE("ikectl show sa without an established IKE SA lists no CHILD_SA", "[openiked]") {
  const PeerView view = parse_ikectl_show_sa(
      "iked_sas: 0x55f14a4c5d40 rspi 0x0000000000000000 ispi 0x728bc63caa57f360 any->any<>[] SA_INIT i "
      "nexti (nil) pol 0x55f14a4c6e00\n");
  CHECK_FALSE(view.ike_established);
  CHECK(view.children.empty());
  CHECK(parse_ikectl_show_sa("").children.empty());
}

TEST_CASE("OpenIKED interop matrix", "[openiked]") {
  OpenikedPeer peer;
  require_matrix_passes(peer);
}

}  // namespace ipsecd::test
