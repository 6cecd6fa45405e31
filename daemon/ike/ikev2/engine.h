// The IKEv2 engine (RFC 7296): sans-IO and deterministic; datagrams, commands and time go in, datagrams,
// kernel requests and events come out through the ports.
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/cookie.h"
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/ike_sa.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/message_codec.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::ikev2 {

struct EnginePorts {
  const TimeSource& clock;
  Botan::RandomNumberGenerator& rng;
  DatagramSink& datagrams;
  KernelPort& kernel;
  EventSink& events;
};

// What was dropped and why: every datagram the engine does not act on is counted here.
struct EngineCounters {
  uint64_t decode_failed = 0;            // not a well-formed IKEv2 message
  uint64_t integrity_failed = 0;         // SK/SKF did not verify or decrypt
  uint64_t unknown_spi = 0;              // no IKE SA of ours has these SPIs
  uint64_t out_of_window = 0;            // old, replayed or future Message ID; unrequested response
  uint64_t unexpected = 0;               // an exchange this SA cannot take in its state
  uint64_t retransmitted_requests = 0;   // our requests sent again after a timeout
  uint64_t retransmitted_responses = 0;  // cached responses sent again for a repeated request
};

// A read-only view of one IKE SA, for listings and tests.
struct IkeSaSummary {
  uint64_t unique_id = 0;
  std::string connection;
  IkeRole role{};
  IkeSaState state{};
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;
  std::vector<std::string> children;
};

class Engine {
 public:
  Engine(EngineSettings settings, std::vector<ConnectionConfig> connections, EnginePorts ports);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One received IKE datagram (no non-ESP marker). Never throws; what is not acted on is counted.
  void handle_datagram(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes);

  // Starts IKE_SA_INIT for `connection`, with `child` as the CHILD_SA set up inside IKE_AUTH. Returns
  // the new IKE SA's unique id.
  Expected<uint64_t, std::string> initiate(std::string_view connection, std::string_view child);

  // Deletes the IKE SA and its children (§1.4.1): an established SA tells the peer first and goes when
  // the answer comes or retransmission gives up; one still being set up goes at once.
  Expected<Ok, std::string> terminate(uint64_t ike_sa);

  // Runs what is due at `now`: retransmissions, give-ups, half-open timeouts.
  void on_timer(TimePoint now);
  // When on_timer next has something to do.
  std::optional<TimePoint> next_deadline() const;

  const EngineCounters& counters() const { return counters_; }
  std::vector<IkeSaSummary> ike_sas() const;

 private:
  // engine.cpp: dispatch, the SA table, sending and events.
  void dispatch(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes,
                const ike::DecodedMessage& decoded);
  void dispatch_protected(IkeSa& sa, crypto::ByteView bytes, const ike::DecodedMessage& decoded);
  void handle_request(IkeSa& sa, const ike::Header& header, const std::vector<ike::Payload>& payloads);
  void handle_response(IkeSa& sa, const ike::Header& header, const std::vector<ike::Payload>& payloads);
  IkeSa* find_sa(uint64_t our_spi);
  // Connections whose addresses admit this pair, in configuration order.
  std::vector<std::shared_ptr<const ConnectionConfig>> connections_for(const ipsecd::Endpoint& local,
                                                                       const ipsecd::Endpoint& remote) const;
  IkeSa& add_sa(std::unique_ptr<IkeSa> sa);
  // Forgets the SA, removing its children's kernel entries; no event.
  void remove_sa(IkeSa& sa);
  void fail_sa(IkeSa& sa, Failure failure);
  uint64_t fresh_spi();
  ike::Header header_for(const IkeSa& sa, iana::ExchangeType exchange, bool response,
                         uint32_t message_id) const;
  // Sends a new request under the next Message ID and keeps it for retransmission.
  // False when the message could not be built; the caller then fails the SA.
  bool send_request(IkeSa& sa, iana::ExchangeType exchange, const std::vector<ike::Payload>& inner);
  // Answers the current request and caches the answer for retransmissions.
  void send_response(IkeSa& sa, iana::ExchangeType exchange, uint32_t message_id,
                     const std::vector<ike::Payload>& inner);
  void send_raw(const IkeSa& sa, const std::vector<crypto::Bytes>& datagrams);
  // The protected datagrams of one message: whole, or fragmented when it is too long and the peer can
  // reassemble (RFC 7383 §2.5).
  std::optional<std::vector<crypto::Bytes>> protect(const IkeSa& sa, const ike::Header& header,
                                                    const std::vector<ike::Payload>& inner);
  void emit(Event event);
  void on_sa_timer(IkeSa& sa, TimePoint now);

  // exchange_ike_sa_init.cpp (§1.2, §2.7, §2.14)
  void send_ike_sa_init_request(IkeSa& sa, iana::KeyExchangeMethod group);
  void on_ike_sa_init_request(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                              const ike::Message& request, crypto::ByteView bytes);
  void on_ike_sa_init_response(IkeSa& sa, const ike::Message& response, crypto::ByteView bytes);
  Expected<Ok, std::string> derive_ike_sa_keys(IkeSa& sa, crypto::ByteView shared_secret);
  // True when the request may proceed; otherwise it has been answered with a cookie to return (§2.6).
  bool cookie_admits(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                     const ike::Message& request);
  void send_ike_sa_init_error(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                              const ike::Header& request, iana::NotifyMessageType type, crypto::Bytes data);

  // exchange_ike_auth.cpp (§1.2, §2.15)
  void send_ike_auth_request(IkeSa& sa);
  void on_ike_auth_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  void on_ike_auth_response(IkeSa& sa, const std::vector<ike::Payload>& payloads);

  // child_sa_setup.cpp (§1.3, §2.9, §2.17)
  Expected<std::vector<ike::Payload>, Failure> propose_first_child(IkeSa& sa, const ChildConfig& child);
  std::vector<ike::Payload> answer_first_child(IkeSa& sa, const std::vector<ike::Payload>& request);
  void complete_first_child(IkeSa& sa, const std::vector<ike::Payload>& response);
  Expected<Ok, Failure> install_child(IkeSa& sa, ChildSa& child, const ChildConfig& config);
  void uninstall_child(ChildSa& child);
  // Tells the peer a CHILD_SA it installed is gone (§1.4.1), for one we refused after IKE_AUTH.
  void send_child_delete(IkeSa& sa, uint32_t spi_in);
  void release_pending_child(IkeSa& sa);

  // exchange_informational.cpp (§1.4, §1.5)
  void on_informational_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  void on_informational_response(IkeSa& sa, const std::vector<ike::Payload>& payloads);

  EngineSettings settings_;
  std::vector<std::shared_ptr<const ConnectionConfig>> connections_;
  EnginePorts ports_;
  EngineCounters counters_;
  uint64_t next_unique_id_ = 1;
  uint32_t next_reqid_;
  std::map<uint64_t, std::unique_ptr<IkeSa>> sas_;  // by our SPI
  // Half-open responder SAs by the initiator's endpoint and SPI, so a repeated IKE_SA_INIT finds them.
  std::map<std::pair<std::string, uint64_t>, uint64_t> by_initiator_;
  std::optional<CookieIssuer> cookies_;  // made when first needed
};

}  // namespace ipsecd::ikev2
