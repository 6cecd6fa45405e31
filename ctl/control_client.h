// Client side of the control protocol: connect to the daemon's socket, send requests, read answers and
// events line by line, each step bounded by a deadline.
#pragma once

#include "common/expected.h"
#include "ctl/protocol.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace ipsecd::ctl {

struct ClientError {
  enum class Kind : uint8_t {
    unreachable,  // no daemon at the socket, no permission, or the connection was lost
    timeout,      // the deadline passed
    interrupted,  // a signal arrived while waiting (the caller decides whether to go on)
    protocol,     // the daemon sent something that is not protocol version 1
  };
  Kind kind{};
  std::string message;
};

class ControlClient {
 public:
  using Clock = std::chrono::steady_clock;
  // Longest line accepted from the daemon: a status listing of many SAs is far longer than a request.
  static constexpr std::size_t max_server_line_bytes = 16 * 1024 * 1024;

  static Expected<ControlClient, ClientError> connect(const std::string& socket_path,
                                                      std::chrono::milliseconds timeout);
  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // A fresh request id for this connection.
  uint64_t next_id() { return next_id_++; }

  Expected<Ok, ClientError> send(const Request& request, Clock::time_point deadline);
  // The next line from the daemon (events held back by call() first).
  Expected<ServerLine, ClientError> read(Clock::time_point deadline);
  // Sends `request` and waits for the response with its id; events that arrive meanwhile are kept for
  // read(). A response without an id (the daemon could not read ours, or refused the connection) also
  // ends the wait.
  Expected<Response, ClientError> call(const Request& request, Clock::time_point deadline);

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  Expected<std::string, ClientError> read_line(Clock::time_point deadline);

  int fd_ = -1;
  std::string input_;
  std::deque<Event> held_events_;
  uint64_t next_id_ = 1;
};

}  // namespace ipsecd::ctl
