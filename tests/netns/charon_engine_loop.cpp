// EngineLoop: sockets and kernel port opened inside a namespace, datagrams routed by local port, poll(2).
#include "tests/netns/charon_engine_loop.h"

#include "tests/netns/netns_support.h"

#include <poll.h>

#include <algorithm>

namespace ipsecd::test {

Expected<std::unique_ptr<EngineLoop>, std::string> EngineLoop::open(
    const std::string& network_namespace, const std::vector<Endpoint>& binds,
    std::vector<ikev2::ConnectionConfig> connections) {
  // Sockets keep the namespace they were made in after the thread leaves it.
  EnterNetns inside(network_namespace);
  if (!inside.error().empty()) return unexpected(inside.error());
  std::vector<daemon::UdpSocket> sockets;
  for (const auto& bind : binds) {
    auto socket = daemon::UdpSocket::open(bind);
    if (!socket) return unexpected(socket.error().message);
    sockets.push_back(std::move(*socket));
  }
  auto kernel = daemon::NetlinkKernelPort::open();
  if (!kernel) return unexpected(kernel.error().message);
  std::unique_ptr<EngineLoop> loop(new EngineLoop(std::move(sockets), std::move(*kernel)));
  const auto settings = loop->kernel_.engine_settings(ikev2::EngineSettings{});
  loop->engine_ = std::make_unique<ikev2::Engine>(
      settings, std::move(connections), ikev2::EnginePorts{*loop, loop->rng_, *loop, loop->kernel_, *loop});
  return loop;
}

daemon::UdpSocket* EngineLoop::socket_for(const Endpoint& local) {
  auto socket = std::find_if(sockets_.begin(), sockets_.end(), [&](const daemon::UdpSocket& s) {
    return s.local().port == local.port && s.local().address.family == local.address.family;
  });
  if (socket == sockets_.end()) {
    io_errors_.push_back("no socket for " + local.to_string());
    return nullptr;
  }
  return &*socket;
}

void EngineLoop::send(const Endpoint& local, const Endpoint& remote, crypto::ByteView bytes) {
  daemon::UdpSocket* socket = socket_for(local);
  if (socket == nullptr) return;
  if (auto sent = socket->send(local.address, remote, bytes); !sent) io_errors_.push_back(sent.error().message);
}

void EngineLoop::send_keepalive(const Endpoint& local, const Endpoint& remote) {
  daemon::UdpSocket* socket = socket_for(local);
  if (socket == nullptr) return;
  if (auto sent = socket->send_keepalive(local.address, remote); !sent) {
    io_errors_.push_back(sent.error().message);
  }
}

void EngineLoop::drain(daemon::UdpSocket& socket) {
  for (;;) {
    auto received = socket.receive();
    if (!received) {
      io_errors_.push_back(received.error().message);
      return;
    }
    if (!*received) return;
    const auto& datagram = **received;
    engine_->handle_datagram(datagram.local, datagram.remote, datagram.bytes);
  }
}

bool EngineLoop::run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  using namespace std::chrono;
  const auto end = ikev2::Clock::now() + limit;
  std::vector<pollfd> fds;
  for (const auto& socket : sockets_) fds.push_back({socket.fd(), POLLIN, 0});
  while (!done()) {
    const auto now = ikev2::Clock::now();
    if (now >= end) return false;
    auto wake = end;
    if (const auto deadline = engine_->next_deadline()) wake = std::min(wake, *deadline);
    // At most 50 ms per poll, so `done` is re-checked when a condition outside the engine changes.
    const auto wait = std::clamp<int64_t>(duration_cast<milliseconds>(wake - now).count(), 0, 50);
    (void)poll(fds.data(), fds.size(), static_cast<int>(wait));
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) != 0) drain(sockets_[i]);
    }
    if (const auto deadline = engine_->next_deadline(); deadline && *deadline <= ikev2::Clock::now()) {
      engine_->on_timer(ikev2::Clock::now());
    }
  }
  return true;
}

}  // namespace ipsecd::test
