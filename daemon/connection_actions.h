// The daemon's policy around the engine's SAs: start_action (at start and reload), close_action (the peer
// closed a CHILD_SA or its IKE SA) and dpd_action (the peer was declared dead), decided from engine events
// and the configuration; the daemon carries the decisions out.
#pragma once

#include "daemon/config/config_diff.h"
#include "daemon/config/daemon_config.h"
#include "daemon/ike/ikev2/engine.h"
#include "daemon/ike/ikev2/events.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ipsecd::daemon {

// One thing to do for one child of a connection.
struct ChildRequest {
  enum class Kind : uint8_t {
    trap,      // Engine::install_trap: negotiate on the first packet
    untrap,    // Engine::uninstall_trap
    initiate,  // negotiate now
  };
  Kind kind = Kind::trap;
  std::string connection;
  std::string child;
  bool operator==(const ChildRequest&) const = default;
};

// The traps start_action asks for: one per child with start_action = trap of `connections`, in
// configuration order.
std::vector<ChildRequest> start_traps(const config::DaemonConfig& config, const std::vector<std::string>& connections);

// After a reload (`config` is the new snapshot, `traps` what the engine holds): traps of removed
// connections go; for changed connections, traps of children that are gone or no longer start_action =
// trap go and those with start_action = trap are installed again (the selectors may have changed).
// Added connections are left to the start actions.
std::vector<ChildRequest> reload_traps(const config::DaemonConfig& config, const config::ConfigDiff& diff,
                                       const std::vector<ikev2::TrapSummary>& traps);

// Follows the engine's events and answers each with what close_action and dpd_action ask for.
class ConnectionActions {
 public:
  // `config` is the running snapshot; `stopping`: during shutdown nothing is started again.
  std::vector<ChildRequest> on_event(const ikev2::Event& event, const config::DaemonConfig& config,
                                     bool stopping);

 private:
  // The children each established IKE SA carries, so that dpd_action knows what to restore.
  struct IkeRecord {
    std::string connection;
    std::multiset<std::string> children;  // a rekey briefly holds two of one name
  };
  std::map<uint64_t, IkeRecord> ike_sas_;
};

}  // namespace ipsecd::daemon
