// Tests for the Expected<T, E> error-value type.
#include "common/expected.h"

#include <catch2/catch.hpp>
#include <string>

using ipsecd::Expected;
using ipsecd::unexpected;

namespace {
Expected<int, std::string> parse_digit(char c) {
  if (c < '0' || c > '9') return unexpected(std::string("not a digit"));
  return c - '0';
}
}  // namespace

TEST_CASE("Expected carries either a value or an error", "[common]") {
  auto good = parse_digit('7');
  REQUIRE(good.has_value());
  CHECK(*good == 7);
  auto bad = parse_digit('x');
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == "not a digit");
}
