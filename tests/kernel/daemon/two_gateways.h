// Guest-side fixture of the daemon kernel tests: two gateways in network namespaces, each running a real
// ipsecd from a TOML file this fixture writes, driven only through ipsecctl (--json), with iproute2 as the
// independent reader of the kernel's SAs and policies.
#pragma once

#include <sys/types.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::test {

// What both daemons are configured with; each side's file is the mirror image of the other's.
struct TunnelOptions {
  bool certificates = false;  // auth = "pubkey" with the tests/fixtures/pki chains, else a PSK
  bool transport = false;     // mode = "transport" between the gateways' own addresses, else a tunnel of LANs
  std::vector<std::string> esp = {"aes128gcm16"};
  std::vector<std::string> ah;  // with esp: an ESP+AH bundle; alone: AH only
  std::string ike_proposal = "aes128gcm16-prfsha256-x25519";
  // Raw TOML durations ("5s"); empty leaves the daemon's default.
  std::string child_rekey_time, child_life_time, child_rekey_jitter;
  std::string ike_rekey_time, ike_rekey_jitter;
  std::string dpd_delay;
  // The child's start_action on the left and the right gateway ("none", "start", "trap").
  std::string left_start_action = "none";
  std::string right_start_action = "none";
  // The connection's dpd_action and the child's close_action per side ("" leaves the daemon's default).
  std::string left_dpd_action, right_dpd_action;
  std::string left_close_action, right_close_action;
  // Extra lines for one side's [connections.gw.children.net] section (limits only one side has).
  std::string left_child_extra, right_child_extra;
  // Extra lines for every [daemon] section (retransmission timing and the like).
  std::string daemon_extra;
};

// Both sides check liveness after 2 s of silence and give up after two quick retransmissions (about 3 s).
inline void set_short_liveness(TunnelOptions& o) {
  o.dpd_delay = "2s";
  o.daemon_extra = "retransmit_timeout = \"500ms\"\nretransmit_tries = 2\n";
}

// One SA as `ip -s xfrm state` prints it.
struct KernelSa {
  std::string src, dst, proto;  // proto: "esp" or "ah"
  std::string mode;             // "tunnel" or "transport"
  uint32_t spi = 0;
  long long bytes = -1, packets = -1;  // "lifetime current"
};

struct PingResult {
  int sent = 0, received = 0;
  std::string output;
};

class Gateway {
 public:
  Gateway(std::string ns, std::string dir) : ns_(std::move(ns)), dir_(std::move(dir)) {}
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  const std::string& ns() const { return ns_; }
  std::string socket() const { return dir_ + "/" + ns_ + ".sock"; }
  std::string config_file() const { return dir_ + "/" + ns_ + ".toml"; }
  std::string log_file() const { return dir_ + "/" + ns_ + ".log"; }

  // Writes the configuration, starts ipsecd in the namespace and waits for its control socket.
  bool start(const std::string& config, std::string& why);
  bool start(std::string& why);  // again, with the file already written
  // Sends `sig`; waits for the exit (SIGKILL is never refused). False when it did not exit in time.
  bool stop(int sig = 15, std::chrono::milliseconds limit = std::chrono::milliseconds(8000));
  bool running() const { return pid_ > 0; }
  std::string log() const;

  // `ipsecctl --socket S --json ARGS`: the exit status and the parsed output (null when it was no JSON).
  struct Ctl {
    int status = -1;
    nlohmann::json json;
    std::string output;
  };
  Ctl ctl(const std::string& args) const;
  // `status --json`; null json when the daemon did not answer.
  nlohmann::json status() const { return ctl("status").json; }

  // `ipsecctl --json monitor` in the background, its lines collected into a file.
  bool start_monitor(std::string& why);
  // Stops the monitor and returns its events (each line's "event" object).
  std::vector<nlohmann::json> stop_monitor();
  // The events the running monitor has written so far, without stopping it.
  std::vector<nlohmann::json> monitor_events() const;

  // The kernel's view of this namespace, through iproute2.
  std::vector<KernelSa> kernel_sas() const;
  // in/out/fwd policies (`ip xfrm policy` lines); the IKE sockets' per-socket policies are left out.
  std::vector<std::string> kernel_policies() const;

 private:
  std::string ns_;
  std::string dir_;
  pid_t pid_ = -1;
  pid_t monitor_pid_ = -1;
};

// Namespaces gw-left (192.0.2.1, LAN 198.51.100.1/24 on a dummy link) and gw-right (192.0.2.2, LAN
// 203.0.113.1/24) joined by veth; each routes the other's LAN via the link with its own LAN address as the
// source, so the LAN-to-LAN traffic of a tunnel starts and ends in the gateways themselves.
class TwoGateways {
 public:
  TwoGateways();
  ~TwoGateways();
  TwoGateways(const TwoGateways&) = delete;
  TwoGateways& operator=(const TwoGateways&) = delete;
  const std::string& error() const { return error_; }

  Gateway& left() { return left_; }
  Gateway& right() { return right_; }
  // Both daemons' logs, for a failure message.
  std::string logs() const;

  // Both sides' TOML for `options` (connection "gw", child "net").
  std::string config(bool left_side, const TunnelOptions& options) const;
  // Starts both daemons with their configurations.
  bool start(const TunnelOptions& options, std::string& why);

  // The addresses traffic through the tunnel uses: the LANs in tunnel mode, the link in transport mode.
  std::string left_inner(const TunnelOptions& o) const { return o.transport ? "192.0.2.1" : "198.51.100.1"; }
  std::string right_inner(const TunnelOptions& o) const { return o.transport ? "192.0.2.2" : "203.0.113.1"; }

 private:
  std::string dir_;
  Gateway left_;
  Gateway right_;
  std::string error_;
};

// The test binary's environment: the binaries and the fixture PKI (IPSECD, IPSECCTL, IPSECD_TEST_PKI).
const std::string& ipsecd_path();
const std::string& ipsecctl_path();
const std::string& pki_dir();

// `ping -c count -i interval -I src dst` from namespace `ns`.
PingResult ping(const std::string& ns, const std::string& src, const std::string& dst, int count,
                const std::string& interval = "0.2");
// One UDP datagram (src, port) in `from` -> (dst, port) in `to`; true when it arrived intact.
bool udp_roundtrip(const std::string& from, const std::string& src, const std::string& to,
                   const std::string& dst, uint16_t port, std::string& why);

// Polls `done` every 100 ms until it is true or `limit` has passed; its last answer.
bool wait_until(std::chrono::milliseconds limit, const std::function<bool()>& done);

// The CHILD_SAs of a status, flattened over its IKE SAs.
std::vector<nlohmann::json> children_of(const nlohmann::json& status);
// The kernel SA with this protocol and SPI, or nullopt.
std::optional<KernelSa> find_sa(const std::vector<KernelSa>& sas, const std::string& proto, uint32_t spi);
uint32_t spi_of(const nlohmann::json& hex);

}  // namespace ipsecd::test
