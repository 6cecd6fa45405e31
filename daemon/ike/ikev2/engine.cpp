// The IKEv2 engine's core: the SA table, datagram dispatch by SPI and Message ID, sending, timers, events.
#include "daemon/ike/ikev2/engine.h"

#include "daemon/ike/sk_protection.h"
#include "daemon/ike/skf_fragmentation.h"

#include <botan/loadstor.h>
#include <botan/rng.h>

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

// Once a message's ICV verified: §2.4, any such message shows the peer alive; §2.11, a request is answered
// at the address and port it came from, from where it arrived (error answers and retransmitted ones
// included, and also when the SA does not follow the peer, §2.23).
void heard_from(IkeSa& sa, const ike::Header& header, TimePoint now, const ipsecd::Endpoint& local,
                const ipsecd::Endpoint& remote) {
  sa.last_heard = now;
  if (!header.response) {
    sa.reply_local = local;
    sa.reply_remote = remote;
  }
}

// Why CHILD_SAs asked for on an IKE SA that our Delete is about to end are not made.
Failure being_deleted() {
  return {FailureReason::ike_sa_deleted, std::nullopt, "the IKE SA is being deleted"};
}

}  // namespace

Engine::Engine(EngineSettings settings, std::vector<ConnectionConfig> connections, EnginePorts ports)
    : settings_(settings), ports_(ports), next_reqid_(settings.first_reqid) {
  for (auto& c : connections) connections_.push_back(std::make_shared<const ConnectionConfig>(std::move(c)));
}

Engine::~Engine() = default;

void Engine::replace_connections(std::vector<ConnectionConfig> connections) {
  connections_.clear();
  for (auto& c : connections) connections_.push_back(std::make_shared<const ConnectionConfig>(std::move(c)));
}

void Engine::handle_datagram(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                             crypto::ByteView bytes) {
  auto decoded = ike::decode_message(bytes);
  if (!decoded) {
    ++counters_.decode_failed;
    answer_undecodable(local, remote, bytes, decoded.error());
    return;
  }
  dispatch(local, remote, bytes, *decoded);
}

void Engine::dispatch(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes,
                      const ike::DecodedMessage& decoded) {
  const ike::Header& h = decoded.message.header;
  if (h.exchange == iana::ExchangeType::IKE_SA_INIT) {
    if (!h.response) {
      if (!h.initiator || h.message_id != 0 || h.responder_spi != 0) {
        ++counters_.unexpected;
        return;
      }
      // A repeated IKE_SA_INIT gets the same answer, not a second SA (§2.1).
      auto known = by_initiator_.find({remote, h.initiator_spi});
      if (known != by_initiator_.end()) {
        IkeSa* sa = find_sa(known->second);
        if (sa != nullptr && sa->responses.classify(0) == ResponseWindow::Verdict::retransmission) {
          ++counters_.retransmitted_responses;
          send_raw(*sa, sa->responses.cached_response());
        } else {
          ++counters_.out_of_window;
        }
        return;
      }
      on_ike_sa_init_request(local, remote, decoded.message, bytes);
      return;
    }
    IkeSa* sa = find_sa(h.initiator_spi);
    if (sa == nullptr || sa->role != IkeRole::initiator || h.initiator) {
      ++counters_.unknown_spi;
      return;
    }
    if (sa->state != IkeSaState::init_sent || !sa->requests.answers(h.message_id)) {
      ++counters_.out_of_window;
      return;
    }
    on_ike_sa_init_response(*sa, local, remote, decoded.message, bytes);
    return;
  }

  // The I flag names the sender's role, so our SPI is the other one (§3.1).
  IkeSa* sa = find_sa(h.initiator ? h.responder_spi : h.initiator_spi);
  if (sa == nullptr || (sa->role == IkeRole::responder) != h.initiator || sa->spi_i != h.initiator_spi ||
      sa->spi_r != h.responder_spi) {
    ++counters_.unknown_spi;
    return;
  }
  if (sa->inbound_cipher() == nullptr) {
    ++counters_.unexpected;
    return;
  }
  dispatch_protected(*sa, local, remote, bytes, decoded);
}

void Engine::dispatch_protected(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                                crypto::ByteView bytes, const ike::DecodedMessage& decoded) {
  const ike::Header& h = decoded.message.header;
  ResponseWindow::Verdict verdict = ResponseWindow::Verdict::new_request;
  if (h.response) {
    if (!sa.requests.answers(h.message_id) || sa.requests.exchange() != h.exchange) {
      ++counters_.out_of_window;
      return;
    }
  } else {
    verdict = sa.responses.classify(h.message_id);
    if (verdict == ResponseWindow::Verdict::out_of_window) {
      ++counters_.out_of_window;
      return;
    }
  }

  // Nothing is answered, not even from the cache, before the ICV has verified (§2.21.2).
  const ike::Payload* last = decoded.message.payloads.empty() ? nullptr : &decoded.message.payloads.back();
  std::vector<ike::Payload> inner;
  if (last != nullptr && last->type() == iana::PayloadType::SK) {
    auto opened = ike::unprotect_message(bytes, decoded, *sa.inbound_cipher());
    // An inner decode error comes only after the ICV verified: the peer sent this, however malformed its
    // inside (§2.21.3).
    if (!opened && opened.error().code != ike::UnprotectErrorCode::inner_decode) {
      ++counters_.integrity_failed;
      return;
    }
    heard_from(sa, h, ports_.clock.now(), local, remote);
    if (!opened) {
      ++counters_.decode_failed;
      if (!h.response) answer_malformed_request(sa, h, verdict, opened.error().decode);
      return;
    }
    inner = std::move(opened->payloads);
  } else if (last != nullptr && last->type() == iana::PayloadType::SKF) {
    auto fragment = ike::unprotect_fragment(bytes, decoded, *sa.inbound_cipher());
    if (!fragment) {
      ++counters_.integrity_failed;
      return;
    }
    heard_from(sa, h, ports_.clock.now(), local, remote);
    if (verdict == ResponseWindow::Verdict::retransmission) {
      // One answer per retransmitted message, given on its first fragment (RFC 7383 §2.6.1), to where
      // the retransmission came from (§2.23).
      if (fragment->number == 1) {
        ++counters_.retransmitted_responses;
        send_reply(sa, sa.responses.cached_response());
      }
      return;
    }
    auto added = sa.fragments[h.message_id].add(std::move(*fragment));
    if (!added) {
      sa.fragments.erase(h.message_id);
      ++counters_.decode_failed;
      if (!h.response && added.error().code == ike::UnprotectErrorCode::inner_decode) {
        answer_malformed_request(sa, h, verdict, added.error().decode);
      }
      return;
    }
    if (!added->has_value()) return;
    inner = std::move(**added);
    sa.fragments.erase(h.message_id);
  } else {
    ++counters_.unexpected;
    return;
  }

  if (verdict == ResponseWindow::Verdict::retransmission) {
    // A repeated request moves nothing (§2.23: a replay must not revert an update), but is answered
    // where it came from.
    ++counters_.retransmitted_responses;
    send_reply(sa, sa.responses.cached_response());
    return;
  }
  if (h.response) {
    handle_response(sa, h, inner);
  } else {
    follow_peer(sa, local, remote);
    handle_request(sa, h, inner);
  }
}

void Engine::handle_request(IkeSa& sa, const ike::Header& header, const std::vector<ike::Payload>& payloads) {
  switch (header.exchange) {
    case iana::ExchangeType::IKE_AUTH:
      if (sa.role == IkeRole::responder && sa.state == IkeSaState::half_open) {
        on_ike_auth_request(sa, header.message_id, payloads);
        return;
      }
      break;
    case iana::ExchangeType::INFORMATIONAL:
      if (sa.state == IkeSaState::established || sa.state == IkeSaState::deleting ||
          sa.state == IkeSaState::rekeyed) {
        on_informational_request(sa, header.message_id, payloads);
        return;
      }
      break;
    case iana::ExchangeType::CREATE_CHILD_SA:
      if (sa.state == IkeSaState::established || sa.state == IkeSaState::deleting ||
          sa.state == IkeSaState::rekeyed) {
        on_create_child_sa_request(sa, header.message_id, payloads);
        return;
      }
      break;
    default:
      break;
  }
  ++counters_.unexpected;
}

void Engine::handle_response(IkeSa& sa, const ike::Header& header,
                             const std::vector<ike::Payload>& payloads) {
  sa.requests.completed();
  const uint64_t spi = sa.our_spi();
  switch (header.exchange) {
    case iana::ExchangeType::IKE_AUTH:
      on_ike_auth_response(sa, payloads);
      break;
    case iana::ExchangeType::INFORMATIONAL:
      on_informational_response(sa, payloads);
      break;
    case iana::ExchangeType::CREATE_CHILD_SA:
      on_create_child_sa_response(sa, payloads);
      break;
    default:
      ++counters_.unexpected;
      return;
  }
  // The window is free again (§2.3): work that waited for it goes next, if the SA is still there.
  if (IkeSa* still = find_sa(spi)) start_queued(*still);
}

IkeSa* Engine::find_sa(uint64_t our_spi) {
  auto it = sas_.find(our_spi);
  return it == sas_.end() ? nullptr : it->second.get();
}

std::vector<std::shared_ptr<const ConnectionConfig>> Engine::connections_for(
    const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote) const {
  std::vector<std::shared_ptr<const ConnectionConfig>> out;
  for (const auto& c : connections_) {
    if (c->local_address && *c->local_address != local.address) continue;
    if (c->remote_address && *c->remote_address != remote.address) continue;
    out.push_back(c);
  }
  return out;
}

IkeSa& Engine::add_sa(std::unique_ptr<IkeSa> sa) {
  const uint64_t spi = sa->our_spi();
  if (sa->role == IkeRole::responder) by_initiator_[{sa->remote, sa->spi_i}] = spi;
  if (sa->state == IkeSaState::half_open) ++half_open_count_;
  sa->last_heard = ports_.clock.now();
  return *(sas_[spi] = std::move(sa));
}

void Engine::remove_sa(IkeSa& sa, const Failure& why, ChildDeleteCause cause) {
  abandon_child_work(sa, why, true);
  for (auto& child : sa.children) {
    uninstall_child(child);
    // A child already replaced by a rekey closes nothing when its IKE SA goes.
    const bool replaced = child.state == ChildSaState::rekeyed || child.peer_rekey.has_value();
    emit(ChildSaDeleted{sa.unique_id, sa.connection ? sa.connection->name : std::string{}, child.name,
                        child.spi_in, child.spi_out, replaced ? ChildDeleteCause::local : cause});
  }
  if (sa.role == IkeRole::responder) by_initiator_.erase({sa.remote, sa.spi_i});
  if (sa.state == IkeSaState::half_open) --half_open_count_;
  // Destroying the record wipes its keys: they live in secure_vector.
  sas_.erase(sa.our_spi());
}

void Engine::fail_sa(IkeSa& sa, Failure failure) {
  // The first child rides in IKE_AUTH (§1.2) and fails with its IKE SA: IkeSaFailed reports both, and
  // whoever waits for that child waits on this IKE SA. Further children asked for fail with its reason.
  release_pending_child(sa);
  IkeSaFailed event{sa.unique_id, sa.connection ? sa.connection->name : std::string{}, sa.role,
                    std::move(failure)};
  remove_sa(sa, event.failure);
  emit(std::move(event));
}

void Engine::abandon_child_work(IkeSa& sa, const Failure& why, bool sa_going) {
  std::vector<std::string> abandoned;
  if (sa_going) {
    if (sa.pending_child) abandoned.push_back(sa.pending_child->config->name);
    release_pending_child(sa);
    if (sa.child_request) {
      if (sa.child_request->kind == ChildSaRequest::Kind::create_child) {
        abandoned.push_back(sa.child_request->config->name);
      }
      release_child_request(sa, *sa.child_request);
      sa.child_request.reset();
    }
  }
  // The rest of the queue goes without a word, since nothing waits for it: rekeys of the IKE SA or of a
  // child and Deletes of children come from rekey timers and the kernel's EXPIREs, and deleting the IKE
  // SA closes all its CHILD_SAs anyway (§1.4.1), which would undo them. A queued Delete of the IKE SA
  // itself is answered by the IkeSaDeleted or IkeSaFailed that reports the SA's end.
  for (const auto& work : sa.queued) {
    if (work.kind == QueuedChildWork::Kind::create_child) abandoned.push_back(work.child);
  }
  sa.queued.clear();
  const std::string conn_name = sa.connection ? sa.connection->name : std::string{};
  for (auto& child : abandoned) emit(ChildSaFailed{sa.unique_id, conn_name, std::move(child), why});
}

uint64_t Engine::fresh_spi() {
  for (;;) {
    uint8_t raw[8];
    ports_.rng.randomize(raw, sizeof raw);
    const uint64_t spi = Botan::load_be<uint64_t>(raw, 0);
    if (spi != 0 && sas_.find(spi) == sas_.end()) return spi;
  }
}

ike::Header Engine::header_for(const IkeSa& sa, iana::ExchangeType exchange, bool response,
                               uint32_t message_id) const {
  ike::Header h;
  h.initiator_spi = sa.spi_i;
  h.responder_spi = sa.spi_r;
  h.exchange = exchange;
  h.initiator = sa.role == IkeRole::initiator;
  h.response = response;
  h.message_id = message_id;
  return h;
}

std::optional<std::vector<crypto::Bytes>> Engine::protect(const IkeSa& sa, const ike::Header& header,
                                                          const std::vector<ike::Payload>& inner) {
  auto whole = ike::protect_message(header, inner, *sa.outbound_cipher(), ports_.rng);
  if (!whole) return std::nullopt;
  if (!sa.peer_fragmentation || whole->size() <= settings_.fragment_size) {
    // push_back moves the message in; a braced list would copy it.
    std::vector<crypto::Bytes> one;
    one.push_back(std::move(*whole));
    return one;
  }
  auto fragments =
      ike::fragment_message(header, inner, *sa.outbound_cipher(), settings_.fragment_size, ports_.rng);
  if (!fragments) return std::nullopt;
  return std::move(*fragments);
}

bool Engine::send_request(IkeSa& sa, iana::ExchangeType exchange, const std::vector<ike::Payload>& inner) {
  auto datagrams = protect(sa, header_for(sa, exchange, false, sa.requests.next_id()), inner);
  if (!datagrams) return false;
  send_raw(sa, *datagrams);
  sa.requests.sent(exchange, std::move(*datagrams), ports_.clock.now(), settings_);
  return true;
}

void Engine::send_response(IkeSa& sa, iana::ExchangeType exchange, uint32_t message_id,
                           const std::vector<ike::Payload>& inner) {
  auto datagrams = protect(sa, header_for(sa, exchange, true, message_id), inner);
  // Our own payloads always encode; should one not, the request stays unanswered like a lost one.
  if (!datagrams) return;
  send_reply(sa, *datagrams);
  sa.responses.answered(message_id, std::move(*datagrams));
}

void Engine::send_raw(IkeSa& sa, const std::vector<crypto::Bytes>& datagrams) {
  for (const auto& d : datagrams) ports_.datagrams.send(sa.local, sa.remote, d);
  sa.last_sent = ports_.clock.now();
}

void Engine::send_reply(IkeSa& sa, const std::vector<crypto::Bytes>& datagrams) {
  for (const auto& d : datagrams) ports_.datagrams.send(sa.reply_local, sa.reply_remote, d);
  sa.last_sent = ports_.clock.now();
}

void Engine::emit(Event event) { ports_.events.on_event(event); }

Expected<Engine::ConfiguredChild, std::string> Engine::configured_child(std::string_view connection,
                                                                        std::string_view child) const {
  auto conn = std::find_if(connections_.begin(), connections_.end(),
                           [&](const auto& c) { return c->name == connection; });
  if (conn == connections_.end()) return unexpected("no connection named '" + std::string(connection) + "'");
  auto child_config = std::find_if((*conn)->children.begin(), (*conn)->children.end(),
                                   [&](const ChildConfig& c) { return c.name == child; });
  if (child_config == (*conn)->children.end()) {
    return unexpected("connection '" + (*conn)->name + "' has no child '" + std::string(child) + "'");
  }
  return ConfiguredChild{*conn, &*child_config};
}

Expected<IpAddress, std::string> Engine::local_address_toward(const ConnectionConfig& config) {
  if (!config.remote_address) {
    return unexpected("connection '" + config.name + "' has no remote_addr: it can only respond");
  }
  if (config.local_address) return *config.local_address;
  auto source = ports_.kernel.source_address_for(*config.remote_address);
  if (!source) {
    return unexpected("connection '" + config.name + "' has no local_addr and no route to " +
                      config.remote_address->to_string() + " gives one (" + source.error().message +
                      "); or set local_addr");
  }
  return *source;
}

Expected<uint64_t, std::string> Engine::initiate(std::string_view connection, std::string_view child) {
  return start_child(connection, child, std::nullopt);
}

Expected<uint64_t, std::string> Engine::start_child(std::string_view connection, std::string_view child,
                                                    const std::optional<TriggeringPacket>& trigger) {
  auto found = configured_child(connection, child);
  if (!found) return unexpected(found.error());
  const ConnectionConfig& config = *found->connection;
  const ChildConfig* child_config = found->child;
  // §1.3.1: a further CHILD_SA rides on an IKE SA we already share with the peer.
  for (auto& [spi, existing] : sas_) {
    if (existing->connection == found->connection && existing->state == IkeSaState::established &&
        !existing->delete_queued()) {
      if (trigger) existing->acquired.insert_or_assign(child_config->name, *trigger);
      queue_work(*existing, {QueuedChildWork::Kind::create_child, child_config->name, 0, {}});
      return existing->unique_id;
    }
  }
  const auto local_address = local_address_toward(config);
  if (!local_address) return unexpected(local_address.error());
  if (config.ike_proposals.empty() || config.ike_proposals.front().key_exchange.empty()) {
    return unexpected("connection '" + config.name + "' has no IKE proposal with a key exchange method");
  }

  auto sa = std::make_unique<IkeSa>();
  sa->unique_id = next_unique_id_++;
  sa->role = IkeRole::initiator;
  sa->state = IkeSaState::init_sent;
  sa->connection = found->connection;
  sa->local = {*local_address, config.local_port};
  sa->remote = {*config.remote_address, config.remote_port};
  sa->spi_i = fresh_spi();
  sa->nonce_i.resize(settings_.nonce_size);
  ports_.rng.randomize(sa->nonce_i.data(), sa->nonce_i.size());
  sa->pending_child = PendingChild{child_config, 0, 0, 0, {}, {}};
  if (trigger) sa->acquired.insert_or_assign(child_config->name, *trigger);
  IkeSa& added = add_sa(std::move(sa));
  const uint64_t id = added.unique_id;
  send_ike_sa_init_request(added, config.ike_proposals.front().key_exchange.front());
  return id;
}

Expected<Ok, std::string> Engine::terminate(uint64_t ike_sa) {
  auto it =
      std::find_if(sas_.begin(), sas_.end(), [&](const auto& e) { return e.second->unique_id == ike_sa; });
  if (it == sas_.end()) return unexpected("no IKE SA with id " + std::to_string(ike_sa));
  IkeSa& sa = *it->second;
  if (sa.state == IkeSaState::deleting) return Ok{};
  if (sa.state == IkeSaState::established && sa.requests.outstanding()) {
    // Window size 1 (§2.3): the Delete waits for the answer to the exchange in flight (a rekey, say),
    // then goes before anything else; the work still waiting would only be undone by it. Dropping the SA
    // without a word would leave the peer its IKE SA and CHILD_SAs until its liveness check.
    abandon_child_work(sa, being_deleted(), false);
    queue_work(sa, {QueuedChildWork::Kind::delete_ike, {}, 0, {}});
    return Ok{};
  }
  if (sa.state == IkeSaState::established) {
    start_delete_ike(sa);
    return Ok{};
  }
  // Not yet established, or already replaced by a rekey: the SA goes without a word to the peer, whose
  // own timers clean up.
  remove_and_report(sa);
  return Ok{};
}

void Engine::start_delete_ike(IkeSa& sa) {
  // What still waits (a retry after TEMPORARY_FAILURE, or a retry that the answer to the exchange in
  // flight queued behind our Delete) would never start on a deleting SA.
  abandon_child_work(sa, being_deleted(), false);
  sa.state = IkeSaState::deleting;
  if (send_request(sa, iana::ExchangeType::INFORMATIONAL,
                   {ike::Payload{ike::DeletePayload{iana::SecurityProtocolId::IKE, {}}}})) {
    return;
  }
  // The request could not be sent (§1.4.1 asks for a Delete, but there is no way to send it): the SA
  // goes without a word to the peer, whose own timers clean up.
  remove_and_report(sa);
}

void Engine::remove_and_report(IkeSa& sa, bool by_peer, std::string why, ChildDeleteCause cause) {
  IkeSaDeleted event{sa.unique_id, sa.connection ? sa.connection->name : std::string{}, by_peer};
  remove_sa(sa, {FailureReason::ike_sa_deleted, std::nullopt, std::move(why)}, cause);
  emit(std::move(event));
}

void Engine::on_timer(TimePoint now) {
  std::vector<uint64_t> spis;
  for (const auto& [spi, sa] : sas_) spis.push_back(spi);
  for (uint64_t spi : spis) {
    if (IkeSa* sa = find_sa(spi)) on_sa_timer(*sa, now);
  }
}

void Engine::on_sa_timer(IkeSa& sa, TimePoint now) {
  if (sa.half_open_deadline && now >= *sa.half_open_deadline) {
    fail_sa(sa, {FailureReason::half_open_timeout, std::nullopt, "no IKE_AUTH after IKE_SA_INIT"});
    return;
  }
  if (sa.state == IkeSaState::rekeyed && sa.rekeyed_deadline && now >= *sa.rekeyed_deadline) {
    // §2.18: the rekey's initiator never deleted the old SA; its children live on in the new one.
    remove_and_report(sa);
    return;
  }
  on_rekey_timer(sa, now);
  on_keepalive_timer(sa, now);
  switch (sa.requests.on_timer(now, settings_)) {
    case RequestWindow::TimerAction::none:
      on_liveness_timer(sa, now);
      return;
    case RequestWindow::TimerAction::retransmit:
      ++counters_.retransmitted_requests;
      send_raw(sa, sa.requests.request());
      return;
    case RequestWindow::TimerAction::give_up:
      // An SA on its way out anyway (our Delete, or replaced by a rekey) just goes; the peer is not
      // declared dead for it, its successor has its own liveness check.
      if (sa.state == IkeSaState::deleting || sa.state == IkeSaState::rekeyed) {
        remove_and_report(sa);
        return;
      }
      fail_sa(sa, {FailureReason::peer_unreachable, std::nullopt,
                   "no answer to " + std::string(iana::name(sa.requests.exchange())) + " after " +
                       std::to_string(sa.requests.retransmissions()) + " retransmissions"});
      return;
  }
}

std::optional<TimePoint> Engine::next_deadline() const {
  std::optional<TimePoint> next;
  auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  for (const auto& [spi, sa] : sas_) {
    consider(sa->requests.deadline());
    consider(sa->half_open_deadline);
    consider(rekey_deadline(*sa));
    consider(keepalive_deadline(*sa));
    consider(liveness_deadline(*sa));
    if (sa->state == IkeSaState::rekeyed) consider(sa->rekeyed_deadline);
  }
  return next;
}

std::vector<IkeSaSummary> Engine::ike_sas() const {
  std::vector<IkeSaSummary> out;
  for (const auto& [spi, sa] : sas_) {
    IkeSaSummary s{sa->unique_id,
                   sa->connection ? sa->connection->name : std::string{},
                   sa->role,
                   sa->state,
                   sa->spi_i,
                   sa->spi_r,
                   {},
                   {},
                   sa->local,
                   sa->remote,
                   sa->nat};
    for (const auto& c : sa->children) {
      s.children.push_back(c.name);
      const ChildConfig* config = child_config(*sa, c.name);
      s.child_sas.push_back({c.name, c.reqid, c.spi_in, c.spi_out, c.state, c.rekey_at,
                             config != nullptr ? config->lifetime : SaLifetime{},
                             c.ah ? std::optional(c.ah->transforms.integrity) : std::nullopt});
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.unique_id < b.unique_id; });
  return out;
}

}  // namespace ipsecd::ikev2
