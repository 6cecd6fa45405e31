// IKEv2 engine: public-key IKE_AUTH between two engines (RFC 7296 §2.15, §3.6-§3.8, RFC 7427, RFC 4754)
// with the test PKI: RSA, ECDSA and Ed25519 up with a CHILD_SA; every refusal answered AUTHENTICATION_FAILED.
#include "engine_harness.h"

#include "crypto/x509_load.h"
#include "daemon/ike/message_codec.h"

#include <botan/hex.h>
#include <catch2/catch.hpp>

using namespace ipsecd;
using namespace ipsecd::test;
using ipsecd::ikev2::PolicyDirection;

namespace {

std::string pki(const std::string& name) { return std::string(IPSECD_FIXTURES_DIR) + "/pki/" + name; }

Botan::X509_Certificate certificate(const std::string& name) {
  return crypto::load_certificates(pki(name + ".pem")).value().front();
}

// The root CA alone is trusted: the intermediate must arrive in the peer's CERT payloads.
std::shared_ptr<crypto::ValidatedKeyCache> trust(bool with_crl = false) {
  auto store = std::make_shared<crypto::TrustStore>();
  REQUIRE(store->add_ca(certificate("root-ca")));
  if (with_crl) store->add_crl(crypto::load_crl(pki("intermediate-ca.crl.pem")).value());
  return std::make_shared<crypto::ValidatedKeyCache>(std::move(store), 16);
}

// Our side signs with `ee` (and sends it with the intermediate); the peer is checked against `peer_trust`.
void use_certificate(ConnectionConfig& c, const std::string& ee,
                     std::shared_ptr<crypto::ValidatedKeyCache> peer_trust) {
  c.local_auth = {};
  c.local_auth.method = AuthMethod::pubkey;
  c.local_auth.certificates = {certificate(ee), certificate("intermediate-ca")};
  c.local_auth.private_key = crypto::load_private_key(pki(ee + ".key.pem")).value();
  c.remote_auth = {};
  c.remote_auth.method = AuthMethod::pubkey;
  c.remote_auth.trust = std::move(peer_trust);
}

struct CertPair {
  std::shared_ptr<crypto::ValidatedKeyCache> trust_a = trust();
  std::shared_ptr<crypto::ValidatedKeyCache> trust_b = trust();
  ConnectionConfig a;
  ConnectionConfig b;

  // `ee_a` proves `id_a`, `ee_b` proves `id_b`; each side requires the other's identity.
  CertPair(const std::string& ee_a, const char* id_a, const std::string& ee_b, const char* id_b)
      : a(psk_connection("192.0.2.1", "192.0.2.2", id_a, id_b)),
        b(psk_connection("192.0.2.2", "192.0.2.1", id_b, id_a, "aes128gcm16-prfsha256-x25519", "aes128gcm16",
                         "10.2.0.0/16", "10.1.0.0/16")) {
    use_certificate(a, ee_a, trust_a);
    use_certificate(b, ee_b, trust_b);
  }
};

void require_up(EnginePair& pair) {
  for (Side* s : {&pair.a, &pair.b}) {
    REQUIRE(s->events.of<IkeSaFailed>().empty());
    REQUIRE(s->events.of<IkeSaEstablished>().size() == 1);
    REQUIRE(s->events.of<ChildSaInstalled>().size() == 1);
    CHECK(s->kernel.sas.size() == 2);
    CHECK(s->kernel.count_policies(PolicyDirection::out) == 1);
    CHECK(s->kernel.count_policies(PolicyDirection::in) == 1);
    CHECK(s->kernel.count_policies(PolicyDirection::fwd) == 1);
  }
  for (const auto& [key, sa] : pair.a.kernel.sas) {
    const KernelSa* peer = pair.b.kernel.find_sa(sa.id.spi);
    REQUIRE(peer != nullptr);
    CHECK(peer->encryption_key == sa.encryption_key);
  }
}

// `refuser` detected the problem and says why; the other side hears AUTHENTICATION_FAILED. Neither keeps
// an SA or any kernel entry.
void require_refused(EnginePair& pair, bool refused_by_a, FailureReason reason) {
  Side& refuser = refused_by_a ? pair.a : pair.b;
  Side& other = refused_by_a ? pair.b : pair.a;
  const auto failed = refuser.events.of<IkeSaFailed>();
  REQUIRE(failed.size() == 1);
  CHECK(failed.front().failure.reason == reason);
  CHECK_FALSE(failed.front().failure.detail.empty());
  CHECK_FALSE(failed.front().failure.peer_notify.has_value());
  const auto heard = other.events.of<IkeSaFailed>();
  REQUIRE(heard.size() == 1);
  CHECK(heard.front().failure.reason == FailureReason::authentication_failed);
  CHECK(heard.front().failure.peer_notify == iana::NotifyMessageType::AUTHENTICATION_FAILED);
  CHECK(refuser.events.of<ChildSaInstalled>().empty());
  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->engine->ike_sas().empty());
    CHECK(s->kernel.empty());
  }
}

EngineSettings announcing(std::vector<iana::HashAlgorithm> hashes) {
  EngineSettings s;
  s.signature_hashes = std::move(hashes);
  return s;
}

}  // namespace

TEST_CASE("Cert engine: RSA signs with method 14 in SHA-256 when that is all the responder announced",
          "[engine-cert]") {
  CertPair c("ee-rsa", "rsa.example.com", "ee-ecdsa", "ecdsa.example.com");
  // The responder accepts SHA-256 only, so the initiator's RSA AUTH verifying proves it chose SHA-256.
  EnginePair pair(c.a, c.b, {}, announcing({iana::HashAlgorithm::SHA2_256}));
  pair.initiate();
  require_up(pair);
  CHECK(pair.b.events.of<IkeSaEstablished>().front().remote_id == identity("rsa.example.com"));
}

TEST_CASE("Cert engine: RSA and ECDSA use methods 1 and 9 when no hashes were announced", "[engine-cert]") {
  CertPair c("ee-rsa", "rsa@example.com", "ee-ecdsa", "ecdsa.example.com");
  // With nothing announced method 14 is refused, so coming up proves the legacy methods were used.
  EnginePair pair(c.a, c.b, announcing({}));
  pair.initiate();
  require_up(pair);
  for (const auto& d : pair.a.sink.log) {
    auto decoded = ike::decode_message(d.bytes);
    REQUIRE(decoded);
    CHECK(ike::find_notifies(decoded->message.payloads, iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS)
              .empty());
  }
}

TEST_CASE("Cert engine: ECDSA P-256 both ways with an ID_DER_ASN1_DN identity", "[engine-cert]") {
  // The certificate's subject is CN first, in UTF8String; our text identity encodes PrintableString.
  CertPair c("ee-ecdsa", "CN=ecdsa.example.com, O=ipsecd test", "ee-rsa", "192.0.2.10");
  EnginePair pair(c.a, c.b);
  pair.initiate();
  require_up(pair);
}

TEST_CASE("Cert engine: Ed25519 comes up with RFC 7427 and cannot sign without it", "[engine-cert]") {
  SECTION("announced") {
    CertPair c("ee-ed25519", "ed25519.example.com", "ee-ecdsa", "2001:db8::10");
    EnginePair pair(c.a, c.b);
    pair.initiate();
    require_up(pair);
  }
  SECTION("responder's Ed25519 key and an initiator that announced no IDENTITY hash") {
    CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-ed25519", "ed25519.example.com");
    EnginePair pair(c.a, c.b, announcing({iana::HashAlgorithm::SHA2_256}));
    pair.initiate();
    require_refused(pair, false, FailureReason::hash_not_acceptable);
  }
}

TEST_CASE("Cert engine: a pinned public key authenticates the peer without a trust store", "[engine-cert]") {
  CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-rsa", "rsa.example.com");
  c.b.remote_auth.trust.reset();
  c.b.remote_auth.pinned_key.reset(certificate("ee-ecdsa").load_subject_public_key().release());
  EnginePair pair(c.a, c.b);
  pair.initiate();
  require_up(pair);
  CHECK(c.trust_b->validations() == 0);
}

TEST_CASE("Cert engine: certificate against a PSK expectation fails both ways", "[engine-cert]") {
  CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-rsa", "rsa.example.com");
  SECTION("responder expects a PSK") {
    c.b.remote_auth = {};
    c.b.remote_auth.psk = secret("correct horse battery staple");
    EnginePair pair(c.a, c.b);
    pair.initiate();
    require_refused(pair, false, FailureReason::authentication_failed);
  }
  SECTION("initiator expects a PSK from a responder that signs") {
    c.a.remote_auth = {};
    c.a.remote_auth.psk = secret("correct horse battery staple");
    EnginePair pair(c.a, c.b);
    pair.initiate();
    require_refused(pair, true, FailureReason::authentication_failed);
  }
}

TEST_CASE("Cert engine: bad initiator certificates are refused with a precise reason", "[engine-cert]") {
  struct Case {
    const char* ee;
    const char* id;
    bool crl;
    FailureReason reason;
  };
  const Case cases[] = {
      {"ee-rogue", "rogue.example.com", false, FailureReason::certificate_untrusted},
      {"ee-expired", "expired.example.com", false, FailureReason::certificate_expired},
      {"ee-revoked", "revoked.example.com", true, FailureReason::certificate_revoked},
      {"ee-ecdsa", "other.example.com", false, FailureReason::id_not_in_certificate},
      {"ee-ecdsa", "keyid:0102", false, FailureReason::id_not_in_certificate},
      {"ee-ecdsa", "CN=rsa.example.com, O=ipsecd test", false, FailureReason::id_not_in_certificate},
      {"ee-key-agreement", "key-agreement.example.com", false, FailureReason::certificate_not_allowed},
  };
  for (const auto& k : cases) {
    INFO(k.ee << " as " << k.id);
    CertPair c(k.ee, k.id, "ee-rsa", "rsa.example.com");
    c.b.remote_auth.trust = trust(k.crl);
    EnginePair pair(c.a, c.b);
    // 2026: every certificate of the PKI is inside its validity except ee-expired (2020 to 2021).
    pair.clock.set_wall_start(std::chrono::sys_days{std::chrono::year{2026} / 6 / 1});
    pair.initiate();
    require_refused(pair, false, k.reason);
  }
}

TEST_CASE("Cert engine: the initiator refuses a responder certificate and the responder tears down",
          "[engine-cert]") {
  SECTION("untrusted CA") {
    CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-rogue", "rogue.example.com");
    EnginePair pair(c.a, c.b);
    pair.initiate();
    require_refused(pair, true, FailureReason::certificate_untrusted);
  }
  SECTION("expired at the wall time, valid before") {
    CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-expired", "expired.example.com");
    EnginePair pair(c.a, c.b);
    pair.initiate();
    require_refused(pair, true, FailureReason::certificate_expired);
  }
}

TEST_CASE("Cert engine: a second IKE SA with the same peer certificate is served from the cache",
          "[engine-cert]") {
  CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-rsa", "rsa.example.com");
  c.a.send_initial_contact = false;
  EnginePair pair(c.a, c.b);
  pair.initiate();
  require_up(pair);
  CHECK(c.trust_a->validations() == 1);
  CHECK(c.trust_b->validations() == 1);
  // A restarted initiator (same configuration, so the same cache): initiate() on the running engine
  // would add a CHILD_SA to the IKE SA it already has (§1.3.1) instead of making a second one.
  pair.a.start(pair.clock, {}, {c.a});
  pair.initiate();
  CHECK(pair.a.events.of<IkeSaEstablished>().size() == 2);
  CHECK(pair.b.events.of<IkeSaEstablished>().size() == 2);
  CHECK(c.trust_a->validations() == 1);
  CHECK(c.trust_b->validations() == 1);
  CHECK(c.trust_b->size() == 1);
}

TEST_CASE("Cert engine: CERTREQ carries the SHA-1 of the trusted CA's SubjectPublicKeyInfo",
          "[engine-cert]") {
  CertPair c("ee-ecdsa", "ecdsa.example.com", "ee-rsa", "rsa.example.com");
  EnginePair pair(c.a, c.b);
  pair.initiate();
  require_up(pair);
  // sha1 of root-ca's DER SubjectPublicKeyInfo, computed with openssl x509 -pubkey | openssl pkey -outform
  // DER.
  const auto root_hash = Botan::hex_decode("b1f4c322ed9460a83d47347edbf8138eb2157cbc");
  const auto response = ike::decode_message(pair.b.sink.log.front().bytes);
  REQUIRE(response);
  REQUIRE(response->message.header.exchange == iana::ExchangeType::IKE_SA_INIT);
  const auto* certreq = ike::find_first<ike::CertReqPayload>(response->message.payloads);
  REQUIRE(certreq != nullptr);
  CHECK(certreq->encoding == iana::CertificateEncoding::X509_SIGNATURE);
  CHECK(certreq->authority == crypto::Bytes(root_hash.begin(), root_hash.end()));
  // A responder that does not check certificates asks for none.
  CertPair p("ee-ecdsa", "ecdsa.example.com", "ee-rsa", "rsa.example.com");
  p.b.remote_auth.trust.reset();
  p.b.remote_auth.pinned_key.reset(certificate("ee-ecdsa").load_subject_public_key().release());
  EnginePair pinned(p.a, p.b);
  pinned.initiate();
  const auto pinned_response = ike::decode_message(pinned.b.sink.log.front().bytes);
  REQUIRE(pinned_response);
  CHECK(ike::find_first<ike::CertReqPayload>(pinned_response->message.payloads) == nullptr);
}
