// libFuzzer target: IKEv2 datagram decode, SK/SKF unprotect with fixed keys, and the decode/encode
// round trip of whatever decodes.
#include "crypto/sk_cipher.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"
#include "daemon/ike/skf_fragmentation.h"
#include "tests/fuzz/fixed_cipher.h"

#include <cstdlib>

using namespace ipsecd;

namespace {

// Whatever decodes must encode, and decode again to the same message.
void check_round_trip(const ike::Message& message) {
  auto encoded = ike::encode_message(message);
  if (!encoded) return;  // e.g. an unknown payload too large to re-frame: not a decode bug
  auto again = ike::decode_message(encoded->bytes);
  if (!again || !(again->message == message)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const crypto::ByteView datagram(data, size);
  auto decoded = ike::decode_message(datagram);
  if (!decoded) return 0;
  check_round_trip(decoded->message);

  if (!decoded->encrypted_offset) return 0;
  if (std::holds_alternative<ike::SkPayload>(decoded->message.payloads.back().body)) {
    (void)ike::unprotect_message(datagram, *decoded, fuzz::fixed_cbc_cipher());
  } else {
    auto fragment = ike::unprotect_fragment(datagram, *decoded, fuzz::fixed_cbc_cipher());
    if (fragment) {
      ike::FragmentReassembly reassembly;
      (void)reassembly.add(std::move(*fragment));
    }
  }
  return 0;
}
