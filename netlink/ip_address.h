// IPv4/IPv6 addresses and prefixes as the kernel interfaces take them (network byte order, family tagged).
#pragma once

#include "common/expected.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecd::netlink {

struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6; 0 = unspecified (any)
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static Expected<IpAddress, std::string> parse(std::string_view text);
  static IpAddress any(int family);
  std::string to_string() const;
  // Bits in an address of this family (32 or 128).
  uint8_t bit_length() const;
  bool operator==(const IpAddress&) const = default;
};

struct Prefix {
  IpAddress address;
  uint8_t length = 0;

  // "192.0.2.0/24", "2001:db8::1" (a host prefix when the length is missing).
  static Expected<Prefix, std::string> parse(std::string_view text);
  static Prefix host(const IpAddress& address);
  std::string to_string() const;
  bool operator==(const Prefix&) const = default;
};

}  // namespace ipsecd::netlink
