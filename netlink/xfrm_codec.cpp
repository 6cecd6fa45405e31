// Encoding of SA and policy requests into XFRM netlink messages and decoding of the kernel's replies.
#include "netlink/xfrm_codec.h"

#include <arpa/inet.h>
#include <linux/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace ipsecd::netlink {
namespace {

// A kernel limit of XFRM_INF means "no limit"; 0 would expire at once for bytes and packets.
uint64_t limit_to_kernel(uint64_t v) { return v == 0 ? XFRM_INF : v; }
uint64_t limit_from_kernel(uint64_t v) { return v == XFRM_INF ? 0 : v; }

bool put_algorithm_name(char (&out)[64], const std::string& name) {
  if (name.size() >= sizeof out) return false;
  std::memcpy(out, name.c_str(), name.size() + 1);
  return true;
}

// Builds a struct-with-flexible-key attribute (xfrm_algo, xfrm_algo_auth, xfrm_algo_aead) in a scrubbed
// buffer: these carry keys.
template <typename Algo>
bool put_keyed(MessageBuffer& buffer, nlmsghdr* nlh, uint16_t type, Algo head, const SecretBytes& key) {
  SecretBytes attribute(sizeof(Algo) + key.size());
  std::memcpy(attribute.data(), &head, sizeof(Algo));
  std::memcpy(attribute.data() + sizeof(Algo), key.data(), key.size());
  Botan::secure_scrub_memory(&head, sizeof head);
  return buffer.put(nlh, type, attribute.data(), attribute.size());
}

int attribute_slot(const nlattr* attr, void* data) {
  auto* table = static_cast<XfrmAttributes*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type < table->size()) (*table)[type] = attr;
  return MNL_CB_OK;
}

template <typename T>
const T* attribute_as(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < sizeof(T)) return nullptr;
  return static_cast<const T*>(mnl_attr_get_payload(attr));
}

std::string algorithm_name_of(const nlattr* attr) {
  // Every xfrm_algo* struct begins with the 64-byte NUL-terminated name.
  if (attr == nullptr || mnl_attr_get_payload_len(attr) < 64) return {};
  const char* name = static_cast<const char*>(mnl_attr_get_payload(attr));
  return std::string(name, strnlen(name, 64));
}

// XFRM_MAX_DEPTH (net/xfrm.h, not in the uapi headers): templates per policy and entries per MIGRATE.
constexpr size_t kXfrmMaxDepth = 6;

bool is_ip_family(int family) { return family == AF_INET || family == AF_INET6; }

}  // namespace

void to_kernel(const IpAddress& in, xfrm_address_t& out) {
  std::memset(&out, 0, sizeof out);
  std::memcpy(&out, in.bytes.data(), in.family == AF_INET6 ? 16 : 4);
}

IpAddress from_kernel(const xfrm_address_t& in, int family) {
  IpAddress a;
  a.family = family;
  std::memcpy(a.bytes.data(), &in, family == AF_INET6 ? 16 : 4);
  return a;
}

xfrm_selector to_kernel(const Selector& in) {
  xfrm_selector s{};
  s.family = static_cast<uint16_t>(in.src.address.family != 0 ? in.src.address.family : in.dst.address.family);
  to_kernel(in.src.address, s.saddr);
  to_kernel(in.dst.address, s.daddr);
  s.prefixlen_s = in.src.length;
  s.prefixlen_d = in.dst.length;
  s.proto = in.protocol;
  s.sport = htons(in.src_port);
  s.sport_mask = in.src_port != 0 ? 0xffff : 0;
  s.dport = htons(in.dst_port);
  s.dport_mask = in.dst_port != 0 ? 0xffff : 0;
  return s;
}

Selector from_kernel(const xfrm_selector& in) {
  Selector s;
  s.src = {from_kernel(in.saddr, in.family), in.prefixlen_s};
  s.dst = {from_kernel(in.daddr, in.family), in.prefixlen_d};
  s.protocol = in.proto;
  s.src_port = in.sport_mask != 0 ? ntohs(in.sport) : 0;
  s.dst_port = in.dport_mask != 0 ? ntohs(in.dport) : 0;
  return s;
}

xfrm_lifetime_cfg to_kernel(const Lifetimes& in) {
  xfrm_lifetime_cfg l{};
  l.soft_byte_limit = limit_to_kernel(in.soft.bytes);
  l.hard_byte_limit = limit_to_kernel(in.hard.bytes);
  l.soft_packet_limit = limit_to_kernel(in.soft.packets);
  l.hard_packet_limit = limit_to_kernel(in.hard.packets);
  l.soft_add_expires_seconds = in.soft.add_seconds;
  l.hard_add_expires_seconds = in.hard.add_seconds;
  l.soft_use_expires_seconds = in.soft.use_seconds;
  l.hard_use_expires_seconds = in.hard.use_seconds;
  return l;
}

Lifetimes from_kernel(const xfrm_lifetime_cfg& in) {
  Lifetimes l;
  l.soft = {limit_from_kernel(in.soft_byte_limit), limit_from_kernel(in.soft_packet_limit),
            in.soft_add_expires_seconds, in.soft_use_expires_seconds};
  l.hard = {limit_from_kernel(in.hard_byte_limit), limit_from_kernel(in.hard_packet_limit),
            in.hard_add_expires_seconds, in.hard_use_expires_seconds};
  return l;
}

xfrm_user_tmpl to_kernel(const PolicyTemplate& in) {
  xfrm_user_tmpl t{};
  t.family = static_cast<uint16_t>(in.dst.family);
  to_kernel(in.dst, t.id.daddr);
  to_kernel(in.src, t.saddr);
  t.id.proto = static_cast<uint8_t>(in.protocol);
  t.reqid = in.reqid;
  t.mode = static_cast<uint8_t>(in.mode);
  t.optional = in.optional ? 1 : 0;
  // Any algorithm: the SA found by reqid decides.
  t.aalgos = ~0U;
  t.ealgos = ~0U;
  t.calgos = ~0U;
  return t;
}

PolicyTemplate from_kernel(const xfrm_user_tmpl& in) {
  PolicyTemplate t;
  t.protocol = static_cast<IpsecProtocol>(in.id.proto);
  t.mode = static_cast<IpsecMode>(in.mode);
  t.src = from_kernel(in.saddr, in.family);
  t.dst = from_kernel(in.id.daddr, in.family);
  // Transport templates carry no addresses: report them as unspecified, as they were given.
  if (t.mode == IpsecMode::Transport && t.src == IpAddress::any(in.family) && t.dst == IpAddress::any(in.family)) {
    t.src = {};
    t.dst = {};
  }
  t.reqid = in.reqid;
  t.optional = in.optional != 0;
  return t;
}

XfrmAttributes parse_attributes(const nlmsghdr* message, size_t header_size) {
  XfrmAttributes table{};
  if (mnl_nlmsg_get_payload_len(message) >= header_size) {
    mnl_attr_parse(message, static_cast<unsigned>(header_size), attribute_slot, &table);
  }
  return table;
}

std::string_view protocol_name(IpsecProtocol protocol) { return protocol == IpsecProtocol::Ah ? "AH" : "ESP"; }

std::string algorithm_names(const SaSpec& sa) {
  std::string names;
  auto add = [&](const std::string& n) { names += (names.empty() ? "" : ", ") + n; };
  if (sa.aead) add(sa.aead->name);
  if (sa.cipher) add(sa.cipher->name);
  if (sa.auth) add(sa.auth->name);
  return names;
}

Expected<Ok, KernelError> encode_sa(MessageBuffer& buffer, uint16_t type, const SaSpec& sa, bool send_direction,
                                    const ErrorContext& context) {
  auto fail = [&](std::string_view why) { return unexpected(local_error(context.operation, 0, why)); };
  if (sa.src.family != sa.dst.family || (sa.src.family != AF_INET && sa.src.family != AF_INET6)) {
    return fail("the SA's source and destination must both be IPv4 or both IPv6");
  }
  if (sa.protocol == IpsecProtocol::Ah && (sa.aead || sa.cipher || !sa.auth)) {
    return fail("an AH SA takes exactly one integrity algorithm");
  }
  if (sa.protocol == IpsecProtocol::Esp && !sa.aead && !sa.cipher) {
    return fail("an ESP SA needs an AEAD or a cipher");
  }
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = type;
  auto* info = static_cast<xfrm_usersa_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_usersa_info)));
  info->family = static_cast<uint16_t>(sa.dst.family);
  to_kernel(sa.dst, info->id.daddr);
  to_kernel(sa.src, info->saddr);
  info->id.spi = htonl(sa.spi);
  info->id.proto = static_cast<uint8_t>(sa.protocol);
  info->mode = static_cast<uint8_t>(sa.mode);
  info->reqid = sa.reqid;
  info->lft = to_kernel(sa.lifetimes);
  if (sa.selector) {
    info->sel = to_kernel(*sa.selector);
  } else {
    info->sel.family = static_cast<uint16_t>(sa.dst.family);
  }

  bool fits = true;
  if (sa.esn || sa.replay_window > 32) {
    // RFC 4303 §2.2.1 ESN, or a window beyond the legacy 32-bit bitmap: the ESN replay state carries it.
    // The kernel refuses ESN with a window of 0 (xfrm_init_replay), outbound SAs included: use 1 there.
    if (sa.esn) info->flags |= XFRM_STATE_ESN;
    const uint32_t window = sa.esn ? std::max<uint32_t>(sa.replay_window, 1) : sa.replay_window;
    const uint32_t words = (window + 31) / 32;
    std::vector<uint8_t> esn(sizeof(xfrm_replay_state_esn) + words * sizeof(uint32_t));
    xfrm_replay_state_esn head{};
    head.bmp_len = words;
    head.replay_window = window;
    std::memcpy(esn.data(), &head, sizeof head);
    fits &= buffer.put(nlh, XFRMA_REPLAY_ESN_VAL, esn.data(), esn.size());
  } else {
    info->replay_window = static_cast<uint8_t>(sa.replay_window);
  }
  if (sa.aead) {
    xfrm_algo_aead a{};
    if (!put_algorithm_name(a.alg_name, sa.aead->name)) return fail("algorithm name too long");
    a.alg_key_len = static_cast<unsigned>(sa.aead->key.size() * 8);
    a.alg_icv_len = sa.aead->icv_bits;
    fits &= put_keyed(buffer, nlh, XFRMA_ALG_AEAD, a, sa.aead->key);
  }
  if (sa.cipher) {
    xfrm_algo a{};
    if (!put_algorithm_name(a.alg_name, sa.cipher->name)) return fail("algorithm name too long");
    a.alg_key_len = static_cast<unsigned>(sa.cipher->key.size() * 8);
    fits &= put_keyed(buffer, nlh, XFRMA_ALG_CRYPT, a, sa.cipher->key);
  }
  if (sa.auth) {
    xfrm_algo_auth a{};
    if (!put_algorithm_name(a.alg_name, sa.auth->name)) return fail("algorithm name too long");
    a.alg_key_len = static_cast<unsigned>(sa.auth->key.size() * 8);
    a.alg_trunc_len = sa.auth->truncation_bits;
    fits &= put_keyed(buffer, nlh, XFRMA_ALG_AUTH_TRUNC, a, sa.auth->key);
  }
  if (sa.encapsulation) {
    xfrm_encap_tmpl e{};
    e.encap_type = UDP_ENCAP_ESPINUDP;
    e.encap_sport = htons(sa.encapsulation->src_port);
    e.encap_dport = htons(sa.encapsulation->dst_port);
    fits &= buffer.put(nlh, XFRMA_ENCAP, &e, sizeof e);
  }
  if (sa.mark.mask != 0) {
    xfrm_mark m{sa.mark.value, sa.mark.mask};
    fits &= buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
  if (sa.if_id != 0) fits &= buffer.put(nlh, XFRMA_IF_ID, &sa.if_id, sizeof sa.if_id);
  if (sa.direction && send_direction) {
    const auto dir = static_cast<uint8_t>(*sa.direction);
    fits &= buffer.put(nlh, kXfrmaSaDir, &dir, sizeof dir);
  }
  if (!fits) {
    buffer.scrub();
    return fail("the SA does not fit in a netlink message (keys too long?)");
  }
  return Ok{};
}

SaInfo decode_sa(const xfrm_usersa_info& info, const XfrmAttributes& attributes) {
  SaInfo sa;
  sa.id.dst = from_kernel(info.id.daddr, info.family);
  sa.id.src = from_kernel(info.saddr, info.family);
  sa.id.spi = ntohl(info.id.spi);
  sa.id.protocol = static_cast<IpsecProtocol>(info.id.proto);
  sa.id.mark = decode_mark(attributes[XFRMA_MARK]);
  sa.mode = static_cast<IpsecMode>(info.mode);
  sa.reqid = info.reqid;
  sa.selector = from_kernel(info.sel);
  sa.lifetimes = from_kernel(info.lft);
  sa.counters = {info.curlft.bytes, info.curlft.packets, info.curlft.add_time, info.curlft.use_time};
  sa.replay_window = info.replay_window;
  sa.esn = (info.flags & XFRM_STATE_ESN) != 0;
  if (const auto* esn = attribute_as<xfrm_replay_state_esn>(attributes[XFRMA_REPLAY_ESN_VAL])) {
    sa.replay_window = esn->replay_window;
  }
  for (const auto type : {XFRMA_ALG_AEAD, XFRMA_ALG_CRYPT, XFRMA_ALG_AUTH_TRUNC}) {
    if (auto name = algorithm_name_of(attributes[type]); !name.empty()) sa.algorithms.push_back(std::move(name));
  }
  if (attributes[XFRMA_ALG_AUTH_TRUNC] == nullptr) {
    if (auto name = algorithm_name_of(attributes[XFRMA_ALG_AUTH]); !name.empty()) sa.algorithms.push_back(std::move(name));
  }
  if (const auto* e = attribute_as<xfrm_encap_tmpl>(attributes[XFRMA_ENCAP])) {
    sa.encapsulation = UdpEncapsulation{ntohs(e->encap_sport), ntohs(e->encap_dport)};
  }
  if (const auto* id = attribute_as<uint32_t>(attributes[XFRMA_IF_ID])) sa.if_id = *id;
  if (const auto* dir = attribute_as<uint8_t>(attributes[kXfrmaSaDir])) sa.direction = static_cast<SaDirection>(*dir);
  return sa;
}

Expected<Ok, KernelError> encode_policy(MessageBuffer& buffer, uint16_t type, const PolicySpec& policy,
                                        uint32_t priority, const ErrorContext& context) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = type;
  auto* info = static_cast<xfrm_userpolicy_info*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_info)));
  info->sel = to_kernel(policy.selector);
  info->lft = to_kernel(Lifetimes{});
  info->priority = priority;
  info->dir = static_cast<uint8_t>(policy.direction);
  info->action = policy.action == PolicyAction::Allow ? XFRM_POLICY_ALLOW : XFRM_POLICY_BLOCK;
  bool fits = true;
  if (!policy.templates.empty()) {
    std::vector<xfrm_user_tmpl> templates;
    for (const auto& t : policy.templates) {
      templates.push_back(to_kernel(t));
      // Transport templates take the flow's addresses; the family still has to be the selector's.
      if (templates.back().family == 0) templates.back().family = info->sel.family;
    }
    fits &= buffer.put(nlh, XFRMA_TMPL, templates.data(), templates.size() * sizeof(xfrm_user_tmpl));
  }
  if (policy.mark.mask != 0) {
    xfrm_mark m{policy.mark.value, policy.mark.mask};
    fits &= buffer.put(nlh, XFRMA_MARK, &m, sizeof m);
  }
  if (policy.if_id != 0) fits &= buffer.put(nlh, XFRMA_IF_ID, &policy.if_id, sizeof policy.if_id);
  if (!fits) return unexpected(local_error(context.operation, 0, "the policy does not fit in a netlink message"));
  return Ok{};
}

std::vector<PolicyTemplate> decode_templates(const nlattr* attribute) {
  std::vector<PolicyTemplate> out;
  if (attribute == nullptr) return out;
  const auto count = mnl_attr_get_payload_len(attribute) / sizeof(xfrm_user_tmpl);
  const auto* raw = static_cast<const uint8_t*>(mnl_attr_get_payload(attribute));
  for (size_t i = 0; i < count; ++i) {
    xfrm_user_tmpl t;
    std::memcpy(&t, raw + i * sizeof t, sizeof t);
    out.push_back(from_kernel(t));
  }
  return out;
}

Mark decode_mark(const nlattr* attribute) {
  if (const auto* m = attribute_as<xfrm_mark>(attribute)) return {m->v, m->m};
  return {};
}

PolicyInfo decode_policy(const xfrm_userpolicy_info& info, const XfrmAttributes& attributes) {
  PolicyInfo p;
  p.selector = from_kernel(info.sel);
  p.direction = static_cast<PolicyDirection>(info.dir);
  p.action = info.action == XFRM_POLICY_ALLOW ? PolicyAction::Allow : PolicyAction::Block;
  p.priority = info.priority;
  p.index = info.index;
  p.templates = decode_templates(attributes[XFRMA_TMPL]);
  p.mark = decode_mark(attributes[XFRMA_MARK]);
  if (const auto* id = attribute_as<uint32_t>(attributes[XFRMA_IF_ID])) p.if_id = *id;
  return p;
}

Expected<Ok, KernelError> encode_migrate(MessageBuffer& buffer, const MigrateRequest& request,
                                         const ErrorContext& context) {
  auto fail = [&](std::string_view why) { return unexpected(local_error(context.operation, 0, why)); };
  if (request.entries.empty() || request.entries.size() > kXfrmMaxDepth) {
    return fail("a migration moves 1 to 6 templates (XFRM_MAX_DEPTH)");
  }
  std::vector<xfrm_user_migrate> entries;
  for (const auto& e : request.entries) {
    if (!is_ip_family(e.old_src.family) || e.old_src.family != e.old_dst.family || !is_ip_family(e.new_src.family) ||
        e.new_src.family != e.new_dst.family) {
      return fail("each migrated template needs old and new source and destination, each pair of one family");
    }
    xfrm_user_migrate u{};
    to_kernel(e.old_dst, u.old_daddr);
    to_kernel(e.old_src, u.old_saddr);
    to_kernel(e.new_dst, u.new_daddr);
    to_kernel(e.new_src, u.new_saddr);
    u.proto = static_cast<uint8_t>(e.protocol);
    u.mode = static_cast<uint8_t>(e.mode);
    u.reqid = e.reqid;
    u.old_family = static_cast<uint16_t>(e.old_dst.family);
    u.new_family = static_cast<uint16_t>(e.new_dst.family);
    entries.push_back(u);
  }
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.header());
  nlh->nlmsg_type = XFRM_MSG_MIGRATE;
  auto* id = static_cast<xfrm_userpolicy_id*>(mnl_nlmsg_put_extra_header(nlh, sizeof(xfrm_userpolicy_id)));
  id->sel = to_kernel(request.selector);
  id->dir = static_cast<uint8_t>(request.direction);
  bool fits = buffer.put(nlh, XFRMA_MIGRATE, entries.data(), entries.size() * sizeof(xfrm_user_migrate));
  if (request.km_address) {
    const auto& k = *request.km_address;
    if (!is_ip_family(k.local.family) || k.local.family != k.remote.family) {
      return fail("the key managers' addresses must both be IPv4 or both IPv6");
    }
    xfrm_user_kmaddress km{};
    to_kernel(k.local, km.local);
    to_kernel(k.remote, km.remote);
    km.family = static_cast<uint16_t>(k.local.family);
    fits &= buffer.put(nlh, XFRMA_KMADDRESS, &km, sizeof km);
  }
  if (request.if_id != 0) fits &= buffer.put(nlh, XFRMA_IF_ID, &request.if_id, sizeof request.if_id);
  if (!fits) return fail("the migration does not fit in a netlink message");
  return Ok{};
}

MigrateEvent decode_migrate(const xfrm_userpolicy_id& id, const nlmsghdr* message) {
  MigrateEvent e;
  e.selector = from_kernel(id.sel);
  e.direction = static_cast<PolicyDirection>(id.dir);
  if (mnl_nlmsg_get_payload_len(message) < sizeof(xfrm_userpolicy_id)) return e;
  // Not parse_attributes: its table keeps only the last attribute of each type.
  auto each = [](const nlattr* attr, void* data) {
    auto& event = *static_cast<MigrateEvent*>(data);
    const auto type = mnl_attr_get_type(attr);
    if (type == XFRMA_MIGRATE) {
      // Whole entries only: one per attribute from the kernel, several in a request-style array.
      const auto count = mnl_attr_get_payload_len(attr) / sizeof(xfrm_user_migrate);
      const auto* raw = static_cast<const uint8_t*>(mnl_attr_get_payload(attr));
      for (size_t i = 0; i < count; ++i) {
        xfrm_user_migrate u;
        std::memcpy(&u, raw + i * sizeof u, sizeof u);
        event.entries.push_back({from_kernel(u.old_saddr, u.old_family), from_kernel(u.old_daddr, u.old_family),
                                 from_kernel(u.new_saddr, u.new_family), from_kernel(u.new_daddr, u.new_family),
                                 static_cast<IpsecProtocol>(u.proto), static_cast<IpsecMode>(u.mode), u.reqid});
      }
    } else if (const auto* k = type == XFRMA_KMADDRESS ? attribute_as<xfrm_user_kmaddress>(attr) : nullptr) {
      event.km_address = KmAddress{from_kernel(k->local, k->family), from_kernel(k->remote, k->family)};
    }
    return MNL_CB_OK;
  };
  mnl_attr_parse(message, sizeof(xfrm_userpolicy_id), each, &e);
  return e;
}

}  // namespace ipsecd::netlink
