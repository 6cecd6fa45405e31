// Caps on counts and sizes the IKEv2 decoder accepts, so a peer cannot make it allocate or loop at will.
#pragma once

#include <cstddef>

namespace ipsecd::ike {

// The IKE header's Length is 32 bits, but a message travels in one UDP datagram or one RFC 8229 TCP
// frame, both at most 65535 bytes.
inline constexpr size_t kMaxMessageLength = 65535;
inline constexpr size_t kMaxPayloadsPerChain = 64;
inline constexpr size_t kMaxProposals = 64;
// The Num Transforms field is one byte: every count a proposal can claim is accepted, since the datagram
// length already bounds what they occupy and a peer offering many combinations is legitimate.
inline constexpr size_t kMaxTransformsPerProposal = 255;
inline constexpr size_t kMaxAttributesPerTransform = 16;
inline constexpr size_t kMaxTrafficSelectors = 64;
// A CP reply may carry many attributes (e.g. split-include subnets); 1024 of the smallest (4 bytes) still
// fit in kMaxMessageLength, and the datagram length bounds memory anyway.
inline constexpr size_t kMaxConfigurationAttributes = 1024;
// §3.9: "Nonce Data MUST be at least 128 bits ... and MUST NOT be larger than 2048 bits".
inline constexpr size_t kMinNonceLength = 16;
inline constexpr size_t kMaxNonceLength = 256;

}  // namespace ipsecd::ike
