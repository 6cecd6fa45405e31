// The daemon's view of its SAs, kept from the engine's events: IKE SAs by unique id, CHILD_SAs by inbound
// SPI, both by connection name, each lookup O(1); what `status` lists and what log lines are labelled with.
#pragma once

#include "common/ip_address.h"
#include "daemon/ike/ikev2/events.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace ipsecd::daemon {

struct IkeSaRecord {
  uint64_t unique_id = 0;
  std::string connection;
  ikev2::IkeRole role{};
  Endpoint local;
  Endpoint remote;
  ikev2::Identity local_id;
  ikev2::Identity remote_id;
  ikev2::NegotiatedTransforms transforms;
  std::chrono::steady_clock::time_point established_at;
  uint32_t next_child = 1;                // ordinal of the next CHILD_SA made under this IKE SA
  std::unordered_set<uint32_t> children;  // inbound SPIs
};

struct ChildSaRecord {
  // "IKE.N": the IKE SA it was made under and its ordinal there, fixed for its life (it keeps the label
  // when an IKE SA rekey moves it to the successor, so one CHILD_SA's log lines stay greppable).
  std::string label;
  uint32_t ordinal = 0;  // N of the label
  uint64_t ike_sa = 0;   // the IKE SA that carries it now
  std::string connection;
  std::string name;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ikev2::IpsecMode mode{};
  ikev2::NegotiatedTransforms transforms;
  std::vector<ikev2::Selector> local_ts;
  std::vector<ikev2::Selector> remote_ts;
  std::chrono::steady_clock::time_point installed_at;
};

class SaRegistry {
 public:
  // Updates the tables for one engine event and returns the label its log line carries: "7" for an IKE
  // SA, "7.2" for a CHILD_SA (a failed CHILD_SA gets an ordinal too: it was an attempt of that IKE SA).
  std::string apply(const ikev2::Event& event, std::chrono::steady_clock::time_point now);

  const IkeSaRecord* ike_sa(uint64_t unique_id) const;
  const ChildSaRecord* child_sa(uint32_t spi_in) const;
  // Unique ids of the connection's established IKE SAs (unordered).
  std::vector<uint64_t> ike_sas_of(const std::string& connection) const;
  const std::unordered_map<uint64_t, IkeSaRecord>& ike_sas() const { return ike_; }
  const std::unordered_map<uint32_t, ChildSaRecord>& child_sas() const { return children_; }

 private:
  // "IKE.N" and N.
  std::pair<std::string, uint32_t> next_child_label(uint64_t ike_sa);
  void remove_child(uint32_t spi_in);
  void remove_ike(uint64_t unique_id);

  std::unordered_map<uint64_t, IkeSaRecord> ike_;
  std::unordered_map<uint32_t, ChildSaRecord> children_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> by_connection_;
  // Ordinals for CHILD_SAs of IKE SAs not (yet) established, e.g. the IKE_AUTH child failing with it.
  std::unordered_map<uint64_t, uint32_t> pending_ordinals_;
};

}  // namespace ipsecd::daemon
