// OpenIKED as the interop peer: iked.conf and /etc/iked for one case, iked's process in the peer namespace,
// readiness from its debug log, and `ikectl show sa` parsed into a PeerView.
#include "tests/interop/openiked_peer.h"

#include "tests/kernel/daemon/spawn.h"
#include "tests/kernel/daemon/two_gateways.h"
#include "tests/netns/netns_support.h"
#include "tests/netns/text_files.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// Where tests/interop/stage/openiked.sh puts the key iked insists on even when every policy uses a PSK.
constexpr const char* psk_case_key = "/opt/ipsecd/openiked/local-psk.key";
// iked's compiled-in key directory (iked(8) FILES); its ca process chroots into it.
constexpr const char* iked_dir = "/etc/iked";

bool write_file_mode(const std::string& path, const std::string& text, mode_t mode) {
  return write_file(path, text) && chmod(path.c_str(), mode) == 0;
}

bool copy_file(const std::string& from, const std::string& to, mode_t mode) {
  std::ifstream in(from);
  if (!in) return false;
  std::stringstream text;
  text << in.rdbuf();
  return write_file_mode(to, text.str(), mode);
}

std::string hex_of(const std::string& text) {
  static const char digits[] = "0123456789abcdef";
  std::string hex = "0x";
  for (const unsigned char c : text) {
    hex += digits[c >> 4];
    hex += digits[c & 0xf];
  }
  return hex;
}

bool alive(pid_t pid) {
  int status = 0;
  return pid > 0 && waitpid(pid, &status, WNOHANG) == 0;
}

// iked's privilege separation drops to user _iked and chroots its unprivileged processes into that user's
// home; the VM's /etc/passwd knows only root.
bool ensure_iked_user(std::string& why) {
  const std::string passwd = read_file("/etc/passwd");
  if (passwd.find("\n_iked:") == std::string::npos && passwd.rfind("_iked:", 0) != 0) {
    std::ofstream("/etc/passwd", std::ios::app) << "_iked:x:65500:65500:iked privsep:/var/empty:/bin/false\n";
    std::ofstream("/etc/group", std::ios::app) << "_iked:x:65500:\n";
  }
  mkdir("/var", 0755);
  mkdir("/var/empty", 0755);
  if (chmod("/var/empty", 0755) != 0) {
    why = "cannot make iked's chroot directory /var/empty";
    return false;
  }
  return true;
}

}  // namespace

PeerView parse_ikectl_show_sa(const std::string& output) {
  PeerView view;
  view.raw = output;
  // iked_sas: 0x.. rspi 0x.. ispi 0x.. 192.0.2.2:500->192.0.2.1:500<FQDN/x>[] ESTABLISHED i nexti ...
  static const std::regex ike(R"(^iked_sas: \S+ rspi \S+ ispi \S+ \S+ (\S+) )");
  //   sa_childsas: 0xADDR ESP 0xSPI in|out SRC -> DST (FLAGS) B=.. P=0xPARTNER @0xIKESA
  static const std::regex child(R"(^\s+sa_childsas: (\S+) (ESP|AH) 0x([0-9a-f]+) (in|out) .* P=(\S+) )");
  struct Half {
    std::string partner;
    uint32_t spi = 0;
    bool in = false;
  };
  std::map<std::string, Half> halves;
  std::vector<std::string> order;
  bool under_established = false;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, ike)) {
      under_established = m[1] == "ESTABLISHED";
      view.ike_established = view.ike_established || under_established;
    } else if (under_established && std::regex_search(line, m, child)) {
      halves[m[1]] = {m[5], static_cast<uint32_t>(std::stoul(m[3], nullptr, 16)), m[4] == "in"};
      order.push_back(m[1]);
    } else if (line.rfind("iked_", 0) == 0) {
      // iked_activesas, iked_flows: the global tables repeat what the IKE SAs listed.
      under_established = false;
    }
  }
  for (const auto& address : order) {
    const Half& in = halves[address];
    if (!in.in) continue;
    const auto out = halves.find(in.partner);
    if (out == halves.end() || out->second.in) continue;
    view.children.push_back({in.spi, out->second.spi});
  }
  return view;
}

OpenikedPeer::OpenikedPeer() = default;

OpenikedPeer::~OpenikedPeer() { stop(); }

std::string OpenikedPeer::name() const {
  // `iked -V` prints "iked VERSION" (Debian's 7.2 prints "7.2").
  const auto r = run("iked -V 2>&1");
  static const std::regex version(R"((\d+\.\d+(\.\d+)?))");
  std::smatch m;
  if (r.status == 0 && std::regex_search(r.output, m, version)) return "OpenIKED " + m[1].str();
  return "OpenIKED";
}

std::string OpenikedPeer::unsupported(const InteropCase& c) const {
  if (c.auth == Auth::ed25519) {
    // iked 7.2 serializes its keys by type and knows RSA and ECDSA only: an Ed25519 local.key stops it at
    // start ("ca_privkey_serialize: unsupported key type 1087"); it has no RFC 8420 support either.
    return "iked 7.2 cannot load or verify Ed25519 keys (no RFC 8420 support)";
  }
  return {};
}

std::string OpenikedPeer::config(const PeerSetup& s) {
  const bool iked_initiates = s.c.role == Role::ipsecd_responder;
  std::string t = "# iked.conf for interop case " + to_string(s.c) + "\n";
  t += "ikev2 \"gw\" " + std::string(iked_initiates ? "active" : "passive") + " " +
       (s.c.mode == Mode::tunnel ? "tunnel" : "transport") + " esp \\\n";
  t += "  from " + s.local_ts + " to " + s.remote_ts + " \\\n";
  t += "  local " + s.address + " peer " + s.ipsecd_address + " \\\n";
  // PeerSetup's algorithms, but ESP with HMAC-SHA2-512-256 (see esp_proposal()).
  t += "  ikesa enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group ecp256 \\\n";
  t += "  childsa enc aes-256 auth hmac-sha2-512 noesn \\\n";
  t += "  srcid " + s.local_id + " dstid " + s.remote_id + " \\\n";
  // Long lifetimes: the rekeys a case checks are ipsecd's.
  t += "  ikelifetime 2h lifetime 2h";
  // The key in hex, so no character of it needs quoting in iked.conf.
  if (s.c.auth == Auth::psk) t += " \\\n  psk " + hex_of(s.psk);
  return t + "\n";
}

bool OpenikedPeer::install_keys(const PeerSetup& s, std::string& why) const {
  const std::string dir = iked_dir;
  run("rm -rf " + dir);
  for (const char* sub : {"", "/ca", "/certs", "/crls", "/private", "/pubkeys"}) {
    if (mkdir((dir + sub).c_str(), 0755) != 0) {
      why = "cannot make " + dir + sub;
      return false;
    }
  }
  chmod((dir + "/private").c_str(), 0700);
  const bool psk = s.c.auth == Auth::psk;
  // The private key iked signs with; iked derives its public key from it.
  if (!copy_file(psk ? std::string(psk_case_key) : s.private_key, dir + "/private/local.key", 0600)) {
    why = "cannot install iked's private key from " + (psk ? std::string(psk_case_key) : s.private_key);
    return false;
  }
  if (psk) return true;
  // Both CAs are trusted, so iked verifies ipsecd's chain whether or not ipsecd sends the intermediate;
  // its own certificate is found in certs/ by its subjectAltName (the srcid).
  if (!copy_file(s.root_ca, dir + "/ca/root-ca.pem", 0644) ||
      !copy_file(s.intermediate_ca, dir + "/ca/intermediate-ca.pem", 0644) ||
      !copy_file(s.certificate, dir + "/certs/local.pem", 0644)) {
    why = "cannot install the CA and peer certificates into " + dir;
    return false;
  }
  return true;
}

bool OpenikedPeer::start(const PeerSetup& setup, std::string& why) {
  stop();
  setup_ = setup;
  // OpenIKED on Linux keys the kernel through PF_KEY (RFC 2367).
  if (run("modprobe af_key 2>&1").status != 0 || access("/proc/net/pfkey", F_OK) != 0) {
    why = "no PF_KEY in this kernel (modprobe af_key failed)";
    return false;
  }
  if (!ensure_iked_user(why) || !install_keys(setup, why)) return false;
  const std::string conf = setup.work_dir + "/iked.conf";
  // iked refuses a configuration file others can read.
  if (!write_file_mode(conf, config(setup), 0600)) {
    why = "cannot write " + conf;
    return false;
  }
  unlink(socket().c_str());
  std::vector<std::string> argv = {"iked", "-d", "-v", "-v", "-f", conf, "-s", socket()};
  // When iked is to initiate, it starts globally passive and initiate() switches it active: until then it
  // sends nothing, so the runner decides when the exchange starts.
  if (setup.c.role == Role::ipsecd_responder) argv.push_back("-S");
  pid_ = spawn_in(setup.ns, log_file(), argv);
  if (pid_ < 0) {
    why = "fork failed";
    return false;
  }
  // iked answers on its socket before it is configured: its ikev2 process receives the policies, then the
  // global settings, and drops any IKE SA begun before that ("sa_free: reload"). The settings are the last
  // step and iked logs them (config_getstatic) at -vv.
  const bool ready = wait_until(20s, [&] {
    return !alive(pid_) || read_file(log_file()).find("config_getstatic:") != std::string::npos;
  });
  if (!alive(pid_)) {
    pid_ = -1;
    why = "iked exited at start:\n" + log();
    return false;
  }
  std::this_thread::sleep_for(300ms);
  int status = -1;
  ikectl("show sa", &status);
  if (!ready || status != 0) {
    why = "iked did not finish its start within 20 s:\n" + log();
    return false;
  }
  return true;
}

bool OpenikedPeer::initiate(std::string& why) {
  int status = -1;
  const std::string out = ikectl("active", &status);
  if (status != 0) {
    why = "ikectl active failed: " + out;
    return false;
  }
  PeerView last;
  const bool up = wait_until(20s, [&] {
    last = view();
    return last.ike_established && !last.children.empty();
  });
  if (!up) {
    why = "iked did not show an established IKE SA with a CHILD_SA within 20 s:\n" + last.raw;
    return false;
  }
  // Globally passive again: iked still answers and rekeys, but does not start a new IKE SA on its own once
  // ipsecd has taken the tunnel down (its initiator timer would, as for any active policy without an SA).
  const std::string passive = ikectl("passive", &status);
  if (status != 0) {
    why = "ikectl passive failed: " + passive;
    return false;
  }
  return true;
}

PeerView OpenikedPeer::view() const { return parse_ikectl_show_sa(ikectl("show sa")); }

void OpenikedPeer::stop() {
  if (pid_ > 0) {
    // The parent takes its privilege-separated children down with it on SIGTERM.
    stop_process(pid_);
  }
  if (!setup_.ns.empty() && access(("/run/netns/" + setup_.ns).c_str(), F_OK) == 0) {
    run(ip() + " -n " + setup_.ns + " xfrm state flush; " + ip() + " -n " + setup_.ns + " xfrm policy flush");
  }
}

std::string OpenikedPeer::log() const {
  // -vv logs every key derivation step and payload; the exchanges, states and errors are what explains a
  // failure.
  static const std::regex noise(
      "ikev2_prfplus|ikev2_sa_keys: |ikev2_next_payload|ikev2_pld_xform|ikev2_pld_attr|"
      "ikev2_msg_(en|de)crypt|ikev2_msg_integr|config_free_|_free: free");
  std::deque<std::string> tail;
  std::istringstream lines(read_file(log_file()));
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, noise)) continue;
    tail.push_back(line);
    if (tail.size() > 100) tail.pop_front();
  }
  std::string text;
  for (const auto& line : tail) text += line + "\n";
  return text;
}

std::string OpenikedPeer::ikectl(const std::string& args, int* status) const {
  const auto r = run("ikectl -s " + socket() + " " + args + " 2>&1");
  if (status != nullptr) *status = r.status;
  return r.output;
}

}  // namespace ipsecd::test
