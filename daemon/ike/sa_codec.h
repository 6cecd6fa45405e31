// Body of the SA payload (RFC 7296 §3.3): proposals, transforms and their attributes.
#pragma once

#include "common/expected.h"
#include "daemon/ike/byte_reader.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/payloads.h"

#include <string>

namespace ipsecd::ike {

Expected<SaPayload, DecodeError> decode_sa(ByteReader& body);
Expected<Ok, std::string> encode_sa(const SaPayload& sa, ByteWriter& out);

}  // namespace ipsecd::ike
