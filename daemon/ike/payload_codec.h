// Body of each IKEv2 payload (everything after the 4-byte generic header), decode and encode.
#pragma once

#include "common/expected.h"
#include "daemon/ike/byte_reader.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/payloads.h"

#include <cstdint>
#include <string>

namespace ipsecd::ike {

// Whether this codec parses the payload type; others are unknown to it (§2.5 critical-bit rule).
bool is_parsed_payload_type(uint8_t type);

// Decodes one body; `body` spans exactly the payload's Length minus the generic header. `next_payload`
// is the generic header's Next Payload, which SK and SKF keep as the first inner payload type.
// A type that is not parsed comes back as UnknownPayload.
Expected<PayloadBody, DecodeError> decode_payload_body(uint8_t type, uint8_t next_payload, ByteReader& body);

Expected<Ok, std::string> encode_payload_body(const PayloadBody& body, ByteWriter& out);

}  // namespace ipsecd::ike
