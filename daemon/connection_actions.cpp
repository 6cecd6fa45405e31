// start_action, close_action and dpd_action: from the configuration and the engine's events to traps to
// install or remove and children to negotiate.
#include "daemon/connection_actions.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace ipsecd::daemon {
namespace {

const config::ChildPolicy* child_policy(const config::DaemonConfig& config, std::string_view connection,
                                        std::string_view child) {
  const auto* policy = config.policy(connection);
  if (policy == nullptr) return nullptr;
  auto it = policy->children.find(child);
  return it == policy->children.end() ? nullptr : &it->second;
}

bool wants_trap(const config::DaemonConfig& config, std::string_view connection, std::string_view child) {
  const auto* policy = child_policy(config, connection, child);
  return policy != nullptr && policy->start_action == config::ChildAction::trap;
}

}  // namespace

std::vector<ChildRequest> start_traps(const config::DaemonConfig& config,
                                      const std::vector<std::string>& connections) {
  std::vector<ChildRequest> out;
  for (const auto& name : connections) {
    const auto* connection = config.connection(name);
    if (connection == nullptr) continue;
    for (const auto& child : connection->children) {
      if (wants_trap(config, name, child.name)) out.push_back({ChildRequest::Kind::trap, name, child.name});
    }
  }
  return out;
}

std::vector<ChildRequest> reload_traps(const config::DaemonConfig& config, const config::ConfigDiff& diff,
                                       const std::vector<ikev2::TrapSummary>& traps) {
  std::vector<ChildRequest> out;
  const auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const auto& trap : traps) {
    const bool removed = listed(diff.removed, trap.connection);
    const bool changed = listed(diff.changed, trap.connection);
    if (removed || (changed && !wants_trap(config, trap.connection, trap.child))) {
      out.push_back({ChildRequest::Kind::untrap, trap.connection, trap.child});
    }
  }
  auto again = start_traps(config, diff.changed);
  out.insert(out.end(), again.begin(), again.end());
  return out;
}

std::vector<ChildRequest> ConnectionActions::on_event(const ikev2::Event& event,
                                                      const config::DaemonConfig& config, bool stopping) {
  std::vector<ChildRequest> out;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ikev2::IkeSaEstablished>) {
          ike_sas_[e.ike_sa].connection = e.connection;
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaInstalled>) {
          auto& record = ike_sas_[e.ike_sa];
          record.connection = e.connection;
          record.children.insert(e.child);
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaRekeyed>) {
          // §2.18: the children live on in the new IKE SA.
          auto it = ike_sas_.find(e.old_ike_sa);
          if (it == ike_sas_.end()) return;
          auto& successor = ike_sas_[e.new_ike_sa];
          successor.connection = it->second.connection;
          successor.children.insert(it->second.children.begin(), it->second.children.end());
          ike_sas_.erase(it);
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaDeleted>) {
          auto it = ike_sas_.find(e.ike_sa);
          // Children of an IKE SA that ended otherwise stay recorded for its IkeSaFailed (dpd_action).
          if (e.cause == ikev2::ChildDeleteCause::ike_sa_gone || it == ike_sas_.end()) return;
          // One of possibly two of that name (a rekey's old and new SA).
          if (auto child = it->second.children.find(e.child); child != it->second.children.end()) {
            it->second.children.erase(child);
          }
          if (e.cause != ikev2::ChildDeleteCause::peer || stopping) return;
          // A child still up under the same name (the peer deleted a duplicate) needs nothing.
          if (it->second.children.contains(e.child)) return;
          const auto* policy = child_policy(config, e.connection, e.child);
          if (policy == nullptr) return;
          if (policy->close_action == config::ChildAction::trap) {
            out.push_back({ChildRequest::Kind::trap, e.connection, e.child});
          } else if (policy->close_action == config::ChildAction::start) {
            out.push_back({ChildRequest::Kind::initiate, e.connection, e.child});
          }
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaDeleted>) {
          ike_sas_.erase(e.ike_sa);
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaFailed>) {
          auto it = ike_sas_.find(e.ike_sa);
          if (it == ike_sas_.end()) return;
          const IkeRecord record = std::move(it->second);
          ike_sas_.erase(it);
          // dpd_action is for an IKE SA that was up and whose peer stopped answering (§2.4); a failed
          // negotiation is not retried from here.
          if (stopping || e.failure.reason != ikev2::FailureReason::peer_unreachable) return;
          const auto* policy = config.policy(record.connection);
          const auto* connection = config.connection(record.connection);
          if (policy == nullptr || connection == nullptr || policy->dpd_action == config::DpdAction::clear) return;
          const auto kind = policy->dpd_action == config::DpdAction::trap ? ChildRequest::Kind::trap
                                                                          : ChildRequest::Kind::initiate;
          // In configuration order, so a restart puts the first of them into IKE_AUTH.
          for (const auto& child : connection->children) {
            if (record.children.contains(child.name)) out.push_back({kind, record.connection, child.name});
          }
        }
      },
      event);
  return out;
}

}  // namespace ipsecd::daemon
