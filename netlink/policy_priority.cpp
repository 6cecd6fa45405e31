// Specificity scoring for policy priorities and kernel-ordered bundle templates.
#include "netlink/policy_priority.h"

#include <sys/socket.h>

namespace ipsecd::netlink {
namespace {

constexpr uint32_t kBasePriority = 100000;

uint32_t scaled_length(const Prefix& p) {
  return p.address.family == AF_INET ? p.length * 4U : p.length;
}

}  // namespace

uint32_t policy_priority(const Selector& selector) {
  // Each step outranks everything below it: prefixes (0..256) count 4 each, protocol 2, any port 1.
  uint32_t score = (scaled_length(selector.src) + scaled_length(selector.dst)) * 4;
  if (selector.protocol != 0) score += 2;
  if (selector.src_port != 0 || selector.dst_port != 0) score += 1;
  return kBasePriority - score;
}

std::vector<PolicyTemplate> bundle_templates(bool esp, bool ah, IpsecMode mode, const IpAddress& src,
                                             const IpAddress& dst, uint32_t reqid) {
  std::vector<PolicyTemplate> out;
  for (const auto& [use, protocol] : {std::pair{esp, IpsecProtocol::Esp}, std::pair{ah, IpsecProtocol::Ah}}) {
    if (!use) continue;
    PolicyTemplate t;
    t.protocol = protocol;
    t.mode = out.empty() ? mode : IpsecMode::Transport;
    t.reqid = reqid;
    if (t.mode == IpsecMode::Tunnel) {
      t.src = src;
      t.dst = dst;
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace ipsecd::netlink
