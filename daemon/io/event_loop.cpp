// epoll-based EventLoop: level-triggered fd callbacks and a time-ordered map of one-shot timers.
#include "daemon/io/event_loop.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace ipsecd::io {
namespace {

uint32_t to_epoll(uint32_t wanted) {
  uint32_t events = 0;
  if (wanted & readable) events |= EPOLLIN;
  if (wanted & writable) events |= EPOLLOUT;
  return events;
}

uint32_t from_epoll(uint32_t events) {
  uint32_t readiness = 0;
  if (events & (EPOLLIN | EPOLLPRI)) readiness |= readable;
  if (events & EPOLLOUT) readiness |= writable;
  if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) readiness |= hang_up;
  return readiness;
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

EventLoop::EventLoop() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {}

EventLoop::~EventLoop() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Expected<Ok, std::string> EventLoop::watch(int fd, uint32_t wanted, FdCallback callback) {
  epoll_event event{};
  event.events = to_epoll(wanted);
  event.data.fd = fd;
  const bool known = watchers_.count(fd) != 0;
  if (epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) != 0) {
    return unexpected(errno_text("epoll_ctl"));
  }
  watchers_[fd] = Watcher{wanted, std::make_shared<FdCallback>(std::move(callback))};
  return Ok{};
}

Expected<Ok, std::string> EventLoop::change(int fd, uint32_t wanted) {
  auto it = watchers_.find(fd);
  if (it == watchers_.end()) return unexpected(std::string("change: fd is not watched"));
  if (it->second.wanted == wanted) return Ok{};
  epoll_event event{};
  event.events = to_epoll(wanted);
  event.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0) return unexpected(errno_text("epoll_ctl"));
  it->second.wanted = wanted;
  return Ok{};
}

void EventLoop::unwatch(int fd) {
  if (watchers_.erase(fd) != 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::add_timer(Clock::time_point when, TimerCallback callback) {
  const TimerId id = next_timer_++;
  timer_order_.emplace(when, id);
  timers_.emplace(id, std::make_pair(when, std::move(callback)));
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  auto [first, last] = timer_order_.equal_range(it->second.first);
  for (auto order = first; order != last; ++order) {
    if (order->second == id) {
      timer_order_.erase(order);
      break;
    }
  }
  timers_.erase(it);
}

int EventLoop::wait_timeout_ms() const {
  if (timer_order_.empty()) return -1;
  const auto until = timer_order_.begin()->first - Clock::now();
  if (until <= Clock::duration::zero()) return 0;
  // Round up so a timer is never woken for a moment before it is due.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until).count();
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

void EventLoop::run_due_timers() {
  const auto now = Clock::now();
  // Timers added by a running callback wait for the next turn, so a timer re-arming itself at `now`
  // cannot starve the fds.
  std::vector<TimerId> due;
  for (auto it = timer_order_.begin(); it != timer_order_.end() && it->first <= now; ++it) {
    due.push_back(it->second);
  }
  for (TimerId id : due) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled by an earlier callback of this turn
    TimerCallback callback = std::move(it->second.second);
    cancel_timer(id);
    callback();
  }
}

Expected<Ok, std::string> EventLoop::run() {
  stopping_ = false;
  std::array<epoll_event, 64> events{};
  while (!stopping_) {
    const int count = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_timeout_ms());
    if (count < 0) {
      if (errno == EINTR) continue;
      return unexpected(errno_text("epoll_wait"));
    }
    for (int i = 0; i < count && !stopping_; ++i) {
      auto it = watchers_.find(events[i].data.fd);
      if (it == watchers_.end()) continue;  // unwatched by an earlier callback of this turn
      const auto callback = it->second.callback;
      (*callback)(from_epoll(events[i].events));
    }
    if (!stopping_) run_due_timers();
  }
  return Ok{};
}

}  // namespace ipsecd::io
