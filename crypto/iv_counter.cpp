// The never-repeating 64-bit counter that supplies AEAD IVs for IKEv2 SK payloads (RFC 5282 §3.1, RFC 7634
// §2).
#include "crypto/iv_counter.h"

#include <botan/loadstor.h>

#include <limits>

namespace ipsecd::crypto {

Expected<Bytes, std::string> IvCounter::next() {
  if (exhausted_) {
    return unexpected(std::string("the 64-bit IV counter is exhausted: the IKE SA must be rekeyed"));
  }
  Bytes iv(sizeof(next_));
  Botan::store_be(next_, iv.data());
  if (next_ == std::numeric_limits<uint64_t>::max()) {
    exhausted_ = true;
  } else {
    ++next_;
  }
  return iv;
}

}  // namespace ipsecd::crypto
