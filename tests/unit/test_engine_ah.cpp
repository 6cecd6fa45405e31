// AH and ESP+AH CHILD_SAs and ESN between two engines: proposals, KEYMAT, kernel SAs and policies through
// IKE_AUTH, CREATE_CHILD_SA, rekey, Delete and kernel EXPIRE; the bundle's proposal numbering on its own.
#include "rekey_harness.h"

#include "crypto/ike_key_derivation.h"
#include "crypto/prf.h"
#include "crypto/prf_plus.h"
#include "daemon/ike/ikev2/payload_helpers.h"

#include <catch2/catch.hpp>

#include <set>

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

using P = iana::SecurityProtocolId;

// What a child's proposal lists hold: ESP and AH keyword strings, nullptr for none.
struct ChildProtocols {
  const char* esp = nullptr;
  const char* ah = nullptr;
  IpsecMode mode = IpsecMode::tunnel;
};

void set_protocols(ChildConfig& child, const ChildProtocols& p) {
  child.esp_proposals.clear();
  child.ah_proposals.clear();
  if (p.esp != nullptr) child.esp_proposals = {proposal(p.esp, P::ESP)};
  if (p.ah != nullptr) child.ah_proposals = {proposal(p.ah, P::AH)};
  child.mode = p.mode;
}

ChildConfig second_child(const char* local_ts, const char* remote_ts, const ChildProtocols& p) {
  ChildConfig child;
  child.name = "net2";
  child.local_ts = selectors(local_ts);
  child.remote_ts = selectors(remote_ts);
  child.lifetime = {3240, 3600, 0, 0};
  set_protocols(child, p);
  return child;
}

// Initiator a (192.0.2.1) and responder b (192.0.2.2), each with child "net" of protocols `net` and child
// "net2" of protocols `net2`.
ConnectionConfig config_a(const ChildProtocols& net, const ChildProtocols& net2 = {"aes128gcm16"}) {
  auto c = psk_connection("192.0.2.1", "192.0.2.2", "initiator@example.org", "@responder.example.org");
  set_protocols(c.children.front(), net);
  c.children.push_back(second_child("10.3.0.0/16", "10.4.0.0/16", net2));
  return c;
}

ConnectionConfig config_b(const ChildProtocols& net, const ChildProtocols& net2 = {"aes128gcm16"}) {
  auto c = psk_connection("192.0.2.2", "192.0.2.1", "@responder.example.org", "initiator@example.org",
                          "aes128gcm16-prfsha256-x25519", "aes128gcm16", "10.2.0.0/16", "10.1.0.0/16");
  set_protocols(c.children.front(), net);
  c.children.push_back(second_child("10.4.0.0/16", "10.3.0.0/16", net2));
  return c;
}

// One SA kind a child installs: its protocol, the kernel mode of its SAs, key lengths and ESN.
struct SaShape {
  P protocol;
  IpsecMode mode;
  size_t encryption_key = 0;
  size_t integrity_key = 0;
  bool esn = false;
};

std::vector<const KernelSa*> sas_of(const RecordingKernelPort& kernel, uint32_t reqid) {
  std::vector<const KernelSa*> out;
  for (const auto& [key, sa] : kernel.sas) {
    if (sa.reqid == reqid) out.push_back(&sa);
  }
  return out;
}

// The kernel of both sides holds for the child with `reqid_a` on a exactly an inbound and an outbound SA
// of each shape, and the peer the mirror image: same SPIs crosswise, same algorithms, equal keys.
void require_child_sas(RekeyPair& pair, uint32_t reqid_a, const std::vector<SaShape>& shapes) {
  const auto on_a = sas_of(pair.a.kernel, reqid_a);
  REQUIRE(on_a.size() == 2 * shapes.size());
  std::set<uint32_t> reqids_b;
  for (const auto& shape : shapes) {
    for (const bool inbound : {true, false}) {
      auto it = std::find_if(on_a.begin(), on_a.end(), [&](const KernelSa* sa) {
        return sa->id.protocol == shape.protocol && sa->inbound == inbound;
      });
      REQUIRE(it != on_a.end());
      const KernelSa& sa = **it;
      CHECK(sa.mode == shape.mode);
      CHECK(sa.encryption_key.size() == shape.encryption_key);
      CHECK(sa.integrity_key.size() == shape.integrity_key);
      CHECK(sa.esn == shape.esn);
      if (shape.protocol == P::AH) CHECK(sa.encryption == iana::EncryptionAlgorithm{});
      CHECK(sa.id.src == (inbound ? ip("192.0.2.2") : ip("192.0.2.1")));
      const KernelSa* peer = pair.b.kernel.find_sa(sa.id.spi);
      REQUIRE(peer != nullptr);
      CHECK(peer->id == sa.id);
      CHECK(peer->inbound != sa.inbound);
      CHECK(peer->mode == sa.mode);
      CHECK(peer->encryption == sa.encryption);
      CHECK(peer->integrity == sa.integrity);
      CHECK(peer->esn == sa.esn);
      CHECK(peer->encryption_key == sa.encryption_key);
      CHECK(peer->integrity_key == sa.integrity_key);
      reqids_b.insert(peer->reqid);
    }
  }
  REQUIRE(reqids_b.size() == 1);
  CHECK(sas_of(pair.b.kernel, *reqids_b.begin()).size() == 2 * shapes.size());
}

// Side a (`pair.a`, at 192.0.2.1) or b holds `count` policies with its child's `reqid`, each applying
// `protocol` inside `outer` in `mode`, tunnels leaving from its own address.
void require_policies(RekeyPair& pair, bool on_a, uint32_t reqid, size_t count, P protocol,
                      const std::vector<P>& outer, IpsecMode mode) {
  const auto& kernel = on_a ? pair.a.kernel : pair.b.kernel;
  const IpAddress local = ip(on_a ? "192.0.2.1" : "192.0.2.2");
  size_t seen = 0;
  for (const auto& p : kernel.policies) {
    if (p.reqid != reqid) continue;
    ++seen;
    CHECK(p.protocol == protocol);
    CHECK(p.outer_protocols == outer);
    CHECK(p.mode == mode);
    if (mode == IpsecMode::tunnel) {
      CHECK((p.direction == PolicyDirection::out ? p.tunnel_src : p.tunnel_dst) == local);
    }
  }
  CHECK(seen == count);
}

uint32_t reqid_of(const RekeySide& side, const char* child = "net") {
  for (const auto& c : side.children()) {
    if (c.name == std::string(child) && c.state == ChildSaState::installed) return c.reqid;
  }
  FAIL("no installed child " << child);
  return 0;
}

// The inbound SPI of the child's SA of `protocol` in the kernel.
uint32_t kernel_spi_in(const RekeySide& side, uint32_t reqid, P protocol) {
  for (const auto* sa : sas_of(side.kernel, reqid)) {
    if (sa->inbound && sa->id.protocol == protocol) return sa->id.spi;
  }
  FAIL("no inbound SA of that protocol");
  return 0;
}

std::set<uint32_t> all_spis(const RecordingKernelPort& kernel) {
  std::set<uint32_t> out;
  for (const auto& [key, sa] : kernel.sas) out.insert(sa.id.spi);
  return out;
}

void require_clean(RekeyPair& pair) {
  for (auto* side : {&pair.a, &pair.b}) {
    CHECK(side->kernel.empty());
    CHECK(side->children().empty());
  }
}

const ChildProtocols kAhTunnel{nullptr, "sha256"};
const ChildProtocols kAhTransport{nullptr, "sha256", IpsecMode::transport};
const ChildProtocols kBundle{"aes128-sha256", "sha256"};

const SaShape kAhTunnelSa{P::AH, IpsecMode::tunnel, 0, 32};
const SaShape kAhTransportSa{P::AH, IpsecMode::transport, 0, 32};
// The AES-128-CBC/HMAC-SHA-256 ESP SA of kBundle in tunnel mode.
const SaShape kBundleEspTunnel{P::ESP, IpsecMode::tunnel, 16, 32};

ike::Proposal wire(uint8_t number, P protocol, const char* text, uint32_t spi) {
  auto p = to_sa_proposals({proposal(text, protocol)}, spi_bytes(spi)).front();
  p.number = number;
  return p;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// AH alone

TEST_CASE("AH tunnel-mode child in IKE_AUTH", "[engine-ah]") {
  RekeyPair pair(config_a(kAhTunnel), config_b(kAhTunnel));
  pair.establish();
  const auto installed = pair.a.events.of<ChildSaInstalled>().front();
  CHECK(installed.transforms.protocol == P::AH);
  CHECK(installed.transforms.integrity == iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);
  CHECK(installed.transforms.encryption.id == iana::EncryptionAlgorithm{});
  CHECK(pair.b.events.of<ChildSaInstalled>().front().transforms == installed.transforms);
  require_child_sas(pair, reqid_of(pair.a), {kAhTunnelSa});
  CHECK(pair.a.kernel.sas.size() == 2);
  CHECK(pair.a.kernel.larval.empty());
  CHECK(pair.b.kernel.larval.empty());
  require_policies(pair, true, reqid_of(pair.a), 3, P::AH, {}, IpsecMode::tunnel);
  require_policies(pair, false, reqid_of(pair.b), 3, P::AH, {}, IpsecMode::tunnel);
  CHECK(pair.a.kernel.find_sa(spi_in_of(pair.a))->id.protocol == P::AH);
}

TEST_CASE("AH transport-mode child in IKE_AUTH", "[engine-ah]") {
  RekeyPair pair(config_a(kAhTransport), config_b(kAhTransport));
  pair.establish();
  require_child_sas(pair, reqid_of(pair.a), {kAhTransportSa});
  require_policies(pair, true, reqid_of(pair.a), 2, P::AH, {}, IpsecMode::transport);
  require_policies(pair, false, reqid_of(pair.b), 2, P::AH, {}, IpsecMode::transport);
}

TEST_CASE("An AH-only initiator and an ESP-only responder agree on nothing", "[engine-ah]") {
  RekeyPair pair(config_a(kAhTunnel), config_b({"aes128gcm16"}));
  REQUIRE(pair.a.engine->initiate("conn", "net"));
  pair.pump();
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  require_one_ike_sa(pair);
  require_clean(pair);
}

TEST_CASE("AH child added with CREATE_CHILD_SA beside an ESP child", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16"}, kAhTunnel), config_b({"aes128gcm16"}, kAhTunnel));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  require_one_ike_sa(pair);
  REQUIRE(pair.a.children().size() == 2);
  require_child_sas(pair, reqid_of(pair.a, "net"), {{P::ESP, IpsecMode::tunnel, 20, 0}});
  require_child_sas(pair, reqid_of(pair.a, "net2"), {kAhTunnelSa});
  require_policies(pair, true, reqid_of(pair.a, "net2"), 3, P::AH, {}, IpsecMode::tunnel);
  require_policies(pair, true, reqid_of(pair.a, "net"), 3, P::ESP, {}, IpsecMode::tunnel);
  CHECK(pair.a.kernel.larval.empty());
  CHECK(pair.b.kernel.larval.empty());
}

TEST_CASE("AH child rekey with PFS replaces the AH SAs and keeps the policies", "[engine-ah]") {
  const ChildProtocols ah_pfs{nullptr, "sha256-x25519", IpsecMode::transport};
  RekeyPair pair(config_a(ah_pfs), config_b(ah_pfs));
  pair.establish();
  const uint32_t reqid = reqid_of(pair.a);
  const auto old_a = all_spis(pair.a.kernel);
  const auto policies_a = pair.a.kernel.policies;
  const auto policies_b = pair.b.kernel.policies;
  const auto keys_before = pair.a.kernel.find_sa(spi_in_of(pair.a))->integrity_key;
  REQUIRE(pair.a.engine->rekey_child(spi_in_of(pair.a)));
  pair.pump();
  require_one_ike_sa(pair);
  CHECK(pair.a.events.of<ChildSaRekeyed>().size() == 1);
  CHECK(pair.b.events.of<ChildSaRekeyed>().size() == 1);
  const auto rekeyed = pair.a.events.of<ChildSaInstalled>().back();
  CHECK(rekeyed.transforms.protocol == P::AH);
  CHECK(rekeyed.transforms.key_exchange == iana::KeyExchangeMethod::CURVE25519);
  REQUIRE(pair.a.children().size() == 1);
  CHECK(reqid_of(pair.a) == reqid);
  require_child_sas(pair, reqid, {kAhTransportSa});
  CHECK(pair.a.kernel.sas.size() == 2);
  CHECK(pair.b.kernel.sas.size() == 2);
  for (uint32_t spi : old_a) CHECK(pair.a.kernel.find_sa(spi) == nullptr);
  CHECK(pair.a.kernel.find_sa(spi_in_of(pair.a))->integrity_key != keys_before);
  CHECK(pair.a.kernel.policies == policies_a);
  CHECK(pair.b.kernel.policies == policies_b);
  CHECK(pair.a.kernel.larval.empty());
  CHECK(pair.b.kernel.larval.empty());
}

TEST_CASE("Kernel EXPIRE on an AH SA: soft rekeys, hard deletes the child on both sides", "[engine-ah]") {
  RekeyPair pair(config_a(kAhTunnel), config_b(kAhTunnel));
  pair.establish();
  const uint32_t old_spi = spi_in_of(pair.a);
  // The SPI under ESP names nothing: the kernel allocates ESP and AH SPIs apart.
  pair.a.engine->on_kernel_expire(old_spi, false, P::ESP);
  CHECK(pair.a.sink.queue.empty());
  pair.a.engine->on_kernel_expire(old_spi, false, P::AH);
  pair.pump();
  CHECK(pair.b.events.of<ChildSaRekeyed>().size() == 1);
  CHECK(spi_in_of(pair.a) != old_spi);
  require_child_sas(pair, reqid_of(pair.a), {kAhTunnelSa});
  CHECK(pair.a.kernel.sas.size() == 2);

  pair.b.engine->on_kernel_expire(spi_in_of(pair.b), true, P::AH);
  pair.pump();
  CHECK(pair.a.events.of<ChildSaDeleted>().size() == 2);  // the rekeyed one and this one
  require_one_ike_sa(pair);
  require_clean(pair);
}

// ---------------------------------------------------------------------------------------------------
// ESP+AH bundles (RFC 4306 §3.3.1)

TEST_CASE("ESP+AH bundle in tunnel mode: four SAs, one KEYMAT, policies with both templates", "[engine-ah]") {
  RekeyPair pair(config_a(kBundle), config_b(kBundle));
  pair.establish();
  const uint32_t reqid = reqid_of(pair.a);
  // Only the inner ESP tunnels; the AH around it is transport mode on the outer header.
  require_child_sas(pair, reqid, {kBundleEspTunnel, kAhTransportSa});
  CHECK(pair.a.kernel.sas.size() == 4);
  CHECK(pair.b.kernel.sas.size() == 4);
  require_policies(pair, true, reqid, 3, P::ESP, {P::AH}, IpsecMode::tunnel);
  require_policies(pair, false, reqid_of(pair.b), 3, P::ESP, {P::AH}, IpsecMode::tunnel);
  CHECK(pair.a.kernel.larval.empty());
  CHECK(pair.b.kernel.larval.empty());
  // The child is named by its ESP pair; the AH keys are not the ESP integrity keys (one stream, cut apart).
  CHECK(pair.a.kernel.find_sa(spi_in_of(pair.a))->id.protocol == P::ESP);
  const auto* ah = pair.a.kernel.find_sa(kernel_spi_in(pair.a, reqid, P::AH));
  const auto* esp = pair.a.kernel.find_sa(kernel_spi_in(pair.a, reqid, P::ESP));
  CHECK(ah->integrity_key != esp->integrity_key);
  CHECK(ah->integrity == iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);
  CHECK(esp->encryption == iana::EncryptionAlgorithm::ENCR_AES_CBC);
}

TEST_CASE("ESP+AH bundle in transport mode", "[engine-ah]") {
  const ChildProtocols bundle{"aes128gcm16", "sha256", IpsecMode::transport};
  RekeyPair pair(config_a(bundle), config_b(bundle));
  pair.establish();
  require_child_sas(pair, reqid_of(pair.a),
                    {{P::ESP, IpsecMode::transport, 20, 0}, {P::AH, IpsecMode::transport, 0, 32}});
  require_policies(pair, true, reqid_of(pair.a), 2, P::ESP, {P::AH}, IpsecMode::transport);
}

TEST_CASE("ESP+AH bundle offered to a responder with ESP only fails cleanly", "[engine-ah]") {
  RekeyPair pair(config_a(kBundle), config_b({"aes128-sha256"}));
  REQUIRE(pair.a.engine->initiate("conn", "net"));
  pair.pump();
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  CHECK(pair.b.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  require_one_ike_sa(pair);
  require_clean(pair);
}

TEST_CASE("An ESP-only initiator and a responder that wants the bundle agree on nothing", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128-sha256"}), config_b(kBundle));
  REQUIRE(pair.a.engine->initiate("conn", "net"));
  pair.pump();
  CHECK(pair.a.events.of<ChildSaFailed>().size() == 1);
  require_clean(pair);
}

TEST_CASE("ESP+AH bundle as a CREATE_CHILD_SA child, rekeyed with PFS", "[engine-ah]") {
  const ChildProtocols bundle_pfs{"aes128gcm16-x25519", "sha256"};
  RekeyPair pair(config_a({"aes128gcm16"}, bundle_pfs), config_b({"aes128gcm16"}, bundle_pfs));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  const uint32_t reqid = reqid_of(pair.a, "net2");
  require_child_sas(pair, reqid, {{P::ESP, IpsecMode::tunnel, 20, 0}, kAhTransportSa});
  CHECK(pair.a.events.of<ChildSaInstalled>().back().transforms.key_exchange ==
        iana::KeyExchangeMethod::CURVE25519);
  const auto old_spis = all_spis(pair.a.kernel);
  const auto policies_a = pair.a.kernel.policies;

  // The responder of the IKE SA rekeys the bundle.
  REQUIRE(pair.b.engine->rekey_child(spi_in_of(pair.b, "net2")));
  pair.pump();
  require_one_ike_sa(pair);
  CHECK(pair.a.events.of<ChildSaRekeyed>().size() == 1);
  require_child_sas(pair, reqid, {{P::ESP, IpsecMode::tunnel, 20, 0}, kAhTransportSa});
  require_child_sas(pair, reqid_of(pair.a, "net"), {{P::ESP, IpsecMode::tunnel, 20, 0}});
  CHECK(pair.a.kernel.sas.size() == 6);
  CHECK(pair.b.kernel.sas.size() == 6);
  for (uint32_t spi : all_spis(pair.a.kernel)) {
    if (pair.a.kernel.find_sa(spi)->reqid == reqid) CHECK(old_spis.count(spi) == 0);
  }
  CHECK(pair.a.kernel.policies == policies_a);
  CHECK(pair.a.kernel.larval.empty());
  CHECK(pair.b.kernel.larval.empty());
}

TEST_CASE("A hard EXPIRE on the bundle's AH SA deletes both of its SA pairs on both sides", "[engine-ah]") {
  RekeyPair pair(config_a(kBundle), config_b(kBundle));
  pair.establish();
  const uint32_t reqid = reqid_of(pair.a);
  pair.a.engine->on_kernel_expire(kernel_spi_in(pair.a, reqid, P::AH), true, P::AH);
  pair.pump();
  require_one_ike_sa(pair);
  require_clean(pair);
  CHECK(pair.b.events.of<ChildSaDeleted>().size() == 1);
}

TEST_CASE("A soft EXPIRE on the bundle's AH SA rekeys the whole bundle", "[engine-ah]") {
  RekeyPair pair(config_a(kBundle), config_b(kBundle));
  pair.establish();
  const uint32_t reqid = reqid_of(pair.a);
  const auto old_spis = all_spis(pair.b.kernel);
  pair.b.engine->on_kernel_expire(kernel_spi_in(pair.b, reqid_of(pair.b), P::AH), false, P::AH);
  pair.pump();
  require_child_sas(pair, reqid, {kBundleEspTunnel, kAhTransportSa});
  CHECK(pair.b.kernel.sas.size() == 4);
  for (uint32_t spi : all_spis(pair.b.kernel)) CHECK(old_spis.count(spi) == 0);
}

TEST_CASE("The bundle's Delete names its ESP and its AH SPI in one payload each", "[engine-ah]") {
  const auto payloads = child_delete_payloads(P::ESP, 0x1111, 0x2222);
  REQUIRE(payloads.size() == 2);
  const auto& esp = std::get<ike::DeletePayload>(payloads[0].body);
  const auto& ah = std::get<ike::DeletePayload>(payloads[1].body);
  CHECK(esp.protocol == P::ESP);
  CHECK(esp.spis == std::vector<uint32_t>{0x1111});
  CHECK(ah.protocol == P::AH);
  CHECK(ah.spis == std::vector<uint32_t>{0x2222});
  REQUIRE(child_delete_payloads(P::AH, 0x3333, 0).size() == 1);
  CHECK(std::get<ike::DeletePayload>(child_delete_payloads(P::AH, 0x3333, 0)[0].body).protocol == P::AH);
}

// ---------------------------------------------------------------------------------------------------
// Bundle proposals on the wire

TEST_CASE("Bundle proposals pair every ESP with every AH proposal under one number", "[engine-ah]") {
  const std::vector<ProposalConfig> esp{proposal("aes128gcm16", P::ESP), proposal("aes256-sha256", P::ESP)};
  const std::vector<ProposalConfig> ah{proposal("sha256", P::AH)};
  const auto offered = to_child_sa_proposals(esp, ah, spi_bytes(0x01020304), spi_bytes(0x0a0b0c0d));
  REQUIRE(offered.size() == 4);
  const std::vector<uint8_t> numbers{1, 1, 2, 2};
  for (size_t i = 0; i < offered.size(); ++i) {
    CHECK(offered[i].number == numbers[i]);
    CHECK(offered[i].protocol == (i % 2 == 0 ? P::ESP : P::AH));
    CHECK(offered[i].spi == spi_bytes(i % 2 == 0 ? 0x01020304 : 0x0a0b0c0d));
  }
  // Without AH the ordinary numbering, with the one SPI.
  const auto plain = to_child_sa_proposals(esp, {}, spi_bytes(7), spi_bytes(0));
  REQUIRE(plain.size() == 2);
  CHECK(plain[1].number == 2);
  const auto ah_only = to_child_sa_proposals({}, ah, spi_bytes(7), spi_bytes(0));
  REQUIRE(ah_only.size() == 1);
  CHECK(ah_only[0].protocol == P::AH);
  CHECK(ah_only[0].spi == spi_bytes(7));

  // Our own bundle is selected and answered as ESP and AH under the peer's number, each with our SPI.
  auto chosen = select_child_proposal({esp[1]}, ah, offered);
  REQUIRE(chosen);
  CHECK(chosen->main.number == 2);
  CHECK(chosen->main.spi == spi_bytes(0x01020304));
  REQUIRE(chosen->ah);
  CHECK(chosen->ah->spi == spi_bytes(0x0a0b0c0d));
  const auto answer = to_accepted_child_proposals(*chosen, spi_bytes(0x55), spi_bytes(0x66));
  REQUIRE(answer.size() == 2);
  CHECK(answer[0].number == 2);
  CHECK(answer[1].number == 2);
  CHECK(answer[1].protocol == P::AH);
  CHECK(answer[1].spi == spi_bytes(0x66));
  auto checked = check_accepted_child_proposal(esp, ah, answer);
  REQUIRE(checked);
  CHECK(checked->main.transforms.encryption.id == iana::EncryptionAlgorithm::ENCR_AES_CBC);
  CHECK(checked->ah->transforms.integrity == iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128);
  // An answer with only the ESP half, or a number we never sent, is refused.
  CHECK(!check_accepted_child_proposal(esp, ah, {answer[0]}));
  auto renumbered = answer;
  renumbered[0].number = renumbered[1].number = 3;
  CHECK(!check_accepted_child_proposal(esp, ah, renumbered));
  auto split = answer;
  split[1].number = 1;
  CHECK(!check_accepted_child_proposal(esp, ah, split));
}

TEST_CASE("An ESP-only responder takes the peer's ESP-only alternative to a bundle, or nothing",
          "[engine-ah]") {
  const std::vector<ProposalConfig> ours{proposal("aes128gcm16", P::ESP)};
  const std::vector<ike::Proposal> bundle_then_esp{
      wire(1, P::ESP, "aes128gcm16", 1), wire(1, P::AH, "sha256", 2), wire(2, P::ESP, "aes128gcm16", 3)};
  auto chosen = select_child_proposal(ours, {}, bundle_then_esp);
  REQUIRE(chosen);
  CHECK(chosen->main.number == 2);
  CHECK(chosen->main.spi == spi_bytes(3));
  CHECK(!chosen->ah);
  const auto answer = to_accepted_child_proposals(*chosen, spi_bytes(9), spi_bytes(0));
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].number == 2);

  CHECK(!select_child_proposal(ours, {}, {bundle_then_esp[0], bundle_then_esp[1]}));
  // The AH half alone is no AH-only offer either.
  CHECK(!select_child_proposal({}, {proposal("sha256", P::AH)}, {bundle_then_esp[0], bundle_then_esp[1]}));
}

TEST_CASE("Odd proposal numbering is never acceptable and never fatal", "[engine-ah]") {
  const std::vector<ProposalConfig> esp{proposal("aes128gcm16", P::ESP)};
  const std::vector<ProposalConfig> ah{proposal("sha256", P::AH)};
  const std::vector<ike::Proposal> two_esp{wire(1, P::ESP, "aes128gcm16", 1),
                                           wire(1, P::ESP, "aes128gcm16", 2)};
  CHECK(!select_child_proposal(esp, {}, two_esp));
  CHECK(!select_child_proposal(esp, ah, two_esp));
  const std::vector<ike::Proposal> three{wire(1, P::ESP, "aes128gcm16", 1), wire(1, P::AH, "sha256", 2),
                                         wire(1, P::ESP, "aes128gcm16", 3)};
  CHECK(!select_child_proposal(esp, ah, three));
  CHECK(!select_child_proposal(esp, {}, three));
  const std::vector<ike::Proposal> two_ah{wire(4, P::AH, "sha256", 1), wire(4, P::AH, "sha256", 2)};
  CHECK(!select_child_proposal(esp, ah, two_ah));
  // A bundle in the wrong order on the wire (AH first) is still the same pair.
  const std::vector<ike::Proposal> ah_first{wire(1, P::AH, "sha256", 2), wire(1, P::ESP, "aes128gcm16", 1)};
  auto chosen = select_child_proposal(esp, ah, ah_first);
  REQUIRE(chosen);
  CHECK(chosen->main.spi == spi_bytes(1));
  CHECK(chosen->ah->spi == spi_bytes(2));
  // Halves that would need two KE payloads cannot be chosen.
  const std::vector<ProposalConfig> esp_pfs{proposal("aes128gcm16-x25519", P::ESP)};
  const std::vector<ProposalConfig> ah_pfs{proposal("sha256-modp2048", P::AH)};
  const std::vector<ike::Proposal> two_groups{wire(1, P::ESP, "aes128gcm16-x25519", 1),
                                              wire(1, P::AH, "sha256-modp2048", 2)};
  CHECK(!select_child_proposal(esp_pfs, ah_pfs, two_groups));
  const std::vector<ike::Proposal> one_group{wire(1, P::ESP, "aes128gcm16-x25519", 1),
                                             wire(1, P::AH, "sha256", 2)};
  auto pfs = select_child_proposal(esp_pfs, ah, one_group);
  REQUIRE(pfs);
  CHECK(pfs->key_exchange() == iana::KeyExchangeMethod::CURVE25519);
}

TEST_CASE("Bundle KEYMAT: initiator-to-responder keys first, AH before ESP in each direction",
          "[engine-ah]") {
  auto prf = crypto::make_prf(iana::PseudorandomFunction::PRF_HMAC_SHA2_256);
  REQUIRE(prf);
  const crypto::SecureBytes sk_d(32, 0x22);
  const crypto::Bytes ni(16, 0x33);
  const crypto::Bytes nr(16, 0x44);
  const std::vector<crypto::ChildSaKeyLengths> lengths{{0, 32}, {20, 0}};  // AH sha256, ESP aes128gcm16
  auto keys = crypto::derive_child_sa_bundle_keys(**prf, sk_d, {}, ni, nr, lengths);
  REQUIRE(keys);
  REQUIRE(keys->size() == 2);
  crypto::Bytes seed(ni.begin(), ni.end());
  seed.insert(seed.end(), nr.begin(), nr.end());
  auto stream = crypto::prf_plus(**prf, sk_d, seed, 104);
  REQUIRE(stream);
  auto part = [&](size_t from, size_t length) {
    return crypto::SecureBytes(stream->begin() + static_cast<std::ptrdiff_t>(from),
                               stream->begin() + static_cast<std::ptrdiff_t>(from + length));
  };
  CHECK((*keys)[0].initiator_to_responder.integrity == part(0, 32));
  CHECK((*keys)[1].initiator_to_responder.encryption == part(32, 20));
  CHECK((*keys)[0].responder_to_initiator.integrity == part(52, 32));
  CHECK((*keys)[1].responder_to_initiator.encryption == part(84, 20));
  // One SA alone is keyed as derive_child_sa_keys keys it.
  auto one = crypto::derive_child_sa_bundle_keys(**prf, sk_d, {}, ni, nr, {{20, 0}});
  auto plain = crypto::derive_child_sa_keys(**prf, sk_d, {}, ni, nr, {20, 0});
  REQUIRE(one);
  REQUIRE(plain);
  CHECK((*one)[0].initiator_to_responder.encryption == plain->initiator_to_responder.encryption);
  CHECK((*one)[0].responder_to_initiator.encryption == plain->responder_to_initiator.encryption);
}

// ---------------------------------------------------------------------------------------------------
// Extended Sequence Numbers (§3.3.2 Transform Type 5)

TEST_CASE("ESN that both want reaches every kernel SA", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16-esn"}), config_b({"aes128gcm16-esn"}));
  pair.establish();
  CHECK(pair.a.events.of<ChildSaInstalled>().front().transforms.esn);
  CHECK(pair.b.events.of<ChildSaInstalled>().front().transforms.esn);
  require_child_sas(pair, reqid_of(pair.a), {{P::ESP, IpsecMode::tunnel, 20, 0, true}});
}

TEST_CASE("ESN offered beside no ESN to a responder without ESN: no ESN", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16-esn-noesn"}), config_b({"aes128gcm16"}));
  pair.establish();
  CHECK(!pair.a.events.of<ChildSaInstalled>().front().transforms.esn);
  require_child_sas(pair, reqid_of(pair.a), {{P::ESP, IpsecMode::tunnel, 20, 0, false}});
}

TEST_CASE("No ESN offered to a responder that prefers ESN but takes both: no ESN", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16"}), config_b({"aes128gcm16-esn-noesn"}));
  pair.establish();
  require_child_sas(pair, reqid_of(pair.a), {{P::ESP, IpsecMode::tunnel, 20, 0, false}});
}

TEST_CASE("Both take ESN and no ESN: the responder's preference wins", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16-noesn-esn"}), config_b({"aes128gcm16-esn-noesn"}));
  pair.establish();
  require_child_sas(pair, reqid_of(pair.a), {{P::ESP, IpsecMode::tunnel, 20, 0, true}});
}

TEST_CASE("ESN only against no ESN only: NO_PROPOSAL_CHOSEN and nothing left", "[engine-ah]") {
  RekeyPair pair(config_a({"aes128gcm16-esn"}), config_b({"aes128gcm16"}));
  REQUIRE(pair.a.engine->initiate("conn", "net"));
  pair.pump();
  REQUIRE(pair.a.events.of<ChildSaFailed>().size() == 1);
  CHECK(pair.a.events.of<ChildSaFailed>().front().failure.reason == FailureReason::no_proposal_chosen);
  require_one_ike_sa(pair);
  require_clean(pair);
}

TEST_CASE("AH with ESN, in IKE_AUTH and in a CREATE_CHILD_SA child", "[engine-ah]") {
  const ChildProtocols ah_esn{nullptr, "sha256-esn"};
  RekeyPair pair(config_a(ah_esn, ah_esn), config_b(ah_esn, ah_esn));
  pair.establish();
  REQUIRE(pair.a.engine->initiate("conn", "net2"));
  pair.pump();
  for (const char* child : {"net", "net2"}) {
    require_child_sas(pair, reqid_of(pair.a, child), {{P::AH, IpsecMode::tunnel, 0, 32, true}});
  }
  CHECK(pair.b.events.of<ChildSaInstalled>().back().transforms.esn);
}

TEST_CASE("ESP+AH bundle with ESN on both halves", "[engine-ah]") {
  const ChildProtocols bundle_esn{"aes128gcm16-esn", "sha256-esn"};
  RekeyPair pair(config_a(bundle_esn), config_b(bundle_esn));
  pair.establish();
  require_child_sas(pair, reqid_of(pair.a),
                    {{P::ESP, IpsecMode::tunnel, 20, 0, true}, {P::AH, IpsecMode::transport, 0, 32, true}});
}
