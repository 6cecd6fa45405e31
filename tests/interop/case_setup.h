// Both sides' settings for one interop case: ipsecd's TOML and the PeerSetup the peer mirrors it from.
#pragma once

#include "tests/interop/interop_case.h"
#include "tests/interop/peer.h"

#include <string>

namespace ipsecd::test {

// ipsecd's short lifetimes, so that it rekeys (CHILD_SA, then IKE SA) while a case's traffic runs. The
// peer's are an hour or more: every rekey a case sees is one ipsecd initiated.
struct RekeyTiming {
  int child_rekey_s = 6, child_jitter_s = 1, child_life_s = 20;
  int ike_rekey_s = 10, ike_jitter_s = 1;
};

// ipsecd's identity and the peer's for `c`: FQDNs for PSK, the certificates' DNS names otherwise.
std::string ipsecd_id(const InteropCase& c);
std::string peer_id(const InteropCase& c);

// ipsecd's configuration (gw-left, 192.0.2.1, LAN 198.51.100.0/24): connection "gw", child "net",
// IKE aes256-sha256-ecp256, ESP `esp` (Peer::esp_proposal), start_action none (the runner or the peer
// initiates); `daemon_settings` (Peer::ipsecd_daemon_settings) go into its [daemon] section.
std::string ipsecd_config(const InteropCase& c, const std::string& ctl_socket, const RekeyTiming& timing,
                          const std::string& esp = "aes256-sha256", const std::string& daemon_settings = "");

// What the peer (gw-right, 192.0.2.2, LAN 203.0.113.0/24) needs to mirror that configuration.
PeerSetup peer_setup(const InteropCase& c, const std::string& ns, const std::string& work_dir);

}  // namespace ipsecd::test
