// Reads [daemon]: log level, control socket and its group, listening addresses and ports, retransmission
// (RFC 7296 §2.1), half-open limits and cookies (§2.6), fragmentation (RFC 7383).
#include "daemon/config/daemon_section.h"

#include <grp.h>

#include <vector>

namespace ipsecd::config {
namespace {

bool group_exists(const std::string& group) {
  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer(16384);
  return getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr;
}

}  // namespace

void read_daemon_section(Diagnostics& diagnostics, const toml::table& table, DaemonSettings& daemon,
                         ikev2::EngineSettings& engine) {
  TableReader r(diagnostics, table, "daemon",
                {"log_level", "ctl_socket", "ctl_group", "listen", "port", "nat_port", "retransmit_timeout",
                 "retransmit_base", "retransmit_tries", "half_open_timeout", "cookie_threshold",
                 "fragment_size"});

  if (auto level = r.choice<LogLevel>("log_level", {{"debug", LogLevel::debug},
                                                    {"info", LogLevel::info},
                                                    {"notice", LogLevel::notice},
                                                    {"warning", LogLevel::warning},
                                                    {"error", LogLevel::error}})) {
    daemon.log_level = *level;
  }
  if (auto socket = r.string("ctl_socket")) {
    if (!std::filesystem::path(*socket).is_absolute()) {
      r.error("ctl_socket", "\"" + *socket + "\" is not an absolute path: the control socket needs one");
    } else {
      daemon.ctl_socket = *socket;
    }
  }
  if (auto group = r.string("ctl_group")) {
    if (!group_exists(*group)) {
      r.error("ctl_group", "there is no group \"" + *group + "\" on this host: create it or name another");
    } else {
      daemon.ctl_group = *group;
    }
  }
  if (auto listen = r.strings("listen", false)) {
    for (const StringItem& item : *listen) {
      auto address = IpAddress::parse(item.text);
      if (!address) {
        r.error_at(*item.at, item.key, "\"" + item.text + "\" is not an IPv4 or IPv6 address: " + address.error());
        continue;
      }
      daemon.listen.push_back(*address);
    }
  }
  if (auto port = r.integer("port", 1, 65535)) daemon.port = static_cast<uint16_t>(*port);
  if (auto port = r.integer("nat_port", 1, 65535)) daemon.nat_port = static_cast<uint16_t>(*port);
  if (daemon.port == daemon.nat_port) {
    r.error(r.has("nat_port") ? "nat_port" : "port",
            "port and nat_port are both " + std::to_string(daemon.port) +
                ": NAT traversal needs a port of its own (RFC 3948)");
  }

  if (auto timeout = r.duration("retransmit_timeout")) {
    if (timeout->count() < 100) r.error("retransmit_timeout", "must be at least 100ms");
    else engine.retransmit_timeout = *timeout;
  }
  if (auto base = r.number("retransmit_base", 1.0, 10.0)) engine.retransmit_base = *base;
  if (auto tries = r.integer("retransmit_tries", 0, 20)) engine.retransmit_tries = static_cast<unsigned>(*tries);
  if (auto timeout = r.duration("half_open_timeout")) {
    if (timeout->count() < 1000) r.error("half_open_timeout", "must be at least 1s");
    else engine.half_open_timeout = *timeout;
  }
  if (auto threshold = r.integer("cookie_threshold", 0, 1'000'000)) {
    engine.cookie_threshold = static_cast<size_t>(*threshold);
  }
  // 576 is the smallest datagram every IPv4 host must accept (RFC 791), so smaller fragments only add
  // overhead; 65000 stays below the UDP limit with headers.
  if (auto size = r.integer("fragment_size", 576, 65000)) engine.fragment_size = static_cast<size_t>(*size);
}

}  // namespace ipsecd::config
