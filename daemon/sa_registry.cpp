// SaRegistry: the engine's events applied to the daemon's SA tables.
#include "daemon/sa_registry.h"

#include <tuple>
#include <type_traits>

namespace ipsecd::daemon {

std::pair<std::string, uint32_t> SaRegistry::next_child_label(uint64_t ike_sa) {
  uint32_t ordinal = 0;
  if (auto it = ike_.find(ike_sa); it != ike_.end()) {
    ordinal = it->second.next_child++;
  } else {
    auto& pending = pending_ordinals_[ike_sa];
    ordinal = ++pending;
  }
  return {std::to_string(ike_sa) + "." + std::to_string(ordinal), ordinal};
}

void SaRegistry::remove_child(uint32_t spi_in) {
  auto it = children_.find(spi_in);
  if (it == children_.end()) return;
  if (auto ike = ike_.find(it->second.ike_sa); ike != ike_.end()) ike->second.children.erase(spi_in);
  children_.erase(it);
}

void SaRegistry::remove_ike(uint64_t unique_id) {
  pending_ordinals_.erase(unique_id);
  auto it = ike_.find(unique_id);
  if (it == ike_.end()) return;
  for (const uint32_t spi : it->second.children) children_.erase(spi);
  if (auto conn = by_connection_.find(it->second.connection); conn != by_connection_.end()) {
    conn->second.erase(unique_id);
    if (conn->second.empty()) by_connection_.erase(conn);
  }
  ike_.erase(it);
}

std::string SaRegistry::apply(const ikev2::Event& event, std::chrono::steady_clock::time_point now) {
  return std::visit(
      [&](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ikev2::IkeSaEstablished>) {
          IkeSaRecord record;
          record.unique_id = e.ike_sa;
          record.connection = e.connection;
          record.role = e.role;
          record.local = e.local;
          record.remote = e.remote;
          record.local_id = e.local_id;
          record.remote_id = e.remote_id;
          record.transforms = e.transforms;
          record.established_at = now;
          // A CHILD_SA that failed inside IKE_AUTH before this event keeps its ordinal.
          if (auto p = pending_ordinals_.find(e.ike_sa); p != pending_ordinals_.end()) {
            record.next_child = p->second + 1;
            pending_ordinals_.erase(p);
          }
          ike_[e.ike_sa] = std::move(record);
          by_connection_[e.connection].insert(e.ike_sa);
          return std::to_string(e.ike_sa);
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaFailed> ||
                             std::is_same_v<T, ikev2::IkeSaDeleted>) {
          remove_ike(e.ike_sa);
          return std::to_string(e.ike_sa);
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaRekeyed>) {
          // The engine reports the successor of an IKE SA rekey with this event only (no IkeSaEstablished),
          // so its record starts as a copy of the predecessor's: a rekey keeps the connection, endpoints and
          // identities (RFC 7296 §1.3.2, §2.18), but not the algorithms, which the rekey chose afresh.
          // Status takes the role from the engine, not from here. Then the children move over to it.
          auto old = ike_.find(e.old_ike_sa);
          auto fresh = ike_.find(e.new_ike_sa);
          if (old != ike_.end() && fresh == ike_.end()) {
            IkeSaRecord record = old->second;
            record.unique_id = e.new_ike_sa;
            record.transforms = e.transforms;
            record.established_at = now;
            record.next_child = 1;
            if (auto p = pending_ordinals_.find(e.new_ike_sa); p != pending_ordinals_.end()) {
              record.next_child = p->second + 1;
              pending_ordinals_.erase(p);
            }
            record.children.clear();
            fresh = ike_.emplace(e.new_ike_sa, std::move(record)).first;
            old = ike_.find(e.old_ike_sa);
            by_connection_[e.connection].insert(e.new_ike_sa);
          }
          if (old != ike_.end() && fresh != ike_.end()) {
            for (const uint32_t spi : old->second.children) {
              if (auto child = children_.find(spi); child != children_.end())
                child->second.ike_sa = e.new_ike_sa;
              fresh->second.children.insert(spi);
            }
            old->second.children.clear();
          }
          return std::to_string(e.new_ike_sa);
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaInstalled>) {
          ChildSaRecord record;
          std::tie(record.label, record.ordinal) = next_child_label(e.ike_sa);
          record.ike_sa = e.ike_sa;
          record.connection = e.connection;
          record.name = e.child;
          record.reqid = e.reqid;
          record.spi_in = e.spi_in;
          record.spi_out = e.spi_out;
          record.mode = e.mode;
          record.transforms = e.transforms;
          record.local_ts = e.local_ts;
          record.remote_ts = e.remote_ts;
          record.installed_at = now;
          std::string label = record.label;
          remove_child(e.spi_in);
          children_[e.spi_in] = std::move(record);
          if (auto ike = ike_.find(e.ike_sa); ike != ike_.end()) ike->second.children.insert(e.spi_in);
          return label;
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaFailed>) {
          return next_child_label(e.ike_sa).first;
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaDeleted>) {
          auto it = children_.find(e.spi_in);
          std::string label = it != children_.end() ? it->second.label : std::to_string(e.ike_sa) + ".?";
          remove_child(e.spi_in);
          return label;
        } else {
          static_assert(std::is_same_v<T, ikev2::ChildSaRekeyed>);
          // The new CHILD_SA was reported installed; the old one stays until its ChildSaDeleted.
          auto it = children_.find(e.new_spi_in);
          return it != children_.end() ? it->second.label : std::to_string(e.ike_sa) + ".?";
        }
      },
      event);
}

const IkeSaRecord* SaRegistry::ike_sa(uint64_t unique_id) const {
  auto it = ike_.find(unique_id);
  return it == ike_.end() ? nullptr : &it->second;
}

const ChildSaRecord* SaRegistry::child_sa(uint32_t spi_in) const {
  auto it = children_.find(spi_in);
  return it == children_.end() ? nullptr : &it->second;
}

std::vector<uint64_t> SaRegistry::ike_sas_of(const std::string& connection) const {
  auto it = by_connection_.find(connection);
  if (it == by_connection_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace ipsecd::daemon
