// IKE_SA_INIT (RFC 7296 §1.2): proposals and key exchange, INVALID_KE_PAYLOAD and COOKIE retries, NAT
// detection notifies, signature hashes (RFC 7427 §4), CERTREQ (§3.7), and the IKE SA keys (§2.14).
#include "daemon/ike/ikev2/engine.h"

#include "crypto/iana/hash_algorithm.h"
#include "crypto/ike_key_derivation.h"
#include "daemon/ike/ikev2/authentication.h"
#include "daemon/ike/ikev2/nat_detection.h"
#include "daemon/ike/ikev2/payload_helpers.h"

#include <botan/loadstor.h>
#include <botan/rng.h>

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

// RFC 7427 §4: the hashes we can verify signatures with, two octets each.
crypto::Bytes signature_hash_algorithms(const std::vector<iana::HashAlgorithm>& hashes) {
  crypto::Bytes out;
  for (auto h : hashes) {
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h) >> 8));
    out.push_back(static_cast<uint8_t>(static_cast<uint16_t>(h) & 0xff));
  }
  return out;
}

// The peer's SIGNATURE_HASH_ALGORITHMS, if it sent one. Values we do not know are kept (choosing a scheme
// simply never matches them); a trailing odd octet is no hash and is ignored.
std::optional<std::vector<iana::HashAlgorithm>> peer_signature_hashes(const std::vector<ike::Payload>& payloads) {
  const auto notifies = ike::find_notifies(payloads, iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS);
  if (notifies.empty()) return std::nullopt;
  std::vector<iana::HashAlgorithm> out;
  const crypto::Bytes& data = notifies.front()->data;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    out.push_back(static_cast<iana::HashAlgorithm>(Botan::load_be<uint16_t>(data.data() + i, 0)));
  }
  return out;
}

// With force_encapsulation the SOURCE_IP hash is random, so that the peer sees us behind a NAT and
// encapsulates too; §2.23 allows this to make UDP encapsulation happen without a NAT (as strongSwan does).
void add_nat_detection(std::vector<ike::Payload>& payloads, uint64_t spi_i, uint64_t spi_r,
                       const ipsecd::Endpoint& source, const ipsecd::Endpoint& destination, bool fake_source,
                       Botan::RandomNumberGenerator& rng) {
  for (auto& n : nat_detection_notifies(spi_i, spi_r, source, destination)) {
    if (fake_source && n.type == iana::NotifyMessageType::NAT_DETECTION_SOURCE_IP) {
      rng.randomize(n.data.data(), n.data.size());
    }
    payloads.push_back(ike::Payload{std::move(n)});
  }
}

// What NAT detection means for the IKE SA: nothing when the peer does not take part in it (then no float
// and no encapsulation, not even a forced one the peer would not expect).
NatSituation nat_situation(const NatDetection& detected, bool force_encapsulation) {
  if (!detected.peer_supports) return {};
  return {detected.local_behind_nat, detected.remote_behind_nat, force_encapsulation};
}

bool offers_group(const std::vector<ProposalConfig>& proposals, iana::KeyExchangeMethod group) {
  return std::any_of(proposals.begin(), proposals.end(), [&](const ProposalConfig& p) {
    return std::find(p.key_exchange.begin(), p.key_exchange.end(), group) != p.key_exchange.end();
  });
}

}  // namespace

void Engine::send_ike_sa_init_request(IkeSa& sa, iana::KeyExchangeMethod group) {
  auto ke = crypto::make_key_exchange(group, ports_.rng);
  if (!ke) {
    fail_sa(sa, {FailureReason::invalid_ke_payload, std::nullopt, ke.error()});
    return;
  }
  std::vector<ike::Payload> payloads;
  // §2.6: the cookie goes first so the responder can check it before reading anything else.
  if (!sa.cookie.empty()) payloads.push_back(notify_payload(iana::NotifyMessageType::COOKIE, sa.cookie));
  payloads.push_back(ike::Payload{ike::SaPayload{to_sa_proposals(sa.connection->ike_proposals, {})}});
  payloads.push_back(ike::Payload{ike::KePayload{group, (*ke)->public_value()}});
  payloads.push_back(ike::Payload{ike::NoncePayload{sa.nonce_i}});
  add_nat_detection(payloads, sa.spi_i, 0, sa.local, sa.remote, sa.connection->force_encapsulation,
                    ports_.rng);
  payloads.push_back(notify_payload(iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED));
  if (!settings_.signature_hashes.empty()) {
    payloads.push_back(notify_payload(iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS,
                                      signature_hash_algorithms(settings_.signature_hashes)));
  }
  sa.announced_hashes = settings_.signature_hashes;

  auto encoded =
      ike::encode_message({header_for(sa, iana::ExchangeType::IKE_SA_INIT, false, 0), std::move(payloads)});
  if (!encoded) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, encoded.error()});
    return;
  }
  sa.key_exchange = std::move(*ke);
  sa.init_request = encoded->bytes;
  // push_back moves the message in; a braced list would copy it.
  std::vector<crypto::Bytes> datagrams;
  datagrams.push_back(std::move(encoded->bytes));
  send_raw(sa, datagrams);
  sa.requests.sent(iana::ExchangeType::IKE_SA_INIT, std::move(datagrams), ports_.clock.now(), settings_);
}

void Engine::send_ike_sa_init_error(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                                    const ike::Header& request, iana::NotifyMessageType type,
                                    crypto::Bytes data) {
  ike::Header h;
  h.initiator_spi = request.initiator_spi;
  h.exchange = iana::ExchangeType::IKE_SA_INIT;
  h.response = true;
  h.message_id = request.message_id;
  auto encoded = ike::encode_message({h, {notify_payload(type, std::move(data))}});
  if (encoded) ports_.datagrams.send(local, remote, encoded->bytes);
}

bool Engine::cookie_admits(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                           const ike::Message& request) {
  if (half_open_count_ < settings_.cookie_threshold) return true;
  const TimePoint now = ports_.clock.now();
  if (!cookies_) {
    auto issuer = CookieIssuer::create(ports_.rng, settings_.cookie_secret_period, now);
    // Without an issuer no cookie can be checked: admitting keeps the service up as before the threshold.
    if (!issuer) return true;
    cookies_.emplace(std::move(*issuer));
  }
  const auto* nonce = ike::find_first<ike::NoncePayload>(request.payloads);
  if (nonce == nullptr) return true;  // answered with INVALID_SYNTAX by the caller
  const auto ip = remote.address.view();
  const auto returned = ike::find_notifies(request.payloads, iana::NotifyMessageType::COOKIE);
  if (!returned.empty() && cookies_->verify(returned.front()->data, nonce->data, ip,
                                            request.header.initiator_spi, now) == CookieCheck::valid) {
    return true;
  }
  send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::COOKIE,
                         cookies_->issue(nonce->data, ip, request.header.initiator_spi, now));
  return false;
}

void Engine::on_ike_sa_init_request(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                                    const ike::Message& request, crypto::ByteView bytes) {
  const auto& payloads = request.payloads;
  const auto* sa_payload = ike::find_first<ike::SaPayload>(payloads);
  const auto* ke = ike::find_first<ike::KePayload>(payloads);
  const auto* nonce = ike::find_first<ike::NoncePayload>(payloads);
  if (sa_payload == nullptr || ke == nullptr || nonce == nullptr) {
    ++counters_.unexpected;
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::INVALID_SYNTAX, {});
    return;
  }
  if (!cookie_admits(local, remote, request)) return;

  const auto candidates = connections_for(local, remote);
  std::optional<SelectedProposal> selected;
  std::shared_ptr<const ConnectionConfig> connection;
  for (const auto& c : candidates) {
    selected = select_proposal(c->ike_proposals, sa_payload->proposals);
    if (selected) {
      connection = c;
      break;
    }
  }
  if (!selected) {
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN, {});
    emit(IkeSaFailed{
        next_unique_id_++,
        candidates.empty() ? std::string{} : candidates.front()->name,
        IkeRole::responder,
        {FailureReason::no_proposal_chosen, std::nullopt,
         candidates.empty() ? "no connection for " + remote.address.to_string()
                            : "no proposal of " + remote.address.to_string() + " is acceptable"}});
    return;
  }
  const iana::KeyExchangeMethod group = selected->transforms.key_exchange;
  if (ke->group != group) {
    // §1.2: the proposal fits but the guess of the group does not; no state is kept.
    crypto::Bytes wanted(2);
    Botan::store_be(static_cast<uint16_t>(group), wanted.data());
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::INVALID_KE_PAYLOAD,
                           wanted);
    return;
  }
  if (crypto::public_value_length(group) != ke->data.size()) {
    ++counters_.unexpected;
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::INVALID_SYNTAX, {});
    return;
  }
  auto our_ke = crypto::make_key_exchange(group, ports_.rng);
  if (!our_ke) {
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN, {});
    return;
  }
  auto shared = (*our_ke)->shared_secret(ke->data);
  if (!shared) {
    ++counters_.unexpected;
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::INVALID_SYNTAX, {});
    return;
  }

  auto sa = std::make_unique<IkeSa>();
  sa->unique_id = next_unique_id_++;
  sa->role = IkeRole::responder;
  sa->state = IkeSaState::half_open;
  sa->connection = connection;
  sa->local = local;
  sa->remote = remote;
  sa->spi_i = request.header.initiator_spi;
  sa->spi_r = fresh_spi();
  sa->transforms = selected->transforms;
  sa->nonce_i = nonce->data;
  sa->nonce_r.resize(settings_.nonce_size);
  ports_.rng.randomize(sa->nonce_r.data(), sa->nonce_r.size());
  sa->init_request.assign(bytes.begin(), bytes.end());
  if (!derive_ike_sa_keys(*sa, *shared)) {
    send_ike_sa_init_error(local, remote, request.header, iana::NotifyMessageType::NO_PROPOSAL_CHOSEN, {});
    return;
  }

  std::vector<ike::Payload> out;
  out.push_back(
      ike::Payload{ike::SaPayload{{to_accepted_proposal(selected->transforms, selected->number, {})}}});
  out.push_back(ike::Payload{ike::KePayload{group, (*our_ke)->public_value()}});
  out.push_back(ike::Payload{ike::NoncePayload{sa->nonce_r}});
  add_nat_detection(out, sa->spi_i, sa->spi_r, local, remote, connection->force_encapsulation, ports_.rng);
  sa->nat = nat_situation(evaluate_nat_detection(sa->spi_i, 0, payloads, remote, local),
                          connection->force_encapsulation);
  if (has_notify(payloads, iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED)) {
    out.push_back(notify_payload(iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED));
  }
  // RFC 7427 §4: announced in answer to the initiator's own announcement only.
  sa->peer_hashes = peer_signature_hashes(payloads);
  if (sa->peer_hashes && !settings_.signature_hashes.empty()) {
    out.push_back(notify_payload(iana::NotifyMessageType::SIGNATURE_HASH_ALGORITHMS,
                                 signature_hash_algorithms(settings_.signature_hashes)));
    sa->announced_hashes = settings_.signature_hashes;
  }
  // §3.7: CERTREQ may ride in the IKE_SA_INIT response, so the initiator knows which CA we trust before
  // it signs; the connection is tentative until IKE_AUTH names the peer.
  if (auto certreq = certificate_request(connection->remote_auth)) out.push_back(std::move(*certreq));
  auto encoded =
      ike::encode_message({header_for(*sa, iana::ExchangeType::IKE_SA_INIT, true, 0), std::move(out)});
  if (!encoded) return;
  sa->init_response = encoded->bytes;
  sa->half_open_deadline = ports_.clock.now() + settings_.half_open_timeout;
  sa->peer_fragmentation = has_notify(payloads, iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED);
  IkeSa& added = add_sa(std::move(sa));
  std::vector<crypto::Bytes> datagrams;
  datagrams.push_back(std::move(encoded->bytes));
  send_raw(added, datagrams);
  added.responses.answered(0, std::move(datagrams));
}

void Engine::on_ike_sa_init_response(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                                     const ike::Message& response, crypto::ByteView bytes) {
  const auto& payloads = response.payloads;
  const auto cookie = ike::find_notifies(payloads, iana::NotifyMessageType::COOKIE);
  if (!cookie.empty()) {
    // §2.6: start over with the cookie in front; the responder kept nothing. A second demand for the
    // same cookie means it did not take it: give up rather than loop.
    if (cookie.front()->data.empty() || cookie.front()->data == sa.cookie) {
      fail_sa(sa,
              {FailureReason::protocol_error, iana::NotifyMessageType::COOKIE, "peer refused our cookie"});
      return;
    }
    sa.cookie = cookie.front()->data;
    sa.requests.withdraw();
    send_ike_sa_init_request(sa, sa.key_exchange->method());
    return;
  }
  if (const auto* error = first_error_notify(payloads)) {
    if (error->type == iana::NotifyMessageType::INVALID_KE_PAYLOAD && error->data.size() == 2) {
      const auto wanted =
          static_cast<iana::KeyExchangeMethod>(Botan::load_be<uint16_t>(error->data.data(), 0));
      // §1.2: retry once in the group the responder asked for, if we offer it at all.
      if (wanted != sa.key_exchange->method() && offers_group(sa.connection->ike_proposals, wanted)) {
        sa.requests.withdraw();
        send_ike_sa_init_request(sa, wanted);
        return;
      }
    }
    fail_sa(sa, failure_from_notify(error->type));
    return;
  }

  const auto* sa_payload = ike::find_first<ike::SaPayload>(payloads);
  const auto* ke = ike::find_first<ike::KePayload>(payloads);
  const auto* nonce = ike::find_first<ike::NoncePayload>(payloads);
  if (sa_payload == nullptr || ke == nullptr || nonce == nullptr || response.header.responder_spi == 0) {
    fail_sa(sa,
            {FailureReason::protocol_error, std::nullopt, "IKE_SA_INIT response lacks SA, KE, Nr or SPIr"});
    return;
  }
  auto accepted = check_accepted_proposal(sa.connection->ike_proposals, sa_payload->proposals);
  if (!accepted) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, accepted.error()});
    return;
  }
  if (accepted->transforms.key_exchange != sa.key_exchange->method() ||
      ke->group != sa.key_exchange->method()) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, "responder's KE is not in the group we sent"});
    return;
  }
  auto shared = sa.key_exchange->shared_secret(ke->data);
  if (!shared) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, shared.error()});
    return;
  }
  sa.requests.completed();
  sa.spi_r = response.header.responder_spi;
  sa.transforms = accepted->transforms;
  sa.nonce_r = nonce->data;
  sa.init_response.assign(bytes.begin(), bytes.end());
  sa.peer_fragmentation = has_notify(payloads, iana::NotifyMessageType::IKEV2_FRAGMENTATION_SUPPORTED);
  sa.peer_hashes = peer_signature_hashes(payloads);
  sa.key_exchange.reset();
  if (auto keys = derive_ike_sa_keys(sa, *shared); !keys) {
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, keys.error()});
    return;
  }
  sa.nat = nat_situation(
      evaluate_nat_detection(sa.spi_i, sa.spi_r, payloads, remote, local), sa.connection->force_encapsulation);
  // §2.23: with a NAT in the path (or pretended), IKE_AUTH and all that follows go over port 4500.
  if (sa.nat.udp_encapsulation()) float_to_nat_port(sa);
  sa.state = IkeSaState::auth_sent;
  send_ike_auth_request(sa);
}

Expected<Ok, std::string> Engine::derive_ike_sa_keys(IkeSa& sa, crypto::ByteView shared_secret) {
  auto prf = crypto::make_prf(sa.transforms.prf);
  if (!prf) return unexpected(prf.error());
  auto skeyseed = crypto::ike_sa_skeyseed(**prf, sa.nonce_i, sa.nonce_r, shared_secret);
  if (!skeyseed) return unexpected(skeyseed.error());
  const crypto::SkAlgorithm algorithm = sa.transforms.sk_algorithm();
  auto keys =
      crypto::derive_ike_sa_keys(**prf, *skeyseed, sa.nonce_i, sa.nonce_r, sa.spi_i, sa.spi_r, algorithm);
  if (!keys) return unexpected(keys.error());
  auto cipher_i = crypto::make_sk_cipher(algorithm, keys->sk_ei, keys->sk_ai);
  if (!cipher_i) return unexpected(cipher_i.error());
  auto cipher_r = crypto::make_sk_cipher(algorithm, keys->sk_er, keys->sk_ar);
  if (!cipher_r) return unexpected(cipher_r.error());
  sa.prf = std::move(*prf);
  sa.cipher_i = std::move(*cipher_i);
  sa.cipher_r = std::move(*cipher_r);
  sa.sk_d = std::move(keys->sk_d);
  sa.sk_pi = std::move(keys->sk_pi);
  sa.sk_pr = std::move(keys->sk_pr);
  return Ok{};
}

}  // namespace ipsecd::ikev2
