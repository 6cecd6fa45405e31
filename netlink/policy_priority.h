// Policy priorities from selector specificity, and the template order of an ESP/AH bundle.
#pragma once

#include "netlink/xfrm_types.h"

#include <cstdint>
#include <vector>

namespace ipsecd::netlink {

// The kernel picks the matching policy with the lowest priority value. RFC 4301 §4.4.1 orders the SPD so
// that more specific entries come first: longer prefixes (IPv4 lengths scaled to IPv6's 128 bits so both
// families compare), then a protocol, then ports each lower the value. Identical selectors get the same
// priority, whatever the direction.
uint32_t policy_priority(const Selector& selector);

// Templates for ESP, AH or both between `src` and `dst`. The kernel applies a policy's templates in array
// order on output, the first innermost, so RFC 4301's ESP+AH bundle with AH outermost is [ESP, AH]. In
// tunnel mode only the innermost template tunnels; the others protect the new outer header in transport
// mode (their SAs must be added in transport mode too).
std::vector<PolicyTemplate> bundle_templates(bool esp, bool ah, IpsecMode mode, const IpAddress& src,
                                             const IpAddress& dst, uint32_t reqid);

}  // namespace ipsecd::netlink
