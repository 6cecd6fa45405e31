// Range-to-prefix splitting and the cross product of prefixes and ports that XFRM policies need.
#include "daemon/kernel_selectors.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace ipsecd::daemon {

namespace {

using Bits = std::array<uint8_t, 16>;

bool bit_set(const Bits& value, size_t bit) { return (value[bit / 8] >> (7 - bit % 8)) & 1u; }

// `value` with every bit from position `from` on set to `one`.
Bits fill_from(Bits value, size_t from, size_t bits, bool one) {
  for (size_t bit = from; bit < bits; ++bit) {
    const auto mask = static_cast<uint8_t>(1u << (7 - bit % 8));
    value[bit / 8] = static_cast<uint8_t>(one ? (value[bit / 8] | mask) : (value[bit / 8] & ~mask));
  }
  return value;
}

// Adds one to the first `bytes` bytes; false when it wraps past all ones.
bool increment(Bits& value, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) {
    if (++value[i] != 0) return true;
  }
  return false;
}

bool less_equal(const Bits& a, const Bits& b, size_t bytes) {
  return !std::lexicographical_compare(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(bytes), a.begin(),
                                       a.begin() + static_cast<std::ptrdiff_t>(bytes));
}

Expected<std::vector<uint16_t>, std::string> expand_ports(uint16_t start, uint16_t end, const char* side) {
  if (start == 0 && end == 65535) return std::vector<uint16_t>{0};
  if (start > end) return unexpected(fmt::format("{} port range {}-{} is empty", side, start, end));
  if (start == 0) {
    return unexpected(fmt::format("{} port range {}-{} includes port 0, which the kernel reads as any port",
                                  side, start, end));
  }
  if (static_cast<size_t>(end - start) + 1 > kMaxPortsPerRange) {
    return unexpected(fmt::format("{} port range {}-{} spans more than {} ports; the kernel matches one port or "
                                  "any, so it would need one policy per port",
                                  side, start, end, kMaxPortsPerRange));
  }
  std::vector<uint16_t> ports;
  for (uint32_t port = start; port <= end; ++port) ports.push_back(static_cast<uint16_t>(port));
  return ports;
}

bool is_icmp(uint8_t protocol) { return protocol == 1 || protocol == 58; }

// ICMP Type/Code (§3.13.1: Type in the high byte) as the kernel's source port (Type) and destination port
// (Code). Either side's range may carry it; both full means any.
Expected<std::pair<uint16_t, uint16_t>, std::string> icmp_ports(const ikev2::Selector& src,
                                                               const ikev2::Selector& dst) {
  auto full = [](const ikev2::Selector& s) { return s.start_port == 0 && s.end_port == 65535; };
  std::optional<std::pair<uint16_t, uint16_t>> range;
  for (const auto* s : {&src, &dst}) {
    if (full(*s)) continue;
    const std::pair<uint16_t, uint16_t> r{s->start_port, s->end_port};
    if (range && *range != r) {
      return unexpected(fmt::format("ICMP type/code ranges {:#06x}-{:#06x} and {:#06x}-{:#06x} differ; the kernel "
                                    "has one type and one code per policy",
                                    range->first, range->second, r.first, r.second));
    }
    range = r;
  }
  if (!range) return std::pair<uint16_t, uint16_t>{0, 0};
  const auto type = static_cast<uint16_t>(range->first >> 8);
  const auto code = static_cast<uint16_t>(range->first & 0xff);
  const bool one_type = code == 0 && range->second == (range->first | 0xff);
  const bool one_code = range->first == range->second;
  if (type != 0 && one_type) return std::pair<uint16_t, uint16_t>{type, 0};
  if (type != 0 && code != 0 && one_code) return std::pair<uint16_t, uint16_t>{type, code};
  return unexpected(fmt::format("ICMP type/code range {:#06x}-{:#06x} cannot be expressed: the kernel matches one "
                                "non-zero type, optionally with one non-zero code, or any",
                                range->first, range->second));
}

}  // namespace

Expected<std::vector<Prefix>, std::string> range_to_prefixes(crypto::ByteView start, crypto::ByteView end) {
  if (start.size() != end.size() || (start.size() != 4 && start.size() != 16)) {
    return unexpected(fmt::format("an address range needs two IPv4 or two IPv6 addresses, not {} and {} bytes",
                                  start.size(), end.size()));
  }
  const size_t bytes = start.size();
  const size_t bits = bytes * 8;
  Bits low{};
  Bits high{};
  std::copy(start.begin(), start.end(), low.begin());
  std::copy(end.begin(), end.end(), high.begin());
  if (!less_equal(low, high, bytes)) return unexpected(std::string("the range's start lies after its end"));

  std::vector<Prefix> prefixes;
  for (;;) {
    // The shortest prefix at `low` that starts exactly there and ends no later than `high`.
    size_t length = 0;
    while (length < bits) {
      bool aligned = true;
      for (size_t bit = length; bit < bits && aligned; ++bit) aligned = !bit_set(low, bit);
      if (aligned && less_equal(fill_from(low, length, bits, true), high, bytes)) break;
      ++length;
    }
    Prefix prefix;
    prefix.address = *IpAddress::from_bytes(crypto::ByteView(low.data(), bytes));
    prefix.length = static_cast<uint8_t>(length);
    prefixes.push_back(prefix);
    Bits last = fill_from(low, length, bits, true);
    if (last == high) break;
    if (!increment(last, bytes)) break;
    low = last;
  }
  return prefixes;
}

Expected<std::vector<netlink::Selector>, std::string> xfrm_selectors(const ikev2::Selector& src,
                                                                     const ikev2::Selector& dst) {
  if (src.start_address.size() != dst.start_address.size()) {
    return unexpected(std::string("source and destination selectors are of different address families"));
  }
  if (src.ip_protocol != 0 && dst.ip_protocol != 0 && src.ip_protocol != dst.ip_protocol) {
    return unexpected(fmt::format("source protocol {} and destination protocol {} differ", src.ip_protocol,
                                  dst.ip_protocol));
  }
  const uint8_t protocol = src.ip_protocol != 0 ? src.ip_protocol : dst.ip_protocol;
  auto src_prefixes = range_to_prefixes(src.start_address, src.end_address);
  if (!src_prefixes) return unexpected("source " + ikev2::format_selector(src) + ": " + src_prefixes.error());
  auto dst_prefixes = range_to_prefixes(dst.start_address, dst.end_address);
  if (!dst_prefixes) return unexpected("destination " + ikev2::format_selector(dst) + ": " + dst_prefixes.error());

  std::vector<uint16_t> src_ports{0};
  std::vector<uint16_t> dst_ports{0};
  if (is_icmp(protocol)) {
    auto icmp = icmp_ports(src, dst);
    if (!icmp) return unexpected(icmp.error());
    src_ports = {icmp->first};
    dst_ports = {icmp->second};
  } else {
    auto s = expand_ports(src.start_port, src.end_port, "source");
    if (!s) return unexpected(s.error());
    auto d = expand_ports(dst.start_port, dst.end_port, "destination");
    if (!d) return unexpected(d.error());
    src_ports = std::move(*s);
    dst_ports = std::move(*d);
  }

  const size_t count = src_prefixes->size() * dst_prefixes->size() * src_ports.size() * dst_ports.size();
  if (count > kMaxSelectorsPerPolicy) {
    return unexpected(fmt::format("{} to {} needs {} kernel policies (more than {}); use prefixes or fewer ports",
                                  ikev2::format_selector(src), ikev2::format_selector(dst), count,
                                  kMaxSelectorsPerPolicy));
  }
  std::vector<netlink::Selector> selectors;
  selectors.reserve(count);
  for (const auto& s : *src_prefixes) {
    for (const auto& d : *dst_prefixes) {
      for (const auto sp : src_ports) {
        for (const auto dp : dst_ports) selectors.push_back({s, d, protocol, sp, dp});
      }
    }
  }
  return selectors;
}

std::optional<std::pair<ikev2::Selector, ikev2::Selector>> packet_selectors(const netlink::Selector& packet) {
  const auto side = [&](const Prefix& prefix, uint16_t port) -> std::optional<ikev2::Selector> {
    if (prefix.address.family == 0) return std::nullopt;
    const auto address = prefix.address.view();
    ikev2::Selector selector;
    selector.start_address.assign(address.begin(), address.end());
    selector.end_address = selector.start_address;
    // The prefix's host bits: zero from the start address, set in the end address.
    for (size_t i = 0; i < address.size(); ++i) {
      const size_t bit = i * 8;
      const uint8_t host_mask = prefix.length >= bit + 8 ? 0
                                : prefix.length <= bit ? 0xff
                                                        : static_cast<uint8_t>(0xff >> (prefix.length - bit));
      selector.start_address[i] = static_cast<uint8_t>(selector.start_address[i] & ~host_mask);
      selector.end_address[i] = static_cast<uint8_t>(selector.end_address[i] | host_mask);
    }
    selector.ip_protocol = packet.protocol;
    if (port != 0 && !is_icmp(packet.protocol)) {
      selector.start_port = port;
      selector.end_port = port;
    }
    return selector;
  };
  auto src = side(packet.src, packet.src_port);
  auto dst = side(packet.dst, packet.dst_port);
  if (!src || !dst) return std::nullopt;
  return std::pair{std::move(*src), std::move(*dst)};
}

}  // namespace ipsecd::daemon
