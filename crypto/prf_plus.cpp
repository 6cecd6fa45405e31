// prf+, the IKEv2 key-stretching function (RFC 7296 §2.13).
#include "crypto/prf_plus.h"

#include <algorithm>

namespace ipsecd::crypto {

Expected<SecureBytes, std::string> prf_plus(const Prf& prf, ByteView key, ByteView seed, size_t length) {
  const size_t block = prf.output_size();
  if (length > prf_plus_max_iterations * block) {
    return unexpected("prf+ cannot produce " + std::to_string(length) + " bytes with " +
                      std::string(iana::name(prf.id())) + ": at most 255 iterations of " +
                      std::to_string(block) + " bytes");
  }
  SecureBytes output;
  output.reserve(length);
  SecureBytes previous;
  SecureBytes input;
  for (uint8_t counter = 1; output.size() < length; ++counter) {
    input.assign(previous.begin(), previous.end());
    input.insert(input.end(), seed.begin(), seed.end());
    input.push_back(counter);
    previous = prf.compute(key, input);
    const size_t take = std::min(previous.size(), length - output.size());
    output.insert(output.end(), previous.begin(), previous.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return output;
}

}  // namespace ipsecd::crypto
