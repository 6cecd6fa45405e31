// Listener on the XFRM multicast groups: a non-blocking fd for the event loop and typed events.
#pragma once

#include "common/expected.h"
#include "netlink/kernel_error.h"
#include "netlink/nl_socket.h"
#include "netlink/xfrm_types.h"

#include <vector>

namespace ipsecd::netlink {

class XfrmListener {
 public:
  // Subscribes to ACQUIRE, EXPIRE (SA soft/hard and policy expiry), MIGRATE and MAPPING in the calling
  // thread's network namespace.
  static Expected<XfrmListener, KernelError> open();

  // Readable when events are queued; never blocks.
  int fd() const { return socket_.fd(); }

  // Every event queued now (possibly none). Messages of other types are skipped.
  Expected<std::vector<XfrmEvent>, KernelError> read_events();

 private:
  explicit XfrmListener(NlSocket socket) : socket_(std::move(socket)) {}
  NlSocket socket_;
};

}  // namespace ipsecd::netlink
