// NAT detection (RFC 7296 §2.23): NAT_DETECTION_SOURCE_IP / _DESTINATION_IP data, and judging received ones.
#include "daemon/ike/ikev2/nat_detection.h"

#include <botan/hash.h>
#include <botan/loadstor.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

namespace ipsecd::ikev2 {

namespace {

bool any_matches(const std::vector<const ike::NotifyPayload*>& notifies, const crypto::Bytes& expected) {
  return std::any_of(notifies.begin(), notifies.end(),
                     [&](const ike::NotifyPayload* n) { return n->data == expected; });
}

std::unique_ptr<Botan::HashFunction> make_sha1() {
  // SHA-1 is part of every Botan build this project accepts (the PRF and integrity code need it too), so
  // create_or_throw cannot throw here.
  return Botan::HashFunction::create_or_throw("SHA-1");
}

// SHA-1(SPIi | SPIr | IP address | port) with a hash object made once for both digests of a message;
// final() leaves it ready for the next.
crypto::Bytes digest(Botan::HashFunction& sha1, uint64_t spi_i, uint64_t spi_r, const Endpoint& endpoint) {
  std::array<uint8_t, 8> spi{};
  Botan::store_be(spi_i, spi.data());
  sha1.update(spi.data(), spi.size());
  Botan::store_be(spi_r, spi.data());
  sha1.update(spi.data(), spi.size());
  const auto address = endpoint.address.view();
  sha1.update(address.data(), address.size());
  std::array<uint8_t, 2> port{};
  Botan::store_be(endpoint.port, port.data());
  sha1.update(port.data(), port.size());
  crypto::Bytes out(sha1.output_length());
  sha1.final(out.data());
  return out;
}

ike::NotifyPayload notify(iana::NotifyMessageType type, crypto::Bytes data) {
  ike::NotifyPayload n;
  n.protocol = iana::SecurityProtocolId::NONE;
  n.type = type;
  n.data = std::move(data);
  return n;
}

}  // namespace

crypto::Bytes nat_detection_data(uint64_t spi_i, uint64_t spi_r, const Endpoint& endpoint) {
  return digest(*make_sha1(), spi_i, spi_r, endpoint);
}

ike::NotifyPayload nat_detection_notify(iana::NotifyMessageType type, uint64_t spi_i, uint64_t spi_r,
                                        const Endpoint& endpoint) {
  return notify(type, nat_detection_data(spi_i, spi_r, endpoint));
}

std::vector<ike::NotifyPayload> nat_detection_notifies(uint64_t spi_i, uint64_t spi_r, const Endpoint& source,
                                                       const Endpoint& destination) {
  const auto sha1 = make_sha1();
  std::vector<ike::NotifyPayload> out;
  out.reserve(2);
  out.push_back(
      notify(iana::NotifyMessageType::NAT_DETECTION_SOURCE_IP, digest(*sha1, spi_i, spi_r, source)));
  out.push_back(notify(iana::NotifyMessageType::NAT_DETECTION_DESTINATION_IP,
                       digest(*sha1, spi_i, spi_r, destination)));
  return out;
}

NatDetection evaluate_nat_detection(uint64_t spi_i, uint64_t spi_r, const std::vector<ike::Payload>& payloads,
                                    const Endpoint& source, const Endpoint& destination) {
  const auto sources = ike::find_notifies(payloads, iana::NotifyMessageType::NAT_DETECTION_SOURCE_IP);
  const auto destinations =
      ike::find_notifies(payloads, iana::NotifyMessageType::NAT_DETECTION_DESTINATION_IP);
  NatDetection result;
  if (sources.empty() || destinations.empty()) return result;
  result.peer_supports = true;
  const auto sha1 = make_sha1();
  result.remote_behind_nat = !any_matches(sources, digest(*sha1, spi_i, spi_r, source));
  result.local_behind_nat = !any_matches(destinations, digest(*sha1, spi_i, spi_r, destination));
  return result;
}

}  // namespace ipsecd::ikev2
