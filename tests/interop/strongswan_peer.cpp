// StrongswanPeer: strongswan.conf (explicit plugin list, private vici socket and log) and swanctl.conf from
// the PeerSetup, charon spawned in the peer's namespace, swanctl for loading, initiating and listing.
#include "tests/interop/strongswan_peer.h"

#include "tests/kernel/daemon/spawn.h"

#include "tests/kernel/daemon/two_gateways.h"
#include "tests/netns/netns_support.h"
#include "tests/netns/text_files.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// 5.9.8 needs "kdf" for prf+ once the plugin list is explicit (tests/lib/charon_netns.sh).
constexpr const char* kPlugins =
    "random nonce openssl aes sha1 sha2 hmac gcm gmp kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints "
    "kernel-netlink socket-default vici";

// The VM stages charon and swanctl into /opt/ipsecd/bin (stage/strongswan.sh); elsewhere the package's paths.
std::string tool(const char* env, const char* staged, const char* installed) {
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  return access(staged, X_OK) == 0 ? staged : installed;
}

std::string strongswan_conf(const std::string& dir) {
  return "charon {\n  load_modular = no\n  load = " + std::string(kPlugins) +
         "\n  install_routes = no\n  install_virtual_ip = no\n"
         "  plugins {\n    vici {\n      socket = unix://" + dir + "/charon.vici\n    }\n  }\n"
         "  syslog {\n    daemon {\n      default = -1\n    }\n  }\n"
         "  filelog {\n    main {\n      path = " + dir + "/charon.log\n      append = no\n      flush_line = yes\n"
         "      ike_name = yes\n      time_format = %H:%M:%S\n      default = 1\n      ike = 2\n      knl = 2\n"
         "      cfg = 2\n      chd = 2\n    }\n  }\n}\n"
         // swanctl reads this file too: its own plugin list (the compiled-in one names absent plugins).
         "swanctl {\n  load = pem pkcs1 pkcs8 x509 openssl random nonce\n  socket = unix://" + dir +
         "/charon.vici\n}\n";
}

// Long lifetimes on this side (PeerSetup): every rekey the case sees is ipsecd's.
std::string swanctl_conf(const PeerSetup& s) {
  const bool psk = s.c.auth == Auth::psk;
  const std::string auth = psk ? "psk" : "pubkey";
  std::string t = "connections {\n  gw {\n    version = 2\n    local_addrs = " + s.address +
                  "\n    remote_addrs = " + s.ipsecd_address +
                  "\n    proposals = aes256-sha256-ecp256\n    rekey_time = 4h\n    reauth_time = 0\n";
  t += "    local {\n      auth = " + auth + "\n      id = " + s.local_id + "\n";
  if (!psk) t += "      certs = " + std::filesystem::path(s.certificate).filename().string() + "\n";
  t += "    }\n    remote {\n      auth = " + auth + "\n      id = " + s.remote_id + "\n    }\n";
  t += "    children {\n      net {\n        local_ts = " + s.local_ts + "\n        remote_ts = " + s.remote_ts +
       "\n        mode = " + (s.c.mode == Mode::tunnel ? "tunnel" : "transport") +
       "\n        esp_proposals = aes256-sha256\n        rekey_time = 4h\n        start_action = none\n"
       "      }\n    }\n  }\n}\n";
  if (psk) {
    t += "secrets {\n  ike-gw {\n    id-1 = " + s.local_id + "\n    id-2 = " + s.remote_id + "\n    secret = \"" +
         s.psk + "\"\n  }\n}\n";
  }
  return t;
}

// Copies the certificate case's files where `swanctl --load-all` looks for them (SWANCTL_DIR's x509,
// x509ca and private); the first problem, or empty.
std::string place_credentials(const PeerSetup& s) {
  namespace fs = std::filesystem;
  std::error_code error;
  for (const auto& [sub, files] : {std::pair<const char*, std::vector<std::string>>{"x509", {s.certificate}},
                                   {"x509ca", {s.intermediate_ca, s.root_ca}},
                                   {"private", {s.private_key}}}) {
    const fs::path dir = fs::path(s.work_dir) / sub;
    fs::create_directories(dir, error);
    for (const auto& file : files) {
      if (!error) fs::copy_file(file, dir / fs::path(file).filename(), fs::copy_options::overwrite_existing, error);
    }
    if (error) return "cannot copy credentials into " + dir.string() + ": " + error.message();
  }
  return {};
}

}  // namespace

std::string StrongswanPeer::unsupported(const InteropCase&) const { return {}; }

std::string StrongswanPeer::swanctl(const std::string& args, int* status) const {
  const auto r = run("STRONGSWAN_CONF=" + setup_.work_dir + "/strongswan.conf SWANCTL_DIR=" + setup_.work_dir +
                     " " + tool("IPSECD_INTEROP_SWANCTL", "/opt/ipsecd/bin/swanctl", "/usr/sbin/swanctl") + " " +
                     args + " --uri unix://" + setup_.work_dir + "/charon.vici");
  if (status != nullptr) *status = r.status;
  return r.output;
}

bool StrongswanPeer::start(const PeerSetup& setup, std::string& why) {
  stop();
  setup_ = setup;
  const std::string& dir = setup_.work_dir;
  if (!write_file(dir + "/strongswan.conf", strongswan_conf(dir)) ||
      !write_file(dir + "/swanctl.conf", swanctl_conf(setup_))) {
    why = "cannot write the configuration into " + dir;
    return false;
  }
  if (setup_.c.auth != Auth::psk) {
    why = place_credentials(setup_);
    if (!why.empty()) return false;
  }
  // charon refuses to run without its pid file, /var/run/charon.pid; the VM's root has no /var/run.
  std::error_code ignored;
  std::filesystem::create_directories("/var/run", ignored);
  const std::string charon = tool("IPSECD_INTEROP_CHARON", "/opt/ipsecd/bin/charon", "/usr/lib/ipsec/charon");
  const std::string conf = dir + "/strongswan.conf";
  const std::string out = dir + "/charon.out";
  // env sets charon's configuration file and execs it, so the pid is charon's.
  pid_ = spawn_in(setup_.ns, out, {"env", "STRONGSWAN_CONF=" + conf, charon}, OutputFile::truncate);
  if (pid_ < 0) {
    why = "fork failed";
    return false;
  }
  bool exited = false;
  const bool up = wait_until(15s, [&] {
    int status = 0;
    exited = exited || waitpid(pid_, &status, WNOHANG) == pid_;
    if (exited) return true;
    int rc = -1;
    swanctl("--stats", &rc);
    return rc == 0;
  });
  if (exited || !up) {
    if (exited) pid_ = -1;
    why = std::string("charon ") + (exited ? "exited" : "did not answer on its vici socket within 15 s") + ":\n" +
          read_file(out) + log();
    return false;
  }
  int rc = -1;
  const std::string loaded = swanctl("--load-all --noprompt --file " + dir + "/swanctl.conf", &rc);
  if (rc != 0) {
    why = "swanctl --load-all failed:\n" + loaded;
    return false;
  }
  return true;
}

bool StrongswanPeer::initiate(std::string& why) {
  int rc = -1;
  const std::string out = swanctl("--initiate --child net --timeout 20", &rc);
  if (rc != 0) {
    why = "swanctl --initiate failed (" + std::to_string(rc) + "):\n" + out;
    return false;
  }
  PeerView v;
  if (!wait_until(5s, [&] { return !(v = view()).children.empty(); })) {
    why = "swanctl --initiate succeeded but --list-sas shows no installed CHILD_SA:\n" + v.raw;
    return false;
  }
  return true;
}

PeerView StrongswanPeer::view() const {
  if (pid_ <= 0) return {};
  return parse_swanctl_list_sas(swanctl("--list-sas"));
}

void StrongswanPeer::stop() {
  if (pid_ > 0) stop_process(pid_);
}

std::string StrongswanPeer::log() const {
  return setup_.work_dir.empty() ? std::string() : read_file(setup_.work_dir + "/charon.log");
}

PeerView parse_swanctl_list_sas(const std::string& output) {
  // gw: #1, ESTABLISHED, IKEv2, ...          an IKE SA
  //   net: #2, reqid 1, INSTALLED, TUNNEL, ESP:AES_CBC-256/HMAC_SHA2_256_128
  //     in  c3a1f7e2,    840 bytes,    10 packets,     0s ago
  //     out 0f9e8d7c,    840 bytes,    10 packets,     0s ago
  static const std::regex ike(R"(^\S+: #\d+, (\w+), IKEv2)");
  static const std::regex child(R"(^\s+\S+: #\d+, reqid \d+, (\w+), )");
  static const std::regex in(R"(^\s+in\s+([0-9a-f]{8}))");
  static const std::regex out(R"(^\s+out\s+([0-9a-f]{8}))");
  PeerView v;
  v.raw = output;
  bool installed = false;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, ike)) {
      v.ike_established = v.ike_established || m[1] == "ESTABLISHED";
      installed = false;
    } else if (std::regex_search(line, m, child)) {
      installed = m[1] == "INSTALLED";
      if (installed) v.children.emplace_back();
    } else if (installed && std::regex_search(line, m, in)) {
      v.children.back().inbound_spi = static_cast<uint32_t>(std::stoul(m[1], nullptr, 16));
    } else if (installed && std::regex_search(line, m, out)) {
      v.children.back().outbound_spi = static_cast<uint32_t>(std::stoul(m[1], nullptr, 16));
    }
  }
  return v;
}

}  // namespace ipsecd::test
