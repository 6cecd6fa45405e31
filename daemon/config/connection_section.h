// The [connections.NAME] sections: one IKE connection each, with its two sides and its children, checked
// against the credential sections.
#pragma once

#include "daemon/config/credentials.h"
#include "daemon/config/daemon_config.h"
#include "daemon/config/toml_reader.h"
#include "daemon/ike/ikev2/config.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::config {

struct Credentials {
  const std::map<std::string, CaEntry, std::less<>>& cas;
  const std::vector<SecretEntry>& secrets;
  TrustStores& trust;
};

struct ConnectionSection {
  ikev2::ConnectionConfig config;
  ConnectionPolicy policy;
};

struct ChildSection {
  ikev2::ChildConfig config;
  ChildPolicy policy;
};

// nullopt when the section has errors (all reported).
std::optional<ConnectionSection> read_connection_section(Diagnostics& diagnostics, const std::string& name,
                                                         const toml::table& table, Credentials& credentials);

// One [connections.NAME.children.CHILD] table; `path` is its dotted key.
std::optional<ChildSection> read_child_section(Diagnostics& diagnostics, const std::string& path,
                                               const std::string& name, const toml::table& table);

// Parses a list of proposals for `protocol`, reporting each bad one; nullopt when any was bad or the key
// is absent.
std::optional<std::vector<ikev2::ProposalConfig>> read_proposals(TableReader& reader, std::string_view key,
                                                                 iana::SecurityProtocolId protocol);

// Tables in the order they were written (TOML tables iterate sorted by key, but the first matching
// connection wins, so file order matters).
// Entries that are not tables are reported.
std::vector<std::pair<std::string, const toml::table*>> tables_in_file_order(Diagnostics& diagnostics,
                                                                             const toml::table& parent,
                                                                             const std::string& path);

}  // namespace ipsecd::config
