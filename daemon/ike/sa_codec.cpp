// Body of the SA payload (RFC 7296 §3.3): proposals, transforms and their attributes.
#include "daemon/ike/sa_codec.h"

#include "daemon/ike/codec_limits.h"

#include <fmt/format.h>

#include <limits>

namespace ipsecd::ike {

namespace {

// §3.3.1 and §3.3.2: the first octet of a substructure says whether another one follows.
constexpr uint8_t kLastSubstructure = 0;
constexpr uint8_t kMoreProposals = 2;
constexpr uint8_t kMoreTransforms = 3;
constexpr uint16_t kAttributeFormatTv = 0x8000;
constexpr size_t kProposalHeaderLength = 8;
constexpr size_t kTransformHeaderLength = 8;
// Last Substruc, RESERVED and Length open both proposals and transforms.
constexpr size_t kSubstructureHeaderLength = 4;

Expected<TransformAttribute, DecodeError> decode_attribute(ByteReader& r) {
  TransformAttribute a;
  uint16_t type_and_format = 0, length_or_value = 0;
  if (!r.u16(type_and_format) || !r.u16(length_or_value)) return r.error();
  a.type = static_cast<uint16_t>(type_and_format & ~kAttributeFormatTv);
  a.tv = (type_and_format & kAttributeFormatTv) != 0;
  if (a.tv) {
    a.tv_value = length_or_value;
    return a;
  }
  if (length_or_value > r.remaining()) {
    return r.fail(DecodeErrorCode::bad_length,
                  fmt::format("transform attribute {} claims {} bytes but its transform has {} left", a.type,
                              length_or_value, r.remaining()));
  }
  if (!r.bytes(length_or_value, a.tlv_value)) return r.error();
  return a;
}

Expected<Transform, DecodeError> decode_transform(ByteReader& proposal, bool expect_last) {
  const size_t start = proposal.offset();
  uint8_t more = 0, reserved = 0, type = 0;
  uint16_t length = 0;
  Transform t;
  if (!proposal.u8(more) || !proposal.u8(reserved) || !proposal.u16(length) || !proposal.u8(type) ||
      !proposal.u8(reserved) || !proposal.u16(t.id)) {
    return proposal.error();
  }
  t.type = static_cast<iana::TransformType>(type);
  const uint8_t wanted = expect_last ? kLastSubstructure : kMoreTransforms;
  if (more != wanted) {
    return proposal.fail_at(start, DecodeErrorCode::bad_structure,
                            fmt::format("transform says {} but the proposal's Num Transforms says {}",
                                        more == kLastSubstructure ? "it is the last" : "more follow",
                                        expect_last ? "it is the last" : "more follow"));
  }
  if (length < kTransformHeaderLength || length - kTransformHeaderLength > proposal.remaining()) {
    return proposal.fail_at(start, DecodeErrorCode::bad_length,
                            fmt::format("transform length {} does not fit its proposal ({} bytes left)",
                                        length, proposal.remaining() + kTransformHeaderLength));
  }
  ByteReader attributes(ByteView{}, 0, 0);
  if (!proposal.sub(length - kTransformHeaderLength, attributes)) return proposal.error();
  while (!attributes.empty()) {
    if (t.attributes.size() == kMaxAttributesPerTransform) {
      return attributes.fail(
          DecodeErrorCode::too_many,
          fmt::format("more than {} attributes in one transform", kMaxAttributesPerTransform));
    }
    auto a = decode_attribute(attributes);
    if (!a) return unexpected(a.error());
    t.attributes.push_back(std::move(*a));
  }
  return t;
}

// §3.3.1: SPI Size is 0 for an initial IKE SA, 8 when rekeying it, 4 for AH and ESP.
bool spi_size_allowed(iana::SecurityProtocolId protocol, uint8_t size) {
  switch (protocol) {
    case iana::SecurityProtocolId::IKE:
      return size == 0 || size == 8;
    case iana::SecurityProtocolId::AH:
    case iana::SecurityProtocolId::ESP:
      return size == 4;
    default:
      return size == 0 || size == 4 || size == 8;
  }
}

// How proposal `p` may follow `previous` (§3.3.1): numbered one more, an alternative, or, as RFC 4306
// §3.3.1 allowed for the IPsec protocols (an ESP+AH bundle), numbered the same, a part of one proposal
// with it. Empty when it may; otherwise why not. A number that steps up needs the first to be 1.
std::string numbering_fault(const Proposal& first, const Proposal& previous, const Proposal& p) {
  const bool ipsec = [](iana::SecurityProtocolId a, iana::SecurityProtocolId b) {
    auto is_ipsec = [](iana::SecurityProtocolId x) {
      return x == iana::SecurityProtocolId::ESP || x == iana::SecurityProtocolId::AH;
    };
    return is_ipsec(a) && is_ipsec(b);
  }(previous.protocol, p.protocol);
  if (p.number == previous.number && ipsec) return {};
  if (p.number != previous.number + 1) {
    return fmt::format("proposal {} follows proposal {}", p.number, previous.number);
  }
  if (first.number != 1) return fmt::format("first of several proposals is numbered {}, not 1", first.number);
  return {};
}

Expected<Proposal, DecodeError> decode_proposal(ByteReader& p) {
  Proposal proposal;
  uint8_t protocol = 0, spi_size = 0, transform_count = 0;
  if (!p.u8(proposal.number) || !p.u8(protocol) || !p.u8(spi_size) || !p.u8(transform_count)) {
    return p.error();
  }
  proposal.protocol = static_cast<iana::SecurityProtocolId>(protocol);
  // A one-byte count cannot exceed the cap; a count the payload cannot hold fails as truncated below.
  static_assert(kMaxTransformsPerProposal >= std::numeric_limits<uint8_t>::max());
  if (transform_count == 0) return p.fail(DecodeErrorCode::bad_value, "proposal has no transforms");
  if (!spi_size_allowed(proposal.protocol, spi_size)) {
    return p.fail(DecodeErrorCode::bad_value, fmt::format("SPI size {} is not allowed for protocol {}",
                                                          spi_size, iana::name(proposal.protocol)));
  }
  if (!p.bytes(spi_size, proposal.spi)) return p.error();
  for (size_t i = 0; i < transform_count; ++i) {
    auto t = decode_transform(p, i + 1 == transform_count);
    if (!t) return unexpected(t.error());
    proposal.transforms.push_back(std::move(*t));
  }
  if (!p.empty()) {
    return p.fail(DecodeErrorCode::bad_length,
                  fmt::format("{} bytes follow the last of {} transforms in the proposal", p.remaining(),
                              transform_count));
  }
  return proposal;
}

}  // namespace

Expected<SaPayload, DecodeError> decode_sa(ByteReader& body) {
  SaPayload sa;
  for (;;) {
    const size_t start = body.offset();
    if (sa.proposals.size() == kMaxProposals) {
      return body.fail(DecodeErrorCode::too_many, fmt::format("more than {} proposals", kMaxProposals));
    }
    uint8_t more = 0, reserved = 0;
    uint16_t length = 0;
    if (!body.u8(more) || !body.u8(reserved) || !body.u16(length)) return body.error();
    if (more != kLastSubstructure && more != kMoreProposals) {
      return body.fail_at(start, DecodeErrorCode::bad_value,
                          fmt::format("proposal Last Substruc is {}, not 0 or 2", more));
    }
    if (length < kProposalHeaderLength || length - kSubstructureHeaderLength > body.remaining()) {
      return body.fail_at(start, DecodeErrorCode::bad_length,
                          fmt::format("proposal length {} does not fit the SA payload ({} bytes left)",
                                      length, body.remaining() + kSubstructureHeaderLength));
    }
    ByteReader p(ByteView{}, 0, 0);
    if (!body.sub(length - kSubstructureHeaderLength, p)) return body.error();
    auto proposal = decode_proposal(p);
    if (!proposal) return unexpected(proposal.error());
    // §3.3.1: the first proposal is number 1 and each next one is one more. A response carries the one
    // accepted proposal (or bundle) with its original number, so a lone one may have any number but 0.
    if (proposal->number == 0) {
      return body.fail_at(start + 4, DecodeErrorCode::bad_structure, "proposal number 0");
    }
    if (!sa.proposals.empty()) {
      if (auto fault = numbering_fault(sa.proposals.front(), sa.proposals.back(), *proposal);
          !fault.empty()) {
        return body.fail_at(start + 4, DecodeErrorCode::bad_structure, fault);
      }
    }
    sa.proposals.push_back(std::move(*proposal));
    if (more == kLastSubstructure) break;
    if (body.empty()) {
      return body.fail(DecodeErrorCode::bad_structure, "proposal says more follow but the SA payload ends");
    }
  }
  if (!body.empty()) {
    return body.fail(DecodeErrorCode::bad_structure,
                     fmt::format("{} bytes follow the proposal marked last", body.remaining()));
  }
  return sa;
}

namespace {

Expected<Ok, std::string> encode_transform(const Transform& t, bool last, ByteWriter& out) {
  const size_t start = out.size();
  out.u8(last ? kLastSubstructure : kMoreTransforms);
  out.u8(0);
  out.u16(0);
  out.u8(static_cast<uint8_t>(t.type));
  out.u8(0);
  out.u16(t.id);
  if (t.attributes.size() > kMaxAttributesPerTransform) {
    return unexpected(fmt::format("{} attributes in one transform, more than {}", t.attributes.size(),
                                  kMaxAttributesPerTransform));
  }
  for (const auto& a : t.attributes) {
    if (a.type >= kAttributeFormatTv)
      return unexpected(fmt::format("attribute type {} exceeds 15 bits", a.type));
    if (a.tv) {
      out.u16(static_cast<uint16_t>(a.type | kAttributeFormatTv));
      out.u16(a.tv_value);
    } else {
      if (a.tlv_value.size() > std::numeric_limits<uint16_t>::max()) {
        return unexpected(std::string("transform attribute value longer than 65535 bytes"));
      }
      out.u16(a.type);
      out.u16(static_cast<uint16_t>(a.tlv_value.size()));
      out.bytes(a.tlv_value);
    }
  }
  const size_t length = out.size() - start;
  if (length > std::numeric_limits<uint16_t>::max()) return unexpected(std::string("transform too long"));
  out.patch_u16(start + 2, static_cast<uint16_t>(length));
  return Ok{};
}

}  // namespace

Expected<Ok, std::string> encode_sa(const SaPayload& sa, ByteWriter& out) {
  // The same rules the decoder enforces, so that whatever is sent would also be accepted.
  if (sa.proposals.empty() || sa.proposals.size() > kMaxProposals) {
    return unexpected(
        fmt::format("SA payload with {} proposals, must be 1 to {}", sa.proposals.size(), kMaxProposals));
  }
  for (size_t i = 0; i < sa.proposals.size(); ++i) {
    const Proposal& p = sa.proposals[i];
    if (p.transforms.empty() || p.transforms.size() > kMaxTransformsPerProposal) {
      return unexpected(fmt::format("proposal {} has {} transforms, must be 1 to {}", p.number,
                                    p.transforms.size(), kMaxTransformsPerProposal));
    }
    if (p.spi.size() > std::numeric_limits<uint8_t>::max() ||
        !spi_size_allowed(p.protocol, static_cast<uint8_t>(p.spi.size()))) {
      return unexpected(fmt::format("SPI of {} bytes is not allowed for protocol {}", p.spi.size(),
                                    iana::name(p.protocol)));
    }
    if (p.number == 0) return unexpected(std::string("proposal number 0"));
    if (i > 0) {
      if (auto fault = numbering_fault(sa.proposals.front(), sa.proposals[i - 1], p); !fault.empty()) {
        return unexpected(fault);
      }
    }
    const size_t start = out.size();
    out.u8(i + 1 == sa.proposals.size() ? kLastSubstructure : kMoreProposals);
    out.u8(0);
    out.u16(0);
    out.u8(p.number);
    out.u8(static_cast<uint8_t>(p.protocol));
    out.u8(static_cast<uint8_t>(p.spi.size()));
    out.u8(static_cast<uint8_t>(p.transforms.size()));
    out.bytes(p.spi);
    for (size_t j = 0; j < p.transforms.size(); ++j) {
      auto ok = encode_transform(p.transforms[j], j + 1 == p.transforms.size(), out);
      if (!ok) return ok;
    }
    const size_t length = out.size() - start;
    if (length > std::numeric_limits<uint16_t>::max()) return unexpected(std::string("proposal too long"));
    out.patch_u16(start + 2, static_cast<uint16_t>(length));
  }
  return Ok{};
}

}  // namespace ipsecd::ike
