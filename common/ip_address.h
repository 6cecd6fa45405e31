// IPv4/IPv6 addresses and prefixes (network byte order, family tagged), shared by the engine, the kernel
// interface and the daemon.
#pragma once

#include "common/expected.h"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ipsecd {

struct IpAddress {
  int family = 0;                   // AF_INET or AF_INET6; 0 = unspecified (any)
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  static Expected<IpAddress, std::string> parse(std::string_view text);
  static IpAddress any(int family);
  // 4 bytes make an IPv4 address, 16 an IPv6 one; any other length is no address.
  static std::optional<IpAddress> from_bytes(std::span<const uint8_t> raw);
  std::string to_string() const;
  // Bits in an address of this family (32 or 128).
  uint8_t bit_length() const;
  // The 4 or 16 significant bytes.
  std::span<const uint8_t> view() const { return {bytes.data(), bit_length() / 8u}; }
  bool operator==(const IpAddress&) const = default;
  // Any strict order will do (family, then bytes): for addresses as map keys.
  auto operator<=>(const IpAddress&) const = default;
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

// An address and UDP port: where an IKE datagram comes from or goes to.
struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
  auto operator<=>(const Endpoint&) const = default;
};

}  // namespace ipsecd
