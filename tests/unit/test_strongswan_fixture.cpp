// Checks that the real strongSwan captures load and agree with themselves (SPIs and lengths on the wire).
#include "tests/support/strongswan_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>

using ipsecd::test::load_strongswan_fixture;
using ipsecd::test::strongswan_fixture_names;

TEST_CASE("every strongSwan capture loads with its SPIs on the wire", "[fixture]") {
  const auto names = strongswan_fixture_names();
  REQUIRE(names.size() >= 4);
  for (const auto& name : names) {
    INFO(name);
    const auto f = load_strongswan_fixture(name);
    REQUIRE(f.messages.size() >= 4);
    for (const auto& m : f.messages) {
      REQUIRE(m.bytes.size() >= 28);
      CHECK(std::equal(f.spi_i.begin(), f.spi_i.end(), m.bytes.begin()));
    }
    CHECK_FALSE(f.encrypted.empty());
  }
}
