// Body of the TSi/TSr payloads (RFC 7296 §3.13): IPv4 and IPv6 address-range selectors.
#pragma once

#include "common/expected.h"
#include "daemon/ike/byte_reader.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/payloads.h"

#include <string>
#include <vector>

namespace ipsecd::ike {

Expected<std::vector<TrafficSelector>, DecodeError> decode_traffic_selectors(ByteReader& body);
Expected<Ok, std::string> encode_traffic_selectors(const std::vector<TrafficSelector>& selectors,
                                                   ByteWriter& out);

}  // namespace ipsecd::ike
