// Text for the engine's events: SA labels, endpoints, SPIs, selectors, failures and their log levels.
#include "daemon/event_text.h"

#include <fmt/format.h>

#include <netinet/in.h>

#include <bit>
#include <type_traits>

namespace ipsecd::daemon {

namespace {

std::string join(const std::vector<ikev2::Selector>& selectors) {
  std::string out;
  for (const auto& s : selectors) {
    if (!out.empty()) out += ",";
    out += selector_text(s);
  }
  return out.empty() ? "-" : out;
}

// The prefix length when [start, end] is exactly one prefix, else -1.
int prefix_length(const crypto::Bytes& start, const crypto::Bytes& end) {
  int length = 0;
  size_t i = 0;
  for (; i < start.size() && start[i] == end[i]; ++i) length += 8;
  if (i == start.size()) return length;
  const auto diff = static_cast<uint8_t>(start[i] ^ end[i]);
  const int common = std::countl_zero(diff);
  const auto host_mask = static_cast<uint8_t>(0xffu >> common);
  if ((start[i] & host_mask) != 0 || (end[i] & host_mask) != host_mask) return -1;
  for (size_t j = i + 1; j < start.size(); ++j) {
    if (start[j] != 0 || end[j] != 0xff) return -1;
  }
  return length + common;
}

std::string address_text(const crypto::Bytes& raw) {
  const auto address = IpAddress::from_bytes(raw);
  return address ? address->to_string() : "?";
}

std::string protocol_text(uint8_t protocol) {
  switch (protocol) {
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_ICMP: return "icmp";
    case IPPROTO_ICMPV6: return "ipv6-icmp";
    default: return std::to_string(protocol);
  }
}

std::string_view role_text(ikev2::IkeRole role) {
  return role == ikev2::IkeRole::initiator ? "initiator" : "responder";
}

std::string ike_label(std::string_view label, std::string_view connection) {
  return fmt::format("ike[{}] {}:", label, connection.empty() ? "(no connection)" : connection);
}

std::string child_label(std::string_view label, std::string_view connection, std::string_view child) {
  return fmt::format("child[{}] {}/{}:", label, connection, child);
}

}  // namespace

std::string endpoint_text(const Endpoint& endpoint) {
  return fmt::format("{}[{}]", endpoint.address.to_string(), endpoint.port);
}

std::string spi_text(uint32_t spi) { return fmt::format("0x{:08x}", spi); }

std::string selector_text(const ikev2::Selector& selector) {
  std::string out;
  if (selector.start_address.size() != selector.end_address.size() || selector.start_address.empty()) {
    out = "?";
  } else if (selector.start_address == selector.end_address) {
    out = address_text(selector.start_address);
  } else if (const int length = prefix_length(selector.start_address, selector.end_address); length >= 0) {
    out = fmt::format("{}/{}", address_text(selector.start_address), length);
  } else {
    out = address_text(selector.start_address) + "-" + address_text(selector.end_address);
  }
  const bool any_port = selector.start_port == 0 && selector.end_port == 65535;
  if (selector.ip_protocol != 0 || !any_port) {
    out += "[" + protocol_text(selector.ip_protocol);
    if (!any_port) {
      out += "/" + std::to_string(selector.start_port);
      if (selector.end_port != selector.start_port) out += "-" + std::to_string(selector.end_port);
    }
    out += "]";
  }
  return out;
}

std::string failure_text(const ikev2::Failure& failure) {
  std::string out(ikev2::name(failure.reason));
  if (!failure.detail.empty()) out += ": " + failure.detail;
  // The peer's notify, unless the detail already names it.
  if (failure.peer_notify && failure.detail.find(iana::name(*failure.peer_notify)) == std::string::npos) {
    out += fmt::format(" (peer: {})", iana::name(*failure.peer_notify));
  }
  return out;
}

LogLine describe(const ikev2::Event& event, std::string_view label, std::string_view auth) {
  return std::visit(
      [&](const auto& e) -> LogLine {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ikev2::IkeSaEstablished>) {
          return {LogLevel::notice,
                  fmt::format("{} established {} <-> {} as {}, {} <-> {} ({}, {})", ike_label(label, e.connection),
                              endpoint_text(e.local), endpoint_text(e.remote), role_text(e.role),
                              ikev2::to_string(e.local_id), ikev2::to_string(e.remote_id), auth,
                              ikev2::to_string(e.transforms))};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaFailed>) {
          return {LogLevel::warning, fmt::format("{} failed as {}: {}", ike_label(label, e.connection),
                                                 role_text(e.role), failure_text(e.failure))};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaDeleted>) {
          return {LogLevel::notice,
                  fmt::format("{} deleted{}", ike_label(label, e.connection), e.by_peer ? " by the peer" : "")};
        } else if constexpr (std::is_same_v<T, ikev2::IkeSaRekeyed>) {
          return {LogLevel::info, fmt::format("{} rekeyed: replaces ike[{}]", ike_label(label, e.connection),
                                              e.old_ike_sa)};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaInstalled>) {
          return {LogLevel::notice,
                  fmt::format("{} installed {} SPIs in {} out {} reqid {} {} mode, {} === {} ({})",
                              child_label(label, e.connection, e.child), iana::name(e.transforms.protocol),
                              spi_text(e.spi_in), spi_text(e.spi_out), e.reqid,
                              e.mode == ikev2::IpsecMode::tunnel ? "tunnel" : "transport", join(e.local_ts),
                              join(e.remote_ts), ikev2::to_string(e.transforms))};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaFailed>) {
          const auto level =
              e.failure.reason == ikev2::FailureReason::kernel_refused ? LogLevel::error : LogLevel::warning;
          return {level, fmt::format("{} failed: {}", child_label(label, e.connection, e.child),
                                     failure_text(e.failure))};
        } else if constexpr (std::is_same_v<T, ikev2::ChildSaDeleted>) {
          return {LogLevel::info, fmt::format("{} deleted SPIs in {} out {}", child_label(label, e.connection, e.child),
                                              spi_text(e.spi_in), spi_text(e.spi_out))};
        } else {
          static_assert(std::is_same_v<T, ikev2::ChildSaRekeyed>);
          return {LogLevel::info, fmt::format("{} rekeyed: SPI in {} replaces {}",
                                              child_label(label, e.connection, e.child), spi_text(e.new_spi_in),
                                              spi_text(e.old_spi_in))};
        }
      },
      event);
}

}  // namespace ipsecd::daemon
