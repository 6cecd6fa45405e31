// The one map from IANA transform IDs (RFC 7296 §3.3.2) to the Linux kernel's crypto API names for ESP/AH.
#pragma once

#include "common/expected.h"
#include "crypto/iana/encryption_algorithm.h"
#include "crypto/iana/integrity_algorithm.h"
#include "netlink/xfrm_types.h"

#include <cstdint>
#include <string>

namespace ipsecd::netlink {

struct KernelEncryption {
  std::string name;
  bool aead = false;
  uint32_t icv_bits = 0;  // AEAD only
};

struct KernelIntegrity {
  std::string name;
  uint32_t truncation_bits = 0;
};

Expected<KernelEncryption, std::string> kernel_encryption(iana::EncryptionAlgorithm id);
Expected<KernelIntegrity, std::string> kernel_integrity(iana::IntegrityAlgorithm id);

// Fills the algorithm fields of an ESP SA. `encryption_key` includes the salt for AEADs (as CHILD_SA
// KEYMAT is cut, RFC 4106 §8.1); `integrity` must be NONE for AEADs and `integrity_key` empty.
Expected<Ok, std::string> set_esp_algorithms(SaSpec& sa, iana::EncryptionAlgorithm encryption,
                                             SecretBytes encryption_key, iana::IntegrityAlgorithm integrity,
                                             SecretBytes integrity_key);

// Fills the algorithm of an AH SA.
Expected<Ok, std::string> set_ah_algorithm(SaSpec& sa, iana::IntegrityAlgorithm integrity,
                                           SecretBytes integrity_key);

}  // namespace ipsecd::netlink
