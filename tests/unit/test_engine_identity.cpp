// IKE identities from their text forms (RFC 7296 §3.5) and back.
#include "daemon/ike/ikev2/config.h"

#include <botan/hex.h>
#include <catch2/catch.hpp>

using namespace ipsecd;
using ipsecd::ikev2::Identity;
using ipsecd::ikev2::parse_identity;
using ipsecd::ikev2::to_string;

TEST_CASE("Identities parse from the usual text forms", "[engine]") {
  auto v4 = parse_identity("192.0.2.1");
  REQUIRE(v4);
  CHECK(v4->type == iana::IdentificationType::ID_IPV4_ADDR);
  CHECK(v4->data == crypto::Bytes{192, 0, 2, 1});

  auto v6 = parse_identity("2001:db8::1");
  REQUIRE(v6);
  CHECK(v6->type == iana::IdentificationType::ID_IPV6_ADDR);
  CHECK(v6->data.size() == 16);
  CHECK(v6->data.back() == 1);

  auto fqdn = parse_identity("@vpn.example.org");
  REQUIRE(fqdn);
  CHECK(fqdn->type == iana::IdentificationType::ID_FQDN);
  CHECK(std::string(fqdn->data.begin(), fqdn->data.end()) == "vpn.example.org");
  CHECK(*parse_identity("vpn.example.org") == *fqdn);

  auto mail = parse_identity("user@example.org");
  REQUIRE(mail);
  CHECK(mail->type == iana::IdentificationType::ID_RFC822_ADDR);
  CHECK(std::string(mail->data.begin(), mail->data.end()) == "user@example.org");

  auto keyid = parse_identity("keyid:0a1B2c");
  REQUIRE(keyid);
  CHECK(keyid->type == iana::IdentificationType::ID_KEY_ID);
  CHECK(keyid->data == crypto::Bytes{0x0a, 0x1b, 0x2c});
}

TEST_CASE("A distinguished name becomes its DER encoding in the given order", "[engine]") {
  auto dn = parse_identity("C=CH, O=x, CN=y");
  REQUIRE(dn);
  CHECK(dn->type == iana::IdentificationType::ID_DER_ASN1_DN);
  // SEQUENCE { SET { SEQUENCE { 2.5.4.6, PrintableString "CH" } }, SET { ... 2.5.4.10 "x" },
  // SET { ... 2.5.4.3 "y" } }, as X.690 DER and RFC 5280 write it.
  CHECK(Botan::hex_encode(dn->data.data(), dn->data.size(), false) ==
        "3025"
        "310b3009060355040613024348"
        "310a3008060355040a130178"
        "310a30080603550403130179");
  CHECK(to_string(*dn) == "C=CH, O=x, CN=y");
}

TEST_CASE("Malformed identities are errors, and every form prints back as it reads", "[engine]") {
  CHECK(!parse_identity(""));
  CHECK(!parse_identity("@"));
  CHECK(!parse_identity("keyid:zz"));
  CHECK(!parse_identity("keyid:"));
  CHECK(!parse_identity("C=CH, =x"));
  CHECK(!parse_identity("C=CH, O="));
  CHECK(!parse_identity("NOSUCHATTR=1"));
  for (const char* text : {"192.0.2.1", "2001:db8::1", "vpn.example.org", "user@example.org", "keyid:0a1b2c",
                           "C=CH, O=Example AG, OU=VPN, CN=gw.example.org"}) {
    auto id = parse_identity(text);
    REQUIRE(id);
    CHECK(to_string(*id) == text);
    CHECK(*parse_identity(to_string(*id)) == *id);
  }
}
