// The strongSwan interop matrix: every case of all_cases() against charon 5.9.8 in the VM (label interop).
#include "tests/interop/matrix.h"
#include "tests/interop/strongswan_peer.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

TEST_CASE("strongSwan interop matrix", "[strongswan]") {
  StrongswanPeer peer;
  require_matrix_passes(peer);
}

}  // namespace ipsecd::test
