// IKE traffic selectors (address and port ranges) expressed as the kernel's XFRM selectors (prefix, one port).
#pragma once

#include "common/expected.h"
#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "daemon/ike/ikev2/traffic_selectors.h"
#include "netlink/xfrm_types.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ipsecd::daemon {

// A port range wider than this (and not 0-65535, which is "any") is refused rather than expanded into one
// XFRM policy per port.
inline constexpr size_t kMaxPortsPerRange = 16;
// One IKE selector pair never becomes more XFRM policies than this.
inline constexpr size_t kMaxSelectorsPerPolicy = 256;

// The fewest prefixes whose union is exactly the inclusive range [start, end]: both 4 bytes (IPv4) or both
// 16 (IPv6), in network byte order, start <= end. An IPv4 range needs at most 62 prefixes, IPv6 at most 254.
Expected<std::vector<Prefix>, std::string> range_to_prefixes(crypto::ByteView start, crypto::ByteView end);

// XFRM selectors whose union matches exactly the traffic from `src` to `dst` (RFC 7296 §3.13.1 ranges):
// one per combination of source prefix, destination prefix, source port and destination port. Port ranges
// become "any" when full, else one selector per port (at most kMaxPortsPerRange). ICMP and ICMPv6 carry
// Type and Code in the port fields (§3.13.1); the kernel matches Type in the source port and Code in the
// destination port, each exactly or any, so only "any", one Type (all Codes) or one Type and Code (both
// non-zero, since 0 means any to the kernel) can be expressed. Everything else is refused with a sentence.
Expected<std::vector<netlink::Selector>, std::string> xfrm_selectors(const ikev2::Selector& src,
                                                                     const ikev2::Selector& dst);

// The other way, for an ACQUIRE: the packet's source and destination as IKE selectors (RFC 7296 §2.9's
// first TSi and TSr), each its prefix's address range with the packet's protocol and its own port (any
// when 0). ICMP and ICMPv6 get any Type and Code: the kernel reports Type and Code apart, in the source
// and destination port, which one §3.13.1 selector per side cannot say for both. nullopt for an
// unspecified family.
std::optional<std::pair<ikev2::Selector, ikev2::Selector>> packet_selectors(const netlink::Selector& packet);

}  // namespace ipsecd::daemon
