// Re-encoding real strongSwan messages: every captured datagram and decrypted SK plaintext decodes and
// encodes back byte for byte, and the SK associated data and IV sit where the codec says.
#include "daemon/ike/message_codec.h"
#include "tests/support/strongswan_fixture.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace ipsecd::ike;
using ipsecd::crypto::Bytes;
using ipsecd::test::load_strongswan_fixture;
using ipsecd::test::strongswan_fixture_names;
namespace iana = ipsecd::iana;

TEST_CASE("Every strongSwan datagram decodes and re-encodes byte for byte", "[codec]") {
  const auto names = strongswan_fixture_names();
  REQUIRE_FALSE(names.empty());
  size_t messages = 0, encrypted_messages = 0;
  for (const auto& name : names) {
    const auto fixture = load_strongswan_fixture(name);
    for (const auto& m : fixture.messages) {
      INFO(name << " message " << m.index);
      auto decoded = decode_message(m.bytes);
      if (!decoded) FAIL(to_string(decoded.error()));
      CHECK(static_cast<uint8_t>(decoded->message.header.exchange) == m.exchange_type);
      CHECK(decoded->message.header.response == m.is_response);
      CHECK(decoded->message.header.initiator == m.from_initiator);
      CHECK(decoded->message.header.message_id == m.message_id);
      auto encoded = encode_message(decoded->message);
      REQUIRE(encoded);
      CHECK(encoded->bytes == m.bytes);
      CHECK(encoded->encrypted_offset == decoded->encrypted_offset);
      ++messages;
      if (decoded->encrypted_offset) ++encrypted_messages;
    }
  }
  CHECK(messages >= 16);
  CHECK(encrypted_messages > 0);
}

TEST_CASE("Every strongSwan SK plaintext decodes as a bare chain and re-encodes", "[codec]") {
  size_t payloads = 0;
  for (const auto& name : strongswan_fixture_names()) {
    const auto fixture = load_strongswan_fixture(name);
    std::map<int, const ipsecd::test::FixtureMessage*> by_index;
    for (const auto& m : fixture.messages) by_index[m.index] = &m;
    for (const auto& e : fixture.encrypted) {
      INFO(name << " message " << e.message_index);
      REQUIRE(by_index.count(e.message_index) == 1);
      const Bytes& wire = by_index[e.message_index]->bytes;
      auto outer = decode_message(wire);
      REQUIRE(outer);
      REQUIRE(outer->encrypted_offset);
      const size_t offset = *outer->encrypted_offset;
      // §3.14: the associated data is everything before the IV, and the IV comes first in the body.
      CHECK(Bytes(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(offset)) == e.associated);
      REQUIRE(wire.size() >= offset + e.iv.size());
      CHECK(std::equal(e.iv.begin(), e.iv.end(), wire.begin() + static_cast<std::ptrdiff_t>(offset)));

      const auto& last = outer->message.payloads.back().body;
      const auto* sk = std::get_if<SkPayload>(&last);
      const auto* skf = std::get_if<SkfPayload>(&last);
      REQUIRE((sk != nullptr || skf != nullptr));
      const auto first = sk != nullptr ? sk->first_inner : skf->first_inner;
      auto inner = decode_payloads(first, e.plain);
      if (!inner) FAIL(to_string(inner.error()));
      // Empty INFORMATIONAL exchanges (liveness checks) have an empty inner chain.
      payloads += inner->size();
      auto encoded = encode_payloads(*inner);
      REQUIRE(encoded);
      CHECK(*encoded == e.plain);
      CHECK(first_payload_type(*inner) == first);
    }
  }
  CHECK(payloads >= 20);
}
