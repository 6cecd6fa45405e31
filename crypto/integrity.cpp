// IKEv2 integrity algorithms by IANA transform ID (RFC 7296 §3.3.2, RFC 2404, RFC 3566, RFC 4868).
#include "crypto/integrity.h"

#include "crypto/xcbc_mac.h"

#include <botan/mac.h>
#include <botan/mem_ops.h>

#include <utility>

namespace ipsecd::crypto {

namespace {

using iana::IntegrityAlgorithm;

// The HMAC key is as long as the hash output (RFC 2403 §3, RFC 2404 §3, RFC 4868 §2.1.1); the ICV is its
// leading half for SHA-2 (RFC 4868 §2.3), 96 bits for MD5, SHA-1 and XCBC (RFC 2403, RFC 2404, RFC 3566).
struct IntegritySpec {
  const char* hmac_hash;  // nullptr for AES-XCBC-MAC-96
  IntegrityLengths lengths;
};

Expected<IntegritySpec, std::string> spec_of(IntegrityAlgorithm algorithm) {
  switch (algorithm) {
    case IntegrityAlgorithm::AUTH_HMAC_MD5_96:
      return IntegritySpec{"MD5", {16, 12}};
    case IntegrityAlgorithm::AUTH_HMAC_SHA1_96:
      return IntegritySpec{"SHA-1", {20, 12}};
    case IntegrityAlgorithm::AUTH_AES_XCBC_96:
      return IntegritySpec{nullptr, {16, 12}};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_256_128:
      return IntegritySpec{"SHA-256", {32, 16}};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_384_192:
      return IntegritySpec{"SHA-384", {48, 24}};
    case IntegrityAlgorithm::AUTH_HMAC_SHA2_512_256:
      return IntegritySpec{"SHA-512", {64, 32}};
    default:
      break;
  }
  return unexpected("unsupported integrity algorithm " + std::string(iana::name(algorithm)) + " (" +
                    std::to_string(static_cast<unsigned>(algorithm)) + ")");
}

}  // namespace

Expected<IntegrityLengths, std::string> integrity_lengths(IntegrityAlgorithm algorithm) {
  auto spec = spec_of(algorithm);
  if (!spec) return unexpected(spec.error());
  return spec->lengths;
}

Integrity::Integrity(IntegrityAlgorithm algorithm, IntegrityLengths lengths,
                     std::unique_ptr<Botan::MessageAuthenticationCode> hmac, std::unique_ptr<AesXcbcMac> xcbc)
    : algorithm_(algorithm),
      lengths_(lengths),
      hmac_(std::move(hmac)),
      xcbc_(std::move(xcbc)) {}

Integrity::Integrity(Integrity&&) noexcept = default;
Integrity& Integrity::operator=(Integrity&&) noexcept = default;
Integrity::~Integrity() = default;

Expected<Integrity, std::string> Integrity::make(IntegrityAlgorithm algorithm, ByteView key) {
  auto spec = spec_of(algorithm);
  if (!spec) return unexpected(spec.error());
  if (key.size() != spec->lengths.key) {
    return unexpected(std::string(iana::name(algorithm)) + " needs a " + std::to_string(spec->lengths.key) +
                      "-byte key, got " + std::to_string(key.size()));
  }
  if (spec->hmac_hash == nullptr) {
    auto xcbc = AesXcbcMac::make(key);
    if (!xcbc) return unexpected(xcbc.error());
    return Integrity(algorithm, spec->lengths, nullptr, std::make_unique<AesXcbcMac>(std::move(xcbc).value()));
  }
  auto hmac = Botan::MessageAuthenticationCode::create(std::string("HMAC(") + spec->hmac_hash + ")");
  if (!hmac) return unexpected(std::string("Botan lacks HMAC(") + spec->hmac_hash + ")");
  hmac->set_key(key.data(), key.size());
  return Integrity(algorithm, spec->lengths, std::move(hmac), nullptr);
}

Bytes Integrity::compute(ByteView data) const {
  SecureBytes full;
  if (xcbc_) {
    full = xcbc_->compute(data);
  } else {
    hmac_->update(data.data(), data.size());
    full = hmac_->final();
  }
  return Bytes(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(lengths_.icv));
}

bool Integrity::verify(ByteView data, ByteView icv) const {
  if (icv.size() != lengths_.icv) return false;
  const Bytes expected = compute(data);
  return Botan::constant_time_compare(expected.data(), icv.data(), icv.size());
}

}  // namespace ipsecd::crypto
