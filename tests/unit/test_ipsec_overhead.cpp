// Per-packet ESP/AH overhead and the MSS that fits a path: sizes checked by hand against RFC 4303/4302.
#include "crypto/ipsec_overhead.h"

#include <catch2/catch.hpp>

using namespace ipsecd::crypto;
using ipsecd::iana::EncryptionAlgorithm;
using ipsecd::iana::IntegrityAlgorithm;

namespace {

SaFraming framing_of(const SaFramingSpec& spec) {
  auto framing = sa_framing(spec);
  REQUIRE(framing.has_value());
  return *framing;
}

}  // namespace

TEST_CASE("ESP AES-CBC with HMAC-SHA1-96 in tunnel mode adds at most 73 octets", "[ipsec-overhead]") {
  // 20 outer IPv4 + 8 ESP + 16 IV + up to 15 padding + 2 trailer + 12 ICV: the figure vendors publish.
  const SaFramingSpec spec{EspTransforms{EncryptionAlgorithm::ENCR_AES_CBC, IntegrityAlgorithm::AUTH_HMAC_SHA1_96},
                           std::nullopt, true, false, false};
  const auto framing = framing_of(spec);
  CHECK(framing.worst_case_overhead() == 73);
  // 20 + 8 + 16 + roundup(1438 + 2, 16) = 1440 + 12 = 1496; 1439 would pad to 1456 and overflow.
  CHECK(largest_protected_payload(framing, spec, 1500) == 1438);
  CHECK(tcp_mss_for_path(framing, spec, 1500) == 1398);
}

TEST_CASE("ESP AES-GCM-16 tunnel fits a 1446-octet inner packet into 1500", "[ipsec-overhead]") {
  SaFramingSpec spec{EspTransforms{EncryptionAlgorithm::ENCR_AES_GCM_16, IntegrityAlgorithm::NONE}, std::nullopt,
                     true, false, false};
  auto framing = framing_of(spec);
  CHECK(framing.worst_case_overhead() == 20 + 8 + 8 + 3 + 2 + 16);
  CHECK(largest_protected_payload(framing, spec, 1500) == 1446);  // 36 + 1448 + 16 = 1500
  CHECK(tcp_mss_for_path(framing, spec, 1500) == 1406);

  spec.udp_encapsulation = true;  // RFC 3948: 8 more octets, and the 4-octet alignment moves with them
  framing = framing_of(spec);
  CHECK(largest_protected_payload(framing, spec, 1500) == 1438);
  CHECK(tcp_mss_for_path(framing, spec, 1500) == 1398);
}

TEST_CASE("AH alone pads its header to 32 bits over IPv4 and 64 bits over IPv6", "[ipsec-overhead]") {
  SaFramingSpec spec{std::nullopt, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128, false, false, false};
  auto framing = framing_of(spec);
  CHECK(framing.worst_case_overhead() == 28);
  CHECK(largest_protected_payload(framing, spec, 1500) == 1500 - 20 - 28);
  CHECK(tcp_mss_for_path(framing, spec, 1500) == 1432);

  spec.ipv6 = true;
  framing = framing_of(spec);
  CHECK(framing.worst_case_overhead() == 32);
  CHECK(tcp_mss_for_path(framing, spec, 1500) == 1500 - 40 - 32 - 20);
}

TEST_CASE("An ESP+AH bundle adds both headers", "[ipsec-overhead]") {
  const SaFramingSpec spec{EspTransforms{EncryptionAlgorithm::ENCR_AES_GCM_16, IntegrityAlgorithm::NONE},
                           IntegrityAlgorithm::AUTH_HMAC_SHA1_96, false, false, false};
  const auto framing = framing_of(spec);
  CHECK(framing.worst_case_overhead() == 24 + 8 + 8 + 3 + 2 + 16);
  // 20 IP + 24 AH + 16 ESP + roundup(L + 2, 4) + 16 <= 1500.
  CHECK(largest_protected_payload(framing, spec, 1500) == 1422);
}

TEST_CASE("Unknown transforms and tiny MTUs are reported, not guessed", "[ipsec-overhead]") {
  CHECK_FALSE(sa_framing(SaFramingSpec{}).has_value());
  const SaFramingSpec unknown{EspTransforms{static_cast<EncryptionAlgorithm>(250), IntegrityAlgorithm::NONE},
                              std::nullopt, true, false, false};
  const auto error = sa_framing(unknown);
  REQUIRE_FALSE(error.has_value());
  CHECK(error.error().find("250") != std::string::npos);

  const SaFramingSpec spec{EspTransforms{EncryptionAlgorithm::ENCR_AES_CBC, IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128},
                           std::nullopt, true, false, false};
  const auto framing = framing_of(spec);
  CHECK(largest_protected_payload(framing, spec, 40) == 0);
  CHECK(tcp_mss_for_path(framing, spec, 100) == 0);
}
