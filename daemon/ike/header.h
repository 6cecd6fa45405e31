// The IKE header (RFC 7296 §3.1): fields, decode with structural checks, encode.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/decode_error.h"
#include "daemon/ike/iana/exchange_type.h"
#include "daemon/ike/iana/payload_type.h"

#include <cstddef>
#include <cstdint>

namespace ipsecd::ike {

inline constexpr size_t kHeaderLength = 28;
inline constexpr uint8_t kIkeV2MajorVersion = 2;

// Next Payload and Length are not here: the encoder derives them from the payloads that follow.
// Flag bits other than I, V and R are sent as zero and ignored on receipt (§3.1).
struct Header {
  uint64_t initiator_spi = 0;
  uint64_t responder_spi = 0;
  uint8_t major_version = kIkeV2MajorVersion;
  uint8_t minor_version = 0;
  iana::ExchangeType exchange{};
  bool initiator = false;       // I: sent by the original initiator of the IKE SA
  bool higher_version = false;  // V: the sender speaks a higher major version
  bool response = false;        // R
  uint32_t message_id = 0;
  bool operator==(const Header&) const = default;
};

struct DecodedHeader {
  Header header;
  iana::PayloadType next_payload{};
  uint32_t length = 0;
};

// Checks only what every IKE version shares: 28 bytes present, Length equal to the datagram size and
// within kMaxMessageLength. The major version is reported, not judged, so the engine can answer
// INVALID_MAJOR_VERSION with the SPIs and Message ID it needs (§2.5).
Expected<DecodedHeader, DecodeError> decode_header(crypto::ByteView datagram);

void encode_header(const Header& header, iana::PayloadType next_payload, uint32_t length, ByteWriter& out);

}  // namespace ipsecd::ike
