// Loading ipsecd's TOML configuration (the main file and what it includes) into an immutable snapshot.
#pragma once

#include "common/expected.h"
#include "daemon/config/config_error.h"
#include "daemon/config/daemon_config.h"

#include <filesystem>
#include <memory>
#include <vector>

namespace ipsecd::config {

// Reads `file` and the files its `include` globs name (relative to the including file's directory,
// sorted, each read once), checks every value and every cross-reference (secrets, CAs, certificates and
// keys on disk), and returns the snapshot, or every error found, each naming its file, line and key.
Expected<std::shared_ptr<const DaemonConfig>, std::vector<ConfigError>> load_config(
    const std::filesystem::path& file = std::filesystem::path(default_config_file));

}  // namespace ipsecd::config
