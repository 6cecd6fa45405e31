// The Libreswan interop matrix: every case of all_cases() against pluto 4.10 in the VM (label interop), and
// the reading of whack's output on a recorded sample.
#include "tests/interop/libreswan_peer.h"
#include "tests/interop/matrix.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

TEST_CASE("Libreswan interop matrix", "[libreswan]") {
  LibreswanPeer peer;
  require_matrix_passes(peer);
}

// Recorded from pluto 4.10 in the VM just after a CHILD_SA rekey: #2 is the old child, already gone from
// trafficstatus; #3 is the installed one.
TEST_CASE("whack --trafficstatus and --showstates give the IKE SA and the installed CHILD_SA's SPIs",
          "[libreswan][whack]") {
  const std::string traffic =
      "006 #3: \"gw\", type=ESP, add_time=1795756827, inBytes=252, outBytes=252, maxBytes=2^63B, "
      "id='@ipsecd.example.com'\n";
  const std::string states =
      "000 #1: \"gw\":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); REKEY in 86129s; REPLACE in "
      "86399s; newest; idle;\n"
      "000 #2: \"gw\":500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); REKEY in 28529s; idle;\n"
      "000 #2: \"gw\" esp.11111111@192.0.2.1 esp.22222222@192.0.2.2 tun.0@192.0.2.1 tun.0@192.0.2.2 "
      "Traffic: ESPin=0B ESPout=0B ESPmax=2^63B \n"
      "000 #3: \"gw\":500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); REKEY in 28529s; REPLACE "
      "in 28799s; newest; eroute owner; IKE SA #1; idle;\n"
      "000 #3: \"gw\" esp.ed3a45dd@192.0.2.1 esp.2bb13197@192.0.2.2 tun.0@192.0.2.1 tun.0@192.0.2.2 "
      "Traffic: ESPin=252B ESPout=252B ESPmax=2^63B \n";
  const PeerView view = parse_whack(traffic, states, "192.0.2.2");
  CHECK(view.ike_established);
  REQUIRE(view.children.size() == 1);
  CHECK(view.children[0].outbound_spi == 0xed3a45dd);  // to ipsecd at 192.0.2.1
  CHECK(view.children[0].inbound_spi == 0x2bb13197);
  CHECK(view.raw.find("esp.ed3a45dd@192.0.2.1") != std::string::npos);

  const PeerView none =
      parse_whack("", "000 #1: \"gw\":500 STATE_V2_PARENT_I1 (sent IKE_SA_INIT request);\n", "192.0.2.2");
  CHECK(!none.ike_established);
  CHECK(none.children.empty());
}

}  // namespace ipsecd::test
