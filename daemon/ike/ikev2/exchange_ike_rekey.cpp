// IKE SA rekeying with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18): the new IKE SA's SPIs and keys, the
// children moving over, the old SA's Delete, and simultaneous rekeys settled by the lowest nonce (§2.8.1).
#include "daemon/ike/ikev2/engine.h"

#include "crypto/ike_key_derivation.h"
#include "daemon/ike/ikev2/payload_helpers.h"
#include "daemon/ike/ikev2/rekey_collision.h"

#include <botan/loadstor.h>

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

std::optional<uint64_t> ike_spi_value(const crypto::Bytes& spi) {
  if (spi.size() != 8) return std::nullopt;
  const uint64_t value = Botan::load_be<uint64_t>(spi.data(), 0);
  if (value == 0) return std::nullopt;
  return value;
}

crypto::Bytes ike_spi_bytes(uint64_t spi) {
  crypto::Bytes out(8);
  Botan::store_be(spi, out.data());
  return out;
}

}  // namespace

void Engine::start_rekey_ike(IkeSa& sa) {
  ChildSaRequest request;
  request.kind = ChildSaRequest::Kind::rekey_ike;
  request.new_ike_spi = fresh_spi();
  // The group the IKE SA already uses is the best guess of what the peer accepts.
  send_child_request(sa, std::move(request), sa.transforms.key_exchange);
}

Expected<IkeSa*, std::string> Engine::make_rekeyed_sa(IkeSa& old, IkeRole role, uint64_t spi_i,
                                                      uint64_t spi_r, const NegotiatedTransforms& transforms,
                                                      crypto::ByteView shared_secret,
                                                      const crypto::Bytes& nonce_i,
                                                      const crypto::Bytes& nonce_r) {
  // §2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) under the old PRF; the rest as in §2.14.
  const crypto::SecureBytes skeyseed =
      crypto::rekeyed_ike_sa_skeyseed(*old.prf, old.sk_d, shared_secret, nonce_i, nonce_r);
  auto prf = crypto::make_prf(transforms.prf);
  if (!prf) return unexpected(prf.error());
  const crypto::SkAlgorithm algorithm = transforms.sk_algorithm();
  auto keys = crypto::derive_ike_sa_keys(**prf, skeyseed, nonce_i, nonce_r, spi_i, spi_r, algorithm);
  if (!keys) return unexpected(keys.error());
  auto cipher_i = crypto::make_sk_cipher(algorithm, keys->sk_ei, keys->sk_ai);
  if (!cipher_i) return unexpected(cipher_i.error());
  auto cipher_r = crypto::make_sk_cipher(algorithm, keys->sk_er, keys->sk_ar);
  if (!cipher_r) return unexpected(cipher_r.error());

  auto sa = std::make_unique<IkeSa>();
  sa->unique_id = next_unique_id_++;
  sa->role = role;
  sa->state = IkeSaState::established;
  sa->connection = old.connection;
  sa->local = old.local;
  sa->remote = old.remote;
  sa->spi_i = spi_i;
  sa->spi_r = spi_r;
  sa->transforms = transforms;
  sa->prf = std::move(*prf);
  sa->sk_d = std::move(keys->sk_d);
  sa->sk_pi = std::move(keys->sk_pi);
  sa->sk_pr = std::move(keys->sk_pr);
  sa->cipher_i = std::move(*cipher_i);
  sa->cipher_r = std::move(*cipher_r);
  sa->nonce_i = nonce_i;
  sa->nonce_r = nonce_r;
  sa->peer_fragmentation = old.peer_fragmentation;
  sa->nat = old.nat;
  sa->last_sent = old.last_sent;
  sa->peer_id = old.peer_id;
  IkeSa& added = add_sa(std::move(sa));
  arm_ike_rekey(added);
  return &added;
}

void Engine::move_children(IkeSa& from, IkeSa& to) {
  for (auto& child : from.children) to.children.push_back(std::move(child));
  from.children.clear();
  // Work for the children follows them; the old SA's own rekey does not.
  for (auto& work : from.queued) {
    if (work.kind != QueuedChildWork::Kind::rekey_ike) to.queued.push_back(std::move(work));
  }
  from.queued.clear();
}

void Engine::await_rekeyed_delete(IkeSa& sa) {
  sa.state = IkeSaState::rekeyed;
  // §2.18 has the rekey's initiator delete the old SA. Should its Delete never come, we remove the old SA
  // once the initiator has given up on retransmitting that Delete (give_up_time: it then removes the SA
  // itself): a Delete that is still on its way finds the SA, and no useless SA lingers longer.
  sa.rekeyed_deadline = ports_.clock.now() + give_up_time(settings_);
}

void Engine::answer_ike_rekey(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads) {
  auto refuse = [&](iana::NotifyMessageType type, crypto::Bytes data = {}) {
    send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id,
                  {notify_payload(type, std::move(data))});
  };
  // §2.25.2, as strongSwan: not while a CHILD_SA of ours is being made, rekeyed or deleted (the
  // children are about to move), and only one peer rekey of this IKE SA at a time.
  const bool child_work_out =
      (sa.child_request && sa.child_request->kind != ChildSaRequest::Kind::rekey_ike) ||
      std::any_of(sa.children.begin(), sa.children.end(),
                  [](const ChildSa& c) { return c.state == ChildSaState::deleting; });
  if (child_work_out || sa.peer_ike_rekey) {
    refuse(iana::NotifyMessageType::TEMPORARY_FAILURE);
    return;
  }
  const auto* sa_payload = ike::find_first<ike::SaPayload>(payloads);
  const auto* nonce = ike::find_first<ike::NoncePayload>(payloads);
  const auto* ke = ike::find_first<ike::KePayload>(payloads);
  auto selected = select_proposal(sa.connection->ike_proposals, sa_payload->proposals);
  const std::optional<uint64_t> spi_i = selected ? ike_spi_value(selected->spi) : std::nullopt;
  if (!selected || !spi_i) {
    refuse(iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
    return;
  }
  const iana::KeyExchangeMethod group = selected->transforms.key_exchange;
  if (ke == nullptr || ke->group != group) {
    crypto::Bytes wanted(2);
    Botan::store_be(static_cast<uint16_t>(group), wanted.data());
    refuse(iana::NotifyMessageType::INVALID_KE_PAYLOAD, std::move(wanted));
    return;
  }
  auto our_ke = crypto::make_key_exchange(group, ports_.rng);
  if (!our_ke) {
    refuse(iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
    return;
  }
  auto shared = (*our_ke)->shared_secret(ke->data);
  if (!shared) {
    refuse(iana::NotifyMessageType::INVALID_SYNTAX);
    return;
  }
  const crypto::Bytes nonce_r = fresh_nonce();
  const uint64_t spi_r = fresh_spi();
  auto made = make_rekeyed_sa(sa, IkeRole::responder, *spi_i, spi_r, selected->transforms, *shared,
                              nonce->data, nonce_r);
  if (!made) {
    refuse(iana::NotifyMessageType::NO_PROPOSAL_CHOSEN);
    return;
  }
  IkeSa& fresh = **made;
  send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id,
                {ike::Payload{ike::SaPayload{
                     {to_accepted_proposal(selected->transforms, selected->number, ike_spi_bytes(spi_r))}}},
                 ike::Payload{ike::NoncePayload{nonce_r}},
                 ike::Payload{ike::KePayload{group, (*our_ke)->public_value()}}});
  if (sa.child_request && sa.child_request->kind == ChildSaRequest::Kind::rekey_ike) {
    // §2.8.1: both sides rekey the IKE SA; the children stay until our answer shows which new SA wins.
    sa.peer_ike_rekey = std::make_unique<PeerIkeRekey>(PeerIkeRekey{spi_r, nonce->data, nonce_r});
    return;
  }
  // §2.18: the new IKE SA takes the children now; the peer deletes the old one.
  move_children(sa, fresh);
  await_rekeyed_delete(sa);
  emit(IkeSaRekeyed{sa.unique_id, fresh.unique_id, sa.connection->name, fresh.transforms});
  start_queued(fresh);
}

void Engine::complete_ike_rekey(IkeSa& sa, ChildSaRequest& request,
                                const std::vector<ike::Payload>& response) {
  // When our rekey fails but the peer's colliding one went through, the peer's new IKE SA takes over.
  auto adopt_peer_rekey = [&] {
    if (!sa.peer_ike_rekey) return false;
    IkeSa* successor = find_sa(sa.peer_ike_rekey->new_sa_spi);
    sa.peer_ike_rekey.reset();
    if (successor == nullptr) return false;
    move_children(sa, *successor);
    await_rekeyed_delete(sa);
    emit(IkeSaRekeyed{sa.unique_id, successor->unique_id, sa.connection->name, successor->transforms});
    start_queued(*successor);
    return true;
  };
  if (sa.state != IkeSaState::established) return;

  if (const auto* error = first_error_notify(response)) {
    if (adopt_peer_rekey()) return;
    if (error->type == iana::NotifyMessageType::TEMPORARY_FAILURE) {
      retry_later(sa, request);
      return;
    }
    if (error->type == iana::NotifyMessageType::INVALID_KE_PAYLOAD && error->data.size() == 2 &&
        !request.ke_retried) {
      const auto wanted =
          static_cast<iana::KeyExchangeMethod>(Botan::load_be<uint16_t>(error->data.data(), 0));
      const auto& proposals = sa.connection->ike_proposals;
      if (std::any_of(proposals.begin(), proposals.end(), [&](const ProposalConfig& p) {
            return std::find(p.key_exchange.begin(), p.key_exchange.end(), wanted) != p.key_exchange.end();
          })) {
        request.ke_retried = true;
        send_child_request(sa, std::move(request), wanted);
        return;
      }
    }
    // The old IKE SA is still good: it serves until the next attempt, soon.
    retry_ike_rekey(sa);
    return;
  }

  const auto* sa_payload = ike::find_first<ike::SaPayload>(response);
  const auto* nonce = ike::find_first<ike::NoncePayload>(response);
  const auto* ke = ike::find_first<ike::KePayload>(response);
  auto accepted = sa_payload != nullptr
                      ? check_accepted_proposal(sa.connection->ike_proposals, sa_payload->proposals)
                      : Expected<SelectedProposal, std::string>(unexpected("no SA payload"));
  const std::optional<uint64_t> spi_r = accepted ? ike_spi_value(accepted->spi) : std::nullopt;
  std::optional<crypto::SecureBytes> shared;
  if (spi_r && nonce != nullptr && ke != nullptr && request.key_exchange &&
      ke->group == request.key_exchange->method() && accepted->transforms.key_exchange == ke->group) {
    if (auto s = request.key_exchange->shared_secret(ke->data)) shared = std::move(*s);
  }
  Expected<IkeSa*, std::string> made = unexpected(std::string("IKE SA rekey response is malformed"));
  if (shared) {
    made = make_rekeyed_sa(sa, IkeRole::initiator, request.new_ike_spi, *spi_r, accepted->transforms, *shared,
                           request.nonce, nonce->data);
  }
  if (!made) {
    if (!adopt_peer_rekey()) retry_ike_rekey(sa);
    return;
  }
  IkeSa& ours = **made;
  IkeSa* winner = &ours;
  if (sa.peer_ike_rekey) {
    IkeSa* theirs = find_sa(sa.peer_ike_rekey->new_sa_spi);
    if (theirs != nullptr && holds_lowest_nonce(request.nonce, nonce->data, sa.peer_ike_rekey->nonce_i,
                                                sa.peer_ike_rekey->nonce_r)) {
      winner = theirs;
    }
    sa.peer_ike_rekey.reset();
  }
  move_children(sa, *winner);
  emit(IkeSaRekeyed{sa.unique_id, winner->unique_id, sa.connection->name, winner->transforms});
  if (winner == &ours) {
    // §2.18: the initiator of the surviving rekey deletes the old IKE SA.
    start_delete_ike(sa);
  } else {
    // §2.8.1: ours is redundant: we delete it, and the peer deletes the old one.
    await_rekeyed_delete(sa);
    ours.state = IkeSaState::deleting;
    (void)send_request(ours, iana::ExchangeType::INFORMATIONAL,
                       {ike::Payload{ike::DeletePayload{iana::SecurityProtocolId::IKE, {}}}});
  }
  start_queued(*winner);
}

}  // namespace ipsecd::ikev2
