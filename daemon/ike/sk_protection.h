// The Encrypted payload (RFC 7296 §3.14): wrapping an inner payload chain into a protected message and
// back, with the ICV checked before anything is decrypted.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/encrypted_body.h"
#include "daemon/ike/header.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/payloads.h"

#include <string>
#include <vector>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::ike {

// The inner chain of an SK payload, plus the padding as received so a re-encode can reproduce it.
struct UnprotectedPayloads {
  std::vector<Payload> payloads;
  crypto::SecureBytes padding;  // Padding bytes, without the Pad Length byte
};

// Verifies and decrypts the SK payload that ends `decoded` (decode_message of `datagram`), then decodes
// the inner chain. Nothing of the plaintext is looked at before the ICV has verified.
Expected<UnprotectedPayloads, UnprotectError> unprotect_message(crypto::ByteView datagram,
                                                                const DecodedMessage& decoded,
                                                                const crypto::SkCipher& cipher);

// Builds a whole protected datagram: `header`, then one SK payload holding `inner`, encrypted with the
// given IV and Padding (without the Pad Length byte; plaintext + padding + 1 must fill whole blocks).
// The explicit form exists so tests can reproduce a captured message byte for byte.
Expected<crypto::Bytes, std::string> protect_message(const Header& header, const std::vector<Payload>& inner,
                                                     const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                     crypto::ByteView padding);

// The same with the cipher's next IV (SkCipher::next_iv: a counter for AEAD, random bytes from `rng` for
// CBC) and the least padding the cipher's block size needs.
Expected<crypto::Bytes, std::string> protect_message(const Header& header, const std::vector<Payload>& inner,
                                                     const crypto::SkCipher& cipher,
                                                     Botan::RandomNumberGenerator& rng);

// Seals `plaintext` into `outer`, whose last payload is an SK or SKF payload whose `encrypted` field is a
// placeholder of encrypted_body_size() bytes: the associated data covers the header's Length and the
// payload's own Length, so the layout must be final before the ICV is computed.
Expected<crypto::Bytes, std::string> seal_message(const Message& outer, crypto::ByteView plaintext,
                                                  const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                  crypto::ByteView padding);

}  // namespace ipsecd::ike
