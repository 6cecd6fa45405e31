// The control client: non-blocking Unix socket IO bounded by deadlines through poll(2).
#include "ctl/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace ipsecd::ctl {

namespace {

using Clock = ControlClient::Clock;

Unexpected<ClientError> client_error(ClientError::Kind kind, std::string message) {
  return unexpected(ClientError{kind, std::move(message)});
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60 * 60 * 1000));
}

// Waits for `events` on `fd` until the deadline.
Expected<Ok, ClientError> wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  const int n = poll(&p, 1, remaining_ms(deadline));
  if (n < 0) {
    if (errno == EINTR) return client_error(ClientError::Kind::interrupted, "interrupted");
    return client_error(ClientError::Kind::unreachable, std::string("poll: ") + std::strerror(errno));
  }
  if (n == 0) return client_error(ClientError::Kind::timeout, "timed out waiting for the daemon");
  return Ok{};
}

}  // namespace

Expected<ControlClient, ClientError> ControlClient::connect(const std::string& socket_path,
                                                            std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.empty() || socket_path.size() >= sizeof(addr.sun_path))
    return client_error(ClientError::Kind::unreachable, "socket path \"" + socket_path + "\" is too long");
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return client_error(ClientError::Kind::unreachable, std::string("socket: ") + std::strerror(errno));
  const auto deadline = Clock::now() + timeout;
  // A Unix stream connect either completes at once or fails with EAGAIN when the daemon's backlog is
  // full; then it is tried again until the deadline.
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    if ((err == EAGAIN || err == EINTR) && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    ::close(fd);
    if (err == EAGAIN)
      return client_error(ClientError::Kind::timeout, "the daemon is not accepting connections");
    std::string hint;
    if (err == ENOENT || err == ECONNREFUSED) hint = " (is ipsecd running?)";
    if (err == EACCES) hint = " (run as root or as a member of the control socket's group)";
    return client_error(ClientError::Kind::unreachable,
                        "cannot connect to " + socket_path + ": " + std::strerror(err) + hint);
  }
  return ControlClient(fd);
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      input_(std::move(other.input_)),
      held_events_(std::move(other.held_events_)),
      next_id_(other.next_id_) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    input_ = std::move(other.input_);
    held_events_ = std::move(other.held_events_);
    next_id_ = other.next_id_;
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<Ok, ClientError> ControlClient::send(const Request& request, Clock::time_point deadline) {
  const std::string line = encode_request(request) + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return client_error(ClientError::Kind::unreachable,
                          std::string("lost the connection to the daemon: ") + std::strerror(errno));
    if (auto ready = wait_for(fd_, POLLOUT, deadline); !ready) return unexpected(ready.error());
  }
  return Ok{};
}

Expected<std::string, ClientError> ControlClient::read_line(Clock::time_point deadline) {
  std::size_t scanned = 0;
  for (;;) {
    if (const auto nl = input_.find('\n', scanned); nl != std::string::npos) {
      std::string line = input_.substr(0, nl);
      input_.erase(0, nl + 1);
      return line;
    }
    scanned = input_.size();
    if (input_.size() > max_server_line_bytes)
      return client_error(ClientError::Kind::protocol, "the daemon sent an overlong line");
    std::array<char, 64 * 1024> buffer;
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      input_.append(buffer.data(), static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return client_error(ClientError::Kind::unreachable, "the daemon closed the connection");
    if (errno == EINTR) return client_error(ClientError::Kind::interrupted, "interrupted");
    if (errno != EAGAIN && errno != EWOULDBLOCK)
      return client_error(ClientError::Kind::unreachable,
                          std::string("lost the connection to the daemon: ") + std::strerror(errno));
    if (auto ready = wait_for(fd_, POLLIN, deadline); !ready) return unexpected(ready.error());
  }
}

Expected<ServerLine, ClientError> ControlClient::read(Clock::time_point deadline) {
  if (!held_events_.empty()) {
    Event event = std::move(held_events_.front());
    held_events_.pop_front();
    return ServerLine{std::move(event)};
  }
  auto line = read_line(deadline);
  if (!line) return unexpected(line.error());
  auto parsed = parse_server_line(*line);
  if (!parsed) return client_error(ClientError::Kind::protocol, parsed.error());
  return std::move(*parsed);
}

Expected<Response, ClientError> ControlClient::call(const Request& request, Clock::time_point deadline) {
  if (auto sent = send(request, deadline); !sent) {
    // A daemon that refuses us (denied, busy) answers and closes at once; the refusal may already be
    // waiting to be read even though our request could not be written.
    auto line = read_line(deadline);
    if (!line) return unexpected(sent.error());
    auto parsed = parse_server_line(*line);
    if (parsed && std::holds_alternative<Response>(*parsed)) return std::move(std::get<Response>(*parsed));
    return unexpected(sent.error());
  }
  for (;;) {
    auto line = read_line(deadline);
    if (!line) return unexpected(line.error());
    auto parsed = parse_server_line(*line);
    if (!parsed) return client_error(ClientError::Kind::protocol, parsed.error());
    if (auto* event = std::get_if<Event>(&*parsed)) {
      held_events_.push_back(std::move(*event));
      continue;
    }
    auto& response = std::get<Response>(*parsed);
    if (!response.id || *response.id == request.id) return std::move(response);
  }
}

}  // namespace ipsecd::ctl
