// The lowest-nonce rule that settles simultaneous rekeys (RFC 7296 §2.8.1).
#pragma once

#include "crypto/bytes.h"

#include <algorithm>

namespace ipsecd::ikev2 {

// True when the exchange with nonces (ni, nr) holds the lowest of the four nonces of two colliding
// rekeys: the SA it made is the redundant one, to be deleted by that exchange's initiator. Nonces
// compare as unsigned byte strings, as strongSwan compares them.
inline bool holds_lowest_nonce(const crypto::Bytes& ni, const crypto::Bytes& nr,
                               const crypto::Bytes& other_ni, const crypto::Bytes& other_nr) {
  return std::min(ni, nr) < std::min(other_ni, other_nr);
}

}  // namespace ipsecd::ikev2
