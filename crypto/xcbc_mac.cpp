// AES-XCBC-MAC (RFC 3566) on Botan's AES-128, which Botan 2 does not provide.
#include "crypto/xcbc_mac.h"

#include <utility>

namespace ipsecd::crypto {

namespace {

// K1, K2, K3 are AES-K encryptions of the constant blocks 0x01.., 0x02.., 0x03.. (RFC 3566 §4, step 1).
SecureBytes derive_subkey(const Botan::BlockCipher& cipher, uint8_t constant) {
  SecureBytes block(AesXcbcMac::tag_size, constant);
  cipher.encrypt(block.data());
  return block;
}

void xor_into(uint8_t* target, const uint8_t* source, size_t length) {
  for (size_t i = 0; i < length; ++i) target[i] ^= source[i];
}

}  // namespace

AesXcbcMac::AesXcbcMac(std::unique_ptr<Botan::BlockCipher> k1, SecureBytes k2, SecureBytes k3)
    : k1_(std::move(k1)), k2_(std::move(k2)), k3_(std::move(k3)) {}

Expected<AesXcbcMac, std::string> AesXcbcMac::make(ByteView key) {
  if (key.size() != key_size) {
    return unexpected(std::string("AES-XCBC-MAC needs a 16-byte key"));
  }
  auto keyed = Botan::BlockCipher::create("AES-128");
  if (!keyed) return unexpected(std::string("Botan has no AES-128"));
  keyed->set_key(key.data(), key.size());
  SecureBytes k1 = derive_subkey(*keyed, 0x01);
  SecureBytes k2 = derive_subkey(*keyed, 0x02);
  SecureBytes k3 = derive_subkey(*keyed, 0x03);
  keyed->set_key(k1);
  return AesXcbcMac(std::move(keyed), std::move(k2), std::move(k3));
}

SecureBytes AesXcbcMac::compute(ByteView message) const {
  // RFC 3566 §4 steps 2-6: CBC-MAC under K1 over every block but the last; the last block is XORed with
  // K2 when it is complete, or padded with 0x80 00.. and XORed with K3 otherwise. An empty message is a
  // single incomplete block.
  SecureBytes state(tag_size, 0);
  size_t offset = 0;
  while (message.size() - offset > tag_size) {
    xor_into(state.data(), message.data() + offset, tag_size);
    k1_->encrypt(state.data());
    offset += tag_size;
  }
  const size_t last = message.size() - offset;
  xor_into(state.data(), message.data() + offset, last);
  if (last == tag_size) {
    xor_into(state.data(), k2_.data(), tag_size);
  } else {
    state[last] ^= 0x80;
    xor_into(state.data(), k3_.data(), tag_size);
  }
  k1_->encrypt(state.data());
  return state;
}

}  // namespace ipsecd::crypto
