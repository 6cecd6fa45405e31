// Plain structs for the IKEv2 payloads of RFC 7296 §3.3-§3.16 and RFC 7383 §2.5, and the Payload variant.
#pragma once

#include "crypto/bytes.h"
#include "crypto/iana/authentication_method.h"
#include "crypto/iana/key_exchange_method.h"
#include "daemon/ike/iana/certificate_encoding.h"
#include "daemon/ike/iana/configuration_type.h"
#include "daemon/ike/iana/identification_type.h"
#include "daemon/ike/iana/notify_message_type.h"
#include "daemon/ike/iana/payload_type.h"
#include "daemon/ike/iana/security_protocol_id.h"
#include "daemon/ike/iana/traffic_selector_type.h"
#include "daemon/ike/iana/transform_type.h"

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

// Enum fields hold whatever number arrived on the wire (their underlying types are fixed), so values
// outside the named ones survive decode and re-encode; name() reports them as unknown.
namespace ipsecd::ike {

using crypto::Bytes;

// §3.3.5. TV form (Attribute Format bit set) carries a 16-bit value; TLV form carries bytes.
struct TransformAttribute {
  uint16_t type = 0;  // without the Attribute Format bit
  bool tv = true;
  uint16_t tv_value = 0;
  Bytes tlv_value;

  static TransformAttribute key_length(uint16_t bits);
  bool operator==(const TransformAttribute&) const = default;
};

// §3.3.2. `id` is a transform ID of the registry named by `type` (crypto/iana/*.h).
struct Transform {
  iana::TransformType type{};
  uint16_t id = 0;
  std::vector<TransformAttribute> attributes;

  // The Key Length attribute in bits, when present (§3.3.5).
  std::optional<uint16_t> key_length() const;
  bool operator==(const Transform&) const = default;
};

// §3.3.1. `spi` is empty (initial IKE SA), 4 bytes (AH, ESP) or 8 bytes (IKE rekey).
struct Proposal {
  uint8_t number = 1;
  iana::SecurityProtocolId protocol{};
  Bytes spi;
  std::vector<Transform> transforms;
  bool operator==(const Proposal&) const = default;
};

struct SaPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::SA;
  std::vector<Proposal> proposals;
  bool operator==(const SaPayload&) const = default;
};

// §3.4
struct KePayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::KE;
  iana::KeyExchangeMethod group{};
  Bytes data;
  bool operator==(const KePayload&) const = default;
};

// §3.5. IDi and IDr share a layout; the tag keeps them apart in the variant.
template <iana::PayloadType T>
struct IdPayloadOf {
  static constexpr iana::PayloadType kType = T;
  iana::IdentificationType type{};
  Bytes data;
  bool operator==(const IdPayloadOf&) const = default;
};
using IdiPayload = IdPayloadOf<iana::PayloadType::IDi>;
using IdrPayload = IdPayloadOf<iana::PayloadType::IDr>;

// §3.6
struct CertPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::CERT;
  iana::CertificateEncoding encoding{};
  Bytes data;
  bool operator==(const CertPayload&) const = default;
};

// §3.7. For X.509 the authority field is a concatenation of 20-byte SHA-1 key hashes, kept raw here.
struct CertReqPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::CERTREQ;
  iana::CertificateEncoding encoding{};
  Bytes authority;
  bool operator==(const CertReqPayload&) const = default;
};

// §3.8
struct AuthPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::AUTH;
  iana::AuthenticationMethod method{};
  Bytes data;
  bool operator==(const AuthPayload&) const = default;
};

// §3.9: 16..256 bytes.
struct NoncePayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::NONCE;
  Bytes data;
  bool operator==(const NoncePayload&) const = default;
};

// §3.10. `spi` is empty, 4 or 8 bytes.
struct NotifyPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::NOTIFY;
  iana::SecurityProtocolId protocol{};
  Bytes spi;
  iana::NotifyMessageType type{};
  Bytes data;
  bool operator==(const NotifyPayload&) const = default;
};

// §3.11. Deleting the IKE SA carries no SPIs; AH and ESP carry 4-byte SPIs.
struct DeletePayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::DELETE;
  iana::SecurityProtocolId protocol{};
  std::vector<uint32_t> spis;
  // IKE only: the Num of SPIs as received. §3.11 implies 0, but with an SPI Size of 0 a non-zero count
  // names no bytes, so such a delete is accepted; keeping the count makes the re-encode byte-identical.
  uint16_t ike_spi_count = 0;
  bool operator==(const DeletePayload&) const = default;
};

// §3.12
struct VendorIdPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::VENDOR_ID;
  Bytes data;
  bool operator==(const VendorIdPayload&) const = default;
};

// §3.13.1. Addresses are 4 bytes for TS_IPV4_ADDR_RANGE and 16 for TS_IPV6_ADDR_RANGE.
struct TrafficSelector {
  iana::TrafficSelectorType type{};
  uint8_t ip_protocol = 0;  // 0: any
  uint16_t start_port = 0;
  uint16_t end_port = 65535;
  Bytes start_address;
  Bytes end_address;
  bool operator==(const TrafficSelector&) const = default;
};

// §3.13. TSi and TSr share a layout; the tag keeps them apart in the variant.
template <iana::PayloadType T>
struct TsPayloadOf {
  static constexpr iana::PayloadType kType = T;
  std::vector<TrafficSelector> selectors;
  bool operator==(const TsPayloadOf&) const = default;
};
using TsiPayload = TsPayloadOf<iana::PayloadType::TSi>;
using TsrPayload = TsPayloadOf<iana::PayloadType::TSr>;

// §3.14, left encrypted: `encrypted` is IV || ciphertext (with padding and Pad Length) || ICV, and
// `first_inner` is the Next Payload field of the SK header, which names the first payload inside.
struct SkPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::SK;
  iana::PayloadType first_inner{};
  Bytes encrypted;
  bool operator==(const SkPayload&) const = default;
};

// §3.15.1
struct ConfigurationAttribute {
  iana::ConfigurationAttributeType type{};  // 15 bits
  Bytes value;
  bool operator==(const ConfigurationAttribute&) const = default;
};

// §3.15
struct CpPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::CP;
  iana::ConfigurationType type{};
  std::vector<ConfigurationAttribute> attributes;
  bool operator==(const CpPayload&) const = default;
};

// §3.16: one whole EAP message (RFC 3748), its own Length field matching the payload.
struct EapPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::EAP;
  Bytes message;
  bool operator==(const EapPayload&) const = default;
};

// RFC 7383 §2.5, left encrypted like SK. `first_inner` is meaningful in fragment 1 only (0 elsewhere).
struct SkfPayload {
  static constexpr iana::PayloadType kType = iana::PayloadType::SKF;
  iana::PayloadType first_inner{};
  uint16_t fragment_number = 1;
  uint16_t total_fragments = 1;
  Bytes encrypted;
  bool operator==(const SkfPayload&) const = default;
};

// A payload type this codec does not parse, skipped because its critical bit was clear (§2.5); kept so
// that decode then encode reproduces the message.
struct UnknownPayload {
  uint8_t type = 0;
  Bytes body;
  bool operator==(const UnknownPayload&) const = default;
};

using PayloadBody =
    std::variant<SaPayload, KePayload, IdiPayload, IdrPayload, CertPayload, CertReqPayload, AuthPayload,
                 NoncePayload, NotifyPayload, DeletePayload, VendorIdPayload, TsiPayload, TsrPayload,
                 SkPayload, CpPayload, EapPayload, SkfPayload, UnknownPayload>;

// One payload as it sits in a chain. `critical` is the generic header's C bit as received or to send
// (§3.2); a receiver ignores it on types it understands.
struct Payload {
  PayloadBody body;
  bool critical = false;

  iana::PayloadType type() const;
  bool operator==(const Payload&) const = default;
};

// The first payload of type T in a chain, or nullptr.
template <typename T>
const T* find_first(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads) {
    if (const auto* body = std::get_if<T>(&p.body)) return body;
  }
  return nullptr;
}

// Every Notify payload of one type, in chain order.
std::vector<const NotifyPayload*> find_notifies(const std::vector<Payload>& payloads,
                                                iana::NotifyMessageType type);

}  // namespace ipsecd::ike
