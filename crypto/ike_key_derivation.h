// IKEv2 key derivation: SKEYSEED, SK_*, rekeyed SKEYSEED and CHILD_SA KEYMAT (RFC 7296 §2.13-§2.18).
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/prf.h"
#include "crypto/sk_cipher.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ipsecd::crypto {

// SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 §2.14). For the fixed-key PRFs (AES-XCBC-PRF-128,
// AES-CMAC-PRF-128) the key is the first 64 bits of Ni followed by the first 64 bits of Nr; an error when
// a nonce is shorter than that.
Expected<SecureBytes, std::string> ike_sa_skeyseed(const Prf& prf, ByteView ni, ByteView nr,
                                                   ByteView shared_secret);

// SKEYSEED of the IKE SA that replaces an old one (RFC 7296 §2.18):
// prf(SK_d (old), g^ir (new) | Ni | Nr), with the nonces of the rekeying exchange. `old_prf` is the PRF of
// the old IKE SA, which the exchange belongs to; the new SA's keys then come from derive_ike_sa_keys with
// the new SA's PRF.
SecureBytes rekeyed_ike_sa_skeyseed(const Prf& old_prf, ByteView old_sk_d, ByteView shared_secret,
                                    ByteView ni, ByteView nr);

struct IkeSaKeys {
  SecureBytes sk_d;
  SecureBytes sk_ai;
  SecureBytes sk_ar;
  SecureBytes sk_ei;
  SecureBytes sk_er;
  SecureBytes sk_pi;
  SecureBytes sk_pr;
};

// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
// (RFC 7296 §2.14). SK_d, SK_pi and SK_pr are prf.key_size() bytes; SK_a* and SK_e* have the lengths
// sk_key_lengths(algorithm) gives (SK_a* empty for AEAD, SK_e* including the salt). The SPIs are the
// values of the IKE header fields, written big-endian into the seed.
Expected<IkeSaKeys, std::string> derive_ike_sa_keys(const Prf& prf, ByteView skeyseed, ByteView ni,
                                                    ByteView nr, uint64_t spi_i, uint64_t spi_r,
                                                    const SkAlgorithm& algorithm);

// Bytes of keying material per direction of one CHILD_SA (see crypto/esp_key_lengths.h).
struct ChildSaKeyLengths {
  size_t encryption;
  size_t integrity;
};

struct ChildSaDirectionKeys {
  SecureBytes encryption;
  SecureBytes integrity;
};

struct ChildSaKeys {
  ChildSaDirectionKeys initiator_to_responder;
  ChildSaDirectionKeys responder_to_initiator;
};

// KEYMAT = prf+(SK_d, [g^ir (new)] | Ni | Nr) (RFC 7296 §2.17); pass an empty `pfs_shared_secret` when the
// exchange had no KE payloads. Taken in the RFC's order: initiator-to-responder keys first, and in each
// direction the encryption key before the integrity key (RFC 4301 via §2.17).
Expected<ChildSaKeys, std::string> derive_child_sa_keys(const Prf& prf, ByteView sk_d,
                                                        ByteView pfs_shared_secret, ByteView ni, ByteView nr,
                                                        ChildSaKeyLengths lengths);

// KEYMAT for the several SAs one CHILD_SA negotiation made, such as an ESP+AH bundle (RFC 7296 §2.17): all
// initiator-to-responder keys come before the responder-to-initiator ones, and within a direction the SAs
// take theirs in the order their headers appear in the packet, which is the order of `lengths` (AH before
// ESP for AH applied outermost). For one SA this is derive_child_sa_keys.
Expected<std::vector<ChildSaKeys>, std::string> derive_child_sa_bundle_keys(
    const Prf& prf, ByteView sk_d, ByteView pfs_shared_secret, ByteView ni, ByteView nr,
    const std::vector<ChildSaKeyLengths>& lengths);

}  // namespace ipsecd::crypto
