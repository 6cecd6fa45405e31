// IKEv2 pseudorandom functions by IANA transform ID (RFC 7296 §3.3.2, RFC 4434, RFC 4615, RFC 4868).
#include "crypto/prf.h"

#include "crypto/xcbc_mac.h"

#include <botan/hash.h>
#include <botan/mac.h>

#include <algorithm>
#include <utility>

namespace ipsecd::crypto {

namespace {

using iana::PseudorandomFunction;

// HMAC with the named hash (RFC 2104; RFC 4868 for SHA-2, whose PRF output is the untruncated HMAC).
class HmacPrf final : public Prf {
 public:
  HmacPrf(PseudorandomFunction id, std::unique_ptr<Botan::MessageAuthenticationCode> hmac,
          std::unique_ptr<Botan::HashFunction> hash)
      : id_(id), hmac_(std::move(hmac)), hash_(std::move(hash)) {}

  PseudorandomFunction id() const override { return id_; }
  size_t output_size() const override { return hmac_->output_length(); }
  size_t key_size() const override { return hmac_->output_length(); }
  bool fixed_key_size() const override { return false; }

  SecureBytes compute(ByteView key, ByteView data) const override {
    // Botan 2's clone() hands back a raw owning pointer.
    std::unique_ptr<Botan::MessageAuthenticationCode> mac(hmac_->clone());
    if (mac->valid_keylength(key.size())) {
      mac->set_key(key.data(), key.size());
    } else {
      // Botan caps HMAC keys at 4096 bytes. RFC 2104 §2 replaces any key longer than the hash block by
      // its hash, so doing that here first gives the same result for every length.
      std::unique_ptr<Botan::HashFunction> hash(hash_->clone());
      hash->update(key.data(), key.size());
      mac->set_key(hash->final());
    }
    mac->update(data.data(), data.size());
    return mac->final();
  }

 private:
  PseudorandomFunction id_;
  std::unique_ptr<Botan::MessageAuthenticationCode> hmac_;
  std::unique_ptr<Botan::HashFunction> hash_;
};

constexpr size_t aes_prf_size = 16;

// AES-XCBC-PRF-128 (RFC 4434 §2): AES-XCBC-MAC without truncation; a short key is padded on the right with
// zero bits, a long one is first reduced to 128 bits by AES-XCBC-MAC under the all-zero key.
class AesXcbcPrf final : public Prf {
 public:
  explicit AesXcbcPrf(AesXcbcMac zero_key_mac) : zero_key_mac_(std::move(zero_key_mac)) {}

  PseudorandomFunction id() const override { return PseudorandomFunction::PRF_AES128_XCBC; }
  size_t output_size() const override { return aes_prf_size; }
  size_t key_size() const override { return aes_prf_size; }
  bool fixed_key_size() const override { return true; }

  SecureBytes compute(ByteView key, ByteView data) const override {
    SecureBytes fitted;
    if (key.size() > AesXcbcMac::key_size) {
      fitted = zero_key_mac_.compute(key);
    } else {
      fitted.assign(AesXcbcMac::key_size, 0);
      std::copy(key.begin(), key.end(), fitted.begin());
    }
    // The key is 16 bytes by construction, so make() cannot fail here.
    return AesXcbcMac::make(fitted)->compute(data);
  }

 private:
  AesXcbcMac zero_key_mac_;
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
    if (key.size() == aes_prf_size) return cmac(key, data);
    const SecureBytes zero_key(aes_prf_size, 0);
    return cmac(cmac(zero_key, key), data);
  }

 private:
  SecureBytes cmac(ByteView key, ByteView data) const {
    std::unique_ptr<Botan::MessageAuthenticationCode> mac(prototype_->clone());
    mac->set_key(key.data(), key.size());
    mac->update(data.data(), data.size());
    return mac->final();
  }

  std::unique_ptr<Botan::MessageAuthenticationCode> prototype_;
};

Expected<std::unique_ptr<Prf>, std::string> make_hmac(PseudorandomFunction id, const std::string& hash_name) {
  auto hmac = Botan::MessageAuthenticationCode::create("HMAC(" + hash_name + ")");
  auto hash = Botan::HashFunction::create(hash_name);
  if (!hmac || !hash) return unexpected("Botan lacks HMAC(" + hash_name + ")");
  return std::unique_ptr<Prf>(std::make_unique<HmacPrf>(id, std::move(hmac), std::move(hash)));
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
