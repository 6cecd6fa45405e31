// On-demand CHILD_SAs (RFC 4301 §5.2, RFC 7296 §2.9): trap policies without SAs, and negotiation from the
// kernel's ACQUIRE with the triggering packet's selectors first.
#include "daemon/ike/ikev2/engine.h"

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

bool in_setup(IkeSaState state) {
  return state == IkeSaState::init_sent || state == IkeSaState::auth_sent || state == IkeSaState::half_open;
}

bool contained_in_any(const std::vector<Selector>& configured, const Selector& packet) {
  return std::any_of(configured.begin(), configured.end(),
                     [&](const Selector& s) { return contains(s, packet); });
}

}  // namespace

Expected<uint32_t, std::string> Engine::install_trap(std::string_view connection, std::string_view child) {
  auto found = configured_child(connection, child);
  if (!found) return unexpected(found.error());
  const ConnectionConfig& config = *found->connection;
  const ChildConfig* child_config = found->child;
  // The trap's template names the tunnel's outer addresses, and a dynamic selector needs them too.
  const auto local_address = local_address_toward(config);
  if (!local_address) return unexpected(local_address.error());
  auto local_ts = resolve(child_config->local_ts, local_address->view());
  auto remote_ts = resolve(child_config->remote_ts, config.remote_address->view());
  if (!local_ts || !remote_ts) return unexpected(!local_ts ? local_ts.error() : remote_ts.error());

  // A trap that exists keeps its reqid, so that its live CHILD_SAs stay tied to it; one made while the
  // child is up (a reload from start to trap) takes the child's.
  auto existing = std::find_if(traps_.begin(), traps_.end(), [&](const auto& t) {
    return t.second.connection == connection && t.second.child == child;
  });
  const uint32_t reqid = existing != traps_.end() ? existing->first : reqid_for(config.name, child_config->name);
  Trap trap{config.name, child_config->name, *local_ts, *remote_ts, {}};
  const auto wanted = child_policies(trap.local_ts, trap.remote_ts, child_config->mode, *local_address,
                                     *config.remote_address, child_config->protocol(), child_config->bundle(),
                                     reqid);
  if (existing != traps_.end()) {
    Trap old = std::move(existing->second);
    traps_.erase(existing);
    // Policies both the old and the new selectors need stay in place, so no packet passes unprotected
    // between the two.
    for (const auto& policy : wanted) {
      const KernelPolicyId id = policy_id(policy);
      auto held = std::find(old.policies.begin(), old.policies.end(), id);
      if (held == old.policies.end()) continue;
      old.policies.erase(held);
      trap.policies.push_back(id);
    }
    remove_trap_policies(reqid, old);
  }

  for (const auto& policy : wanted) {
    const KernelPolicyId id = policy_id(policy);
    if (std::find(trap.policies.begin(), trap.policies.end(), id) != trap.policies.end()) continue;
    // A live CHILD_SA of this reqid may hold the policy already: the trap takes it over, so it outlives
    // the child.
    bool taken = false;
    for (auto& [spi, sa] : sas_) {
      for (auto& c : sa->children) {
        auto held = std::find(c.kernel_policies.begin(), c.kernel_policies.end(), id);
        if (c.reqid != reqid || held == c.kernel_policies.end()) continue;
        c.kernel_policies.erase(held);
        policies_.forget(c.policy_user(), id);
        taken = true;
      }
    }
    if (!taken) {
      if (auto added = ports_.kernel.add_policy(policy); !added) {
        remove_trap_policies(reqid, trap);
        return unexpected("trap for " + config.name + "/" + child_config->name + ": " + added.error().message);
      }
    }
    trap.policies.push_back(id);
  }
  traps_.emplace(reqid, std::move(trap));
  return reqid;
}

Expected<Ok, std::string> Engine::uninstall_trap(std::string_view connection, std::string_view child) {
  auto it = std::find_if(traps_.begin(), traps_.end(), [&](const auto& t) {
    return t.second.connection == connection && t.second.child == child;
  });
  if (it == traps_.end()) {
    return unexpected("no trap for " + std::string(connection) + "/" + std::string(child));
  }
  const uint32_t reqid = it->first;
  Trap trap = std::move(it->second);
  traps_.erase(it);
  remove_trap_policies(reqid, trap);
  return Ok{};
}

void Engine::remove_trap_policies(uint32_t reqid, Trap& trap) {
  for (const auto& id : trap.policies) {
    // Every live CHILD_SA whose selectors need this policy inherits it, as a rekeyed child's successor
    // does; several (an old IKE SA's Delete under way beside the new IKE SA's child) share it, so it goes
    // only with the last of them.
    bool inherited = false;
    for (auto& [spi, sa] : sas_) {
      for (auto& c : sa->children) {
        if (c.reqid != reqid || c.state == ChildSaState::rekeyed) continue;
        for (const auto& p : child_policies(c.local_ts, c.remote_ts, c.mode, sa->local.address,
                                            sa->remote.address, c.transforms.protocol, c.ah.has_value(),
                                            c.reqid)) {
          if (policy_id(p) != id) continue;
          c.kernel_policies.push_back(id);
          policies_.adopt(c.policy_user(), p);
          inherited = true;
          break;
        }
      }
    }
    if (!inherited) (void)ports_.kernel.delete_policy(id);
  }
  trap.policies.clear();
}

uint32_t Engine::reqid_for(std::string_view connection, std::string_view child) {
  for (const auto& [reqid, trap] : traps_) {
    if (trap.connection == connection && trap.child == child) return reqid;
  }
  for (const auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->connection->name != connection) continue;
    for (const auto& c : sa->children) {
      if (c.name == child && c.state != ChildSaState::rekeyed && c.state != ChildSaState::deleting) {
        return c.reqid;
      }
    }
  }
  return next_reqid_++;
}

bool Engine::trap_holds(uint32_t reqid, const KernelPolicyId& policy) const {
  auto it = traps_.find(reqid);
  if (it == traps_.end()) return false;
  const auto& held = it->second.policies;
  return std::find(held.begin(), held.end(), policy) != held.end();
}

bool Engine::negotiating(const std::string& connection, const std::string& child) const {
  for (const auto& [spi, sa] : sas_) {
    if (!sa->connection || sa->connection->name != connection) continue;
    // The IKE SA being set up carries (or, as responder, may carry) the child; its traffic waits for it.
    if (in_setup(sa->state)) return true;
    // An IKE SA on its way out carries no new child: the next ACQUIRE starts a new IKE SA.
    if (sa->state != IkeSaState::established || sa->delete_queued()) continue;
    if (std::any_of(sa->children.begin(), sa->children.end(), [&](const ChildSa& c) {
          return c.name == child && c.state != ChildSaState::deleting;
        })) {
      return true;
    }
    if (sa->child_request && sa->child_request->kind == ChildSaRequest::Kind::create_child &&
        sa->child_request->config != nullptr && sa->child_request->config->name == child) {
      return true;
    }
    if (std::any_of(sa->queued.begin(), sa->queued.end(), [&](const QueuedChildWork& w) {
          return w.kind == QueuedChildWork::Kind::create_child && w.child == child;
        })) {
      return true;
    }
  }
  return false;
}

Expected<std::pair<std::vector<Selector>, std::vector<Selector>>, std::string> Engine::initial_selectors(
    IkeSa& sa, const ChildConfig& config) {
  auto tsi = resolve(config.local_ts, sa.local.address.view());
  auto tsr = resolve(config.remote_ts, sa.remote.address.view());
  if (!tsi || !tsr) return unexpected(!tsi ? tsi.error() : tsr.error());
  auto trigger = sa.acquired.find(config.name);
  if (trigger != sa.acquired.end()) {
    // §2.9: the packet first, so a responder whose policy is narrower than ours can pick the part that
    // carries it. Only a packet our own policy covers, since the answer may narrow to just that.
    if (contained_in_any(*tsi, trigger->second.src) && contained_in_any(*tsr, trigger->second.dst)) {
      tsi->insert(tsi->begin(), trigger->second.src);
      tsr->insert(tsr->begin(), trigger->second.dst);
    }
    sa.acquired.erase(trigger);
  }
  return std::pair{std::move(*tsi), std::move(*tsr)};
}

Expected<AcquireResult, std::string> Engine::on_acquire(uint32_t reqid, const Selector& packet_src,
                                                        const Selector& packet_dst) {
  auto it = traps_.find(reqid);
  if (it == traps_.end()) {
    ++counters_.acquires_unknown;
    return AcquireResult{AcquireOutcome::unknown_reqid, {}, {}, 0};
  }
  const std::string connection = it->second.connection;
  const std::string child = it->second.child;
  // The kernel repeats the ACQUIRE for packets that keep coming until the SA is there (or its larval
  // state expires); one negotiation is enough.
  if (negotiating(connection, child)) {
    ++counters_.acquires_ignored;
    return AcquireResult{AcquireOutcome::in_progress, connection, child, 0};
  }
  auto started = start_child(connection, child, TriggeringPacket{packet_src, packet_dst});
  if (!started) return unexpected(started.error());
  return AcquireResult{AcquireOutcome::initiated, connection, child, *started};
}

std::vector<TrapSummary> Engine::traps() const {
  std::vector<TrapSummary> out;
  for (const auto& [reqid, trap] : traps_) {
    out.push_back({trap.connection, trap.child, reqid, trap.local_ts, trap.remote_ts});
  }
  return out;
}

}  // namespace ipsecd::ikev2
