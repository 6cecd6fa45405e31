// The text forms of durations, byte counts and pre-shared keys in the configuration.
#include "daemon/config/value_syntax.h"

#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::config;
using std::chrono::milliseconds;

TEST_CASE("Durations take seconds or a unit", "[config]") {
  CHECK(parse_duration("90").value() == milliseconds(90'000));
  CHECK(parse_duration("90s").value() == milliseconds(90'000));
  CHECK(parse_duration("500ms").value() == milliseconds(500));
  CHECK(parse_duration("30m").value() == milliseconds(1'800'000));
  CHECK(parse_duration("4h").value() == milliseconds(14'400'000));
  CHECK(parse_duration("1d").value() == milliseconds(86'400'000));
  CHECK(parse_duration("0").value() == milliseconds(0));
  CHECK(parse_duration("4 h").value() == milliseconds(14'400'000));
  CHECK(parse_duration("h").error().find("is not a duration") != std::string::npos);
  CHECK(parse_duration("-5s").error().find("is not a duration") != std::string::npos);
  CHECK(parse_duration("5w").error().find("unknown unit") != std::string::npos);
  CHECK(parse_duration("99999999999999999d").error().find("too long") != std::string::npos);
}

TEST_CASE("Byte counts take binary multiples", "[config]") {
  CHECK(parse_byte_count("1000").value() == 1000);
  CHECK(parse_byte_count("64K").value() == 65536);
  CHECK(parse_byte_count("500M").value() == 500ull << 20);
  CHECK(parse_byte_count("2G").value() == 2ull << 30);
  CHECK(parse_byte_count("1T").value() == 1ull << 40);
  CHECK(parse_byte_count("1k").error().find("unknown unit") != std::string::npos);
  CHECK(parse_byte_count("x").error().find("is not a byte count") != std::string::npos);
  CHECK(parse_byte_count("99999999999T").error().find("too large") != std::string::npos);
}

TEST_CASE("A PSK is text or 0x hex", "[config]") {
  CHECK((parse_psk("swordfish").value() == crypto::SecureBytes{'s', 'w', 'o', 'r', 'd', 'f', 'i', 's', 'h'}));
  CHECK((parse_psk("0x00ff7A").value() == crypto::SecureBytes{0x00, 0xff, 0x7a}));
  CHECK(parse_psk("0X01").value() == crypto::SecureBytes{0x01});
  CHECK_FALSE(parse_psk(""));
  CHECK_FALSE(parse_psk("0x"));
  CHECK_FALSE(parse_psk("0x123"));
  const auto bad = parse_psk("0xabcdeg");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("abcdeg") == std::string::npos);  // never echoes the secret
}
