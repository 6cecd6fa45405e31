// The daemon-wide counters `ipsecctl status` shows: datagrams in and out, what was dropped and why, and the
// kernel events handled, by the names ctl/PROTOCOL.md documents.
#pragma once

#include "daemon/daemon.h"
#include "daemon/ike/ikev2/engine.h"
#include "daemon/io/ike_sockets.h"

#include <cstdint>
#include <map>
#include <string>

namespace ipsecd::daemon {

std::map<std::string, uint64_t> status_counters(const DaemonCounters& daemon,
                                                const ikev2::EngineCounters& engine,
                                                const IkeSocketCounters& sockets);

}  // namespace ipsecd::daemon
