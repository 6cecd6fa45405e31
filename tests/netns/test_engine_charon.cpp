// Our IKEv2 engine (real sockets, real kernel port) against strongSwan charon in the next namespace, PSK and
// certificates (RSA, ECDSA, Ed25519), as initiator and responder. This kernel has no ESP, so the CHILD_SA
// fails while the IKE SA stands.
#include "crypto/x509_load.h"
#include "daemon/ike/ikev2/proposal.h"
#include "tests/netns/charon_engine_loop.h"
#include "tests/netns/charon_peer.h"
#include "tests/netns/netns_support.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

using namespace ipsecd;
using namespace std::chrono_literals;
using ipsecd::test::CharonCredentials;
using ipsecd::test::CharonPeer;
using ipsecd::test::EngineLoop;
using ipsecd::test::ip;
using ipsecd::test::run;

namespace {

constexpr const char* kPsk = "ipsecd-charon-interop-psk-0123456789";

struct Proposals {
  const char* ike;
  const char* esp;
  // How our kernel refuses the ESP SA as responder: no rfc4106(gcm(aes)) in this kernel's crypto API is
  // found before the missing ESP protocol.
  int kernel_errno;
  const char* kernel_sentence;
};

std::string swanctl_conf(const Proposals& p) {
  return fmt::format(R"(connections {{
  peer {{
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = {}
    mobike = no
    local {{
      auth = psk
      id = charon@example.org
    }}
    remote {{
      auth = psk
      id = ipsecd@example.org
    }}
    children {{
      net {{
        local_ts = 203.0.113.0/24
        remote_ts = 198.51.100.0/24
        esp_proposals = {}
        mode = tunnel
      }}
    }}
  }}
}}
secrets {{
  ike-peer {{
    id-ours = ipsecd@example.org
    id-charon = charon@example.org
    secret = "{}"
  }}
}}
)",
                     p.ike, p.esp, kPsk);
}

ikev2::ConnectionConfig our_connection(const Proposals& p) {
  ikev2::ConnectionConfig c;
  c.name = "charon";
  c.local_address = *IpAddress::parse("192.0.2.1");
  c.remote_address = *IpAddress::parse("192.0.2.2");
  c.ike_proposals = {*ikev2::parse_proposal(p.ike, iana::SecurityProtocolId::IKE)};
  c.local_id = *ikev2::parse_identity("ipsecd@example.org");
  c.remote_id = *ikev2::parse_identity("charon@example.org");
  const std::string psk = kPsk;
  c.local_auth.psk.assign(psk.begin(), psk.end());
  c.remote_auth.psk = c.local_auth.psk;
  ikev2::ChildConfig child;
  child.name = "net";
  child.local_ts = *ikev2::parse_selectors("198.51.100.0/24");
  child.remote_ts = *ikev2::parse_selectors("203.0.113.0/24");
  child.esp_proposals = {*ikev2::parse_proposal(p.esp, iana::SecurityProtocolId::ESP)};
  c.children = {child};
  return c;
}

std::unique_ptr<EngineLoop> open_loop(ikev2::ConnectionConfig connection) {
  auto loop = EngineLoop::open(CharonPeer::kOurNamespace,
                               {{IpAddress::any(AF_INET), 500}, {IpAddress::any(AF_INET), 4500}},
                               {std::move(connection)});
  INFO((loop ? std::string() : loop.error()));
  REQUIRE(loop);
  return std::move(*loop);
}

bool charon_established(const CharonPeer& charon) {
  const auto sas = charon.swanctl("--list-sas");
  return sas.output.find("peer: #") != std::string::npos &&
         sas.output.find("ESTABLISHED, IKEv2") != std::string::npos;
}

bool charon_has_sa(const CharonPeer& charon) {
  return charon.swanctl("--list-sas").output.find("peer: #") != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// Nothing of the failed CHILD_SA (larval SPI, policies) stays in our namespace's kernel; what is there are
// the two sockets' bypass policies, one per direction each.
void check_no_kernel_leftovers() {
  const std::string in_ours = ip() + " -n " + CharonPeer::kOurNamespace;
  const auto state = run(in_ours + " xfrm state").output;
  const auto policy = run(in_ours + " xfrm policy").output;
  INFO(state << policy);
  CHECK(state.empty());
  CHECK(count(policy, "\tdir ") == 0);
  CHECK(count(policy, "\tsocket in ") == 2);
  CHECK(count(policy, "\tsocket out ") == 2);
}

// Our terminate deletes the IKE SA on both sides (§1.4.1).
void terminate_from_our_side(EngineLoop& loop, const CharonPeer& charon, uint64_t ike_sa) {
  REQUIRE(loop.engine().terminate(ike_sa));
  REQUIRE(loop.run_until([&] { return loop.find<ikev2::IkeSaDeleted>() != nullptr; }, 10s));
  CHECK_FALSE(loop.find<ikev2::IkeSaDeleted>()->by_peer);
  CHECK(loop.engine().ike_sas().empty());
  // charon removes its SA once it has answered the Delete.
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = !charon_has_sa(charon);
    if (!gone) (void)loop.run_until([] { return false; }, 100ms);
  }
  INFO(charon.swanctl("--list-sas").output);
  CHECK(gone);
}

const Proposals kGcm{"aes256-sha256-modp2048", "aes256gcm16", ENOSYS, "rfc4106(gcm(aes))"};
const Proposals kCbc{"aes128gcm16-prfsha256-x25519", "aes128-sha256", EPROTONOSUPPORT,
                     "the kernel has no ESP support"};

// Our engine initiates "net"; both sides hold the IKE SA, charon's kernel refuses the CHILD_SA and it says
// NO_PROPOSAL_CHOSEN; our terminate then removes the IKE SA on both sides.
void initiate_and_check(EngineLoop& loop, const CharonPeer& charon, const std::string& charon_id) {
  auto ike_sa = loop.engine().initiate("charon", "net");
  REQUIRE(ike_sa);
  const bool settled = loop.run_until(
      [&] { return loop.find<ikev2::ChildSaFailed>() != nullptr || loop.find<ikev2::IkeSaFailed>() != nullptr; },
      15s);
  INFO(charon.log());
  REQUIRE(settled);
  CHECK(loop.io_errors().empty());
  const auto* failed = loop.find<ikev2::IkeSaFailed>();
  INFO((failed != nullptr ? failed->failure.detail : std::string()));
  REQUIRE(failed == nullptr);

  const auto* established = loop.find<ikev2::IkeSaEstablished>();
  REQUIRE(established != nullptr);
  CHECK(established->ike_sa == *ike_sa);
  CHECK(established->role == ikev2::IkeRole::initiator);
  CHECK(established->remote_id == *ikev2::parse_identity(charon_id));
  const auto sas = loop.engine().ike_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].state == ikev2::IkeSaState::established);
  CHECK(charon_established(charon));

  // The peer's reason: charon could not install its CHILD_SA and said NO_PROPOSAL_CHOSEN.
  const auto* child = loop.find<ikev2::ChildSaFailed>();
  CHECK(child->child == "net");
  CHECK(child->failure.reason == ikev2::FailureReason::no_proposal_chosen);
  REQUIRE(child->failure.peer_notify.has_value());
  CHECK(*child->failure.peer_notify == iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
  CHECK_THAT(charon.log(), Catch::Contains("unable to install inbound and outbound IPsec SA (SAD) in kernel"));
  check_no_kernel_leftovers();

  terminate_from_our_side(loop, charon, *ike_sa);
}

// charon initiates "net"; both sides hold the IKE SA, our kernel refuses the CHILD_SA (how: `p`) and we
// answer NO_PROPOSAL_CHOSEN; our terminate then removes the IKE SA on both sides.
void respond_and_check(EngineLoop& loop, const CharonPeer& charon, const Proposals& p,
                       const std::string& charon_id) {
  // swanctl blocks until IKE_AUTH is done; our loop answers meanwhile on this thread.
  auto initiated = std::async(std::launch::async, [&charon] {
    return charon.swanctl("--initiate --ike peer --child net --timeout 15");
  });
  const bool settled = loop.run_until(
      [&] {
        return initiated.wait_for(0s) == std::future_status::ready &&
               (loop.find<ikev2::ChildSaFailed>() != nullptr || loop.find<ikev2::IkeSaFailed>() != nullptr);
      },
      20s);
  const auto swanctl_result = initiated.get();
  INFO(swanctl_result.output);
  INFO(charon.log());
  REQUIRE(settled);
  CHECK(loop.io_errors().empty());
  const auto* failed = loop.find<ikev2::IkeSaFailed>();
  INFO((failed != nullptr ? failed->failure.detail : std::string()));
  REQUIRE(failed == nullptr);

  const auto* established = loop.find<ikev2::IkeSaEstablished>();
  REQUIRE(established != nullptr);
  CHECK(established->role == ikev2::IkeRole::responder);
  CHECK(established->local == Endpoint{*IpAddress::parse("192.0.2.1"), 500});
  CHECK(established->remote_id == *ikev2::parse_identity(charon_id));
  const auto sas = loop.engine().ike_sas();
  REQUIRE(sas.size() == 1);
  CHECK(sas[0].state == ikev2::IkeSaState::established);
  CHECK(charon_established(charon));

  // Our reason is the kernel's; charon hears NO_PROPOSAL_CHOSEN and keeps the IKE SA.
  const auto* child = loop.find<ikev2::ChildSaFailed>();
  CHECK(child->child == "net");
  CHECK(child->failure.reason == ikev2::FailureReason::kernel_refused);
  CHECK_FALSE(child->failure.peer_notify.has_value());
  CHECK_THAT(child->failure.detail, Catch::Contains(fmt::format("errno {}", p.kernel_errno)));
  CHECK_THAT(child->failure.detail, Catch::Contains(p.kernel_sentence));
  CHECK_THAT(charon.log(), Catch::Contains("received NO_PROPOSAL_CHOSEN notify"));
  check_no_kernel_leftovers();

  terminate_from_our_side(loop, charon, established->ike_sa);
}

}  // namespace

TEST_CASE("Engine as initiator against charon: IKE SA established, CHILD refused with NO_PROPOSAL_CHOSEN",
          "[netns][engine_charon]") {
  for (const auto* proposals : {&kGcm, &kCbc}) {
    DYNAMIC_SECTION("IKE " << proposals->ike << " ESP " << proposals->esp) {
      CharonPeer charon(swanctl_conf(*proposals));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(our_connection(*proposals));
      initiate_and_check(*loop, charon, "charon@example.org");
    }
  }
}

TEST_CASE("Engine as responder to charon: IKE SA established, our kernel refuses the CHILD and we say so",
          "[netns][engine_charon]") {
  for (const auto* proposals : {&kGcm, &kCbc}) {
    DYNAMIC_SECTION("IKE " << proposals->ike << " ESP " << proposals->esp) {
      CharonPeer charon(swanctl_conf(*proposals));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(our_connection(*proposals));
      respond_and_check(*loop, charon, *proposals, "charon@example.org");
    }
  }
}

namespace {

std::string pki(const std::string& name) { return std::string(IPSECD_SOURCE_DIR) + "/tests/fixtures/pki/" + name; }

Botan::X509_Certificate certificate(const std::string& name) {
  return crypto::load_certificates(pki(name + ".pem")).value().front();
}

// Who proves what with which certificate of tests/fixtures/pki; identities are names the certificate binds
// (its subject DN or a subjectAltName). A DN is written in the subject's DER order (CN first): charon
// compares RDNs in order and finds no key for "O=ipsecd test, CN=ecdsa.example.com".
struct CertCase {
  const char* ours;  // our end entity, e.g. "ee-rsa"
  const char* our_id;
  const char* charon;  // charon's end entity
  const char* charon_id;
};

// Each key type signs on each side, and each identity kind (FQDN, DN, RFC822) is proven once.
const CertCase kRsaEcdsa{"ee-rsa", "rsa.example.com", "ee-ecdsa", "CN=ecdsa.example.com, O=ipsecd test"};
const CertCase kEcdsaRsa{"ee-ecdsa", "CN=ecdsa.example.com, O=ipsecd test", "ee-rsa", "rsa.example.com"};
const CertCase kEd25519Ecdsa{"ee-ed25519", "ed25519.example.com", "ee-ecdsa", "vpn.example.com"};
const CertCase kRsaEd25519{"ee-rsa", "rsa@example.com", "ee-ed25519", "ed25519.example.com"};
// charon's certificate is issued by the rogue CA, which we do not trust.
const CertCase kRogue{"ee-ecdsa", "vpn.example.com", "ee-rogue", "rogue.example.com"};

// charon authenticates with its certificate and trusts the test root; the intermediate sits in its x509ca/
// so it can send it along with its own certificate (we trust the root alone).
std::string cert_swanctl_conf(const CertCase& c) {
  return fmt::format(R"(connections {{
  peer {{
    version = 2
    local_addrs = 192.0.2.2
    remote_addrs = 192.0.2.1
    proposals = {}
    mobike = no
    local {{
      auth = pubkey
      certs = {}.pem
      id = "{}"
    }}
    remote {{
      auth = pubkey
      id = "{}"
    }}
    children {{
      net {{
        local_ts = 203.0.113.0/24
        remote_ts = 198.51.100.0/24
        esp_proposals = {}
        mode = tunnel
      }}
    }}
  }}
}}
)",
                     kCbc.ike, c.charon, c.charon_id, c.our_id, kCbc.esp);
}

CharonCredentials charon_credentials(const CertCase& c) {
  return {{pki(std::string(c.charon) + ".pem")},
          {pki(std::string(c.charon) + ".key.pem")},
          {pki("root-ca.pem"), pki("intermediate-ca.pem")}};
}

// Our side signs with our end entity (sent with the intermediate) and checks charon against the root CA.
ikev2::ConnectionConfig cert_connection(const CertCase& c) {
  auto connection = our_connection(kCbc);
  connection.local_id = *ikev2::parse_identity(c.our_id);
  connection.remote_id = *ikev2::parse_identity(c.charon_id);
  connection.local_auth = {};
  connection.local_auth.method = ikev2::AuthMethod::pubkey;
  connection.local_auth.certificates = {certificate(c.ours), certificate("intermediate-ca")};
  connection.local_auth.private_key = crypto::load_private_key(pki(std::string(c.ours) + ".key.pem")).value();
  auto store = std::make_shared<crypto::TrustStore>();
  REQUIRE(store->add_ca(certificate("root-ca")));
  connection.remote_auth = {};
  connection.remote_auth.method = ikev2::AuthMethod::pubkey;
  connection.remote_auth.trust = std::make_shared<crypto::ValidatedKeyCache>(std::move(store), 4);
  return connection;
}

// How charon names the signature scheme of an end entity's key in RFC 7427 AUTH (method 14): both sides
// announced SIGNATURE_HASH_ALGORITHMS, so neither falls back to methods 1 or 9-11 (RSA with SHA-1,
// "ECDSA-256"). The RSA hash is the signer's pick among those announced.
const char* rfc7427_scheme(const std::string& end_entity) {
  if (end_entity == "ee-rsa") return "RSA_EMSA_PKCS1_SHA2_";
  if (end_entity == "ee-ecdsa") return "ECDSA_WITH_SHA256_DER";
  return "ED25519";
}

// charon verified our AUTH with the key of our certificate, and signed its own, both by RFC 7427.
void check_charon_authentications(const CharonPeer& charon, const CertCase& c) {
  const auto log = charon.log();
  INFO(log);
  CHECK_THAT(log, Catch::Contains(fmt::format("authentication of '{}' with {}", c.our_id, rfc7427_scheme(c.ours))));
  CHECK_THAT(log, Catch::Contains(fmt::format("authentication of '{}' (myself) with {}", c.charon_id,
                                              rfc7427_scheme(c.charon))));
}

}  // namespace

TEST_CASE("Engine as initiator against charon with certificates: IKE SA established, CHILD refused",
          "[netns][engine_charon]") {
  for (const auto* c : {&kRsaEcdsa, &kEcdsaRsa, &kEd25519Ecdsa, &kRsaEd25519}) {
    DYNAMIC_SECTION("ours " << c->ours << " as " << c->our_id << ", charon " << c->charon << " as " << c->charon_id) {
      CharonPeer charon(cert_swanctl_conf(*c), charon_credentials(*c));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(cert_connection(*c));
      initiate_and_check(*loop, charon, c->charon_id);
      check_charon_authentications(charon, *c);
    }
  }
}

TEST_CASE("Engine as responder to charon with certificates: IKE SA established, CHILD refused by our kernel",
          "[netns][engine_charon]") {
  for (const auto* c : {&kRsaEcdsa, &kEcdsaRsa, &kEd25519Ecdsa, &kRsaEd25519}) {
    DYNAMIC_SECTION("ours " << c->ours << " as " << c->our_id << ", charon " << c->charon << " as " << c->charon_id) {
      CharonPeer charon(cert_swanctl_conf(*c), charon_credentials(*c));
      REQUIRE(charon.error().empty());
      auto loop = open_loop(cert_connection(*c));
      respond_and_check(*loop, charon, kCbc, c->charon_id);
      check_charon_authentications(charon, *c);
    }
  }
}

TEST_CASE("A charon certificate from the rogue CA is refused as untrusted and charon hears AUTHENTICATION_FAILED",
          "[netns][engine_charon]") {
  CharonPeer charon(cert_swanctl_conf(kRogue), charon_credentials(kRogue));
  REQUIRE(charon.error().empty());
  auto loop = open_loop(cert_connection(kRogue));
  std::optional<std::future<test::CommandResult>> initiated;
  // What charon logs on hearing our AUTHENTICATION_FAILED: as responder it already holds the SA when our
  // INFORMATIONAL (§2.21.2) comes, and takes it as a Delete; as initiator it reads our IKE_AUTH response.
  std::string charon_hears;
  SECTION("we initiate") {
    REQUIRE(loop->engine().initiate("charon", "net"));
    charon_hears = "parsed INFORMATIONAL request 2 [ N(AUTH_FAILED) ]";
  }
  SECTION("charon initiates") {
    initiated = std::async(std::launch::async, [&charon] {
      return charon.swanctl("--initiate --ike peer --child net --timeout 15");
    });
    charon_hears = "received AUTHENTICATION_FAILED notify error";
  }
  const bool settled = loop->run_until(
      [&] {
        return (!initiated || initiated->wait_for(0s) == std::future_status::ready) &&
               loop->find<ikev2::IkeSaFailed>() != nullptr;
      },
      20s);
  if (initiated) {
    const auto swanctl_result = initiated->get();
    INFO(swanctl_result.output);
    CHECK(swanctl_result.status != 0);
  }
  INFO(charon.log());
  REQUIRE(settled);
  CHECK(loop->io_errors().empty());
  const auto* failed = loop->find<ikev2::IkeSaFailed>();
  INFO(failed->failure.detail);
  CHECK(failed->failure.reason == ikev2::FailureReason::certificate_untrusted);
  CHECK_FALSE(failed->failure.peer_notify.has_value());
  CHECK(loop->find<ikev2::IkeSaEstablished>() == nullptr);
  CHECK(loop->engine().ike_sas().empty());
  check_no_kernel_leftovers();

  // charon hears our AUTHENTICATION_FAILED and drops its SA.
  bool heard = false;
  for (int i = 0; i < 50 && !(heard && !charon_has_sa(charon)); ++i) {
    heard = charon.log().find(charon_hears) != std::string::npos;
    (void)loop->run_until([] { return false; }, 100ms);
  }
  CHECK(heard);
  INFO(charon.swanctl("--list-sas").output);
  CHECK_FALSE(charon_has_sa(charon));
}

TEST_CASE("The charon fixture leaves no namespace, process or scratch directory behind", "[netns][engine_charon]") {
  {
    CharonPeer charon(swanctl_conf(kCbc));
    REQUIRE(charon.error().empty());
    CHECK(charon.swanctl("--stats").status == 0);
    const auto namespaces = run(ip() + " netns list").output;
    CHECK_THAT(namespaces, Catch::Contains(CharonPeer::kOurNamespace));
    CHECK_THAT(namespaces, Catch::Contains(CharonPeer::kCharonNamespace));
  }
  const auto namespaces = run(ip() + " netns list").output;
  CHECK_THAT(namespaces, !Catch::Contains(CharonPeer::kOurNamespace));
  CHECK_THAT(namespaces, !Catch::Contains(CharonPeer::kCharonNamespace));
  for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
    CHECK(entry.path().filename().string().rfind("ipsecd-charon-", 0) == std::string::npos);
  }
}
