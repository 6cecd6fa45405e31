// What the daemon implements to serve control requests, and the Responder it answers them through.
#pragma once

#include "ctl/protocol.h"

#include <memory>
#include <string>

namespace ipsecd::ctl {

struct PendingReply;

// Answers one request, now or later. Copyable; all copies share the one answer: the first succeed() or
// fail() is sent, later ones do nothing. Safe to keep after the client disconnected or the server was
// destroyed (answering is then a no-op), so the daemon may hold it across events (`up --wait`).
// Use it only on the event loop's thread.
class Responder {
 public:
  explicit Responder(std::shared_ptr<PendingReply> pending);

  // `result` is a schema struct of protocol.h (converted with its to_json) or a JSON object.
  void succeed(const nlohmann::json& result) const;
  void fail(ErrorCode code, std::string message) const;

  uint64_t request_id() const;
  // False once answered.
  bool pending() const;
  // False once the client has gone (its answer would be dropped).
  bool client_connected() const;

 private:
  std::shared_ptr<PendingReply> pending_;
};

class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  // Called on the event loop's thread for every valid request except "subscribe", which the server
  // answers itself. The handler must answer each request exactly once through `responder`, at once or
  // later; "version", "status" and "reload" are expected to answer at once.
  virtual void handle(const Request& request, Responder responder) = 0;
};

}  // namespace ipsecd::ctl
