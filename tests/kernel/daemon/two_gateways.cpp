// Two ipsecd gateways in network namespaces: topology, configuration files, the daemons' processes,
// ipsecctl calls and iproute2 readings.
#include "tests/kernel/daemon/two_gateways.h"

#include "tests/kernel/daemon/spawn.h"
#include "tests/netns/netns_support.h"
#include "tests/netns/text_files.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string ns_exec(const std::string& ns) { return "nsenter --net=/run/netns/" + ns + " "; }

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", \"" : "\"") + item + "\"";
  return out + "]";
}

}  // namespace

const std::string& ipsecd_path() {
  static const std::string path = env_or("IPSECD", "/opt/ipsecd/bin/ipsecd");
  return path;
}
const std::string& ipsecctl_path() {
  static const std::string path = env_or("IPSECCTL", "/opt/ipsecd/bin/ipsecctl");
  return path;
}
const std::string& pki_dir() {
  static const std::string path = env_or("IPSECD_TEST_PKI", "/opt/ipsecd/pki");
  return path;
}

bool wait_until(std::chrono::milliseconds limit, const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= end) return done();
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

Gateway::~Gateway() {
  stop_monitor();
  stop();
}

bool Gateway::start(const std::string& config, std::string& why) {
  if (!write_file(config_file(), config)) {
    why = "cannot write " + config_file();
    return false;
  }
  return start(why);
}

bool Gateway::start(std::string& why) {
  write_file(log_file(), read_file(log_file()) + "---- ipsecd starts\n");
  pid_ = spawn_in(ns_, log_file(), {ipsecd_path(), "--foreground", "--config", config_file()});
  if (pid_ < 0) {
    why = "fork failed";
    return false;
  }
  bool exited = false;
  const bool up = wait_until(10s, [&] {
    int status = 0;
    exited = exited || waitpid(pid_, &status, WNOHANG) == pid_;
    if (exited) return true;
    struct stat st {};
    return stat(socket().c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && ctl("version").status == 0;
  });
  if (exited) pid_ = -1;
  if (!up || exited) why = "ipsecd in " + ns_ + " did not answer on its control socket:\n" + log();
  return up && !exited;
}

bool Gateway::stop(int sig, std::chrono::milliseconds limit) {
  if (pid_ <= 0) return true;
  return stop_process(pid_, sig, limit);
}

std::string Gateway::log() const { return read_file(log_file()); }

Gateway::Ctl Gateway::ctl(const std::string& args) const {
  const auto r = run(ipsecctl_path() + " --socket " + socket() + " --json " + args);
  Ctl out;
  out.status = r.status;
  out.output = r.output;
  out.json = nlohmann::json::parse(r.output, nullptr, false);
  if (out.json.is_discarded()) out.json = nullptr;
  return out;
}

bool Gateway::start_monitor(std::string& why) {
  monitor_pid_ = spawn_in(ns_, dir_ + "/" + ns_ + ".events",
                          {ipsecctl_path(), "--socket", socket(), "--json", "monitor"});
  if (monitor_pid_ < 0) why = "fork failed";
  // ipsecctl connects and subscribes within a moment; until then events would be missed.
  std::this_thread::sleep_for(300ms);
  return monitor_pid_ > 0;
}

std::vector<nlohmann::json> Gateway::stop_monitor() {
  std::vector<nlohmann::json> events;
  if (monitor_pid_ <= 0) return events;
  // Events the daemon has sent reach the file a moment later.
  std::this_thread::sleep_for(300ms);
  stop_process(monitor_pid_, SIGINT, 3s);
  return monitor_events();
}

std::vector<nlohmann::json> Gateway::monitor_events() const {
  std::vector<nlohmann::json> events;
  std::istringstream lines(read_file(dir_ + "/" + ns_ + ".events"));
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    events.push_back(j.contains("event") ? j["event"] : j);
  }
  return events;
}

std::vector<KernelSa> Gateway::kernel_sas() const {
  const auto r = run(ip() + " -n " + ns_ + " -s xfrm state");
  static const std::regex head(R"(^src (\S+) dst (\S+))");
  static const std::regex proto(R"(proto (\S+) spi 0x([0-9a-f]+).* mode (\S+))");
  static const std::regex current(R"((\d+)\(bytes\), (\d+)\(packets\))");
  std::vector<KernelSa> sas;
  bool after_current = false;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, head) && line.rfind("src", 0) == 0) {
      sas.push_back({m[1], m[2], "", "", 0, -1, -1});
    } else if (!sas.empty() && std::regex_search(line, m, proto)) {
      sas.back().proto = m[1];
      sas.back().spi = static_cast<uint32_t>(std::stoul(m[2], nullptr, 16));
      sas.back().mode = m[3];
    } else if (line.find("lifetime current:") != std::string::npos) {
      after_current = true;
      continue;
    } else if (after_current && !sas.empty() && std::regex_search(line, m, current)) {
      sas.back().bytes = std::stoll(m[1]);
      sas.back().packets = std::stoll(m[2]);
    }
    after_current = false;
  }
  return sas;
}

std::vector<std::string> Gateway::kernel_policies() const {
  const auto r = run(ip() + " -n " + ns_ + " xfrm policy");
  static const std::regex dir(R"(^\s*dir (in|out|fwd) )");
  std::vector<std::string> policies;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, dir)) policies.push_back(line);
  }
  return policies;
}

TwoGateways::TwoGateways() : dir_("/tmp/ipsecd-kt"), left_("gw-left", dir_), right_("gw-right", dir_) {
  const std::string& i = ip();
  run(i + " netns del gw-left; " + i + " netns del gw-right; rm -rf " + dir_);
  const std::string setup =
      "set -e; mkdir -p " + dir_ + "; " + i + " netns add gw-left; " + i + " netns add gw-right; " + i +
      " -n gw-left link set lo up; " + i + " -n gw-right link set lo up; " + i +
      " link add wan netns gw-left type veth peer name wan netns gw-right; " + i +
      " -n gw-left addr add 192.0.2.1/24 dev wan; " + i + " -n gw-right addr add 192.0.2.2/24 dev wan; " + i +
      " -n gw-left link set wan up; " + i + " -n gw-right link set wan up; " + i +
      " -n gw-left link add lan type dummy; " + i + " -n gw-right link add lan type dummy; " + i +
      " -n gw-left addr add 198.51.100.1/24 dev lan; " + i +
      " -n gw-right addr add 203.0.113.1/24 dev lan; " + i + " -n gw-left link set lan up; " + i +
      " -n gw-right link set lan up; " + i +
      " -n gw-left route add 203.0.113.0/24 via 192.0.2.2 src 198.51.100.1; " + i +
      " -n gw-right route add 198.51.100.0/24 via 192.0.2.1 src 203.0.113.1";
  if (const auto r = run(setup); r.status != 0) error_ = "topology: " + r.output;
}

TwoGateways::~TwoGateways() {
  // A REQUIRE that failed is unwinding through here: the daemons' side of the story goes to the console.
  if (std::uncaught_exceptions() > 0) std::fprintf(stderr, "%s", logs().c_str());
  left_.stop();
  right_.stop();
  run(ip() + " netns del gw-left; " + ip() + " netns del gw-right");
}

std::string TwoGateways::logs() const {
  return "==== " + left_.log_file() + "\n" + left_.log() + "==== " + right_.log_file() + "\n" + right_.log();
}

std::string TwoGateways::config(bool left_side, const TunnelOptions& o) const {
  const Gateway& self = left_side ? left_ : right_;
  const std::string local = left_side ? "192.0.2.1" : "192.0.2.2";
  const std::string remote = left_side ? "192.0.2.2" : "192.0.2.1";
  const std::string local_lan = left_side ? "198.51.100.0/24" : "203.0.113.0/24";
  const std::string remote_lan = left_side ? "203.0.113.0/24" : "198.51.100.0/24";
  // Left proves itself with the ECDSA chain, right with the RSA one (tests/fixtures/pki/make_pki.sh).
  const std::string local_cert = left_side ? "ee-ecdsa" : "ee-rsa";
  const std::string local_id = o.certificates ? (left_side ? "ecdsa.example.com" : "rsa.example.com")
                                              : (left_side ? "left.example" : "right.example");
  const std::string remote_id = o.certificates ? (left_side ? "rsa.example.com" : "ecdsa.example.com")
                                               : (left_side ? "right.example" : "left.example");
  const std::string& start_action = left_side ? o.left_start_action : o.right_start_action;
  const std::string& dpd_action = left_side ? o.left_dpd_action : o.right_dpd_action;
  const std::string& close_action = left_side ? o.left_close_action : o.right_close_action;
  auto line = [](const std::string& key, const std::string& value) {
    return value.empty() ? std::string() : key + " = \"" + value + "\"\n";
  };

  std::string t = "[daemon]\nctl_socket = \"" + self.socket() + "\"\n" + o.daemon_extra + "\n";
  t += "[connections.gw]\nlocal_addr = \"" + local + "\"\nremote_addr = \"" + remote + "\"\n";
  t += "proposals = [\"" + o.ike_proposal + "\"]\n";
  t += line("rekey_time", o.ike_rekey_time) + line("rekey_jitter", o.ike_rekey_jitter) +
       line("dpd_delay", o.dpd_delay) + line("dpd_action", dpd_action);
  if (o.certificates) {
    t += "\n[connections.gw.local]\nauth = \"pubkey\"\nid = \"" + local_id + "\"\ncerts = [\"" + pki_dir() +
         "/" + local_cert + ".pem\", \"" + pki_dir() + "/intermediate-ca.pem\"]\n";
    t += "\n[connections.gw.remote]\nauth = \"pubkey\"\nid = \"" + remote_id + "\"\nca = [\"test-root\"]\n";
  } else {
    t += "\n[connections.gw.local]\nauth = \"psk\"\nid = \"" + local_id + "\"\n";
    t += "\n[connections.gw.remote]\nauth = \"psk\"\nid = \"" + remote_id + "\"\n";
  }
  t += "\n[connections.gw.children.net]\n";
  t += std::string("mode = \"") + (o.transport ? "transport" : "tunnel") + "\"\n";
  if (!o.transport) t += "local_ts = [\"" + local_lan + "\"]\nremote_ts = [\"" + remote_lan + "\"]\n";
  if (!o.esp.empty()) t += "esp_proposals = " + quoted_list(o.esp) + "\n";
  if (!o.ah.empty()) t += "ah_proposals = " + quoted_list(o.ah) + "\n";
  t += line("rekey_time", o.child_rekey_time) + line("life_time", o.child_life_time) +
       line("rekey_jitter", o.child_rekey_jitter) + line("start_action", start_action) +
       line("close_action", close_action) + (left_side ? o.left_child_extra : o.right_child_extra);
  if (o.certificates) {
    t += "\n[ca.test-root]\ncertificate = \"" + pki_dir() + "/root-ca.pem\"\n";
    t += "\n[secrets.own-key]\nprivate_key = \"" + pki_dir() + "/" + local_cert + ".key.pem\"\n";
  } else {
    t += "\n[secrets.gw]\nids = [\"left.example\", \"right.example\"]\n"
         "psk = \"0x8f3a61c2d4e5b6a798011223344556677889aabbccddeeff0011223344556677\"\n";
  }
  return t;
}

bool TwoGateways::start(const TunnelOptions& options, std::string& why) {
  return left_.start(config(true, options), why) && right_.start(config(false, options), why);
}

PingResult ping(const std::string& ns, const std::string& src, const std::string& dst, int count,
                const std::string& interval) {
  PingResult p;
  p.sent = count;
  const auto r = run(ns_exec(ns) + "ping -c " + std::to_string(count) + " -i " + interval + " -W 2 -I " +
                     src + " " + dst);
  p.output = r.output;
  static const std::regex summary(R"((\d+) packets transmitted, (\d+) packets received)");
  std::smatch m;
  if (std::regex_search(p.output, m, summary)) {
    p.sent = std::stoi(m[1]);
    p.received = std::stoi(m[2]);
  }
  return p;
}

bool udp_roundtrip(const std::string& from, const std::string& src, const std::string& to,
                   const std::string& dst, uint16_t port, std::string& why) {
  auto bound_socket = [&](const std::string& ns, const std::string& address) {
    EnterNetns in(ns);
    if (!in.error().empty()) return -1;
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    inet_pton(AF_INET, address.c_str(), &sin.sin_addr);
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  };
  const int receiver = bound_socket(to, dst);
  const int sender = bound_socket(from, src);
  bool ok = false;
  if (receiver < 0 || sender < 0) {
    why = "cannot bind the UDP sockets: " + std::string(std::strerror(errno));
  } else {
    const std::string payload = "ipsecd kernel test datagram";
    sockaddr_in to_addr{};
    to_addr.sin_family = AF_INET;
    to_addr.sin_port = htons(port);
    inet_pton(AF_INET, dst.c_str(), &to_addr.sin_addr);
    sendto(sender, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to_addr), sizeof to_addr);
    pollfd pfd{receiver, POLLIN, 0};
    char buffer[256];
    if (poll(&pfd, 1, 3000) == 1) {
      const ssize_t n = recv(receiver, buffer, sizeof buffer, 0);
      ok = n == static_cast<ssize_t>(payload.size()) &&
           std::memcmp(buffer, payload.data(), payload.size()) == 0;
      if (!ok) why = "the datagram arrived damaged";
    } else {
      why = "no datagram within 3 s";
    }
  }
  if (receiver >= 0) close(receiver);
  if (sender >= 0) close(sender);
  return ok;
}

std::vector<nlohmann::json> children_of(const nlohmann::json& status) {
  std::vector<nlohmann::json> out;
  if (!status.is_object() || !status.contains("ike_sas")) return out;
  for (const auto& ike : status["ike_sas"]) {
    for (const auto& child : ike["children"]) out.push_back(child);
  }
  return out;
}

std::optional<KernelSa> find_sa(const std::vector<KernelSa>& sas, const std::string& proto, uint32_t spi) {
  for (const auto& sa : sas) {
    if (sa.proto == proto && sa.spi == spi) return sa;
  }
  return std::nullopt;
}

uint32_t spi_of(const nlohmann::json& hex) {
  return hex.is_string() ? static_cast<uint32_t>(std::stoul(hex.get<std::string>(), nullptr, 16)) : 0;
}

}  // namespace ipsecd::test
