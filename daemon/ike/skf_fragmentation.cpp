// IKEv2 message fragmentation (RFC 7383): SKF datagrams out, verified fragments in, reassembly with limits.
#include "daemon/ike/skf_fragmentation.h"

#include "daemon/ike/codec_limits.h"
#include "daemon/ike/sk_protection.h"

#include <fmt/format.h>

namespace ipsecd::ike {
namespace {

// IKE header + generic payload header + Fragment Number + Total Fragments (RFC 7383 §2.5).
constexpr size_t kSkfHeadersLength = kHeaderLength + 4 + 4;

}  // namespace

Expected<std::vector<crypto::Bytes>, std::string> fragment_message(const Header& header,
                                                                   const std::vector<Payload>& inner,
                                                                   const crypto::SkCipher& cipher,
                                                                   size_t max_datagram,
                                                                   Botan::RandomNumberGenerator& rng) {
  auto plaintext = encode_payloads(inner);
  if (!plaintext) return unexpected(plaintext.error());

  const size_t fixed = kSkfHeadersLength + cipher.iv_size() + cipher.icv_size();
  const size_t block = cipher.block_size();
  // Each fragment carries content + Padding + Pad Length in whole blocks; fill it with as much content
  // as fits and pad only the last one.
  const size_t room = max_datagram > fixed ? (max_datagram - fixed) / block * block : 0;
  if (room < 2) {
    return unexpected(fmt::format("{} bytes per datagram leave no room for fragment content", max_datagram));
  }
  const size_t content_per_fragment = room - 1;
  const size_t count = (plaintext->size() + content_per_fragment - 1) / content_per_fragment;
  if (count > kMaxFragments) {
    return unexpected(fmt::format("{} bytes need {} fragments of {} bytes; the limit is {}",
                                  plaintext->size(), count, max_datagram, kMaxFragments));
  }

  std::vector<crypto::Bytes> datagrams;
  datagrams.reserve(count);
  const auto total = static_cast<uint16_t>(std::max<size_t>(count, 1));
  for (uint16_t number = 1; number <= total; ++number) {
    const size_t start = (number - 1) * content_per_fragment;
    const size_t length = std::min(content_per_fragment, plaintext->size() - start);
    const crypto::ByteView chunk = crypto::ByteView(*plaintext).subspan(start, length);
    const crypto::Bytes padding(minimal_padding_length(length, block), 0);
    // Every fragment is sealed on its own, so each takes a fresh IV (a counter for AEAD, random for CBC).
    auto iv = cipher.next_iv(rng);
    if (!iv) return unexpected(iv.error());

    // §2.5: only the first fragment names the first inner payload; the others carry zero.
    SkfPayload skf{number == 1 ? first_payload_type(inner) : iana::PayloadType::NO_NEXT_PAYLOAD, number,
                   total, crypto::Bytes(encrypted_body_size(cipher, length, padding.size()))};
    auto datagram = seal_message(Message{header, {Payload{std::move(skf)}}}, chunk, cipher, *iv, padding);
    if (!datagram) return unexpected(datagram.error());
    datagrams.push_back(std::move(*datagram));
  }
  return datagrams;
}

Expected<OpenedFragment, UnprotectError> unprotect_fragment(crypto::ByteView datagram,
                                                            const DecodedMessage& decoded,
                                                            const crypto::SkCipher& cipher) {
  const auto& payloads = decoded.message.payloads;
  const SkfPayload* skf = payloads.empty() ? nullptr : std::get_if<SkfPayload>(&payloads.back().body);
  if (skf == nullptr || !decoded.encrypted_offset) {
    return unexpected(UnprotectError{UnprotectErrorCode::not_encrypted, "the message has no SKF payload"});
  }
  auto opened = open_encrypted_body(datagram, *decoded.encrypted_offset, cipher);
  if (!opened) return unexpected(opened.error());
  return OpenedFragment{skf->fragment_number, skf->total_fragments, skf->first_inner,
                        std::move(opened->plaintext)};
}

void FragmentReassembly::restart(uint16_t total) {
  total_ = total;
  received_ = 0;
  bytes_ = 0;
  first_inner_ = iana::PayloadType::NO_NEXT_PAYLOAD;
  parts_.assign(total, std::nullopt);
}

Expected<std::optional<std::vector<Payload>>, UnprotectError> FragmentReassembly::add(
    OpenedFragment fragment) {
  if (fragment.total == 0 || fragment.number == 0 || fragment.number > fragment.total) {
    return unexpected(UnprotectError{UnprotectErrorCode::bad_fragment,
                                     fmt::format("fragment {} of {}", fragment.number, fragment.total)});
  }
  if (fragment.total > kMaxFragments) {
    return unexpected(UnprotectError{
        UnprotectErrorCode::bad_fragment,
        fmt::format("a set of {} fragments exceeds the limit of {}", fragment.total, kMaxFragments)});
  }
  // §2.6.1: a larger Total Fragments means the sender re-fragmented (e.g. after PMTU discovery), so the
  // old set is abandoned; a smaller one belongs to the abandoned transmission and is ignored.
  if (fragment.total > total_) restart(fragment.total);
  if (fragment.total < total_) return std::optional<std::vector<Payload>>{};

  auto& slot = parts_[fragment.number - 1];
  if (slot) return std::optional<std::vector<Payload>>{};
  if (bytes_ + fragment.plaintext.size() > kMaxMessageLength) {
    return unexpected(
        UnprotectError{UnprotectErrorCode::bad_fragment,
                       fmt::format("reassembled message would exceed {} bytes", kMaxMessageLength)});
  }
  if (fragment.number == 1) first_inner_ = fragment.first_inner;
  bytes_ += fragment.plaintext.size();
  slot = std::move(fragment.plaintext);
  if (++received_ < total_) return std::optional<std::vector<Payload>>{};

  crypto::SecureBytes whole;
  whole.reserve(bytes_);
  for (const auto& part : parts_) whole.insert(whole.end(), part->begin(), part->end());
  auto inner = decode_payloads(first_inner_, whole);
  if (!inner) return unexpected(UnprotectError{UnprotectErrorCode::inner_decode, "", inner.error()});
  return std::optional<std::vector<Payload>>{std::move(*inner)};
}

}  // namespace ipsecd::ike
