// When CREATE_CHILD_SA work starts: rekey deadlines with jitter, the kernel's EXPIRE, the explicit rekey
// calls, and the queue that holds work back until the request window of size 1 is free (RFC 7296 §2.3).
#include "daemon/ike/ikev2/engine.h"

#include <botan/loadstor.h>
#include <botan/rng.h>

#include <algorithm>

namespace ipsecd::ikev2 {

Duration Engine::jitter(Duration range) {
  if (range.count() <= 0) return Duration{0};
  uint8_t raw[4];
  ports_.rng.randomize(raw, sizeof raw);
  const auto span = static_cast<uint64_t>(range.count());
  return Duration(static_cast<Duration::rep>(Botan::load_be<uint32_t>(raw, 0) % span));
}

void Engine::arm_ike_rekey(IkeSa& sa) {
  const ConnectionConfig& conn = *sa.connection;
  sa.rekey_at.reset();
  if (conn.rekey_time.count() <= 0) return;
  const Duration time = conn.rekey_time;
  sa.rekey_at = ports_.clock.now() + time - jitter(std::min<Duration>(conn.rekey_jitter, time));
}

void Engine::arm_child_rekey(ChildSa& child, const ChildConfig& config) {
  child.rekey_at.reset();
  if (config.rekey_time.count() <= 0) return;
  const Duration time = config.rekey_time;
  child.rekey_at = ports_.clock.now() + time - jitter(std::min<Duration>(config.rekey_jitter, time));
}

void Engine::retry_ike_rekey(IkeSa& sa) {
  // Without a rekey_time the failed rekey was asked for by hand, and nothing was scheduled to keep.
  sa.rekey_at.reset();
  if (sa.connection->rekey_time.count() <= 0) return;
  sa.rekey_at = ports_.clock.now() + settings_.rekey_retry + jitter(settings_.rekey_retry);
}

void Engine::retry_child_rekey(ChildSa& child) {
  // Also when rekeying is left to the kernel's soft expiry: it fires once, and the hard one ends the SA.
  child.rekey_at = ports_.clock.now() + settings_.rekey_retry + jitter(settings_.rekey_retry);
}

std::pair<IkeSa*, ChildSa*> Engine::find_child(uint32_t spi_in) {
  for (auto& [spi, sa] : sas_) {
    for (auto& child : sa->children) {
      if (child.spi_in == spi_in) return {sa.get(), &child};
    }
  }
  return {nullptr, nullptr};
}

Expected<Ok, std::string> Engine::rekey_child(uint32_t spi_in) {
  auto [sa, child] = find_child(spi_in);
  if (child == nullptr) return unexpected("no CHILD_SA with inbound SPI " + std::to_string(spi_in));
  if (child->state != ChildSaState::installed) return Ok{};  // already being replaced or deleted
  queue_work(*sa, {QueuedChildWork::Kind::rekey_child, child->name, spi_in, {}});
  return Ok{};
}

Expected<Ok, std::string> Engine::rekey_ike(uint64_t ike_sa) {
  auto it =
      std::find_if(sas_.begin(), sas_.end(), [&](const auto& e) { return e.second->unique_id == ike_sa; });
  if (it == sas_.end()) return unexpected("no IKE SA with id " + std::to_string(ike_sa));
  if (it->second->state != IkeSaState::established) {
    return unexpected("IKE SA " + std::to_string(ike_sa) + " is " + std::string(name(it->second->state)));
  }
  queue_work(*it->second, {QueuedChildWork::Kind::rekey_ike, {}, 0, {}});
  return Ok{};
}

void Engine::on_kernel_expire(uint32_t spi_in, bool hard, iana::SecurityProtocolId protocol) {
  auto [sa, child] = [&]() -> std::pair<IkeSa*, ChildSa*> {
    for (auto& [spi, s] : sas_) {
      for (auto& c : s->children) {
        if (c.receives_on(protocol, spi_in)) return {s.get(), &c};
      }
    }
    return {nullptr, nullptr};
  }();
  if (child == nullptr) return;
  // Queued work names the child by the inbound SPI of its ESP pair (AH for an AH-only child).
  if (hard) {
    // The kernel drops an SA at its hard limit: the CHILD_SA is over and the peer is told (§1.4.1).
    if (child->state != ChildSaState::deleting) {
      queue_work(*sa, {QueuedChildWork::Kind::delete_child, child->name, child->spi_in, {}});
    }
    return;
  }
  if (child->state == ChildSaState::installed) {
    queue_work(*sa, {QueuedChildWork::Kind::rekey_child, child->name, child->spi_in, {}});
  }
}

void Engine::queue_work(IkeSa& sa, QueuedChildWork work) {
  // Rekeys and deletes for an IKE SA whose Delete is queued would be undone by it.
  if (sa.delete_queued()) return;
  const bool duplicate = std::any_of(sa.queued.begin(), sa.queued.end(), [&](const QueuedChildWork& q) {
    return q.kind == work.kind && q.kind != QueuedChildWork::Kind::create_child && q.spi_in == work.spi_in;
  });
  if (!duplicate) sa.queued.push_back(std::move(work));
  start_queued(sa);
}

void Engine::start_queued(IkeSa& sa) {
  const TimePoint now = ports_.clock.now();
  while (sa.state == IkeSaState::established && !sa.requests.outstanding()) {
    auto due = std::find_if(sa.queued.begin(), sa.queued.end(),
                            [&](const QueuedChildWork& w) { return w.not_before <= now; });
    if (due == sa.queued.end()) return;
    const QueuedChildWork work = *due;
    sa.queued.erase(due);
    auto child = std::find_if(sa.children.begin(), sa.children.end(),
                              [&](const ChildSa& c) { return c.spi_in == work.spi_in; });
    switch (work.kind) {
      case QueuedChildWork::Kind::create_child:
        if (const ChildConfig* config = child_config(sa, work.child)) start_create_child(sa, *config);
        break;
      case QueuedChildWork::Kind::rekey_child:
        // A child that went, or that a rekey of the peer's replaced meanwhile, needs nothing more.
        if (child != sa.children.end() && child->state == ChildSaState::installed)
          start_rekey_child(sa, *child);
        break;
      case QueuedChildWork::Kind::rekey_ike:
        start_rekey_ike(sa);
        break;
      case QueuedChildWork::Kind::delete_child:
        if (child != sa.children.end() && child->state != ChildSaState::deleting) delete_child(sa, *child);
        break;
      case QueuedChildWork::Kind::delete_ike:
        // The SA is deleting (or gone, when the Delete could not be sent): nothing more starts on it.
        start_delete_ike(sa);
        return;
    }
  }
}

void Engine::on_rekey_timer(IkeSa& sa, TimePoint now) {
  if (sa.state != IkeSaState::established) return;
  if (sa.rekey_at && now >= *sa.rekey_at) {
    sa.rekey_at.reset();
    queue_work(sa, {QueuedChildWork::Kind::rekey_ike, {}, 0, {}});
  }
  std::vector<std::pair<std::string, uint32_t>> due;
  for (auto& child : sa.children) {
    if (child.state == ChildSaState::installed && child.rekey_at && now >= *child.rekey_at) {
      child.rekey_at.reset();
      due.emplace_back(child.name, child.spi_in);
    }
  }
  for (auto& [child, spi_in] : due) queue_work(sa, {QueuedChildWork::Kind::rekey_child, child, spi_in, {}});
  start_queued(sa);
}

std::optional<TimePoint> Engine::rekey_deadline(const IkeSa& sa) const {
  if (sa.state != IkeSaState::established) return std::nullopt;
  std::optional<TimePoint> next;
  auto consider = [&](std::optional<TimePoint> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  consider(sa.rekey_at);
  for (const auto& child : sa.children) {
    if (child.state == ChildSaState::installed) consider(child.rekey_at);
  }
  // Work that waits for the window starts when the answer comes; only a retry delay is a deadline.
  if (!sa.requests.outstanding()) {
    for (const auto& work : sa.queued) consider(work.not_before);
  }
  return next;
}

}  // namespace ipsecd::ikev2
