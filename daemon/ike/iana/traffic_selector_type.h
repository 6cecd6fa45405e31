// IANA "IKEv2 Traffic Selector Types" registry (RFC 7296 §3.13.1, RFC 4595, RFC 9478).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

enum class TrafficSelectorType : uint8_t {
  TS_IPV4_ADDR_RANGE = 7,
  TS_IPV6_ADDR_RANGE = 8,
  TS_FC_ADDR_RANGE = 9,
  TS_SECLABEL = 10,
};

constexpr std::string_view name(TrafficSelectorType t) {
  switch (t) {
    case TrafficSelectorType::TS_IPV4_ADDR_RANGE: return "TS_IPV4_ADDR_RANGE";
    case TrafficSelectorType::TS_IPV6_ADDR_RANGE: return "TS_IPV6_ADDR_RANGE";
    case TrafficSelectorType::TS_FC_ADDR_RANGE: return "TS_FC_ADDR_RANGE";
    case TrafficSelectorType::TS_SECLABEL: return "TS_SECLABEL";
  }
  return "TS_UNKNOWN";
}

}  // namespace ipsecd::iana
