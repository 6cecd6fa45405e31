// Tests for certificate and key loading, identities, path validation failures and the validated-key cache.
#include "crypto/validated_key_cache.h"
#include "crypto/x509_identity.h"
#include "crypto/x509_load.h"
#include "crypto/x509_store.h"

#include <botan/ber_dec.h>
#include <botan/pkix_types.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using ipsecd::crypto::Bytes;
using ipsecd::crypto::CertificateFailure;
using ipsecd::crypto::identity_of;
using ipsecd::crypto::load_certificates;
using ipsecd::crypto::load_crl;
using ipsecd::crypto::load_private_key;
using ipsecd::crypto::parse_certificate;
using ipsecd::crypto::TrustStore;
using ipsecd::crypto::ValidatedKeyCache;

namespace {

std::string pki(const std::string& name) { return std::string(IPSECD_FIXTURES_DIR) + "/pki/" + name; }

Botan::X509_Certificate cert(const std::string& name) {
  auto certs = load_certificates(pki(name));
  REQUIRE(certs.has_value());
  REQUIRE(certs->size() == 1);
  return certs->front();
}

std::chrono::system_clock::time_point at(int year, unsigned month, unsigned day) {
  using namespace std::chrono;
  return sys_days(std::chrono::year{year} / month / day);
}

// Inside every fixture's validity (2025..2055) and after the CRL's thisUpdate (2026).
const auto valid_time = at(2030, 6, 1);

std::shared_ptr<TrustStore> trust_store(bool with_crl) {
  auto store = std::make_shared<TrustStore>();
  REQUIRE(store->add_ca(cert("root-ca.pem")).has_value());
  if (with_crl) {
    auto crl = load_crl(pki("intermediate-ca.crl.pem"));
    REQUIRE(crl.has_value());
    store->add_crl(*crl);
  }
  return store;
}

}  // namespace

TEST_CASE("Certificates load from PEM DER and multi-certificate bundles", "[x509]") {
  const auto pem = cert("ee-rsa.pem");
  const auto der = cert("ee-rsa.der");
  CHECK(pem == der);
  auto bundle = load_certificates(pki("ee-ecdsa-chain.pem"));
  REQUIRE(bundle.has_value());
  REQUIRE(bundle->size() == 2);
  CHECK((*bundle)[0] == cert("ee-ecdsa.pem"));
  CHECK((*bundle)[1] == cert("intermediate-ca.pem"));

  const std::vector<uint8_t> der_bytes = der.BER_encode();
  auto parsed = parse_certificate(der_bytes);
  REQUIRE(parsed.has_value());
  CHECK(*parsed == der);

  CHECK_FALSE(load_certificates(pki("does-not-exist.pem")).has_value());
  CHECK_FALSE(load_certificates(pki("make_pki.sh")).has_value());
  CHECK_FALSE(parse_certificate(Bytes(der_bytes.begin(), der_bytes.begin() + 40)).has_value());
}

TEST_CASE("PKCS8 private keys load from PEM and DER and match their certificates", "[x509]") {
  for (const std::string name : {"ee-rsa", "ee-ecdsa", "ee-ed25519"}) {
    CAPTURE(name);
    auto from_pem = load_private_key(pki(name + ".key.pem"));
    auto from_der = load_private_key(pki(name + ".key.der"));
    REQUIRE(from_pem.has_value());
    REQUIRE(from_der.has_value());
    const auto certificate_key = cert(name + ".pem").load_subject_public_key();
    CHECK((*from_pem)->public_key_bits() == certificate_key->public_key_bits());
    CHECK((*from_der)->public_key_bits() == certificate_key->public_key_bits());
  }
  CHECK((*load_private_key(pki("ee-ed25519.key.pem")))->algo_name() == "Ed25519");
  auto missing = load_private_key(pki("nope.key.pem"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().find("nope.key.pem") != std::string::npos);
  CHECK_FALSE(load_private_key(pki("ee-rsa.pem")).has_value());
}

TEST_CASE("Certificate identity exposes subject DN and SAN DNS email and IP", "[x509]") {
  const auto rsa = identity_of(cert("ee-rsa.pem"));
  CHECK(rsa.subject_dn.find("rsa.example.com") != std::string::npos);
  CHECK(rsa.dns_names == std::vector<std::string>{"rsa.example.com"});
  CHECK(rsa.emails == std::vector<std::string>{"rsa@example.com"});
  REQUIRE(rsa.ip_addresses.size() == 1);
  CHECK(rsa.ip_addresses[0] == Bytes{192, 0, 2, 10});
  // The DER subject decodes back to the same Name.
  Botan::X509_DN dn;
  Botan::BER_Decoder(rsa.subject_dn_der).decode(dn).verify_end();
  CHECK(dn == cert("ee-rsa.pem").subject_dn());

  const auto ecdsa = identity_of(cert("ee-ecdsa.pem"));
  CHECK(ecdsa.dns_names.size() == 2);
  CHECK(std::find(ecdsa.dns_names.begin(), ecdsa.dns_names.end(), "vpn.example.com") !=
        ecdsa.dns_names.end());
  REQUIRE(ecdsa.ip_addresses.size() == 1);
  CHECK(ecdsa.ip_addresses[0] == Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10});
  CHECK(ecdsa.emails == std::vector<std::string>{"ecdsa@example.com"});
}

TEST_CASE("Trust store accepts only CA certificates", "[x509]") {
  TrustStore store;
  CHECK(store.add_ca(cert("root-ca.pem")).has_value());
  CHECK(store.add_ca(cert("intermediate-ca.pem")).has_value());
  CHECK_FALSE(store.add_ca(cert("ee-rsa.pem")).has_value());
  CHECK(store.ca_count() == 2);
}

TEST_CASE("Valid chains root to intermediate to end entity validate", "[x509]") {
  auto store = trust_store(true);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  for (const std::string name : {"ee-rsa.pem", "ee-ecdsa.pem", "ee-ed25519.pem"}) {
    CAPTURE(name);
    auto result = store->validate(cert(name), intermediates, valid_time);
    REQUIRE(result.has_value());
    CHECK(result->end_entity == cert(name));
    CHECK(result->public_key->public_key_bits() == cert(name).load_subject_public_key()->public_key_bits());
    CHECK(result->valid_until == at(2055, 1, 1));
  }
  // An intermediate configured beside its root needs no chain from the peer.
  REQUIRE(store->add_ca(cert("intermediate-ca.pem")).has_value());
  CHECK(store->validate(cert("ee-ecdsa.pem"), {}, valid_time).has_value());
}

TEST_CASE("Expired and not yet valid certificates are refused", "[x509]") {
  auto store = trust_store(true);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  auto expired = store->validate(cert("ee-expired.pem"), intermediates, valid_time);
  REQUIRE_FALSE(expired.has_value());
  CHECK(expired.error().failure == CertificateFailure::EXPIRED);
  CHECK(expired.error().message.find("certificate expired") != std::string::npos);
  CHECK(expired.error().message.find("expired.example.com") != std::string::npos);
  // The same certificate was fine in 2020: only the passed-in time decides.
  CHECK(store->validate(cert("ee-expired.pem"), intermediates, at(2020, 6, 1)).error().failure !=
        CertificateFailure::EXPIRED);

  auto late = store->validate(cert("ee-rsa.pem"), intermediates, at(2056, 1, 1));
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().failure == CertificateFailure::EXPIRED);
  auto early = store->validate(cert("ee-rsa.pem"), intermediates, at(2024, 1, 1));
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error().failure == CertificateFailure::NOT_YET_VALID);
}

TEST_CASE("Certificates from an unknown CA are refused", "[x509]") {
  auto store = trust_store(true);
  auto rogue = store->validate(cert("ee-rogue.pem"), {}, valid_time);
  REQUIRE_FALSE(rogue.has_value());
  CHECK(rogue.error().failure == CertificateFailure::UNKNOWN_CA);
  CHECK(rogue.error().message.find("unknown CA") != std::string::npos);
  // Sending the rogue root along as an "intermediate" does not make it trusted.
  const std::vector<Botan::X509_Certificate> rogue_chain{cert("rogue-root-ca.pem")};
  auto with_root = store->validate(cert("ee-rogue.pem"), rogue_chain, valid_time);
  REQUIRE_FALSE(with_root.has_value());
  CHECK(with_root.error().failure == CertificateFailure::UNKNOWN_CA);
  // A valid end entity without the intermediate it needs cannot be chained either.
  auto missing_link = store->validate(cert("ee-rsa.pem"), {}, valid_time);
  REQUIRE_FALSE(missing_link.has_value());
  CHECK(missing_link.error().failure == CertificateFailure::UNKNOWN_CA);
}

TEST_CASE("A certificate listed in the CRL is refused as revoked", "[x509]") {
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  auto revoked = trust_store(true)->validate(cert("ee-revoked.pem"), intermediates, valid_time);
  REQUIRE_FALSE(revoked.has_value());
  CHECK(revoked.error().failure == CertificateFailure::REVOKED);
  CHECK(revoked.error().message.find("revoked") != std::string::npos);
  // Without the CRL the same chain validates, so it is the CRL that refuses it.
  CHECK(trust_store(false)->validate(cert("ee-revoked.pem"), intermediates, valid_time).has_value());
  // Other certificates from the same CA are unaffected by the CRL.
  CHECK(trust_store(true)->validate(cert("ee-ecdsa.pem"), intermediates, valid_time).has_value());
}

TEST_CASE("An end entity whose key usage does not allow signing is refused", "[x509]") {
  auto store = trust_store(true);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  // keyUsage = keyAgreement only: the chain itself is fine, the certificate cannot authenticate a peer.
  auto key_agreement = store->validate(cert("ee-key-agreement.pem"), intermediates, valid_time);
  REQUIRE_FALSE(key_agreement.has_value());
  CHECK(key_agreement.error().failure == CertificateFailure::NOT_ALLOWED);
  CHECK(key_agreement.error().message.find("digitalSignature") != std::string::npos);
  CHECK(key_agreement.error().message.find("key-agreement.example.com") != std::string::npos);
  // The fixtures with keyUsage = digitalSignature from the same CA pass.
  CHECK(store->validate(cert("ee-ecdsa.pem"), intermediates, valid_time).has_value());
}

TEST_CASE("Validated key cache hits without re-validating", "[x509]") {
  ValidatedKeyCache cache(trust_store(true), 8);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  auto first = cache.validate(cert("ee-ecdsa.pem"), intermediates, valid_time);
  REQUIRE(first.has_value());
  CHECK(cache.validations() == 1);
  // A repeat, even without the intermediate, is answered from the cache.
  auto second = cache.validate(cert("ee-ecdsa.pem"), {}, valid_time + std::chrono::hours(24));
  REQUIRE(second.has_value());
  CHECK(cache.validations() == 1);
  CHECK(second->get() == first->get());

  REQUIRE(cache.validate(cert("ee-rsa.pem"), intermediates, valid_time).has_value());
  CHECK(cache.validations() == 2);
  CHECK(cache.size() == 2);

  // Failures are not cached.
  CHECK_FALSE(cache.validate(cert("ee-revoked.pem"), intermediates, valid_time).has_value());
  CHECK_FALSE(cache.validate(cert("ee-revoked.pem"), intermediates, valid_time).has_value());
  CHECK(cache.validations() == 4);
  CHECK(cache.size() == 2);

  // Once the path has expired a cached entry is not reused: validation runs again and says why.
  auto later = cache.validate(cert("ee-ecdsa.pem"), intermediates, at(2056, 1, 1));
  REQUIRE_FALSE(later.has_value());
  CHECK(later.error().failure == CertificateFailure::EXPIRED);
  CHECK(cache.validations() == 5);
}

TEST_CASE("Validated key cache does not answer for a time before the path's notBefore", "[x509]") {
  // Without the CRL, whose thisUpdate (2026) would refuse the 2025 validations below.
  ValidatedKeyCache cache(trust_store(false), 8);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  auto first = cache.validate(cert("ee-ecdsa.pem"), intermediates, valid_time);
  REQUIRE(first.has_value());
  CHECK(first->get()->valid_from == at(2025, 1, 1));
  CHECK(first->get()->valid_until == at(2055, 1, 1));
  // 2024 is before every notBefore on the path: the cached success must not be reused.
  auto early = cache.validate(cert("ee-ecdsa.pem"), intermediates, at(2024, 6, 1));
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error().failure == CertificateFailure::NOT_YET_VALID);
  CHECK(cache.validations() == 2);
  // The first instant of the window is inside it.
  REQUIRE(cache.validate(cert("ee-ecdsa.pem"), intermediates, at(2025, 1, 1)).has_value());
  CHECK(cache.validations() == 3);
  REQUIRE(cache.validate(cert("ee-ecdsa.pem"), {}, at(2025, 1, 1)).has_value());
  CHECK(cache.validations() == 3);
}

TEST_CASE("Validated key cache is bounded and evicts the least recently used", "[x509]") {
  ValidatedKeyCache cache(trust_store(true), 2);
  const std::vector<Botan::X509_Certificate> intermediates{cert("intermediate-ca.pem")};
  REQUIRE(cache.validate(cert("ee-rsa.pem"), intermediates, valid_time).has_value());
  REQUIRE(cache.validate(cert("ee-ecdsa.pem"), intermediates, valid_time).has_value());
  REQUIRE(cache.validate(cert("ee-rsa.pem"), intermediates, valid_time).has_value());  // hit: rsa now newest
  CHECK(cache.validations() == 2);
  REQUIRE(cache.validate(cert("ee-ed25519.pem"), intermediates, valid_time).has_value());  // evicts ecdsa
  CHECK(cache.validations() == 3);
  CHECK(cache.size() == 2);
  REQUIRE(cache.validate(cert("ee-rsa.pem"), intermediates, valid_time).has_value());
  CHECK(cache.validations() == 3);
  REQUIRE(cache.validate(cert("ee-ecdsa.pem"), intermediates, valid_time).has_value());
  CHECK(cache.validations() == 4);
}

namespace {

// The DER file as OpenSSL wrote it, the bytes a peer's CERT payload would carry.
Bytes der_of(const std::string& name) {
  std::ifstream in(pki(name + ".der"), std::ios::binary);
  REQUIRE(in);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("Validated key cache answers for the exact DER bytes of a validated certificate", "[x509]") {
  ValidatedKeyCache cache(trust_store(true), 8);
  const Bytes ee = der_of("ee-ecdsa");
  const Bytes intermediate = der_of("intermediate-ca");
  const std::vector<ipsecd::crypto::ByteView> intermediates{intermediate};
  auto first = cache.validate_encoded(ee, intermediates, valid_time);
  REQUIRE(first.has_value());
  CHECK(cache.validations() == 1);
  // The names come with the result, the same as identity_of on the certificate.
  CHECK(first->get()->identity.subject_dn_der == identity_of(cert("ee-ecdsa.pem")).subject_dn_der);
  CHECK(first->get()->identity.dns_names == identity_of(cert("ee-ecdsa.pem")).dns_names);

  // Same bytes: served from the cache, intermediates not needed (nor looked at).
  const Bytes garbage(40, 0x30);
  const std::vector<ipsecd::crypto::ByteView> garbage_intermediates{garbage};
  auto second = cache.validate_encoded(ee, garbage_intermediates, valid_time + std::chrono::hours(1));
  REQUIRE(second.has_value());
  CHECK(second->get() == first->get());
  CHECK(cache.validations() == 1);
  // The parsed-certificate entry point finds the same entry: its DER is the same bytes.
  auto parsed = cache.validate(cert("ee-ecdsa.pem"), {}, valid_time);
  REQUIRE(parsed.has_value());
  CHECK(parsed->get() == first->get());
  CHECK(cache.validations() == 1);

  // One byte different (here in the signature) is another certificate: parsed and validated afresh.
  Bytes altered = ee;
  altered.back() ^= 0x01;
  auto tampered = cache.validate_encoded(altered, intermediates, valid_time);
  REQUIRE_FALSE(tampered.has_value());
  CHECK(tampered.error().failure == CertificateFailure::BAD_SIGNATURE);
  CHECK(cache.validations() == 2);
  CHECK(cache.size() == 1);
}

TEST_CASE("Validated key cache by bytes still refuses expired revoked and malformed chains", "[x509]") {
  ValidatedKeyCache cache(trust_store(true), 8);
  const Bytes intermediate = der_of("intermediate-ca");
  const std::vector<ipsecd::crypto::ByteView> intermediates{intermediate};
  const Bytes ee = der_of("ee-ed25519");
  REQUIRE(cache.validate_encoded(ee, intermediates, valid_time).has_value());

  // After the path's earliest notAfter the cached result is not reused, and the reason is reported.
  auto later = cache.validate_encoded(ee, intermediates, at(2056, 1, 1));
  REQUIRE_FALSE(later.has_value());
  CHECK(later.error().failure == CertificateFailure::EXPIRED);
  CHECK(cache.validations() == 2);
  CHECK(cache.size() == 0);
  // Nor before the latest notBefore.
  auto early = cache.validate_encoded(ee, intermediates, at(2024, 6, 1));
  REQUIRE_FALSE(early.has_value());
  CHECK(cache.validations() == 3);

  // Revoked by the CRL, every time: failures are never remembered.
  const Bytes revoked = der_of("ee-revoked");
  for (int i = 0; i < 2; ++i) {
    auto refused = cache.validate_encoded(revoked, intermediates, valid_time);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().failure == CertificateFailure::REVOKED);
  }
  CHECK(cache.validations() == 5);

  // An untrusted chain is refused.
  auto rogue = cache.validate_encoded(der_of("ee-rogue"), intermediates, valid_time);
  REQUIRE_FALSE(rogue.has_value());
  CHECK(rogue.error().failure == CertificateFailure::UNKNOWN_CA);

  // Bytes that are no certificate, as end entity or as intermediate on a miss, are MALFORMED.
  const Bytes truncated(ee.begin(), ee.begin() + 40);
  auto bad_end_entity = cache.validate_encoded(truncated, intermediates, valid_time);
  REQUIRE_FALSE(bad_end_entity.has_value());
  CHECK(bad_end_entity.error().failure == CertificateFailure::MALFORMED);
  const std::vector<ipsecd::crypto::ByteView> bad_intermediates{truncated};
  auto bad_intermediate = cache.validate_encoded(der_of("ee-rsa"), bad_intermediates, valid_time);
  REQUIRE_FALSE(bad_intermediate.has_value());
  CHECK(bad_intermediate.error().failure == CertificateFailure::MALFORMED);
  CHECK(cache.size() == 0);
}
