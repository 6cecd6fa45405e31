// libmnl request/response loop. NLMSG_ERROR and NLMSG_DONE are handled by our own control callbacks: with
// mnl_cb_run2 and a control array, a DONE left unhandled makes dumps wait forever.
#include "netlink/nl_socket.h"

#include <botan/mem_ops.h>

#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <time.h>

namespace ipsecd::netlink {
namespace {

// An SA with the longest keys and a 4096-packet ESN bitmap stays well below this.
constexpr size_t kRequestSize = 4096;
constexpr size_t kReceiveSize = 65536;

struct RunState {
  const NlSocket::ReplyHandler* on_reply = nullptr;
  int error_number = 0;
  std::string extack;
  bool finished = false;
};

int extack_attribute(const nlattr* attr, void* data) {
  auto* state = static_cast<RunState*>(data);
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
    state->extack = mnl_attr_get_str(attr);
  }
  return MNL_CB_OK;
}

int on_error(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<RunState*>(data);
  state->finished = true;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) {
    state->error_number = EBADMSG;
    return MNL_CB_STOP;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  state->error_number = -err->error;
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    // The TLVs follow the echoed request: only its header when capped (NETLINK_CAP_ACK), else all of it.
    const size_t echoed = (nlh->nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : err->msg.nlmsg_len;
    const size_t offset = sizeof(err->error) + echoed;
    if (offset < mnl_nlmsg_get_payload_len(nlh)) mnl_attr_parse(nlh, static_cast<unsigned>(offset), extack_attribute, state);
  }
  return MNL_CB_STOP;
}

int on_done(const nlmsghdr*, void* data) {
  static_cast<RunState*>(data)->finished = true;
  return MNL_CB_STOP;
}

int on_noop(const nlmsghdr*, void*) { return MNL_CB_OK; }

int on_data(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<RunState*>(data);
  if (state->on_reply != nullptr && *state->on_reply) (*state->on_reply)(nlh);
  return MNL_CB_OK;
}

mnl_cb_t kControl[NLMSG_MIN_TYPE] = {nullptr, on_noop, on_error, on_done, on_noop};

}  // namespace

MessageBuffer::MessageBuffer() : bytes_(kRequestSize) {}

bool MessageBuffer::put(nlmsghdr* message, uint16_t type, const void* data, size_t length) {
  return mnl_attr_put_check(message, bytes_.size(), type, length, data);
}

void MessageBuffer::scrub() {
  const size_t used = std::min<size_t>(header()->nlmsg_len, bytes_.size());
  Botan::secure_scrub_memory(bytes_.data(), used == 0 ? bytes_.size() : used);
}

NlSocket::NlSocket(mnl_socket* socket) : socket_(socket), receive_(kReceiveSize) {
  seq_ = static_cast<uint32_t>(time(nullptr));
}

NlSocket::NlSocket(NlSocket&& other) noexcept
    : socket_(other.socket_), seq_(other.seq_), receive_(std::move(other.receive_)) {
  other.socket_ = nullptr;
}

NlSocket& NlSocket::operator=(NlSocket&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(socket_);
    socket_ = other.socket_;
    seq_ = other.seq_;
    receive_ = std::move(other.receive_);
    other.socket_ = nullptr;
  }
  return *this;
}

NlSocket::~NlSocket() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

int NlSocket::fd() const { return mnl_socket_get_fd(socket_); }

Expected<NlSocket, KernelError> NlSocket::open(int bus) {
  mnl_socket* s = mnl_socket_open2(bus, SOCK_CLOEXEC);
  if (s == nullptr) return unexpected(local_error("open netlink socket", errno, "cannot create a netlink socket"));
  NlSocket socket(s);
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    return unexpected(local_error("bind netlink socket", errno, "cannot bind the netlink socket"));
  }
  // Extended acks give the kernel's own reason; capped acks keep the kernel from echoing our request
  // (which may carry keys) back to us.
  int on = 1;
  mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &on, sizeof on);
  mnl_socket_setsockopt(s, NETLINK_CAP_ACK, &on, sizeof on);
  return socket;
}

Expected<Ok, KernelError> NlSocket::request(MessageBuffer& buffer, bool dump, const ErrorContext& context,
                                            const ReplyHandler& on_reply) {
  nlmsghdr* nlh = buffer.header();
  nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0);
  nlh->nlmsg_seq = ++seq_;
  const uint32_t seq = nlh->nlmsg_seq;
  const ssize_t sent = mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len);
  const int send_errno = errno;
  buffer.scrub();
  if (sent < 0) return unexpected(local_error(context.operation, send_errno, "cannot send to the kernel"));

  RunState state;
  state.on_reply = &on_reply;
  const unsigned portid = mnl_socket_get_portid(socket_);
  while (!state.finished) {
    const ssize_t n = mnl_socket_recvfrom(socket_, receive_.data(), receive_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return unexpected(local_error(context.operation, errno, "cannot read the kernel's answer"));
    }
    const int rc = mnl_cb_run2(receive_.data(), static_cast<size_t>(n), seq, portid, on_data, &state,
                               kControl, NLMSG_MIN_TYPE);
    Botan::secure_scrub_memory(receive_.data(), static_cast<size_t>(n));
    if (rc < 0) {
      return unexpected(local_error(context.operation, errno, "the kernel's answer did not parse"));
    }
    if (rc == MNL_CB_STOP) break;
  }
  if (state.error_number != 0) return unexpected(kernel_error(context, state.error_number, state.extack));
  return Ok{};
}

Expected<Ok, KernelError> NlSocket::join_group(unsigned group) {
  int g = static_cast<int>(group);
  if (mnl_socket_setsockopt(socket_, NETLINK_ADD_MEMBERSHIP, &g, sizeof g) < 0) {
    return unexpected(local_error("join netlink group", errno, "cannot subscribe to kernel events"));
  }
  return Ok{};
}

Expected<Ok, KernelError> NlSocket::set_nonblocking() {
  const int flags = fcntl(fd(), F_GETFL);
  if (flags < 0 || fcntl(fd(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return unexpected(local_error("set non-blocking", errno, "cannot make the netlink socket non-blocking"));
  }
  return Ok{};
}

Expected<Ok, KernelError> NlSocket::drain(const ReplyHandler& on_message) {
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(socket_, receive_.data(), receive_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Ok{};
      // ENOBUFS: the kernel dropped events because we were slow; the caller must resynchronise.
      return unexpected(local_error("read kernel events", errno,
                                    errno == ENOBUFS ? "events were lost (socket buffer overflow): resync state"
                                                     : "cannot read kernel events"));
    }
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(receive_.data());
    int len = static_cast<int>(n);
    while (mnl_nlmsg_ok(nlh, len)) {
      if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) on_message(nlh);
      nlh = mnl_nlmsg_next(nlh, &len);
    }
    Botan::secure_scrub_memory(receive_.data(), static_cast<size_t>(n));
  }
}

}  // namespace ipsecd::netlink
