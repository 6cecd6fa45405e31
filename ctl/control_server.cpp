// The control socket: creation with its permission model, accepting clients, and event fan-out.
#include "ctl/control_server.h"

#include "ctl/client_connection.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace ipsecd::ctl {

namespace {

// Accepts per readiness callback, so a connection storm cannot starve the IKE sockets.
constexpr int accept_budget = 16;
// When the process is out of descriptors, the listening socket stays readable; pause instead of spinning.
constexpr auto accept_pause = std::chrono::seconds(1);

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

Expected<sockaddr_un, std::string> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    return unexpected("control socket path \"" + path + "\" is empty or longer than " +
                      std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());
  return addr;
}

// A leftover socket from a daemon that died is removed; a live one (someone answers) or a file that is
// not a socket is an error, never deleted.
Expected<Ok, std::string> remove_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Ok{};
    return unexpected(errno_text("cannot inspect " + path));
  }
  if (!S_ISSOCK(st.st_mode)) return unexpected(path + " exists and is not a socket; not replacing it");
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return unexpected(errno_text("socket"));
  const bool live = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(probe);
  if (live) return unexpected("another process is serving " + path + " (is ipsecd already running?)");
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return unexpected(errno_text("cannot remove stale " + path));
  return Ok{};
}

Expected<Ok, std::string> ensure_parent_directory(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return Ok{};
  std::error_code ec;
  if (std::filesystem::exists(parent, ec)) return Ok{};
  std::filesystem::create_directories(parent, ec);
  if (ec) return unexpected("cannot create " + parent.string() + ": " + ec.message());
  if (chmod(parent.c_str(), 0755) != 0) return unexpected(errno_text("cannot chmod " + parent.string()));
  return Ok{};
}

}  // namespace

Expected<std::unique_ptr<ControlServer>, std::string> ControlServer::open(io::EventLoop& loop,
                                                                          ControlHandler& handler,
                                                                          ControlServerOptions options) {
  auto addr = unix_address(options.socket_path);
  if (!addr) return unexpected(addr.error());
  if (auto dir = ensure_parent_directory(options.socket_path); !dir) return unexpected(dir.error());
  if (auto stale = remove_stale_socket(options.socket_path, *addr); !stale) return unexpected(stale.error());

  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return unexpected(errno_text("socket"));
  auto fail = [&](const std::string& what) {
    auto message = errno_text(what);
    ::close(fd);
    unlink(options.socket_path.c_str());
    return unexpected(std::move(message));
  };
  // The umask makes the socket 0600 from the moment it exists; there is no window in which another user
  // could connect before the chmod below.
  const mode_t old_umask = umask(0177);
  const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0) {
    errno = bind_errno;
    ::close(fd);
    return unexpected(errno_text("cannot bind " + options.socket_path));
  }
  if (options.group) {
    if (chown(options.socket_path.c_str(), static_cast<uid_t>(-1), *options.group) != 0)
      return fail("cannot give " + options.socket_path + " to group " + std::to_string(*options.group));
    if (chmod(options.socket_path.c_str(), 0660) != 0) return fail("cannot chmod " + options.socket_path);
  } else if (chmod(options.socket_path.c_str(), 0600) != 0) {
    return fail("cannot chmod " + options.socket_path);
  }
  if (listen(fd, 64) != 0) return fail("cannot listen on " + options.socket_path);
  struct stat bound_file {};
  if (lstat(options.socket_path.c_str(), &bound_file) != 0)
    return fail("cannot inspect " + options.socket_path);

  std::unique_ptr<ControlServer> server(new ControlServer(loop, handler, std::move(options), fd));
  server->socket_file_ = {bound_file.st_dev, bound_file.st_ino};
  auto watched = loop.watch(fd, io::readable, [s = server.get()](uint32_t) { s->on_acceptable(); });
  if (!watched) return unexpected("cannot watch the control socket: " + watched.error());
  return server;
}

ControlServer::ControlServer(io::EventLoop& loop, ControlHandler& handler, ControlServerOptions options,
                             int listen_fd)
    : loop_(loop),
      handler_(handler),
      options_(std::move(options)),
      listen_fd_(listen_fd),
      own_uid_(geteuid()) {}

ControlServer::~ControlServer() {
  auto clients = std::move(clients_);
  clients_.clear();
  for (auto& [fd, client] : clients) client->close();
  if (resume_timer_) loop_.cancel_timer(*resume_timer_);
  loop_.unwatch(listen_fd_);
  ::close(listen_fd_);
  // Only our own socket file: a daemon started after us may have replaced it at the same path.
  struct stat st {};
  if (lstat(options_.socket_path.c_str(), &st) == 0 && std::pair(st.st_dev, st.st_ino) == socket_file_)
    unlink(options_.socket_path.c_str());
}

void ControlServer::on_acceptable() {
  for (int i = 0; i < accept_budget; ++i) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) pause_accepting();
      return;
    }
    admit(fd);
  }
}

void ControlServer::admit(int fd) {
  auto refuse = [fd](ErrorCode code, const std::string& message) {
    const auto line = encode_error(std::nullopt, Error{code, message}) + "\n";
    (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
  };
  auto peer = read_peer_credentials(fd);
  if (!peer) {
    refuse(ErrorCode::denied, peer.error());
    return;
  }
  // The socket's mode already keeps others out; this holds even if the file's mode or group was changed.
  if (!peer_allowed(*peer, own_uid_, options_.group)) {
    refuse(ErrorCode::denied, "uid " + std::to_string(peer->uid) + " may not use the control socket");
    return;
  }
  if (clients_.size() >= options_.max_clients) {
    refuse(ErrorCode::busy, "too many control clients");
    return;
  }
  auto client = std::make_shared<ClientConnection>(*this, fd, std::move(*peer));
  std::weak_ptr<ClientConnection> weak = client;
  clients_.emplace(fd, client);
  auto watched = loop_.watch(fd, io::readable, [weak](uint32_t readiness) {
    if (auto c = weak.lock()) c->on_ready(readiness);
  });
  if (!watched) client->close();
}

void ControlServer::pause_accepting() {
  if (resume_timer_) return;
  loop_.unwatch(listen_fd_);
  resume_timer_ = loop_.add_timer(io::EventLoop::Clock::now() + accept_pause, [this] {
    resume_timer_.reset();
    if (!loop_.watch(listen_fd_, io::readable, [this](uint32_t) { on_acceptable(); })) pause_accepting();
  });
}

void ControlServer::publish(const Event& event) {
  const std::string line = encode_event(event);
  std::vector<std::shared_ptr<ClientConnection>> subscribers;
  for (const auto& [fd, client] : clients_)
    if (client->subscribed()) subscribers.push_back(client);
  for (const auto& client : subscribers) client->send_line(line);
}

std::size_t ControlServer::subscriber_count() const {
  std::size_t n = 0;
  for (const auto& [fd, client] : clients_)
    if (client->subscribed()) ++n;
  return n;
}

}  // namespace ipsecd::ctl
