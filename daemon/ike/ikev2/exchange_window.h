// Message IDs and the window of size 1 (RFC 7296 §2.3): our outstanding request with its retransmission
// schedule (§2.1), and the peer's expected request with our cached last response.
#pragma once

#include "crypto/bytes.h"
#include "daemon/ike/iana/exchange_type.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/ports.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace ipsecd::ikev2 {

// Our side as requester. Only one request is outstanding at a time (we announce no larger window).
class RequestWindow {
 public:
  enum class TimerAction : uint8_t { none, retransmit, give_up };

  // The Message ID the next request takes.
  uint32_t next_id() const { return next_id_; }
  bool outstanding() const { return outstanding_; }
  iana::ExchangeType exchange() const { return exchange_; }
  // The datagrams of the outstanding request: one, or its fragments (RFC 7383).
  const std::vector<crypto::Bytes>& request() const { return datagrams_; }
  // How many times the outstanding request has been retransmitted.
  unsigned retransmissions() const { return retransmissions_; }

  // Records the request just sent under next_id() and schedules its first retransmission.
  void sent(iana::ExchangeType exchange, std::vector<crypto::Bytes> datagrams, TimePoint now,
            const EngineSettings& settings);
  // Whether a response with this Message ID answers the outstanding request.
  bool answers(uint32_t message_id) const { return outstanding_ && message_id == next_id_; }
  // The response arrived: the Message ID is used up.
  void completed();
  // The request is withdrawn without using up its Message ID: IKE_SA_INIT is retried under ID 0 after
  // INVALID_KE_PAYLOAD or COOKIE (§1.2, §2.6).
  void withdraw();

  std::optional<TimePoint> deadline() const;
  // Due at deadline(): retransmit request() (counted here), or give up after the last try has timed out.
  TimerAction on_timer(TimePoint now, const EngineSettings& settings);

 private:
  uint32_t next_id_ = 0;
  bool outstanding_ = false;
  iana::ExchangeType exchange_{};
  std::vector<crypto::Bytes> datagrams_;
  unsigned retransmissions_ = 0;
  TimePoint deadline_{};
};

// The wait before the `attempt`-th timeout (0 = after the first send): timeout * base^attempt.
Duration retransmit_interval(const EngineSettings& settings, unsigned attempt);
// From a request's first send to giving up on it: every interval of the schedule, the last one included.
Duration give_up_time(const EngineSettings& settings);

// The peer's side as requester, seen from us as responder.
class ResponseWindow {
 public:
  enum class Verdict : uint8_t { new_request, retransmission, out_of_window };

  // A request with the expected ID is new; the one before it, once answered, is a retransmission to be
  // answered from the cache byte for byte (§2.1); anything else is old or beyond the window: ignored.
  Verdict classify(uint32_t message_id) const;
  void answered(uint32_t message_id, std::vector<crypto::Bytes> response);
  const std::vector<crypto::Bytes>& cached_response() const { return cached_; }
  uint32_t expected_id() const { return expected_id_; }

 private:
  uint32_t expected_id_ = 0;
  bool have_cached_ = false;
  std::vector<crypto::Bytes> cached_;
};

}  // namespace ipsecd::ikev2
