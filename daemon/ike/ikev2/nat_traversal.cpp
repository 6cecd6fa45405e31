// NAT traversal for the IKE SA (RFC 7296 §2.23, RFC 3948): the float to port 4500, following a peer whose
// NAT mapping changed, UDP encapsulation of its CHILD_SAs and keepalives from a side behind a NAT.
#include "daemon/ike/ikev2/engine.h"

#include <algorithm>

namespace ipsecd::ikev2 {
namespace {

constexpr uint16_t kIkePort = 500;
constexpr uint16_t kNatTraversalPort = 4500;

// The SA as it must be after the IKE SA moved to `local`/`remote`: outer addresses and UDP ports follow.
KernelSa moved(const KernelSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote) {
  KernelSa out = sa;
  const ipsecd::Endpoint& src = sa.inbound ? remote : local;
  const ipsecd::Endpoint& dst = sa.inbound ? local : remote;
  out.id.src = src.address;
  out.id.dst = dst.address;
  out.encapsulation = UdpEncapsulation{src.port, dst.port};
  return out;
}

}  // namespace

void Engine::float_to_nat_port(IkeSa& sa) {
  // Only the standard port floats; a connection configured on 4500 (or elsewhere) stays where it is.
  if (sa.local.port == kIkePort) sa.local.port = kNatTraversalPort;
  if (sa.remote.port == kIkePort) sa.remote.port = kNatTraversalPort;
}

std::optional<UdpEncapsulation> Engine::encapsulation(const IkeSa& sa, bool inbound) const {
  if (!sa.nat.udp_encapsulation()) return std::nullopt;
  // RFC 3948 §2.1: ESP travels between the same ports as IKE after the float.
  return inbound ? UdpEncapsulation{sa.remote.port, sa.local.port}
                 : UdpEncapsulation{sa.local.port, sa.remote.port};
}

void Engine::follow_peer(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote) {
  if (local == sa.local && remote == sa.remote) return;
  // §2.23: a host that is not behind a NAT itself SHOULD follow the peer to the address and port of a new,
  // integrity-protected message (the caller only passes those: replays and retransmissions never get
  // here); one behind a NAT SHOULD NOT, as one packet could then break the SA. The initiator's IKE_AUTH
  // is the first protected message and is where its float to 4500 shows: a half-open responder adopts
  // it, and our own port with it.
  const bool setting_up = sa.state == IkeSaState::half_open;
  const bool peer_moved = sa.nat.remote_behind_nat && !sa.nat.local_behind_nat;
  if (!setting_up && !peer_moved) return;
  const ipsecd::Endpoint old_local = sa.local;
  const ipsecd::Endpoint old_remote = sa.remote;
  if (sa.role == IkeRole::responder && remote != sa.remote) {
    // The table of half-open SAs is keyed by the initiator's endpoint; keep it pointing at this SA.
    by_initiator_.erase({sa.remote, sa.spi_i});
    by_initiator_[{remote, sa.spi_i}] = sa.our_spi();
  }
  sa.local = local;
  sa.remote = remote;
  move_encapsulated_children(sa, old_local, old_remote);
}

void Engine::move_encapsulated_children(IkeSa& sa, const ipsecd::Endpoint& old_local,
                                        const ipsecd::Endpoint& old_remote) {
  const bool addresses_changed =
      old_local.address != sa.local.address || old_remote.address != sa.remote.address;
  std::vector<uint32_t> refused;
  for (auto& child : sa.children) {
    bool ok = true;
    for (auto& entry : child.encapsulated_sas) {
      KernelSa next = moved(entry, sa.local, sa.remote);
      if (next == entry) continue;
      if (auto updated = ports_.kernel.update_sa(entry.id, next); !updated) {
        ok = false;
        break;
      }
      std::replace(child.kernel_sas.begin(), child.kernel_sas.end(), entry.id, next.id);
      entry = std::move(next);
    }
    // A tunnel's policies name its outer addresses in their template, by which the kernel finds the
    // outbound SA: they must name the new ones. (Transport-mode policies name no outer addresses.)
    if (ok && addresses_changed && child.mode == IpsecMode::tunnel && !child.encapsulated_sas.empty()) {
      // The child's policies as child_policies builds them for the new addresses; the ones a trap holds
      // for it are not the child's to move.
      for (const auto& policy : child_policies(child.local_ts, child.remote_ts, child.mode, sa.local.address,
                                               sa.remote.address, child.transforms.protocol, child.ah.has_value(),
                                               child.reqid)) {
        const KernelPolicyId id = policy_id(policy);
        if (std::find(child.kernel_policies.begin(), child.kernel_policies.end(), id) == child.kernel_policies.end()) {
          continue;
        }
        if (!policies_.change(child.policy_user(), policy)) ok = false;
      }
    }
    if (!ok) refused.push_back(child.spi_in);
  }
  // A child the kernel would not move carries no traffic any more: it goes, and the peer learns so
  // (§1.4.1) and can set up a new one.
  for (uint32_t spi_in : refused) {
    auto child = std::find_if(sa.children.begin(), sa.children.end(),
                              [&](const ChildSa& c) { return c.spi_in == spi_in; });
    if (child != sa.children.end()) delete_child(sa, *child);
  }
}

std::optional<TimePoint> Engine::keepalive_deadline(const IkeSa& sa) const {
  // RFC 3948 §2.3: only the side behind a NAT keeps its mapping open, and only once IKE_SA_INIT told it.
  // A rekeyed IKE SA leaves that to its successor.
  if (!sa.nat.local_behind_nat || sa.state == IkeSaState::rekeyed || sa.connection == nullptr ||
      sa.connection->nat_keepalive.count() == 0) {
    return std::nullopt;
  }
  return sa.last_sent + std::chrono::duration_cast<Duration>(sa.connection->nat_keepalive);
}

void Engine::on_keepalive_timer(IkeSa& sa, TimePoint now) {
  const auto due = keepalive_deadline(sa);
  if (!due || now < *due) return;
  ports_.datagrams.send_keepalive(sa.local, sa.remote);
  sa.last_sent = now;
}

}  // namespace ipsecd::ikev2
