// IKEv2 key derivation: SKEYSEED, SK_*, rekeyed SKEYSEED and CHILD_SA KEYMAT (RFC 7296 §2.13-§2.18).
#include "crypto/ike_key_derivation.h"

#include "crypto/prf_plus.h"

namespace ipsecd::crypto {

namespace {

// Bytes of each nonce that key a fixed-key PRF for SKEYSEED (RFC 7296 §2.14: "the first 64 bits").
constexpr size_t fixed_key_nonce_prefix = 8;

// Into SecureBytes where a secret (g^ir) is among the pieces, into Bytes where all are public (nonces, SPIs),
// which spares the locking allocator and the scrub.
template <typename Vector>
void append(Vector& out, ByteView bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_u64(Bytes& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

// Cuts consecutive pieces off the front of a prf+ output.
class KeyCutter {
 public:
  explicit KeyCutter(const SecureBytes& material) : material_(material) {}
  SecureBytes take(size_t length) {
    SecureBytes piece(material_.begin() + static_cast<std::ptrdiff_t>(offset_),
                      material_.begin() + static_cast<std::ptrdiff_t>(offset_ + length));
    offset_ += length;
    return piece;
  }

 private:
  const SecureBytes& material_;
  size_t offset_ = 0;
};

}  // namespace

Expected<SecureBytes, std::string> ike_sa_skeyseed(const Prf& prf, ByteView ni, ByteView nr,
                                                   ByteView shared_secret) {
  // The nonces are public (they travel in the clear in IKE_SA_INIT), so their concatenation is too.
  Bytes key;
  if (prf.fixed_key_size()) {
    if (ni.size() < fixed_key_nonce_prefix || nr.size() < fixed_key_nonce_prefix) {
      return unexpected(std::string("SKEYSEED with ") + std::string(iana::name(prf.id())) +
                        " needs nonces of at least 8 bytes");
    }
    key.reserve(2 * fixed_key_nonce_prefix);
    append(key, ni.first(fixed_key_nonce_prefix));
    append(key, nr.first(fixed_key_nonce_prefix));
  } else {
    key.reserve(ni.size() + nr.size());
    append(key, ni);
    append(key, nr);
  }
  return prf.compute(key, shared_secret);
}

SecureBytes rekeyed_ike_sa_skeyseed(const Prf& old_prf, ByteView old_sk_d, ByteView shared_secret,
                                    ByteView ni, ByteView nr) {
  SecureBytes data;
  data.reserve(shared_secret.size() + ni.size() + nr.size());
  append(data, shared_secret);
  append(data, ni);
  append(data, nr);
  return old_prf.compute(old_sk_d, data);
}

Expected<IkeSaKeys, std::string> derive_ike_sa_keys(const Prf& prf, ByteView skeyseed, ByteView ni,
                                                    ByteView nr, uint64_t spi_i, uint64_t spi_r,
                                                    const SkAlgorithm& algorithm) {
  auto sk_lengths = sk_key_lengths(algorithm);
  if (!sk_lengths) return unexpected(sk_lengths.error());
  const size_t prf_key = prf.key_size();
  const size_t total = 3 * prf_key + 2 * sk_lengths->integrity + 2 * sk_lengths->encryption;

  Bytes seed;
  seed.reserve(ni.size() + nr.size() + 2 * sizeof(uint64_t));
  append(seed, ni);
  append(seed, nr);
  append_u64(seed, spi_i);
  append_u64(seed, spi_r);
  auto material = prf_plus(prf, skeyseed, seed, total);
  if (!material) return unexpected(material.error());

  KeyCutter cut(*material);
  IkeSaKeys keys;
  keys.sk_d = cut.take(prf_key);
  keys.sk_ai = cut.take(sk_lengths->integrity);
  keys.sk_ar = cut.take(sk_lengths->integrity);
  keys.sk_ei = cut.take(sk_lengths->encryption);
  keys.sk_er = cut.take(sk_lengths->encryption);
  keys.sk_pi = cut.take(prf_key);
  keys.sk_pr = cut.take(prf_key);
  return keys;
}

Expected<ChildSaKeys, std::string> derive_child_sa_keys(const Prf& prf, ByteView sk_d,
                                                        ByteView pfs_shared_secret, ByteView ni, ByteView nr,
                                                        ChildSaKeyLengths lengths) {
  auto keys = derive_child_sa_bundle_keys(prf, sk_d, pfs_shared_secret, ni, nr, {lengths});
  if (!keys) return unexpected(keys.error());
  return std::move(keys->front());
}

Expected<std::vector<ChildSaKeys>, std::string> derive_child_sa_bundle_keys(
    const Prf& prf, ByteView sk_d, ByteView pfs_shared_secret, ByteView ni, ByteView nr,
    const std::vector<ChildSaKeyLengths>& lengths) {
  SecureBytes seed;
  seed.reserve(pfs_shared_secret.size() + ni.size() + nr.size());
  append(seed, pfs_shared_secret);
  append(seed, ni);
  append(seed, nr);
  size_t total = 0;
  for (const auto& l : lengths) total += 2 * (l.encryption + l.integrity);
  auto material = prf_plus(prf, sk_d, seed, total);
  if (!material) return unexpected(material.error());

  KeyCutter cut(*material);
  std::vector<ChildSaKeys> keys(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    keys[i].initiator_to_responder.encryption = cut.take(lengths[i].encryption);
    keys[i].initiator_to_responder.integrity = cut.take(lengths[i].integrity);
  }
  for (size_t i = 0; i < lengths.size(); ++i) {
    keys[i].responder_to_initiator.encryption = cut.take(lengths[i].encryption);
    keys[i].responder_to_initiator.integrity = cut.take(lengths[i].integrity);
  }
  return keys;
}

}  // namespace ipsecd::crypto
