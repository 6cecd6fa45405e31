// TOML configurations for the daemon tests: site-a (192.0.2.1, initiator at start) and site-b (192.0.2.2,
// responder) with one PSK connection and one tunnel child each.
#pragma once

#include <string>

namespace ipsecd::test {

// `start_action` for A's child: "start" initiates at start-up, "none" leaves the daemon idle. Each daemon
// needs a control socket of its own (`ctl_socket`), since the namespaces share the file system.
inline std::string site_a_config(const std::string& ctl_socket, const std::string& start_action = "start") {
  return R"([daemon]
listen = ["192.0.2.1"]
log_level = "debug"
ctl_socket = ")" + ctl_socket + R"("

[connections.site-a]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
proposals = ["aes256gcm16-prfsha256-x25519"]

[connections.site-a.local]
auth = "psk"
id = "gw-a.example.com"

[connections.site-a.remote]
auth = "psk"
id = "gw-b.example.com"

[connections.site-a.children.net]
local_ts = ["203.0.113.0/25"]
remote_ts = ["203.0.113.128/25"]
esp_proposals = ["aes256gcm16"]
start_action = ")" + start_action + R"("

[secrets.ab]
ids = ["gw-a.example.com", "gw-b.example.com"]
psk = "0x3f1e9a8c7b6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f3021120304a5b6c7"
)";
}

inline std::string site_b_config(const std::string& ctl_socket) {
  return R"([daemon]
listen = ["192.0.2.2"]
ctl_socket = ")" + ctl_socket + R"("

[connections.site-a]
local_addr = "192.0.2.2"
remote_addr = "192.0.2.1"
proposals = ["aes256gcm16-prfsha256-x25519"]

[connections.site-a.local]
auth = "psk"
id = "gw-b.example.com"

[connections.site-a.remote]
auth = "psk"
id = "gw-a.example.com"

[connections.site-a.children.net]
local_ts = ["203.0.113.128/25"]
remote_ts = ["203.0.113.0/25"]
esp_proposals = ["aes256gcm16"]

[secrets.ab]
ids = ["gw-a.example.com", "gw-b.example.com"]
psk = "0x3f1e9a8c7b6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f3021120304a5b6c7"
)";
}

}  // namespace ipsecd::test
