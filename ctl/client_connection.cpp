// A control client's socket: reads JSON lines (bounded), dispatches requests, and queues answers and
// events without ever blocking the event loop.
#include "ctl/client_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ipsecd::ctl {

namespace {

// How much one readiness callback reads before yielding to other watchers (the loop is level-triggered,
// so the rest is read at the next turn).
constexpr std::size_t read_budget = 64 * 1024;

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

}  // namespace

ClientConnection::ClientConnection(ControlServer& server, int fd, PeerCredentials peer)
    : server_(server), fd_(fd), peer_(std::move(peer)) {}

ClientConnection::~ClientConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void ClientConnection::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  server_.loop_.unwatch(fd);
  ::close(fd);
  fd_ = -1;
  server_.clients_.erase(fd);  // may destroy *this: nothing may follow
}

void ClientConnection::on_ready(uint32_t readiness) {
  auto self = shared_from_this();  // a handler may disconnect us while we run
  if (readiness & io::writable) flush();
  if (open() && (readiness & (io::readable | io::hang_up))) read_available();
}

void ClientConnection::read_available() {
  std::array<char, 16 * 1024> buffer;
  std::size_t budget = read_budget;
  while (open() && budget > 0) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close();
      return;
    }
    if (n == 0) {  // the client closed: its unanswered requests' Responders become no-ops
      close();
      return;
    }
    budget -= std::min(budget, static_cast<std::size_t>(n));
    input_.append(buffer.data(), static_cast<std::size_t>(n));

    std::size_t start = 0;
    for (std::size_t nl; open() && (nl = input_.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(input_.data() + start, nl - start);
      if (line.size() > server_.options_.max_line_bytes) break;
      handle_line(line);
    }
    if (!open()) return;
    input_.erase(0, start);
    const std::size_t nl = input_.find('\n');
    const std::size_t pending_line = nl == std::string::npos ? input_.size() : nl;
    if (pending_line > server_.options_.max_line_bytes) {
      refuse_and_close(std::nullopt, ErrorCode::bad_request,
                       "line longer than " + std::to_string(server_.options_.max_line_bytes) + " bytes");
      return;
    }
  }
}

void ClientConnection::handle_line(std::string_view line) {
  if (blank(line)) return;
  auto request = parse_request(line);
  if (!request) {
    send_line(encode_error(request.error().id, request.error().error));
    return;
  }
  if (request->command == Command::subscribe) {
    subscribed_ = true;
    send_line(encode_result(request->id, Subscribed{}));
    return;
  }
  if (pending_requests_ >= server_.options_.max_pending_requests) {
    send_line(
        encode_error(request->id, Error{ErrorCode::busy, "too many unanswered requests on this connection"}));
    return;
  }
  ++pending_requests_;
  auto pending = std::make_shared<PendingReply>();
  pending->client = weak_from_this();
  pending->id = request->id;
  server_.handler_.handle(*request, Responder(std::move(pending)));
}

void ClientConnection::send_answer(std::string_view line) {
  if (pending_requests_ > 0) --pending_requests_;
  send_line(line);
}

bool ClientConnection::send_line(std::string_view line) {
  if (!open()) return false;
  // A client that does not read must not make the daemon hold (or wait for) its output. One line is
  // always taken when nothing is queued, so a large status answer still goes out.
  const std::size_t unsent = output_.size() - output_sent_;
  if (unsent > 0 && unsent + line.size() + 1 > server_.options_.max_output_bytes) {
    close();
    return false;
  }
  output_.append(line);
  output_.push_back('\n');
  flush();
  return open();
}

void ClientConnection::flush() {
  while (open() && output_sent_ < output_.size()) {
    const ssize_t n = ::send(fd_, output_.data() + output_sent_, output_.size() - output_sent_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        close();
        return;
      }
      break;
    }
    output_sent_ += static_cast<std::size_t>(n);
  }
  if (!open()) return;
  if (output_sent_ == output_.size()) {
    output_.clear();
    output_sent_ = 0;
  }
  const bool want_write = !output_.empty();
  if (want_write != want_write_) {
    want_write_ = want_write;
    if (!server_.loop_.change(fd_, io::readable | (want_write ? io::writable : 0u))) close();
  }
}

void ClientConnection::refuse_and_close(const std::optional<uint64_t>& id, ErrorCode code,
                                        std::string message) {
  send_line(encode_error(id, Error{code, std::move(message)}));
  close();
}

}  // namespace ipsecd::ctl
