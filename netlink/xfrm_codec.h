// Translation between the library's XFRM vocabulary and the kernel's structs and attributes (linux/xfrm.h).
#pragma once

#include "netlink/kernel_error.h"
#include "netlink/nl_socket.h"
#include "netlink/xfrm_types.h"

#include <linux/xfrm.h>

#include <array>
#include <string>

namespace ipsecd::netlink {

// XFRMA_SA_DIR (Linux 6.10), newer than the uapi headers this builds against.
constexpr uint16_t kXfrmaSaDir = 33;
constexpr size_t kXfrmAttributeSlots = 40;
using XfrmAttributes = std::array<const nlattr*, kXfrmAttributeSlots>;

void to_kernel(const IpAddress& in, xfrm_address_t& out);
IpAddress from_kernel(const xfrm_address_t& in, int family);
xfrm_selector to_kernel(const Selector& in);
Selector from_kernel(const xfrm_selector& in);
xfrm_lifetime_cfg to_kernel(const Lifetimes& in);
Lifetimes from_kernel(const xfrm_lifetime_cfg& in);
xfrm_user_tmpl to_kernel(const PolicyTemplate& in);
PolicyTemplate from_kernel(const xfrm_user_tmpl& in);

// The attributes after a fixed header of `header_size` bytes, indexed by type (unknown types dropped).
XfrmAttributes parse_attributes(const nlmsghdr* message, size_t header_size);

// NEWSA/UPDSA body with every attribute the spec asks for.
Expected<Ok, KernelError> encode_sa(MessageBuffer& buffer, uint16_t type, const SaSpec& sa, bool send_direction,
                                    const ErrorContext& context);
// An SA from a NEWSA message (GETSA reply or dump entry).
SaInfo decode_sa(const xfrm_usersa_info& info, const XfrmAttributes& attributes);

Expected<Ok, KernelError> encode_policy(MessageBuffer& buffer, uint16_t type, const PolicySpec& policy,
                                        uint32_t priority, const ErrorContext& context);
PolicyInfo decode_policy(const xfrm_userpolicy_info& info, const XfrmAttributes& attributes);
std::vector<PolicyTemplate> decode_templates(const nlattr* attribute);
Mark decode_mark(const nlattr* attribute);

// XFRM_MSG_MIGRATE body: the policy id, every entry in one XFRMA_MIGRATE attribute (the kernel divides its
// length by sizeof(xfrm_user_migrate)), XFRMA_KMADDRESS and XFRMA_IF_ID when given.
Expected<Ok, KernelError> encode_migrate(MessageBuffer& buffer, const MigrateRequest& request,
                                         const ErrorContext& context);
// The MIGRATE multicast: the kernel sends one XFRMA_MIGRATE attribute per entry, so all are read.
MigrateEvent decode_migrate(const xfrm_userpolicy_id& id, const nlmsghdr* message);

// Kernel names of the algorithms in a spec, for error sentences.
std::string algorithm_names(const SaSpec& sa);
std::string_view protocol_name(IpsecProtocol protocol);

}  // namespace ipsecd::netlink
