// libnl-route-3 route lookup (RTM_GETROUTE) and RTM_NEWADDR/RTM_DELADDR subscription.
#include "netlink/routes.h"

#include <fmt/format.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace ipsecd::netlink {
namespace {

// libnl reports its own codes; map the ones a caller can act on back to errno.
int errno_of(int nl_error) {
  switch (nl_error < 0 ? -nl_error : nl_error) {
    case NLE_PERM: return EPERM;
    case NLE_NOMEM: return ENOMEM;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_INVAL: return EINVAL;
    case NLE_AGAIN: return EAGAIN;
    default: return ENETUNREACH;
  }
}

KernelError nl_failure(std::string_view operation, int nl_error, std::string_view sentence) {
  const int e = errno_of(nl_error);
  return {e, fmt::format("{}: {} ({}, errno {}; libnl: {})", operation, sentence, std::strerror(e), e,
                         nl_geterror(nl_error))};
}

Expected<NlSockPtr, KernelError> connect_route_socket(std::string_view operation) {
  NlSockPtr socket(nl_socket_alloc());
  if (!socket) return unexpected(local_error(operation, ENOMEM, "cannot allocate a libnl socket"));
  if (const int err = nl_connect(socket.get(), NETLINK_ROUTE); err < 0) {
    return unexpected(nl_failure(operation, err, "cannot open a NETLINK_ROUTE socket"));
  }
  return socket;
}

IpAddress from_nl_addr(const nl_addr* a) {
  IpAddress out;
  if (a == nullptr) return out;
  const auto family = nl_addr_get_family(a);
  const auto length = nl_addr_get_len(a);
  if ((family == AF_INET && length == 4) || (family == AF_INET6 && length == 16)) {
    out.family = family;
    std::memcpy(out.bytes.data(), nl_addr_get_binary_addr(a), length);
  }
  return out;
}

struct ParseContext {
  std::vector<AddressEvent>* events;
  bool added;
};

void on_address_object(nl_object* object, void* data) {
  auto* context = static_cast<ParseContext*>(data);
  auto* addr = reinterpret_cast<rtnl_addr*>(object);
  AddressEvent e;
  e.added = context->added;
  e.address = from_nl_addr(rtnl_addr_get_local(addr));
  e.prefix_length = static_cast<uint8_t>(rtnl_addr_get_prefixlen(addr));
  e.ifindex = rtnl_addr_get_ifindex(addr);
  if (e.address.family != 0) context->events->push_back(e);
}

int on_address_message(nl_msg* msg, void* data) {
  const int type = nlmsg_hdr(msg)->nlmsg_type;
  if (type != RTM_NEWADDR && type != RTM_DELADDR) return NL_SKIP;
  ParseContext context{static_cast<std::vector<AddressEvent>*>(data), type == RTM_NEWADDR};
  nl_msg_parse(msg, on_address_object, &context);
  return NL_OK;
}

}  // namespace

void NlSockDeleter::operator()(nl_sock* socket) const { nl_socket_free(socket); }

Expected<Routes, KernelError> Routes::open() {
  auto socket = connect_route_socket("open route socket");
  if (!socket) return unexpected(socket.error());
  return Routes(std::move(*socket));
}

Expected<RouteToPeer, KernelError> Routes::route_to(const IpAddress& peer) {
  const std::string operation = "route to " + peer.to_string();
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> dst(
      nl_addr_build(peer.family, peer.bytes.data(), peer.family == AF_INET6 ? 16 : 4), nl_addr_put);
  if (!dst) return unexpected(local_error(operation, ENOMEM, "cannot build the destination"));
  nl_addr_set_prefixlen(dst.get(), peer.bit_length());
  rtnl_route* found = nullptr;
  if (const int err = rtnl_route_lookup(socket_.get(), dst.get(), &found); err < 0) {
    return unexpected(nl_failure(operation, err, "the kernel has no route to this peer: add a route or bring "
                                                 "the interface toward it up"));
  }
  std::unique_ptr<rtnl_route, decltype(&rtnl_route_put)> route(found, rtnl_route_put);
  RouteToPeer out;
  out.source = from_nl_addr(rtnl_route_get_pref_src(route.get()));
  if (rtnl_route_get_nnexthops(route.get()) > 0) {
    rtnl_nexthop* hop = rtnl_route_nexthop_n(route.get(), 0);
    out.ifindex = rtnl_route_nh_get_ifindex(hop);
    if (const nl_addr* gateway = rtnl_route_nh_get_gateway(hop)) out.gateway = from_nl_addr(gateway);
  }
  char name[IF_NAMESIZE] = {};
  if (out.ifindex > 0 && if_indextoname(static_cast<unsigned>(out.ifindex), name) != nullptr) out.interface = name;
  if (out.source.family == 0) {
    return unexpected(local_error(operation, EADDRNOTAVAIL,
                                  "the kernel found a route but no source address: configure an address on " +
                                      (out.interface.empty() ? std::string("the outgoing interface") : out.interface)));
  }
  return out;
}

Expected<AddressMonitor, KernelError> AddressMonitor::open() {
  NlSockPtr socket(nl_socket_alloc());
  if (!socket) return unexpected(local_error("watch addresses", ENOMEM, "cannot allocate a libnl socket"));
  // Notifications carry the kernel's sequence numbers, not ours.
  nl_socket_disable_seq_check(socket.get());
  if (const int err = nl_connect(socket.get(), NETLINK_ROUTE); err < 0) {
    return unexpected(nl_failure("watch addresses", err, "cannot open a NETLINK_ROUTE socket"));
  }
  if (const int err = nl_socket_add_memberships(socket.get(), RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0); err < 0) {
    return unexpected(nl_failure("watch addresses", err, "cannot subscribe to address changes"));
  }
  if (const int err = nl_socket_set_nonblocking(socket.get()); err < 0) {
    return unexpected(nl_failure("watch addresses", err, "cannot make the socket non-blocking"));
  }
  return AddressMonitor(std::move(socket));
}

int AddressMonitor::fd() const { return nl_socket_get_fd(socket_.get()); }

Expected<std::vector<AddressEvent>, KernelError> AddressMonitor::read_events() {
  std::vector<AddressEvent> events;
  std::unique_ptr<nl_cb, decltype(&nl_cb_put)> cb(nl_cb_clone(nl_socket_get_cb(socket_.get())), nl_cb_put);
  if (!cb) return unexpected(local_error("read address events", ENOMEM, "cannot allocate a libnl callback"));
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_address_message, &events);
  // One datagram per call; 0 when the socket would block.
  for (;;) {
    const int rc = nl_recvmsgs_report(socket_.get(), cb.get());
    if (rc == 0 || rc == -NLE_AGAIN) break;
    if (rc < 0) return unexpected(nl_failure("read address events", rc, "cannot read address changes"));
  }
  return events;
}

}  // namespace ipsecd::netlink
