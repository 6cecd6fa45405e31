// What ESP and AH add to every packet (RFC 4303 §2, RFC 4302 §2), and the largest packet and TCP MSS
// that fit a path MTU once protected: the figures a user needs for MTU and MSS clamping.
#pragma once

#include "common/expected.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"

#include <cstddef>
#include <optional>
#include <string>

namespace ipsecd::crypto {

struct EspTransforms {
  iana::EncryptionAlgorithm encryption{};
  iana::IntegrityAlgorithm integrity = iana::IntegrityAlgorithm::NONE;  // NONE with combined-mode ciphers
};

// One SA bundle as it frames packets: ESP, AH or both (AH outside ESP), in tunnel or transport mode.
struct SaFramingSpec {
  std::optional<EspTransforms> esp;
  std::optional<iana::IntegrityAlgorithm> ah;
  bool tunnel = true;
  bool ipv6 = false;               // of the outer header
  bool udp_encapsulation = false;  // NAT traversal, RFC 3948 §2.1: 8 octets of UDP header
};

struct SaFraming {
  size_t header = 0;   // in front of the protected payload: outer IP (tunnel), UDP, AH, ESP header and IV
  size_t padded_trailer = 0;  // padded together with the payload: ESP Pad Length and Next Header
  size_t block = 1;           // payload plus padded_trailer is padded up to a multiple of this
  size_t icv = 0;             // ESP's ICV at the very end (AH's ICV sits in its header)
  // The most a packet can grow: headers, trailer, ICV and the worst-case padding.
  size_t worst_case_overhead() const { return header + padded_trailer + (block - 1) + icv; }
};

// Unknown or unsupported transforms are errors naming them.
Expected<SaFraming, std::string> sa_framing(const SaFramingSpec& spec);

// The largest payload the SA can protect within `path_mtu` (the inner IP packet in tunnel mode, the
// transport payload in transport mode), counting the padding exactly. 0 when nothing fits.
size_t largest_protected_payload(const SaFraming& framing, const SaFramingSpec& spec, size_t path_mtu);

// The TCP MSS that fits `path_mtu` through this SA (inner headers without options; in tunnel mode the
// inner packet has the outer header's IP version).
size_t tcp_mss_for_path(const SaFraming& framing, const SaFramingSpec& spec, size_t path_mtu);

}  // namespace ipsecd::crypto
