// Daemon: start-up, the loop's callbacks (IKE sockets, XFRM events, signals, engine timer), reload and
// shutdown.
#include "daemon/daemon.h"

#include "daemon/config/load_config.h"
#include "daemon/event_text.h"
#include "daemon/kernel_selectors.h"

#include <fmt/format.h>

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <type_traits>

namespace ipsecd::daemon {

namespace {

std::string plural(size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string_view auth_name(ikev2::AuthMethod method) {
  return method == ikev2::AuthMethod::psk ? "PSK" : "pubkey";
}

// SIGTERM, SIGINT and SIGHUP arrive through a signalfd, so their handling runs on the loop's thread
// between two callbacks like every other input.
Expected<int, std::string> open_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return unexpected(std::string("sigprocmask: ") + std::strerror(errno));
  }
  const int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return unexpected(std::string("signalfd: ") + std::strerror(errno));
  return fd;
}

}  // namespace

Expected<std::unique_ptr<Daemon>, std::string> Daemon::start(const DaemonOptions& options, Log& log,
                                                             ServiceNotifier& notifier) {
  auto loaded = config::load_config(options.config_file);
  if (!loaded) {
    for (const auto& error : loaded.error()) log.error("configuration: {}", config::to_string(error));
    return unexpected(fmt::format("{} has {}", options.config_file.string(),
                                  plural(loaded.error().size(), "error")));
  }
  auto config = std::move(*loaded);
  log.set_threshold(options.log_level.value_or(config->daemon.log_level));

  auto kernel = NetlinkKernelPort::open();
  if (!kernel) return unexpected("XFRM: " + kernel.error().message);
  // Entries of an earlier run that ended without cleaning up (a crash, SIGKILL) would shadow the ones
  // this run installs; only our reqid range is touched, others' entries stay.
  auto flushed = kernel->xfrm().flush_own();
  if (!flushed) return unexpected("removing kernel entries of an earlier run: " + flushed.error().message);
  if (flushed->sas + flushed->policies > 0) {
    log.notice("kernel: removed {} and {} an earlier run of ipsecd left behind", plural(flushed->sas, "SA"),
               plural(flushed->policies, "policy"));
  }
  auto listener = netlink::XfrmListener::open();
  if (!listener) return unexpected("XFRM events: " + listener.error().message);
  auto sockets = IkeSockets::open(config->daemon.listen, config->daemon.port, config->daemon.nat_port);
  if (!sockets) return unexpected(sockets.error());
  auto signal_fd = open_signal_fd();
  if (!signal_fd) return unexpected(signal_fd.error());

  std::unique_ptr<Daemon> daemon(new Daemon(options, log, notifier, std::move(config), std::move(*kernel),
                                            std::move(*listener), std::move(*sockets), *signal_fd));
  if (auto watched = daemon->watch_all(); !watched) return unexpected(watched.error());

  std::string listening;
  for (const auto& endpoint : daemon->sockets_.bound()) {
    listening += (listening.empty() ? "" : ", ") + endpoint.to_string();
  }
  log.notice("ipsecd {} started: {} from {}, IKE on {}", IPSECD_VERSION,
             plural(daemon->config_->connections.size(), "connection"), daemon->config_->file.string(), listening);
  std::vector<std::string> names;
  for (const auto& connection : daemon->config_->connections) names.push_back(connection.name);
  daemon->run_start_actions(names);
  return daemon;
}

Daemon::Daemon(const DaemonOptions& options, Log& log, ServiceNotifier& notifier,
               std::shared_ptr<const config::DaemonConfig> config, NetlinkKernelPort kernel,
               netlink::XfrmListener listener, IkeSockets sockets, int signal_fd)
    : options_(options),
      log_(log),
      notifier_(notifier),
      config_(std::move(config)),
      kernel_(std::move(kernel)),
      listener_(std::move(listener)),
      sockets_(std::move(sockets)),
      signal_fd_(signal_fd) {
  engine_ = std::make_unique<ikev2::Engine>(kernel_.engine_settings(config_->engine), config_->connections,
                                            ikev2::EnginePorts{*this, rng_, sockets_, kernel_, *this});
}

Daemon::~Daemon() {
  sockets_.unwatch(loop_);
  loop_.unwatch(listener_.fd());
  if (signal_fd_ >= 0) {
    loop_.unwatch(signal_fd_);
    close(signal_fd_);
  }
}

Expected<Ok, std::string> Daemon::watch_all() {
  if (!loop_.valid()) return unexpected(std::string("epoll: ") + std::strerror(errno));
  auto sockets = sockets_.watch(
      loop_, [this](const ReceivedDatagram& datagram) { on_datagram(datagram); },
      [this](const std::string& message) { log_.warning("IKE socket: {}", message); });
  if (!sockets) return sockets;
  if (auto w = loop_.watch(listener_.fd(), io::readable, [this](uint32_t) { on_xfrm_readable(); }); !w) return w;
  return loop_.watch(signal_fd_, io::readable, [this](uint32_t) { on_signal_readable(); });
}

void Daemon::add_event_observer(std::function<void(const ikev2::Event&)> observer) {
  observers_.push_back(std::move(observer));
}

std::string Daemon::status_line() const {
  return fmt::format("{}, {}, {}", plural(config_->connections.size(), "connection"),
                     plural(registry_.ike_sas().size(), "IKE SA"), plural(registry_.child_sas().size(), "CHILD SA"));
}

void Daemon::after_engine() {
  const auto deadline = engine_->next_deadline();
  if (deadline != engine_timer_at_) {
    if (engine_timer_) loop_.cancel_timer(*engine_timer_);
    engine_timer_.reset();
    engine_timer_at_ = deadline;
    if (deadline) {
      engine_timer_ = loop_.add_timer(*deadline, [this] {
        engine_timer_.reset();
        engine_timer_at_.reset();
        engine_->on_timer(ikev2::Clock::now());
        after_engine();
      });
    }
  }
  check_shutdown_done();
}

void Daemon::on_datagram(const ReceivedDatagram& datagram) {
  // The drop counters are compared only for the debug line: no copy of them on the packet path otherwise.
  const bool debug = log_.enabled(LogLevel::debug);
  const auto before = debug ? engine_->counters() : ikev2::EngineCounters{};
  engine_->handle_datagram(datagram.local, datagram.remote, datagram.bytes);
  if (debug) {
    const auto& after = engine_->counters();
    const auto dropped = (after.decode_failed + after.integrity_failed + after.unknown_spi + after.out_of_window +
                          after.unexpected) -
                         (before.decode_failed + before.integrity_failed + before.unknown_spi +
                          before.out_of_window + before.unexpected);
    if (dropped > 0) {
      log_.debug("dropped {} bytes from {} to {} (decode failures {}, integrity {}, unknown SPI {}, "
                 "out of window {}, unexpected {} so far)",
                 datagram.bytes.size(), datagram.remote.to_string(), datagram.local.to_string(),
                 after.decode_failed, after.integrity_failed, after.unknown_spi, after.out_of_window,
                 after.unexpected);
    }
  }
  after_engine();
}

void Daemon::on_xfrm_readable() {
  auto events = listener_.read_events();
  if (!events) {
    log_.warning("kernel events: {}", events.error().message);
    return;
  }
  const auto& owned = kernel_.xfrm().owned_reqids();
  for (const auto& event : *events) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, netlink::AcquireEvent>) {
            on_acquire(e);
          } else if constexpr (std::is_same_v<T, netlink::ExpireEvent>) {
            if (!owned.contains(e.reqid)) {
              ++counters_.foreign_expires;
              return;
            }
            ++counters_.expires;
            log_.info("kernel: {} expiry of SA {} {} -> {} (reqid {})", e.hard ? "hard" : "soft",
                      spi_text(e.id.spi), e.id.src.to_string(), e.id.dst.to_string(), e.reqid);
            engine_->on_kernel_expire(e.id.spi, e.hard,
                                      e.id.protocol == netlink::IpsecProtocol::Ah ? iana::SecurityProtocolId::AH
                                                                                 : iana::SecurityProtocolId::ESP);
            after_engine();
          } else {
            log_.debug("kernel: ignored XFRM event (policy expiry, migrate or mapping)");
          }
        },
        event);
  }
}

void Daemon::on_acquire(const netlink::AcquireEvent& acquire) {
  ++counters_.acquires;
  const auto packet = packet_selectors(acquire.selector);
  if (!packet) {
    log_.warning("kernel: ACQUIRE (reqid {}) without addresses, ignored", acquire.reqid);
    return;
  }
  // The larval SA the kernel made for the ACQUIRE is replaced when our outbound SA with the same reqid,
  // addresses and protocol is added, so its sequence number need not be echoed.
  auto result = engine_->on_acquire(acquire.reqid, packet->first, packet->second);
  const auto flow = fmt::format("{} -> {}", ikev2::format_selector(packet->first),
                                ikev2::format_selector(packet->second));
  if (!result) {
    log_.error("kernel: ACQUIRE for {} (reqid {}): cannot initiate: {}", flow, acquire.reqid, result.error());
  } else if (result->outcome == ikev2::AcquireOutcome::initiated) {
    log_.info("ike[{}] {}: negotiating child {} for traffic {}", result->ike_sa, result->connection,
              result->child, flow);
  } else if (result->outcome == ikev2::AcquireOutcome::in_progress) {
    log_.debug("kernel: ACQUIRE for {}/{} ({}): already negotiating", result->connection, result->child, flow);
  } else {
    log_.debug("kernel: ACQUIRE for {} with reqid {}, which is no trap of ours", flow, acquire.reqid);
  }
  after_engine();
}

void Daemon::install_trap(const std::string& connection, const std::string& child) {
  auto reqid = engine_->install_trap(connection, child);
  if (!reqid) {
    log_.error("{}/{}: cannot install the trap: {}", connection, child, reqid.error());
    return;
  }
  log_.info("{}/{}: trap installed (reqid {}): the first packet negotiates the CHILD_SA", connection, child,
            *reqid);
}

void Daemon::carry_out(const std::vector<ChildRequest>& requests) {
  // Several children of one connection to negotiate: one IKE SA for all of them (as `ipsecctl up`).
  std::map<std::string, std::vector<std::string>> to_initiate;
  for (const auto& request : requests) {
    switch (request.kind) {
      case ChildRequest::Kind::trap: install_trap(request.connection, request.child); break;
      case ChildRequest::Kind::untrap:
        if (engine_->uninstall_trap(request.connection, request.child)) {
          log_.info("{}/{}: trap removed", request.connection, request.child);
        }
        break;
      case ChildRequest::Kind::initiate: to_initiate[request.connection].push_back(request.child); break;
    }
  }
  for (const auto& [connection, children] : to_initiate) {
    if (!registry_.ike_sas_of(connection).empty()) {
      for (const auto& child : children) (void)initiate(connection, child);
      continue;
    }
    if (!initiate(connection, children.front())) continue;
    auto& pending = pending_children_[connection];
    pending.insert(pending.end(), children.begin() + 1, children.end());
    if (pending.empty()) pending_children_.erase(connection);
  }
}

void Daemon::on_signal_readable() {
  for (;;) {
    signalfd_siginfo info{};
    const ssize_t n = read(signal_fd_, &info, sizeof info);
    if (n != static_cast<ssize_t>(sizeof info)) return;
    switch (info.ssi_signo) {
      case SIGHUP: (void)reload(); break;
      case SIGTERM:
      case SIGINT:
        log_.notice("{} received", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        begin_shutdown();
        break;
      default: break;
    }
  }
}

void Daemon::run_start_actions(const std::vector<std::string>& connections) {
  for (const auto& name : connections) {
    const auto* policy = config_->policy(name);
    if (policy == nullptr) continue;
    const auto* connection = config_->connection(name);
    bool initiating = false;
    // Children in configuration order, so the first start child is the one IKE_AUTH carries.
    for (const auto& child : connection->children) {
      const auto it = policy->children.find(child.name);
      if (it == policy->children.end()) continue;
      if (it->second.start_action == config::ChildAction::trap) {
        install_trap(name, child.name);
      } else if (it->second.start_action == config::ChildAction::start) {
        if (!initiating) {
          initiating = true;
          (void)initiate(name, child.name);
        } else {
          pending_children_[name].push_back(child.name);
        }
      }
    }
  }
}

Expected<uint64_t, std::string> Daemon::initiate(const std::string& connection, const std::string& child) {
  auto started = engine_->initiate(connection, child);
  if (!started) {
    log_.error("{}/{}: cannot initiate: {}", connection, child, started.error());
  } else {
    const auto* c = config_->connection(connection);
    log_.info("ike[{}] {}: initiating{} for child {}", *started, connection,
              c != nullptr && c->remote_address ? " to " + c->remote_address->to_string() : std::string(), child);
  }
  after_engine();
  return started;
}

Expected<uint64_t, std::string> Daemon::up(const std::string& connection, const std::optional<std::string>& child) {
  const auto* c = config_->connection(connection);
  if (c == nullptr) return unexpected("no connection named '" + connection + "'");
  std::vector<std::string> children;
  for (const auto& each : c->children) {
    if (!child || each.name == *child) children.push_back(each.name);
  }
  if (children.empty()) {
    return unexpected(child ? "connection '" + connection + "' has no child named '" + *child + "'"
                            : "connection '" + connection + "' has no children");
  }
  if (!registry_.ike_sas_of(connection).empty()) {
    // Established: each child goes into that IKE SA with its own CREATE_CHILD_SA (the engine queues them).
    Expected<uint64_t, std::string> first = unexpected(std::string("nothing initiated"));
    for (const auto& name : children) {
      auto started = initiate(connection, name);
      if (!started) return started;
      if (!first) first = started;
    }
    return first;
  }
  auto started = initiate(connection, children.front());
  if (!started) return started;
  auto& pending = pending_children_[connection];
  pending.insert(pending.end(), children.begin() + 1, children.end());
  if (pending.empty()) pending_children_.erase(connection);
  return started;
}

Expected<std::vector<uint64_t>, std::string> Daemon::down(const std::string& connection) {
  if (config_->connection(connection) == nullptr && registry_.ike_sas_of(connection).empty()) {
    return unexpected("no connection named '" + connection + "'");
  }
  pending_children_.erase(connection);
  std::vector<uint64_t> ids;
  for (const auto& sa : engine_->ike_sas()) {
    if (sa.connection != connection) continue;
    if (auto done = engine_->terminate(sa.unique_id); !done) {
      log_.warning("ike[{}] {}: delete failed: {}", sa.unique_id, connection, done.error());
      continue;
    }
    log_.info("ike[{}] {}: deleting on request", sa.unique_id, connection);
    ids.push_back(sa.unique_id);
  }
  after_engine();
  return ids;
}

void Daemon::start_pending_children(const std::string& connection) {
  auto it = pending_children_.find(connection);
  if (it == pending_children_.end()) return;
  auto children = std::move(it->second);
  pending_children_.erase(it);
  // Not from inside the engine's event callback: the next loop turn calls into the engine afresh.
  loop_.add_timer(io::EventLoop::Clock::now(), [this, connection, children] {
    if (stopping_) return;
    for (const auto& child : children) (void)initiate(connection, child);
  });
}

void Daemon::on_event(const ikev2::Event& event) {
  const std::string label = registry_.apply(event, ikev2::Clock::now());
  std::string_view auth;
  if (const auto* up = std::get_if<ikev2::IkeSaEstablished>(&event)) {
    if (const auto* c = config_->connection(up->connection)) auth = auth_name(c->local_auth.method);
    start_pending_children(up->connection);
  } else if (const auto* failed = std::get_if<ikev2::IkeSaFailed>(&event)) {
    if (auto it = pending_children_.find(failed->connection); it != pending_children_.end()) {
      log_.warning("{}: {} not started: the IKE SA failed", failed->connection,
                   plural(it->second.size(), "further child"));
      pending_children_.erase(it);
    }
  }
  // close_action and dpd_action call into the engine, which must not happen from inside its event.
  if (auto requests = actions_.on_event(event, *config_, stopping_); !requests.empty()) {
    loop_.add_timer(io::EventLoop::Clock::now(), [this, requests = std::move(requests)] {
      if (stopping_) return;
      carry_out(requests);
      after_engine();
    });
  }
  const auto line = describe(event, label, auth);
  log_.log(line.level, "{}", line.text);
  for (const auto& observer : observers_) observer(event);
  notifier_.status(status_line());
}

Daemon::ReloadOutcome Daemon::reload(bool dry_run) {
  // systemd (Type=notify-reload) waits for READY=1 after RELOADING=1, whether the reload worked or not.
  if (!dry_run) notifier_.reloading();
  auto loaded = config::load_config(options_.config_file);
  if (!loaded) {
    for (const auto& error : loaded.error()) log_.error("reload: {}", config::to_string(error));
    log_.error("reload {}with {}: keeping the running configuration", dry_run ? "(dry run) " : "failed ",
               plural(loaded.error().size(), "error"));
    if (!dry_run) {
      ++counters_.failed_reloads;
      notifier_.ready(status_line());
    }
    return unexpected(std::move(loaded.error()));
  }
  auto next = std::move(*loaded);
  auto diff = config::diff_configs(*config_, *next);
  if (dry_run) return diff;
  ++counters_.reloads;
  engine_->replace_connections(next->connections);
  // The sockets, the control socket and the engine's timing were fixed at start; only log_level is live.
  auto running = config_->daemon;
  running.log_level = next->daemon.log_level;
  const bool restart_needed =
      running != next->daemon || (diff.daemon_changed && next->daemon.log_level == config_->daemon.log_level);
  config_ = std::move(next);
  log_.set_threshold(options_.log_level.value_or(config_->daemon.log_level));
  const auto names = [](const std::vector<std::string>& list) {
    std::string out;
    for (const auto& n : list) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? std::string("none") : out;
  };
  log_.notice("reloaded {}: added {}; changed {}; removed {} (live SAs keep their configuration)",
              config_->file.string(), names(diff.added), names(diff.changed), names(diff.removed));
  if (restart_needed) {
    log_.warning("reload: [daemon] settings other than log_level take effect at the next start");
  }
  carry_out(reload_traps(*config_, diff, engine_->traps()));
  run_start_actions(diff.added);
  notifier_.ready(status_line());
  return diff;
}

void Daemon::begin_shutdown() {
  if (stopping_) {
    log_.warning("second stop request: not waiting for the peers any longer");
    loop_.stop();
    return;
  }
  stopping_ = true;
  notifier_.stopping();
  pending_children_.clear();
  const auto sas = engine_->ike_sas();
  log_.notice("shutting down: deleting {}", plural(sas.size(), "IKE SA"));
  for (const auto& sa : sas) {
    if (auto done = engine_->terminate(sa.unique_id); !done) {
      log_.warning("ike[{}] {}: delete failed: {}", sa.unique_id, sa.connection, done.error());
    }
  }
  shutdown_timer_ = loop_.add_timer(io::EventLoop::Clock::now() + options_.shutdown_grace, [this] {
    shutdown_timer_.reset();
    log_.warning("shutting down: {} still waiting for the peer after {} ms",
                 plural(engine_->ike_sas().size(), "IKE SA"), options_.shutdown_grace.count());
    loop_.stop();
  });
  after_engine();
}

void Daemon::check_shutdown_done() {
  if (!stopping_ || !engine_->ike_sas().empty()) return;
  if (shutdown_timer_) {
    loop_.cancel_timer(*shutdown_timer_);
    shutdown_timer_.reset();
  }
  loop_.stop();
}

void Daemon::flush_kernel(std::string_view when) {
  auto flushed = kernel_.xfrm().flush_own();
  if (!flushed) {
    log_.error("{}: removing our kernel entries failed: {}", when, flushed.error().message);
    return;
  }
  if (flushed->sas + flushed->policies > 0) {
    log_.notice("{}: removed {} and {} from the kernel", when, plural(flushed->sas, "SA"),
                plural(flushed->policies, "policy"));
  }
}

int Daemon::run() {
  auto ran = loop_.run();
  if (!ran) {
    log_.error("event loop: {}", ran.error());
    flush_kernel("exit");
    return 1;
  }
  // The engine removed the entries of every SA that ended; what remains belongs to SAs whose peer did not
  // answer in time: nothing of ours may outlive the daemon.
  flush_kernel("shutdown");
  log_.notice("ipsecd stopped");
  return 0;
}

}  // namespace ipsecd::daemon
