// The body shared by SK (RFC 7296 §3.14) and SKF (RFC 7383 §2.5): IV || encrypted(plaintext || Padding ||
// Pad Length) || ICV, sealed over and checked against the bytes of the message that precede it.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/decode_error.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace ipsecd::ike {

enum class UnprotectErrorCode : uint8_t {
  // The message does not end in the encrypted payload the caller expected (SK or SKF).
  not_encrypted,
  // Too short for IV, Pad Length and ICV, or the ciphertext is not a whole number of blocks.
  bad_length,
  // The ICV did not verify: the message is discarded (§2.21.2) and counted by the caller.
  integrity_failed,
  // The Pad Length byte reaches before the start of the plaintext.
  bad_padding,
  // The decrypted inner chain is malformed; `decode` says how.
  inner_decode,
  // SKF only: the fragment set is inconsistent or over the reassembly limits (RFC 7383 §2.6).
  bad_fragment,
};

std::string_view name(UnprotectErrorCode code);

struct UnprotectError {
  UnprotectErrorCode code;
  std::string message;
  DecodeError decode{};  // meaningful for inner_decode only
};

std::string to_string(const UnprotectError& error);

struct OpenedBody {
  crypto::SecureBytes plaintext;  // without Padding and Pad Length
  crypto::SecureBytes padding;    // Padding bytes as received, without the Pad Length byte
};

// Checks the ICV over datagram[0, end) and decrypts; `body_offset` is where the IV starts and the body
// runs to the end of the datagram.
Expected<OpenedBody, UnprotectError> open_encrypted_body(crypto::ByteView datagram, size_t body_offset,
                                                         const crypto::SkCipher& cipher);

// IV || ciphertext || ICV for `plaintext` followed by `padding` and the Pad Length byte; `associated` is
// every byte of the message before the IV. Fails when the padded plaintext does not fill whole blocks or
// the IV has the wrong size.
Expected<crypto::Bytes, std::string> seal_encrypted_body(crypto::ByteView associated,
                                                         const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                         crypto::ByteView plaintext, crypto::ByteView padding);

// Size of the body seal_encrypted_body returns, so the message around it can be laid out first.
size_t encrypted_body_size(const crypto::SkCipher& cipher, size_t plaintext_length, size_t padding_length);

// Padding for `plaintext_length` bytes so that plaintext + Padding + the Pad Length byte fill whole
// blocks: the least the cipher needs (§3.14 lets the sender choose any amount up to 255).
size_t minimal_padding_length(size_t plaintext_length, size_t block_size);

}  // namespace ipsecd::ike
