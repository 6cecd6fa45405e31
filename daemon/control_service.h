// The daemon's side of the control socket: answers ipsecctl's version, status, up, down and reload from
// the Daemon, waits for `up --wait` / `down --wait`, and publishes engine events to subscribers.
#pragma once

#include "common/expected.h"
#include "ctl/control_handler.h"
#include "ctl/control_server.h"
#include "daemon/daemon.h"

#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ipsecd::daemon {

class ControlService final : public ctl::ControlHandler {
 public:
  // Opens the control socket named by [daemon] ctl_socket (0600, or 0660 with ctl_group) on the daemon's
  // loop and subscribes to its events. `daemon` must outlive the service.
  static Expected<std::unique_ptr<ControlService>, std::string> open(Daemon& daemon);

  void handle(const ctl::Request& request, ctl::Responder responder) override;

  // The protocol's view of engine events and SAs (also what `status` answers).
  static ctl::Event to_ctl_event(const ikev2::Event& event);
  ctl::Status status() const;

 private:
  explicit ControlService(Daemon& daemon) : daemon_(daemon) {}
  void on_event(const ikev2::Event& event);
  void up(const ctl::UpArgs& args, ctl::Responder responder);
  void down(const ctl::DownArgs& args, ctl::Responder responder);
  void reload(const ctl::ReloadArgs& args, ctl::Responder responder);

  // An `up --wait` or `down --wait` still waiting for its SAs.
  struct Wait {
    ctl::Responder responder;
    std::string connection;
    uint64_t ike_sa = 0;
    std::set<std::string> children;      // up: not yet installed
    std::vector<std::string> installed;  // up
    std::set<uint64_t> ike_sas;          // down: not yet gone
    std::vector<uint64_t> all_ike_sas;   // down
    bool is_up = true;
    io::EventLoop::TimerId timer = 0;
  };
  // Keeps `wait` until the events complete it or `seconds` pass (then a timeout with `timeout_reason`).
  void start_wait(Wait wait, uint32_t seconds, std::string timeout_reason);
  void finish(std::list<Wait>::iterator wait);

  Daemon& daemon_;
  std::unique_ptr<ctl::ControlServer> server_;
  std::list<Wait> waits_;
};

}  // namespace ipsecd::daemon
