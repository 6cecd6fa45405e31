// Message ID bookkeeping, retransmission schedule and response cache of RFC 7296 §2.1 and §2.3.
#include "daemon/ike/ikev2/exchange_window.h"

#include <cmath>

namespace ipsecd::ikev2 {

Duration retransmit_interval(const EngineSettings& settings, unsigned attempt) {
  const double ms = static_cast<double>(settings.retransmit_timeout.count()) *
                    std::pow(settings.retransmit_base, static_cast<double>(attempt));
  return Duration(static_cast<Duration::rep>(std::llround(ms)));
}

Duration give_up_time(const EngineSettings& settings) {
  Duration total{0};
  for (unsigned attempt = 0; attempt <= settings.retransmit_tries; ++attempt) {
    total += retransmit_interval(settings, attempt);
  }
  return total;
}

void RequestWindow::sent(iana::ExchangeType exchange, std::vector<crypto::Bytes> datagrams, TimePoint now,
                         const EngineSettings& settings) {
  outstanding_ = true;
  exchange_ = exchange;
  datagrams_ = std::move(datagrams);
  retransmissions_ = 0;
  deadline_ = now + retransmit_interval(settings, 0);
}

void RequestWindow::completed() {
  outstanding_ = false;
  datagrams_.clear();
  ++next_id_;
}

void RequestWindow::withdraw() {
  outstanding_ = false;
  datagrams_.clear();
}

std::optional<TimePoint> RequestWindow::deadline() const {
  if (!outstanding_) return std::nullopt;
  return deadline_;
}

RequestWindow::TimerAction RequestWindow::on_timer(TimePoint now, const EngineSettings& settings) {
  if (!outstanding_ || now < deadline_) return TimerAction::none;
  if (retransmissions_ >= settings.retransmit_tries) return TimerAction::give_up;
  ++retransmissions_;
  deadline_ = now + retransmit_interval(settings, retransmissions_);
  return TimerAction::retransmit;
}

ResponseWindow::Verdict ResponseWindow::classify(uint32_t message_id) const {
  if (message_id == expected_id_) return Verdict::new_request;
  if (have_cached_ && message_id + 1 == expected_id_) return Verdict::retransmission;
  return Verdict::out_of_window;
}

void ResponseWindow::answered(uint32_t message_id, std::vector<crypto::Bytes> response) {
  expected_id_ = message_id + 1;
  have_cached_ = true;
  cached_ = std::move(response);
}

}  // namespace ipsecd::ikev2
