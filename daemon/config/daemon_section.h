// The [daemon] section: logging, the control socket, listening addresses and ports, and engine timing.
#pragma once

#include "daemon/config/daemon_config.h"
#include "daemon/config/toml_reader.h"

namespace ipsecd::config {

// Reads `table` (the [daemon] section) over the defaults already in `daemon` and `engine`.
void read_daemon_section(Diagnostics& diagnostics, const toml::table& table, DaemonSettings& daemon,
                         ikev2::EngineSettings& engine);

}  // namespace ipsecd::config
