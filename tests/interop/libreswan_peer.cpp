// Libreswan 4.10 as an interop peer: writes pluto's configuration, secrets and NSS database, starts pluto in
// the peer's namespace, initiates with whack and reads its SAs back from whack's status output.
#include "tests/interop/libreswan_peer.h"

#include "tests/kernel/daemon/two_gateways.h"
#include "tests/netns/netns_support.h"
#include "tests/netns/text_files.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// Libreswan reads a bare name as a host name to resolve; "@" makes it an FQDN identity (ipsec.conf(5)).
std::string fqdn_id(const std::string& id) { return "@" + id; }

std::string ns_exec(const std::string& ns) { return "nsenter --net=/run/netns/" + ns + " "; }

const char* kCertNickname = "peer";

}  // namespace

std::string LibreswanPeer::unsupported(const InteropCase& c) const {
  // pluto 4.10 authenticates with RSA and ECDSA signatures only: authby= offers rsasig, rsa-sha1/sha2 and
  // ecdsa, and neither pluto nor addconn contains any EdDSA or Ed25519 code (strings of the binaries).
  if (c.auth == Auth::ed25519) return "Libreswan 4.10 has no Ed25519 (RFC 8420) authentication";
  return {};
}

std::string LibreswanPeer::config(const PeerSetup& s) {
  const bool tunnel = s.c.mode == Mode::tunnel;
  std::string t = "config setup\n  plutodebug=none\n  uniqueids=yes\n\n";
  t += "conn gw\n";
  // Libreswan 4.10 would also speak IKEv1; the matrix is IKEv2 only.
  t += "  ikev2=insist\n";
  t += "  left=" + s.address + "\n  right=" + s.ipsecd_address + "\n";
  t += "  leftid=" + fqdn_id(s.local_id) + "\n  rightid=" + fqdn_id(s.remote_id) + "\n";
  switch (s.c.auth) {
    case Auth::psk:
      t += "  authby=secret\n";
      break;
    case Auth::rsa:
      t += "  authby=rsasig\n";
      break;
    case Auth::ecdsa:
    case Auth::ed25519:
      t += "  authby=ecdsa\n";
      break;
  }
  // rightca=%same: ipsecd's certificate must come from the CA that issued ours (the intermediate);
  // sendca=issuer sends that intermediate along, since ipsecd trusts only the root (the default is none).
  if (s.c.auth != Auth::psk)
    t += std::string("  leftcert=") + kCertNickname + "\n  rightca=%same\n  sendca=issuer\n";
  if (tunnel) {
    t += "  type=tunnel\n  leftsubnet=" + s.local_ts + "\n  rightsubnet=" + s.remote_ts + "\n";
  } else {
    t += "  type=transport\n";
  }
  // The algorithms PeerSetup names: AES-CBC-256 with HMAC-SHA2-256 (integrity and PRF) and ecp256 for IKE,
  // AES-CBC-256 with HMAC-SHA2-256-128 for ESP, no PFS.
  t += "  ike=aes256-sha2_256;dh19\n  esp=aes256-sha2_256\n  pfs=no\n";
  // Long lifetimes: the rekeys a case checks are ipsecd's. rekey=no also stops pluto from reviving the
  // connection after ipsecd deletes it: `whack --initiate` marks it "up", and 4.10 re-initiates an "up"
  // connection whose IKE SA the peer deleted unless it may not rekey.
  t += "  ikelifetime=24h\n  salifetime=8h\n  rekey=no\n";
  // No NAT between the namespaces, no address changes: keep both out of the way.
  t += "  encapsulation=no\n  mobike=no\n";
  // The default updown script is `ipsec _updown`, a shell script the VM does not have; pluto installs the
  // SAs and policies itself and the case needs no routes or firewall rules from it.
  t += "  leftupdown=/bin/true\n";
  t += "  auto=add\n";
  return t;
}

std::string LibreswanPeer::whack(const std::string& args) const {
  return run(ns_exec(setup_.ns) + tools_.whack + " --ctlsocket " + ctl_socket() + " " + args).output;
}

bool LibreswanPeer::make_nss_database(std::string& why) const {
  const std::string db = "sql:" + setup_.work_dir + "/nss";
  std::string script = "set -e; mkdir -p " + setup_.work_dir + "/nss; " + tools_.certutil + " -N -d " + db +
                       " --empty-password";
  if (setup_.c.auth != Auth::psk) {
    // The root is the trust anchor; the intermediate only completes ipsecd's chain, so it gets no trust.
    script += "; " + tools_.certutil + " -A -d " + db + " -n root-ca -t CT,C,C -a -i " + setup_.root_ca;
    script +=
        "; " + tools_.certutil + " -A -d " + db + " -n intermediate-ca -t ,, -a -i " + setup_.intermediate_ca;
    // NSS imports a private key only inside PKCS#12; the fixture's key is PKCS#8 PEM.
    const std::string p12 = setup_.work_dir + "/peer.p12";
    script += "; " + tools_.openssl + " pkcs12 -export -in " + setup_.certificate + " -inkey " +
              setup_.private_key + " -name " + kCertNickname + " -passout pass: -out " + p12;
    script += "; " + tools_.pk12util + " -i " + p12 + " -d " + db + " -W ''";
  }
  const auto r = run(script);
  if (r.status != 0) why = "cannot make pluto's NSS database: " + r.output;
  return r.status == 0;
}

bool LibreswanPeer::start(const PeerSetup& setup, std::string& why) {
  stop();
  setup_ = setup;
  const std::string dir = setup_.work_dir;
  run("mkdir -p " + dir + "/run");
  if (!write_file(dir + "/ipsec.conf", config(setup_))) {
    why = "cannot write " + dir + "/ipsec.conf";
    return false;
  }
  const std::string secrets =
      setup_.c.auth == Auth::psk
          ? fqdn_id(setup_.local_id) + " " + fqdn_id(setup_.remote_id) + " : PSK \"" + setup_.psk + "\"\n"
          : std::string();
  if (!write_file(dir + "/ipsec.secrets", secrets)) {
    why = "cannot write " + dir + "/ipsec.secrets";
    return false;
  }
  if (!make_nss_database(why)) return false;
  // pluto forks into the background once it listens on its control socket; with --config it then loads
  // the connections (auto=add) and the secrets by itself through addconn.
  const auto r = run(ns_exec(setup_.ns) + tools_.pluto + " --config " + dir + "/ipsec.conf --secretsfile " +
                     dir + "/ipsec.secrets --ipsecdir " + dir + " --nssdir " + dir + "/nss --rundir " + dir +
                     "/run --logfile " + log_file() + " </dev/null >/dev/null");
  started_ = true;
  if (r.status != 0) {
    why = "pluto did not start: " + r.output + "\n" + log();
    return false;
  }
  // Ready when the connection is loaded, pluto listens on the peer's address and has read the secrets
  // (addconn asks for that last).
  const bool ready = wait_until(15s, [&] {
    const std::string status = whack("--status");
    return status.find("\"gw\":") != std::string::npos &&
           status.find("UDP " + setup_.address + ":500") != std::string::npos &&
           read_file(log_file()).find("loading secrets from") != std::string::npos;
  });
  if (!ready) why = "pluto did not load connection gw or listen on " + setup_.address + ":\n" + log();
  return ready;
}

bool LibreswanPeer::initiate(std::string& why) {
  // --asynchronous: whack returns at once instead of following the exchange; the view says when it is up.
  whack("--name gw --initiate --asynchronous");
  const bool up = wait_until(20s, [&] {
    const PeerView v = view();
    return v.ike_established && !v.children.empty();
  });
  if (!up) why = "Libreswan did not establish gw within 20 s:\n" + view().raw + "\n" + log();
  return up;
}

PeerView LibreswanPeer::view() const {
  if (!started_) return {};
  return parse_whack(whack("--trafficstatus"), whack("--showstates"), setup_.address);
}

PeerView parse_whack(const std::string& trafficstatus, const std::string& showstates,
                     const std::string& own_address) {
  PeerView view;
  view.raw = "$ whack --trafficstatus\n" + trafficstatus + "$ whack --showstates\n" + showstates;
  // 006 #2: "gw", type=ESP, add_time=1795756827, inBytes=0, outBytes=0, maxBytes=2^63B, id='@ipsecd...'
  static const std::regex traffic(R"(#(\d+): "gw"[^,]*, type=ESP,)");
  // 000 #1: "gw":500 STATE_V2_ESTABLISHED_IKE_SA (established IKE SA); ...
  // 000 #2: "gw":500 STATE_V2_ESTABLISHED_CHILD_SA (established Child SA); ...
  static const std::regex state(R"(#(\d+): "gw"\S* (STATE_V2_ESTABLISHED_(IKE|CHILD)_SA) )");
  // 000 #2: "gw" esp.ed3a45dd@192.0.2.1 esp.2bb13197@192.0.2.2 tun.0@192.0.2.1 ... Traffic: ...
  static const std::regex spis(R"(#(\d+): "gw"\S* esp\.([0-9a-f]+)@(\S+) esp\.([0-9a-f]+)@(\S+))");
  std::vector<std::string> listed, established_children;
  for (std::sregex_iterator it(trafficstatus.begin(), trafficstatus.end(), traffic), end; it != end; ++it)
    listed.push_back((*it)[1]);
  for (std::sregex_iterator it(showstates.begin(), showstates.end(), state), end; it != end; ++it) {
    if ((*it)[3] == "IKE")
      view.ike_established = true;
    else
      established_children.push_back((*it)[1]);
  }
  for (std::sregex_iterator it(showstates.begin(), showstates.end(), spis), end; it != end; ++it) {
    const std::string serial = (*it)[1];
    const auto known = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), serial) != v.end();
    };
    if (!known(listed) || !known(established_children)) continue;
    PeerView::Child child;
    const uint32_t first = static_cast<uint32_t>(std::stoul((*it)[2], nullptr, 16));
    const uint32_t second = static_cast<uint32_t>(std::stoul((*it)[4], nullptr, 16));
    // An SA is named by its destination: the one to our own address is the one we receive with.
    const bool first_inbound = (*it)[3] == own_address;
    child.inbound_spi = first_inbound ? first : second;
    child.outbound_spi = first_inbound ? second : first;
    view.children.push_back(child);
  }
  return view;
}

void LibreswanPeer::stop() {
  if (!started_) return;
  started_ = false;
  whack("--shutdown");
  const std::string pid_file = setup_.work_dir + "/run/pluto.pid";
  wait_until(5s, [&] { return run("test -e " + pid_file).status != 0; });
  // A pluto that did not shut down in time is killed; its pid file names it.
  run("test -e " + pid_file + " && kill -9 $(cat " + pid_file + ")");
  // pluto deletes its SAs and policies on shutdown; after a kill they would stay and confuse the next case.
  run(ip() + " -n " + setup_.ns + " xfrm state flush; " + ip() + " -n " + setup_.ns + " xfrm policy flush");
}

std::string LibreswanPeer::log() const { return last_lines(read_file(log_file()), 100); }

}  // namespace ipsecd::test
