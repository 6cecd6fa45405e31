// EventLoop: fd readiness callbacks on a pipe, timer order and cancellation, stop from a callback.
#include "daemon/io/event_loop.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <vector>

using ipsecd::io::EventLoop;

namespace {

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { REQUIRE(pipe(fds) == 0); }
  ~Pipe() {
    close(fds[0]);
    close(fds[1]);
  }
};

}  // namespace

TEST_CASE("EventLoop calls a watcher when its pipe becomes readable", "[event-loop]") {
  EventLoop loop;
  REQUIRE(loop.valid());
  Pipe p;
  std::vector<char> got;
  REQUIRE(loop.watch(p.fds[0], ipsecd::io::readable, [&](uint32_t readiness) {
                CHECK((readiness & ipsecd::io::readable) != 0);
                char c = 0;
                REQUIRE(read(p.fds[0], &c, 1) == 1);
                got.push_back(c);
                if (got.size() == 2) loop.stop();
              }).has_value());
  loop.add_timer(EventLoop::Clock::now(), [&] { REQUIRE(write(p.fds[1], "ab", 2) == 2); });
  REQUIRE(loop.run().has_value());
  CHECK(got == std::vector<char>{'a', 'b'});
}

TEST_CASE("EventLoop runs timers in time order and skips cancelled ones", "[event-loop]") {
  EventLoop loop;
  const auto start = EventLoop::Clock::now();
  std::vector<int> order;
  loop.add_timer(start + std::chrono::milliseconds(30), [&] {
    order.push_back(3);
    loop.stop();
  });
  loop.add_timer(start + std::chrono::milliseconds(10), [&] { order.push_back(1); });
  const auto cancelled = loop.add_timer(start + std::chrono::milliseconds(20), [&] { order.push_back(2); });
  loop.cancel_timer(cancelled);
  REQUIRE(loop.run().has_value());
  CHECK(order == std::vector<int>{1, 3});
  CHECK(EventLoop::Clock::now() - start >= std::chrono::milliseconds(30));
}

TEST_CASE("EventLoop lets a callback unwatch its own fd", "[event-loop]") {
  EventLoop loop;
  Pipe p;
  int calls = 0;
  REQUIRE(write(p.fds[1], "x", 1) == 1);
  REQUIRE(loop.watch(p.fds[0], ipsecd::io::readable, [&](uint32_t) {
                ++calls;
                loop.unwatch(p.fds[0]);  // data stays unread: a still-watched fd would fire again
              }).has_value());
  loop.add_timer(EventLoop::Clock::now() + std::chrono::milliseconds(20), [&] { loop.stop(); });
  REQUIRE(loop.run().has_value());
  CHECK(calls == 1);
  CHECK_FALSE(loop.change(p.fds[0], ipsecd::io::writable).has_value());
}
