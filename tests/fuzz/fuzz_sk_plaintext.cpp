// libFuzzer target: arbitrary plaintext sealed into a valid SK payload, so the paths after the ICV
// check (Pad Length, inner-chain decode) see fuzzer-chosen bytes. Input: a byte whose low bit picks AES-GCM
// or AES-CBC, the first inner payload type, then the padded plaintext (for CBC, zeros are inserted before
// its last byte, the Pad Length, up to a whole block).
#include "crypto/sk_cipher.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/sk_protection.h"

#include <cstdlib>
#include <memory>

using namespace ipsecd;

namespace {

std::unique_ptr<crypto::SkCipher> make(const crypto::SkAlgorithm& algorithm, size_t encryption,
                                       size_t integrity) {
  auto c = crypto::make_sk_cipher(algorithm, crypto::SecureBytes(encryption, 0x03),
                                  crypto::SecureBytes(integrity, 0x06));
  if (!c) std::abort();
  return std::move(*c);
}

// AES-GCM: a one-byte block, so every plaintext length can be sealed.
const crypto::SkCipher& gcm_cipher() {
  static const auto cipher =
      make({iana::EncryptionAlgorithm::ENCR_AES_GCM_16, 128, iana::IntegrityAlgorithm::NONE}, 20, 0);
  return *cipher;
}

// AES-CBC with HMAC: 16-byte blocks and a separate ICV over the ciphertext.
const crypto::SkCipher& cbc_cipher() {
  static const auto cipher =
      make({iana::EncryptionAlgorithm::ENCR_AES_CBC, 128, iana::IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128},
           16, 32);
  return *cipher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3 || size > 16384) return 0;
  const bool cbc = (data[0] & 1) != 0;
  const crypto::SkCipher& cipher = cbc ? cbc_cipher() : gcm_cipher();
  crypto::Bytes padded(data + 2, data + size);
  const size_t short_of_block =
      (cipher.block_size() - padded.size() % cipher.block_size()) % cipher.block_size();
  padded.insert(padded.end() - 1, short_of_block, 0);

  ike::Header header;
  header.exchange = iana::ExchangeType::INFORMATIONAL;
  const size_t body_size = cipher.iv_size() + padded.size() + cipher.icv_size();
  ike::Message outer{
      header,
      {ike::Payload{ike::SkPayload{static_cast<iana::PayloadType>(data[1]), crypto::Bytes(body_size)}}}};
  auto encoded = ike::encode_message(outer);
  if (!encoded) return 0;
  auto& bytes = encoded->bytes;
  const size_t at = *encoded->encrypted_offset;
  const crypto::Bytes iv(cipher.iv_size(), 0x04);
  const auto sealed = cipher.seal(crypto::ByteView(bytes).first(at), iv, padded);
  if (sealed.size() + iv.size() != body_size) std::abort();
  std::copy(iv.begin(), iv.end(), bytes.begin() + static_cast<ptrdiff_t>(at));
  std::copy(sealed.begin(), sealed.end(), bytes.begin() + static_cast<ptrdiff_t>(at + iv.size()));

  auto decoded = ike::decode_message(bytes);
  if (!decoded) std::abort();  // the outer shape is ours and valid
  auto inner = ike::unprotect_message(bytes, *decoded, cipher);
  // The ICV is ours, so only the plaintext's own faults may stop it.
  if (!inner && inner.error().code == ike::UnprotectErrorCode::integrity_failed) std::abort();
  if (inner) {
    auto again = ike::encode_payloads(inner->payloads);
    if (again) {
      auto redecoded = ike::decode_payloads(ike::first_payload_type(inner->payloads), *again);
      if (!redecoded || !(*redecoded == inner->payloads)) std::abort();
    }
  }
  return 0;
}
