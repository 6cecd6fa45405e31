// IANA transform ID -> kernel algorithm name, ICV length and truncation, in one table each.
#include "netlink/kernel_algorithms.h"

namespace ipsecd::netlink {

using iana::EncryptionAlgorithm;
using iana::IntegrityAlgorithm;

Expected<KernelEncryption, std::string> kernel_encryption(EncryptionAlgorithm id) {
  switch (id) {
    // RFC 4106: the ICV length is part of the transform ID.
    case EncryptionAlgorithm::ENCR_AES_GCM_8: return KernelEncryption{"rfc4106(gcm(aes))", true, 64};
    case EncryptionAlgorithm::ENCR_AES_GCM_12: return KernelEncryption{"rfc4106(gcm(aes))", true, 96};
    case EncryptionAlgorithm::ENCR_AES_GCM_16: return KernelEncryption{"rfc4106(gcm(aes))", true, 128};
    // RFC 7634 §2: a 16-byte tag.
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305:
      return KernelEncryption{"rfc7539esp(chacha20,poly1305)", true, 128};
    case EncryptionAlgorithm::ENCR_AES_CBC: return KernelEncryption{"cbc(aes)", false, 0};
    case EncryptionAlgorithm::ENCR_3DES: return KernelEncryption{"cbc(des3_ede)", false, 0};
    case EncryptionAlgorithm::ENCR_DES: return KernelEncryption{"cbc(des)", false, 0};
    default: break;
  }
  return unexpected("no kernel ESP algorithm for " + std::string(iana::name(id)));
}

Expected<KernelIntegrity, std::string> kernel_integrity(IntegrityAlgorithm id) {
  switch (id) {
    // RFC 2403, 2404, 3566, 4868: the truncated ICV lengths.
    case IntegrityAlgorithm::AUTH_HMAC_MD5_96: return KernelIntegrity{"hmac(md5)", 96};
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_96: return KernelIntegrity{"hmac(sha1)", 96};
    case IntegrityAlgorithm::AUTH_AES_XCBC_96: return KernelIntegrity{"xcbc(aes)", 96};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128: return KernelIntegrity{"hmac(sha256)", 128};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192: return KernelIntegrity{"hmac(sha384)", 192};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256: return KernelIntegrity{"hmac(sha512)", 256};
    default: break;
  }
  return unexpected("no kernel integrity algorithm for " + std::string(iana::name(id)));
}

Expected<Ok, std::string> set_esp_algorithms(SaSpec& sa, EncryptionAlgorithm encryption,
                                             SecretBytes encryption_key, IntegrityAlgorithm integrity,
                                             SecretBytes integrity_key) {
  auto enc = kernel_encryption(encryption);
  if (!enc) return unexpected(enc.error());
  if (enc->aead) {
    if (integrity != IntegrityAlgorithm::NONE) {
      return unexpected(std::string(iana::name(encryption)) + " is combined-mode: integrity must be NONE");
    }
    sa.aead = AeadAlgorithm{enc->name, std::move(encryption_key), enc->icv_bits};
    sa.cipher.reset();
    sa.auth.reset();
  } else {
    auto integ = kernel_integrity(integrity);
    if (!integ) return unexpected(std::string(iana::name(encryption)) + " needs an integrity algorithm: " + integ.error());
    sa.aead.reset();
    sa.cipher = CipherAlgorithm{enc->name, std::move(encryption_key)};
    sa.auth = AuthAlgorithm{integ->name, std::move(integrity_key), integ->truncation_bits};
  }
  sa.protocol = IpsecProtocol::Esp;
  return Ok{};
}

Expected<Ok, std::string> set_ah_algorithm(SaSpec& sa, IntegrityAlgorithm integrity, SecretBytes integrity_key) {
  auto integ = kernel_integrity(integrity);
  if (!integ) return unexpected(integ.error());
  sa.aead.reset();
  sa.cipher.reset();
  sa.auth = AuthAlgorithm{integ->name, std::move(integrity_key), integ->truncation_bits};
  sa.protocol = IpsecProtocol::Ah;
  return Ok{};
}

}  // namespace ipsecd::netlink
