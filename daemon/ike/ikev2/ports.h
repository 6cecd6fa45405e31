// The IKEv2 engine's doors to the outside: clock, datagram output, kernel SAs and policies, events.
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "daemon/ike/iana/security_protocol_id.h"
#include "daemon/ike/ikev2/traffic_selectors.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::ikev2 {

// Monotonic time as the engine sees it; tests drive it by hand, the daemon reads steady_clock.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::milliseconds;

// Wall-clock time, for what is dated in calendar terms: X.509 validity and CRLs (RFC 5280 §6.1.3).
using WallTimePoint = std::chrono::system_clock::time_point;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual TimePoint now() const = 0;
  // The daemon reads system_clock; tests pick a date so certificate validity is deterministic.
  virtual WallTimePoint system_now() const = 0;
};

// Where IKE datagrams leave. `bytes` is the IKE message from its header on: whoever owns the socket adds
// the RFC 3948 non-ESP marker on port 4500, and strips it before handle_datagram.
class DatagramSink {
 public:
  virtual ~DatagramSink() = default;
  virtual void send(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote,
                    crypto::ByteView bytes) = 0;
  // A NAT keepalive (RFC 3948 §2.3): the single octet 0xFF, sent as it is, without the non-ESP marker, so
  // the receiving socket can tell it from IKE and ESP and drop it.
  virtual void send_keepalive(const ipsecd::Endpoint& local, const ipsecd::Endpoint& remote) = 0;
};

// A kernel refusal as a value: errno and a sentence a person can act on.
struct KernelError {
  int error_number = 0;
  std::string message;
};

enum class IpsecMode : uint8_t { transport, tunnel };
enum class PolicyDirection : uint8_t { in, out, fwd };

struct SpiRequest {
  IpAddress src;  // the peer: it sends to this SPI
  IpAddress dst;  // us
  iana::SecurityProtocolId protocol = iana::SecurityProtocolId::ESP;
  uint32_t reqid = 0;
};

// Where an SA is found: destination, SPI and protocol (RFC 4301 §4.1), plus the source for the log.
struct KernelSaId {
  IpAddress src;
  IpAddress dst;
  uint32_t spi = 0;
  iana::SecurityProtocolId protocol = iana::SecurityProtocolId::ESP;
  bool operator==(const KernelSaId&) const = default;
};

// Time and byte limits of one SA; 0 means no limit. Soft limits start a rekey, hard ones end the SA.
struct SaLifetime {
  uint64_t soft_seconds = 0;
  uint64_t hard_seconds = 0;
  uint64_t soft_bytes = 0;
  uint64_t hard_bytes = 0;
  bool operator==(const SaLifetime&) const = default;
};

// ESP in UDP (RFC 3948, the kernel's UDP_ENCAP_ESPINUDP, the only encapsulation IKEv2 uses): the ports of
// the UDP header around each ESP packet, the IKE SA's after the float to 4500 (RFC 7296 §2.23). An outbound
// SA sends from src_port to dst_port; an inbound SA expects the peer's port as src_port and ours as dst_port.
// Tunnel mode needs no more. Transport mode behind a NAT would, by RFC 3948 §3.1.2, need the original
// addresses (NAT-OA) to fix TCP/UDP checksums after decapsulation; Linux instead marks such packets as
// checksum-verified (the ESP ICV already protects them), so the kernel is given no original address.
struct UdpEncapsulation {
  uint16_t src_port = 4500;
  uint16_t dst_port = 4500;
  bool operator==(const UdpEncapsulation&) const = default;
};

// One SA in one direction, with algorithms named by their IANA transform IDs (the adapter maps them to
// the kernel's names). An inbound SA's SPI came from allocate_spi, so the adapter fills the larval SA the
// kernel already holds for it rather than adding a second one.
struct KernelSa {
  KernelSaId id;
  bool inbound = false;
  IpsecMode mode = IpsecMode::tunnel;
  uint32_t reqid = 0;
  iana::EncryptionAlgorithm encryption{};
  uint16_t encryption_key_bits = 0;  // 0 for fixed-size ciphers
  iana::IntegrityAlgorithm integrity = iana::IntegrityAlgorithm::NONE;
  crypto::SecureBytes encryption_key;  // with the salt of AEAD ciphers (crypto/esp_key_lengths.h)
  crypto::SecureBytes integrity_key;
  bool esn = false;
  SaLifetime lifetime;
  std::optional<UdpEncapsulation> encapsulation;  // set when the IKE SA is NAT-ed or forced (§2.23)
  bool operator==(const KernelSa&) const = default;
};

// One policy entry. Selectors are ranges as IKE negotiates them (§3.13.1); the adapter expresses each as
// the kernel's prefix and port form. In tunnel mode the template names the outer addresses.
// A bundle (RFC 4301 §4.5) applies `protocol` innermost and then each of `outer_protocols` in turn, all
// with one reqid; the engine's only bundle is ESP with outer_protocols {AH}. Only the innermost SA
// tunnels: in tunnel mode the outer ones protect the new outer header in transport mode.
struct KernelPolicy {
  Selector src;
  Selector dst;
  PolicyDirection direction = PolicyDirection::out;
  IpsecMode mode = IpsecMode::tunnel;
  IpAddress tunnel_src;
  IpAddress tunnel_dst;
  iana::SecurityProtocolId protocol = iana::SecurityProtocolId::ESP;
  uint32_t reqid = 0;
  std::vector<iana::SecurityProtocolId> outer_protocols;
  bool operator==(const KernelPolicy&) const = default;
};

struct KernelPolicyId {
  Selector src;
  Selector dst;
  PolicyDirection direction = PolicyDirection::out;
  bool operator==(const KernelPolicyId&) const = default;
  auto operator<=>(const KernelPolicyId&) const = default;
};

// What the kernel knows a policy by (selectors and direction), as its deletes and lookups name it.
inline KernelPolicyId policy_id(const KernelPolicy& policy) { return {policy.src, policy.dst, policy.direction}; }

// Granular on purpose: one call per kernel entry, so a CHILD_SA rekey can replace SAs while the policies,
// matched by reqid, stay in place.
class KernelPort {
 public:
  virtual ~KernelPort() = default;
  virtual Expected<uint32_t, KernelError> allocate_spi(const SpiRequest& request) = 0;
  virtual Expected<Ok, KernelError> add_sa(const KernelSa& sa) = 0;
  // Also releases an SPI from allocate_spi that never got its SA.
  virtual Expected<Ok, KernelError> delete_sa(const KernelSaId& id) = 0;
  // The SA found at `old_id` gets `sa`'s outer addresses and UDP encapsulation, keys and SPI unchanged:
  // a NAT mapping changed and the IKE SA followed the peer to its new address or port (RFC 7296 §2.23).
  virtual Expected<Ok, KernelError> update_sa(const KernelSaId& old_id, const KernelSa& sa) = 0;
  virtual Expected<Ok, KernelError> add_policy(const KernelPolicy& policy) = 0;
  // The policy with `policy`'s selectors and direction, which must exist, takes `policy`'s template: a
  // second CHILD_SA with the same selectors takes over the kernel's one entry for them (PolicyTable).
  virtual Expected<Ok, KernelError> update_policy(const KernelPolicy& policy) = 0;
  virtual Expected<Ok, KernelError> delete_policy(const KernelPolicyId& policy) = 0;
  // The address the kernel's routing would send to `remote` from: our IKE address toward a peer when the
  // connection does not name one.
  virtual Expected<IpAddress, KernelError> source_address_for(const IpAddress& remote) = 0;
};

}  // namespace ipsecd::ikev2
