// Our IKEv2 engine inside a named network namespace behind real UdpSockets and the real NetlinkKernelPort,
// driven by a poll loop with a hard time bound: the test side of test_engine_charon.
#pragma once

#include "common/expected.h"
#include "daemon/ike/ikev2/engine.h"
#include "daemon/io/udp_socket.h"
#include "daemon/netlink_kernel_port.h"

#include <botan/auto_rng.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::test {

class EngineLoop final : public ikev2::TimeSource, public ikev2::DatagramSink, public ikev2::EventSink {
 public:
  // Opens one UdpSocket per endpoint and the kernel port inside /run/netns/NAMESPACE, then the engine
  // (its first reqid from the kernel port).
  static Expected<std::unique_ptr<EngineLoop>, std::string> open(const std::string& network_namespace,
                                                                 const std::vector<Endpoint>& binds,
                                                                 std::vector<ikev2::ConnectionConfig> connections);

  ikev2::Engine& engine() { return *engine_; }
  const std::vector<ikev2::Event>& events() const { return events_; }
  // Datagrams the engine asked to send that the sockets refused, and socket receive errors.
  const std::vector<std::string>& io_errors() const { return io_errors_; }

  // Polls the sockets and runs the engine's timers until `done` holds or `limit` has passed; false then.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit);

  // The first recorded event of type T for which `match` holds.
  template <typename T>
  const T* find(const std::function<bool(const T&)>& match = {}) const {
    for (const auto& event : events_) {
      if (const auto* e = std::get_if<T>(&event); e != nullptr && (!match || match(*e))) return e;
    }
    return nullptr;
  }

  ikev2::TimePoint now() const override { return ikev2::Clock::now(); }
  ikev2::WallTimePoint system_now() const override { return std::chrono::system_clock::now(); }
  void send(const Endpoint& local, const Endpoint& remote, crypto::ByteView bytes) override;
  void send_keepalive(const Endpoint& local, const Endpoint& remote) override;
  void on_event(const ikev2::Event& event) override { events_.push_back(event); }

 private:
  EngineLoop(std::vector<daemon::UdpSocket> sockets, daemon::NetlinkKernelPort kernel)
      : sockets_(std::move(sockets)), kernel_(std::move(kernel)) {}
  void drain(daemon::UdpSocket& socket);
  // The socket bound to `local`'s port and family, or null (recorded as an I/O error).
  daemon::UdpSocket* socket_for(const Endpoint& local);

  std::vector<daemon::UdpSocket> sockets_;
  daemon::NetlinkKernelPort kernel_;
  Botan::AutoSeeded_RNG rng_;
  std::vector<ikev2::Event> events_;
  std::vector<std::string> io_errors_;
  std::unique_ptr<ikev2::Engine> engine_;
};

}  // namespace ipsecd::test
