// IKEv2 pseudorandom functions by IANA transform ID (RFC 7296 §3.3.2, RFC 4434, RFC 4615, RFC 4868).
#include "crypto/prf.h"

#include "crypto/xcbc_mac.h"

#include <botan/hash.h>
#include <botan/mac.h>
#include <botan/mem_ops.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>

namespace ipsecd::crypto {

namespace {

using iana::PseudorandomFunction;

// HMAC (RFC 2104) on the named hash; RFC 4868 for SHA-2, whose PRF output is the untruncated HMAC.
//
// Written on Botan's hash rather than Botan's HMAC because Botan 2's HMAC re-hashes the padded key on
// every set_key() and again after every final(), while IKE keys each PRF once and uses it once (SKEYSEED,
// AUTH) or a few times (prf+). RFC 2104 §4 recommends instead hashing K XOR ipad and K XOR opad once and
// starting every message from those intermediate states, which is what HmacKeyedPrf does.
class HmacPads {
 public:
  static constexpr uint8_t ipad = 0x36;
  static constexpr uint8_t opad = 0x5c;
  // The largest block of the hashes make_hmac accepts (SHA-384 and SHA-512; the others have 64).
  static constexpr size_t max_block = 128;

  // K0 of RFC 2104 §2 (FIPS 198-1 §4): the key, or its hash when longer than the hash block, padded with
  // zeros to the block size; then XORed with ipad. Kept on the stack (no allocation per PRF call) and
  // scrubbed by the destructor.
  HmacPads(Botan::HashFunction& hash, ByteView key)
      : pad_(std::span(storage_).first(hash.hash_block_size())) {
    if (key.size() > pad_.size()) {
      hash.update(key.data(), key.size());
      hash.final(pad_.data());
    } else if (!key.empty()) {
      copy_padded(key);
    }
    xor_all(ipad);
  }
  ~HmacPads() { Botan::secure_scrub_memory(storage_.data(), storage_.size()); }
  HmacPads(const HmacPads&) = delete;
  HmacPads& operator=(const HmacPads&) = delete;

  ByteView inner() const { return pad_; }
  // Turns the inner pad into the outer one; call once, after the last use of inner().
  ByteView outer() {
    xor_all(ipad ^ opad);
    return pad_;
  }

 private:
  // Touches every block byte and reads the key without a branch on its length, as Botan's HMAC does: the
  // length of a pre-shared key (RFC 7296 §2.15) is itself something to keep from a timing observer.
  void copy_padded(ByteView key) {
    for (size_t i = 0; i < pad_.size(); ++i) {
      const size_t in_key = static_cast<size_t>(i < key.size());
      pad_[i] = static_cast<uint8_t>(key[i * in_key] & static_cast<uint8_t>(0u - in_key));
    }
  }

  // Over the whole fixed-size storage, which the compiler vectorises; bytes past the block are never read.
  void xor_all(uint8_t value) {
    for (auto& byte : storage_) byte ^= value;
  }

  std::array<uint8_t, max_block> storage_{};
  std::span<uint8_t> pad_;
};

// The hash states after K XOR ipad and after K XOR opad; each message starts from copies of them.
class HmacKeyedPrf final : public KeyedPrf {
 public:
  HmacKeyedPrf(const Botan::HashFunction& prototype, ByteView key)
      : inner_(prototype.clone()), outer_(prototype.clone()) {
    HmacPads pads(*inner_, key);
    inner_->update(pads.inner().data(), pads.inner().size());
    const ByteView outer = pads.outer();
    outer_->update(outer.data(), outer.size());
  }

  size_t output_size() const override { return inner_->output_length(); }

  void compute(std::span<const ByteView> pieces, std::span<uint8_t> out) override {
    // The inner hash goes into `out` first and is replaced by the outer one.
    const std::unique_ptr<Botan::HashFunction> inner = inner_->copy_state();
    for (const ByteView piece : pieces) inner->update(piece.data(), piece.size());
    inner->final(out.data());
    const std::unique_ptr<Botan::HashFunction> outer = outer_->copy_state();
    outer->update(out.data(), out.size());
    outer->final(out.data());
  }

 private:
  // Botan 2's clone() hands back a raw owning pointer.
  std::unique_ptr<Botan::HashFunction> inner_;
  std::unique_ptr<Botan::HashFunction> outer_;
};

class HmacPrf final : public Prf {
 public:
  HmacPrf(PseudorandomFunction id, std::unique_ptr<Botan::HashFunction> hash)
      : id_(id), hash_(std::move(hash)), scratch_(hash_->clone()) {}

  PseudorandomFunction id() const override { return id_; }
  size_t output_size() const override { return hash_->output_length(); }
  size_t key_size() const override { return hash_->output_length(); }
  bool fixed_key_size() const override { return false; }

  // A single use: one hash object, the pad hashed once each way (no precomputed states to copy).
  SecureBytes compute(ByteView key, ByteView data) const override {
    // The shared scratch object saves a clone per call; a call that finds it in use on another thread
    // clones its own, so the PRF stays safe to share.
    std::unique_lock lock(scratch_mutex_, std::try_to_lock);
    std::unique_ptr<Botan::HashFunction> own;
    if (!lock.owns_lock()) own.reset(hash_->clone());
    Botan::HashFunction& hash = own ? *own : *scratch_;
    HmacPads pads(hash, key);
    hash.update(pads.inner().data(), pads.inner().size());
    hash.update(data.data(), data.size());
    SecureBytes out = hash.final();
    const ByteView outer = pads.outer();
    hash.update(outer.data(), outer.size());
    hash.update(out);
    hash.final(out.data());
    return out;
  }

  std::unique_ptr<KeyedPrf> keyed(ByteView key) const override {
    return std::make_unique<HmacKeyedPrf>(*hash_, key);
  }

 private:
  PseudorandomFunction id_;
  // Unkeyed prototype, only cloned.
  std::unique_ptr<Botan::HashFunction> hash_;
  // Between calls it holds nothing: Botan's final() wipes the message buffer and resets the state.
  mutable std::mutex scratch_mutex_;
  mutable std::unique_ptr<Botan::HashFunction> scratch_;
};

constexpr size_t aes_prf_size = 16;

// AES-XCBC-PRF-128 under one fitted key. AesXcbcMac takes the message whole, so the pieces are joined.
class AesXcbcKeyedPrf final : public KeyedPrf {
 public:
  explicit AesXcbcKeyedPrf(AesXcbcMac mac) : mac_(std::move(mac)) {}

  size_t output_size() const override { return AesXcbcMac::tag_size; }

  void compute(std::span<const ByteView> pieces, std::span<uint8_t> out) override {
    SecureBytes message;
    for (const ByteView piece : pieces) message.insert(message.end(), piece.begin(), piece.end());
    const SecureBytes tag = mac_.compute(message);
    std::copy(tag.begin(), tag.end(), out.begin());
  }

 private:
  AesXcbcMac mac_;
};

// AES-XCBC-PRF-128 (RFC 4434 §2): AES-XCBC-MAC without truncation; a short key is padded on the right with
// zero bits, a long one is first reduced to 128 bits by AES-XCBC-MAC under the all-zero key.
class AesXcbcPrf final : public Prf {
 public:
  explicit AesXcbcPrf(AesXcbcMac zero_key_mac) : zero_key_mac_(std::move(zero_key_mac)) {}

  PseudorandomFunction id() const override { return PseudorandomFunction::PRF_AES128_XCBC; }
  size_t output_size() const override { return aes_prf_size; }
  size_t key_size() const override { return aes_prf_size; }
  bool fixed_key_size() const override { return true; }

  SecureBytes compute(ByteView key, ByteView data) const override { return mac_for(key).compute(data); }

  std::unique_ptr<KeyedPrf> keyed(ByteView key) const override {
    return std::make_unique<AesXcbcKeyedPrf>(mac_for(key));
  }

 private:
  AesXcbcMac mac_for(ByteView key) const {
    SecureBytes fitted;
    if (key.size() > AesXcbcMac::key_size) {
      fitted = zero_key_mac_.compute(key);
    } else {
      fitted.assign(AesXcbcMac::key_size, 0);
      std::copy(key.begin(), key.end(), fitted.begin());
    }
    // The key is 16 bytes by construction, so make() cannot fail here.
    return std::move(AesXcbcMac::make(fitted)).value();
  }

  AesXcbcMac zero_key_mac_;
};

// AES-CMAC-PRF-128 under one fitted key: a keyed Botan CMAC, which final() leaves ready for the next call.
class AesCmacKeyedPrf final : public KeyedPrf {
 public:
  explicit AesCmacKeyedPrf(std::unique_ptr<Botan::MessageAuthenticationCode> mac) : mac_(std::move(mac)) {}

  size_t output_size() const override { return aes_prf_size; }

  void compute(std::span<const ByteView> pieces, std::span<uint8_t> out) override {
    for (const ByteView piece : pieces) mac_->update(piece.data(), piece.size());
    mac_->final(out.data());
  }

 private:
  std::unique_ptr<Botan::MessageAuthenticationCode> mac_;
};

// AES-CMAC-PRF-128 (RFC 4615 §3): unlike RFC 4434, every key that is not exactly 128 bits, shorter or
// longer, is replaced by AES-CMAC under the all-zero key of that key (RFC 4615 §4 checks a 10-byte key).
class AesCmacPrf final : public Prf {
 public:
  explicit AesCmacPrf(std::unique_ptr<Botan::MessageAuthenticationCode> prototype)
      : prototype_(std::move(prototype)) {}

  PseudorandomFunction id() const override { return PseudorandomFunction::PRF_AES128_CMAC; }
  size_t output_size() const override { return aes_prf_size; }
  size_t key_size() const override { return aes_prf_size; }
  bool fixed_key_size() const override { return true; }

  SecureBytes compute(ByteView key, ByteView data) const override {
    auto mac = mac_for(key);
    mac->update(data.data(), data.size());
    return mac->final();
  }

  std::unique_ptr<KeyedPrf> keyed(ByteView key) const override {
    return std::make_unique<AesCmacKeyedPrf>(mac_for(key));
  }

 private:
  std::unique_ptr<Botan::MessageAuthenticationCode> mac_for(ByteView key) const {
    if (key.size() == aes_prf_size) return keyed_cmac(key);
    const SecureBytes zero_key(aes_prf_size, 0);
    auto reducer = keyed_cmac(zero_key);
    reducer->update(key.data(), key.size());
    return keyed_cmac(reducer->final());
  }

  std::unique_ptr<Botan::MessageAuthenticationCode> keyed_cmac(ByteView key) const {
    // Botan 2's clone() hands back a raw owning pointer.
    std::unique_ptr<Botan::MessageAuthenticationCode> mac(prototype_->clone());
    mac->set_key(key.data(), key.size());
    return mac;
  }

  std::unique_ptr<Botan::MessageAuthenticationCode> prototype_;
};

Expected<std::unique_ptr<Prf>, std::string> make_hmac(PseudorandomFunction id, const std::string& hash_name) {
  auto hash = Botan::HashFunction::create(hash_name);
  if (!hash) return unexpected("Botan lacks " + hash_name);
  if (hash->hash_block_size() > HmacPads::max_block) {
    return unexpected(hash_name + " has a block larger than HMAC here allows");
  }
  return std::unique_ptr<Prf>(std::make_unique<HmacPrf>(id, std::move(hash)));
}

}  // namespace

Expected<std::unique_ptr<Prf>, std::string> make_prf(PseudorandomFunction id) {
  switch (id) {
    case PseudorandomFunction::PRF_HMAC_MD5:
      return make_hmac(id, "MD5");
    case PseudorandomFunction::PRF_HMAC_SHA1:
      return make_hmac(id, "SHA-1");
    case PseudorandomFunction::PRF_HMAC_SHA2_256:
      return make_hmac(id, "SHA-256");
    case PseudorandomFunction::PRF_HMAC_SHA2_384:
      return make_hmac(id, "SHA-384");
    case PseudorandomFunction::PRF_HMAC_SHA2_512:
      return make_hmac(id, "SHA-512");
    case PseudorandomFunction::PRF_AES128_XCBC: {
      const SecureBytes zero_key(AesXcbcMac::key_size, 0);
      auto zero_key_mac = AesXcbcMac::make(zero_key);
      if (!zero_key_mac) return unexpected(zero_key_mac.error());
      return std::unique_ptr<Prf>(std::make_unique<AesXcbcPrf>(std::move(zero_key_mac).value()));
    }
    case PseudorandomFunction::PRF_AES128_CMAC: {
      auto prototype = Botan::MessageAuthenticationCode::create("CMAC(AES-128)");
      if (!prototype) return unexpected(std::string("Botan lacks CMAC(AES-128)"));
      return std::unique_ptr<Prf>(std::make_unique<AesCmacPrf>(std::move(prototype)));
    }
    case PseudorandomFunction::PRF_HMAC_TIGER:
      break;
  }
  return unexpected("unsupported PRF " + std::string(iana::name(id)) + " (" +
                    std::to_string(static_cast<unsigned>(id)) + ")");
}

}  // namespace ipsecd::crypto
