// XFRM requests over one libmnl socket: each operation encodes, sends, waits for the ACK or reply.
#include "netlink/xfrm.h"

#include "netlink/policy_priority.h"
#include "netlink/xfrm_codec.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace ipsecd::netlink {
namespace {

Unexpected<KernelError> not_owned(std::string_view operation, uint32_t reqid, const ReqidRange& owned) {
  return unexpected(local_error(
      operation, 0,
      fmt::format("reqid {:#x} lies outside ipsecd's range {:#x}-{:#x}; entries outside it are not ipsecd's "
                  "and flush_own would not remove them",
                  reqid, owned.first, owned.last)));
}

void put_sa_id(MessageBuffer& buffer, uint16_t type, const SaId& id) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = type;
  auto* sid = static_cast<xfrm_usersa_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_usersa_id)));
  to_kernel(id.dst, sid->daddr);
  sid->spi = htonl(id.spi);
  sid->family = static_cast<uint16_t>(id.dst.family);
  sid->proto = static_cast<uint8_t>(id.protocol);
  if (id.src.family != 0) {
    xfrm_address_t src{};
    to_kernel(id.src, src);
    buffer.put(nlh, XFRMA_SRCADDR, &src, sizeof src);
  }
  if (id.mark.mask != 0) {
    xfrm_mark m{id.mark.value, id.mark.mask};
    buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
}

// The id part of DELPOLICY and GETPOLICY: the kernel finds a policy by selector, direction, mark and if_id.
void put_policy_id(MessageBuffer& buffer, uint16_t type, const Selector& selector, PolicyDirection direction,
                   Mark mark, uint32_t if_id) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = type;
  auto* id = static_cast<xfrm_userpolicy_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_id)));
  id->sel = to_kernel(selector);
  id->dir = static_cast<uint8_t>(direction);
  if (mark.mask != 0) {
    xfrm_mark m{mark.value, mark.mask};
    buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
  if (if_id != 0) buffer.put(nlh, XFRMA_IF_ID, &if_id, sizeof if_id);
}

std::string_view direction_name(PolicyDirection direction) {
  switch (direction) {
    case PolicyDirection::In: return "in";
    case PolicyDirection::Out: return "out";
    case PolicyDirection::Fwd: return "fwd";
  }
  return "?";
}

std::string describe(const SaId& id) {
  return fmt::format("{} SA {:#x} {} -> {}", protocol_name(id.protocol), id.spi, id.src.to_string(),
                     id.dst.to_string());
}

// The policy in a XFRM_MSG_NEWPOLICY answer (to a get or a dump); nothing for any other message.
std::optional<PolicyInfo> policy_from(const nlmsghdr* reply) {
  if (reply->nlmsg_type != XFRM_MSG_NEWPOLICY || mnl_nlmsg_get_payload_len(reply) < sizeof(xfrm_userpolicy_info)) {
    return std::nullopt;
  }
  const auto* info = static_cast<const xfrm_userpolicy_info*>(mnl_nlmsg_get_payload(reply));
  return decode_policy(*info, parse_attributes(reply, sizeof(xfrm_userpolicy_info)));
}

}  // namespace

Expected<Xfrm, KernelError> Xfrm::open(ReqidRange owned) {
  auto socket = NlSocket::open(NETLINK_XFRM);
  if (!socket) return unexpected(socket.error());
  Xfrm xfrm(std::move(*socket), owned);
  xfrm.sa_direction_ = xfrm.probe_sa_direction();
  return xfrm;
}

// A GETSA carrying XFRMA_SA_DIR: kernels that know the attribute refuse it on GETSA (EINVAL), older ones
// ignore an attribute beyond their XFRMA_MAX and answer ESRCH for the SA that does not exist. No state
// is created either way.
bool Xfrm::probe_sa_direction() {
  MessageBuffer buffer;
  put_sa_id(buffer, XFRM_MSG_GETSA, SaId{{}, IpAddress::any(AF_INET), 0, IpsecProtocol::Esp, {}});
  const uint8_t dir = static_cast<uint8_t>(SaDirection::In);
  buffer.put(buffer.header(), kXfrmaSaDir, &dir, sizeof dir);
  auto r = socket_.request(buffer, false, {"probe SA direction", "", ""}, {});
  return !r && r.error().error_number == EINVAL;
}

Expected<uint32_t, KernelError> Xfrm::allocate_spi(const SpiRequest& request) {
  const std::string_view operation = "allocate SPI";
  if (!owned_.contains(request.reqid)) return not_owned(operation, request.reqid, owned_);
  MessageBuffer buffer;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = XFRM_MSG_ALLOCSPI;
  auto* spi = static_cast<xfrm_userspi_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userspi_info)));
  spi->info.family = static_cast<uint16_t>(request.dst.family);
  spi->info.sel.family = spi->info.family;
  to_kernel(request.dst, spi->info.id.daddr);
  to_kernel(request.src, spi->info.saddr);
  spi->info.id.proto = static_cast<uint8_t>(request.protocol);
  spi->info.mode = static_cast<uint8_t>(request.mode);
  spi->info.reqid = request.reqid;
  spi->info.seq = request.acquire_sequence;
  spi->min = request.min;
  spi->max = request.max;
  if (request.mark.mask != 0) {
    xfrm_mark m{request.mark.value, request.mark.mask};
    buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
  if (request.if_id != 0) buffer.put(nlh, XFRMA_IF_ID, &request.if_id, sizeof request.if_id);
  uint32_t allocated = 0;
  bool answered = false;
  auto r = socket_.request(buffer, false, {operation, protocol_name(request.protocol), ""},
                           [&](const nlmsghdr* reply) {
                             if (reply->nlmsg_type != XFRM_MSG_NEWSA ||
                                 mnl_nlmsg_get_payload_len(reply) < sizeof(xfrm_usersa_info)) {
                               return;
                             }
                             const auto* info = static_cast<const xfrm_usersa_info*>(mnl_nlmsg_get_payload(reply));
                             allocated = ntohl(info->id.spi);
                             answered = true;
                           });
  if (!r) return unexpected(r.error());
  if (!answered) return unexpected(local_error(operation, EBADMSG, "the kernel answered without an SPI"));
  return allocated;
}

Expected<Ok, KernelError> Xfrm::write_sa(uint16_t type, const SaSpec& sa, std::string_view operation) {
  if (!owned_.contains(sa.reqid)) return not_owned(operation, sa.reqid, owned_);
  const std::string algorithms = algorithm_names(sa);
  const ErrorContext context{operation, protocol_name(sa.protocol), algorithms};
  MessageBuffer buffer;
  auto encoded = encode_sa(buffer, type, sa, sa_direction_, context);
  if (!encoded) return encoded;
  return socket_.request(buffer, false, context, {});
}

Expected<Ok, KernelError> Xfrm::add_sa(const SaSpec& sa) { return write_sa(XFRM_MSG_NEWSA, sa, "add SA"); }

Expected<Ok, KernelError> Xfrm::update_sa(const SaSpec& sa) { return write_sa(XFRM_MSG_UPDSA, sa, "update SA"); }

Expected<Ok, KernelError> Xfrm::delete_sa(const SaId& id) {
  MessageBuffer buffer;
  put_sa_id(buffer, XFRM_MSG_DELSA, id);
  const std::string operation = "delete " + describe(id);
  return socket_.request(buffer, false, {operation, protocol_name(id.protocol), ""}, {});
}

Expected<SaInfo, KernelError> Xfrm::get_sa(const SaId& id) {
  MessageBuffer buffer;
  put_sa_id(buffer, XFRM_MSG_GETSA, id);
  std::optional<SaInfo> found;
  const std::string operation = "get " + describe(id);
  auto r = socket_.request(buffer, false, {operation, protocol_name(id.protocol), ""}, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != XFRM_MSG_NEWSA || mnl_nlmsg_get_payload_len(reply) < sizeof(xfrm_usersa_info)) return;
    const auto* info = static_cast<const xfrm_usersa_info*>(mnl_nlmsg_get_payload(reply));
    found = decode_sa(*info, parse_attributes(reply, sizeof(xfrm_usersa_info)));
  });
  if (!r) return unexpected(r.error());
  if (!found) return unexpected(local_error(operation, EBADMSG, "the kernel answered without the SA"));
  return std::move(*found);
}

Expected<std::vector<SaInfo>, KernelError> Xfrm::dump_sas() {
  MessageBuffer buffer;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = XFRM_MSG_GETSA;
  std::vector<SaInfo> out;
  auto r = socket_.request(buffer, true, {"dump SAs", "", ""}, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type != XFRM_MSG_NEWSA || mnl_nlmsg_get_payload_len(reply) < sizeof(xfrm_usersa_info)) return;
    const auto* info = static_cast<const xfrm_usersa_info*>(mnl_nlmsg_get_payload(reply));
    out.push_back(decode_sa(*info, parse_attributes(reply, sizeof(xfrm_usersa_info))));
  });
  if (!r) return unexpected(r.error());
  return out;
}

Expected<Ok, KernelError> Xfrm::write_policy(uint16_t type, const PolicySpec& policy, std::string_view operation) {
  if (policy.templates.empty()) {
    return unexpected(local_error(operation, 0,
                                  "a policy without templates carries no reqid, so it would not be recognisable "
                                  "as ipsecd's: give it a template (a trap policy is one without SAs)"));
  }
  for (const auto& t : policy.templates) {
    if (!owned_.contains(t.reqid)) return not_owned(operation, t.reqid, owned_);
  }
  MessageBuffer buffer;
  const ErrorContext context{operation, "", ""};
  auto encoded = encode_policy(buffer, type, policy, policy.priority.value_or(policy_priority(policy.selector)), context);
  if (!encoded) return encoded;
  return socket_.request(buffer, false, context, {});
}

Expected<Ok, KernelError> Xfrm::add_policy(const PolicySpec& policy) {
  return write_policy(XFRM_MSG_NEWPOLICY, policy, "add policy");
}

Expected<Ok, KernelError> Xfrm::update_policy(const PolicySpec& policy) {
  return write_policy(XFRM_MSG_UPDPOLICY, policy, "update policy");
}

Expected<Ok, KernelError> Xfrm::delete_policy(const Selector& selector, PolicyDirection direction, Mark mark,
                                              uint32_t if_id) {
  MessageBuffer buffer;
  put_policy_id(buffer, XFRM_MSG_DELPOLICY, selector, direction, mark, if_id);
  const std::string operation = fmt::format("delete policy {} -> {}", selector.src.to_string(), selector.dst.to_string());
  return socket_.request(buffer, false, {operation, "", ""}, {});
}

Expected<Ok, KernelError> Xfrm::delete_policy_by_index(const PolicyInfo& policy) {
  MessageBuffer buffer;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = XFRM_MSG_DELPOLICY;
  auto* id = static_cast<xfrm_userpolicy_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_id)));
  id->index = policy.index;
  id->dir = static_cast<uint8_t>(policy.direction);
  if (policy.mark.mask != 0) {
    xfrm_mark m{policy.mark.value, policy.mark.mask};
    buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
  if (policy.if_id != 0) buffer.put(nlh, XFRMA_IF_ID, &policy.if_id, sizeof policy.if_id);
  return socket_.request(buffer, false, {"delete policy by index", "", ""}, {});
}

Expected<PolicyInfo, KernelError> Xfrm::get_policy(const Selector& selector, PolicyDirection direction, Mark mark,
                                                   uint32_t if_id) {
  MessageBuffer buffer;
  put_policy_id(buffer, XFRM_MSG_GETPOLICY, selector, direction, mark, if_id);
  const std::string operation = fmt::format("get {} policy {} -> {}", direction_name(direction),
                                            selector.src.to_string(), selector.dst.to_string());
  std::optional<PolicyInfo> found;
  auto r = socket_.request(buffer, false, {operation, "", ""}, [&](const nlmsghdr* reply) {
    if (auto policy = policy_from(reply)) found = std::move(*policy);
  });
  if (!r) return unexpected(r.error());
  if (!found) return unexpected(local_error(operation, EBADMSG, "the kernel answered without the policy"));
  return std::move(*found);
}

Expected<std::vector<PolicyInfo>, KernelError> Xfrm::dump_policies() {
  MessageBuffer buffer;
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = XFRM_MSG_GETPOLICY;
  std::vector<PolicyInfo> out;
  auto r = socket_.request(buffer, true, {"dump policies", "", ""}, [&](const nlmsghdr* reply) {
    if (auto policy = policy_from(reply)) out.push_back(std::move(*policy));
  });
  if (!r) return unexpected(r.error());
  return out;
}

Expected<Ok, KernelError> Xfrm::migrate(const MigrateRequest& request) {
  const std::string operation = fmt::format("migrate {} policy {} -> {}", direction_name(request.direction),
                                            request.selector.src.to_string(), request.selector.dst.to_string());
  // reqid 0 would be the kernel's wildcard and could move SAs of other key managers.
  for (const auto& e : request.entries) {
    if (!owned_.contains(e.reqid)) return not_owned(operation, e.reqid, owned_);
  }
  MessageBuffer buffer;
  const ErrorContext context{operation, "", ""};
  auto encoded = encode_migrate(buffer, request, context);
  if (!encoded) return encoded;
  return socket_.request(buffer, false, context, {});
}

Expected<FlushResult, KernelError> Xfrm::flush_own() {
  FlushResult result;
  // Dump first, then delete: a dump cannot share the socket with other requests while it runs.
  auto policies = dump_policies();
  if (!policies) return unexpected(policies.error());
  for (const auto& p : *policies) {
    bool ours = false;
    for (const auto& t : p.templates) ours |= owned_.contains(t.reqid);
    if (!ours) continue;
    auto r = delete_policy_by_index(p);
    // ENOENT: gone meanwhile (expired); nothing left to do for it.
    if (!r && r.error().error_number != ENOENT) return unexpected(r.error());
    if (r) ++result.policies;
  }
  auto sas = dump_sas();
  if (!sas) return unexpected(sas.error());
  for (const auto& sa : *sas) {
    if (!owned_.contains(sa.reqid)) continue;
    auto r = delete_sa(sa.id);
    if (!r && r.error().error_number != ESRCH) return unexpected(r.error());
    if (r) ++result.sas;
  }
  return result;
}

}  // namespace ipsecd::netlink
