// Body of each IKEv2 payload (RFC 7296 §3.4-§3.16, RFC 7383 §2.5), decode and encode.
#include "daemon/ike/payload_codec.h"

#include "daemon/ike/codec_limits.h"
#include "daemon/ike/sa_codec.h"
#include "daemon/ike/traffic_selector_codec.h"

#include <fmt/format.h>

#include <limits>

namespace ipsecd::ike {

namespace {

using iana::PayloadType;

Expected<KePayload, DecodeError> decode_ke(ByteReader& r) {
  KePayload ke;
  uint16_t group = 0;
  if (!r.u16(group) || !r.skip(2)) return r.error();
  ke.group = static_cast<iana::KeyExchangeMethod>(group);
  ke.data = r.rest();
  return ke;
}

// Address identities have a fixed size (§3.5); 0 for the variable-length types.
size_t id_address_size(iana::IdentificationType type) {
  switch (type) {
    case iana::IdentificationType::ID_IPV4_ADDR:
      return 4;
    case iana::IdentificationType::ID_IPV6_ADDR:
      return 16;
    default:
      return 0;
  }
}

template <PayloadType T>
Expected<IdPayloadOf<T>, DecodeError> decode_id(ByteReader& r) {
  IdPayloadOf<T> id;
  uint8_t type = 0;
  if (!r.u8(type) || !r.skip(3)) return r.error();
  id.type = static_cast<iana::IdentificationType>(type);
  const size_t wanted = id_address_size(id.type);
  if (wanted != 0 && r.remaining() != wanted) {
    return r.fail(DecodeErrorCode::bad_length,
                  fmt::format("{} carries {} bytes, must be {}", iana::name(id.type), r.remaining(), wanted));
  }
  id.data = r.rest();
  return id;
}

Expected<AuthPayload, DecodeError> decode_auth(ByteReader& r) {
  AuthPayload auth;
  uint8_t method = 0;
  if (!r.u8(method) || !r.skip(3)) return r.error();
  auth.method = static_cast<iana::AuthenticationMethod>(method);
  auth.data = r.rest();
  return auth;
}

Expected<NoncePayload, DecodeError> decode_nonce(ByteReader& r) {
  if (r.remaining() < kMinNonceLength || r.remaining() > kMaxNonceLength) {
    return r.fail(DecodeErrorCode::bad_length, fmt::format("nonce of {} bytes, must be {} to {}",
                                                           r.remaining(), kMinNonceLength, kMaxNonceLength));
  }
  return NoncePayload{r.rest()};
}

Expected<NotifyPayload, DecodeError> decode_notify(ByteReader& r) {
  NotifyPayload n;
  uint8_t protocol = 0, spi_size = 0;
  uint16_t type = 0;
  if (!r.u8(protocol) || !r.u8(spi_size) || !r.u16(type)) return r.error();
  n.protocol = static_cast<iana::SecurityProtocolId>(protocol);
  n.type = static_cast<iana::NotifyMessageType>(type);
  // §3.10 says which SPI sizes the known notifications use (0, 4 for AH/ESP, 8 for IKE) but does not
  // forbid others: the SPI is kept as given and judged by whoever handles that notification type.
  if (!r.bytes(spi_size, n.spi)) return r.error();
  n.data = r.rest();
  return n;
}

// §3.11: "SPI Size ... MUST be zero for IKE (SPI is in message header) or four for AH and ESP."
Expected<DeletePayload, DecodeError> decode_delete(ByteReader& r) {
  DeletePayload d;
  uint8_t protocol = 0, spi_size = 0;
  uint16_t count = 0;
  if (!r.u8(protocol) || !r.u8(spi_size) || !r.u16(count)) return r.error();
  d.protocol = static_cast<iana::SecurityProtocolId>(protocol);
  const bool ike = d.protocol == iana::SecurityProtocolId::IKE;
  const bool child =
      d.protocol == iana::SecurityProtocolId::AH || d.protocol == iana::SecurityProtocolId::ESP;
  if (!ike && !child) {
    return r.fail(DecodeErrorCode::bad_value, fmt::format("cannot delete protocol {}", protocol));
  }
  if ((ike && spi_size != 0) || (child && spi_size != 4)) {
    return r.fail(DecodeErrorCode::bad_value,
                  fmt::format("SPI size {} is wrong for deleting {}", spi_size, iana::name(d.protocol)));
  }
  // An IKE delete with a non-zero Num of SPIs still has no SPI bytes (their size is 0): nothing is
  // ambiguous, so it is accepted and the count kept for a byte-identical re-encode.
  if (ike) d.ike_spi_count = count;
  if (static_cast<size_t>(count) * spi_size != r.remaining()) {
    return r.fail(DecodeErrorCode::bad_length,
                  fmt::format("{} SPIs of {} bytes need {} bytes but {} remain", count, spi_size,
                              static_cast<size_t>(count) * spi_size, r.remaining()));
  }
  for (size_t i = 0; child && i < count; ++i) {
    uint32_t spi = 0;
    if (!r.u32(spi)) return r.error();
    d.spis.push_back(spi);
  }
  return d;
}

template <PayloadType T>
Expected<TsPayloadOf<T>, DecodeError> decode_ts(ByteReader& r) {
  auto selectors = decode_traffic_selectors(r);
  if (!selectors) return unexpected(selectors.error());
  return TsPayloadOf<T>{std::move(*selectors)};
}

Expected<CpPayload, DecodeError> decode_cp(ByteReader& r) {
  CpPayload cp;
  uint8_t type = 0;
  if (!r.u8(type) || !r.skip(3)) return r.error();
  cp.type = static_cast<iana::ConfigurationType>(type);
  while (!r.empty()) {
    if (cp.attributes.size() == kMaxConfigurationAttributes) {
      return r.fail(DecodeErrorCode::too_many,
                    fmt::format("more than {} configuration attributes", kMaxConfigurationAttributes));
    }
    ConfigurationAttribute a;
    uint16_t attribute_type = 0, length = 0;
    if (!r.u16(attribute_type) || !r.u16(length)) return r.error();
    // The top bit is reserved (§3.15.1): ignored here, sent as zero.
    a.type = static_cast<iana::ConfigurationAttributeType>(attribute_type & 0x7fff);
    if (length > r.remaining()) {
      return r.fail(
          DecodeErrorCode::bad_length,
          fmt::format("configuration attribute claims {} bytes but {} remain", length, r.remaining()));
    }
    if (!r.bytes(length, a.value)) return r.error();
    cp.attributes.push_back(std::move(a));
  }
  return cp;
}

// RFC 3748 §4: Code, Identifier, Length (of the whole EAP packet); kept whole.
Expected<EapPayload, DecodeError> decode_eap(ByteReader& r) {
  ByteReader peek = r;
  uint8_t code = 0, identifier = 0;
  uint16_t length = 0;
  if (!peek.u8(code) || !peek.u8(identifier) || !peek.u16(length)) return peek.error();
  if (length != r.remaining()) {
    return r.fail_at(r.offset() + 2, DecodeErrorCode::bad_length,
                     fmt::format("EAP Length is {} but the payload carries {} bytes", length, r.remaining()));
  }
  return EapPayload{r.rest()};
}

Expected<SkfPayload, DecodeError> decode_skf(uint8_t next_payload, ByteReader& r) {
  SkfPayload skf;
  skf.first_inner = static_cast<PayloadType>(next_payload);
  if (!r.u16(skf.fragment_number) || !r.u16(skf.total_fragments)) return r.error();
  if (skf.fragment_number == 0 || skf.fragment_number > skf.total_fragments) {
    return r.fail(DecodeErrorCode::bad_value, fmt::format("fragment {} of {}: need 1 <= number <= total",
                                                          skf.fragment_number, skf.total_fragments));
  }
  skf.encrypted = r.rest();
  return skf;
}

template <typename T>
Expected<PayloadBody, DecodeError> widen(Expected<T, DecodeError> decoded) {
  if (!decoded) return unexpected(decoded.error());
  return PayloadBody{std::move(*decoded)};
}

}  // namespace

bool is_parsed_payload_type(uint8_t type) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::SA:
    case PayloadType::KE:
    case PayloadType::IDi:
    case PayloadType::IDr:
    case PayloadType::CERT:
    case PayloadType::CERTREQ:
    case PayloadType::AUTH:
    case PayloadType::NONCE:
    case PayloadType::NOTIFY:
    case PayloadType::DELETE:
    case PayloadType::VENDOR_ID:
    case PayloadType::TSi:
    case PayloadType::TSr:
    case PayloadType::SK:
    case PayloadType::CP:
    case PayloadType::EAP:
    case PayloadType::SKF:
      return true;
    default:
      return false;
  }
}

Expected<PayloadBody, DecodeError> decode_payload_body(uint8_t type, uint8_t next_payload, ByteReader& body) {
  switch (static_cast<PayloadType>(type)) {
    case PayloadType::SA:
      return widen(decode_sa(body));
    case PayloadType::KE:
      return widen(decode_ke(body));
    case PayloadType::IDi:
      return widen(decode_id<PayloadType::IDi>(body));
    case PayloadType::IDr:
      return widen(decode_id<PayloadType::IDr>(body));
    case PayloadType::CERT: {
      uint8_t encoding = 0;
      if (!body.u8(encoding)) return body.error();
      return PayloadBody{CertPayload{static_cast<iana::CertificateEncoding>(encoding), body.rest()}};
    }
    case PayloadType::CERTREQ: {
      uint8_t encoding = 0;
      if (!body.u8(encoding)) return body.error();
      return PayloadBody{CertReqPayload{static_cast<iana::CertificateEncoding>(encoding), body.rest()}};
    }
    case PayloadType::AUTH:
      return widen(decode_auth(body));
    case PayloadType::NONCE:
      return widen(decode_nonce(body));
    case PayloadType::NOTIFY:
      return widen(decode_notify(body));
    case PayloadType::DELETE:
      return widen(decode_delete(body));
    case PayloadType::VENDOR_ID:
      return PayloadBody{VendorIdPayload{body.rest()}};
    case PayloadType::TSi:
      return widen(decode_ts<PayloadType::TSi>(body));
    case PayloadType::TSr:
      return widen(decode_ts<PayloadType::TSr>(body));
    case PayloadType::SK:
      return PayloadBody{SkPayload{static_cast<PayloadType>(next_payload), body.rest()}};
    case PayloadType::CP:
      return widen(decode_cp(body));
    case PayloadType::EAP:
      return widen(decode_eap(body));
    case PayloadType::SKF:
      return widen(decode_skf(next_payload, body));
    default:
      return PayloadBody{UnknownPayload{type, body.rest()}};
  }
}

namespace {

struct BodyEncoder {
  ByteWriter& out;

  Expected<Ok, std::string> operator()(const SaPayload& sa) { return encode_sa(sa, out); }
  Expected<Ok, std::string> operator()(const KePayload& ke) {
    out.u16(static_cast<uint16_t>(ke.group));
    out.u16(0);
    out.bytes(ke.data);
    return Ok{};
  }
  template <PayloadType T>
  Expected<Ok, std::string> operator()(const IdPayloadOf<T>& id) {
    const size_t wanted = id_address_size(id.type);
    if (wanted != 0 && id.data.size() != wanted) {
      return unexpected(fmt::format("{} needs {} bytes", iana::name(id.type), wanted));
    }
    out.u8(static_cast<uint8_t>(id.type));
    out.zeros(3);
    out.bytes(id.data);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const CertPayload& cert) {
    out.u8(static_cast<uint8_t>(cert.encoding));
    out.bytes(cert.data);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const CertReqPayload& req) {
    out.u8(static_cast<uint8_t>(req.encoding));
    out.bytes(req.authority);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const AuthPayload& auth) {
    out.u8(static_cast<uint8_t>(auth.method));
    out.zeros(3);
    out.bytes(auth.data);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const NoncePayload& nonce) {
    if (nonce.data.size() < kMinNonceLength || nonce.data.size() > kMaxNonceLength) {
      return unexpected(fmt::format("nonce of {} bytes, must be {} to {}", nonce.data.size(), kMinNonceLength,
                                    kMaxNonceLength));
    }
    out.bytes(nonce.data);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const NotifyPayload& n) {
    if (n.spi.size() > std::numeric_limits<uint8_t>::max()) {
      return unexpected(fmt::format("notify SPI of {} bytes does not fit the SPI Size field", n.spi.size()));
    }
    out.u8(static_cast<uint8_t>(n.protocol));
    out.u8(static_cast<uint8_t>(n.spi.size()));
    out.u16(static_cast<uint16_t>(n.type));
    out.bytes(n.spi);
    out.bytes(n.data);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const DeletePayload& d) {
    const bool ike = d.protocol == iana::SecurityProtocolId::IKE;
    const bool child =
        d.protocol == iana::SecurityProtocolId::AH || d.protocol == iana::SecurityProtocolId::ESP;
    if (!ike && !child) return unexpected(fmt::format("cannot delete protocol {}", iana::name(d.protocol)));
    if (ike && !d.spis.empty()) return unexpected(std::string("deleting the IKE SA names no SPIs"));
    if (!ike && d.ike_spi_count != 0) return unexpected(std::string("ike_spi_count is for IKE deletes only"));
    if (d.spis.size() > std::numeric_limits<uint16_t>::max()) return unexpected(std::string("too many SPIs"));
    out.u8(static_cast<uint8_t>(d.protocol));
    out.u8(ike ? 0 : 4);
    out.u16(ike ? d.ike_spi_count : static_cast<uint16_t>(d.spis.size()));
    for (uint32_t spi : d.spis) out.u32(spi);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const VendorIdPayload& v) {
    out.bytes(v.data);
    return Ok{};
  }
  template <PayloadType T>
  Expected<Ok, std::string> operator()(const TsPayloadOf<T>& ts) {
    return encode_traffic_selectors(ts.selectors, out);
  }
  Expected<Ok, std::string> operator()(const SkPayload& sk) {
    out.bytes(sk.encrypted);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const CpPayload& cp) {
    if (cp.attributes.size() > kMaxConfigurationAttributes) {
      return unexpected(fmt::format("{} configuration attributes, more than {}", cp.attributes.size(),
                                    kMaxConfigurationAttributes));
    }
    out.u8(static_cast<uint8_t>(cp.type));
    out.zeros(3);
    for (const auto& a : cp.attributes) {
      if (static_cast<uint16_t>(a.type) > 0x7fff)
        return unexpected(std::string("attribute type exceeds 15 bits"));
      if (a.value.size() > std::numeric_limits<uint16_t>::max()) {
        return unexpected(std::string("configuration attribute longer than 65535 bytes"));
      }
      out.u16(static_cast<uint16_t>(a.type));
      out.u16(static_cast<uint16_t>(a.value.size()));
      out.bytes(a.value);
    }
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const EapPayload& eap) {
    const auto& m = eap.message;
    if (m.size() < 4 || static_cast<size_t>((m[2] << 8) | m[3]) != m.size()) {
      return unexpected(std::string("EAP message shorter than its header or its Length field disagrees"));
    }
    out.bytes(eap.message);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const SkfPayload& skf) {
    if (skf.fragment_number == 0 || skf.fragment_number > skf.total_fragments) {
      return unexpected(fmt::format("fragment {} of {}", skf.fragment_number, skf.total_fragments));
    }
    out.u16(skf.fragment_number);
    out.u16(skf.total_fragments);
    out.bytes(skf.encrypted);
    return Ok{};
  }
  Expected<Ok, std::string> operator()(const UnknownPayload& u) {
    out.bytes(u.body);
    return Ok{};
  }
};

}  // namespace

Expected<Ok, std::string> encode_payload_body(const PayloadBody& body, ByteWriter& out) {
  return std::visit(BodyEncoder{out}, body);
}

}  // namespace ipsecd::ike
