// The per-IKE-SA record: SPIs, role, state, negotiated transforms, keys, nonces, windows and children.
#pragma once

#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "crypto/key_exchange.h"
#include "crypto/prf.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/ikev2/authentication.h"
#include "daemon/ike/ikev2/config.h"
#include "daemon/ike/ikev2/events.h"
#include "daemon/ike/ikev2/exchange_window.h"
#include "daemon/ike/ikev2/policy_table.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/ikev2/proposal.h"
#include "daemon/ike/ikev2/traffic_selectors.h"
#include "daemon/ike/skf_fragmentation.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::ikev2 {

enum class IkeSaState : uint8_t {
  init_sent,    // initiator: IKE_SA_INIT request out
  auth_sent,    // initiator: IKE_AUTH request out
  half_open,    // responder: IKE_SA_INIT answered, waiting for IKE_AUTH
  established,  // authenticated both ways
  deleting,     // our Delete for the IKE SA is out
  rekeyed,      // replaced by a new IKE SA (§2.18): carries no children and waits for its Delete
};

std::string_view name(IkeSaState state);

enum class ChildSaState : uint8_t {
  installed,  // in use
  rekeying,   // our CREATE_CHILD_SA with REKEY_SA for it is out
  rekeyed,    // replaced by a rekey (§1.3.3): its SAs stay until the Delete exchange removes them
  deleting,   // our Delete for it is out
};

// The peer's rekey of a child we were rekeying ourselves (§2.8.1): which child that exchange made and
// its nonces, for the lowest-nonce rule once our own answer is in.
struct PeerChildRekey {
  uint32_t new_spi_in = 0;
  crypto::Bytes nonce_i;
  crypto::Bytes nonce_r;
};

// The AH pair of an ESP+AH bundle (RFC 4306 §3.3.1), kept beside the ESP pair its ChildSa names.
struct BundledAh {
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  NegotiatedTransforms transforms;
};

// One installed CHILD_SA: what it negotiated and exactly which kernel entries it owns. spi_in, spi_out
// and transforms are those of its ESP pair, or of its AH pair for an AH-only child.
struct ChildSa {
  std::string name;
  uint32_t reqid = 0;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  IpsecMode mode = IpsecMode::tunnel;
  NegotiatedTransforms transforms;
  std::vector<Selector> local_ts;
  std::vector<Selector> remote_ts;
  std::vector<KernelSaId> kernel_sas;
  std::vector<KernelPolicyId> kernel_policies;
  ChildSaState state = ChildSaState::installed;
  std::optional<TimePoint> rekey_at;  // from the child's rekey_time, less jitter
  std::optional<PeerChildRekey> peer_rekey;
  // The UDP-encapsulated SAs as installed (keys included, wiped with the record), so that a NAT mapping
  // change can move them to the peer's new address or port (KernelPort::update_sa, §2.23).
  std::vector<KernelSa> encapsulated_sas{};

  std::optional<BundledAh> ah;  // an ESP+AH bundle's AH pair

  // Whether the peer's `spi` of `protocol` (one we send to) belongs to this child.
  bool sends_to(iana::SecurityProtocolId protocol, uint32_t spi) const {
    return (transforms.protocol == protocol && spi_out == spi) ||
           (ah && protocol == iana::SecurityProtocolId::AH && ah->spi_out == spi);
  }
  // Whether our inbound `spi` of `protocol` belongs to this child.
  bool receives_on(iana::SecurityProtocolId protocol, uint32_t spi) const {
    return (transforms.protocol == protocol && spi_in == spi) ||
           (ah && protocol == iana::SecurityProtocolId::AH && ah->spi_in == spi);
  }
  uint32_t ah_spi_in() const { return ah ? ah->spi_in : 0; }
  // How the PolicyTable knows this child among the users of its policies.
  PolicyUser policy_user() const { return {transforms.protocol, spi_in}; }
};

// Our CREATE_CHILD_SA request (§1.3) between sending it and reading the answer.
struct ChildSaRequest {
  enum class Kind : uint8_t { create_child, rekey_child, rekey_ike };
  Kind kind = Kind::create_child;
  const ChildConfig* config = nullptr;  // create_child and rekey_child; points into IkeSa::connection
  uint32_t reqid = 0;
  uint32_t spi_in = 0;          // the new child's inbound SPI: released if the request fails
  uint32_t ah_spi_in = 0;       // and, for an ESP+AH bundle, its inbound AH SPI
  uint32_t rekeyed_spi_in = 0;  // rekey_child: the inbound SPI of the child being replaced
  uint64_t new_ike_spi = 0;     // rekey_ike: our SPI of the new IKE SA
  bool transport = false;
  std::vector<Selector> tsi;
  std::vector<Selector> tsr;
  crypto::Bytes nonce;
  std::unique_ptr<crypto::KeyExchange> key_exchange;  // PFS (§1.3.1) or the new IKE SA's (§1.3.2)
  bool ke_retried = false;                            // INVALID_KE_PAYLOAD is followed once (§1.3)
};

// Work that waits for the request window (one request out at a time, §2.3).
struct QueuedChildWork {
  // delete_ike: terminate() found the window busy; the Delete goes once the exchange in flight is answered.
  enum class Kind : uint8_t { create_child, rekey_child, rekey_ike, delete_child, delete_ike };
  Kind kind = Kind::create_child;
  std::string child;       // create_child: the configured child's name
  uint32_t spi_in = 0;     // rekey_child, delete_child: the child's inbound SPI
  TimePoint not_before{};  // after TEMPORARY_FAILURE the retry waits (§2.25)
};

// The peer's IKE SA rekey that we answered while ours was out (§2.8.1, §2.18).
struct PeerIkeRekey {
  uint64_t new_sa_spi = 0;  // our SPI of the IKE SA it made
  crypto::Bytes nonce_i;
  crypto::Bytes nonce_r;
};

// The packet whose kernel ACQUIRE started a negotiation (RFC 4301 §5.2): its own selectors go first in
// TSi and TSr, before the configured ranges (RFC 7296 §2.9), so the responder can narrow to the policy
// that covers it.
struct TriggeringPacket {
  Selector src;
  Selector dst;
};

// The initiator's first CHILD_SA between sending IKE_AUTH and reading the answer.
struct PendingChild {
  const ChildConfig* config = nullptr;  // points into IkeSa::connection
  uint32_t reqid = 0;
  uint32_t spi_in = 0;  // allocated, not yet filled: released if the CHILD_SA fails
  uint32_t ah_spi_in = 0;  // the AH SPI of an ESP+AH bundle, likewise
  std::vector<Selector> tsi;
  std::vector<Selector> tsr;
};

struct IkeSa {
  uint64_t unique_id = 0;
  IkeRole role = IkeRole::initiator;
  IkeSaState state = IkeSaState::init_sent;
  // The configuration snapshot this SA lives by; a responder settles on one at IKE_AUTH.
  std::shared_ptr<const ConnectionConfig> connection;
  ipsecd::Endpoint local;
  ipsecd::Endpoint remote;
  uint64_t spi_i = 0;
  uint64_t spi_r = 0;

  NegotiatedTransforms transforms;
  std::unique_ptr<crypto::Prf> prf;
  crypto::SecureBytes sk_d;
  crypto::SecureBytes sk_pi;
  crypto::SecureBytes sk_pr;
  std::unique_ptr<crypto::SkCipher> cipher_i;  // SK_ei/SK_ai: protects what the initiator sends
  std::unique_ptr<crypto::SkCipher> cipher_r;  // SK_er/SK_ar: protects what the responder sends
  // The initiator's prf(PSK, "Key Pad for IKEv2") (§2.15) from its IKE_AUTH request, where it makes its
  // AUTH, to the response, where it checks the responder's, mostly with the same PSK; dropped, and so wiped,
  // once the response is handled. Refers to `prf` and to the PSKs of `connection`, which this SA holds.
  std::optional<PskKeyPads> auth_pads;

  crypto::Bytes nonce_i;
  crypto::Bytes nonce_r;
  // The IKE_SA_INIT messages as they went over the wire: AUTH signs them (§2.15).
  crypto::Bytes init_request;
  crypto::Bytes init_response;
  // The initiator's key pair until the responder's KE arrives.
  std::unique_ptr<crypto::KeyExchange> key_exchange;
  crypto::Bytes cookie;
  bool peer_fragmentation = false;  // the peer sent IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 §2.3)  // echoed
                                    // in IKE_SA_INIT after the responder asked for it (§2.6)

  // SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4): what we announced (empty if nothing), which bounds what we
  // accept in method-14 AUTH, and what the peer announced (nullopt if it sent none), which bounds what we
  // sign with.
  std::vector<iana::HashAlgorithm> announced_hashes;
  std::optional<std::vector<iana::HashAlgorithm>> peer_hashes;

  RequestWindow requests;
  ResponseWindow responses;
  // Fragment sets being reassembled, by Message ID (RFC 7383 §2.6).
  std::map<uint32_t, ike::FragmentReassembly> fragments;
  std::optional<TimePoint> half_open_deadline;
  // The last time a message from the peer verified (§2.4: liveness is checked only after a silence).
  TimePoint last_heard{};
  // A rekeyed SA whose Delete has not come by then is removed by us (§2.18).
  std::optional<TimePoint> rekeyed_deadline;

  // NAT traversal (§2.23): what IKE_SA_INIT found, and when we last sent the peer anything, from which a
  // side behind a NAT times its keepalives (RFC 3948 §2.3).
  NatSituation nat;
  TimePoint last_sent{};
  // Where the request being answered arrived and came from: its response goes back there (§2.23), also
  // when the IKE SA does not follow a peer that moved.
  ipsecd::Endpoint reply_local;
  ipsecd::Endpoint reply_remote;

  Identity peer_id;
  std::optional<PendingChild> pending_child;
  std::vector<ChildSa> children;
  // Children being negotiated because of an ACQUIRE, by child name: read when the request is built.
  std::map<std::string, TriggeringPacket, std::less<>> acquired;

  // CREATE_CHILD_SA (§1.3): our request in flight, work waiting for the window, the next IKE rekey, and
  // a peer's IKE rekey that collided with ours. The request and the peer's rekey are held by pointer, not
  // in place: they exist only during a CREATE_CHILD_SA exchange, and kept in place they would make every
  // IkeSa a block of more than 1 KiB, which glibc's malloc serves from its large bins after merging all
  // freed small blocks first (malloc_consolidate), a cost measured at 2.6 % of a PSK handshake.
  std::unique_ptr<ChildSaRequest> child_request;
  std::deque<QueuedChildWork> queued;
  // terminate() queued our Delete behind the exchange in flight: the SA is going and takes no new work.
  bool delete_queued() const {
    for (const auto& work : queued) {
      if (work.kind == QueuedChildWork::Kind::delete_ike) return true;
    }
    return false;
  }
  std::optional<TimePoint> rekey_at;
  std::unique_ptr<PeerIkeRekey> peer_ike_rekey;

  uint64_t our_spi() const { return role == IkeRole::initiator ? spi_i : spi_r; }
  const crypto::SkCipher* outbound_cipher() const {
    return role == IkeRole::initiator ? cipher_i.get() : cipher_r.get();
  }
  const crypto::SkCipher* inbound_cipher() const {
    return role == IkeRole::initiator ? cipher_r.get() : cipher_i.get();
  }
};
// A request of more than 1000 bytes is a large-bin block for glibc's malloc (see child_request): every
// IKE SA would then pay for merging the freed small blocks of the whole process.
static_assert(sizeof(IkeSa) <= 1000, "IkeSa outgrew glibc's small bins: hold a rarely used member by pointer");

}  // namespace ipsecd::ikev2
