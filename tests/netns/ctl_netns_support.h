// Helpers for the ipsecctl / control-socket tests against the real daemon: the built ipsecctl, a raw
// socket client that can misbehave, commands run as another user, and throwaway users and groups.
#pragma once

#include "tests/netns/daemon_process.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace ipsecd::test {

// ipsecctl beside ipsecd in the build tree (<build>/daemon/ipsecd -> <build>/ctl/ipsecctl): netns_tests
// is only told where ipsecd is.
inline std::string ipsecctl_binary() {
  std::string path = ipsecd_binary();
  const std::string daemon_part = "/daemon/ipsecd";
  if (path.size() > daemon_part.size() &&
      path.compare(path.size() - daemon_part.size(), daemon_part.size(), daemon_part) == 0)
    path.replace(path.size() - daemon_part.size(), daemon_part.size(), "/ctl/ipsecctl");
  return path;
}

struct SplitResult {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` (a shell command line) with stdout and stderr kept apart, through a file in `dir` of its
// own (calls may overlap: a monitor runs on a thread beside other commands).
inline SplitResult run_split(const ScratchDir& dir, const std::string& command) {
  static std::atomic<unsigned> calls{0};
  const std::string out_file = dir.path() + "/stdout-" + std::to_string(calls++) + ".txt";
  const auto result = run("{ " + command + " >'" + out_file + "'; }");
  std::ifstream in(out_file);
  std::stringstream out;
  out << in.rdbuf();
  return {result.status, out.str(), result.output};
}

// `ipsecctl --socket SOCKET ARGS`, stdout and stderr apart.
inline SplitResult ipsecctl(const ScratchDir& dir, const std::string& socket, const std::string& args) {
  return run_split(dir, ipsecctl_binary() + " --socket '" + socket + "' " + args);
}

// A control-socket client that sends whatever bytes it is given and reads raw lines: for garbage,
// oversized lines, silence and not reading at all.
class RawSocket {
 public:
  explicit RawSocket(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (fd_ < 0 || path.size() >= sizeof(address.sun_path)) return;
    std::memcpy(address.sun_path, path.data(), path.size());
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() { close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void set_receive_buffer(int bytes) const {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }

  // Sends as much of `data` as the socket takes; returns how many bytes went out (fewer when the daemon
  // closed the connection or would block for longer than `limit`).
  std::size_t send(std::string_view data,
                   std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait(POLLOUT, end)) continue;
      break;
    }
    return sent;
  }

  // The next line without its newline; nullopt on timeout or end of input (then eof() is true).
  std::optional<std::string> read_line(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto nl = input_.find('\n');
      if (nl != std::string::npos) {
        std::string line = input_.substr(0, nl);
        input_.erase(0, nl + 1);
        return line;
      }
      if (eof_ || !fill(end)) return std::nullopt;
    }
  }

  // Reads and discards until the daemon closes the connection (true) or `limit` passes (false); counts
  // the complete lines seen on the way.
  bool drain_until_closed(std::chrono::milliseconds limit, std::size_t* lines = nullptr) {
    const auto end = std::chrono::steady_clock::now() + limit;
    std::size_t count = 0;
    while (!eof_) {
      for (auto nl = input_.find('\n'); nl != std::string::npos; nl = input_.find('\n')) {
        ++count;
        input_.erase(0, nl + 1);
      }
      if (!fill(end) && !eof_) break;
    }
    for (char c : input_) count += c == '\n' ? 1 : 0;
    input_.clear();
    if (lines != nullptr) *lines = count;
    return eof_;
  }

  bool eof() const { return eof_; }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point end) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, events, 0};
    return ::poll(&p, 1, static_cast<int>(left.count())) > 0;
  }

  // Reads what is there, waiting until `end`; false on timeout or end of input.
  bool fill(std::chrono::steady_clock::time_point end) {
    if (!wait(POLLIN, end)) return false;
    char buffer[64 * 1024];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      // ECONNRESET counts as the end too: the daemon closed with our unread request bytes queued.
      eof_ = !(n < 0 && errno == EINTR);
      return false;
    }
    input_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string input_;
  bool eof_ = false;
};

// A system group and a system user in it (names only these tests use), removed again by the destructor;
// a leftover of a killed run is removed first.
class ThrowawayUser {
 public:
  static constexpr const char* kUser = "ipsecd-test-nobody";
  static constexpr const char* kGroup = "ipsecd-test-ctl";

  ThrowawayUser() {
    remove();
    const auto group = run(std::string("groupadd --system ") + kGroup);
    const auto user = run(std::string("useradd --system --no-create-home --shell /usr/sbin/nologin -G ") +
                          kGroup + " " + kUser);
    if (group.status != 0 || user.status != 0) error_ = group.output + user.output;
  }
  ~ThrowawayUser() { remove(); }
  ThrowawayUser(const ThrowawayUser&) = delete;
  ThrowawayUser& operator=(const ThrowawayUser&) = delete;
  const std::string& error() const { return error_; }

 private:
  static void remove() {
    if (run(std::string("getent passwd ") + kUser).status == 0) run(std::string("userdel ") + kUser);
    if (run(std::string("getent group ") + kGroup).status == 0) run(std::string("groupdel ") + kGroup);
  }
  std::string error_;
};

// `command` run as `user` with that user's groups from /etc/group (no PAM session, nothing logged).
inline std::string as_user(const std::string& user, const std::string& command) {
  return "setpriv --reuid=" + user + " --regid=$(id -g " + user + ") --init-groups " + command;
}

}  // namespace ipsecd::test
