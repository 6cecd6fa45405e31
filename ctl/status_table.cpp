// Formats status listings, command results and events for people (the --json output is the schema).
#include "ctl/status_table.h"

#include "ctl/text_table.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace ipsecd::ctl {

namespace {

using Align = TextTable::Align;

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out.empty() ? "-" : out;
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string nat(bool local, bool remote) {
  if (local && remote) return "both";
  if (local) return "local";
  if (remote) return "remote";
  return "-";
}

std::string algorithms(const ChildSaInfo& child) {
  std::string out = child.encryption;
  if (!child.integrity.empty()) out += (out.empty() ? "" : "/") + child.integrity;
  if (child.esn) out += "/esn";
  return or_dash(out);
}

std::string two_digits(int64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

std::string section(const char* heading, const TextTable& table) {
  if (table.rows() == 0) return std::string(heading) + " none\n";
  return std::string(heading) + "\n" + table.render();
}

}  // namespace

std::string format_duration(const std::optional<int64_t>& seconds) {
  if (!seconds) return "-";
  int64_t s = *seconds;
  std::string sign;
  if (s < 0) {
    sign = "-";
    s = -s;
  }
  if (s < 60) return sign + std::to_string(s) + "s";
  if (s < 3600) return sign + std::to_string(s / 60) + "m" + two_digits(s % 60) + "s";
  if (s < 86400) return sign + std::to_string(s / 3600) + "h" + two_digits(s % 3600 / 60) + "m";
  return sign + std::to_string(s / 86400) + "d" + two_digits(s % 86400 / 3600) + "h";
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  constexpr std::array<const char*, 5> units{"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f %s", value, units[unit]);
  return text.data();
}

std::string format_connections(const std::vector<ConnectionInfo>& connections) {
  TextTable table({{"NAME"}, {"LOCAL"}, {"REMOTE"}, {"CHILDREN"}});
  for (const auto& c : connections)
    table.add_row({c.name, join(c.local_addrs, ","), join(c.remote_addrs, ","), join(c.children, ",")});
  return section("Connections:", table);
}

std::string format_ike_sas(const std::vector<IkeSaInfo>& ike_sas) {
  TextTable table({{"ID", Align::right},
                   {"CONNECTION"},
                   {"STATE"},
                   {"ROLE"},
                   {"LOCAL"},
                   {"REMOTE"},
                   {"LOCAL ID"},
                   {"REMOTE ID"},
                   {"PROPOSAL"},
                   {"UP", Align::right},
                   {"REKEY IN", Align::right},
                   {"NAT"}});
  for (const auto& sa : ike_sas)
    table.add_row({std::to_string(sa.unique_id), sa.connection, sa.state, sa.role, or_dash(sa.local),
                   or_dash(sa.remote), or_dash(sa.local_id), or_dash(sa.remote_id), or_dash(sa.proposal),
                   format_duration(sa.established_seconds), format_duration(sa.rekey_in_seconds),
                   nat(sa.nat_local, sa.nat_remote)});
  return section("IKE SAs:", table);
}

std::string format_child_sas(const std::vector<IkeSaInfo>& ike_sas) {
  TextTable table({{"IKE", Align::right},
                   {"CHILD"},
                   {"ID", Align::right},
                   {"STATE"},
                   {"MODE"},
                   {"PROTO"},
                   {"SPI IN"},
                   {"SPI OUT"},
                   {"ALGORITHMS"},
                   {"LOCAL TS"},
                   {"REMOTE TS"},
                   {"REKEY IN", Align::right},
                   {"LIFE", Align::right},
                   {"BYTES LEFT", Align::right},
                   {"IN", Align::right},
                   {"OUT", Align::right},
                   {"PKTS IN", Align::right},
                   {"PKTS OUT", Align::right},
                   {"OVERHEAD", Align::right},
                   {"MSS", Align::right}});
  for (const auto& sa : ike_sas)
    for (const auto& c : sa.children)
      table.add_row({std::to_string(sa.unique_id),
                     sa.connection + "/" + c.name,
                     std::to_string(c.unique_id),
                     c.state,
                     c.mode,
                     c.protocol,
                     c.spi_in,
                     c.spi_out,
                     algorithms(c),
                     join(c.local_ts, ","),
                     join(c.remote_ts, ","),
                     format_duration(c.rekey_in_seconds),
                     format_duration(c.life_in_seconds),
                     c.bytes_left ? format_bytes(*c.bytes_left) : "-",
                     format_bytes(c.bytes_in),
                     format_bytes(c.bytes_out),
                     std::to_string(c.packets_in),
                     std::to_string(c.packets_out),
                     std::to_string(c.overhead_bytes) + " B",
                     std::to_string(c.mss_1500)});
  return section("CHILD SAs:", table);
}

// Only the counters that are not zero, so that a drop stands out; the JSON has them all.
std::string format_counters(const std::map<std::string, uint64_t>& counters) {
  std::string out;
  for (const auto& [name, value] : counters) {
    if (value != 0) out += (out.empty() ? "" : ", ") + name + " " + std::to_string(value);
  }
  return "Counters: " + (out.empty() ? std::string("all zero") : out) + "\n";
}

std::string format_status(const Status& status) {
  return format_connections(status.connections) + "\n" + format_ike_sas(status.ike_sas) + "\n" +
         format_child_sas(status.ike_sas) + "\n" + format_counters(status.counters);
}

std::string format_up(const UpResult& result) {
  std::string out = result.connection + ": IKE SA " + std::to_string(result.ike_sa);
  if (!result.completed) return out + ", initiating\n";
  return out + " up, CHILD_SAs installed: " + join(result.children, ", ") + "\n";
}

std::string format_down(const DownResult& result) {
  std::string ids;
  for (auto id : result.ike_sas) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  if (ids.empty()) return result.connection + ": no IKE SA was up\n";
  return result.connection + ": IKE SA " + ids + (result.completed ? " deleted\n" : " deleting\n");
}

std::string format_reload(const ReloadResult& result) {
  std::string out = result.applied ? "reloaded" : "dry run, nothing applied";
  out += ": added " + join(result.added, ", ") + "; changed " + join(result.changed, ", ") + "; removed " +
         join(result.removed, ", ") + "\n";
  return out;
}

std::string format_version(const Version& daemon, const std::string& client_version) {
  return "ipsecctl " + client_version + ", " + daemon.daemon + " " + daemon.version + " (control protocol " +
         std::to_string(daemon.protocol) + ")\n";
}

std::string format_event(const Event& event) {
  std::array<char, 32> when{};
  const std::time_t t = static_cast<std::time_t>(event.time);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr || std::strftime(when.data(), when.size(), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    std::snprintf(when.data(), when.size(), "%lld", static_cast<long long>(event.time));
  std::string out = std::string(when.data()) + "  " + std::string(name(event.type)) + "  " + event.connection;
  if (event.child) out += "/" + *event.child;
  if (event.ike_sa) out += "  IKE SA " + std::to_string(*event.ike_sa);
  if (event.reason) out += "  " + *event.reason;
  return out + "\n";
}

}  // namespace ipsecd::ctl
