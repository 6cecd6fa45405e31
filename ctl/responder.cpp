// Responder: the one answer to a control request, sent to its client if the client is still there.
#include "ctl/client_connection.h"
#include "ctl/control_handler.h"

namespace ipsecd::ctl {

Responder::Responder(std::shared_ptr<PendingReply> pending) : pending_(std::move(pending)) {}

void Responder::succeed(const nlohmann::json& result) const {
  if (!result.is_object()) {  // the schema promises an object; a handler bug must not break the client
    fail(ErrorCode::failed, "the daemon produced a malformed result");
    return;
  }
  if (!pending_ || pending_->answered) return;
  pending_->answered = true;
  if (auto client = pending_->client.lock()) client->send_answer(encode_result(pending_->id, result));
}

void Responder::fail(ErrorCode code, std::string message) const {
  if (!pending_ || pending_->answered) return;
  pending_->answered = true;
  if (auto client = pending_->client.lock())
    client->send_answer(encode_error(pending_->id, Error{code, std::move(message)}));
}

uint64_t Responder::request_id() const { return pending_ ? pending_->id : 0; }

bool Responder::pending() const { return pending_ && !pending_->answered; }

bool Responder::client_connected() const {
  if (!pending_) return false;
  auto client = pending_->client.lock();
  return client && client->open();
}

}  // namespace ipsecd::ctl
