// libFuzzer target: fuzzer-chosen SKF fragments (number, total, first inner type, plaintext) sealed into
// valid datagrams and fed through decode, unprotect_fragment and FragmentReassembly, so ordering,
// duplicates, changes of Total Fragments and the reassembly limits are explored. Input: records of
// number (1 byte), total (1 byte), first inner type (1 byte), plaintext length (1 byte), plaintext.
#include "crypto/sk_cipher.h"
#include "daemon/ike/encrypted_body.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"
#include "daemon/ike/skf_fragmentation.h"
#include "tests/fuzz/fixed_cipher.h"

#include <algorithm>
#include <cstdlib>

using namespace ipsecd;

namespace {

// A fixed IV keeps every input reproducible; the fuzzer has no use for fresh ones.
const crypto::Bytes kIv(16, 0x05);

// Seals the fragment into an SKF datagram and returns what decode + unprotect_fragment make of it. When the
// codec refuses to carry it (number 0 or beyond the total) it goes to the reassembly as it is, which must
// refuse it on its own.
ike::OpenedFragment through_the_wire(const ike::OpenedFragment& fragment) {
  const crypto::SkCipher& cipher = fuzz::fixed_cbc_cipher();
  const crypto::Bytes padding(ike::minimal_padding_length(fragment.plaintext.size(), cipher.block_size()), 0);
  ike::Header header;
  header.exchange = iana::ExchangeType::IKE_AUTH;
  header.message_id = 1;
  ike::SkfPayload skf{
      fragment.first_inner, fragment.number, fragment.total,
      crypto::Bytes(ike::encrypted_body_size(cipher, fragment.plaintext.size(), padding.size()))};
  auto datagram = ike::seal_message(ike::Message{header, {ike::Payload{std::move(skf)}}}, fragment.plaintext,
                                    cipher, kIv, padding);
  if (!datagram) {
    if (fragment.number != 0 && fragment.number <= fragment.total) std::abort();  // a valid SKF must seal
    return fragment;
  }
  auto decoded = ike::decode_message(*datagram);
  if (!decoded) std::abort();  // what the encoder produced, the decoder accepts
  auto opened = ike::unprotect_fragment(*datagram, *decoded, cipher);
  if (!opened) std::abort();  // the ICV and padding are ours
  if (opened->number != fragment.number || opened->total != fragment.total ||
      opened->first_inner != fragment.first_inner || opened->plaintext != fragment.plaintext) {
    std::abort();
  }
  return std::move(*opened);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  ike::FragmentReassembly reassembly;
  size_t at = 0;
  while (size - at >= 4) {
    ike::OpenedFragment fragment{data[at], data[at + 1], static_cast<iana::PayloadType>(data[at + 2]), {}};
    const size_t length = std::min<size_t>(data[at + 3], size - at - 4);
    fragment.plaintext.assign(data + at + 4, data + at + 4 + length);
    at += 4 + length;

    auto result = reassembly.add(through_the_wire(fragment));
    if (reassembly.received() > reassembly.total() || reassembly.total() > ike::kMaxFragments) std::abort();
    if (!result) continue;
    if (*result) {
      // A whole message: what decoded must re-encode and decode to the same chain. The engine then
      // starts afresh for the next Message ID.
      const auto& payloads = **result;
      auto again = ike::encode_payloads(payloads);
      if (again) {
        auto redecoded = ike::decode_payloads(ike::first_payload_type(payloads), *again);
        if (!redecoded || !(*redecoded == payloads)) std::abort();
      }
      reassembly = ike::FragmentReassembly{};
    }
  }
  return 0;
}
