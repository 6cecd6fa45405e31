// The daemon's single-threaded event loop: readiness callbacks for file descriptors (epoll) and one-shot
// timers on the steady clock. Everything that touches SA state runs from its callbacks (DESIGN.md).
#pragma once

#include "common/expected.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

namespace ipsecd::io {

// Which readiness a watcher wants, and which one a callback got.
enum Readiness : uint32_t { readable = 1u << 0, writable = 1u << 1, hang_up = 1u << 2 };

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdCallback = std::function<void(uint32_t readiness)>;
  using TimerCallback = std::function<void()>;
  using TimerId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // False with errno set when the loop could not be created (epoll_create1 failed).
  bool valid() const { return epoll_fd_ >= 0; }

  // Calls `callback` whenever `fd` has one of the `wanted` readiness bits (level-triggered). The loop
  // does not own the fd; unwatch it before closing it. Watching an fd twice replaces the first watcher.
  Expected<Ok, std::string> watch(int fd, uint32_t wanted, FdCallback callback);
  Expected<Ok, std::string> change(int fd, uint32_t wanted);
  void unwatch(int fd);

  // Runs `callback` once at `when` (or at the next turn when it has passed). Cancel with cancel_timer;
  // cancelling a timer that already ran is harmless.
  TimerId add_timer(Clock::time_point when, TimerCallback callback);
  void cancel_timer(TimerId id);

  // Runs until stop() is called from a callback. Returns an error only when epoll_wait fails for a
  // reason other than EINTR.
  Expected<Ok, std::string> run();
  void stop() { stopping_ = true; }

 private:
  struct Watcher {
    uint32_t wanted = 0;
    std::shared_ptr<FdCallback> callback;  // shared so a callback may unwatch itself while running
  };
  void run_due_timers();
  int wait_timeout_ms() const;

  int epoll_fd_ = -1;
  bool stopping_ = false;
  TimerId next_timer_ = 1;
  std::unordered_map<int, Watcher> watchers_;
  std::multimap<Clock::time_point, TimerId> timer_order_;
  std::unordered_map<TimerId, std::pair<Clock::time_point, TimerCallback>> timers_;
};

}  // namespace ipsecd::io
