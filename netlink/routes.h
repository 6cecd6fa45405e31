// Routes and local addresses through libnl-route-3: the path toward a peer and address-change events.
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "netlink/kernel_error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

struct nl_sock;

namespace ipsecd::netlink {

struct RouteToPeer {
  IpAddress source;  // the address the kernel would send from (RTA_PREFSRC of the lookup)
  int ifindex = 0;
  std::string interface;
  std::optional<IpAddress> gateway;
};

struct AddressEvent {
  bool added = false;  // RTM_NEWADDR; false: RTM_DELADDR
  IpAddress address;
  uint8_t prefix_length = 0;
  int ifindex = 0;
};

struct NlSockDeleter {
  void operator()(nl_sock* socket) const;
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;

class Routes {
 public:
  // A NETLINK_ROUTE socket in the calling thread's network namespace.
  static Expected<Routes, KernelError> open();
  // RTM_GETROUTE for `peer`: what the kernel would use to reach it now.
  Expected<RouteToPeer, KernelError> route_to(const IpAddress& peer);

 private:
  explicit Routes(NlSockPtr socket) : socket_(std::move(socket)) {}
  NlSockPtr socket_;
};

class AddressMonitor {
 public:
  // Subscribes to IPv4 and IPv6 address changes.
  static Expected<AddressMonitor, KernelError> open();
  int fd() const;
  // Every address change queued now (possibly none); never blocks.
  Expected<std::vector<AddressEvent>, KernelError> read_events();

 private:
  explicit AddressMonitor(NlSockPtr socket) : socket_(std::move(socket)) {}
  NlSockPtr socket_;
};

}  // namespace ipsecd::netlink
