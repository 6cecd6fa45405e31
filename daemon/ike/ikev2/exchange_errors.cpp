// Answers to requests that do not decode (RFC 7296 §2.5, §2.21, §3.10.1): INVALID_MAJOR_VERSION and
// UNSUPPORTED_CRITICAL_PAYLOAD without protection outside an IKE SA, and UNSUPPORTED_CRITICAL_PAYLOAD or
// INVALID_SYNTAX as the protected response to a request whose ICV verified. Responses are never answered.
#include "daemon/ike/ikev2/engine.h"

#include "daemon/ike/ikev2/payload_helpers.h"

namespace ipsecd::ikev2 {

void Engine::answer_undecodable(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                                crypto::ByteView bytes, const ike::DecodeError& error) {
  auto decoded = ike::decode_header(bytes);
  // Answering a response could start a loop of errors between two nodes (§2.21): it is only dropped.
  if (!decoded || decoded->header.response) return;
  const ike::Header& request = decoded->header;
  if (error.code == ike::DecodeErrorCode::bad_version && request.major_version > ike::kIkeV2MajorVersion) {
    // §2.5, §1.5: unauthenticated, as a response with the request's SPIs, Message ID and exchange type,
    // and our own version (2) in the header as the closest we support; no state is kept.
    ike::Header h;
    h.initiator_spi = request.initiator_spi;
    h.responder_spi = request.responder_spi;
    h.exchange = request.exchange;
    h.response = true;
    h.message_id = request.message_id;
    auto encoded = ike::encode_message({h, {notify_payload(iana::NotifyMessageType::INVALID_MAJOR_VERSION)}});
    if (!encoded) return;
    ++counters_.errors_answered;
    ports_.datagrams.send(local, remote, encoded->bytes);
    return;
  }
  // §2.5: an IKE_SA_INIT request is unprotected, so its unknown critical payload can be named at once;
  // the Notification Data is the one-octet payload type (§3.10.1). No state is kept.
  if (error.code == ike::DecodeErrorCode::unsupported_critical_payload &&
      request.exchange == iana::ExchangeType::IKE_SA_INIT && request.initiator && request.message_id == 0 &&
      request.responder_spi == 0) {
    ++counters_.errors_answered;
    send_ike_sa_init_error(local, remote, request, iana::NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD,
                           crypto::Bytes{error.payload_type});
  }
}

void Engine::answer_malformed_request(IkeSa& sa, const ike::Header& header, ResponseWindow::Verdict verdict,
                                      const ike::DecodeError& error) {
  if (verdict == ResponseWindow::Verdict::retransmission) {
    // A request under the Message ID already answered gets that answer again (§2.1), where it came from.
    ++counters_.retransmitted_responses;
    send_reply(sa, sa.responses.cached_response());
    return;
  }
  // §2.21.3: every request of an authenticated peer gets a response, errors included. An unknown
  // critical payload is named (§2.5); anything else that does not parse is INVALID_SYNTAX, which §3.10.1
  // allows only in a protected message whose Message ID and ICV were valid, as here.
  const bool critical = error.code == ike::DecodeErrorCode::unsupported_critical_payload;
  const auto type = critical ? iana::NotifyMessageType::UNSUPPORTED_CRITICAL_PAYLOAD
                             : iana::NotifyMessageType::INVALID_SYNTAX;
  ++counters_.errors_answered;
  send_response(sa, header.exchange, header.message_id,
                {notify_payload(type, critical ? crypto::Bytes{error.payload_type} : crypto::Bytes{})});
  if (sa.state == IkeSaState::half_open) {
    // §2.21.2: an IKE_AUTH refused for its form leaves no IKE SA behind.
    fail_sa(sa, {FailureReason::protocol_error, std::nullopt, "malformed request: " + ike::to_string(error)});
  }
}

}  // namespace ipsecd::ikev2
