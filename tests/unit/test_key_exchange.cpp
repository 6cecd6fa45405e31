// Tests for IKE key exchange: RFC 5903 and RFC 7748 vectors, MODP agreement, and refusal of bad peer values.
#include "crypto/key_exchange.h"

#include "crypto/random.h"

#include <botan/bigint.h>
#include <botan/dl_group.h>
#include <botan/hex.h>
#include <botan/numthry.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include <string>

using ipsecd::crypto::Bytes;
using ipsecd::crypto::KeyExchange;
using ipsecd::crypto::make_key_exchange;
using ipsecd::crypto::make_key_exchange_from_private;
using ipsecd::crypto::public_value_length;
using ipsecd::crypto::SecureBytes;
using ipsecd::crypto::system_rng;
using ipsecd::iana::KeyExchangeMethod;

namespace {

Bytes hex(const std::string& s) { return Botan::hex_decode(s); }

Bytes encode(const Botan::BigInt& n, size_t length) {
  return Botan::unlock(Botan::BigInt::encode_1363(n, length));
}

std::unique_ptr<KeyExchange> from_private(KeyExchangeMethod m, const std::string& private_hex) {
  auto ke = make_key_exchange_from_private(m, hex(private_hex));
  REQUIRE(ke.has_value());
  return std::move(ke).value();
}

std::unique_ptr<KeyExchange> fresh(KeyExchangeMethod m) {
  auto ke = make_key_exchange(m, system_rng());
  REQUIRE(ke.has_value());
  return std::move(ke).value();
}

struct EcpVector {
  KeyExchangeMethod method;
  const char* i;
  const char* gix;
  const char* giy;
  const char* r;
  const char* grx;
  const char* gry;
  const char* girx;
};

// RFC 5903 §8.1, §8.2, §8.3.
const EcpVector ecp_vectors[] = {
    {KeyExchangeMethod::ECP_256, "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
     "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
     "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
     "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
     "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
     "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
     "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"},
    {KeyExchangeMethod::ECP_384,
     "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
     "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA",
     "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
     "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
     "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571",
     "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
     "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"},
    {KeyExchangeMethod::ECP_521,
     "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771D937BA9777F5957B2"
     "6"
     "39BAB072462F68C27A57382D4A52",
     "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE57C2D107564941885"
     "942AF5A7F4601723C4195D176CED3E",
     "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788015AC405D7799DC75E7B7D5B6CF2261A"
     "6A7F1507438BF01BEB6CA3926F9582",
     "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF2A3163E4C2F869CC"
     "A7458AA4A4EFFC311F5CB151685EB9",
     "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB0352F6BE64A6C2912D"
     "4EF2D0433CED2B6171640012D9460F",
     "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B6536C5C408A1D2AEBB8E86D678AE49CB57"
     "091F4732296579AB44FCD17F0FC56A",
     "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A34786859810C06B3C715"
     "A3A8CC3151F2BEE417996D19F3DDEA"},
};

}  // namespace

TEST_CASE("ECP groups 19 20 21 match RFC 5903 section 8 vectors", "[ke]") {
  for (const auto& v : ecp_vectors) {
    CAPTURE(ipsecd::iana::name(v.method));
    auto initiator = from_private(v.method, v.i);
    auto responder = from_private(v.method, v.r);
    // RFC 5903 §7: x || y with no 0x04 prefix.
    CHECK(initiator->public_value() == hex(std::string(v.gix) + v.giy));
    CHECK(responder->public_value() == hex(std::string(v.grx) + v.gry));
    CHECK(initiator->public_value().size() == *public_value_length(v.method));
    auto z_i = initiator->shared_secret(responder->public_value());
    auto z_r = responder->shared_secret(initiator->public_value());
    REQUIRE(z_i.has_value());
    REQUIRE(z_r.has_value());
    // RFC 5903 §9: only the x coordinate.
    const Bytes girx = hex(v.girx);
    CHECK(*z_i == SecureBytes(girx.begin(), girx.end()));
    CHECK(*z_r == *z_i);
  }
}

TEST_CASE("X25519 matches RFC 7748 section 5.2 scalar multiplication vectors", "[ke]") {
  struct {
    const char* scalar;
    const char* u;
    const char* out;
  } const vectors[] = {
      {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
       "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
       "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
      // The input u has its top bit set, which X25519 must ignore.
      {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
       "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
       "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
  };
  for (const auto& v : vectors) {
    auto ke = from_private(KeyExchangeMethod::CURVE25519, v.scalar);
    auto out = ke->shared_secret(hex(v.u));
    REQUIRE(out.has_value());
    CHECK(Botan::hex_encode(out->data(), out->size(), false) == v.out);
  }
}

TEST_CASE("X25519 matches RFC 7748 section 6.1 Diffie-Hellman vector", "[ke]") {
  auto alice = from_private(KeyExchangeMethod::CURVE25519,
                            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto bob = from_private(KeyExchangeMethod::CURVE25519,
                          "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  CHECK(alice->public_value() == hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
  CHECK(bob->public_value() == hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
  auto k_a = alice->shared_secret(bob->public_value());
  auto k_b = bob->shared_secret(alice->public_value());
  REQUIRE(k_a.has_value());
  REQUIRE(k_b.has_value());
  const Bytes k = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  CHECK(*k_a == SecureBytes(k.begin(), k.end()));
  CHECK(*k_b == *k_a);
}

TEST_CASE("X25519 refuses wrong lengths and low-order points", "[ke]") {
  auto ke = fresh(KeyExchangeMethod::CURVE25519);
  CHECK_FALSE(ke->shared_secret(Bytes(31, 0x09)).has_value());
  CHECK_FALSE(ke->shared_secret(Bytes(33, 0x09)).has_value());
  // u = 0 and a point of order 8: both give an all-zero result (RFC 7748 §6.1, RFC 8031 §2.1).
  auto zero = ke->shared_secret(Bytes(32, 0));
  REQUIRE_FALSE(zero.has_value());
  CHECK(zero.error().find("all zeros") != std::string::npos);
  auto order8 = ke->shared_secret(hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"));
  REQUIRE_FALSE(order8.has_value());
  CHECK(order8.error().find("all zeros") != std::string::npos);
}

TEST_CASE("MODP group 1 prime is the RFC 2409 First Oakley Group prime", "[ke]") {
  // RFC 2409 §6.1 (repeated in RFC 7296 Appendix B.1).
  const Botan::BigInt p(
      "0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
      "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF");
  REQUIRE(p.bits() == 768);
  // A safe prime, as the Oakley groups are: p and (p-1)/2 both prime.
  CHECK(Botan::is_prime(p, system_rng(), 64, true));
  CHECK(Botan::is_prime((p - 1) >> 1, system_rng(), 64, true));
  // With x = 1 the public value is g itself; with x = 2 it is 4; p-1 is refused as a peer value, p too
  // (both only if the implementation uses exactly this p).
  auto ke = from_private(KeyExchangeMethod::MODP_768, "02");
  CHECK(Botan::BigInt(ke->public_value().data(), ke->public_value().size()) == 4);
  CHECK(ke->public_value().size() == 96);
  CHECK_FALSE(ke->shared_secret(encode(p - 1, 96)).has_value());
  CHECK_FALSE(ke->shared_secret(encode(p, 96)).has_value());
  // p - 2 is a valid element: (p-2)^2 mod p = 4, left-padded to 96 bytes.
  auto z = ke->shared_secret(encode(p - 2, 96));
  REQUIRE(z.has_value());
  CHECK(z->size() == 96);
  CHECK(Botan::BigInt(z->data(), z->size()) == 4);
}

TEST_CASE("MODP groups agree between two parties", "[ke]") {
  for (auto m : {KeyExchangeMethod::MODP_768, KeyExchangeMethod::MODP_1024, KeyExchangeMethod::MODP_1536,
                 KeyExchangeMethod::MODP_2048, KeyExchangeMethod::MODP_3072}) {
    CAPTURE(ipsecd::iana::name(m));
    auto a = fresh(m);
    auto b = fresh(m);
    CHECK(a->method() == m);
    CHECK(a->public_value().size() == *public_value_length(m));
    auto z_a = a->shared_secret(b->public_value());
    auto z_b = b->shared_secret(a->public_value());
    REQUIRE(z_a.has_value());
    REQUIRE(z_b.has_value());
    CHECK(*z_a == *z_b);
    CHECK(z_a->size() == *public_value_length(m));
    CHECK(a->public_value() != b->public_value());
  }
}

TEST_CASE("MODP shared secret is left-padded to the group length", "[ke]") {
  // With our x = 2 and the peer's value p-2, the result is (p-2)^2 = 4 mod p: one significant byte.
  const Botan::BigInt p = Botan::DL_Group("modp/ietf/2048").get_p();
  auto ke = from_private(KeyExchangeMethod::MODP_2048, "02");
  auto z = ke->shared_secret(encode(p - 2, 256));
  REQUIRE(z.has_value());
  REQUIRE(z->size() == 256);
  CHECK(z->back() == 4);
  CHECK(std::all_of(z->begin(), z->end() - 1, [](uint8_t b) { return b == 0; }));
}

TEST_CASE("MODP refuses 0 1 p-1 p and wrong lengths", "[ke]") {
  const Botan::BigInt p = Botan::DL_Group("modp/ietf/2048").get_p();
  auto ke = fresh(KeyExchangeMethod::MODP_2048);
  for (const Botan::BigInt& y : {Botan::BigInt(0), Botan::BigInt(1), p - 1, p, p + 1}) {
    auto z = ke->shared_secret(encode(y, 256));
    REQUIRE_FALSE(z.has_value());
    CHECK(z.error().find("out of range") != std::string::npos);
  }
  Bytes good = ke->public_value();
  Bytes shorter(good.begin() + 1, good.end());
  Bytes longer = good;
  longer.insert(longer.begin(), 0);
  CHECK_FALSE(ke->shared_secret(shorter).has_value());
  CHECK_FALSE(ke->shared_secret(longer).has_value());
  CHECK_FALSE(ke->shared_secret({}).has_value());
}

TEST_CASE("ECP refuses points off the curve and wrong lengths", "[ke]") {
  const auto& v = ecp_vectors[0];
  auto ke = from_private(v.method, v.i);
  Bytes peer = hex(std::string(v.grx) + v.gry);
  REQUIRE(ke->shared_secret(peer).has_value());

  Bytes off_curve = peer;
  off_curve.back() ^= 0x01;
  auto z = ke->shared_secret(off_curve);
  REQUIRE_FALSE(z.has_value());
  CHECK(z.error().find("not a point on the curve") != std::string::npos);

  CHECK_FALSE(ke->shared_secret(Bytes(64, 0)).has_value());     // (0,0) is not on P-256
  CHECK_FALSE(ke->shared_secret(Bytes(64, 0xFF)).has_value());  // coordinates >= p
  // SEC1 form with the 0x04 prefix is not RFC 5903 encoding.
  Bytes sec1 = peer;
  sec1.insert(sec1.begin(), 0x04);
  CHECK_FALSE(ke->shared_secret(sec1).has_value());
  CHECK_FALSE(ke->shared_secret(Bytes(peer.begin(), peer.end() - 1)).has_value());
}

TEST_CASE("Key exchange methods report support and lengths", "[ke]") {
  CHECK(public_value_length(KeyExchangeMethod::MODP_768) == 96u);
  CHECK(public_value_length(KeyExchangeMethod::MODP_8192) == 1024u);
  CHECK(public_value_length(KeyExchangeMethod::ECP_521) == 132u);
  CHECK(public_value_length(KeyExchangeMethod::CURVE25519) == 32u);
  CHECK_FALSE(ipsecd::crypto::is_supported(KeyExchangeMethod::CURVE448));
  CHECK_FALSE(make_key_exchange(KeyExchangeMethod::BRAINPOOL_P256R1, system_rng()).has_value());
  CHECK_FALSE(make_key_exchange_from_private(KeyExchangeMethod::ECP_256, Bytes(32, 0)).has_value());
  CHECK_FALSE(make_key_exchange_from_private(KeyExchangeMethod::CURVE25519, Bytes(31, 1)).has_value());
}
