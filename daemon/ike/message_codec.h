// Whole IKEv2 messages and bare payload chains (RFC 7296 §3): decode with strict checks, and encode.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "daemon/ike/decode_error.h"
#include "daemon/ike/header.h"
#include "daemon/ike/payloads.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::ike {

struct Message {
  Header header;
  std::vector<Payload> payloads;
  bool operator==(const Message&) const = default;
};

// `encrypted_offset` is where the SK payload's IV starts (for SKF, after Fragment Number and Total
// Fragments), present when the chain ends in SK or SKF. Bytes [0, encrypted_offset) are the associated
// data of §3.14 and RFC 7383 §2.5; the SK/SKF payload's `encrypted` holds bytes [encrypted_offset, end).
struct DecodedMessage {
  Message message;
  std::optional<size_t> encrypted_offset;
};

// To send SK: encode with an `encrypted` placeholder of the final size (IV + padded plaintext + ICV),
// seal over bytes [0, encrypted_offset), then write IV || ciphertext || ICV from encrypted_offset on.
struct EncodedMessage {
  crypto::Bytes bytes;
  std::optional<size_t> encrypted_offset;
};

// Decodes one datagram (without the RFC 3948 non-ESP marker). Checks the header (decode_header), that
// the major version is 2, then walks the Next Payload chain: every length within bounds, at most
// kMaxPayloadsPerChain payloads, an unknown critical payload refused (unsupported_critical_payload with
// its type), an unknown non-critical one kept as UnknownPayload, SK or SKF only as the last payload, and
// no bytes after the last payload.
Expected<DecodedMessage, DecodeError> decode_message(crypto::ByteView datagram);

// Decodes a bare chain, e.g. the plaintext inside SK (whose header's Next Payload gives `first`). SK and
// SKF may not appear in it. Error offsets are relative to `bytes`.
Expected<std::vector<Payload>, DecodeError> decode_payloads(iana::PayloadType first, crypto::ByteView bytes);

// Fills in every Next Payload and Length field. Fails when a field cannot hold a value (a payload over
// 65535 bytes, more than 255 transforms, ...), when SK or SKF is not last, or when the message would
// exceed kMaxMessageLength.
Expected<EncodedMessage, std::string> encode_message(const Message& message);

// Encodes a bare chain (for the SK plaintext); SK and SKF may not appear in it.
Expected<crypto::Bytes, std::string> encode_payloads(const std::vector<Payload>& payloads);

// The type the header (or an SK payload) names for this chain: NO_NEXT_PAYLOAD when empty.
iana::PayloadType first_payload_type(const std::vector<Payload>& payloads);

}  // namespace ipsecd::ike
