// The daemon's immutable configuration snapshot: daemon settings, engine settings, connections and the
// daemon-level policy around them (when to start, what to do when a peer dies or closes).
#pragma once

#include "common/ip_address.h"
#include "daemon/ike/ikev2/config.h"

#include <botan/x509_crl.h>
#include <botan/x509cert.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipsecd::config {

inline constexpr std::string_view default_config_file = "/etc/ipsecd/ipsecd.toml";

enum class LogLevel : uint8_t { debug, info, notice, warning, error };

// What the daemon does when DPD or retransmission declares the peer dead: forget the SAs, install trap
// policies so that the next packet starts a new negotiation, or negotiate again at once.
enum class DpdAction : uint8_t { clear, trap, restart };

// What a CHILD_SA does when the daemon loads it (start_action) and when the peer deletes it
// (close_action): nothing, trap policies that negotiate on the first packet, or negotiate at once.
enum class ChildAction : uint8_t { none, trap, start };

std::string_view name(LogLevel level);
std::string_view name(DpdAction action);
std::string_view name(ChildAction action);

struct DaemonSettings {
  LogLevel log_level = LogLevel::info;
  std::filesystem::path ctl_socket = "/run/ipsecd/ctl.sock";
  // With a group the control socket is made 0660 and owned by it, so its members may run ipsecctl;
  // without one it is 0600 (root only).
  std::optional<std::string> ctl_group;
  std::vector<IpAddress> listen;  // empty: every address of the host
  uint16_t port = 500;            // IKE (RFC 7296 §2)
  uint16_t nat_port = 4500;       // IKE and ESP in UDP after NAT detection (RFC 3948, RFC 7296 §2.23)
  bool operator==(const DaemonSettings&) const = default;
};

// A trust anchor section [ca.NAME]: its certificates and the CRLs checked with them.
struct CaEntry {
  std::string name;
  std::vector<Botan::X509_Certificate> certificates;
  std::vector<Botan::X509_CRL> crls;
};

struct ChildPolicy {
  ChildAction start_action = ChildAction::none;
  ChildAction close_action = ChildAction::none;
  bool operator==(const ChildPolicy&) const = default;
};

struct ConnectionPolicy {
  DpdAction dpd_action = DpdAction::clear;
  // The [ca.*] sections the remote side's certificate chain may lead to, sorted; empty without a trust store.
  std::vector<std::string> remote_cas;
  std::map<std::string, ChildPolicy, std::less<>> children;  // by child name
  bool operator==(const ConnectionPolicy&) const = default;
};

struct DaemonConfig {
  std::filesystem::path file;                // the main file
  std::vector<std::filesystem::path> files;  // every file read, main first, in reading order
  DaemonSettings daemon;
  ikev2::EngineSettings engine;
  // In configuration order (files in reading order, sections in file order): the responder takes the
  // first connection whose addresses admit a peer, so order is meaningful. This is what Engine takes.
  std::vector<ikev2::ConnectionConfig> connections;
  std::map<std::string, ConnectionPolicy, std::less<>> policies;  // by connection name, one per connection
  std::map<std::string, CaEntry, std::less<>> cas;                // by section name

  const ikev2::ConnectionConfig* connection(std::string_view name) const;
  const ConnectionPolicy* policy(std::string_view name) const;
};

}  // namespace ipsecd::config
