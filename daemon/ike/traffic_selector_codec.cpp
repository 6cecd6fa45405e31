// Body of the TSi/TSr payloads (RFC 7296 §3.13).
#include "daemon/ike/traffic_selector_codec.h"

#include "daemon/ike/codec_limits.h"

#include <fmt/format.h>

#include <optional>

namespace ipsecd::ike {

namespace {

// Type, IP Protocol ID, Selector Length, Start Port, End Port (§3.13.1).
constexpr size_t kSelectorFixedLength = 8;

// Address size of the selector types this codec understands; nullopt for the others.
std::optional<size_t> address_size(iana::TrafficSelectorType type) {
  switch (type) {
    case iana::TrafficSelectorType::TS_IPV4_ADDR_RANGE:
      return 4;
    case iana::TrafficSelectorType::TS_IPV6_ADDR_RANGE:
      return 16;
    default:
      return std::nullopt;
  }
}

}  // namespace

Expected<std::vector<TrafficSelector>, DecodeError> decode_traffic_selectors(ByteReader& body) {
  uint8_t count = 0;
  if (!body.u8(count) || !body.skip(3)) return body.error();
  if (count == 0)
    return body.fail(DecodeErrorCode::bad_value, "traffic selector payload carries no selectors");
  if (count > kMaxTrafficSelectors) {
    return body.fail(DecodeErrorCode::too_many,
                     fmt::format("{} traffic selectors, more than {}", count, kMaxTrafficSelectors));
  }
  std::vector<TrafficSelector> selectors;
  for (size_t i = 0; i < count; ++i) {
    const size_t start = body.offset();
    TrafficSelector ts;
    uint8_t type = 0;
    uint16_t length = 0;
    if (!body.u8(type) || !body.u8(ts.ip_protocol) || !body.u16(length)) return body.error();
    ts.type = static_cast<iana::TrafficSelectorType>(type);
    const auto size = address_size(ts.type);
    if (!size) {
      return body.fail_at(start, DecodeErrorCode::bad_value,
                          fmt::format("unsupported traffic selector type {}", type));
    }
    const size_t wanted = kSelectorFixedLength + 2 * *size;
    if (length != wanted) {
      return body.fail_at(
          start + 2, DecodeErrorCode::bad_length,
          fmt::format("{} selector length is {}, must be {}", iana::name(ts.type), length, wanted));
    }
    if (!body.u16(ts.start_port) || !body.u16(ts.end_port) || !body.bytes(*size, ts.start_address) ||
        !body.bytes(*size, ts.end_address)) {
      return body.error();
    }
    selectors.push_back(std::move(ts));
  }
  if (!body.empty()) {
    return body.fail(
        DecodeErrorCode::bad_length,
        fmt::format("{} bytes follow the last of {} traffic selectors", body.remaining(), count));
  }
  return selectors;
}

Expected<Ok, std::string> encode_traffic_selectors(const std::vector<TrafficSelector>& selectors,
                                                   ByteWriter& out) {
  if (selectors.empty() || selectors.size() > kMaxTrafficSelectors) {
    return unexpected(
        fmt::format("{} traffic selectors, must be 1 to {}", selectors.size(), kMaxTrafficSelectors));
  }
  out.u8(static_cast<uint8_t>(selectors.size()));
  out.zeros(3);
  for (const auto& ts : selectors) {
    const auto size = address_size(ts.type);
    if (!size)
      return unexpected(fmt::format("cannot encode traffic selector type {}", static_cast<int>(ts.type)));
    if (ts.start_address.size() != *size || ts.end_address.size() != *size) {
      return unexpected(fmt::format("{} selector needs {}-byte addresses", iana::name(ts.type), *size));
    }
    out.u8(static_cast<uint8_t>(ts.type));
    out.u8(ts.ip_protocol);
    out.u16(static_cast<uint16_t>(kSelectorFixedLength + 2 * *size));
    out.u16(ts.start_port);
    out.u16(ts.end_port);
    out.bytes(ts.start_address);
    out.bytes(ts.end_address);
  }
  return Ok{};
}

}  // namespace ipsecd::ike
