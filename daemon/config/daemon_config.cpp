// Lookups and names for the configuration snapshot.
#include "daemon/config/daemon_config.h"

#include <algorithm>

namespace ipsecd::config {

std::string_view name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::notice: return "notice";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string_view name(DpdAction action) {
  switch (action) {
    case DpdAction::clear: return "clear";
    case DpdAction::trap: return "trap";
    case DpdAction::restart: return "restart";
  }
  return "clear";
}

std::string_view name(ChildAction action) {
  switch (action) {
    case ChildAction::none: return "none";
    case ChildAction::trap: return "trap";
    case ChildAction::start: return "start";
  }
  return "none";
}

const ikev2::ConnectionConfig* DaemonConfig::connection(std::string_view wanted) const {
  auto it = std::find_if(connections.begin(), connections.end(),
                         [&](const ikev2::ConnectionConfig& c) { return c.name == wanted; });
  return it == connections.end() ? nullptr : &*it;
}

const ConnectionPolicy* DaemonConfig::policy(std::string_view wanted) const {
  auto it = policies.find(wanted);
  return it == policies.end() ? nullptr : &it->second;
}

}  // namespace ipsecd::config
