// IANA "IKEv2 Transform Attribute Types" registry (RFC 7296 §3.3.5).
#pragma once

#include <cstdint>
#include <string_view>

namespace ipsecd::iana {

// The 15-bit attribute type, without the Attribute Format bit.
enum class TransformAttributeType : uint16_t {
  KEY_LENGTH = 14,
};

constexpr std::string_view name(TransformAttributeType t) {
  switch (t) {
    case TransformAttributeType::KEY_LENGTH: return "Key Length";
  }
  return "ATTRIBUTE_UNKNOWN";
}

}  // namespace ipsecd::iana
