// Tests for traffic selectors: strongSwan-syntax parsing, formatting, codec round trip, intersection and
// narrowing (RFC 7296 §2.9, §3.13).
#include "daemon/ike/ikev2/traffic_selectors.h"

#include "daemon/ike/byte_reader.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/traffic_selector_codec.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <string>
#include <vector>

using ipsecd::crypto::Bytes;
using namespace ipsecd::ikev2;

namespace {

Bytes ip(const std::string& text) {
  Bytes out(16);
  if (inet_pton(AF_INET, text.c_str(), out.data()) == 1) {
    out.resize(4);
    return out;
  }
  REQUIRE(inet_pton(AF_INET6, text.c_str(), out.data()) == 1);
  return out;
}

Selector sel(const std::string& start, const std::string& end, uint8_t protocol = 0, uint16_t start_port = 0,
             uint16_t end_port = 65535) {
  return Selector{ip(start), ip(end), protocol, start_port, end_port};
}

// Parses text known to be valid (failing the test otherwise) and resolves no dynamic entry.
Selector parsed(const std::string& text) {
  auto config = parse_selector(text);
  INFO(text);
  REQUIRE(config.has_value());
  REQUIRE_FALSE(config->dynamic);
  return config->selector;
}

std::vector<Selector> parsed_list(const std::vector<std::string>& texts) {
  std::vector<Selector> out;
  for (const auto& t : texts) out.push_back(parsed(t));
  return out;
}

}  // namespace

TEST_CASE("Selector parsing gives the strongSwan meaning", "[ts]") {
  struct Case {
    std::string text;
    Selector expected;
  };
  const std::vector<Case> cases = {
      {"10.1.0.0/16", sel("10.1.0.0", "10.1.255.255")},
      {"192.0.2.1", sel("192.0.2.1", "192.0.2.1")},
      {"2001:db8::/32", sel("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")},
      {"0.0.0.0/0", sel("0.0.0.0", "255.255.255.255")},
      {"::/0", sel("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")},
      {"10.0.0.0/8[tcp]", sel("10.0.0.0", "10.255.255.255", 6)},
      {"10.0.0.0/8[tcp/443]", sel("10.0.0.0", "10.255.255.255", 6, 443, 443)},
      {"10.0.0.0/8[udp/500-600]", sel("10.0.0.0", "10.255.255.255", 17, 500, 600)},
      {"192.0.2.0/24[17/53]", sel("192.0.2.0", "192.0.2.255", 17, 53, 53)},
      {"10.1.0.5-10.1.0.9", sel("10.1.0.5", "10.1.0.9")},
      {" 10.1.2.3/16 ", sel("10.1.0.0", "10.1.255.255")},
      {"192.0.2.0/25", sel("192.0.2.0", "192.0.2.127")},
      {"2001:db8::1/127", sel("2001:db8::", "2001:db8::1")},
      {"0.0.0.0/0[icmp/8]", sel("0.0.0.0", "255.255.255.255", 1, 0x0800, 0x08ff)},
      {"::/0[ipv6-icmp/128-129]", sel("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 58, 0x8000, 0x81ff)},
      {"10.0.0.0/8[sctp]", sel("10.0.0.0", "10.255.255.255", 132)},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parsed(c.text) == c.expected);
  }
}

TEST_CASE("dynamic stands for the SA address and resolves to it", "[ts]") {
  auto plain = parse_selector("dynamic");
  REQUIRE(plain.has_value());
  CHECK(plain->dynamic);
  CHECK(format_selector(*plain) == "dynamic");

  auto with_port = parse_selector("dynamic[udp/500]");
  REQUIRE(with_port.has_value());
  CHECK(with_port->dynamic);
  CHECK(format_selector(*with_port) == "dynamic[udp/500]");

  auto v4 = resolve(*with_port, ip("192.0.2.1"));
  REQUIRE(v4.has_value());
  CHECK(*v4 == sel("192.0.2.1", "192.0.2.1", 17, 500, 500));
  auto v6 = resolve(*plain, ip("2001:db8::7"));
  REQUIRE(v6.has_value());
  CHECK(*v6 == sel("2001:db8::7", "2001:db8::7"));

  const Bytes five(5, 1);
  CHECK_FALSE(resolve(*plain, five).has_value());

  // A non-dynamic entry ignores the address.
  auto fixed = parse_selector("10.0.0.0/8");
  REQUIRE(fixed.has_value());
  auto kept = resolve(*fixed, ip("192.0.2.1"));
  REQUIRE(kept.has_value());
  CHECK(*kept == sel("10.0.0.0", "10.255.255.255"));

  auto list = parse_selectors("dynamic, 10.0.0.0/8[tcp]");
  REQUIRE(list.has_value());
  auto resolved = resolve(*list, ip("198.51.100.4"));
  REQUIRE(resolved.has_value());
  CHECK(*resolved ==
        std::vector<Selector>{sel("198.51.100.4", "198.51.100.4"), sel("10.0.0.0", "10.255.255.255", 6)});
}

TEST_CASE("Selector parsing errors name the bad part", "[ts]") {
  struct Case {
    std::string text;
    std::string names;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"10.0.0.300/8", "'10.0.0.300'"},
      {"10.0.0.0/33", "'33'"},
      {"2001:db8::/129", "'129'"},
      {"10.0.0.0/x", "'x'"},
      {"10.0.0.0/8[tcp/70000]", "'70000'"},
      {"10.0.0.0/8[foo]", "'foo'"},
      {"10.0.0.0/8[256]", "'256'"},
      {"10.0.0.0/8[tcp/443", "lacks its closing"},
      {"10.0.0.0/8[udp/600-500]", "'600-500'"},
      {"10.0.0.0/8[tcp/]", "''"},
      {"10.0.0.0/8[icmp/300]", "ICMP type '300'"},
      {"10.0.0.9-10.0.0.1", "ends before it starts"},
      {"10.0.0.1-2001:db8::1", "mixes IPv4 and IPv6"},
      {"host.example", "'host.example'"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto r = parse_selector(c.text);
    REQUIRE_FALSE(r.has_value());
    CHECK_THAT(r.error(), Catch::Contains(c.names));
  }
  auto list = parse_selectors("10.0.0.0/8, 10.0.0.0/99");
  REQUIRE_FALSE(list.has_value());
  CHECK_THAT(list.error(), Catch::Contains("traffic selector 2") && Catch::Contains("'99'"));
}

TEST_CASE("Selector formatting uses a prefix where the range is one", "[ts]") {
  CHECK(format_selector(sel("10.1.0.0", "10.1.255.255", 6, 443, 443)) == "10.1.0.0/16[tcp/443]");
  CHECK(format_selector(sel("10.1.0.5", "10.1.0.9")) == "10.1.0.5-10.1.0.9");
  CHECK(format_selector(sel("192.0.2.1", "192.0.2.1")) == "192.0.2.1/32");
  CHECK(format_selector(sel("0.0.0.0", "255.255.255.255")) == "0.0.0.0/0");
  CHECK(format_selector(sel("2001:db8::", "2001:db8:0:0:ffff:ffff:ffff:ffff", 17, 500, 600)) ==
        "2001:db8::/64[udp/500-600]");
  CHECK(format_selector(sel("10.0.0.0", "10.255.255.255", 6)) == "10.0.0.0/8[tcp]");
  CHECK(format_selector(sel("10.0.0.0", "10.255.255.255", 99, 7, 7)) == "10.0.0.0/8[99/7]");
  CHECK(format_selector(sel("10.0.0.0", "10.255.255.255", 1, 0x0800, 0x08ff)) == "10.0.0.0/8[icmp/8]");
  CHECK(format_selector(sel("10.0.0.0", "10.255.255.255", 1, 0x0303, 0x0303)) == "10.0.0.0/8[icmp/3:3]");
  // Start 10.0.0.1 is not on a prefix boundary.
  CHECK(format_selector(sel("10.0.0.1", "10.0.0.255")) == "10.0.0.1-10.0.0.255");
  CHECK(format_selectors({sel("10.0.0.1", "10.0.0.1"), sel("::", "::")}) == "10.0.0.1/32, ::/128");

  for (const std::string text : {"10.1.0.0/16[tcp/443]", "2001:db8::/32[udp/500-600]", "10.1.0.5-10.1.0.9",
                                 "0.0.0.0/0[icmp/8]", "::/0[ipv6-icmp/128-129]"}) {
    CHECK(format_selector(parsed(text)) == text);
  }
}

TEST_CASE("Selectors survive the codec round trip", "[ts]") {
  const std::vector<Selector> selectors = parsed_list(
      {"10.1.0.0/16[tcp/443]", "2001:db8::/32", "10.1.0.5-10.1.0.9[udp/500-600]", "::/0[ipv6-icmp/135]"});
  const auto wire = to_wire(selectors);
  REQUIRE(wire.size() == 4);
  CHECK(wire[0].type == ipsecd::iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE);
  CHECK(wire[1].type == ipsecd::iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE);
  CHECK(wire[0].start_address == ip("10.1.0.0"));
  CHECK(wire[0].end_address == ip("10.1.255.255"));
  CHECK(wire[0].ip_protocol == 6);
  CHECK(wire[0].start_port == 443);

  Bytes encoded;
  ipsecd::ike::ByteWriter writer(encoded);
  REQUIRE(ipsecd::ike::encode_traffic_selectors(wire, writer).has_value());
  ipsecd::ike::ByteReader reader(encoded, 0, static_cast<uint8_t>(ipsecd::iana::PayloadType::TSi));
  auto decoded = ipsecd::ike::decode_traffic_selectors(reader);
  REQUIRE(decoded.has_value());
  auto back = from_wire(*decoded);
  REQUIRE(back.has_value());
  CHECK(*back == selectors);
}

TEST_CASE("Received selectors that make no sense are refused", "[ts]") {
  auto reversed = to_wire(sel("10.0.0.9", "10.0.0.1"));
  CHECK_THAT(from_wire(reversed).error(), Catch::Contains("ends before it starts"));

  auto opaque = to_wire(sel("10.0.0.0", "10.0.0.255", 6, 65535, 0));
  CHECK_THAT(from_wire(opaque).error(), Catch::Contains("OPAQUE"));

  auto ports = to_wire(sel("10.0.0.0", "10.0.0.255", 6, 600, 500));
  CHECK_THAT(from_wire(ports).error(), Catch::Contains("600-500"));

  auto wrong_size = to_wire(sel("10.0.0.0", "10.0.0.255"));
  wrong_size.type = ipsecd::iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE;
  CHECK_THAT(from_wire(wrong_size).error(), Catch::Contains("TS_IPV6_ADDR_RANGE"));

  auto fc = to_wire(sel("10.0.0.0", "10.0.0.255"));
  fc.type = ipsecd::iana::TrafficSelectorType::TS_FC_ADDR_RANGE;
  CHECK_FALSE(from_wire(fc).has_value());

  // One bad selector spoils the list, naming what is wrong.
  auto list = from_wire(std::vector{to_wire(sel("10.0.0.0", "10.0.0.255")), reversed});
  CHECK_THAT(list.error(), Catch::Contains("10.0.0.9-10.0.0.1"));
}

TEST_CASE("Selector intersections", "[ts]") {
  struct Case {
    std::string a;
    std::string b;
    std::optional<std::string> expected;  // formatted, nullopt when disjoint
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.1.0.0/16", "10.1.0.0/16"},
      {"10.1.0.0/16", "10.0.0.0/8", "10.1.0.0/16"},
      {"10.0.0.0/8", "192.0.2.0/24", std::nullopt},
      {"10.0.0.0-10.0.0.100", "10.0.0.50-10.0.0.200", "10.0.0.50-10.0.0.100"},
      {"10.0.0.0-10.0.0.100", "10.0.0.100-10.0.0.200", "10.0.0.100/32"},
      {"10.0.0.0-10.0.0.99", "10.0.0.100-10.0.0.200", std::nullopt},
      {"2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::/48"},
      {"2001:db8::/48", "2001:db8:1::/48", std::nullopt},
      {"0.0.0.0/0", "::/0", std::nullopt},
      {"10.0.0.0/8", "::ffff:10.0.0.0/104", std::nullopt},
      {"10.0.0.0/8", "10.0.0.0/8[tcp]", "10.0.0.0/8[tcp]"},
      {"10.0.0.0/8[udp]", "10.0.0.0/8[tcp]", std::nullopt},
      {"10.0.0.0/8[tcp]", "10.0.0.0/8[tcp/443]", "10.0.0.0/8[tcp/443]"},
      {"10.0.0.0/8[tcp/400-500]", "10.0.0.0/8[tcp/443-600]", "10.0.0.0/8[tcp/443-500]"},
      {"10.0.0.0/8[tcp/400-442]", "10.0.0.0/8[tcp/443-600]", std::nullopt},
      {"10.0.0.0/8[udp/500]", "10.1.0.0/16[17/500]", "10.1.0.0/16[udp/500]"},
      {"10.0.0.0/8[icmp]", "10.0.0.0/8[icmp/8]", "10.0.0.0/8[icmp/8]"},
      {"10.0.0.0/8[icmp/0]", "10.0.0.0/8[icmp/8]", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.a << " & " << c.b);
    const auto r = intersect(parsed(c.a), parsed(c.b));
    REQUIRE(r.has_value() == c.expected.has_value());
    if (r) {
      CHECK(format_selector(*r) == *c.expected);
      CHECK(contains(parsed(c.a), *r));
      CHECK(contains(parsed(c.b), *r));
    }
  }
}

TEST_CASE("Containment", "[ts]") {
  CHECK(contains(parsed("10.0.0.0/8"), parsed("10.1.0.0/16[tcp/443]")));
  CHECK(contains(parsed("10.0.0.0/8[tcp]"), parsed("10.1.0.0/16[tcp/443]")));
  CHECK_FALSE(contains(parsed("10.0.0.0/8[udp]"), parsed("10.1.0.0/16[tcp/443]")));
  CHECK_FALSE(contains(parsed("10.1.0.0/16[tcp]"), parsed("10.1.0.0/16")));
  CHECK_FALSE(contains(parsed("10.1.0.0/16[tcp/443]"), parsed("10.1.0.0/16[tcp/442-443]")));
  CHECK_FALSE(contains(parsed("10.1.0.0/16"), parsed("10.0.0.0/8")));
  CHECK_FALSE(contains(parsed("0.0.0.0/0"), parsed("::/128")));
  CHECK(contains(parsed("10.0.0.0/8"), parsed("10.0.0.0/8")));
}

TEST_CASE("Responder narrows to what its policy allows", "[ts]") {
  struct Case {
    std::string name;
    std::vector<std::string> remote_policy, local_policy, tsi, tsr;
    std::vector<std::string> expected_tsi, expected_tsr;
  };
  const std::vector<Case> cases = {
      {"identical",
       {"10.1.0.0/16"},
       {"10.2.0.0/16"},
       {"10.1.0.0/16"},
       {"10.2.0.0/16"},
       {"10.1.0.0/16"},
       {"10.2.0.0/16"}},
      {"proposal wider than policy",
       {"10.1.0.0/16"},
       {"10.2.0.0/16[tcp]"},
       {"10.0.0.0/8"},
       {"0.0.0.0/0"},
       {"10.1.0.0/16"},
       {"10.2.0.0/16[tcp]"}},
      {"proposal narrower than policy",
       {"10.0.0.0/8"},
       {"0.0.0.0/0"},
       {"10.1.2.0/24[udp/53]"},
       {"192.0.2.0/24"},
       {"10.1.2.0/24[udp/53]"},
       {"192.0.2.0/24"}},
      {"partial overlap of ranges",
       {"10.0.0.0-10.0.0.100"},
       {"192.0.2.0/24"},
       {"10.0.0.50-10.0.0.200"},
       {"192.0.2.128/25"},
       {"10.0.0.50-10.0.0.100"},
       {"192.0.2.128/25"}},
      {"several policy ranges inside one proposal",
       {"10.1.0.0/16", "10.2.0.0/16"},
       {"192.0.2.0/24"},
       {"10.0.0.0/8"},
       {"192.0.2.0/24"},
       {"10.1.0.0/16", "10.2.0.0/16"},
       {"192.0.2.0/24"}},
      {"only the matching family survives",
       {"10.0.0.0/8", "2001:db8:1::/48"},
       {"::/0"},
       {"2001:db8::/32", "192.0.2.0/24"},
       {"2001:db8:2::/48", "198.51.100.0/24"},
       {"2001:db8:1::/48"},
       {"2001:db8:2::/48"}},
      {"entries covered by others are dropped",
       {"10.0.0.0/8"},
       {"192.0.2.0/24"},
       {"10.1.0.0/16", "10.0.0.0/8", "10.1.0.0/16"},
       {"192.0.2.0/24"},
       {"10.0.0.0/8"},
       {"192.0.2.0/24"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const auto result = narrow(parsed_list(c.remote_policy), parsed_list(c.local_policy), parsed_list(c.tsi),
                               parsed_list(c.tsr));
    REQUIRE(result.has_value());
    CHECK(result->tsi == parsed_list(c.expected_tsi));
    CHECK(result->tsr == parsed_list(c.expected_tsr));
    // Whatever the responder narrows to passes the initiator's check.
    CHECK(check_narrowed(parsed_list(c.tsi), parsed_list(c.tsr), result->tsi, result->tsr).has_value());
  }
}

TEST_CASE("Nothing in common means TS_UNACCEPTABLE", "[ts]") {
  const auto remote = parsed_list({"10.1.0.0/16[tcp]"});
  const auto local = parsed_list({"192.0.2.0/24"});
  // Initiator side outside the policy.
  CHECK_FALSE(narrow(remote, local, parsed_list({"10.2.0.0/16"}), parsed_list({"192.0.2.0/24"})));
  // Responder side outside the policy.
  CHECK_FALSE(narrow(remote, local, parsed_list({"10.1.0.0/16"}), parsed_list({"198.51.100.0/24"})));
  // Protocols disagree.
  CHECK_FALSE(narrow(remote, local, parsed_list({"10.1.0.0/16[udp]"}), parsed_list({"192.0.2.0/24"})));
  // Families disagree.
  CHECK_FALSE(narrow(remote, local, parsed_list({"::/0"}), parsed_list({"192.0.2.0/24"})));
  // Empty proposal or empty policy.
  CHECK_FALSE(narrow(remote, local, {}, parsed_list({"192.0.2.0/24"})));
  CHECK_FALSE(narrow({}, local, parsed_list({"10.1.0.0/16"}), parsed_list({"192.0.2.0/24"})));
}

TEST_CASE("The triggering packet selector decides which range comes first", "[ts]") {
  // §2.9: the initiator put the packet from its ACQUIRE first (10.2.0.7 tcp/80 -> 192.0.2.9 tcp/8080),
  // then the whole ranges; the responder's policy splits the initiator's range in two.
  const auto remote = parsed_list({"10.1.0.0/16", "10.2.0.0/16"});
  const auto local = parsed_list({"192.0.2.0/25", "192.0.2.128/25"});
  const auto tsi = parsed_list({"10.2.0.7[tcp/80]", "10.0.0.0/8"});
  const auto tsr = parsed_list({"192.0.2.9[tcp/8080]", "192.0.2.0/24"});

  const auto all = narrow(remote, local, tsi, tsr);
  REQUIRE(all.has_value());
  CHECK(all->tsi == parsed_list({"10.2.0.0/16", "10.1.0.0/16"}));
  CHECK(all->tsr == parsed_list({"192.0.2.0/25", "192.0.2.128/25"}));

  const auto single = narrow(remote, local, tsi, tsr, NarrowingScope::single_pair);
  REQUIRE(single.has_value());
  CHECK(single->tsi == parsed_list({"10.2.0.0/16"}));
  CHECK(single->tsr == parsed_list({"192.0.2.0/25"}));

  // Without a packet selector the policy order stands.
  const auto plain = narrow(remote, local, parsed_list({"10.0.0.0/8"}), parsed_list({"192.0.2.0/24"}),
                            NarrowingScope::single_pair);
  REQUIRE(plain.has_value());
  CHECK(plain->tsi == parsed_list({"10.1.0.0/16"}));
  CHECK(plain->tsr == parsed_list({"192.0.2.0/25"}));

  // A policy that only partly covers the packet's selector still prefers the range overlapping it.
  const auto partial = narrow(parsed_list({"10.1.0.0/16", "10.2.0.0/16[tcp/80]"}), local,
                              parsed_list({"10.2.0.7[tcp]", "10.0.0.0/8"}), tsr, NarrowingScope::single_pair);
  REQUIRE(partial.has_value());
  CHECK(partial->tsi == parsed_list({"10.2.0.0/16[tcp/80]"}));
}

TEST_CASE("Initiator refuses answers outside its proposal", "[ts]") {
  const auto tsi = parsed_list({"10.1.0.0/16", "10.3.0.0/16[udp]"});
  const auto tsr = parsed_list({"192.0.2.0/24"});

  CHECK(check_narrowed(tsi, tsr, tsi, tsr).has_value());
  CHECK(check_narrowed(tsi, tsr, parsed_list({"10.1.2.0/24", "10.3.0.0/16[udp/53]"}),
                       parsed_list({"192.0.2.7"}))
            .has_value());

  auto wider = check_narrowed(tsi, tsr, parsed_list({"10.0.0.0/8"}), tsr);
  REQUIRE_FALSE(wider.has_value());
  CHECK_THAT(wider.error(), Catch::Contains("TSi") && Catch::Contains("10.0.0.0/8"));

  auto protocol = check_narrowed(tsi, tsr, parsed_list({"10.3.0.0/16[tcp]"}), tsr);
  REQUIRE_FALSE(protocol.has_value());
  CHECK_THAT(protocol.error(), Catch::Contains("10.3.0.0/16[tcp]"));

  auto any_protocol = check_narrowed(tsi, tsr, parsed_list({"10.3.0.0/16"}), tsr);
  CHECK_FALSE(any_protocol.has_value());

  auto responder_side = check_narrowed(tsi, tsr, tsi, parsed_list({"198.51.100.0/24"}));
  REQUIRE_FALSE(responder_side.has_value());
  CHECK_THAT(responder_side.error(), Catch::Contains("TSr"));

  auto family = check_narrowed(tsi, tsr, parsed_list({"2001:db8::1"}), tsr);
  CHECK_FALSE(family.has_value());

  auto empty = check_narrowed(tsi, tsr, {}, tsr);
  REQUIRE_FALSE(empty.has_value());
  CHECK_THAT(empty.error(), Catch::Contains("empty"));
}
