// Protection of the IKEv2 Encrypted (SK) payload: RFC 7296 §3.14, AEAD per RFC 5282 and RFC 7634.
#include "crypto/sk_cipher.h"

#include "crypto/integrity.h"
#include "crypto/iv_counter.h"

#include <botan/aead.h>
#include <botan/cipher_mode.h>
#include <botan/mem_ops.h>
#include <botan/rng.h>

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <set>
#include <utility>

namespace ipsecd::crypto {

namespace {

using iana::EncryptionAlgorithm;
using iana::IntegrityAlgorithm;

// Both AEADs used with IKEv2 take a 4-byte salt from the end of SK_e* and an 8-byte IV from the message;
// the 12-byte nonce is salt || IV (RFC 5282 §4 for GCM, RFC 7634 §2 for ChaCha20-Poly1305).
constexpr size_t aead_salt_size = 4;
constexpr size_t aead_iv_size = 8;

struct CipherSpec {
  // In Botan's own "MODE(CIPHER,ARGS)" form, which its factories parse directly: given "AES-128/GCM(16)",
  // Botan 2 first rewrites the name into this form through a string stream, about half the instructions
  // of making a mode.
  std::string botan_name;
  bool aead;
  size_t key;    // cipher key bytes, without the AEAD salt
  size_t block;  // CBC block size; 1 for AEAD, which needs no alignment (RFC 5282, RFC 7634)
  size_t tag;    // AEAD tag bytes; 0 for CBC, whose ICV comes from the INTEG transform
};

std::string describe(const SkAlgorithm& algorithm) {
  return std::string(iana::name(algorithm.encryption)) + " with key length " +
         std::to_string(algorithm.key_bits);
}

Expected<std::string, std::string> aes_name(const SkAlgorithm& algorithm) {
  // AES has no default key size in IKEv2: the Key Length attribute is mandatory (RFC 7296 §3.3.5).
  switch (algorithm.key_bits) {
    case 128:
    case 192:
    case 256:
      return "AES-" + std::to_string(algorithm.key_bits);
    default:
      return unexpected("unsupported " + describe(algorithm) + ": AES takes 128, 192 or 256 bits");
  }
}

Expected<CipherSpec, std::string> fixed_size(const SkAlgorithm& algorithm, CipherSpec spec) {
  // Fixed-size ciphers carry no Key Length attribute (RFC 7296 §3.3.5).
  if (algorithm.key_bits != 0) {
    return unexpected("unsupported " + describe(algorithm) + ": the key size is fixed, so 0 is expected");
  }
  return spec;
}

Expected<CipherSpec, std::string> cipher_spec(const SkAlgorithm& algorithm) {
  switch (algorithm.encryption) {
    case EncryptionAlgorithm::ENCR_AES_CBC: {
      auto name = aes_name(algorithm);
      if (!name) return unexpected(name.error());
      return CipherSpec{"CBC(" + *name + ",NoPadding)", false, algorithm.key_bits / 8u, 16, 0};
    }
    case EncryptionAlgorithm::ENCR_AES_GCM_8:
    case EncryptionAlgorithm::ENCR_AES_GCM_12:
    case EncryptionAlgorithm::ENCR_AES_GCM_16: {
      auto name = aes_name(algorithm);
      if (!name) return unexpected(name.error());
      const size_t tag = algorithm.encryption == EncryptionAlgorithm::ENCR_AES_GCM_8    ? 8
                         : algorithm.encryption == EncryptionAlgorithm::ENCR_AES_GCM_12 ? 12
                                                                                        : 16;
      return CipherSpec{"GCM(" + *name + "," + std::to_string(tag) + ")", true, algorithm.key_bits / 8u, 1,
                        tag};
    }
    case EncryptionAlgorithm::ENCR_CHACHA20_POLY1305:
      return fixed_size(algorithm, CipherSpec{"ChaCha20Poly1305", true, 32, 1, 16});
    case EncryptionAlgorithm::ENCR_3DES:
      return fixed_size(algorithm, CipherSpec{"CBC(TripleDES,NoPadding)", false, 24, 8, 0});
    case EncryptionAlgorithm::ENCR_DES:
      if (!algorithm.allow_legacy) {
        return unexpected(std::string(
            "ENCR_DES is refused: RFC 8247 §2.1 says MUST NOT; set allow_legacy to use it anyway"));
      }
      return fixed_size(algorithm, CipherSpec{"CBC(DES,NoPadding)", false, 8, 8, 0});
    default:
      break;
  }
  return unexpected("unsupported encryption algorithm " + describe(algorithm));
}

// Whether this Botan build has the mode `name`, so make_sk_cipher can fail at once rather than on the first
// message. Constructing a mode by name is most of the cost of making one, so each name is tried once per
// process; only names (never keys) are remembered.
template <typename Mode>
bool botan_has(const std::string& name) {
  static std::mutex mutex;
  static std::set<std::string, std::less<>> available;
  const std::lock_guard lock(mutex);
  if (available.contains(name)) return true;
  if (!Mode::create(name, Botan::ENCRYPTION)) return false;
  available.insert(name);
  return true;
}

std::string lacking(const SkAlgorithm& algorithm, const CipherSpec& spec) {
  return describe(algorithm) + ": this Botan build lacks " + spec.botan_name;
}

// One cipher's encryptor and decryptor under one key, each made and keyed on first use. An SK cipher
// instance serves one SA direction, which only ever seals (ours) or only ever opens (the peer's) (RFC 7296
// §2.14: SK_ei protects initiator-to-responder messages, SK_er the others), so keying both up front would
// run the key schedule (for GCM also the GHASH table) twice for one use.
template <typename Mode>
class LazyModes {
 public:
  LazyModes(std::string name, ByteView key) : name_(std::move(name)), key_(key.begin(), key.end()) {}

  // Throws what Botan throws (Lookup_Error when the build lacks the mode); callers catch.
  Mode& get(Botan::Cipher_Dir direction) const {
    auto& slot = direction == Botan::ENCRYPTION ? encryptor_ : decryptor_;
    if (!slot) {
      auto mode = Mode::create_or_throw(name_, direction);
      mode->set_key(key_.data(), key_.size());
      slot = std::move(mode);
    }
    return *slot;
  }

 private:
  std::string name_;
  SecureBytes key_;
  // Once keyed, start() resets a mode for the next message.
  mutable std::unique_ptr<Mode> encryptor_;
  mutable std::unique_ptr<Mode> decryptor_;
};

// Non-AEAD: CBC encryption, then the INTEG transform's ICV over associated || IV || ciphertext
// (RFC 7296 §3.14).
class CbcSkCipher final : public SkCipher {
 public:
  CbcSkCipher(CipherSpec spec, ByteView key, Integrity integrity)
      : spec_(std::move(spec)), modes_(spec_.botan_name, key), integrity_(std::move(integrity)) {}

  Expected<Bytes, std::string> next_iv(Botan::RandomNumberGenerator& rng) const override {
    try {
      Bytes iv(iv_size());
      rng.randomize(iv.data(), iv.size());
      return iv;
    } catch (const std::exception& e) {
      return unexpected(std::string("the RNG failed to produce an IV: ") + e.what());
    }
  }
  size_t iv_size() const override { return spec_.block; }
  size_t block_size() const override { return spec_.block; }
  size_t icv_size() const override { return integrity_.icv_size(); }

  Bytes seal(ByteView associated, ByteView iv, ByteView padded_plaintext) const override {
    if (iv.size() != iv_size() || padded_plaintext.empty() || padded_plaintext.size() % spec_.block != 0) {
      return {};
    }
    try {
      SecureBytes buffer(padded_plaintext.begin(), padded_plaintext.end());
      run(Botan::ENCRYPTION, iv, buffer);
      Bytes out(buffer.begin(), buffer.end());
      const Bytes icv = integrity_.compute(authenticated(associated, iv, out));
      out.insert(out.end(), icv.begin(), icv.end());
      return out;
    } catch (const std::exception&) {
      return {};
    }
  }

  std::optional<SecureBytes> open(ByteView associated, ByteView iv,
                                  ByteView ciphertext_and_icv) const override {
    if (iv.size() != iv_size() || ciphertext_and_icv.size() < icv_size()) return std::nullopt;
    const ByteView ciphertext = ciphertext_and_icv.first(ciphertext_and_icv.size() - icv_size());
    const ByteView icv = ciphertext_and_icv.last(icv_size());
    if (ciphertext.empty() || ciphertext.size() % spec_.block != 0) return std::nullopt;
    try {
      if (!integrity_.verify(authenticated(associated, iv, ciphertext), icv)) return std::nullopt;
      SecureBytes buffer(ciphertext.begin(), ciphertext.end());
      run(Botan::DECRYPTION, iv, buffer);
      return buffer;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

 private:
  static Bytes authenticated(ByteView associated, ByteView iv, ByteView ciphertext) {
    Bytes data;
    data.reserve(associated.size() + iv.size() + ciphertext.size());
    data.insert(data.end(), associated.begin(), associated.end());
    data.insert(data.end(), iv.begin(), iv.end());
    data.insert(data.end(), ciphertext.begin(), ciphertext.end());
    return data;
  }

  void run(Botan::Cipher_Dir direction, ByteView iv, SecureBytes& buffer) const {
    auto& mode = modes_.get(direction);
    mode.start(iv.data(), iv.size());
    mode.finish(buffer);
  }

  CipherSpec spec_;
  LazyModes<Botan::Cipher_Mode> modes_;
  Integrity integrity_;
};

// AEAD: the `associated` bytes are the AAD, the nonce is salt || IV, the ICV is the tag (RFC 5282 §5.1,
// RFC 7634 §2-§4).
class AeadSkCipher final : public SkCipher {
 public:
  AeadSkCipher(CipherSpec spec, ByteView key, ByteView salt)
      : spec_(std::move(spec)), modes_(spec_.botan_name, key) {
    std::copy(salt.begin(), salt.end(), nonce_.begin());
  }
  ~AeadSkCipher() override { Botan::secure_scrub_memory(nonce_.data(), nonce_.size()); }
  AeadSkCipher(const AeadSkCipher&) = delete;
  AeadSkCipher& operator=(const AeadSkCipher&) = delete;

  Expected<Bytes, std::string> next_iv(Botan::RandomNumberGenerator&) const override {
    return iv_counter_.next();
  }
  size_t iv_size() const override { return aead_iv_size; }
  size_t block_size() const override { return spec_.block; }
  size_t icv_size() const override { return spec_.tag; }

  Bytes seal(ByteView associated, ByteView iv, ByteView padded_plaintext) const override {
    if (iv.size() != iv_size()) return {};
    try {
      // Room for the tag that finish() appends, which would otherwise make Botan reallocate, copy and scrub.
      SecureBytes buffer;
      buffer.reserve(padded_plaintext.size() + spec_.tag);
      buffer.assign(padded_plaintext.begin(), padded_plaintext.end());
      run(Botan::ENCRYPTION, associated, iv, buffer);
      return Bytes(buffer.begin(), buffer.end());
    } catch (const std::exception&) {
      return {};
    }
  }

  // Botan checks the tag inside finish() and throws without releasing any plaintext when it fails.
  std::optional<SecureBytes> open(ByteView associated, ByteView iv,
                                  ByteView ciphertext_and_icv) const override {
    if (iv.size() != iv_size() || ciphertext_and_icv.size() < icv_size()) return std::nullopt;
    try {
      SecureBytes buffer(ciphertext_and_icv.begin(), ciphertext_and_icv.end());
      run(Botan::DECRYPTION, associated, iv, buffer);
      return buffer;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

 private:
  void run(Botan::Cipher_Dir direction, ByteView associated, ByteView iv, SecureBytes& buffer) const {
    auto& mode = modes_.get(direction);
    mode.set_associated_data(associated.data(), associated.size());
    std::copy(iv.begin(), iv.end(), nonce_.begin() + aead_salt_size);
    mode.start(nonce_.data(), nonce_.size());
    mode.finish(buffer);
  }

  CipherSpec spec_;
  // set_associated_data() and start() prepare a mode for the next message, also after a failed tag check.
  LazyModes<Botan::AEAD_Mode> modes_;
  // salt || IV: the salt is written once, the IV part on every message (no allocation per message). The
  // salt is key material (RFC 5282 §7.1), hence the scrub in the destructor.
  mutable std::array<uint8_t, aead_salt_size + aead_iv_size> nonce_{};
  // Advanced by next_iv(), which is const so protect_message can take a const SkCipher&.
  mutable IvCounter iv_counter_;
};

Expected<SkKeyLengths, std::string> key_lengths(const SkAlgorithm& algorithm, const CipherSpec& spec) {
  if (spec.aead) {
    // RFC 7296 §3.3: a combined-mode proposal carries no integrity transform (or NONE).
    if (algorithm.integrity != IntegrityAlgorithm::NONE) {
      return unexpected(describe(algorithm) + " is an AEAD and takes no integrity algorithm, got " +
                        std::string(iana::name(algorithm.integrity)));
    }
    return SkKeyLengths{spec.key + aead_salt_size, 0};
  }
  if (algorithm.integrity == IntegrityAlgorithm::NONE) {
    return unexpected(describe(algorithm) + " needs an integrity algorithm (RFC 7296 §3.3.3)");
  }
  auto integrity = integrity_lengths(algorithm.integrity);
  if (!integrity) return unexpected(integrity.error());
  return SkKeyLengths{spec.key, integrity->key};
}

}  // namespace

Expected<SkKeyLengths, std::string> sk_key_lengths(const SkAlgorithm& algorithm) {
  auto spec = cipher_spec(algorithm);
  if (!spec) return unexpected(spec.error());
  return key_lengths(algorithm, *spec);
}

Expected<std::unique_ptr<SkCipher>, std::string> make_sk_cipher(const SkAlgorithm& algorithm,
                                                                ByteView encryption_key,
                                                                ByteView integrity_key) {
  auto spec = cipher_spec(algorithm);
  if (!spec) return unexpected(spec.error());
  auto lengths = key_lengths(algorithm, *spec);
  if (!lengths) return unexpected(lengths.error());
  if (encryption_key.size() != lengths->encryption || integrity_key.size() != lengths->integrity) {
    return unexpected(describe(algorithm) + " needs SK_e of " + std::to_string(lengths->encryption) +
                      " and SK_a of " + std::to_string(lengths->integrity) + " bytes, got " +
                      std::to_string(encryption_key.size()) + " and " + std::to_string(integrity_key.size()));
  }
  try {
    if (spec->aead) {
      if (!botan_has<Botan::AEAD_Mode>(spec->botan_name)) return unexpected(lacking(algorithm, *spec));
      const size_t key_size = spec->key;
      return std::unique_ptr<SkCipher>(std::make_unique<AeadSkCipher>(
          std::move(spec).value(), encryption_key.first(key_size), encryption_key.subspan(key_size)));
    }
    if (!botan_has<Botan::Cipher_Mode>(spec->botan_name)) return unexpected(lacking(algorithm, *spec));
    auto integrity = Integrity::make(algorithm.integrity, integrity_key);
    if (!integrity) return unexpected(integrity.error());
    return std::unique_ptr<SkCipher>(
        std::make_unique<CbcSkCipher>(std::move(spec).value(), encryption_key, std::move(integrity).value()));
  } catch (const std::exception& e) {
    return unexpected(describe(algorithm) + ": Botan refused the cipher: " + e.what());
  }
}

}  // namespace ipsecd::crypto
