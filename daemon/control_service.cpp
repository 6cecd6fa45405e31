// ControlService: ipsecctl requests answered from the Daemon, --wait bookkeeping, events to subscribers.
#include "daemon/control_service.h"

#include "crypto/ipsec_overhead.h"
#include "daemon/event_text.h"
#include "daemon/ike/ikev2/traffic_selectors.h"
#include "daemon/status_counters.h"

#include <fmt/format.h>

#include <grp.h>

#include <algorithm>
#include <chrono>
#include <type_traits>

namespace ipsecd::daemon {

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view child_state(ikev2::ChildSaState state) {
  switch (state) {
    case ikev2::ChildSaState::installed: return "installed";
    case ikev2::ChildSaState::rekeying: return "rekeying";
    case ikev2::ChildSaState::rekeyed: return "rekeyed";
    case ikev2::ChildSaState::deleting: return "deleting";
  }
  return "installed";
}

// "ESP:ENCR_AES_GCM_16_256/NO_EXT_SEQ" -> "ENCR_AES_GCM_16_256": the encryption part of the transforms.
std::string encryption_text(const ikev2::NegotiatedTransforms& transforms) {
  if (transforms.protocol == iana::SecurityProtocolId::AH) return {};
  std::string text = ikev2::to_string(transforms);
  if (const auto colon = text.find(':'); colon != std::string::npos) text.erase(0, colon + 1);
  if (const auto slash = text.find('/'); slash != std::string::npos) text.erase(slash);
  return text;
}

std::string config_errors_text(const std::vector<config::ConfigError>& errors) {
  std::string out;
  for (const auto& error : errors) out += (out.empty() ? "" : "\n") + config::to_string(error);
  return out;
}

// What each packet gains and the MSS that fits 1500 octets (crypto/ipsec_overhead.h): the figures a user
// needs for MTU and MSS clamping.
void fill_overhead(ctl::ChildSaInfo& info, const ChildSaRecord& record, const ikev2::ChildSaSummary& child,
                   bool udp_encapsulation, bool ipv6) {
  crypto::SaFramingSpec spec;
  if (record.transforms.protocol == iana::SecurityProtocolId::AH) {
    spec.ah = record.transforms.integrity;
  } else {
    spec.esp = crypto::EspTransforms{record.transforms.encryption.id, record.transforms.integrity};
    spec.ah = child.ah_integrity;
  }
  spec.tunnel = record.mode == ikev2::IpsecMode::tunnel;
  spec.ipv6 = ipv6;
  spec.udp_encapsulation = udp_encapsulation && spec.esp.has_value();
  auto framing = crypto::sa_framing(spec);
  if (!framing) return;
  info.overhead_bytes = static_cast<uint32_t>(framing->worst_case_overhead());
  info.mss_1500 = static_cast<uint32_t>(crypto::tcp_mss_for_path(*framing, spec, 1500));
}

// Time to the next rekey and to the hard limits, from the engine's schedule and the child's lifetimes.
void fill_time_left(ctl::ChildSaInfo& info, const ChildSaRecord& record, const ikev2::ChildSaSummary& child,
                    std::chrono::steady_clock::time_point now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (child.rekey_at) info.rekey_in_seconds = duration_cast<seconds>(*child.rekey_at - now).count();
  if (child.lifetime.hard_seconds != 0) {
    const auto expires = record.installed_at + seconds(child.lifetime.hard_seconds);
    info.life_in_seconds = duration_cast<seconds>(expires - now).count();
  }
  if (child.lifetime.hard_bytes != 0) {
    const uint64_t used = std::max(info.bytes_in, info.bytes_out);
    info.bytes_left = used >= child.lifetime.hard_bytes ? 0 : child.lifetime.hard_bytes - used;
  }
}

}  // namespace

Expected<std::unique_ptr<ControlService>, std::string> ControlService::open(Daemon& daemon) {
  const auto& settings = daemon.config().daemon;
  ctl::ControlServerOptions options;
  options.socket_path = settings.ctl_socket.string();
  if (settings.ctl_group) {
    const group* g = getgrnam(settings.ctl_group->c_str());
    if (g == nullptr) return unexpected("ctl_group '" + *settings.ctl_group + "' is no group of this system");
    options.group = g->gr_gid;
  }
  std::unique_ptr<ControlService> service(new ControlService(daemon));
  auto server = ctl::ControlServer::open(daemon.loop(), *service, std::move(options));
  if (!server) return unexpected("control socket " + settings.ctl_socket.string() + ": " + server.error());
  service->server_ = std::move(*server);
  ControlService* self = service.get();
  daemon.add_event_observer([self](const ikev2::Event& event) { self->on_event(event); });
  return service;
}

ctl::Event ControlService::to_ctl_event(const ikev2::Event& event) {
  ctl::Event out;
  out.time = unix_now();
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        out.connection = e.connection;
        if constexpr (std::is_same_v<T, ikev2::IkeSaEstablished>) {
          out.type = ctl::EventType::ike_up;
          out.ike_sa = e.ike_sa;
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaFailed>) {
          out.type = ctl::EventType::ike_failed;
          out.ike_sa = e.ike_sa;
          out.reason = failure_text(e.failure);
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaDeleted>) {
          out.type = ctl::EventType::ike_down;
          out.ike_sa = e.ike_sa;
          if (e.by_peer) out.reason = "deleted by the peer";
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaRekeyed>) {
          out.type = ctl::EventType::ike_rekeyed;
          out.ike_sa = e.new_ike_sa;
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaInstalled>) {
          out.type = ctl::EventType::child_up;
          out.ike_sa = e.ike_sa;
          out.child = e.child;
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaFailed>) {
          out.type = ctl::EventType::child_failed;
          out.ike_sa = e.ike_sa;
          out.child = e.child;
          out.reason = failure_text(e.failure);
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaDeleted>) {
          out.type = ctl::EventType::child_down;
          out.ike_sa = e.ike_sa;
          out.child = e.child;
        } else {
          static_assert(std::is_same_v<T, ikev2::ChildSaRekeyed>);
          out.type = ctl::EventType::child_rekeyed;
          out.ike_sa = e.ike_sa;
          out.child = e.child;
        }
      },
      event);
  return out;
}

ctl::Status ControlService::status() const {
  ctl::Status status;
  status.counters = status_counters(daemon_.counters(), daemon_.engine().counters(), daemon_.socket_counters());
  const auto& config = daemon_.config();
  for (const auto& c : config.connections) {
    ctl::ConnectionInfo info;
    info.name = c.name;
    info.local_addrs.push_back(c.local_address ? c.local_address->to_string() : "%any");
    info.remote_addrs.push_back(c.remote_address ? c.remote_address->to_string() : "%any");
    for (const auto& child : c.children) info.children.push_back(child.name);
    status.connections.push_back(std::move(info));
  }
  const auto now = std::chrono::steady_clock::now();
  auto& xfrm = daemon_.kernel().xfrm();
  for (const auto& summary : daemon_.engine().ike_sas()) {
    ctl::IkeSaInfo info;
    info.connection = summary.connection;
    info.unique_id = summary.unique_id;
    info.state = std::string(ikev2::name(summary.state));
    info.role = summary.role == ikev2::IkeRole::initiator ? "initiator" : "responder";
    const IkeSaRecord* record = daemon_.sas().ike_sa(summary.unique_id);
    if (record != nullptr) {
      info.local = record->local.to_string();
      info.remote = record->remote.to_string();
      info.local_id = ikev2::to_string(record->local_id);
      info.remote_id = ikev2::to_string(record->remote_id);
      info.proposal = ikev2::to_keywords(record->transforms);
      info.established_seconds =
          std::chrono::duration_cast<std::chrono::seconds>(now - record->established_at).count();
    }
    for (const auto& child : summary.child_sas) {
      ctl::ChildSaInfo c;
      c.name = child.name;
      c.state = std::string(child_state(child.state));
      c.spi_in = fmt::format("{:08x}", child.spi_in);
      c.spi_out = fmt::format("{:08x}", child.spi_out);
      if (const ChildSaRecord* r = daemon_.sas().child_sa(child.spi_in)) {
        c.unique_id = r->ordinal;
        c.mode = r->mode == ikev2::IpsecMode::tunnel ? "tunnel" : "transport";
        c.protocol = child.ah_integrity ? "ESP+AH" : std::string(iana::name(r->transforms.protocol));
        c.encryption = encryption_text(r->transforms);
        if (r->transforms.integrity != iana::IntegrityAlgorithm::NONE) {
          c.integrity = std::string(iana::name(r->transforms.integrity));
        }
        c.esn = r->transforms.esn;
        for (const auto& s : r->local_ts) c.local_ts.push_back(ikev2::format_selector(s));
        for (const auto& s : r->remote_ts) c.remote_ts.push_back(ikev2::format_selector(s));
        if (record != nullptr) {
          // The kernel's counters; an SA it no longer has just reads as zero. The SPIs are those of the
          // CHILD_SA's protocol (ESP in an ESP+AH bundle); the kernel finds an SA by SPI only when the
          // protocol is given, so it must be the right one.
          const auto protocol = r->transforms.protocol == iana::SecurityProtocolId::AH ? netlink::IpsecProtocol::Ah
                                                                                       : netlink::IpsecProtocol::Esp;
          if (auto in = xfrm.get_sa({record->remote.address, record->local.address, child.spi_in, protocol, {}})) {
            c.bytes_in = in->counters.bytes;
            c.packets_in = in->counters.packets;
          }
          if (auto out = xfrm.get_sa({record->local.address, record->remote.address, child.spi_out, protocol, {}})) {
            c.bytes_out = out->counters.bytes;
            c.packets_out = out->counters.packets;
          }
          fill_overhead(c, *r, child, summary.nat.udp_encapsulation(), record->remote.address.family == AF_INET6);
        }
        fill_time_left(c, *r, child, now);
      }
      info.children.push_back(std::move(c));
    }
    status.ike_sas.push_back(std::move(info));
  }
  return status;
}

void ControlService::handle(const ctl::Request& request, ctl::Responder responder) {
  switch (request.command) {
    case ctl::Command::version:
      responder.succeed(ctl::Version{"ipsecd", IPSECD_VERSION, ctl::protocol_version});
      return;
    case ctl::Command::status: responder.succeed(status()); return;
    case ctl::Command::up: up(std::get<ctl::UpArgs>(request.args), std::move(responder)); return;
    case ctl::Command::down: down(std::get<ctl::DownArgs>(request.args), std::move(responder)); return;
    case ctl::Command::reload: reload(std::get<ctl::ReloadArgs>(request.args), std::move(responder)); return;
    case ctl::Command::subscribe: break;  // the server answers it
  }
  responder.fail(ctl::ErrorCode::unknown_command, "not handled by the daemon");
}

void ControlService::up(const ctl::UpArgs& args, ctl::Responder responder) {
  const auto* connection = daemon_.config().connection(args.conn);
  if (connection == nullptr) {
    responder.fail(ctl::ErrorCode::not_found, "no connection named '" + args.conn + "'");
    return;
  }
  auto started = daemon_.up(args.conn, args.child);
  if (!started) {
    responder.fail(args.child ? ctl::ErrorCode::not_found : ctl::ErrorCode::failed, started.error());
    return;
  }
  if (!args.wait_seconds) {
    responder.succeed(ctl::UpResult{args.conn, *started, {}, false});
    return;
  }
  Wait wait{responder, args.conn, *started, {}, {}, {}, {}, true, 0};
  for (const auto& child : connection->children) {
    if (!args.child || child.name == *args.child) wait.children.insert(child.name);
  }
  start_wait(std::move(wait), *args.wait_seconds, "the CHILD_SAs were not installed in time");
}

void ControlService::start_wait(Wait wait, uint32_t seconds, std::string timeout_reason) {
  waits_.push_back(std::move(wait));
  auto it = std::prev(waits_.end());
  it->timer = daemon_.loop().add_timer(io::EventLoop::Clock::now() + std::chrono::seconds(seconds),
                                       [this, it, reason = std::move(timeout_reason)] {
                                         it->timer = 0;
                                         it->responder.fail(ctl::ErrorCode::timeout, reason);
                                         finish(it);
                                       });
}

void ControlService::down(const ctl::DownArgs& args, ctl::Responder responder) {
  auto ids = daemon_.down(args.conn);
  if (!ids) {
    responder.fail(ctl::ErrorCode::not_found, ids.error());
    return;
  }
  if (!args.wait_seconds || ids->empty()) {
    responder.succeed(ctl::DownResult{args.conn, *ids, ids->empty()});
    return;
  }
  // An IKE SA that was not yet established went at once, its IkeSaDeleted emitted before this wait
  // existed: only those the engine still holds are waited for (the registry does not know all of them: a
  // peer's colliding rekey SA, say).
  std::set<uint64_t> remaining;
  for (const auto& sa : daemon_.engine().ike_sas()) {
    if (std::find(ids->begin(), ids->end(), sa.unique_id) != ids->end()) remaining.insert(sa.unique_id);
  }
  if (remaining.empty()) {
    responder.succeed(ctl::DownResult{args.conn, *ids, true});
    return;
  }
  Wait wait{responder, args.conn, 0, {}, {}, std::move(remaining), *ids, false, 0};
  start_wait(std::move(wait), *args.wait_seconds, "the IKE SAs were not gone in time");
}

void ControlService::reload(const ctl::ReloadArgs& args, ctl::Responder responder) {
  auto outcome = daemon_.reload(args.dry_run);
  if (!outcome) {
    responder.fail(ctl::ErrorCode::failed, config_errors_text(outcome.error()));
    return;
  }
  responder.succeed(ctl::ReloadResult{outcome->added, outcome->changed, outcome->removed, !args.dry_run});
}

void ControlService::finish(std::list<Wait>::iterator wait) {
  if (wait->timer != 0) daemon_.loop().cancel_timer(wait->timer);
  waits_.erase(wait);
}

void ControlService::on_event(const ikev2::Event& event) {
  server_->publish(to_ctl_event(event));
  for (auto it = waits_.begin(); it != waits_.end();) {
    auto current = it++;
    Wait& wait = *current;
    if (wait.is_up) {
      if (const auto* up = std::get_if<ikev2::ChildSaInstalled>(&event);
          up != nullptr && up->connection == wait.connection && wait.children.erase(up->child) > 0) {
        wait.installed.push_back(up->child);
        if (wait.children.empty()) {
          wait.responder.succeed(ctl::UpResult{wait.connection, up->ike_sa, wait.installed, true});
          finish(current);
        }
      } else if (const auto* failed = std::get_if<ikev2::ChildSaFailed>(&event);
                 failed != nullptr && failed->connection == wait.connection && wait.children.count(failed->child)) {
        wait.responder.fail(ctl::ErrorCode::failed,
                            fmt::format("child {}: {}", failed->child, failure_text(failed->failure)));
        finish(current);
      } else if (const auto* ike = std::get_if<ikev2::IkeSaFailed>(&event); ike != nullptr && ike->ike_sa == wait.ike_sa) {
        wait.responder.fail(ctl::ErrorCode::failed, failure_text(ike->failure));
        finish(current);
      }
    } else {
      // A rekey that was in flight when `down` came hands the Delete on to the new IKE SA: wait for that.
      if (const auto* rekeyed = std::get_if<ikev2::IkeSaRekeyed>(&event);
          rekeyed != nullptr && wait.ike_sas.erase(rekeyed->old_ike_sa) > 0) {
        wait.ike_sas.insert(rekeyed->new_ike_sa);
        continue;
      }
      uint64_t gone = 0;
      if (const auto* deleted = std::get_if<ikev2::IkeSaDeleted>(&event)) gone = deleted->ike_sa;
      if (const auto* failed = std::get_if<ikev2::IkeSaFailed>(&event)) gone = failed->ike_sa;
      if (gone != 0 && wait.ike_sas.erase(gone) > 0 && wait.ike_sas.empty()) {
        wait.responder.succeed(ctl::DownResult{wait.connection, wait.all_ike_sas, true});
        finish(current);
      }
    }
  }
}

}  // namespace ipsecd::daemon
