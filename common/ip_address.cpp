// Parsing and formatting of IpAddress and Prefix through inet_pton/inet_ntop.
#include "common/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

namespace ipsecd {

Expected<IpAddress, std::string> IpAddress::parse(std::string_view text) {
  IpAddress a;
  const std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return unexpected("'" + s + "' is not an IPv4 or IPv6 address");
}

IpAddress IpAddress::any(int family) {
  IpAddress a;
  a.family = family;
  return a;
}

std::string IpAddress::to_string() const {
  if (family != AF_INET && family != AF_INET6) return "(unspecified)";
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes.data(), out, sizeof out);
  return out;
}

std::optional<IpAddress> IpAddress::from_bytes(std::span<const uint8_t> raw) {
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  IpAddress a;
  a.family = raw.size() == 4 ? AF_INET : AF_INET6;
  std::copy(raw.begin(), raw.end(), a.bytes.begin());
  return a;
}

uint8_t IpAddress::bit_length() const { return family == AF_INET6 ? 128 : 32; }

Expected<Prefix, std::string> Prefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return unexpected(address.error());
  Prefix p{*address, address->bit_length()};
  if (slash == std::string_view::npos) return p;
  const auto digits = text.substr(slash + 1);
  unsigned length = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || length > p.length) {
    return unexpected("'" + std::string(text) + "' has an invalid prefix length");
  }
  p.length = static_cast<uint8_t>(length);
  return p;
}

Prefix Prefix::host(const IpAddress& address) { return {address, address.bit_length()}; }

std::string Prefix::to_string() const { return address.to_string() + "/" + std::to_string(length); }

std::string Endpoint::to_string() const {
  // RFC 5952 §6: brackets keep an IPv6 address apart from its port.
  if (address.family == AF_INET6) return "[" + address.to_string() + "]:" + std::to_string(port);
  return address.to_string() + ":" + std::to_string(port);
}

}  // namespace ipsecd
