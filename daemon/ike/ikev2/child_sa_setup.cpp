// CHILD_SA setup (RFC 7296 §1.2, §1.3.1, §2.9, §2.17), first inside IKE_AUTH and shared with CREATE_CHILD_SA:
// ESP, AH or ESP+AH proposals, traffic-selector narrowing, kernel SPIs, KEYMAT, and the SAs and policies for
// the kernel.
#include "daemon/ike/ikev2/engine.h"

#include "crypto/esp_key_lengths.h"
#include "crypto/ike_key_derivation.h"
#include "daemon/ike/ikev2/payload_helpers.h"

#include <botan/loadstor.h>

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

bool same_family(const Selector& a, const Selector& b) { return a.is_ipv6() == b.is_ipv6(); }

bool protocols_compatible(const Selector& a, const Selector& b) {
  return a.ip_protocol == 0 || b.ip_protocol == 0 || a.ip_protocol == b.ip_protocol;
}

std::string protocols_name(const ChildConfig& config) {
  return config.bundle() ? "ESP+AH" : std::string(iana::name(config.protocol()));
}

// One SA pair of a CHILD_SA, for keying and installing.
struct SaPair {
  const NegotiatedTransforms* transforms;
  uint32_t spi_in;
  uint32_t spi_out;
  IpsecMode mode;
};

}  // namespace

Expected<std::vector<ike::Payload>, Failure> Engine::propose_first_child(IkeSa& sa,
                                                                         const ChildConfig& child) {
  auto ts = initial_selectors(sa, child);
  if (!ts) return unexpected(Failure{FailureReason::ts_unacceptable, std::nullopt, ts.error()});
  auto& [tsi, tsr] = *ts;
  const uint32_t reqid = reqid_for(sa.connection->name, child.name);
  auto spis = allocate_child_spis(sa, child, reqid);
  if (!spis) return unexpected(Failure{FailureReason::kernel_refused, std::nullopt, spis.error().message});
  const auto [spi, ah_spi] = *spis;
  sa.pending_child = PendingChild{&child, reqid, spi, ah_spi, tsi, tsr};

  std::vector<ike::Payload> out;
  if (child.mode == IpsecMode::transport)
    out.push_back(notify_payload(iana::NotifyMessageType::USE_TRANSPORT_MODE));
  out.push_back(ike::Payload{ike::SaPayload{
      to_child_sa_proposals(child.esp_proposals, child.ah_proposals, spi_bytes(spi), spi_bytes(ah_spi))}});
  out.push_back(ike::Payload{ike::TsiPayload{to_wire(tsi)}});
  out.push_back(ike::Payload{ike::TsrPayload{to_wire(tsr)}});
  return out;
}

std::vector<ike::Payload> Engine::answer_first_child(IkeSa& sa, const std::vector<ike::Payload>& request) {
  return answer_child(sa, request, sa.nonce_i, sa.nonce_r, false, nullptr).payloads;
}

ChildAnswer Engine::answer_child(IkeSa& sa, const std::vector<ike::Payload>& request,
                                 crypto::ByteView nonce_i, crypto::ByteView nonce_r, bool create_child_sa,
                                 const ChildSa* replaces) {
  const ConnectionConfig& conn = *sa.connection;
  const auto* sa_payload = ike::find_first<ike::SaPayload>(request);
  const auto* tsi_payload = ike::find_first<ike::TsiPayload>(request);
  const auto* tsr_payload = ike::find_first<ike::TsrPayload>(request);
  auto refuse = [&](const std::string& child, FailureReason reason, iana::NotifyMessageType notify,
                    std::string detail, crypto::Bytes data = {}) {
    emit(ChildSaFailed{sa.unique_id, conn.name, child, {reason, std::nullopt, std::move(detail)}});
    return ChildAnswer{{notify_payload(notify, std::move(data))}, std::nullopt};
  };
  const std::string first_name = replaces != nullptr     ? replaces->name
                                 : conn.children.empty() ? std::string{}
                                                         : conn.children.front().name;
  if (sa_payload == nullptr || tsi_payload == nullptr || tsr_payload == nullptr) {
    return refuse(first_name, FailureReason::ts_unacceptable, iana::NotifyMessageType::TS_UNACCEPTABLE,
                  "CHILD_SA proposal without TSi or TSr");
  }
  auto proposed_tsi = from_wire(tsi_payload->selectors);
  auto proposed_tsr = from_wire(tsr_payload->selectors);
  if (!proposed_tsi || !proposed_tsr) {
    return refuse(first_name, FailureReason::ts_unacceptable, iana::NotifyMessageType::TS_UNACCEPTABLE,
                  !proposed_tsi ? proposed_tsi.error() : proposed_tsr.error());
  }

  // The first configured child whose policy leaves something of the proposed traffic (§2.9); a rekey
  // stays with the child it replaces.
  const ChildConfig* child = nullptr;
  NarrowedSelectors narrowed;
  for (const auto& c : conn.children) {
    if (replaces != nullptr && c.name != replaces->name) continue;
    auto remote_policy = resolve(c.remote_ts, sa.remote.address.view());
    auto local_policy = resolve(c.local_ts, sa.local.address.view());
    if (!remote_policy || !local_policy) continue;
    if (auto n = narrow(*remote_policy, *local_policy, *proposed_tsi, *proposed_tsr)) {
      child = &c;
      narrowed = std::move(*n);
      break;
    }
  }
  if (child == nullptr) {
    return refuse(first_name, FailureReason::ts_unacceptable, iana::NotifyMessageType::TS_UNACCEPTABLE,
                  "proposed TSi " + format_selectors(*proposed_tsi) + " TSr " +
                      format_selectors(*proposed_tsr) + " fit no child");
  }
  auto selected = select_child_proposal(child->esp_proposals, child->ah_proposals, sa_payload->proposals);
  std::optional<uint32_t> spi_out = selected ? spi_value(selected->main.spi) : std::nullopt;
  std::optional<uint32_t> ah_spi_out = selected && selected->ah ? spi_value(selected->ah->spi) : 0u;
  if (!selected || !spi_out || !ah_spi_out) {
    return refuse(child->name, FailureReason::no_proposal_chosen, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN,
                  "no acceptable " + protocols_name(*child) + " proposal");
  }
  // §1.3.1: PFS in CREATE_CHILD_SA takes the group of the chosen proposal; a KE in another group is
  // answered with the one we want, and one beside a chosen proposal without KE is left unused. Inside
  // IKE_AUTH there is no KE and the keys come from SK_d alone.
  std::unique_ptr<crypto::KeyExchange> our_ke;
  crypto::SecureBytes pfs_secret;
  const iana::KeyExchangeMethod group = selected->key_exchange();
  const auto* ke = ike::find_first<ike::KePayload>(request);
  if (create_child_sa && group != iana::KeyExchangeMethod::NONE) {
    if (ke == nullptr || ke->group != group) {
      crypto::Bytes wanted(2);
      Botan::store_be(static_cast<uint16_t>(group), wanted.data());
      return refuse(child->name, FailureReason::invalid_ke_payload,
                    iana::NotifyMessageType::INVALID_KE_PAYLOAD, "PFS group mismatch", wanted);
    }
    auto made = crypto::make_key_exchange(group, ports_.rng);
    auto shared = made ? (*made)->shared_secret(ke->data)
                       : Expected<crypto::SecureBytes, std::string>(unexpected(made.error()));
    if (!shared) {
      return refuse(child->name, FailureReason::protocol_error, iana::NotifyMessageType::INVALID_SYNTAX,
                    shared.error());
    }
    our_ke = std::move(*made);
    pfs_secret = std::move(*shared);
  }
  // §1.3.1: transport mode only when the initiator asks and our policy agrees; otherwise tunnel.
  const bool transport =
      has_notify(request, iana::NotifyMessageType::USE_TRANSPORT_MODE) && child->mode == IpsecMode::transport;

  const uint32_t reqid = replaces != nullptr ? replaces->reqid : reqid_for(conn.name, child->name);
  auto spis = allocate_child_spis(sa, *child, reqid);
  // A CHILD_SA the kernel will not take is answered as charon does: NO_PROPOSAL_CHOSEN, IKE SA kept.
  if (!spis) {
    return refuse(child->name, FailureReason::kernel_refused, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN,
                  spis.error().message);
  }
  const auto [spi_in, ah_spi_in] = *spis;
  ChildSa installed;
  installed.name = child->name;
  installed.reqid = reqid;
  installed.spi_in = spi_in;
  installed.spi_out = *spi_out;
  installed.mode = transport ? IpsecMode::transport : IpsecMode::tunnel;
  installed.transforms = selected->main.transforms;
  if (selected->ah) installed.ah = BundledAh{ah_spi_in, *ah_spi_out, selected->ah->transforms};
  installed.local_ts = narrowed.tsr;
  installed.remote_ts = narrowed.tsi;
  if (auto ok = install_child_keyed(sa, installed, *child, {nonce_i, nonce_r, pfs_secret, false},
                                    replaces == nullptr);
      !ok) {
    return refuse(child->name, ok.error().reason, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN,
                  ok.error().detail);
  }

  std::vector<ike::Payload> out;
  if (transport) out.push_back(notify_payload(iana::NotifyMessageType::USE_TRANSPORT_MODE));
  out.push_back(ike::Payload{
      ike::SaPayload{to_accepted_child_proposals(*selected, spi_bytes(spi_in), spi_bytes(ah_spi_in))}});
  if (our_ke) out.push_back(ike::Payload{ike::KePayload{group, our_ke->public_value()}});
  out.push_back(ike::Payload{ike::TsiPayload{to_wire(narrowed.tsi)}});
  out.push_back(ike::Payload{ike::TsrPayload{to_wire(narrowed.tsr)}});
  emit(ChildSaInstalled{sa.unique_id, conn.name, installed.name, installed.reqid, installed.spi_in,
                        installed.spi_out, installed.mode, installed.transforms, installed.local_ts,
                        installed.remote_ts});
  sa.children.push_back(std::move(installed));
  return {std::move(out), spi_in};
}

void Engine::complete_first_child(IkeSa& sa, const std::vector<ike::Payload>& response) {
  if (!sa.pending_child) return;
  const PendingChild pending = *sa.pending_child;
  const ChildConfig& config = *pending.config;
  const std::string& conn_name = sa.connection->name;
  auto fail = [&](Failure failure) {
    release_pending_child(sa);
    emit(ChildSaFailed{sa.unique_id, conn_name, config.name, std::move(failure)});
  };
  // §1.2: the IKE SA stays up when only the CHILD_SA failed; the peer's notify is the reason.
  if (const auto* error = first_error_notify(response)) {
    fail(failure_from_notify(error->type));
    return;
  }
  const auto* sa_payload = ike::find_first<ike::SaPayload>(response);
  const auto* tsi_payload = ike::find_first<ike::TsiPayload>(response);
  const auto* tsr_payload = ike::find_first<ike::TsrPayload>(response);
  if (sa_payload == nullptr || tsi_payload == nullptr || tsr_payload == nullptr) {
    fail({FailureReason::protocol_error, std::nullopt, "IKE_AUTH response has no CHILD_SA and no error"});
    return;
  }
  auto accepted =
      check_accepted_child_proposal(config.esp_proposals, config.ah_proposals, sa_payload->proposals);
  std::optional<uint32_t> spi_out = accepted ? spi_value(accepted->main.spi) : std::nullopt;
  std::optional<uint32_t> ah_spi_out = accepted && accepted->ah ? spi_value(accepted->ah->spi) : 0u;
  if (!accepted || !spi_out || !ah_spi_out) {
    fail({FailureReason::protocol_error, std::nullopt, accepted ? "SPI is not 4 bytes" : accepted.error()});
    return;
  }
  auto tsi = from_wire(tsi_payload->selectors);
  auto tsr = from_wire(tsr_payload->selectors);
  if (!tsi || !tsr) {
    fail({FailureReason::ts_unacceptable, std::nullopt, !tsi ? tsi.error() : tsr.error()});
    send_child_delete(sa, config.protocol(), pending.spi_in, pending.ah_spi_in);
    return;
  }
  if (auto ok = check_narrowed(pending.tsi, pending.tsr, *tsi, *tsr); !ok) {
    fail({FailureReason::ts_unacceptable, std::nullopt, ok.error()});
    send_child_delete(sa, config.protocol(), pending.spi_in, pending.ah_spi_in);
    return;
  }
  const bool transport = config.mode == IpsecMode::transport &&
                         has_notify(response, iana::NotifyMessageType::USE_TRANSPORT_MODE);
  ChildSa child;
  child.name = config.name;
  child.reqid = pending.reqid;
  child.spi_in = pending.spi_in;
  child.spi_out = *spi_out;
  child.mode = transport ? IpsecMode::transport : IpsecMode::tunnel;
  child.transforms = accepted->main.transforms;
  child.local_ts = std::move(*tsi);
  child.remote_ts = std::move(*tsr);
  if (accepted->ah) child.ah = BundledAh{pending.ah_spi_in, *ah_spi_out, accepted->ah->transforms};
  sa.pending_child.reset();
  if (auto ok = install_child(sa, child, config); !ok) {
    emit(ChildSaFailed{sa.unique_id, conn_name, config.name, ok.error()});
    send_child_delete(sa, config.protocol(), pending.spi_in, pending.ah_spi_in);
    return;
  }
  emit(ChildSaInstalled{sa.unique_id, conn_name, child.name, child.reqid, child.spi_in, child.spi_out,
                        child.mode, child.transforms, child.local_ts, child.remote_ts});
  sa.children.push_back(std::move(child));
}

Expected<Ok, Failure> Engine::install_child(IkeSa& sa, ChildSa& child, const ChildConfig& config) {
  return install_child_keyed(sa, child, config, {sa.nonce_i, sa.nonce_r, {}, sa.role == IkeRole::initiator},
                             true);
}

Expected<Ok, Failure> Engine::install_child_keyed(IkeSa& sa, ChildSa& child, const ChildConfig& config,
                                                  const ChildKeying& keying, bool with_policies) {
  // The SA pairs in the order their headers appear in the packet, which is the order of their KEYMAT
  // (§2.17): a bundle's AH comes before its ESP, as AH is applied outermost (RFC 4301 §4.5). Only the
  // innermost SA of a tunnel-mode bundle tunnels; the AH around it protects the new outer header in
  // transport mode.
  std::vector<SaPair> pairs;
  if (child.ah)
    pairs.push_back({&child.ah->transforms, child.ah->spi_in, child.ah->spi_out, IpsecMode::transport});
  pairs.push_back({&child.transforms, child.spi_in, child.spi_out, child.mode});

  auto give_up = [&](FailureReason reason, std::string detail) {
    uninstall_child(child);
    // The SPIs from allocate_spi are held by the kernel until their SAs are deleted.
    for (const auto& pair : pairs) {
      const KernelSaId inbound_id{sa.remote.address, sa.local.address, pair.spi_in,
                                  pair.transforms->protocol};
      if (std::find(child.kernel_sas.begin(), child.kernel_sas.end(), inbound_id) == child.kernel_sas.end()) {
        (void)ports_.kernel.delete_sa(inbound_id);
      }
    }
    child.kernel_sas.clear();
    child.kernel_policies.clear();
    return unexpected(Failure{reason, std::nullopt, std::move(detail)});
  };

  std::vector<crypto::ChildSaKeyLengths> lengths;
  for (const auto& pair : pairs) {
    const auto& t = *pair.transforms;
    auto l = t.protocol == iana::SecurityProtocolId::AH
                 ? crypto::ah_key_lengths(t.integrity)
                 : crypto::esp_key_lengths(t.encryption.id, t.encryption.key_bits, t.integrity);
    if (!l) return give_up(FailureReason::no_proposal_chosen, l.error());
    lengths.push_back(*l);
  }
  auto keys = crypto::derive_child_sa_bundle_keys(*sa.prf, sa.sk_d, keying.pfs_secret, keying.nonce_i,
                                                  keying.nonce_r, lengths);
  if (!keys) return give_up(FailureReason::protocol_error, keys.error());
  // §2.17: the exchange initiator's keys come first, whichever side started the IKE SA.
  const bool initiator = keying.initiator;

  // The innermost pair goes in first, so that an AH SA never stands without the ESP SA it wraps.
  for (size_t i = pairs.size(); i-- > 0;) {
    const SaPair& pair = pairs[i];
    const auto& t = *pair.transforms;
    // Each direction's keys go to exactly one kernel SA: moved there, not copied.
    auto& in_keys = initiator ? (*keys)[i].responder_to_initiator : (*keys)[i].initiator_to_responder;
    auto& out_keys = initiator ? (*keys)[i].initiator_to_responder : (*keys)[i].responder_to_initiator;
    const KernelSaId inbound_id{sa.remote.address, sa.local.address, pair.spi_in, t.protocol};
    const KernelSaId outbound_id{sa.local.address, sa.remote.address, pair.spi_out, t.protocol};
    for (const auto& [id, inbound, k] :
         {std::tuple{inbound_id, true, &in_keys}, std::tuple{outbound_id, false, &out_keys}}) {
      // Only ESP travels in UDP (RFC 3948); AH cannot cross a NAT at all (RFC 3715 §2.1).
      KernelSa kernel_sa{id,
                         inbound,
                         pair.mode,
                         child.reqid,
                         t.encryption.id,
                         t.encryption.key_bits,
                         t.integrity,
                         std::move(k->encryption),
                         std::move(k->integrity),
                         t.esn,
                         config.lifetime,
                         t.protocol == iana::SecurityProtocolId::ESP ? encapsulation(sa, inbound) : std::nullopt};
      if (auto added = ports_.kernel.add_sa(kernel_sa); !added) {
        return give_up(FailureReason::kernel_refused, added.error().message);
      }
      child.kernel_sas.push_back(id);
      if (kernel_sa.encapsulation) child.encapsulated_sas.push_back(std::move(kernel_sa));
    }
  }
  arm_child_rekey(child, config);
  if (!with_policies) return Ok{};

  // A trap's policies (same reqid) already stand for the traffic the trap covers; the child adds the rest.
  const auto policies =
      child_policies(child.local_ts, child.remote_ts, child.mode, sa.local.address, sa.remote.address,
                     child.transforms.protocol, child.ah.has_value(), child.reqid);
  child.kernel_policies.reserve(child.kernel_policies.size() + policies.size());
  for (const auto& policy : policies) {
    KernelPolicyId id = policy_id(policy);
    if (trap_holds(child.reqid, id)) continue;
    // Another CHILD_SA with these selectors (its IKE SA's Delete still under way, a duplicate) shares the
    // kernel's entry, which names this newest child from now on.
    if (auto added = policies_.install(child.policy_user(), policy); !added) {
      return give_up(FailureReason::kernel_refused, added.error().message);
    }
    child.kernel_policies.push_back(std::move(id));
  }
  return Ok{};
}

std::vector<KernelPolicy> Engine::child_policies(const std::vector<Selector>& local_ts,
                                                 const std::vector<Selector>& remote_ts, IpsecMode mode,
                                                 const IpAddress& local, const IpAddress& remote,
                                                 iana::SecurityProtocolId protocol, bool bundle,
                                                 uint32_t reqid) {
  std::vector<KernelPolicy> out;
  out.reserve(local_ts.size() * remote_ts.size() * (mode == IpsecMode::tunnel ? 3 : 2));
  const std::vector<iana::SecurityProtocolId> outer =
      bundle ? std::vector{iana::SecurityProtocolId::AH} : std::vector<iana::SecurityProtocolId>{};
  for (const auto& l : local_ts) {
    for (const auto& r : remote_ts) {
      if (!same_family(l, r) || !protocols_compatible(l, r)) continue;
      out.push_back({l, r, PolicyDirection::out, mode, local, remote, protocol, reqid, outer});
      out.push_back({r, l, PolicyDirection::in, mode, remote, local, protocol, reqid, outer});
      // Forwarded traffic needs its own policy in tunnel mode (RFC 4301 §5.2 via the Linux fwd direction).
      if (mode == IpsecMode::tunnel) {
        out.push_back({r, l, PolicyDirection::fwd, mode, remote, local, protocol, reqid, outer});
      }
    }
  }
  return out;
}

void Engine::uninstall_child(ChildSa& child) {
  // Policies first, so no packet finds a policy whose SA is already gone.
  // Those another child still uses stay, pointed at that child.
  for (auto it = child.kernel_policies.rbegin(); it != child.kernel_policies.rend(); ++it) {
    policies_.release(child.policy_user(), *it);
  }
  for (auto it = child.kernel_sas.rbegin(); it != child.kernel_sas.rend(); ++it) {
    (void)ports_.kernel.delete_sa(*it);
  }
  child.kernel_policies.clear();
  child.kernel_sas.clear();
  child.encapsulated_sas.clear();
}

void Engine::remove_child(IkeSa& sa, size_t index, bool by_peer) {
  ChildSa& child = sa.children[index];
  for (size_t i = 0; i < sa.children.size(); ++i) {
    if (i == index || sa.children[i].reqid != child.reqid) continue;
    // §1.3.3: policies belong to the reqid, so the child that replaced this one (or that this one
    // replaced) keeps them.
    auto& heir = sa.children[i].kernel_policies;
    for (const auto& id : child.kernel_policies) {
      policies_.hand_over(id, child.policy_user(), sa.children[i].policy_user());
      if (std::find(heir.begin(), heir.end(), id) == heir.end()) heir.push_back(id);
    }
    child.kernel_policies.clear();
    break;
  }
  uninstall_child(child);
  // A child the peer's rekey replaced while ours was out goes by the peer's Delete (§2.8.1): a rekey.
  if (child.peer_rekey) {
    emit(ChildSaRekeyed{sa.unique_id, sa.connection->name, child.name, child.spi_in,
                        child.peer_rekey->new_spi_in});
  }
  const bool closed_by_peer = by_peer && child.state != ChildSaState::rekeyed && !child.peer_rekey;
  emit(ChildSaDeleted{sa.unique_id, sa.connection->name, child.name, child.spi_in, child.spi_out,
                      closed_by_peer ? ChildDeleteCause::peer : ChildDeleteCause::local});
  sa.children.erase(sa.children.begin() + static_cast<std::ptrdiff_t>(index));
}

const ChildConfig* Engine::child_config(const IkeSa& sa, const std::string& name) const {
  for (const auto& c : sa.connection->children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

void Engine::release_pending_child(IkeSa& sa) {
  if (sa.pending_child) {
    release_child_spis(sa, sa.pending_child->config->protocol(), sa.pending_child->spi_in,
                       sa.pending_child->ah_spi_in);
  }
  sa.pending_child.reset();
}

void Engine::send_child_delete(IkeSa& sa, iana::SecurityProtocolId protocol, uint32_t spi_in,
                               uint32_t ah_spi_in) {
  if (sa.requests.outstanding()) return;
  (void)send_request(sa, iana::ExchangeType::INFORMATIONAL,
                     child_delete_payloads(protocol, spi_in, ah_spi_in));
}

Expected<std::pair<uint32_t, uint32_t>, KernelError> Engine::allocate_child_spis(IkeSa& sa,
                                                                                 const ChildConfig& config,
                                                                                 uint32_t reqid) {
  auto spi = ports_.kernel.allocate_spi({sa.remote.address, sa.local.address, config.protocol(), reqid});
  if (!spi) return unexpected(spi.error());
  if (!config.bundle()) return std::pair{*spi, uint32_t{0}};
  auto ah_spi =
      ports_.kernel.allocate_spi({sa.remote.address, sa.local.address, iana::SecurityProtocolId::AH, reqid});
  if (!ah_spi) {
    release_child_spis(sa, config.protocol(), *spi, 0);
    return unexpected(ah_spi.error());
  }
  return std::pair{*spi, *ah_spi};
}

void Engine::release_child_spis(IkeSa& sa, iana::SecurityProtocolId protocol, uint32_t spi_in,
                                uint32_t ah_spi_in) {
  if (spi_in != 0) (void)ports_.kernel.delete_sa({sa.remote.address, sa.local.address, spi_in, protocol});
  if (ah_spi_in != 0) {
    (void)ports_.kernel.delete_sa(
        {sa.remote.address, sa.local.address, ah_spi_in, iana::SecurityProtocolId::AH});
  }
}

}  // namespace ipsecd::ikev2
