// The engine's view of a connection: addresses, proposals, authentication, identities, children, timers.
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "crypto/iana/hash_algorithm.h"
#include "crypto/validated_key_cache.h"
#include "daemon/ike/iana/identification_type.h"
#include "daemon/ike/ikev2/ports.h"
#include "daemon/ike/ikev2/proposal.h"
#include "daemon/ike/ikev2/traffic_selectors.h"

#include <botan/pk_keys.h>
#include <botan/x509cert.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipsecd::ikev2 {

// An IKE identity (RFC 7296 §3.5) as it travels in IDi/IDr: type and Identification Data.
struct Identity {
  iana::IdentificationType type = iana::IdentificationType::ID_FQDN;
  crypto::Bytes data;
  bool operator==(const Identity&) const = default;
};

// The usual text forms: "192.0.2.1" and "2001:db8::1" (ID_IPV4_ADDR/ID_IPV6_ADDR), "@host.example" or
// "host.example" (ID_FQDN), "user@example.org" (ID_RFC822_ADDR), "C=CH, O=x, CN=y" (ID_DER_ASN1_DN,
// DER-encoded in the given order; RDN values may not contain ','), "keyid:0a1b..." (ID_KEY_ID, hex).
Expected<Identity, std::string> parse_identity(std::string_view text);

// ID_IPV4_ADDR or ID_IPV6_ADDR for an address.
Identity address_identity(const IpAddress& address);

// Back to text for events and logs, in the forms parse_identity reads.
std::string to_string(const Identity& identity);

// psk: a shared secret (§2.15, AUTH method 2). pubkey: signatures (§3.8 methods 1, 9-11; RFC 7427 method 14).
enum class AuthMethod : uint8_t { psk, pubkey };

// How one side of a connection authenticates. The local side's AuthConfig holds what we prove ourselves
// with, the remote side's what we check the peer against.
struct AuthConfig {
  AuthMethod method = AuthMethod::psk;
  crypto::SecureBytes psk;  // the shared secret (§2.15) for AuthMethod::psk

  // Local pubkey: our end-entity certificate first, then the intermediates the peer needs to reach its
  // trust anchor; all go out as CERT payloads (§3.6). Empty when we authenticate with a bare key the peer
  // has pinned.
  std::vector<Botan::X509_Certificate> certificates;
  std::shared_ptr<const Botan::Private_Key> private_key;  // signs our AUTH

  // Remote pubkey, one of: a trust store (through the cache of chains it validated) that the peer's CERT
  // chain must lead to, or the peer's pinned public key (then CERT payloads are ignored). The required
  // identity is ConnectionConfig::remote_id; with a trust store the peer's ID must also be one its
  // certificate binds (RFC 4945 §3.1).
  std::shared_ptr<crypto::ValidatedKeyCache> trust;
  std::shared_ptr<const Botan::Public_Key> pinned_key;
};

struct ChildConfig {
  std::string name;
  std::vector<SelectorConfig> local_ts;
  std::vector<SelectorConfig> remote_ts;
  IpsecMode mode = IpsecMode::tunnel;
  // Proposals for the CHILD_SA's protocols: ESP alone, AH alone, or ESP+AH when both lists are set (an
  // RFC 4306 §3.3.1 bundle, see to_child_sa_proposals; AH is applied outermost, RFC 4301 §4.5).
  std::vector<ProposalConfig> esp_proposals;
  std::vector<ProposalConfig> ah_proposals;
  SaLifetime lifetime;
  // The engine rekeys the CHILD_SA rekey_time after it came up, less a random part of rekey_jitter so
  // that two peers with the same settings rarely collide (§2.8.1); 0 turns time-based rekeying off and
  // leaves it to the kernel's soft expiry.
  std::chrono::seconds rekey_time{3600};
  std::chrono::seconds rekey_jitter{360};

  // The protocol whose SPIs name the CHILD_SA (in REKEY_SA, Delete, events): ESP unless only AH is set.
  iana::SecurityProtocolId protocol() const {
    return esp_proposals.empty() ? iana::SecurityProtocolId::AH : iana::SecurityProtocolId::ESP;
  }
  bool bundle() const { return !esp_proposals.empty() && !ah_proposals.empty(); }
};

struct ConnectionConfig {
  std::string name;
  std::optional<IpAddress> local_address;   // nullopt: any of ours
  std::optional<IpAddress> remote_address;  // nullopt: any peer (responder only)
  uint16_t local_port = 500;
  uint16_t remote_port = 500;
  std::vector<ProposalConfig> ike_proposals;
  Identity local_id;
  std::optional<Identity> remote_id;  // nullopt: any identity the peer proves with our credentials
  AuthConfig local_auth;
  AuthConfig remote_auth;
  bool send_initial_contact = true;
  std::vector<ChildConfig> children;
  // A liveness check (§2.4: an empty INFORMATIONAL) goes out after this long without hearing from the
  // peer; 0 turns it off. The peer is dead when retransmission of the check gives up.
  std::chrono::seconds dpd_delay{30};
  // NAT traversal (RFC 3947/3948, §2.23): pretend a NAT is in the path so ESP goes in UDP on port 4500
  // even without one, and how often a NAT-ed side sends keepalives to hold its mapping open (0: never).
  bool force_encapsulation = false;
  std::chrono::seconds nat_keepalive{20};
  std::chrono::seconds rekey_time{14400};   // IKE SA rekey (§2.18); 0: never
  std::chrono::seconds rekey_jitter{1440};  // taken off rekey_time at random, as for children
};

// Engine-wide timing and limits.
struct EngineSettings {
  // Retransmission of our requests (§2.1): the n-th retransmission goes out retransmit_timeout *
  // retransmit_base^(n-1) after the previous send; after retransmit_tries retransmissions have gone
  // unanswered for as long again, the peer is declared dead.
  Duration retransmit_timeout{1000};
  double retransmit_base = 1.8;
  unsigned retransmit_tries = 5;
  // A responder's IKE SA that sees no IKE_AUTH within this time after IKE_SA_INIT is dropped (§2.6).
  Duration half_open_timeout{30000};
  // With this many half-open responder SAs, IKE_SA_INIT must first return a cookie (§2.6); its secret
  // rotates every cookie_secret_period.
  size_t cookie_threshold = 64;
  Duration cookie_secret_period{120000};
  // Reqids for CHILD_SAs are taken from here up; the kernel adapter owns this range.
  uint32_t first_reqid = 0x49500001;
  size_t nonce_size = 32;
  // A CREATE_CHILD_SA refused with TEMPORARY_FAILURE (§2.25) is tried again after this long plus a random
  // part of as much again, so that two peers refusing each other do not collide once more.
  Duration temporary_failure_retry{2000};
  // A rekey that failed otherwise (NO_PROPOSAL_CHOSEN, a refused key exchange, a kernel refusal, ...)
  // leaves the SA in use without a successor: it is tried again after this long plus a random part of as
  // much again, as strongSwan retries failed rekeys after some seconds, rather than a whole rekey_time
  // later when a CHILD_SA's hard lifetime may already have ended it.
  Duration rekey_retry{10000};
  // Protected messages longer than this (IKE header on, UDP/IP headers off) go out as RFC 7383 fragments
  // of at most this size, when the peer announced IKEV2_FRAGMENTATION_SUPPORTED; 1280 minus IPv6 and UDP
  // headers keeps every fragment inside the IPv6 minimum MTU (§2.5.1).
  size_t fragment_size = 1232;
  // The hashes we verify RFC 7427 signatures with, announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4).
  // Empty: no announcement, so peers authenticate with methods 1 and 9-11 (for peers predating RFC 7427).
  std::vector<iana::HashAlgorithm> signature_hashes{iana::HashAlgorithm::SHA2_256, iana::HashAlgorithm::SHA2_384,
                                                     iana::HashAlgorithm::SHA2_512, iana::HashAlgorithm::IDENTITY};
};

}  // namespace ipsecd::ikev2
