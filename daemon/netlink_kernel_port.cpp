// Maps the engine's kernel requests (IANA transform IDs, IKE selector ranges) onto netlink::Xfrm calls.
#include "daemon/netlink_kernel_port.h"

#include "daemon/kernel_selectors.h"
#include "netlink/kernel_algorithms.h"
#include "netlink/policy_priority.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

namespace ipsecd::daemon {

namespace {

ikev2::KernelError from_netlink(netlink::KernelError error) {
  return {error.error_number, std::move(error.message)};
}

ikev2::KernelError invalid(std::string operation, const std::string& sentence) {
  return {EINVAL, operation + ": " + sentence};
}

Expected<netlink::IpsecProtocol, ikev2::KernelError> protocol_of(iana::SecurityProtocolId id,
                                                                 const char* operation) {
  switch (id) {
    case iana::SecurityProtocolId::ESP:
      return netlink::IpsecProtocol::Esp;
    case iana::SecurityProtocolId::AH:
      return netlink::IpsecProtocol::Ah;
    default:
      return unexpected(invalid(operation, fmt::format("security protocol {} is neither ESP nor AH",
                                                       static_cast<int>(id))));
  }
}

netlink::IpsecMode mode_of(ikev2::IpsecMode mode) {
  return mode == ikev2::IpsecMode::tunnel ? netlink::IpsecMode::Tunnel : netlink::IpsecMode::Transport;
}

netlink::PolicyDirection direction_of(ikev2::PolicyDirection direction) {
  switch (direction) {
    case ikev2::PolicyDirection::in:
      return netlink::PolicyDirection::In;
    case ikev2::PolicyDirection::fwd:
      return netlink::PolicyDirection::Fwd;
    case ikev2::PolicyDirection::out:
      break;
  }
  return netlink::PolicyDirection::Out;
}

std::tuple<std::string, uint32_t, uint8_t> larval_key(const IpAddress& dst, uint32_t spi,
                                                      netlink::IpsecProtocol protocol) {
  return {dst.to_string(), spi, static_cast<uint8_t>(protocol)};
}

}  // namespace

Expected<NetlinkKernelPort, ikev2::KernelError> NetlinkKernelPort::open() {
  auto xfrm = netlink::Xfrm::open(netlink::kIpsecdReqids);
  if (!xfrm) return unexpected(from_netlink(xfrm.error()));
  auto routes = netlink::Routes::open();
  if (!routes) return unexpected(from_netlink(routes.error()));
  return NetlinkKernelPort(std::move(*xfrm), std::move(*routes));
}

Expected<IpAddress, ikev2::KernelError> NetlinkKernelPort::source_address_for(const IpAddress& remote) {
  auto route = routes_.route_to(remote);
  if (!route) return unexpected(from_netlink(route.error()));
  return route->source;
}

ikev2::EngineSettings NetlinkKernelPort::engine_settings(ikev2::EngineSettings settings) const {
  // The engine counts reqids up from first_reqid; start at the bottom of our range (0 is the kernel's
  // wildcard, so never the first value itself when the range starts at 0).
  if (!xfrm_.owned_reqids().contains(settings.first_reqid)) {
    settings.first_reqid = std::max<uint32_t>(xfrm_.owned_reqids().first, 1);
  }
  return settings;
}

Expected<uint32_t, ikev2::KernelError> NetlinkKernelPort::allocate_spi(const ikev2::SpiRequest& request) {
  auto protocol = protocol_of(request.protocol, "allocate SPI");
  if (!protocol) return unexpected(protocol.error());
  netlink::SpiRequest spi_request;
  spi_request.src = request.src;
  spi_request.dst = request.dst;
  spi_request.protocol = *protocol;
  // The larval SA's mode is replaced by the update that fills it; tunnel is what the engine uses most.
  spi_request.mode = netlink::IpsecMode::Tunnel;
  spi_request.reqid = request.reqid;
  auto spi = xfrm_.allocate_spi(spi_request);
  if (!spi) return unexpected(from_netlink(spi.error()));
  larval_.insert(larval_key(request.dst, *spi, *protocol));
  return *spi;
}

namespace {

// The netlink form of `sa`, keys included; `operation` names the call in errors.
Expected<netlink::SaSpec, ikev2::KernelError> spec_of(const ikev2::KernelSa& sa, const char* operation) {
  auto protocol = protocol_of(sa.id.protocol, operation);
  if (!protocol) return unexpected(protocol.error());
  netlink::SaSpec spec;
  spec.src = sa.id.src;
  spec.dst = sa.id.dst;
  spec.spi = sa.id.spi;
  spec.protocol = *protocol;
  spec.mode = mode_of(sa.mode);
  spec.reqid = sa.reqid;
  spec.esn = sa.esn;
  // Outbound SAs keep no replay state (RFC 4303 §3.4.3 is the receiver's job).
  spec.replay_window = sa.inbound ? 32 : 0;
  spec.direction = sa.inbound ? netlink::SaDirection::In : netlink::SaDirection::Out;
  spec.lifetimes.soft.add_seconds = sa.lifetime.soft_seconds;
  spec.lifetimes.hard.add_seconds = sa.lifetime.hard_seconds;
  spec.lifetimes.soft.bytes = sa.lifetime.soft_bytes;
  spec.lifetimes.hard.bytes = sa.lifetime.hard_bytes;
  // UDP_ENCAP_ESPINUDP with the IKE SA's ports; no original address (NAT-OA): see ikev2::UdpEncapsulation.
  if (sa.encapsulation) {
    spec.encapsulation = netlink::UdpEncapsulation{sa.encapsulation->src_port, sa.encapsulation->dst_port};
  }

  netlink::SecretBytes encryption_key(sa.encryption_key.begin(), sa.encryption_key.end());
  netlink::SecretBytes integrity_key(sa.integrity_key.begin(), sa.integrity_key.end());
  auto algorithms = *protocol == netlink::IpsecProtocol::Esp
                        ? netlink::set_esp_algorithms(spec, sa.encryption, std::move(encryption_key),
                                                      sa.integrity, std::move(integrity_key))
                        : netlink::set_ah_algorithm(spec, sa.integrity, std::move(integrity_key));
  if (!algorithms) {
    return unexpected(invalid(fmt::format("{} {:#010x}", operation, sa.id.spi), algorithms.error()));
  }
  return spec;
}

}  // namespace

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::add_sa(const ikev2::KernelSa& sa) {
  auto spec = spec_of(sa, "add SA");
  if (!spec) return unexpected(spec.error());
  const auto key = larval_key(sa.id.dst, sa.id.spi, spec->protocol);
  const bool larval = sa.inbound && larval_.contains(key);
  auto written = larval ? xfrm_.update_sa(*spec) : xfrm_.add_sa(*spec);
  if (!written) return unexpected(from_netlink(written.error()));
  if (larval) larval_.erase(key);
  return Ok{};
}

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::update_sa(const ikev2::KernelSaId& old_id,
                                                               const ikev2::KernelSa& sa) {
  auto spec = spec_of(sa, "update SA");
  if (!spec) return unexpected(spec.error());
  if (old_id.dst == sa.id.dst && old_id.spi == sa.id.spi && old_id.protocol == sa.id.protocol) {
    // The same kernel SA (found by destination, SPI and protocol): XFRM_MSG_UPDSA on a valid SA takes the
    // new encapsulation ports and keeps keys, counters and replay state. Its source address stays as it
    // was; the kernel does not look at it for inbound ESP.
    auto written = xfrm_.update_sa(*spec);
    if (!written) return unexpected(from_netlink(written.error()));
    return Ok{};
  }
  // A new destination is another kernel SA: make it before breaking the old one, so outbound traffic
  // always finds one (the policies' templates are moved by the engine right after).
  auto added = xfrm_.add_sa(*spec);
  if (!added) return unexpected(from_netlink(added.error()));
  return delete_sa(old_id);
}

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::delete_sa(const ikev2::KernelSaId& id) {
  auto protocol = protocol_of(id.protocol, "delete SA");
  if (!protocol) return unexpected(protocol.error());
  larval_.erase(larval_key(id.dst, id.spi, *protocol));
  netlink::SaId sa_id;
  sa_id.src = id.src;
  sa_id.dst = id.dst;
  sa_id.spi = id.spi;
  sa_id.protocol = *protocol;
  auto deleted = xfrm_.delete_sa(sa_id);
  if (!deleted) return unexpected(from_netlink(deleted.error()));
  return Ok{};
}

namespace {

// The XFRM policies standing for one engine policy: one per prefix piece of its selectors
// (kernel_selectors.h), all with the same templates. `verb` names the request in errors ("add policy").
Expected<std::vector<netlink::PolicySpec>, ikev2::KernelError> policy_specs(const ikev2::KernelPolicy& policy,
                                                                          const char* verb) {
  const auto operation = fmt::format("{} {} -> {}", verb, ikev2::format_selector(policy.src),
                                     ikev2::format_selector(policy.dst));
  auto protocol = protocol_of(policy.protocol, verb);
  if (!protocol) return unexpected(protocol.error());
  // The bundles the kernel templates express are ESP, AH and ESP inside AH (RFC 4301 §4.5).
  const bool esp_ah = *protocol == netlink::IpsecProtocol::Esp &&
                      policy.outer_protocols == std::vector{iana::SecurityProtocolId::AH};
  if (!policy.outer_protocols.empty() && !esp_ah) {
    return unexpected(invalid(operation, "the only bundle supported is ESP inside AH"));
  }
  auto selectors = xfrm_selectors(policy.src, policy.dst);
  if (!selectors) return unexpected(invalid(operation, selectors.error()));

  const auto templates = netlink::bundle_templates(
      *protocol == netlink::IpsecProtocol::Esp, esp_ah || *protocol == netlink::IpsecProtocol::Ah,
      mode_of(policy.mode), policy.tunnel_src, policy.tunnel_dst, policy.reqid);
  std::vector<netlink::PolicySpec> specs;
  for (const auto& selector : *selectors) {
    netlink::PolicySpec spec;
    spec.selector = selector;
    spec.direction = direction_of(policy.direction);
    spec.templates = templates;
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::add_policy(const ikev2::KernelPolicy& policy) {
  auto specs = policy_specs(policy, "add policy");
  if (!specs) return unexpected(specs.error());
  for (size_t i = 0; i < specs->size(); ++i) {
    auto added = xfrm_.add_policy((*specs)[i]);
    if (!added) {
      // All or nothing: the engine records the policy only when this call succeeds.
      for (size_t done = 0; done < i; ++done) {
        (void)xfrm_.delete_policy((*specs)[done].selector, (*specs)[done].direction);
      }
      return unexpected(from_netlink(added.error()));
    }
  }
  return Ok{};
}

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::update_policy(const ikev2::KernelPolicy& policy) {
  auto specs = policy_specs(policy, "update policy");
  if (!specs) return unexpected(specs.error());
  // XFRM_MSG_UPDPOLICY adds a policy that is not there; an update of one that is gone (deleted by hand,
  // flushed) must fail instead, so every piece is looked up before any is written.
  for (const auto& spec : *specs) {
    if (auto found = xfrm_.get_policy(spec.selector, spec.direction); !found) {
      return unexpected(from_netlink(found.error()));
    }
  }
  for (const auto& spec : *specs) {
    if (auto updated = xfrm_.update_policy(spec); !updated) return unexpected(from_netlink(updated.error()));
  }
  return Ok{};
}

Expected<Ok, ikev2::KernelError> NetlinkKernelPort::delete_policy(const ikev2::KernelPolicyId& policy) {
  auto selectors = xfrm_selectors(policy.src, policy.dst);
  if (!selectors) {
    return unexpected(invalid(fmt::format("delete policy {} -> {}", ikev2::format_selector(policy.src),
                                          ikev2::format_selector(policy.dst)),
                              selectors.error()));
  }
  std::optional<ikev2::KernelError> first_error;
  for (const auto& selector : *selectors) {
    auto deleted = xfrm_.delete_policy(selector, direction_of(policy.direction));
    if (!deleted && !first_error) first_error = from_netlink(deleted.error());
  }
  if (first_error) return unexpected(std::move(*first_error));
  return Ok{};
}

}  // namespace ipsecd::daemon
