// The vocabulary of the XFRM interface: SA and policy descriptions, what the kernel reports back, events.
#pragma once

#include "common/ip_address.h"

#include <botan/secmem.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ipsecd::netlink {

// Key material: wiped when freed (the same type as crypto::SecureBytes).
using SecretBytes = Botan::secure_vector<uint8_t>;

enum class IpsecProtocol : uint8_t { Esp = 50, Ah = 51 };
enum class IpsecMode : uint8_t { Transport = 0, Tunnel = 1 };
enum class PolicyDirection : uint8_t { In = 0, Out = 1, Fwd = 2 };
enum class PolicyAction : uint8_t { Allow = 0, Block = 1 };
// XFRMA_SA_DIR (Linux 6.10+): lets the kernel refuse settings that make no sense for the direction.
enum class SaDirection : uint8_t { In = 1, Out = 2 };

// Traffic selector (RFC 4301 §4.4.1.1). Ports in host order, 0 = any; for ICMP the kernel reads the type
// from the source port and the code from the destination port.
struct Selector {
  Prefix src;
  Prefix dst;
  uint8_t protocol = 0;  // 0 = any
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  bool operator==(const Selector&) const = default;
};

struct Mark {
  uint32_t value = 0;
  uint32_t mask = 0;  // 0 = no mark
  bool operator==(const Mark&) const = default;
};

// One set of limits; 0 means no limit.
struct LifetimeLimits {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t add_seconds = 0;  // since the SA was added
  uint64_t use_seconds = 0;  // since its first use
};

struct Lifetimes {
  LifetimeLimits soft;  // raises a soft EXPIRE: time to rekey
  LifetimeLimits hard;  // raises a hard EXPIRE and the kernel deletes the SA
};

// Algorithms by their kernel crypto API names (see kernel_algorithms.h for the IANA mapping).
struct AeadAlgorithm {
  std::string name;  // "rfc4106(gcm(aes))", "rfc7539esp(chacha20,poly1305)"
  SecretBytes key;   // includes the 4-byte salt
  uint32_t icv_bits = 128;
};

struct CipherAlgorithm {
  std::string name;  // "cbc(aes)", "cbc(des3_ede)", "cbc(des)"
  SecretBytes key;
};

struct AuthAlgorithm {
  std::string name;  // "hmac(sha256)", "xcbc(aes)", ...
  SecretBytes key;
  uint32_t truncation_bits = 96;
};

// NAT traversal: ESP in UDP (RFC 3948), UDP_ENCAP_ESPINUDP.
struct UdpEncapsulation {
  uint16_t src_port = 4500;
  uint16_t dst_port = 4500;
  bool operator==(const UdpEncapsulation&) const = default;
};

// An SA to install. The reqid must lie in the Xfrm instance's ownership range.
struct SaSpec {
  IpAddress src;
  IpAddress dst;
  uint32_t spi = 0;  // host order
  IpsecProtocol protocol = IpsecProtocol::Esp;
  IpsecMode mode = IpsecMode::Transport;
  uint32_t reqid = 0;
  std::optional<Selector> selector;  // none: any traffic of the outer family
  std::optional<AeadAlgorithm> aead;
  std::optional<CipherAlgorithm> cipher;
  std::optional<AuthAlgorithm> auth;
  Lifetimes lifetimes;
  uint32_t replay_window = 32;  // packets; 0 for outbound SAs
  bool esn = false;             // 64-bit extended sequence numbers (RFC 4303 §2.2.1)
  std::optional<UdpEncapsulation> encapsulation;
  Mark mark;
  uint32_t if_id = 0;
  std::optional<SaDirection> direction;  // sent only when the kernel supports it
};

// Identifies an SA (the kernel's hash key plus the mark).
struct SaId {
  IpAddress src;
  IpAddress dst;
  uint32_t spi = 0;
  IpsecProtocol protocol = IpsecProtocol::Esp;
  Mark mark;
};

struct SaCounters {
  uint64_t bytes = 0;
  uint64_t packets = 0;
  uint64_t add_time = 0;  // seconds since the epoch
  uint64_t use_time = 0;  // seconds since the epoch of the first use, 0 = never used
};

// An SA as the kernel reports it. Keys are not kept: the kernel sends them, we wipe them.
struct SaInfo {
  SaId id;
  IpsecMode mode = IpsecMode::Transport;
  uint32_t reqid = 0;
  Selector selector;
  std::vector<std::string> algorithms;  // kernel names
  Lifetimes lifetimes;
  SaCounters counters;
  uint32_t replay_window = 0;
  bool esn = false;
  std::optional<UdpEncapsulation> encapsulation;
  uint32_t if_id = 0;
  std::optional<SaDirection> direction;
};

// One template of a policy: which SA the kernel must apply (or find) for matching traffic.
struct PolicyTemplate {
  IpsecProtocol protocol = IpsecProtocol::Esp;
  IpsecMode mode = IpsecMode::Transport;
  IpAddress src;  // tunnel endpoints; unspecified in transport mode
  IpAddress dst;
  uint32_t reqid = 0;
  bool optional = false;
  bool operator==(const PolicyTemplate&) const = default;
};

struct PolicySpec {
  Selector selector;
  PolicyDirection direction = PolicyDirection::Out;
  PolicyAction action = PolicyAction::Allow;
  std::optional<uint32_t> priority;  // none: derived from the selector (policy_priority)
  // In the kernel's order: the innermost transform first (see bundle_templates).
  std::vector<PolicyTemplate> templates;
  Mark mark;
  uint32_t if_id = 0;
};

struct PolicyInfo {
  Selector selector;
  PolicyDirection direction = PolicyDirection::Out;
  PolicyAction action = PolicyAction::Allow;
  uint32_t priority = 0;
  uint32_t index = 0;
  std::vector<PolicyTemplate> templates;
  Mark mark;
  uint32_t if_id = 0;
};

// --- events (XFRM multicast groups) ---

// A trap policy matched traffic without an SA (XFRM_MSG_ACQUIRE): negotiate one.
struct AcquireEvent {
  Selector selector;
  IpAddress src;  // the SA's outer addresses the kernel wants
  IpAddress dst;
  IpsecProtocol protocol = IpsecProtocol::Esp;
  uint32_t reqid = 0;
  uint32_t policy_index = 0;
  PolicyDirection direction = PolicyDirection::Out;
  uint32_t sequence = 0;  // the acquire's seq, to be echoed in the SA add (lets the kernel match it)
};

// An SA reached a soft (rekey) or hard (gone) limit.
struct ExpireEvent {
  SaId id;
  uint32_t reqid = 0;
  bool hard = false;
};

struct PolicyExpireEvent {
  Selector selector;
  PolicyDirection direction = PolicyDirection::Out;
  uint32_t index = 0;
  bool hard = false;
};

// One template (and the SA with the same protocol, mode, reqid and old addresses) moved from the old
// tunnel endpoints to the new ones (XFRM_MSG_MIGRATE, struct xfrm_user_migrate). The new pair may be of
// another family than the old one.
struct MigrateEntry {
  IpAddress old_src, old_dst, new_src, new_dst;
  IpsecProtocol protocol = IpsecProtocol::Esp;
  IpsecMode mode = IpsecMode::Transport;
  uint32_t reqid = 0;
  bool operator==(const MigrateEntry&) const = default;
};

// The key managers' own addresses after the move (XFRMA_KMADDRESS, struct xfrm_user_kmaddress): where
// IKE now runs, for listeners that follow it (RFC 4555 §3.5 updates the IKE SA's addresses too).
struct KmAddress {
  IpAddress local;
  IpAddress remote;
  bool operator==(const KmAddress&) const = default;
};

// A policy's templates moved to new endpoints (ours or someone else's XFRM_MSG_MIGRATE).
struct MigrateEvent {
  Selector selector;
  PolicyDirection direction = PolicyDirection::Out;
  std::vector<MigrateEntry> entries;
  std::optional<KmAddress> km_address;
};

// XFRM_MSG_MIGRATE for one policy, as a MOBIKE address update (RFC 4555 §3.5) needs it: the policy found by
// its exact selector and direction gets the entries' new tunnel endpoints in every template that matches an
// entry (protocol, mode, reqid, old addresses), and the kernel moves the one SA per entry that has those
// old addresses, protocol, mode and reqid to the new addresses (a clone with the same keys and SPI; the
// old SA is deleted). Migrate the out, in and fwd policies of a CHILD_SA to move both of its
// SAs. Listeners get a MigrateEvent.
struct MigrateRequest {
  Selector selector;
  PolicyDirection direction = PolicyDirection::Out;
  std::vector<MigrateEntry> entries;  // 1 to 6 (XFRM_MAX_DEPTH), each with an owned reqid
  std::optional<KmAddress> km_address;  // the IKE SA's new addresses, passed on to listeners
  uint32_t if_id = 0;                   // only the policy and SAs with this if_id (0 = any)
};

// The peer's NAT mapping changed (ESP in UDP arrived from a new address or port).
struct MappingEvent {
  SaId id;
  uint32_t reqid = 0;
  IpAddress old_address;
  uint16_t old_port = 0;
  IpAddress new_address;
  uint16_t new_port = 0;
};

using XfrmEvent = std::variant<AcquireEvent, ExpireEvent, PolicyExpireEvent, MigrateEvent, MappingEvent>;

}  // namespace ipsecd::netlink
