// Decoding of XFRM multicast messages (ACQUIRE, EXPIRE, POLEXPIRE, MIGRATE, MAPPING) into typed events.
#include "netlink/xfrm_events.h"

#include "netlink/xfrm_codec.h"

#include <arpa/inet.h>
#include <linux/xfrm.h>

#include <optional>

namespace ipsecd::netlink {
namespace {

template <typename T>
const T* payload_as(const nlmsghdr* nlh) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(T)) return nullptr;
  return static_cast<const T*>(mnl_nlmsg_get_payload(nlh));
}

std::optional<XfrmEvent> decode_acquire(const nlmsghdr* nlh) {
  const auto* a = payload_as<xfrm_user_acquire>(nlh);
  if (a == nullptr) return std::nullopt;
  AcquireEvent e;
  e.selector = from_kernel(a->sel);
  e.dst = from_kernel(a->id.daddr, a->policy.sel.family);
  e.src = from_kernel(a->saddr, a->policy.sel.family);
  e.protocol = static_cast<IpsecProtocol>(a->id.proto);
  e.policy_index = a->policy.index;
  e.direction = static_cast<PolicyDirection>(a->policy.dir);
  e.sequence = a->seq;
  const auto attributes = parse_attributes(nlh, sizeof(xfrm_user_acquire));
  // The template the kernel is acquiring for is the one with the acquired protocol.
  for (const auto& t : decode_templates(attributes[XFRMA_TMPL])) {
    if (t.protocol == e.protocol) {
      e.reqid = t.reqid;
      // The SA's family is the template's (tunnel over another family), not the selector's.
      if (t.dst.family != 0) {
        e.dst = from_kernel(a->id.daddr, t.dst.family);
        e.src = from_kernel(a->saddr, t.dst.family);
      }
      break;
    }
  }
  return e;
}

std::optional<XfrmEvent> decode_expire(const nlmsghdr* nlh) {
  const auto* x = payload_as<xfrm_user_expire>(nlh);
  if (x == nullptr) return std::nullopt;
  const auto attributes = parse_attributes(nlh, sizeof(xfrm_user_expire));
  ExpireEvent e;
  e.id = {from_kernel(x->state.saddr, x->state.family), from_kernel(x->state.id.daddr, x->state.family),
          ntohl(x->state.id.spi), static_cast<IpsecProtocol>(x->state.id.proto), decode_mark(attributes[XFRMA_MARK])};
  e.reqid = x->state.reqid;
  e.hard = x->hard != 0;
  return e;
}

std::optional<XfrmEvent> decode_polexpire(const nlmsghdr* nlh) {
  const auto* x = payload_as<xfrm_user_polexpire>(nlh);
  if (x == nullptr) return std::nullopt;
  return PolicyExpireEvent{from_kernel(x->pol.sel), static_cast<PolicyDirection>(x->pol.dir), x->pol.index,
                           x->hard != 0};
}

std::optional<XfrmEvent> decode_migrate_event(const nlmsghdr* nlh) {
  const auto* id = payload_as<xfrm_userpolicy_id>(nlh);
  if (id == nullptr) return std::nullopt;
  return decode_migrate(*id, nlh);
}

std::optional<XfrmEvent> decode_mapping(const nlmsghdr* nlh) {
  const auto* m = payload_as<xfrm_user_mapping>(nlh);
  if (m == nullptr) return std::nullopt;
  MappingEvent e;
  e.id = {{}, from_kernel(m->id.daddr, m->id.family), ntohl(m->id.spi), static_cast<IpsecProtocol>(m->id.proto), {}};
  e.reqid = m->reqid;
  e.old_address = from_kernel(m->old_saddr, m->id.family);
  e.old_port = ntohs(m->old_sport);
  e.new_address = from_kernel(m->new_saddr, m->id.family);
  e.new_port = ntohs(m->new_sport);
  return e;
}

}  // namespace

Expected<XfrmListener, KernelError> XfrmListener::open() {
  auto socket = NlSocket::open(NETLINK_XFRM);
  if (!socket) return unexpected(socket.error());
  // POLEXPIRE travels on the EXPIRE group.
  for (const unsigned group : {XFRMNLGRP_ACQUIRE, XFRMNLGRP_EXPIRE, XFRMNLGRP_MIGRATE, XFRMNLGRP_MAPPING}) {
    if (auto r = socket->join_group(group); !r) return unexpected(r.error());
  }
  if (auto r = socket->set_nonblocking(); !r) return unexpected(r.error());
  return XfrmListener(std::move(*socket));
}

Expected<std::vector<XfrmEvent>, KernelError> XfrmListener::read_events() {
  std::vector<XfrmEvent> events;
  auto r = socket_.drain([&](const nlmsghdr* nlh) {
    std::optional<XfrmEvent> e;
    switch (nlh->nlmsg_type) {
      case XFRM_MSG_ACQUIRE: e = decode_acquire(nlh); break;
      case XFRM_MSG_EXPIRE: e = decode_expire(nlh); break;
      case XFRM_MSG_POLEXPIRE: e = decode_polexpire(nlh); break;
      case XFRM_MSG_MIGRATE: e = decode_migrate_event(nlh); break;
      case XFRM_MSG_MAPPING: e = decode_mapping(nlh); break;
      default: break;
    }
    if (e) events.push_back(std::move(*e));
  });
  if (!r) return unexpected(r.error());
  return events;
}

}  // namespace ipsecd::netlink
