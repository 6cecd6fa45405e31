// The Libreswan interop matrix: every case of all_cases() against pluto 4.10 in the VM (label interop).
#include "tests/interop/libreswan_peer.h"
#include "tests/interop/matrix.h"

#include <catch2/catch.hpp>

namespace ipsecd::test {

TEST_CASE("Libreswan interop matrix", "[libreswan]") {
  LibreswanPeer peer;
  const Matrix matrix = run_matrix(peer);
  CHECK(matrix.size() > 0);
  REQUIRE(matrix.count(CaseOutcome::Result::fail) == 0);
}

}  // namespace ipsecd::test
