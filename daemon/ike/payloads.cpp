// Helpers on the IKEv2 payload structs.
#include "daemon/ike/payloads.h"

#include "daemon/ike/iana/transform_attribute_type.h"

#include <type_traits>
#include <variant>

namespace ipsecd::ike {

TransformAttribute TransformAttribute::key_length(uint16_t bits) {
  return TransformAttribute{static_cast<uint16_t>(iana::TransformAttributeType::KEY_LENGTH), true, bits, {}};
}

std::optional<uint16_t> Transform::key_length() const {
  for (const auto& a : attributes) {
    if (a.tv && a.type == static_cast<uint16_t>(iana::TransformAttributeType::KEY_LENGTH)) return a.tv_value;
  }
  return std::nullopt;
}

iana::PayloadType Payload::type() const {
  return std::visit(
      [](const auto& b) -> iana::PayloadType {
        using B = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<B, UnknownPayload>) {
          return static_cast<iana::PayloadType>(b.type);
        } else {
          return B::kType;
        }
      },
      body);
}

std::vector<const NotifyPayload*> find_notifies(const std::vector<Payload>& payloads,
                                                iana::NotifyMessageType type) {
  std::vector<const NotifyPayload*> out;
  for (const auto& p : payloads) {
    const auto* n = std::get_if<NotifyPayload>(&p.body);
    if (n != nullptr && n->type == type) out.push_back(n);
  }
  return out;
}

}  // namespace ipsecd::ike
