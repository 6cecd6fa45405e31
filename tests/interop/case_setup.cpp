// ipsecd's TOML for an interop case and the PeerSetup mirroring it, from the fixture PKI and fixed addresses.
#include "tests/interop/case_setup.h"

#include "tests/kernel/daemon/two_gateways.h"

namespace ipsecd::test {
namespace {

constexpr const char* kPsk = "interop-psk-7f3c9a1e5b2d4c6e8a0b1c2d3e4f5a6b";
constexpr const char* kIpsecdAddress = "192.0.2.1";
constexpr const char* kPeerAddress = "192.0.2.2";
constexpr const char* kIpsecdLan = "198.51.100.0/24";
constexpr const char* kPeerLan = "203.0.113.0/24";

std::string seconds(int s) { return "\"" + std::to_string(s) + "s\""; }

}  // namespace

std::string ipsecd_id(const InteropCase& c) {
  return c.auth == Auth::psk ? "ipsecd.example.com" : to_string(c.auth) + ".example.com";
}

std::string peer_id(const InteropCase& c) {
  return c.auth == Auth::psk ? "peer.example.com" : "peer-" + to_string(c.auth) + ".example.com";
}

std::string ipsecd_config(const InteropCase& c, const std::string& ctl_socket, const RekeyTiming& timing,
                          const std::string& esp, const std::string& daemon_settings) {
  const bool psk = c.auth == Auth::psk;
  const std::string auth = psk ? "psk" : "pubkey";
  const std::string pki = pki_dir();
  const std::string own = pki + "/ee-" + to_string(c.auth);
  std::string t = "[daemon]\nctl_socket = \"" + ctl_socket + "\"\n" + daemon_settings + "\n";
  t += "[connections.gw]\nlocal_addr = \"" + std::string(kIpsecdAddress) + "\"\nremote_addr = \"" + kPeerAddress +
       "\"\nproposals = [\"aes256-sha256-ecp256\"]\n";
  t += "rekey_time = " + seconds(timing.ike_rekey_s) + "\nrekey_jitter = " + seconds(timing.ike_jitter_s) + "\n";
  t += "\n[connections.gw.local]\nauth = \"" + auth + "\"\nid = \"" + ipsecd_id(c) + "\"\n";
  if (!psk) t += "certs = [\"" + own + ".pem\", \"" + pki + "/intermediate-ca.pem\"]\n";
  t += "\n[connections.gw.remote]\nauth = \"" + auth + "\"\nid = \"" + peer_id(c) + "\"\n";
  if (!psk) t += "ca = [\"test-root\"]\n";
  t += "\n[connections.gw.children.net]\n";
  t += std::string("mode = \"") + (c.mode == Mode::tunnel ? "tunnel" : "transport") + "\"\n";
  if (c.mode == Mode::tunnel) {
    t += "local_ts = [\"" + std::string(kIpsecdLan) + "\"]\nremote_ts = [\"" + kPeerLan + "\"]\n";
  }
  t += "esp_proposals = [\"" + esp + "\"]\nstart_action = \"none\"\n";
  t += "rekey_time = " + seconds(timing.child_rekey_s) + "\nrekey_jitter = " + seconds(timing.child_jitter_s) +
       "\nlife_time = " + seconds(timing.child_life_s) + "\n";
  if (psk) {
    t += "\n[secrets.gw]\nids = [\"" + ipsecd_id(c) + "\", \"" + peer_id(c) + "\"]\npsk = \"" + kPsk + "\"\n";
  } else {
    t += "\n[ca.test-root]\ncertificate = \"" + pki + "/root-ca.pem\"\n";
    t += "\n[secrets.own-key]\nprivate_key = \"" + own + ".key.pem\"\n";
  }
  return t;
}

PeerSetup peer_setup(const InteropCase& c, const std::string& ns, const std::string& work_dir) {
  PeerSetup s;
  s.c = c;
  s.ns = ns;
  s.work_dir = work_dir;
  s.address = kPeerAddress;
  s.ipsecd_address = kIpsecdAddress;
  if (c.mode == Mode::tunnel) {
    s.local_ts = kPeerLan;
    s.remote_ts = kIpsecdLan;
  } else {
    s.local_ts = std::string(kPeerAddress) + "/32";
    s.remote_ts = std::string(kIpsecdAddress) + "/32";
  }
  s.local_id = peer_id(c);
  s.remote_id = ipsecd_id(c);
  if (c.auth == Auth::psk) {
    s.psk = kPsk;
  } else {
    const std::string pki = pki_dir();
    s.certificate = pki + "/peer-" + to_string(c.auth) + ".pem";
    s.private_key = pki + "/peer-" + to_string(c.auth) + ".key.pem";
    s.intermediate_ca = pki + "/intermediate-ca.pem";
    s.root_ca = pki + "/root-ca.pem";
  }
  return s;
}

}  // namespace ipsecd::test
