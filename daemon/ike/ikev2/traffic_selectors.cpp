// Traffic selectors (RFC 7296 §2.9, §3.13): strongSwan-syntax config, codec conversion, narrowing and checks.
#include "daemon/ike/ikev2/traffic_selectors.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>

namespace ipsecd::ikev2 {

namespace {

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kIcmpv6 = 58;

struct ProtocolName {
  std::string_view name;
  uint8_t number;
};

// The names strongSwan users write, as /etc/protocols spells them; the first name of a number is the one
// printed.
constexpr std::array<ProtocolName, 7> kProtocolNames{{
    {"icmp", kIcmp},
    {"tcp", 6},
    {"udp", 17},
    {"gre", 47},
    {"ipv6-icmp", kIcmpv6},
    {"icmpv6", kIcmpv6},
    {"sctp", 132},
}};

bool is_icmp(uint8_t protocol) { return protocol == kIcmp || protocol == kIcmpv6; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename T>
std::optional<T> parse_number(std::string_view s, T max) {
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value > max) return std::nullopt;
  return static_cast<T>(value);
}

std::optional<crypto::Bytes> parse_address(std::string_view text) {
  const std::string s(text);
  crypto::Bytes out(16);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) {
    out.resize(4);
    return out;
  }
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return out;
  return std::nullopt;
}

std::string format_address(const crypto::Bytes& address) {
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  const int family = address.size() == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, address.data(), buffer.data(), buffer.size()) == nullptr) return "?";
  return buffer.data();
}

// Sets the `host_bits` lowest bits of `address` to `one`.
void fill_host_bits(crypto::Bytes& address, size_t host_bits, bool one) {
  for (size_t i = address.size(); i-- > 0 && host_bits > 0;) {
    const size_t n = std::min<size_t>(host_bits, 8);
    const auto mask = static_cast<uint8_t>((1u << n) - 1u);
    address[i] = one ? static_cast<uint8_t>(address[i] | mask) : static_cast<uint8_t>(address[i] & ~mask);
    host_bits -= n;
  }
}

bool bit(const crypto::Bytes& address, size_t index) {
  return ((address[index / 8] >> (7 - index % 8)) & 1u) != 0;
}

// The prefix length when [start, end] is exactly one prefix: the leading bits both share, followed by
// all zeros in start and all ones in end.
std::optional<size_t> prefix_length(const Selector& s) {
  const size_t bits = s.start_address.size() * 8;
  size_t common = 0;
  while (common < bits && bit(s.start_address, common) == bit(s.end_address, common)) ++common;
  for (size_t i = common; i < bits; ++i) {
    if (bit(s.start_address, i) || !bit(s.end_address, i)) return std::nullopt;
  }
  return common;
}

Expected<Ok, std::string> parse_address_part(std::string_view text, SelectorConfig& out) {
  if (text == "dynamic") {
    out.dynamic = true;
    return Ok{};
  }
  Selector& s = out.selector;
  if (const auto dash = text.find('-'); dash != std::string_view::npos) {
    const auto start = parse_address(trim(text.substr(0, dash)));
    const auto end = parse_address(trim(text.substr(dash + 1)));
    if (!start) return unexpected(fmt::format("'{}' is not an IP address", trim(text.substr(0, dash))));
    if (!end) return unexpected(fmt::format("'{}' is not an IP address", trim(text.substr(dash + 1))));
    if (start->size() != end->size()) {
      return unexpected(fmt::format("range '{}' mixes IPv4 and IPv6", text));
    }
    if (*end < *start) return unexpected(fmt::format("range '{}' ends before it starts", text));
    s.start_address = *start;
    s.end_address = *end;
    return Ok{};
  }
  const auto slash = text.find('/');
  const std::string_view address_text = slash == std::string_view::npos ? text : text.substr(0, slash);
  const auto address = parse_address(address_text);
  if (!address) return unexpected(fmt::format("'{}' is not an IP address", address_text));
  const size_t bits = address->size() * 8;
  size_t length = bits;
  if (slash != std::string_view::npos) {
    const std::string_view length_text = text.substr(slash + 1);
    const auto parsed = parse_number<size_t>(length_text, bits);
    if (!parsed) {
      return unexpected(fmt::format("prefix length '{}' is not a number from 0 to {}", length_text, bits));
    }
    length = *parsed;
  }
  // Host bits set in the address ("10.1.2.3/16") are cleared, as strongSwan does.
  s.start_address = *address;
  s.end_address = *address;
  fill_host_bits(s.start_address, bits - length, false);
  fill_host_bits(s.end_address, bits - length, true);
  return Ok{};
}

Expected<uint8_t, std::string> parse_protocol(std::string_view text) {
  for (const auto& p : kProtocolNames) {
    if (p.name == text) return p.number;
  }
  if (const auto number = parse_number<uint8_t>(text, 255)) return *number;
  return unexpected(fmt::format("protocol '{}' is neither a known name nor a number from 0 to 255", text));
}

// "443" or "500-600"; for ICMP the numbers are Types, each covering every Code (§3.13.1 packs Type into
// the high byte of the port).
Expected<Ok, std::string> parse_ports(std::string_view text, Selector& s) {
  const auto dash = text.find('-');
  const std::string_view lo_text = dash == std::string_view::npos ? text : text.substr(0, dash);
  const std::string_view hi_text = dash == std::string_view::npos ? text : text.substr(dash + 1);
  const bool icmp = is_icmp(s.ip_protocol);
  const uint16_t max = icmp ? 255 : 65535;
  const auto lo = parse_number<uint16_t>(lo_text, max);
  const auto hi = parse_number<uint16_t>(hi_text, max);
  const char* what = icmp ? "ICMP type" : "port";
  if (!lo) return unexpected(fmt::format("{} '{}' is not a number from 0 to {}", what, lo_text, max));
  if (!hi) return unexpected(fmt::format("{} '{}' is not a number from 0 to {}", what, hi_text, max));
  if (*hi < *lo) return unexpected(fmt::format("{} range '{}' ends before it starts", what, text));
  s.start_port = icmp ? static_cast<uint16_t>(*lo << 8) : *lo;
  s.end_port = icmp ? static_cast<uint16_t>(*hi << 8 | 0xff) : *hi;
  return Ok{};
}

Expected<Ok, std::string> parse_bracket(std::string_view text, Selector& s) {
  const auto slash = text.find('/');
  const auto protocol = parse_protocol(trim(text.substr(0, slash)));
  if (!protocol) return unexpected(protocol.error());
  s.ip_protocol = *protocol;
  if (slash == std::string_view::npos) return Ok{};
  return parse_ports(trim(text.substr(slash + 1)), s);
}

std::string format_protocol(uint8_t protocol) {
  for (const auto& p : kProtocolNames) {
    if (p.number == protocol) return std::string(p.name);
  }
  return std::to_string(protocol);
}

std::string format_icmp_port(uint16_t port) { return fmt::format("{}:{}", port >> 8, port & 0xff); }

std::string format_ports(const Selector& s) {
  if (is_icmp(s.ip_protocol)) {
    // Whole Types print as the Types the parser takes; a Code-specific range prints as Type:Code.
    if ((s.start_port & 0xff) == 0 && (s.end_port & 0xff) == 0xff) {
      const int lo = s.start_port >> 8;
      const int hi = s.end_port >> 8;
      return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
    }
    return s.start_port == s.end_port
               ? format_icmp_port(s.start_port)
               : fmt::format("{}-{}", format_icmp_port(s.start_port), format_icmp_port(s.end_port));
  }
  return s.start_port == s.end_port ? std::to_string(s.start_port)
                                    : fmt::format("{}-{}", s.start_port, s.end_port);
}

std::string format_suffix(const Selector& s) {
  const bool any_port = s.start_port == 0 && s.end_port == 65535;
  if (s.ip_protocol == 0 && any_port) return "";
  if (any_port) return fmt::format("[{}]", format_protocol(s.ip_protocol));
  return fmt::format("[{}/{}]", format_protocol(s.ip_protocol), format_ports(s));
}

bool valid_address_size(size_t size) { return size == 4 || size == 16; }

// Order of preference for the responder's answer (§2.9): results holding the first proposed selector (the
// packet that triggered the initiator's ACQUIRE), then those overlapping it, then the rest.
int preference(const Selector& result, const Selector& first) {
  if (contains(result, first)) return 0;
  if (intersect(result, first)) return 1;
  return 2;
}

std::vector<Selector> narrow_side(const std::vector<Selector>& policy,
                                  const std::vector<Selector>& proposed) {
  std::vector<Selector> results;
  for (const auto& p : proposed) {
    for (const auto& q : policy) {
      if (auto r = intersect(p, q)) results.push_back(std::move(*r));
    }
  }
  // An entry covered by another adds nothing; of two equal entries the earlier stays.
  std::vector<Selector> kept;
  for (size_t i = 0; i < results.size(); ++i) {
    bool covered = false;
    for (size_t j = 0; j < results.size() && !covered; ++j) {
      if (i == j || !contains(results[j], results[i])) continue;
      covered = !contains(results[i], results[j]) || j < i;
    }
    if (!covered) kept.push_back(results[i]);
  }
  if (!proposed.empty()) {
    std::stable_sort(kept.begin(), kept.end(), [&](const Selector& a, const Selector& b) {
      return preference(a, proposed.front()) < preference(b, proposed.front());
    });
  }
  return kept;
}

Expected<Ok, std::string> check_side(const char* side, const std::vector<Selector>& proposed,
                                     const std::vector<Selector>& answered) {
  if (answered.empty()) return unexpected(fmt::format("the responder's {} is empty", side));
  for (const auto& a : answered) {
    const bool inside =
        std::any_of(proposed.begin(), proposed.end(), [&](const Selector& p) { return contains(p, a); });
    if (!inside) {
      return unexpected(fmt::format("the responder's {} selector {} is not within what we proposed ({})",
                                    side, format_selector(a), format_selectors(proposed)));
    }
  }
  return Ok{};
}

}  // namespace

Expected<SelectorConfig, std::string> parse_selector(std::string_view text) {
  const std::string_view whole = trim(text);
  if (whole.empty()) return unexpected(std::string("empty traffic selector"));
  SelectorConfig config;
  std::string_view address_part = whole;
  if (const auto open = whole.find('['); open != std::string_view::npos) {
    if (whole.back() != ']') {
      return unexpected(fmt::format("'{}' in '{}' lacks its closing ']'", whole.substr(open), whole));
    }
    const std::string_view bracket = whole.substr(open + 1, whole.size() - open - 2);
    if (auto ok = parse_bracket(bracket, config.selector); !ok) {
      return unexpected(fmt::format("{} in '{}'", ok.error(), whole));
    }
    address_part = trim(whole.substr(0, open));
  }
  if (auto ok = parse_address_part(address_part, config); !ok) {
    return unexpected(fmt::format("{} in '{}'", ok.error(), whole));
  }
  return config;
}

Expected<std::vector<SelectorConfig>, std::string> parse_selectors(std::string_view text) {
  std::vector<SelectorConfig> out;
  size_t position = 1;
  while (true) {
    const auto comma = text.find(',');
    auto parsed = parse_selector(text.substr(0, comma));
    if (!parsed) return unexpected(fmt::format("traffic selector {}: {}", position, parsed.error()));
    out.push_back(std::move(*parsed));
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
    ++position;
  }
}

Expected<Selector, std::string> resolve(const SelectorConfig& config, crypto::ByteView address) {
  if (!config.dynamic) return config.selector;
  if (!valid_address_size(address.size())) {
    return unexpected(fmt::format("a {}-byte address cannot stand for 'dynamic'", address.size()));
  }
  Selector s = config.selector;
  s.start_address.assign(address.begin(), address.end());
  s.end_address = s.start_address;
  return s;
}

Expected<std::vector<Selector>, std::string> resolve(const std::vector<SelectorConfig>& configs,
                                                     crypto::ByteView address) {
  std::vector<Selector> out;
  for (const auto& c : configs) {
    auto s = resolve(c, address);
    if (!s) return unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

std::string format_selector(const Selector& s) {
  if (!valid_address_size(s.start_address.size()) || s.start_address.size() != s.end_address.size()) {
    return "(malformed selector)";
  }
  std::string addresses;
  if (const auto length = prefix_length(s)) {
    addresses = fmt::format("{}/{}", format_address(s.start_address), *length);
  } else {
    addresses = fmt::format("{}-{}", format_address(s.start_address), format_address(s.end_address));
  }
  return addresses + format_suffix(s);
}

std::string format_selector(const SelectorConfig& config) {
  if (config.dynamic) return "dynamic" + format_suffix(config.selector);
  return format_selector(config.selector);
}

std::string format_selectors(const std::vector<Selector>& selectors) {
  std::string out;
  for (const auto& s : selectors) {
    if (!out.empty()) out += ", ";
    out += format_selector(s);
  }
  return out;
}

ike::TrafficSelector to_wire(const Selector& s) {
  ike::TrafficSelector ts;
  ts.type = s.is_ipv6() ? iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE
                        : iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE;
  ts.ip_protocol = s.ip_protocol;
  ts.start_port = s.start_port;
  ts.end_port = s.end_port;
  ts.start_address = s.start_address;
  ts.end_address = s.end_address;
  return ts;
}

std::vector<ike::TrafficSelector> to_wire(const std::vector<Selector>& selectors) {
  std::vector<ike::TrafficSelector> out;
  out.reserve(selectors.size());
  for (const auto& s : selectors) out.push_back(to_wire(s));
  return out;
}

Expected<Selector, std::string> from_wire(const ike::TrafficSelector& ts) {
  size_t size = 0;
  switch (ts.type) {
    case iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE:
      size = 4;
      break;
    case iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE:
      size = 16;
      break;
    default:
      return unexpected(fmt::format("traffic selector type {} is not an address range", iana::name(ts.type)));
  }
  if (ts.start_address.size() != size || ts.end_address.size() != size) {
    return unexpected(fmt::format("{} with {}- and {}-byte addresses", iana::name(ts.type),
                                  ts.start_address.size(), ts.end_address.size()));
  }
  Selector s{ts.start_address, ts.end_address, ts.ip_protocol, ts.start_port, ts.end_port};
  if (s.end_address < s.start_address) {
    return unexpected(fmt::format("traffic selector {}-{} ends before it starts",
                                  format_address(s.start_address), format_address(s.end_address)));
  }
  if (s.start_port == 65535 && s.end_port == 0) {
    return unexpected(std::string("traffic selector with OPAQUE ports (65535-0) is not supported"));
  }
  if (s.end_port < s.start_port) {
    return unexpected(
        fmt::format("traffic selector port range {}-{} ends before it starts", s.start_port, s.end_port));
  }
  return s;
}

Expected<std::vector<Selector>, std::string> from_wire(const std::vector<ike::TrafficSelector>& selectors) {
  std::vector<Selector> out;
  for (const auto& ts : selectors) {
    auto s = from_wire(ts);
    if (!s) return unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

std::optional<Selector> intersect(const Selector& a, const Selector& b) {
  if (a.start_address.size() != b.start_address.size()) return std::nullopt;
  if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) return std::nullopt;
  Selector r;
  r.start_address = std::max(a.start_address, b.start_address);
  r.end_address = std::min(a.end_address, b.end_address);
  if (r.end_address < r.start_address) return std::nullopt;
  r.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
  r.start_port = std::max(a.start_port, b.start_port);
  r.end_port = std::min(a.end_port, b.end_port);
  if (r.end_port < r.start_port) return std::nullopt;
  return r;
}

bool contains(const Selector& outer, const Selector& inner) {
  return outer.start_address.size() == inner.start_address.size() &&
         outer.start_address <= inner.start_address && inner.end_address <= outer.end_address &&
         (outer.ip_protocol == 0 || outer.ip_protocol == inner.ip_protocol) &&
         outer.start_port <= inner.start_port && inner.end_port <= outer.end_port;
}

std::optional<NarrowedSelectors> narrow(const std::vector<Selector>& remote_policy,
                                        const std::vector<Selector>& local_policy,
                                        const std::vector<Selector>& proposed_tsi,
                                        const std::vector<Selector>& proposed_tsr, NarrowingScope scope) {
  NarrowedSelectors out{narrow_side(remote_policy, proposed_tsi), narrow_side(local_policy, proposed_tsr)};
  if (out.tsi.empty() || out.tsr.empty()) return std::nullopt;
  if (scope == NarrowingScope::single_pair) {
    out.tsi.resize(1);
    out.tsr.resize(1);
  }
  return out;
}

Expected<Ok, std::string> check_narrowed(const std::vector<Selector>& proposed_tsi,
                                         const std::vector<Selector>& proposed_tsr,
                                         const std::vector<Selector>& answered_tsi,
                                         const std::vector<Selector>& answered_tsr) {
  if (auto ok = check_side("TSi", proposed_tsi, answered_tsi); !ok) return ok;
  return check_side("TSr", proposed_tsr, answered_tsr);
}

}  // namespace ipsecd::ikev2
