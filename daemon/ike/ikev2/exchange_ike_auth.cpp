// IKE_AUTH (RFC 7296 §1.2, §2.15): identities, PSK or public-key authentication both ways (with CERT and
// CERTREQ, §3.6-§3.7), connection choice by the peer's identity, INITIAL_CONTACT (§2.4), and the first
// CHILD_SA riding along.
#include "daemon/ike/ikev2/engine.h"

#include "crypto/signed_octets.h"
#include "daemon/ike/ikev2/authentication.h"
#include "daemon/ike/ikev2/payload_helpers.h"

#include <algorithm>
#include <iterator>

namespace ipsecd::ikev2 {
namespace {

// <InitiatorSignedOctets> or <ResponderSignedOctets>: the signer's IKE_SA_INIT message, the other side's
// nonce, and prf(SK_p of the signer, ID body).
crypto::Bytes octets_signed_by(const IkeSa& sa, IkeRole signer, const Identity& id) {
  const bool initiator = signer == IkeRole::initiator;
  return crypto::signed_octets(initiator ? sa.init_request : sa.init_response,
                               initiator ? sa.nonce_r : sa.nonce_i, *sa.prf, initiator ? sa.sk_pi : sa.sk_pr,
                               id_payload_body(id));
}

IkeRole other(IkeRole role) { return role == IkeRole::initiator ? IkeRole::responder : IkeRole::initiator; }

}  // namespace

// §2.4: INITIAL_CONTACT asserts that this IKE SA is the only one between the two of us, and the peer
// deletes every other it holds for us. So it goes only when we hold no other IKE SA with that address:
// not beside another connection to the same peer, nor while an old IKE SA's Delete is still under way
// (`down` then `up`), only after a restart or when the last one is gone. A half-open responder SA does not
// count: anyone can make one with an IKE_SA_INIT from the peer's address.
bool Engine::shares_peer_with_other_sa(const IkeSa& sa) const {
  return std::any_of(sas_.begin(), sas_.end(), [&](const auto& entry) {
    const IkeSa& other = *entry.second;
    return &other != &sa && other.remote.address == sa.remote.address && other.state != IkeSaState::half_open;
  });
}

void Engine::send_ike_auth_request(IkeSa& sa) {
  const ConnectionConfig& conn = *sa.connection;
  std::vector<ike::Payload> inner;
  auto auth = own_auth(conn.local_auth, sa.auth_pads.emplace(*sa.prf),
                       octets_signed_by(sa, sa.role, conn.local_id), sa.peer_hashes, ports_.rng);
  if (!auth) {
    fail_sa(sa, std::move(auth.error()));
    return;
  }
  // §1.2: IDi, [CERT,] [CERTREQ,] [IDr,] AUTH, then the CHILD_SA's SA, TSi, TSr.
  inner.push_back(ike::Payload{ike::IdiPayload{conn.local_id.type, conn.local_id.data}});
  for (auto& cert : certificate_payloads(conn.local_auth)) inner.push_back(std::move(cert));
  if (conn.send_initial_contact && !shares_peer_with_other_sa(sa)) {
    inner.push_back(notify_payload(iana::NotifyMessageType::INITIAL_CONTACT));
  }
  if (auto certreq = certificate_request(conn.remote_auth)) inner.push_back(std::move(*certreq));
  if (conn.remote_id)
    inner.push_back(ike::Payload{ike::IdrPayload{conn.remote_id->type, conn.remote_id->data}});
  inner.push_back(ike::Payload{std::move(*auth)});
  if (sa.pending_child) {
    auto child = propose_first_child(sa, *sa.pending_child->config);
    if (child) {
      inner.insert(inner.end(), std::make_move_iterator(child->begin()),
                   std::make_move_iterator(child->end()));
    } else {
      // RFC 6023 lets IKE_AUTH go without a CHILD_SA; the IKE SA is still worth having.
      emit(ChildSaFailed{sa.unique_id, conn.name, sa.pending_child->config->name, child.error()});
      sa.pending_child.reset();
    }
  }
  if (!send_request(sa, iana::ExchangeType::IKE_AUTH, inner)) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, "IKE_AUTH request could not be encoded"});
  }
}

void Engine::on_ike_auth_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads) {
  const auto* idi = ike::find_first<ike::IdiPayload>(payloads);
  const auto* idr = ike::find_first<ike::IdrPayload>(payloads);
  const auto* auth = ike::find_first<ike::AuthPayload>(payloads);
  if (idi == nullptr || auth == nullptr) {
    send_response(sa, iana::ExchangeType::IKE_AUTH, message_id,
                  {notify_payload(iana::NotifyMessageType::INVALID_SYNTAX)});
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, "IKE_AUTH request lacks IDi or AUTH"});
    return;
  }
  const Identity peer{idi->type, idi->data};

  // The connection is settled now that the peer has named itself (and maybe us): its addresses, peer
  // identity, our identity and IKE proposals must all fit this SA.
  const ike::Proposal negotiated = to_accepted_proposal(sa.transforms, 1, {});
  std::shared_ptr<const ConnectionConfig> connection;
  for (const auto& c : connections_for(sa.local, sa.remote)) {
    if (c->remote_id && *c->remote_id != peer) continue;
    if (idr != nullptr && (c->local_id.type != idr->type || c->local_id.data != idr->data)) continue;
    if (!select_proposal(c->ike_proposals, {negotiated})) continue;
    connection = c;
    break;
  }
  if (!connection) {
    send_response(sa, iana::ExchangeType::IKE_AUTH, message_id,
                  {notify_payload(iana::NotifyMessageType::AUTHENTICATION_FAILED)});
    fail_sa(sa, {FailureReason::identity_mismatch, std::nullopt,
                 "no connection accepts peer identity " + to_string(peer)});
    return;
  }
  sa.connection = connection;
  // §2.15: with one shared secret both ways, the peer's AUTH and ours share the padded key.
  PskKeyPads pads(*sa.prf);
  auto verified = verify_peer_auth(connection->remote_auth, peer, payloads, pads,
                                   octets_signed_by(sa, IkeRole::initiator, peer), sa.announced_hashes,
                                   ports_.clock.system_now());
  // Our own AUTH is made before the SA counts as up, so a key that cannot sign fails it like a bad peer.
  Expected<ike::AuthPayload, Failure> our_auth =
      verified ? own_auth(connection->local_auth, pads,
                          octets_signed_by(sa, IkeRole::responder, connection->local_id), sa.peer_hashes,
                          ports_.rng)
               : Expected<ike::AuthPayload, Failure>(unexpected(std::move(verified.error())));
  if (!our_auth) {
    send_response(sa, iana::ExchangeType::IKE_AUTH, message_id,
                  {notify_payload(iana::NotifyMessageType::AUTHENTICATION_FAILED)});
    fail_sa(sa, std::move(our_auth.error()));
    return;
  }

  sa.peer_id = peer;
  --half_open_count_;
  sa.state = IkeSaState::established;
  sa.half_open_deadline.reset();
  arm_ike_rekey(sa);
  const uint64_t unique_id = sa.unique_id;

  // §2.4: INITIAL_CONTACT says the peer has no other IKE SA with us; any we still hold are stale.
  if (has_notify(payloads, iana::NotifyMessageType::INITIAL_CONTACT)) {
    std::vector<IkeSa*> stale;
    for (auto& [spi, other_sa] : sas_) {
      if (other_sa->unique_id != unique_id && other_sa->state == IkeSaState::established &&
          other_sa->connection == connection && other_sa->peer_id == peer) {
        stale.push_back(other_sa.get());
      }
    }
    for (IkeSa* s : stale) remove_and_report(*s, true, "the peer started over with INITIAL_CONTACT");
  }

  std::vector<ike::Payload> inner;
  inner.push_back(ike::Payload{ike::IdrPayload{connection->local_id.type, connection->local_id.data}});
  for (auto& cert : certificate_payloads(connection->local_auth)) inner.push_back(std::move(cert));
  inner.push_back(ike::Payload{std::move(*our_auth)});
  emit(IkeSaEstablished{sa.unique_id, connection->name, sa.role, sa.local, sa.remote, connection->local_id,
                        peer, sa.transforms, sa.nat});
  if (ike::find_first<ike::SaPayload>(payloads) != nullptr) {
    auto child = answer_first_child(sa, payloads);
    inner.insert(inner.end(), std::make_move_iterator(child.begin()), std::make_move_iterator(child.end()));
  }
  send_response(sa, iana::ExchangeType::IKE_AUTH, message_id, inner);
}

void Engine::on_ike_auth_response(IkeSa& sa, const std::vector<ike::Payload>& payloads) {
  const auto* idr = ike::find_first<ike::IdrPayload>(payloads);
  const auto* auth = ike::find_first<ike::AuthPayload>(payloads);
  if (auth == nullptr || idr == nullptr) {
    // Without AUTH an error notify is about the IKE SA itself (AUTHENTICATION_FAILED and the like).
    const auto* error = first_error_notify(payloads);
    fail_sa(sa, error != nullptr ? failure_from_notify(error->type)
                                 : Failure{FailureReason::protocol_error, std::nullopt,
                                           "IKE_AUTH response lacks IDr or AUTH"});
    return;
  }
  const ConnectionConfig& conn = *sa.connection;
  const Identity peer{idr->type, idr->data};
  std::optional<Failure> refusal;
  PskKeyPads& pads = sa.auth_pads ? *sa.auth_pads : sa.auth_pads.emplace(*sa.prf);
  if (conn.remote_id && *conn.remote_id != peer) {
    refusal = Failure{FailureReason::identity_mismatch, std::nullopt,
                      "responder is " + to_string(peer) + ", expected " + to_string(*conn.remote_id)};
  } else if (auto verified = verify_peer_auth(conn.remote_auth, peer, payloads, pads,
                                              octets_signed_by(sa, other(sa.role), peer), sa.announced_hashes,
                                              ports_.clock.system_now());
             !verified) {
    refusal = std::move(verified.error());
  }
  sa.auth_pads.reset();
  if (refusal) {
    // §2.21.2: tell the responder, which already considers the SA up; no answer is awaited.
    auto datagrams =
        protect(sa, header_for(sa, iana::ExchangeType::INFORMATIONAL, false, sa.requests.next_id()),
                {notify_payload(iana::NotifyMessageType::AUTHENTICATION_FAILED)});
    if (datagrams) send_raw(sa, *datagrams);
    fail_sa(sa, std::move(*refusal));
    return;
  }
  sa.peer_id = peer;
  sa.state = IkeSaState::established;
  arm_ike_rekey(sa);
  emit(IkeSaEstablished{sa.unique_id, conn.name, sa.role, sa.local, sa.remote, conn.local_id, peer,
                        sa.transforms, sa.nat});
  complete_first_child(sa, payloads);
}

}  // namespace ipsecd::ikev2
