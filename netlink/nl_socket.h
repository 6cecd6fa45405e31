// A libmnl netlink socket: request/response with ACK and dump handling, extended-ack texts, scrubbed buffers.
#pragma once

#include "common/expected.h"
#include "netlink/kernel_error.h"
#include "netlink/xfrm_types.h"

#include <libmnl/libmnl.h>

#include <cstdint>
#include <functional>
#include <span>

namespace ipsecd::netlink {

// The buffer a request is built in. It may hold keys: it is wiped when freed and by NlSocket::request.
class MessageBuffer {
 public:
  MessageBuffer();
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(bytes_.data()); }
  size_t capacity() const { return bytes_.size(); }
  // Adds an attribute; false when it does not fit.
  bool put(nlmsghdr* message, uint16_t type, const void* data, size_t length);
  // Wipes the bytes the message used (the rest were never written).
  void scrub();

 private:
  SecretBytes bytes_;
};

class NlSocket {
 public:
  using ReplyHandler = std::function<void(const nlmsghdr*)>;

  // A socket on `bus` (NETLINK_XFRM, NETLINK_ROUTE) in the calling thread's network namespace.
  static Expected<NlSocket, KernelError> open(int bus);

  NlSocket(NlSocket&& other) noexcept;
  NlSocket& operator=(NlSocket&& other) noexcept;
  NlSocket(const NlSocket&) = delete;
  NlSocket& operator=(const NlSocket&) = delete;
  ~NlSocket();

  int fd() const;

  // Sends `message` (flags NLM_F_REQUEST | NLM_F_ACK, plus NLM_F_DUMP if `dump`) and calls `on_reply` for
  // every reply that is not the final ACK/DONE. The request buffer and receive buffers are wiped after
  // use. A kernel error becomes a KernelError built from `context`.
  Expected<Ok, KernelError> request(MessageBuffer& buffer, bool dump, const ErrorContext& context,
                                    const ReplyHandler& on_reply);

  // Listener side: joins a multicast group, switches to non-blocking and drains what is queued.
  Expected<Ok, KernelError> join_group(unsigned group);
  Expected<Ok, KernelError> set_nonblocking();
  // Calls `on_message` for every message queued now; returns when the socket would block.
  Expected<Ok, KernelError> drain(const ReplyHandler& on_message);

 private:
  explicit NlSocket(mnl_socket* socket);
  mnl_socket* socket_ = nullptr;
  uint32_t seq_ = 0;
  // Replies may carry keys (GETSA, dumps): received into one wiped buffer, allocated once per socket.
  SecretBytes receive_;
};

}  // namespace ipsecd::netlink
