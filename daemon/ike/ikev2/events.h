// Typed events the engine reports (SA up, down, failed, installed) for logs and ipsecctl.
#pragma once

#include "common/ip_address.h"
#include "daemon/ike/iana/notify_message_type.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/ikev2/proposal.h"
#include "daemon/ike/ikev2/traffic_selectors.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ipsecd::ikev2 {

enum class IkeRole : uint8_t { initiator, responder };

// Why an IKE SA or CHILD_SA did not come up or went away.
enum class FailureReason : uint8_t {
  no_proposal_chosen,     // no common proposal (ours or the peer's NO_PROPOSAL_CHOSEN)
  invalid_ke_payload,     // the peer wants a group we do not offer
  authentication_failed,  // AUTH did not verify, here or at the peer
  identity_mismatch,      // no connection accepts the peer's identity, or IDr is not who we expected
  ts_unacceptable,        // traffic selectors do not fit the policy, here or at the peer
  kernel_refused,         // the kernel port refused an SPI, SA or policy
  peer_unreachable,       // retransmissions ran out (§2.1, §2.4)
  half_open_timeout,      // IKE_SA_INIT answered, IKE_AUTH never came
  protocol_error,         // a malformed or unexpected message from the peer
  peer_error,             // another error notify from the peer
  // Public-key authentication (RFC 7296 §3.6-§3.8, RFC 7427), each also answered with AUTHENTICATION_FAILED:
  certificate_untrusted,    // the peer's chain leads to no CA we trust
  certificate_expired,      // a certificate of the chain has expired at our wall-clock time
  certificate_revoked,      // a CRL we hold lists a certificate of the chain
  certificate_not_allowed,  // key usage, CA flags or constraints forbid the chain (RFC 4945 §5.1.3.2)
  certificate_invalid,      // no usable X.509 CERT, or another path validation failure
  id_not_in_certificate,    // the peer's ID is not its certificate's subject or a subjectAltName
  bad_signature,            // the AUTH signature does not verify with the peer's key
  hash_not_acceptable,      // a signature hash we did not announce, or none we can sign with (RFC 7427 §4)
  // A CHILD_SA asked for on an IKE SA that was deleted (ours or the peer's Delete, §1.4.1) before it was
  // made: no CREATE_CHILD_SA can run on a deleted IKE SA.
  ike_sa_deleted,
};

std::string_view name(FailureReason reason);

struct Failure {
  FailureReason reason{};
  // The peer's error notify when the failure was reported by the peer.
  std::optional<iana::NotifyMessageType> peer_notify;
  std::string detail;
};

// What IKE_SA_INIT's NAT detection found (RFC 7296 §2.23), for listings and the IKE SA's own decisions.
struct NatSituation {
  bool local_behind_nat = false;   // our address is translated: we send keepalives (RFC 3948 §2.3)
  bool remote_behind_nat = false;  // the peer's address is translated: we follow its mapping changes
  bool forced = false;             // force_encapsulation: a NAT is pretended, the peer sees us behind one
  bool udp_encapsulation() const { return local_behind_nat || remote_behind_nat || forced; }
  bool operator==(const NatSituation&) const = default;
};

struct IkeSaEstablished {
  uint64_t ike_sa = 0;  // the engine's unique id for the IKE SA
  std::string connection;
  IkeRole role{};
  ipsecd::Endpoint local;
  ipsecd::Endpoint remote;
  Identity local_id;
  Identity remote_id;
  NegotiatedTransforms transforms;
  NatSituation nat;  // local/remote are on port 4500 when nat.udp_encapsulation()
};

struct IkeSaFailed {
  uint64_t ike_sa = 0;
  std::string connection;  // empty when no connection was found
  IkeRole role{};
  Failure failure;
};

struct IkeSaDeleted {
  uint64_t ike_sa = 0;
  std::string connection;
  bool by_peer = false;
};

struct ChildSaInstalled {
  uint64_t ike_sa = 0;
  std::string connection;
  std::string child;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  IpsecMode mode{};
  NegotiatedTransforms transforms;
  std::vector<Selector> local_ts;
  std::vector<Selector> remote_ts;
};

struct ChildSaFailed {
  uint64_t ike_sa = 0;
  std::string connection;
  std::string child;
  Failure failure;
};

// Why a CHILD_SA went, for the daemon's close_action and dpd_action.
enum class ChildDeleteCause : uint8_t {
  local,        // our Delete, a hard expiry, or the old SA of a rekey (whoever deleted it)
  peer,         // the peer deleted it, or its IKE SA (§1.4.1): close_action applies
  ike_sa_gone,  // its IKE SA ended otherwise (failure, our Delete, timeout): IkeSaFailed/Deleted follows
};

struct ChildSaDeleted {
  uint64_t ike_sa = 0;
  std::string connection;
  std::string child;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ChildDeleteCause cause = ChildDeleteCause::local;
};

// A CHILD_SA replaced by a rekey (§1.3.3); the new one was reported by ChildSaInstalled before.
struct ChildSaRekeyed {
  uint64_t ike_sa = 0;
  std::string connection;
  std::string child;
  uint32_t old_spi_in = 0;
  uint32_t new_spi_in = 0;
};

// An IKE SA replaced by a new one (§2.18), which took over its children.
struct IkeSaRekeyed {
  uint64_t old_ike_sa = 0;
  uint64_t new_ike_sa = 0;
  std::string connection;
  // The new IKE SA's algorithms: its CREATE_CHILD_SA exchange chose them afresh (§1.3.2), so they may
  // differ from the old one's.
  NegotiatedTransforms transforms;
};

using Event = std::variant<IkeSaEstablished, IkeSaFailed, IkeSaDeleted, ChildSaInstalled, ChildSaFailed,
                           ChildSaDeleted, ChildSaRekeyed, IkeSaRekeyed>;

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) = 0;
};

}  // namespace ipsecd::ikev2
