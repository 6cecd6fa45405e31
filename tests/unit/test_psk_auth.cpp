// Tests for shared-key AUTH (RFC 7296 §2.15) and the signed octets it covers, checked against Botan HMAC.
#include "crypto/psk_auth.h"
#include "crypto/signed_octets.h"
#include "daemon/ike/ikev2/authentication.h"

#include <botan/hex.h>
#include <botan/mac.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using ipsecd::crypto::Bytes;
using ipsecd::crypto::ByteView;
using ipsecd::crypto::make_prf;
using ipsecd::crypto::psk_auth_padded;
using ipsecd::crypto::psk_key_pad;
using ipsecd::crypto::SecureBytes;
using ipsecd::crypto::signed_octets;
using ipsecd::crypto::verify_psk_auth_padded;
using ipsecd::iana::PseudorandomFunction;

namespace {

Bytes ascii(const std::string& s) { return Bytes(s.begin(), s.end()); }

// An independent HMAC straight from Botan, keyed per call.
SecureBytes hmac(const std::string& algo, ByteView key, ByteView data) {
  auto mac = Botan::MessageAuthenticationCode::create_or_throw(algo);
  mac->set_key(key.data(), key.size());
  mac->update(data.data(), data.size());
  return mac->final();
}

// Fixed inputs standing in for an IKE_SA_INIT message, a nonce, SK_pi and an ID payload body.
const Bytes message = Botan::hex_decode(
    "5f54bf6d8b48e6e1000000000000000021202208000000000000011c2200003000000030010100040300000c0100000c800e010"
    "0");
const Bytes nonce_r = Botan::hex_decode("a5b9f1c3d2e48f0711223344556677889900aabbccddeeff0123456789abcdef");
const Bytes sk_pi = Botan::hex_decode("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
// ID_FQDN (2), three RESERVED bytes, "alice.example".
const Bytes id_body = Botan::hex_decode("02000000616c6963652e6578616d706c65");

}  // namespace

TEST_CASE("Signed octets are RealMessage then peer Nonce then prf of SK_p and the ID body", "[auth]") {
  auto prf = make_prf(PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf.has_value());
  const Bytes octets = signed_octets(message, nonce_r, **prf, sk_pi, id_body);

  Bytes expected = message;
  expected.insert(expected.end(), nonce_r.begin(), nonce_r.end());
  const SecureBytes maced_id = hmac("HMAC(SHA-256)", sk_pi, id_body);
  expected.insert(expected.end(), maced_id.begin(), maced_id.end());
  CHECK(octets == expected);
  CHECK(octets.size() == message.size() + nonce_r.size() + 32);
}

TEST_CASE("PSK AUTH equals prf of prf of the secret and the key pad over the signed octets", "[auth]") {
  const Bytes psk = ascii("correct horse battery staple");
  for (auto [id, algo] : {std::pair{PseudorandomFunction::PRF_HMAC_SHA2_256, "HMAC(SHA-256)"},
                          std::pair{PseudorandomFunction::PRF_HMAC_SHA1, "HMAC(SHA-1)"},
                          std::pair{PseudorandomFunction::PRF_HMAC_SHA2_512, "HMAC(SHA-512)"}}) {
    CAPTURE(algo);
    auto prf = make_prf(id);
    REQUIRE(prf.has_value());
    const Bytes octets = signed_octets(message, nonce_r, **prf, sk_pi, id_body);

    const SecureBytes inner = hmac(algo, psk, ascii("Key Pad for IKEv2"));
    const SecureBytes expected = hmac(algo, inner, octets);
    const SecureBytes auth = psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets);
    CHECK(auth == expected);
    CHECK(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets, auth));
  }
}

TEST_CASE("PSK AUTH known answer for HMAC-SHA-256", "[auth]") {
  // Computed outside this code base with Python's hmac module from the fixed inputs above and the PSK
  // "secret"; pinned so a change in the pad string or in the order of the signed octets is caught alone.
  auto prf = make_prf(PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf.has_value());
  const Bytes octets = signed_octets(message, nonce_r, **prf, sk_pi, id_body);
  const SecureBytes auth = psk_auth_padded(**prf, psk_key_pad(**prf, ascii("secret")), octets);
  CHECK(Botan::hex_encode(auth.data(), auth.size(), false) ==
        "4b1f342ab1adbd2338bee1d3e24b9e565848e583b642a753be4f464203637ac4");
}

TEST_CASE("PSK AUTH verification detects any mismatch", "[auth]") {
  auto prf = make_prf(PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf.has_value());
  const Bytes psk = ascii("secret");
  const Bytes octets = signed_octets(message, nonce_r, **prf, sk_pi, id_body);
  const SecureBytes auth = psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets);
  REQUIRE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets, auth));

  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, ascii("Secret")), octets, auth));

  Bytes tampered_octets = octets;
  tampered_octets[10] ^= 0x01;
  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), tampered_octets, auth));

  SecureBytes tampered_auth = auth;
  tampered_auth.back() ^= 0x80;
  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets, tampered_auth));

  CHECK_FALSE(
      verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets, ByteView(auth.data(), auth.size() - 1)));
  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk), octets, ByteView()));

  // A different ID changes MACedIDFor[IR] and so the AUTH.
  Bytes other_id = id_body;
  other_id.back() ^= 0x20;
  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, psk),
                                     signed_octets(message, nonce_r, **prf, sk_pi, other_id), auth));
}

TEST_CASE("PSK AUTH from a padded key worked out once equals AUTH from the secret", "[auth]") {
  auto prf = make_prf(PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf.has_value());
  const Bytes octets = signed_octets(message, nonce_r, **prf, sk_pi, id_body);
  const SecureBytes pad = psk_key_pad(**prf, ascii("secret"));
  CHECK(pad == hmac("HMAC(SHA-256)", ascii("secret"), ascii("Key Pad for IKEv2")));
  const SecureBytes auth = psk_auth_padded(**prf, pad, octets);
  CHECK(auth == psk_auth_padded(**prf, psk_key_pad(**prf, ascii("secret")), octets));
  CHECK(verify_psk_auth_padded(**prf, pad, octets, auth));
  CHECK_FALSE(verify_psk_auth_padded(**prf, psk_key_pad(**prf, ascii("Secret")), octets, auth));
}

TEST_CASE("PskKeyPads gives each secret its pad, also when equal and different secrets alternate", "[auth]") {
  auto prf = make_prf(PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf.has_value());
  const SecureBytes ours(5, 's');
  const SecureBytes equal_copy(5, 's');  // another object with the same secret, as local and remote PSK are
  const SecureBytes other(5, 't');
  const SecureBytes longer(6, 's');
  ipsecd::ikev2::PskKeyPads pads(**prf);
  const auto pad_is_of = [&](const SecureBytes& psk) {
    const ByteView pad = pads.of(psk);
    const SecureBytes expected = psk_key_pad(**prf, psk);
    return std::equal(pad.begin(), pad.end(), expected.begin(), expected.end());
  };
  CHECK(pad_is_of(ours));
  CHECK(pad_is_of(equal_copy));
  CHECK(pad_is_of(other));
  CHECK(pad_is_of(longer));
  CHECK(pad_is_of(ours));
}
