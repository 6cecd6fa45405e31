// prf+, the IKEv2 key-stretching function (RFC 7296 §2.13).
#include "crypto/prf_plus.h"

#include <botan/mem_ops.h>

#include <array>

namespace ipsecd::crypto {

Expected<SecureBytes, std::string> prf_plus(const Prf& prf, ByteView key, ByteView seed, size_t length) {
  const size_t block = prf.output_size();
  if (length > prf_plus_max_iterations * block) {
    return unexpected("prf+ cannot produce " + std::to_string(length) + " bytes with " +
                      std::string(iana::name(prf.id())) + ": at most 255 iterations of " +
                      std::to_string(block) + " bytes");
  }
  const size_t iterations = (length + block - 1) / block;
  if (iterations == 0) return SecureBytes{};
  // Every Tn is under the same K: key the PRF once. Each Tn is written straight into the output, where it
  // is also read back as the Tn-1 of the next iteration.
  const auto keyed = prf.keyed(key);
  SecureBytes output(iterations * block);
  for (size_t n = 1; n <= iterations; ++n) {
    const std::array<uint8_t, 1> counter{static_cast<uint8_t>(n)};
    const ByteView previous = n == 1 ? ByteView() : ByteView(output).subspan((n - 2) * block, block);
    const std::array<ByteView, 3> pieces{previous, seed, counter};
    keyed->compute(pieces, std::span<uint8_t>(output).subspan((n - 1) * block, block));
  }
  // The bytes past `length` are not handed out; wipe them before the vector forgets them.
  Botan::secure_scrub_memory(output.data() + length, output.size() - length);
  output.resize(length);
  return output;
}

}  // namespace ipsecd::crypto
