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
#include "daemon/ike/ikev2/policy_table.h"
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
  // Requests refused for their form (§2.5, §2.21): INVALID_MAJOR_VERSION, UNSUPPORTED_CRITICAL_PAYLOAD or
  // INVALID_SYNTAX sent back; each is also counted under decode_failed.
  uint64_t errors_answered = 0;
  uint64_t liveness_checks = 0;  // empty INFORMATIONAL requests sent after a silence of dpd_delay (§2.4)
  // Kernel ACQUIREs not acted on: for a child already installed or being negotiated (the kernel repeats
  // them while packets keep hitting the trap), or for a reqid that has no trap of ours.
  uint64_t acquires_ignored = 0;
  uint64_t acquires_unknown = 0;
};

// A read-only view of one trap (Engine::install_trap), for listings and tests.
struct TrapSummary {
  std::string connection;
  std::string child;
  uint32_t reqid = 0;
  std::vector<Selector> local_ts;
  std::vector<Selector> remote_ts;
};

// What an ACQUIRE led to.
enum class AcquireOutcome : uint8_t {
  initiated,      // a new IKE SA, or CREATE_CHILD_SA in the established one
  in_progress,    // ignored: the child is installed or its negotiation (or its IKE SA's) is under way
  unknown_reqid,  // ignored: no trap of ours has this reqid
};

struct AcquireResult {
  AcquireOutcome outcome{};
  std::string connection;  // empty for unknown_reqid
  std::string child;
  uint64_t ike_sa = 0;  // initiated: the IKE SA that negotiates the child
};

// A read-only view of one CHILD_SA, for listings and tests.
struct ChildSaSummary {
  std::string name;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ChildSaState state{};
  std::optional<TimePoint> rekey_at;                      // when our next rekey of it is due
  SaLifetime lifetime;                                    // its kernel limits, from the child's config
  std::optional<iana::IntegrityAlgorithm> ah_integrity;  // set for an ESP+AH bundle: its AH transform
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
  std::vector<ChildSaSummary> child_sas;
  ipsecd::Endpoint local;
  ipsecd::Endpoint remote;
  NatSituation nat;
};

// What a CHILD_SA's KEYMAT comes from (§2.17): the nonces of the exchange that made it, g^ir when it had
// PFS, and whether we initiated that exchange (its initiator's keys come first).
struct ChildKeying {
  crypto::ByteView nonce_i;
  crypto::ByteView nonce_r;
  crypto::ByteView pfs_secret;
  bool initiator = false;
};

// The responder's side of one CHILD_SA negotiation: the payloads to answer with and, when a CHILD_SA was
// installed, its inbound SPI.
struct ChildAnswer {
  std::vector<ike::Payload> payloads;
  std::optional<uint32_t> spi_in;
};

class Engine {
 public:
  Engine(EngineSettings settings, std::vector<ConnectionConfig> connections, EnginePorts ports);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // One received IKE datagram (no non-ESP marker). Never throws; what is not acted on is counted.
  void handle_datagram(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote, crypto::ByteView bytes);

  // Starts IKE_SA_INIT for `connection`, with `child` as the CHILD_SA set up inside IKE_AUTH. When an
  // IKE SA of that connection is already established, `child` is added to it with CREATE_CHILD_SA
  // (§1.3.1) instead. Returns the IKE SA's unique id.
  Expected<uint64_t, std::string> initiate(std::string_view connection, std::string_view child);

  // On-demand CHILD_SAs. A trap is the out, in and (tunnel mode) fwd policies `child` of `connection` would
  // install, with the connection's addresses as tunnel endpoints and no SA behind them yet, under a reqid
  // reserved for that child. Outbound traffic that hits the out policy makes the kernel send an ACQUIRE
  // for the reqid (RFC 4301 §5.2). Every CHILD_SA of the child takes the trap's reqid, so the kernel finds
  // its SAs through the trap's policies; it adds only the policies the trap does not already hold (narrowed
  // selectors) and leaves the trap's in place when it goes, so the next packet triggers again. Installing
  // a trap that exists replaces its policies and keeps its reqid (a reload may change the selectors).
  // Needs both addresses of the connection. Returns the reqid.
  Expected<uint32_t, std::string> install_trap(std::string_view connection, std::string_view child);
  // Removes the trap's policies; CHILD_SAs of the child keep running (their own policies stay).
  Expected<Ok, std::string> uninstall_trap(std::string_view connection, std::string_view child);
  // The kernel's ACQUIRE for the trap with `reqid`, from a packet with these selectors (single addresses,
  // its protocol and ports). Ignored while the child is installed or negotiated, or its connection's IKE SA
  // is being set up; otherwise negotiates the child as initiate() does, with the packet's selectors first
  // in TSi and TSr (§2.9). The error is why it could not be initiated.
  Expected<AcquireResult, std::string> on_acquire(uint32_t reqid, const Selector& packet_src,
                                                  const Selector& packet_dst);
  std::vector<TrapSummary> traps() const;

  // Deletes the IKE SA and its children (§1.4.1): an established SA tells the peer first and goes when
  // the answer comes or retransmission gives up; one still being set up goes at once.
  Expected<Ok, std::string> terminate(uint64_t ike_sa);

  // Rekeys the CHILD_SA with this inbound SPI (§1.3.3), as soon as the request window allows.
  Expected<Ok, std::string> rekey_child(uint32_t spi_in);
  // Rekeys the IKE SA (§1.3.2, §2.18): a new IKE SA takes over its children and the old one is deleted.
  Expected<Ok, std::string> rekey_ike(uint64_t ike_sa);
  // The kernel's EXPIRE for one of our inbound SAs: soft starts a rekey of its CHILD_SA, hard deletes it.
  // The SPI is looked up with its protocol, since the kernel allocates ESP and AH SPIs apart; either SA of
  // an ESP+AH bundle stands for the whole CHILD_SA.
  void on_kernel_expire(uint32_t spi_in, bool hard,
                        iana::SecurityProtocolId protocol = iana::SecurityProtocolId::ESP);

  // A reload's new connections: what is initiated or accepted from now on uses them; live SAs keep the
  // configuration snapshot they were made with (DESIGN.md), so they run on unchanged until they end.
  void replace_connections(std::vector<ConnectionConfig> connections);

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
  void dispatch_protected(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                          crypto::ByteView bytes, const ike::DecodedMessage& decoded);
  void handle_request(IkeSa& sa, const ike::Header& header, const std::vector<ike::Payload>& payloads);
  void handle_response(IkeSa& sa, const ike::Header& header, const std::vector<ike::Payload>& payloads);
  IkeSa* find_sa(uint64_t our_spi);
  // Connections whose addresses admit this pair, in configuration order.
  std::vector<std::shared_ptr<const ConnectionConfig>> connections_for(const ipsecd::Endpoint& local,
                                                                       const ipsecd::Endpoint& remote) const;
  IkeSa& add_sa(std::unique_ptr<IkeSa> sa);
  // Forgets the SA, removing its children's kernel entries; no event for the IKE SA, ChildSaDeleted with
  // `cause` for each child, and ChildSaFailed with `why` for each CHILD_SA asked for and not yet made
  // (abandon_child_work).
  void remove_sa(IkeSa& sa, const Failure& why, ChildDeleteCause cause = ChildDeleteCause::ike_sa_gone);
  // CHILD_SAs asked for on this IKE SA (initiate(), an ACQUIRE, a retry after TEMPORARY_FAILURE) that it
  // will not make after all: each is taken off the SA and reported once, ChildSaFailed with `why`, so that
  // whoever waits for it (ipsecctl up --wait) hears now rather than at its own timeout. Takes the queued
  // work and, when `sa_going`, also the first child of IKE_AUTH and the CREATE_CHILD_SA request in flight.
  void abandon_child_work(IkeSa& sa, const Failure& why, bool sa_going);
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
  void send_raw(IkeSa& sa, const std::vector<crypto::Bytes>& datagrams);
  // Sends to where the current request came from (IkeSa::reply_local/reply_remote).
  void send_reply(IkeSa& sa, const std::vector<crypto::Bytes>& datagrams);
  // The protected datagrams of one message: whole, or fragmented when it is too long and the peer can
  // reassemble (RFC 7383 §2.5).
  std::optional<std::vector<crypto::Bytes>> protect(const IkeSa& sa, const ike::Header& header,
                                                    const std::vector<ike::Payload>& inner);
  void emit(Event event);
  void on_sa_timer(IkeSa& sa, TimePoint now);

  // exchange_errors.cpp (§2.5, §2.21, §3.10.1): answers to requests that do not decode
  void answer_undecodable(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                          crypto::ByteView bytes, const ike::DecodeError& error);
  void answer_malformed_request(IkeSa& sa, const ike::Header& header, ResponseWindow::Verdict verdict,
                                const ike::DecodeError& error);

  // exchange_liveness.cpp (§2.4): an empty INFORMATIONAL after dpd_delay without word from the peer
  void on_liveness_timer(IkeSa& sa, TimePoint now);
  std::optional<TimePoint> liveness_deadline(const IkeSa& sa) const;

  // exchange_ike_sa_init.cpp (§1.2, §2.7, §2.14)
  void send_ike_sa_init_request(IkeSa& sa, iana::KeyExchangeMethod group);
  void on_ike_sa_init_request(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                              const ike::Message& request, crypto::ByteView bytes);
  void on_ike_sa_init_response(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                               const ike::Message& response, crypto::ByteView bytes);
  Expected<Ok, std::string> derive_ike_sa_keys(IkeSa& sa, crypto::ByteView shared_secret);
  // True when the request may proceed; otherwise it has been answered with a cookie to return (§2.6).
  bool cookie_admits(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                     const ike::Message& request);
  void send_ike_sa_init_error(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                              const ike::Header& request, iana::NotifyMessageType type, crypto::Bytes data);

  // nat_traversal.cpp (§2.23, RFC 3947, RFC 3948): the float to port 4500, following a peer whose NAT
  // mapping changed, UDP encapsulation of CHILD_SAs, keepalives.
  // Moves an IKE SA on port 500 to 4500 on both sides once NAT detection calls for encapsulation.
  void float_to_nat_port(IkeSa& sa);
  // After a valid new request: adopts its endpoints where §2.23 allows, and moves the CHILD_SAs with them.
  void follow_peer(IkeSa& sa, const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote);
  void move_encapsulated_children(IkeSa& sa, const ipsecd::Endpoint& old_local,
                                  const ipsecd::Endpoint& old_remote);
  std::optional<UdpEncapsulation> encapsulation(const IkeSa& sa, bool inbound) const;
  std::optional<TimePoint> keepalive_deadline(const IkeSa& sa) const;
  void on_keepalive_timer(IkeSa& sa, TimePoint now);

  // exchange_ike_auth.cpp (§1.2, §2.15)
  bool shares_peer_with_other_sa(const IkeSa& sa) const;
  void send_ike_auth_request(IkeSa& sa);
  void on_ike_auth_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  void on_ike_auth_response(IkeSa& sa, const std::vector<ike::Payload>& payloads);

  // Starts negotiating `child` as initiate() does; `trigger` is the packet of an ACQUIRE, if one started it.
  // A configured connection and one of its children, by name; an error names what is missing.
  struct ConfiguredChild {
    std::shared_ptr<const ConnectionConfig> connection;
    const ChildConfig* child = nullptr;  // points into *connection
  };
  Expected<ConfiguredChild, std::string> configured_child(std::string_view connection, std::string_view child) const;
  // Our address toward the connection's peer: local_addr, else the source of the kernel's route to it.
  Expected<IpAddress, std::string> local_address_toward(const ConnectionConfig& config);
  Expected<uint64_t, std::string> start_child(std::string_view connection, std::string_view child,
                                              const std::optional<TriggeringPacket>& trigger);

  // trap.cpp (RFC 4301 §5.2, RFC 7296 §2.9): trap policies and ACQUIREs
  struct Trap {
    std::string connection;
    std::string child;
    std::vector<Selector> local_ts;
    std::vector<Selector> remote_ts;
    std::vector<KernelPolicyId> policies;  // as installed
  };
  // The reqid a new CHILD_SA of this child takes: its trap's, else a fresh one.
  uint32_t reqid_for(std::string_view connection, std::string_view child);
  // Whether `policy` is one of the trap policies of `reqid`, which a CHILD_SA leaves to the trap.
  bool trap_holds(uint32_t reqid, const KernelPolicyId& policy) const;
  // Whether `child` of `connection` is installed or being negotiated, or an IKE SA of the connection is
  // being set up: an ACQUIRE for it then waits for that to finish.
  bool negotiating(const std::string& connection, const std::string& child) const;
  // TSi and TSr for a new CHILD_SA of `config`: the configured ones, after the packet that triggered it.
  Expected<std::pair<std::vector<Selector>, std::vector<Selector>>, std::string> initial_selectors(
      IkeSa& sa, const ChildConfig& config);
  // Deletes the trap's policies, except those a live CHILD_SA of `reqid` needs: that child takes them.
  void remove_trap_policies(uint32_t reqid, Trap& trap);

  // The policies of a CHILD_SA (or trap) with these selectors: per pair of one family, out from `local`
  // to `remote`, in back and, in tunnel mode, fwd (forwarded traffic, RFC 4301 §5.2 via Linux's fwd).
  static std::vector<KernelPolicy> child_policies(const std::vector<Selector>& local_ts,
                                                  const std::vector<Selector>& remote_ts, IpsecMode mode,
                                                  const IpAddress& local, const IpAddress& remote,
                                                  iana::SecurityProtocolId protocol, bool bundle,
                                                  uint32_t reqid);

  // child_sa_setup.cpp (§1.3, §2.9, §2.17)
  Expected<std::vector<ike::Payload>, Failure> propose_first_child(IkeSa& sa, const ChildConfig& child);
  std::vector<ike::Payload> answer_first_child(IkeSa& sa, const std::vector<ike::Payload>& request);
  void complete_first_child(IkeSa& sa, const std::vector<ike::Payload>& response);
  Expected<Ok, Failure> install_child(IkeSa& sa, ChildSa& child, const ChildConfig& config);
  void uninstall_child(ChildSa& child);
  // Tells the peer a CHILD_SA it installed is gone (§1.4.1), for one we refused after IKE_AUTH.
  // `ah_spi_in` is the AH SPI of an ESP+AH bundle, 0 otherwise.
  void send_child_delete(IkeSa& sa, iana::SecurityProtocolId protocol, uint32_t spi_in, uint32_t ah_spi_in);
  // Inbound SPIs for a new CHILD_SA of `config`: its protocol's and, for an ESP+AH bundle, AH's (else 0).
  Expected<std::pair<uint32_t, uint32_t>, KernelError> allocate_child_spis(IkeSa& sa,
                                                                           const ChildConfig& config,
                                                                           uint32_t reqid);
  // Releases SPIs from allocate_child_spis that never got their SAs.
  void release_child_spis(IkeSa& sa, iana::SecurityProtocolId protocol, uint32_t spi_in, uint32_t ah_spi_in);
  void release_pending_child(IkeSa& sa);

  // child_sa_setup.cpp, shared by IKE_AUTH and CREATE_CHILD_SA: the responder's choice of a child, its
  // SPIs and KEYMAT. PFS (a KE payload) is only possible in CREATE_CHILD_SA; `replaces` is the child a
  // rekey replaces, whose reqid (and so policies) the new one takes.
  ChildAnswer answer_child(IkeSa& sa, const std::vector<ike::Payload>& request, crypto::ByteView nonce_i,
                           crypto::ByteView nonce_r, bool create_child_sa, const ChildSa* replaces);
  // Installs the child's SAs, and its policies unless it replaces a child whose policies stay (§1.3.3).
  Expected<Ok, Failure> install_child_keyed(IkeSa& sa, ChildSa& child, const ChildConfig& config,
                                            const ChildKeying& keying, bool with_policies);
  // Removes one child: its SAs, and its policies unless a sibling with the same reqid (its rekeyed
  // successor or predecessor) takes them over. `by_peer`: the peer's Delete, which closes the child
  // unless a rekey replaced it.
  void remove_child(IkeSa& sa, size_t index, bool by_peer = false);
  // Our Delete of the IKE SA (§1.4.1) with the window free; when it cannot be sent, the SA goes at once.
  void start_delete_ike(IkeSa& sa);
  // Removes an IKE SA and reports IkeSaDeleted; `why` goes to the CHILD_SAs asked for and not made.
  void remove_and_report(IkeSa& sa, bool by_peer = false, std::string why = "the IKE SA was deleted",
                         ChildDeleteCause cause = ChildDeleteCause::ike_sa_gone);
  const ChildConfig* child_config(const IkeSa& sa, const std::string& name) const;

  // exchange_create_child_sa.cpp (§1.3.1, §1.3.3, §2.8.1, §2.25): further CHILD_SAs and CHILD_SA rekeys
  void on_create_child_sa_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  void on_create_child_sa_response(IkeSa& sa, const std::vector<ike::Payload>& payloads);
  void answer_child_request(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  // Sends our CREATE_CHILD_SA request for `request` (whose nonce, SPI and selectors are set).
  void send_child_request(IkeSa& sa, ChildSaRequest request, iana::KeyExchangeMethod group);
  // TEMPORARY_FAILURE (§2.25): the same work again a little later.
  void retry_later(IkeSa& sa, const ChildSaRequest& request);
  void start_create_child(IkeSa& sa, const ChildConfig& config);
  void start_rekey_child(IkeSa& sa, ChildSa& child);
  void complete_child_request(IkeSa& sa, ChildSaRequest& request, const std::vector<ike::Payload>& response);
  void release_child_request(IkeSa& sa, ChildSaRequest& request);
  void delete_child(IkeSa& sa, ChildSa& child);
  crypto::Bytes fresh_nonce();

  // exchange_ike_rekey.cpp (§1.3.2, §2.18, §2.8.1)
  void start_rekey_ike(IkeSa& sa);
  void answer_ike_rekey(IkeSa& sa, uint32_t message_id, const std::vector<ike::Payload>& payloads);
  void complete_ike_rekey(IkeSa& sa, ChildSaRequest& request, const std::vector<ike::Payload>& response);
  // The IKE SA that replaces `old` (keys from §2.18), added to the table.
  Expected<IkeSa*, std::string> make_rekeyed_sa(IkeSa& old, IkeRole role, uint64_t spi_i, uint64_t spi_r,
                                                const NegotiatedTransforms& transforms,
                                                crypto::ByteView shared_secret, const crypto::Bytes& nonce_i,
                                                const crypto::Bytes& nonce_r);
  void move_children(IkeSa& from, IkeSa& to);
  // The old IKE SA after a rekey waits for the Delete of the rekey's initiator, for a while (§2.18).
  void await_rekeyed_delete(IkeSa& sa);

  // rekey_schedule.cpp: rekey deadlines with jitter, the work queue behind the window of size 1 (§2.3)
  void arm_ike_rekey(IkeSa& sa);
  void arm_child_rekey(ChildSa& child, const ChildConfig& config);
  // After a rekey failed for good: the SA stays in use and is rekeyed again soon (settings' rekey_retry).
  void retry_ike_rekey(IkeSa& sa);
  void retry_child_rekey(ChildSa& child);
  Duration jitter(Duration range);
  void queue_work(IkeSa& sa, QueuedChildWork work);
  // Starts the first queued piece of work that is due, when no request of ours is out.
  void start_queued(IkeSa& sa);
  void on_rekey_timer(IkeSa& sa, TimePoint now);
  std::optional<TimePoint> rekey_deadline(const IkeSa& sa) const;
  std::pair<IkeSa*, ChildSa*> find_child(uint32_t spi_in);

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
  std::map<std::pair<Endpoint, uint64_t>, uint64_t> by_initiator_;
  // Responder SAs in state half_open, which the cookie threshold (§2.6) counts on every IKE_SA_INIT: kept
  // as a count by add_sa, remove_sa and the responder's IKE_AUTH, so that counting costs nothing per request.
  size_t half_open_count_ = 0;
  std::optional<CookieIssuer> cookies_;  // made when first needed
  std::map<uint32_t, Trap> traps_;       // by reqid
  // The CHILD_SAs' policies with their users; traps' policies are kept in traps_, not here.
  PolicyTable policies_{ports_.kernel};
};

}  // namespace ipsecd::ikev2
