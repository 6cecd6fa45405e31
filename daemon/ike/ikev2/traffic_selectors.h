// Traffic selectors (RFC 7296 §2.9, §3.13): strongSwan-syntax config, codec conversion, narrowing and checks.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "daemon/ike/payloads.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipsecd::ikev2 {

// One concrete selector: an inclusive address range of one family, an IP protocol and an inclusive port
// range. Addresses are in network byte order, both 4 bytes (IPv4) or both 16 (IPv6), start <= end, so
// that comparing the byte vectors compares the addresses. For ICMP and ICMPv6 the "ports" hold Type in
// the high and Code in the low byte (§3.13.1).
struct Selector {
  crypto::Bytes start_address;
  crypto::Bytes end_address;
  uint8_t ip_protocol = 0;  // 0: any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;

  bool is_ipv6() const { return start_address.size() == 16; }
  bool operator==(const Selector&) const = default;
  auto operator<=>(const Selector&) const = default;
};

// A selector as configured. `dynamic` stands for the address the IKE SA runs on (ours in local_ts, the
// peer's in remote_ts), known only per SA; its `selector` then carries protocol and ports, no addresses.
struct SelectorConfig {
  bool dynamic = false;
  Selector selector;
  bool operator==(const SelectorConfig&) const = default;
};

// Parses the syntax users know from strongSwan: "10.1.0.0/16", "192.0.2.1", "2001:db8::/32", "::/0",
// "10.1.0.5-10.1.0.9", "dynamic", each optionally followed by "[proto]" or "[proto/port]" or
// "[proto/lo-hi]" with proto a name (tcp, udp, icmp, ipv6-icmp, sctp, ...) or number, e.g.
// "10.0.0.0/8[tcp/443]", "192.0.2.0/24[17/53]", "dynamic[udp/500-600]". For icmp/ipv6-icmp the port
// is the ICMP Type. Errors name the part that is wrong.
Expected<SelectorConfig, std::string> parse_selector(std::string_view text);

// Parses a comma-separated list ("10.1.0.0/16, 10.2.0.0/16[tcp]"); errors also give the entry's position.
Expected<std::vector<SelectorConfig>, std::string> parse_selectors(std::string_view text);

// The concrete selector for one IKE SA: a dynamic entry becomes the single `address` (4 or 16 bytes,
// e.g. our own for local_ts), anything else stays as configured.
Expected<Selector, std::string> resolve(const SelectorConfig& config, crypto::ByteView address);
Expected<std::vector<Selector>, std::string> resolve(const std::vector<SelectorConfig>& configs,
                                                     crypto::ByteView address);

// For logs: "10.1.0.0/16[tcp/443]" when the range is a prefix, "10.1.0.5-10.1.0.9" otherwise; the
// bracket is left out for any protocol and port.
std::string format_selector(const Selector& selector);
std::string format_selector(const SelectorConfig& config);
std::string format_selectors(const std::vector<Selector>& selectors);

// Conversion to and from the codec's TS_IPV4_ADDR_RANGE / TS_IPV6_ADDR_RANGE. A received selector whose
// start lies after its end, whose addresses do not fit its type, or that asks for OPAQUE ports (start
// port 65535, end port 0, §3.13.1) is refused with a sentence saying why.
ike::TrafficSelector to_wire(const Selector& selector);
std::vector<ike::TrafficSelector> to_wire(const std::vector<Selector>& selectors);
Expected<Selector, std::string> from_wire(const ike::TrafficSelector& selector);
Expected<std::vector<Selector>, std::string> from_wire(const std::vector<ike::TrafficSelector>& selectors);

// The selector matching exactly the traffic both match, if any: addresses of different families never
// intersect; protocol 0 matches any protocol.
std::optional<Selector> intersect(const Selector& a, const Selector& b);

// Whether every packet `inner` matches also matches `outer`.
bool contains(const Selector& outer, const Selector& inner);

struct NarrowedSelectors {
  std::vector<Selector> tsi;
  std::vector<Selector> tsr;
  bool operator==(const NarrowedSelectors&) const = default;
};

// When the responder must choose: `all` answers every part of the proposal the policy allows (one Child
// SA carries them all); `single_pair` answers one selector per side, for a policy that puts each range
// in its own Child SA (§2.9).
enum class NarrowingScope : uint8_t { all, single_pair };

// Responder side of §2.9. `remote_policy` is what we accept for the initiator's side (TSi), `local_policy`
// for ours (TSr), both already resolved. Each side becomes the intersections of the proposed selectors
// with the policy, without entries that another result already covers. Because the first proposed
// selector may be the packet that triggered the initiator's ACQUIRE, the results containing it come
// first, and `single_pair` keeps the first. nullopt when either side comes out empty: TS_UNACCEPTABLE.
std::optional<NarrowedSelectors> narrow(const std::vector<Selector>& remote_policy,
                                        const std::vector<Selector>& local_policy,
                                        const std::vector<Selector>& proposed_tsi,
                                        const std::vector<Selector>& proposed_tsr,
                                        NarrowingScope scope = NarrowingScope::all);

// Initiator side: the responder's TSi/TSr must be non-empty and each selector must lie within one that we
// proposed on that side; anything else is an error naming the selector, and the initiator refuses the
// Child SA.
Expected<Ok, std::string> check_narrowed(const std::vector<Selector>& proposed_tsi,
                                         const std::vector<Selector>& proposed_tsr,
                                         const std::vector<Selector>& answered_tsi,
                                         const std::vector<Selector>& answered_tsr);

}  // namespace ipsecd::ikev2
