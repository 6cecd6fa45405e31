// Whole IKEv2 messages and bare payload chains (RFC 7296 §3.1, §3.2, §3.14; RFC 7383 §2.5).
#include "daemon/ike/message_codec.h"

#include "daemon/ike/byte_reader.h"
#include "daemon/ike/byte_writer.h"
#include "daemon/ike/codec_limits.h"
#include "daemon/ike/payload_codec.h"

#include <fmt/format.h>

#include <limits>

namespace ipsecd::ike {

namespace {

using iana::PayloadType;

constexpr size_t kGenericHeaderLength = 4;
constexpr uint8_t kCriticalBit = 0x80;
// Fragment Number and Total Fragments precede the IV in SKF and belong to the associated data.
constexpr size_t kSkfFragmentFieldsLength = 4;
// Room the encoders reserve up front, so that a message's buffer is allocated once instead of growing byte
// by byte. IKE_SA_INIT with X25519 or MODP-2048 and IKE_AUTH with PSK fit. Not 1280 (RFC 7296 §2's size
// every implementation must accept): a request of more than 1000 bytes is a large-bin block for glibc's
// malloc, which first merges all freed small blocks (malloc_consolidate), measured at 2 % of a handshake.
constexpr size_t kReservedLength = 1000;

bool is_encrypted(uint8_t type) {
  return type == static_cast<uint8_t>(PayloadType::SK) || type == static_cast<uint8_t>(PayloadType::SKF);
}

struct Chain {
  std::vector<Payload> payloads;
  std::optional<size_t> encrypted_offset;
};

Expected<Chain, DecodeError> decode_chain(uint8_t first, ByteReader& r, bool allow_encrypted) {
  Chain chain;
  uint8_t type = first;
  while (type != static_cast<uint8_t>(PayloadType::NO_NEXT_PAYLOAD)) {
    r.set_payload_type(type);
    const size_t start = r.offset();
    if (chain.payloads.size() == kMaxPayloadsPerChain) {
      return r.fail(DecodeErrorCode::too_many, fmt::format("more than {} payloads", kMaxPayloadsPerChain));
    }
    uint8_t next = 0, flags = 0;
    uint16_t length = 0;
    if (!r.u8(next) || !r.u8(flags) || !r.u16(length)) return r.error();
    if (length < kGenericHeaderLength) {
      return r.fail_at(start + 2, DecodeErrorCode::bad_length,
                       fmt::format("payload length {} is shorter than the generic header", length));
    }
    if (length - kGenericHeaderLength > r.remaining()) {
      return r.fail_at(start + 2, DecodeErrorCode::bad_length,
                       fmt::format("payload length {} runs past the end ({} bytes left)", length,
                                   r.remaining() + kGenericHeaderLength));
    }
    Payload payload;
    payload.critical = (flags & kCriticalBit) != 0;
    if (!is_parsed_payload_type(type) && payload.critical) {
      return r.fail_at(start, DecodeErrorCode::unsupported_critical_payload,
                       fmt::format("payload type {} is not supported and is marked critical", type));
    }
    const bool encrypted = is_encrypted(type);
    if (encrypted && !allow_encrypted) {
      return r.fail_at(start, DecodeErrorCode::bad_structure,
                       "an encrypted payload inside an encrypted payload");
    }
    ByteReader body(ByteView{}, 0, type);
    if (!r.sub(length - kGenericHeaderLength, body)) return r.error();
    if (encrypted) {
      chain.encrypted_offset =
          body.offset() + (type == static_cast<uint8_t>(PayloadType::SKF) ? kSkfFragmentFieldsLength : 0);
    }
    auto decoded = decode_payload_body(type, next, body);
    if (!decoded) return unexpected(decoded.error());
    payload.body = std::move(*decoded);
    chain.payloads.push_back(std::move(payload));
    // §3.14: SK's Next Payload names the first payload inside it, so the outer chain ends here.
    if (encrypted) {
      if (!r.empty()) {
        return r.fail(
            DecodeErrorCode::bad_structure,
            fmt::format("{} bytes follow the encrypted payload, which must be last", r.remaining()));
      }
      break;
    }
    type = next;
  }
  if (!r.empty()) {
    r.set_payload_type(0);
    return r.fail(DecodeErrorCode::bad_structure,
                  fmt::format("{} bytes follow the last payload of the chain", r.remaining()));
  }
  return chain;
}

Expected<std::optional<size_t>, std::string> encode_chain(const std::vector<Payload>& payloads,
                                                          ByteWriter& out, bool allow_encrypted) {
  if (payloads.size() > kMaxPayloadsPerChain) {
    return unexpected(fmt::format("{} payloads, more than {}", payloads.size(), kMaxPayloadsPerChain));
  }
  std::optional<size_t> encrypted_offset;
  for (size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    const auto type = static_cast<uint8_t>(p.type());
    const bool last = i + 1 == payloads.size();
    if (const auto* u = std::get_if<UnknownPayload>(&p.body)) {
      if (u->type == 0 || is_parsed_payload_type(u->type)) {
        return unexpected(fmt::format("an unknown payload cannot have type {}", u->type));
      }
    }
    uint8_t next = last ? 0 : static_cast<uint8_t>(payloads[i + 1].type());
    if (is_encrypted(type)) {
      if (!allow_encrypted)
        return unexpected(std::string("an encrypted payload inside an encrypted payload"));
      if (!last) return unexpected(std::string("the encrypted payload must be the last one"));
      if (const auto* sk = std::get_if<SkPayload>(&p.body)) next = static_cast<uint8_t>(sk->first_inner);
      if (const auto* skf = std::get_if<SkfPayload>(&p.body)) next = static_cast<uint8_t>(skf->first_inner);
    }
    const size_t start = out.size();
    out.u8(next);
    out.u8(p.critical ? kCriticalBit : 0);
    out.u16(0);
    if (is_encrypted(type)) {
      encrypted_offset =
          out.size() + (type == static_cast<uint8_t>(PayloadType::SKF) ? kSkfFragmentFieldsLength : 0);
    }
    auto ok = encode_payload_body(p.body, out);
    if (!ok) return unexpected(fmt::format("{} payload: {}", iana::name(p.type()), ok.error()));
    const size_t length = out.size() - start;
    if (length > std::numeric_limits<uint16_t>::max()) {
      return unexpected(fmt::format("{} payload of {} bytes exceeds 65535", iana::name(p.type()), length));
    }
    out.patch_u16(start + 2, static_cast<uint16_t>(length));
  }
  return encrypted_offset;
}

}  // namespace

Expected<DecodedMessage, DecodeError> decode_message(crypto::ByteView datagram) {
  auto header = decode_header(datagram);
  if (!header) return unexpected(header.error());
  if (header->header.major_version != kIkeV2MajorVersion) {
    return unexpected(DecodeError{DecodeErrorCode::bad_version, 17, 0,
                                  fmt::format("major version {} is not 2", header->header.major_version)});
  }
  const auto first = static_cast<uint8_t>(header->next_payload);
  ByteReader r(datagram.subspan(kHeaderLength), kHeaderLength, first);
  auto chain = decode_chain(first, r, true);
  if (!chain) return unexpected(chain.error());
  return DecodedMessage{Message{header->header, std::move(chain->payloads)}, chain->encrypted_offset};
}

Expected<std::vector<Payload>, DecodeError> decode_payloads(iana::PayloadType first, crypto::ByteView bytes) {
  const auto type = static_cast<uint8_t>(first);
  ByteReader r(bytes, 0, type);
  auto chain = decode_chain(type, r, false);
  if (!chain) return unexpected(chain.error());
  return std::move(chain->payloads);
}

Expected<EncodedMessage, std::string> encode_message(const Message& message) {
  EncodedMessage encoded;
  encoded.bytes.reserve(kReservedLength);
  ByteWriter out(encoded.bytes);
  encode_header(message.header, first_payload_type(message.payloads), 0, out);
  auto offset = encode_chain(message.payloads, out, true);
  if (!offset) return unexpected(offset.error());
  if (out.size() > kMaxMessageLength) {
    return unexpected(fmt::format("message of {} bytes exceeds {}", out.size(), kMaxMessageLength));
  }
  constexpr size_t kLengthOffset = 24;
  out.patch_u32(kLengthOffset, static_cast<uint32_t>(out.size()));
  encoded.encrypted_offset = *offset;
  return encoded;
}

Expected<crypto::Bytes, std::string> encode_payloads(const std::vector<Payload>& payloads) {
  crypto::Bytes bytes;
  bytes.reserve(kReservedLength);
  ByteWriter out(bytes);
  auto offset = encode_chain(payloads, out, false);
  if (!offset) return unexpected(offset.error());
  return bytes;
}

iana::PayloadType first_payload_type(const std::vector<Payload>& payloads) {
  return payloads.empty() ? PayloadType::NO_NEXT_PAYLOAD : payloads.front().type();
}

}  // namespace ipsecd::ike
