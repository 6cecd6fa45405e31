// ipsecctl's human output: the status listing as aligned tables, results and events as short lines.
#pragma once

#include "ctl/protocol.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::ctl {

// Tables with a heading each ("Connections:", "IKE SAs:", "CHILD SAs:"); an empty one says "none".
std::string format_connections(const std::vector<ConnectionInfo>& connections);
std::string format_ike_sas(const std::vector<IkeSaInfo>& ike_sas);
std::string format_child_sas(const std::vector<IkeSaInfo>& ike_sas);
// "Counters: NAME VALUE, ..." for the counters that are not zero ("Counters: all zero").
std::string format_counters(const std::map<std::string, uint64_t>& counters);
// All three tables and the counters, separated by blank lines.
std::string format_status(const Status& status);

std::string format_up(const UpResult& result);
std::string format_down(const DownResult& result);
std::string format_reload(const ReloadResult& result);
std::string format_version(const Version& daemon, const std::string& client_version);
// One line: UTC time, type, connection[/child], IKE SA id, reason.
std::string format_event(const Event& event);

// "-" when absent; else the largest two units: "45s", "12m03s", "3h05m", "2d04h".
std::string format_duration(const std::optional<int64_t>& seconds);
// Bytes in binary units with one decimal above 1 KiB: "512 B", "1.5 KiB", "23.0 MiB".
std::string format_bytes(uint64_t bytes);

}  // namespace ipsecd::ctl
