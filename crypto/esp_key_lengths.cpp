// Keying material each ESP or AH transform takes from CHILD_SA KEYMAT (RFC 7296 §2.17).
#include "crypto/esp_key_lengths.h"

#include "crypto/integrity.h"

namespace ipsecd::crypto {

namespace {

using iana::EncryptionAlgorithm;
using iana::IntegrityAlgorithm;

struct EspCipherLength {
  size_t key;
  bool combined;
};

std::string describe(EncryptionAlgorithm encryption, uint16_t key_bits) {
  return std::string(iana::name(encryption)) + " with key length " + std::to_string(key_bits);
}

Expected<size_t, std::string> aes_key(EncryptionAlgorithm encryption, uint16_t key_bits) {
  if (key_bits == 128 || key_bits == 192 || key_bits == 256) return size_t{key_bits / 8u};
  return unexpected("unsupported ESP " + describe(encryption, key_bits) + ": 128, 192 or 256 bits expected");
}

Expected<EspCipherLength, std::string> fixed(EncryptionAlgorithm encryption, uint16_t key_bits,
                                             EspCipherLength length) {
  if (key_bits != 0) {
    return unexpected("unsupported ESP " + describe(encryption, key_bits) + ": the key size is fixed");
  }
  return length;
}

Expected<EspCipherLength, std::string> with_aes_key(EncryptionAlgorithm encryption, uint16_t key_bits,
                                                    size_t salt, bool combined) {
  auto key = aes_key(encryption, key_bits);
  if (!key) return unexpected(key.error());
  return EspCipherLength{*key + salt, combined};
}

Expected<EspCipherLength, std::string> esp_cipher(EncryptionAlgorithm encryption, uint16_t key_bits) {
  switch (encryption) {
    case EncryptionAlgorithm::ENCR_NULL:
      return fixed(encryption, key_bits, {0, false});
    case EncryptionAlgorithm::ENCR_3DES:
      return fixed(encryption, key_bits, {24, false});
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305:
      return fixed(encryption, key_bits, {36, true});
    case EncryptionAlgorithm::ENCR_AES_CBC:
    case EncryptionAlgorithm::ENCR_CAMELLIA_CBC:
      return with_aes_key(encryption, key_bits, 0, false);
    case EncryptionAlgorithm::ENCR_AES_CTR:
      return with_aes_key(encryption, key_bits, 4, false);
    case EncryptionAlgorithm::ENCR_AES_CCM_8:
    case EncryptionAlgorithm::ENCR_AES_CCM_12:
    case EncryptionAlgorithm::ENCR_AES_CCM_16:
      return with_aes_key(encryption, key_bits, 3, true);
    case EncryptionAlgorithm::ENCR_AES_GCM_8:
    case EncryptionAlgorithm::ENCR_AES_GCM_12:
    case EncryptionAlgorithm::ENCR_AES_GCM_16:
    case EncryptionAlgorithm::ENCR_NULL_AUTH_AES_GMAC:
      return with_aes_key(encryption, key_bits, 4, true);
    default:
      break;
  }
  return unexpected("unsupported ESP encryption " + describe(encryption, key_bits));
}

// Everything integrity_lengths() knows, plus AES-CMAC-96 (RFC 4494 §2: 128-bit key), which ESP and AH use
// but the IKE SA does not here.
Expected<size_t, std::string> child_integrity_key(IntegrityAlgorithm integrity) {
  if (integrity == IntegrityAlgorithm::AUTH_AES_CMAC_96) return size_t{16};
  auto lengths = integrity_lengths(integrity);
  if (!lengths) return unexpected(lengths.error());
  return lengths->key;
}

}  // namespace

Expected<ChildSaKeyLengths, std::string> esp_key_lengths(EncryptionAlgorithm encryption, uint16_t key_bits,
                                                         IntegrityAlgorithm integrity) {
  auto cipher = esp_cipher(encryption, key_bits);
  if (!cipher) return unexpected(cipher.error());
  if (cipher->combined) {
    if (integrity != IntegrityAlgorithm::NONE) {
      return unexpected("ESP " + describe(encryption, key_bits) +
                        " is a combined mode and takes no integrity algorithm, got " +
                        std::string(iana::name(integrity)));
    }
    return ChildSaKeyLengths{cipher->key, 0};
  }
  if (integrity == IntegrityAlgorithm::NONE) {
    return unexpected("ESP " + describe(encryption, key_bits) + " needs an integrity algorithm");
  }
  auto integrity_key = child_integrity_key(integrity);
  if (!integrity_key) return unexpected(integrity_key.error());
  return ChildSaKeyLengths{cipher->key, *integrity_key};
}

Expected<ChildSaKeyLengths, std::string> ah_key_lengths(IntegrityAlgorithm integrity) {
  auto integrity_key = child_integrity_key(integrity);
  if (!integrity_key) return unexpected(integrity_key.error());
  return ChildSaKeyLengths{0, *integrity_key};
}

}  // namespace ipsecd::crypto
