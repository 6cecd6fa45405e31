// CREATE_CHILD_SA for CHILD_SAs (RFC 7296 §1.3.1, §1.3.3): further children with optional PFS, CHILD_SA
// rekeying with REKEY_SA, and the collisions of §2.8.1 and §2.25.1 (lowest nonce, rekey vs delete); for
// ESP, AH and ESP+AH children alike.
#include "daemon/ike/ikev2/engine.h"

#include "daemon/ike/ikev2/payload_helpers.h"
#include "daemon/ike/ikev2/rekey_collision.h"

#include <botan/loadstor.h>
#include <botan/rng.h>

#include <algorithm>
#include <tuple>

namespace ipsecd::ikev2 {
namespace {

bool offers_group(const ChildConfig& config, iana::KeyExchangeMethod group) {
  for (const auto* list : {&config.esp_proposals, &config.ah_proposals}) {
    for (const auto& p : *list) {
      if (std::find(p.key_exchange.begin(), p.key_exchange.end(), group) != p.key_exchange.end()) return true;
    }
  }
  return false;
}

// §1.3.1: PFS takes the first group of our first proposal as its guess (ESP's, or AH's where that has none).
iana::KeyExchangeMethod first_group(const ChildConfig& config) {
  for (const auto* list : {&config.esp_proposals, &config.ah_proposals}) {
    if (!list->empty() && !list->front().key_exchange.empty()) return list->front().key_exchange.front();
  }
  return iana::KeyExchangeMethod::NONE;
}

std::vector<ChildSa>::iterator child_by_spi_in(IkeSa& sa, uint32_t spi_in) {
  return std::find_if(sa.children.begin(), sa.children.end(),
                      [&](const ChildSa& c) { return c.spi_in == spi_in; });
}

}  // namespace

crypto::Bytes Engine::fresh_nonce() {
  crypto::Bytes nonce(settings_.nonce_size);
  ports_.rng.randomize(nonce.data(), nonce.size());
  return nonce;
}

void Engine::on_create_child_sa_request(IkeSa& sa, uint32_t message_id,
                                        const std::vector<ike::Payload>& payloads) {
  auto refuse = [&](iana::NotifyMessageType type) {
    send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id, {notify_payload(type)});
  };
  const auto* sa_payload = ike::find_first<ike::SaPayload>(payloads);
  if (sa_payload == nullptr || sa_payload->proposals.empty() ||
      ike::find_first<ike::NoncePayload>(payloads) == nullptr) {
    refuse(iana::NotifyMessageType::INVALID_SYNTAX);
    return;
  }
  // §2.25.2: an IKE SA being deleted, or already replaced, takes nothing new.
  if (sa.state != IkeSaState::established) {
    refuse(iana::NotifyMessageType::TEMPORARY_FAILURE);
    return;
  }
  if (sa_payload->proposals.front().protocol == iana::SecurityProtocolId::IKE) {
    answer_ike_rekey(sa, message_id, payloads);
    return;
  }
  // §2.25.2, as strongSwan does it: while our IKE SA rekey is out, CHILD_SA work waits, since the
  // children are about to move.
  if (sa.child_request && sa.child_request->kind == ChildSaRequest::Kind::rekey_ike) {
    refuse(iana::NotifyMessageType::TEMPORARY_FAILURE);
    return;
  }
  answer_child_request(sa, message_id, payloads);
}

void Engine::answer_child_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads) {
  const crypto::Bytes nonce_i = ike::find_first<ike::NoncePayload>(payloads)->data;
  std::optional<size_t> old_index;
  const auto rekey = ike::find_notifies(payloads, iana::NotifyMessageType::REKEY_SA);
  if (!rekey.empty()) {
    // §1.3.3: REKEY_SA names the SPI the peer receives on, which is our outbound one. RFC 4306 §3.10.1
    // gives it one protocol and SPI for "the SA being rekeyed"; a bundle is one CHILD_SA negotiation, so
    // either of its SAs names it (we send ESP's).
    const ike::NotifyPayload& notify = *rekey.front();
    const std::optional<uint32_t> spi = spi_value(notify.spi);
    auto old = std::find_if(sa.children.begin(), sa.children.end(),
                            [&](const ChildSa& c) { return spi && c.sends_to(notify.protocol, *spi); });
    if (old == sa.children.end()) {
      // §2.25.1: the CHILD_SA is gone already (our Delete crossed the request).
      send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id,
                    {ike::Payload{ike::NotifyPayload{
                        notify.protocol, notify.spi, iana::NotifyMessageType::CHILD_SA_NOT_FOUND, {}}}});
      return;
    }
    // §2.25.1: one we are deleting, or have replaced already, is not rekeyed a second time.
    if (old->state == ChildSaState::deleting || old->state == ChildSaState::rekeyed) {
      send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id,
                    {notify_payload(iana::NotifyMessageType::TEMPORARY_FAILURE)});
      return;
    }
    old_index = static_cast<size_t>(old - sa.children.begin());
  }

  const crypto::Bytes nonce_r = fresh_nonce();
  const ChildSa* replaces = old_index ? &sa.children[*old_index] : nullptr;
  ChildAnswer answer = answer_child(sa, payloads, nonce_i, nonce_r, true, replaces);
  if (answer.spi_in) {
    answer.payloads.insert(answer.payloads.begin(), ike::Payload{ike::NoncePayload{nonce_r}});
    if (old_index) {
      ChildSa& old = sa.children[*old_index];
      if (old.state == ChildSaState::rekeying) {
        // §2.8.1: both sides rekey this child; the nonces decide once our own answer is in.
        old.peer_rekey = PeerChildRekey{*answer.spi_in, nonce_i, nonce_r};
      } else {
        // The peer, as the rekey's initiator, deletes the old pair (§1.3.3).
        old.state = ChildSaState::rekeyed;
        emit(ChildSaRekeyed{sa.unique_id, sa.connection->name, old.name, old.spi_in, *answer.spi_in});
      }
    }
  }
  send_response(sa, iana::ExchangeType::CREATE_CHILD_SA, message_id, answer.payloads);
}

void Engine::send_child_request(IkeSa& sa, ChildSaRequest request, iana::KeyExchangeMethod group) {
  // A rekey that cannot go out leaves the SA it was for in service, to be rekeyed again soon.
  auto keep_rekeyed = [&](const ChildSaRequest& failed) {
    if (failed.kind == ChildSaRequest::Kind::rekey_ike) {
      retry_ike_rekey(sa);
    } else if (auto old = child_by_spi_in(sa, failed.rekeyed_spi_in);
               failed.kind == ChildSaRequest::Kind::rekey_child && old != sa.children.end()) {
      old->state = ChildSaState::installed;
      retry_child_rekey(*old);
    }
  };
  request.nonce = fresh_nonce();
  request.key_exchange.reset();
  if (group != iana::KeyExchangeMethod::NONE) {
    auto ke = crypto::make_key_exchange(group, ports_.rng);
    if (!ke) {
      release_child_request(sa, request);
      keep_rekeyed(request);
      emit(ChildSaFailed{sa.unique_id,
                         sa.connection->name,
                         request.config ? request.config->name : "",
                         {FailureReason::invalid_ke_payload, std::nullopt, ke.error()}});
      return;
    }
    request.key_exchange = std::move(*ke);
  }

  std::vector<ike::Payload> out;
  if (request.kind == ChildSaRequest::Kind::rekey_ike) {
    crypto::Bytes spi(8);
    Botan::store_be(request.new_ike_spi, spi.data());
    out.push_back(ike::Payload{ike::SaPayload{to_sa_proposals(sa.connection->ike_proposals, spi)}});
  } else {
    if (request.kind == ChildSaRequest::Kind::rekey_child) {
      out.push_back(ike::Payload{ike::NotifyPayload{request.config->protocol(),
                                                    spi_bytes(request.rekeyed_spi_in),
                                                    iana::NotifyMessageType::REKEY_SA,
                                                    {}}});
    }
    if (request.transport) out.push_back(notify_payload(iana::NotifyMessageType::USE_TRANSPORT_MODE));
    out.push_back(ike::Payload{
        ike::SaPayload{to_child_sa_proposals(request.config->esp_proposals, request.config->ah_proposals,
                                             spi_bytes(request.spi_in), spi_bytes(request.ah_spi_in))}});
  }
  out.push_back(ike::Payload{ike::NoncePayload{request.nonce}});
  if (request.key_exchange) {
    out.push_back(ike::Payload{ike::KePayload{group, request.key_exchange->public_value()}});
  }
  if (request.kind != ChildSaRequest::Kind::rekey_ike) {
    out.push_back(ike::Payload{ike::TsiPayload{to_wire(request.tsi)}});
    out.push_back(ike::Payload{ike::TsrPayload{to_wire(request.tsr)}});
  }
  sa.child_request = std::make_unique<ChildSaRequest>(std::move(request));
  if (!send_request(sa, iana::ExchangeType::CREATE_CHILD_SA, out)) {
    const auto failed = std::move(sa.child_request);
    release_child_request(sa, *failed);
    keep_rekeyed(*failed);
    // A new child was asked for, and whoever asked waits for its outcome (ipsecctl up --wait).
    if (failed->kind == ChildSaRequest::Kind::create_child) {
      emit(ChildSaFailed{
          sa.unique_id,
          sa.connection->name,
          failed->config->name,
          {FailureReason::protocol_error, std::nullopt, "CREATE_CHILD_SA request could not be encoded"}});
    }
  }
}

void Engine::start_create_child(IkeSa& sa, const ChildConfig& config) {
  auto fail = [&](FailureReason reason, std::string detail) {
    emit(ChildSaFailed{
        sa.unique_id, sa.connection->name, config.name, {reason, std::nullopt, std::move(detail)}});
  };
  auto ts = initial_selectors(sa, config);
  if (!ts) {
    fail(FailureReason::ts_unacceptable, ts.error());
    return;
  }
  ChildSaRequest request;
  request.kind = ChildSaRequest::Kind::create_child;
  request.config = &config;
  request.reqid = reqid_for(sa.connection->name, config.name);
  auto spis = allocate_child_spis(sa, config, request.reqid);
  if (!spis) {
    fail(FailureReason::kernel_refused, spis.error().message);
    return;
  }
  std::tie(request.spi_in, request.ah_spi_in) = *spis;
  request.transport = config.mode == IpsecMode::transport;
  request.tsi = std::move(ts->first);
  request.tsr = std::move(ts->second);
  send_child_request(sa, std::move(request), first_group(config));
}

void Engine::start_rekey_child(IkeSa& sa, ChildSa& child) {
  const ChildConfig* config = child_config(sa, child.name);
  if (config == nullptr) return;
  ChildSaRequest request;
  request.kind = ChildSaRequest::Kind::rekey_child;
  request.config = config;
  request.reqid = child.reqid;
  auto spis = allocate_child_spis(sa, *config, child.reqid);
  if (!spis) {
    retry_child_rekey(child);
    emit(ChildSaFailed{sa.unique_id,
                       sa.connection->name,
                       child.name,
                       {FailureReason::kernel_refused, std::nullopt, spis.error().message}});
    return;
  }
  std::tie(request.spi_in, request.ah_spi_in) = *spis;
  request.rekeyed_spi_in = child.spi_in;
  request.transport = child.mode == IpsecMode::transport;
  // §1.3.3: the new SA carries the same traffic as the one it replaces.
  request.tsi = child.local_ts;
  request.tsr = child.remote_ts;
  child.state = ChildSaState::rekeying;
  child.peer_rekey.reset();
  // The group the child negotiated, by either half of a bundle, else the first we offer.
  auto group = child.transforms.key_exchange;
  if (group == iana::KeyExchangeMethod::NONE && child.ah) group = child.ah->transforms.key_exchange;
  if (group == iana::KeyExchangeMethod::NONE) group = first_group(*config);
  send_child_request(sa, std::move(request), group);
}

void Engine::on_create_child_sa_response(IkeSa& sa, const std::vector<ike::Payload>& payloads) {
  if (!sa.child_request) {
    ++counters_.unexpected;
    return;
  }
  const auto request = std::move(sa.child_request);
  if (request->kind == ChildSaRequest::Kind::rekey_ike) {
    complete_ike_rekey(sa, *request, payloads);
  } else {
    complete_child_request(sa, *request, payloads);
  }
}

void Engine::release_child_request(IkeSa& sa, ChildSaRequest& request) {
  const auto protocol =
      request.config != nullptr ? request.config->protocol() : iana::SecurityProtocolId::ESP;
  release_child_spis(sa, protocol, request.spi_in, request.ah_spi_in);
  request.spi_in = 0;
  request.ah_spi_in = 0;
}

void Engine::retry_later(IkeSa& sa, const ChildSaRequest& request) {
  QueuedChildWork work;
  switch (request.kind) {
    case ChildSaRequest::Kind::create_child:
      work = {QueuedChildWork::Kind::create_child, request.config->name, 0, {}};
      break;
    case ChildSaRequest::Kind::rekey_child:
      work = {QueuedChildWork::Kind::rekey_child, request.config->name, request.rekeyed_spi_in, {}};
      break;
    case ChildSaRequest::Kind::rekey_ike:
      work = {QueuedChildWork::Kind::rekey_ike, {}, 0, {}};
      break;
  }
  const Duration wait = settings_.temporary_failure_retry;
  work.not_before = ports_.clock.now() + wait + jitter(wait);
  sa.queued.push_back(std::move(work));
}

void Engine::complete_child_request(IkeSa& sa, ChildSaRequest& request,
                                    const std::vector<ike::Payload>& response) {
  const ChildConfig& config = *request.config;
  const std::string conn_name = sa.connection->name;
  const bool rekey = request.kind == ChildSaRequest::Kind::rekey_child;
  // The child being rekeyed returns to service, unless the peer's own rekey replaced it meanwhile.
  auto settle_old = [&] {
    auto old = child_by_spi_in(sa, request.rekeyed_spi_in);
    if (!rekey || old == sa.children.end() || old->state != ChildSaState::rekeying) return false;
    if (old->peer_rekey) {
      old->state = ChildSaState::rekeyed;
      emit(ChildSaRekeyed{sa.unique_id, conn_name, old->name, old->spi_in, old->peer_rekey->new_spi_in});
      old->peer_rekey.reset();
      return false;
    }
    old->state = ChildSaState::installed;
    return true;
  };
  // A rekey that failed for good (§2.25 aside, which retry_later handles) keeps the old child in service
  // and tries again soon rather than leave it to expire without a successor.
  auto restore_old = [&] {
    if (settle_old()) retry_child_rekey(*child_by_spi_in(sa, request.rekeyed_spi_in));
  };
  auto fail = [&](Failure failure) {
    release_child_request(sa, request);
    restore_old();
    emit(ChildSaFailed{sa.unique_id, conn_name, config.name, std::move(failure)});
  };

  if (const auto* error = first_error_notify(response)) {
    switch (error->type) {
      case iana::NotifyMessageType::TEMPORARY_FAILURE:
        // §2.25: the peer is busy with a colliding exchange; ours is tried again later.
        release_child_request(sa, request);
        if (!rekey || settle_old()) retry_later(sa, request);
        return;
      case iana::NotifyMessageType::CHILD_SA_NOT_FOUND:
        // §2.25.1: the peer no longer has the child; neither do we.
        release_child_request(sa, request);
        if (auto old = child_by_spi_in(sa, request.rekeyed_spi_in); rekey && old != sa.children.end()) {
          remove_child(sa, static_cast<size_t>(old - sa.children.begin()));
        }
        return;
      case iana::NotifyMessageType::INVALID_KE_PAYLOAD:
        if (error->data.size() == 2 && !request.ke_retried) {
          const auto wanted =
              static_cast<iana::KeyExchangeMethod>(Botan::load_be<uint16_t>(error->data.data(), 0));
          // §1.3: once more in the group the responder asked for, if we offer it.
          if (offers_group(config, wanted)) {
            request.ke_retried = true;
            send_child_request(sa, std::move(request), wanted);
            return;
          }
        }
        break;
      default:
        break;
    }
    fail(failure_from_notify(error->type));
    return;
  }

  const auto* sa_payload = ike::find_first<ike::SaPayload>(response);
  const auto* nonce = ike::find_first<ike::NoncePayload>(response);
  const auto* tsi_payload = ike::find_first<ike::TsiPayload>(response);
  const auto* tsr_payload = ike::find_first<ike::TsrPayload>(response);
  if (sa_payload == nullptr || nonce == nullptr || tsi_payload == nullptr || tsr_payload == nullptr) {
    fail({FailureReason::protocol_error, std::nullopt, "CREATE_CHILD_SA response lacks SA, Nr, TSi or TSr"});
    return;
  }
  const uint32_t spi_in = request.spi_in;
  const uint32_t ah_spi_in = request.ah_spi_in;
  // Past this point the peer holds the new CHILD_SA: a failure here also tells it to drop its half.
  auto fail_installed = [&](Failure failure) {
    fail(std::move(failure));
    send_child_delete(sa, config.protocol(), spi_in, ah_spi_in);
  };
  auto accepted =
      check_accepted_child_proposal(config.esp_proposals, config.ah_proposals, sa_payload->proposals);
  std::optional<uint32_t> spi_out = accepted ? spi_value(accepted->main.spi) : std::nullopt;
  std::optional<uint32_t> ah_spi_out = accepted && accepted->ah ? spi_value(accepted->ah->spi) : 0u;
  if (!accepted || !spi_out || !ah_spi_out) {
    fail_installed(
        {FailureReason::protocol_error, std::nullopt, accepted ? "SPI is not 4 bytes" : accepted.error()});
    return;
  }
  crypto::SecureBytes pfs_secret;
  const iana::KeyExchangeMethod group = accepted->key_exchange();
  if (group != iana::KeyExchangeMethod::NONE) {
    const auto* ke = ike::find_first<ike::KePayload>(response);
    if (ke == nullptr || !request.key_exchange || ke->group != group ||
        request.key_exchange->method() != group) {
      fail_installed(
          {FailureReason::protocol_error, std::nullopt, "responder's KE is not in the group we sent"});
      return;
    }
    auto shared = request.key_exchange->shared_secret(ke->data);
    if (!shared) {
      fail_installed({FailureReason::protocol_error, std::nullopt, shared.error()});
      return;
    }
    pfs_secret = std::move(*shared);
  }
  auto tsi = from_wire(tsi_payload->selectors);
  auto tsr = from_wire(tsr_payload->selectors);
  if (!tsi || !tsr) {
    fail_installed({FailureReason::ts_unacceptable, std::nullopt, !tsi ? tsi.error() : tsr.error()});
    return;
  }
  if (auto ok = check_narrowed(request.tsi, request.tsr, *tsi, *tsr); !ok) {
    fail_installed({FailureReason::ts_unacceptable, std::nullopt, ok.error()});
    return;
  }
  if (rekey && child_by_spi_in(sa, request.rekeyed_spi_in) == sa.children.end()) {
    // §2.25.1: the peer deleted the child while our rekey was out; its replacement goes too.
    fail_installed({FailureReason::peer_error, std::nullopt, "CHILD_SA deleted while it was being rekeyed"});
    return;
  }

  ChildSa child;
  child.name = config.name;
  child.reqid = request.reqid;
  child.spi_in = spi_in;
  child.spi_out = *spi_out;
  child.mode = request.transport && has_notify(response, iana::NotifyMessageType::USE_TRANSPORT_MODE)
                   ? IpsecMode::transport
                   : IpsecMode::tunnel;
  child.transforms = accepted->main.transforms;
  if (accepted->ah) child.ah = BundledAh{ah_spi_in, *ah_spi_out, accepted->ah->transforms};
  child.local_ts = std::move(*tsi);
  child.remote_ts = std::move(*tsr);
  // The SA install below owns the SPIs now, also when it fails.
  request.spi_in = 0;
  request.ah_spi_in = 0;
  if (auto ok =
          install_child_keyed(sa, child, config, {request.nonce, nonce->data, pfs_secret, true}, !rekey);
      !ok) {
    restore_old();
    emit(ChildSaFailed{sa.unique_id, conn_name, config.name, ok.error()});
    send_child_delete(sa, config.protocol(), spi_in, ah_spi_in);
    return;
  }
  emit(ChildSaInstalled{sa.unique_id, conn_name, child.name, child.reqid, child.spi_in, child.spi_out,
                        child.mode, child.transforms, child.local_ts, child.remote_ts});
  sa.children.push_back(std::move(child));
  if (!rekey) return;

  ChildSa& old = *child_by_spi_in(sa, request.rekeyed_spi_in);
  ChildSa& fresh = *child_by_spi_in(sa, spi_in);
  if (old.peer_rekey &&
      holds_lowest_nonce(request.nonce, nonce->data, old.peer_rekey->nonce_i, old.peer_rekey->nonce_r)) {
    // §2.8.1: our new child is the redundant one; we delete it, the peer deletes the old one.
    old.state = ChildSaState::rekeyed;
    emit(ChildSaRekeyed{sa.unique_id, conn_name, old.name, old.spi_in, old.peer_rekey->new_spi_in});
    old.peer_rekey.reset();
    delete_child(sa, fresh);
    return;
  }
  // Ours replaces the old child (and the peer deletes the redundant one it made, if any): §1.3.3 has
  // the rekey's initiator delete the old pair.
  old.peer_rekey.reset();
  emit(ChildSaRekeyed{sa.unique_id, conn_name, old.name, old.spi_in, spi_in});
  delete_child(sa, old);
}

void Engine::delete_child(IkeSa& sa, ChildSa& child) {
  if (sa.requests.outstanding()) {
    queue_work(sa, {QueuedChildWork::Kind::delete_child, child.name, child.spi_in, {}});
    return;
  }
  child.state = ChildSaState::deleting;
  const uint32_t spi_in = child.spi_in;
  if (!send_request(sa, iana::ExchangeType::INFORMATIONAL,
                    child_delete_payloads(child.transforms.protocol, spi_in, child.ah_spi_in()))) {
    remove_child(sa, static_cast<size_t>(child_by_spi_in(sa, spi_in) - sa.children.begin()));
  }
}

}  // namespace ipsecd::ikev2
