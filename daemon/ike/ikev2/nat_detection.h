// NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP data, and judging received ones.
#pragma once

#include "common/ip_address.h"
#include "crypto/bytes.h"
#include "daemon/ike/payloads.h"

#include <cstdint>
#include <vector>

namespace ipsecd::ikev2 {

using ipsecd::Endpoint;

// SHA-1(SPIi | SPIr | IP address | port), SPIs and port in network byte order: 20 bytes. The SPIs are
// those of the message's IKE header, so SPIr is zero in the IKE_SA_INIT request (§2.23).
crypto::Bytes nat_detection_data(uint64_t spi_i, uint64_t spi_r, const Endpoint& endpoint);

// The pair a sender adds: SOURCE_IP over the address and port it sends from, DESTINATION_IP over those it
// sends to. A sender unsure of its source address (several interfaces) adds more SOURCE_IP notifies
// itself with nat_detection_notify.
ike::NotifyPayload nat_detection_notify(iana::NotifyMessageType type, uint64_t spi_i, uint64_t spi_r,
                                        const Endpoint& endpoint);
std::vector<ike::NotifyPayload> nat_detection_notifies(uint64_t spi_i, uint64_t spi_r, const Endpoint& source,
                                                       const Endpoint& destination);

struct NatDetection {
  // Both notify types were present; without them the peer does not do NAT detection and the flags
  // below say nothing.
  bool peer_supports = false;
  // DESTINATION_IP did not match where the datagram arrived: our address is translated (§2.23).
  bool local_behind_nat = false;
  // No SOURCE_IP matched where the datagram came from: the peer's address is translated.
  bool remote_behind_nat = false;
  bool operator==(const NatDetection&) const = default;
};

// Judges the NAT_DETECTION notifies among `payloads` (one received IKE_SA_INIT message, whose header gave
// spi_i and spi_r) against the datagram's actual `source` (the peer) and `destination` (us). Any one of
// several SOURCE_IP notifies matching is enough, as the sender may list each of its addresses; the same
// leniency applies to DESTINATION_IP. Whether to float to port 4500 is the caller's decision.
NatDetection evaluate_nat_detection(uint64_t spi_i, uint64_t spi_r, const std::vector<ike::Payload>& payloads,
                                    const Endpoint& source, const Endpoint& destination);

}  // namespace ipsecd::ikev2
