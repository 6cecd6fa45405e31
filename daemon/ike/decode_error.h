// Why an IKEv2 message or payload failed to decode: a code the engine can act on, where, and a sentence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecd::ike {

enum class DecodeErrorCode : uint8_t {
  // Fewer bytes remain in the enclosing structure than a field needs.
  truncated,
  // A length field disagrees with its container or with the size its type requires.
  bad_length,
  // A field holds a value the RFC forbids (SPI size, fragment number, ...).
  bad_value,
  // The header's major version is not 2: the engine answers INVALID_MAJOR_VERSION (§2.5).
  bad_version,
  // Substructures are out of order: payload chain, SK not last, proposal numbering, last/more flags.
  bad_structure,
  // An unrecognised payload has the critical bit set: the engine answers UNSUPPORTED_CRITICAL_PAYLOAD
  // carrying DecodeError::payload_type (§2.5, §3.2).
  unsupported_critical_payload,
  // A count exceeds the codec's cap (codec_limits.h).
  too_many,
  // The message is longer than the codec accepts.
  too_large,
};

std::string_view name(DecodeErrorCode code);

struct DecodeError {
  DecodeErrorCode code;
  // Byte offset in the decoded buffer (the datagram, or the SK plaintext when decoding an inner chain).
  size_t offset;
  // Payload type number being decoded when it failed (0 in the IKE header); for
  // unsupported_critical_payload, the unrecognised type itself.
  uint8_t payload_type;
  std::string message;
};

// One line for logs: "<code> at offset N in <payload>: <message>".
std::string to_string(const DecodeError& error);

}  // namespace ipsecd::ike
