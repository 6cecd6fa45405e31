// What a reload changes: connections added, changed or removed between two snapshots, and whether the
// daemon-wide settings differ (for `ipsecctl reload --dry-run` and for applying only what changed).
#pragma once

#include "daemon/config/daemon_config.h"

#include <string>
#include <vector>

namespace ipsecd::config {

struct ConfigDiff {
  std::vector<std::string> added;    // in `next`'s order
  std::vector<std::string> changed;  // any field differs: addresses, proposals, identities, credentials
                                     // (PSK, keys, certificates, CA contents), children, policy
  std::vector<std::string> removed;  // in `old`'s order
  bool daemon_changed = false;       // [daemon] settings or engine settings
  bool empty() const { return added.empty() && changed.empty() && removed.empty() && !daemon_changed; }
};

ConfigDiff diff_configs(const DaemonConfig& old, const DaemonConfig& next);

}  // namespace ipsecd::config
