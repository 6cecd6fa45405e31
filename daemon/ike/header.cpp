// The IKE header (RFC 7296 §3.1).
#include "daemon/ike/header.h"

#include "daemon/ike/byte_reader.h"
#include "daemon/ike/codec_limits.h"

#include <fmt/format.h>

namespace ipsecd::ike {

namespace {
constexpr uint8_t kFlagInitiator = 0x08;
constexpr uint8_t kFlagVersion = 0x10;
constexpr uint8_t kFlagResponse = 0x20;
}  // namespace

Expected<DecodedHeader, DecodeError> decode_header(crypto::ByteView datagram) {
  ByteReader r(datagram, 0, 0);
  DecodedHeader d;
  uint8_t next = 0, version = 0, exchange = 0, flags = 0;
  if (!r.u64(d.header.initiator_spi) || !r.u64(d.header.responder_spi) || !r.u8(next) || !r.u8(version) ||
      !r.u8(exchange) || !r.u8(flags) || !r.u32(d.header.message_id) || !r.u32(d.length)) {
    return r.error();
  }
  constexpr size_t kLengthOffset = 24;
  if (d.length != datagram.size()) {
    return r.fail_at(
        kLengthOffset, DecodeErrorCode::bad_length,
        fmt::format("header Length is {} but the datagram has {} bytes", d.length, datagram.size()));
  }
  if (d.length > kMaxMessageLength) {
    return r.fail_at(
        kLengthOffset, DecodeErrorCode::too_large,
        fmt::format("message of {} bytes exceeds the {}-byte limit", d.length, kMaxMessageLength));
  }
  d.next_payload = static_cast<iana::PayloadType>(next);
  d.header.major_version = static_cast<uint8_t>(version >> 4);
  d.header.minor_version = static_cast<uint8_t>(version & 0x0f);
  d.header.exchange = static_cast<iana::ExchangeType>(exchange);
  d.header.initiator = (flags & kFlagInitiator) != 0;
  d.header.higher_version = (flags & kFlagVersion) != 0;
  d.header.response = (flags & kFlagResponse) != 0;
  return d;
}

void encode_header(const Header& header, iana::PayloadType next_payload, uint32_t length, ByteWriter& out) {
  out.u64(header.initiator_spi);
  out.u64(header.responder_spi);
  out.u8(static_cast<uint8_t>(next_payload));
  out.u8(static_cast<uint8_t>((header.major_version << 4) | (header.minor_version & 0x0f)));
  out.u8(static_cast<uint8_t>(header.exchange));
  uint8_t flags = 0;
  if (header.initiator) flags |= kFlagInitiator;
  if (header.higher_version) flags |= kFlagVersion;
  if (header.response) flags |= kFlagResponse;
  out.u8(flags);
  out.u32(header.message_id);
  out.u32(length);
}

}  // namespace ipsecd::ike
