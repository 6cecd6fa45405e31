// Address ranges split into the fewest prefixes, and IKE selector pairs turned into XFRM selectors.
#include "daemon/kernel_selectors.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace ipsecd;
using ipsecd::daemon::range_to_prefixes;
using ipsecd::daemon::xfrm_selectors;

namespace {

crypto::Bytes bytes_of(const char* text) {
  const auto address = IpAddress::parse(text);
  REQUIRE(address);
  return {address->view().begin(), address->view().end()};
}

std::vector<std::string> split(const char* start, const char* end) {
  auto prefixes = range_to_prefixes(bytes_of(start), bytes_of(end));
  REQUIRE(prefixes);
  std::vector<std::string> texts;
  for (const auto& p : *prefixes) texts.push_back(p.to_string());
  return texts;
}

ikev2::Selector selector(const char* text) {
  auto parsed = ikev2::parse_selector(text);
  REQUIRE(parsed);
  REQUIRE_FALSE(parsed->dynamic);
  return parsed->selector;
}

}  // namespace

TEST_CASE("A range that is a prefix gives that one prefix", "[range_to_prefixes]") {
  CHECK(split("192.0.2.0", "192.0.2.255") == std::vector<std::string>{"192.0.2.0/24"});
  CHECK(split("192.0.2.7", "192.0.2.7") == std::vector<std::string>{"192.0.2.7/32"});
  CHECK(split("0.0.0.0", "255.255.255.255") == std::vector<std::string>{"0.0.0.0/0"});
  CHECK(split("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == std::vector<std::string>{"::/0"});
  CHECK(split("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff") == std::vector<std::string>{"2001:db8::/32"});
}

TEST_CASE("Unaligned IPv4 ranges split into the minimal prefix set", "[range_to_prefixes]") {
  CHECK(split("192.0.2.1", "192.0.2.6") ==
        std::vector<std::string>{"192.0.2.1/32", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6/32"});
  CHECK(split("192.0.2.5", "192.0.2.9") == std::vector<std::string>{"192.0.2.5/32", "192.0.2.6/31", "192.0.2.8/31"});
  CHECK(split("192.0.2.255", "198.51.100.0").size() > 1);
  // The worst case for IPv4: 0.0.0.1 to 255.255.255.254 needs 31 prefixes on each side.
  CHECK(split("0.0.0.1", "255.255.255.254").size() == 62);
  CHECK(split("0.0.0.1", "255.255.255.255").size() == 32);
  CHECK(split("0.0.0.0", "255.255.255.254").size() == 32);
}

TEST_CASE("IPv6 ranges split and the worst case stays at 254 prefixes", "[range_to_prefixes]") {
  CHECK(split("2001:db8::1", "2001:db8::3") == std::vector<std::string>{"2001:db8::1/128", "2001:db8::2/127"});
  CHECK(split("2001:db8::ffff", "2001:db8::1:0") ==
        std::vector<std::string>{"2001:db8::ffff/128", "2001:db8::1:0/128"});
  CHECK(split("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").size() == 254);
}

TEST_CASE("Range splitting refuses mixed families and reversed ranges", "[range_to_prefixes]") {
  auto mixed = range_to_prefixes(bytes_of("192.0.2.1"), bytes_of("2001:db8::1"));
  REQUIRE_FALSE(mixed);
  CHECK_THAT(mixed.error(), Catch::Contains("two IPv4 or two IPv6"));
  auto reversed = range_to_prefixes(bytes_of("192.0.2.9"), bytes_of("192.0.2.1"));
  REQUIRE_FALSE(reversed);
  CHECK_THAT(reversed.error(), Catch::Contains("start lies after its end"));
}

TEST_CASE("Selector pairs become the cross product of prefixes and single ports", "[range_to_prefixes]") {
  auto any = xfrm_selectors(selector("10.1.0.0/16"), selector("10.2.0.0/16"));
  REQUIRE(any);
  REQUIRE(any->size() == 1);
  CHECK((*any)[0].src.to_string() == "10.1.0.0/16");
  CHECK((*any)[0].dst.to_string() == "10.2.0.0/16");
  CHECK((*any)[0].protocol == 0);
  CHECK((*any)[0].src_port == 0);
  CHECK((*any)[0].dst_port == 0);

  auto ranged = xfrm_selectors(selector("10.1.0.1-10.1.0.2"), selector("10.2.0.0/24[tcp/443-445]"));
  REQUIRE(ranged);
  // 10.1.0.1/32 and 10.1.0.2/32, times ports 443, 444, 445.
  REQUIRE(ranged->size() == 6);
  for (const auto& s : *ranged) {
    CHECK(s.protocol == 6);
    CHECK(s.src_port == 0);
    CHECK(s.dst_port >= 443);
    CHECK(s.dst_port <= 445);
  }
  CHECK((*ranged)[0].src.to_string() == "10.1.0.1/32");
  CHECK((*ranged)[5].src.to_string() == "10.1.0.2/32");
  CHECK((*ranged)[5].dst_port == 445);
}

TEST_CASE("Selector pairs refuse what XFRM cannot express", "[range_to_prefixes]") {
  auto wide = xfrm_selectors(selector("10.1.0.0/16[udp/1000-2000]"), selector("10.2.0.0/16"));
  REQUIRE_FALSE(wide);
  CHECK_THAT(wide.error(), Catch::Contains("spans more than 16 ports"));
  auto zero = xfrm_selectors(selector("10.1.0.0/16[udp/0-5]"), selector("10.2.0.0/16"));
  REQUIRE_FALSE(zero);
  CHECK_THAT(zero.error(), Catch::Contains("port 0"));
  auto protocols = xfrm_selectors(selector("10.1.0.0/16[tcp]"), selector("10.2.0.0/16[udp]"));
  REQUIRE_FALSE(protocols);
  CHECK_THAT(protocols.error(), Catch::Contains("differ"));
  auto families = xfrm_selectors(selector("10.1.0.0/16"), selector("2001:db8::/32"));
  REQUIRE_FALSE(families);
  CHECK_THAT(families.error(), Catch::Contains("families"));
  auto many = xfrm_selectors(selector("::1-ffff::fffe"), selector("::1-ffff::fffe"));
  REQUIRE_FALSE(many);
  CHECK_THAT(many.error(), Catch::Contains("kernel policies"));
}

TEST_CASE("ICMP type and code go to the source and destination port fields", "[range_to_prefixes]") {
  ikev2::Selector echo = selector("10.1.0.0/16[icmp]");
  echo.start_port = 8 << 8;
  echo.end_port = (8 << 8) | 0xff;
  auto type_only = xfrm_selectors(echo, selector("10.2.0.0/16[icmp]"));
  REQUIRE(type_only);
  REQUIRE(type_only->size() == 1);
  CHECK((*type_only)[0].protocol == 1);
  CHECK((*type_only)[0].src_port == 8);
  CHECK((*type_only)[0].dst_port == 0);

  ikev2::Selector unreachable = selector("10.2.0.0/16[icmp]");
  unreachable.start_port = unreachable.end_port = (3 << 8) | 4;
  auto type_code = xfrm_selectors(selector("10.1.0.0/16[icmp]"), unreachable);
  REQUIRE(type_code);
  CHECK((*type_code)[0].src_port == 3);
  CHECK((*type_code)[0].dst_port == 4);

  ikev2::Selector echo_reply = selector("10.1.0.0/16[icmp]");
  echo_reply.start_port = 0;
  echo_reply.end_port = 0xff;
  auto reply = xfrm_selectors(echo_reply, selector("10.2.0.0/16[icmp]"));
  REQUIRE_FALSE(reply);
  CHECK_THAT(reply.error(), Catch::Contains("non-zero type"));
}
