// Protection of the IKEv2 Encrypted (SK) payload: RFC 7296 §3.14, AEAD per RFC 5282 and RFC 7634.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"

#include <memory>
#include <optional>
#include <string>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::crypto {

// The negotiated ENCR (with its Key Length attribute in bits; 0 where the algorithm has a fixed size) and
// INTEG transforms. AEAD algorithms take IntegrityAlgorithm::NONE.
//
// Supported: ENCR_AES_CBC (128/192/256), ENCR_3DES (0), ENCR_AES_GCM_8/12/16 (128/192/256),
// ENCR_CHACHA20_POLY1305 (0) and, only with allow_legacy, ENCR_DES (0). Non-AEAD ciphers need one of the
// algorithms integrity_lengths() accepts (crypto/integrity.h).
struct SkAlgorithm {
  iana::EncryptionAlgorithm encryption;
  uint16_t key_bits;
  iana::IntegrityAlgorithm integrity;
  // ENCR_DES is refused unless this is set: RFC 8247 §2.1 says MUST NOT. Only for talking to an old peer
  // the operator has explicitly configured so.
  bool allow_legacy = false;
};

// Bytes of SK_e* and SK_a* taken from prf+ (§2.14). For AEAD, SK_e* includes the salt (RFC 5282 §7.1:
// 4 bytes for GCM; RFC 7634 §2: 4 bytes for ChaCha20-Poly1305) and integrity is 0.
struct SkKeyLengths {
  size_t encryption;
  size_t integrity;
};

Expected<SkKeyLengths, std::string> sk_key_lengths(const SkAlgorithm& algorithm);

// One direction's keys bound to one algorithm. The caller lays out the message; this class only turns
// plaintext into ciphertext+ICV and back, and hands out the IVs to seal with.
//
// One instance is not for concurrent use, although its methods are const (so a const SkCipher& can seal):
// it holds keyed Botan mode objects that each call restarts, and the AEAD IV counter. Make one per SA
// direction, owned and used by the thread that runs that SA, and never a second sealing instance from the
// same key, whose counter would repeat the first one's IVs.
class SkCipher {
 public:
  virtual ~SkCipher() = default;
  // The IV for the next message sealed with this instance, iv_size() bytes.
  //  - AEAD: a 64-bit big-endian counter starting at zero, so IVs are sequential and never repeat under the
  //    key (RFC 5282 §3.1, RFC 7634 §2); an error once it would wrap.
  //  - CBC: fresh bytes from `rng`, because CBC IVs must be unpredictable (RFC 7296 §3.14).
  virtual Expected<Bytes, std::string> next_iv(Botan::RandomNumberGenerator& rng) const = 0;
  virtual size_t iv_size() const = 0;
  // Plaintext + padding + the Pad Length byte must be a multiple of this.
  virtual size_t block_size() const = 0;
  virtual size_t icv_size() const = 0;
  // `associated` is every byte of the message before the IV (IKE header through the SK generic payload
  // header). Returns ciphertext || ICV. For non-AEAD the ICV covers associated || IV || ciphertext.
  // An empty result means the caller broke that contract: an IV not iv_size() bytes long, or (CBC) a
  // plaintext that is empty or not a multiple of block_size(). Never throws.
  virtual Bytes seal(ByteView associated, ByteView iv, ByteView padded_plaintext) const = 0;
  // Verifies the ICV before decrypting anything; nullopt when it does not verify, when the IV is not
  // iv_size() bytes, or when the ciphertext is shorter than the ICV or (CBC) not a non-zero multiple of
  // block_size(). Never throws.
  virtual std::optional<SecureBytes> open(ByteView associated, ByteView iv,
                                          ByteView ciphertext_and_icv) const = 0;
};

Expected<std::unique_ptr<SkCipher>, std::string> make_sk_cipher(const SkAlgorithm& algorithm,
                                                                ByteView encryption_key,
                                                                ByteView integrity_key);

}  // namespace ipsecd::crypto
