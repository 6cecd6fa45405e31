// The ipsecd process: one thread and one event loop owning all SA state, wiring the IKEv2 engine to the IKE
// sockets, the kernel (XFRM SAs, policies and events), signals, systemd and the configuration snapshot.
#pragma once

#include "common/expected.h"
#include "daemon/config/config_diff.h"
#include "daemon/config/config_error.h"
#include "daemon/config/daemon_config.h"
#include "daemon/connection_actions.h"
#include "daemon/ike/ikev2/engine.h"
#include "daemon/io/event_loop.h"
#include "daemon/io/ike_sockets.h"
#include "daemon/log.h"
#include "daemon/netlink_kernel_port.h"
#include "daemon/sa_registry.h"
#include "daemon/service_notifier.h"
#include "netlink/xfrm_events.h"

#include <botan/auto_rng.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::daemon {

struct DaemonOptions {
  std::filesystem::path config_file{config::default_config_file};
  std::optional<LogLevel> log_level;  // overrides [daemon] log_level when set
  // How long shutdown waits for the peers to answer our Deletes before the kernel entries are flushed.
  std::chrono::milliseconds shutdown_grace{2000};
};

// Drops and events the daemon counts outside the engine.
struct DaemonCounters {
  uint64_t acquires = 0;         // kernel ACQUIREs seen (the engine counts those it ignores)
  uint64_t expires = 0;          // kernel EXPIREs for SAs of ours, handed to the engine
  uint64_t foreign_expires = 0;  // EXPIREs for SAs outside our reqid range, ignored
  uint64_t reloads = 0;
  uint64_t failed_reloads = 0;
};

class Daemon final : public ikev2::TimeSource, public ikev2::EventSink {
 public:
  // Start-up: loads the configuration, blocks SIGTERM/SIGINT/SIGHUP for the signalfd, removes kernel
  // entries a crashed earlier run of ours left behind (flush_own: only our reqid range), opens the IKE
  // sockets and the XFRM listener, makes the engine and runs the start actions; ready() follows.
  // `log` and `notifier` must outlive the daemon.
  static Expected<std::unique_ptr<Daemon>, std::string> start(const DaemonOptions& options, Log& log,
                                                              ServiceNotifier& notifier);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // READY=1 with the status line: start-up is complete (called once the control socket is open too).
  void ready() { notifier_.ready(status_line()); }

  // Runs the loop until SIGTERM or SIGINT has been handled: every IKE SA deleted (the peers told), at
  // most shutdown_grace spent waiting for their answers, then our kernel entries flushed. Returns the
  // process exit code (0 after a clean shutdown).
  int run();

  // SIGHUP and `ipsecctl reload`: reads the configuration file again; on errors logs each
  // (FILE:LINE:COL: KEY: REASON) and keeps the running snapshot, else swaps it in (live SAs keep theirs)
  // and starts what was added. A dry run only reports what would change.
  using ReloadOutcome = Expected<config::ConfigDiff, std::vector<config::ConfigError>>;
  ReloadOutcome reload(bool dry_run = false);
  // `ipsecctl up`: negotiates `child`, or every child of the connection: inside a new IKE SA (the first
  // child in IKE_AUTH, the others with CREATE_CHILD_SA once it is up), or with CREATE_CHILD_SA in the
  // established one. Returns the IKE SA's unique id.
  Expected<uint64_t, std::string> up(const std::string& connection, const std::optional<std::string>& child);
  // `ipsecctl down`: deletes every IKE SA of the connection (established or being set up); their ids,
  // empty when there was none.
  Expected<std::vector<uint64_t>, std::string> down(const std::string& connection);
  NetlinkKernelPort& kernel() { return kernel_; }
  // SIGTERM/SIGINT; a second one while waiting for the Deletes stops at once.
  void begin_shutdown();

  // Called with every engine event after it was logged and applied to the SA tables (the control
  // server's subscribers attach here).
  void add_event_observer(std::function<void(const ikev2::Event&)> observer);

  const SaRegistry& sas() const { return registry_; }
  const config::DaemonConfig& config() const { return *config_; }
  const DaemonCounters& counters() const { return counters_; }
  IkeSocketCounters socket_counters() const { return sockets_.counters(); }
  ikev2::Engine& engine() { return *engine_; }
  io::EventLoop& loop() { return loop_; }
  // "2 connections, 1 IKE SA, 1 CHILD SA": systemd's STATUS=.
  std::string status_line() const;

  ikev2::TimePoint now() const override { return ikev2::Clock::now(); }
  ikev2::WallTimePoint system_now() const override { return std::chrono::system_clock::now(); }
  void on_event(const ikev2::Event& event) override;

 private:
  Daemon(const DaemonOptions& options, Log& log, ServiceNotifier& notifier,
         std::shared_ptr<const config::DaemonConfig> config, NetlinkKernelPort kernel,
         netlink::XfrmListener listener, IkeSockets sockets, int signal_fd);

  Expected<Ok, std::string> watch_all();
  // After every call into the engine: one loop timer at the engine's next deadline.
  void after_engine();
  void on_datagram(const ReceivedDatagram& datagram);
  void on_xfrm_readable();
  void on_signal_readable();
  // A kernel ACQUIRE (a packet hit a trap policy): the engine negotiates the trap's child.
  void on_acquire(const netlink::AcquireEvent& acquire);
  // start_action, close_action or dpd_action = trap: trap policies that negotiate on the first packet.
  void install_trap(const std::string& connection, const std::string& child);
  // What ConnectionActions decided, on the next loop turn when it came from inside an engine event.
  void carry_out(const std::vector<ChildRequest>& requests);
  // start_action for `connections` (names) of the current snapshot: the first start child of each
  // initiates the IKE SA, the others wait for it to be established.
  void run_start_actions(const std::vector<std::string>& connections);
  Expected<uint64_t, std::string> initiate(const std::string& connection, const std::string& child);
  void start_pending_children(const std::string& connection);
  void check_shutdown_done();
  void flush_kernel(std::string_view when);

  DaemonOptions options_;
  Log& log_;
  ServiceNotifier& notifier_;
  std::shared_ptr<const config::DaemonConfig> config_;
  io::EventLoop loop_;
  NetlinkKernelPort kernel_;
  netlink::XfrmListener listener_;
  IkeSockets sockets_;
  int signal_fd_ = -1;
  Botan::AutoSeeded_RNG rng_;
  SaRegistry registry_;
  std::unique_ptr<ikev2::Engine> engine_;
  DaemonCounters counters_;
  std::vector<std::function<void(const ikev2::Event&)>> observers_;
  ConnectionActions actions_;

  std::optional<io::EventLoop::TimerId> engine_timer_;
  std::optional<ikev2::TimePoint> engine_timer_at_;
  // Further start children per connection, initiated once its IKE SA is up.
  std::map<std::string, std::vector<std::string>> pending_children_;
  bool stopping_ = false;
  std::optional<io::EventLoop::TimerId> shutdown_timer_;
};

}  // namespace ipsecd::daemon
