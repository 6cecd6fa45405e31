// The body shared by SK (RFC 7296 §3.14) and SKF (RFC 7383 §2.5): sealing and checked opening.
#include "daemon/ike/encrypted_body.h"

#include <fmt/format.h>

namespace ipsecd::ike {

std::string_view name(UnprotectErrorCode code) {
  switch (code) {
    case UnprotectErrorCode::not_encrypted: return "not_encrypted";
    case UnprotectErrorCode::bad_length: return "bad_length";
    case UnprotectErrorCode::integrity_failed: return "integrity_failed";
    case UnprotectErrorCode::bad_padding: return "bad_padding";
    case UnprotectErrorCode::inner_decode: return "inner_decode";
    case UnprotectErrorCode::bad_fragment: return "bad_fragment";
  }
  return "unknown";
}

std::string to_string(const UnprotectError& error) {
  if (error.code == UnprotectErrorCode::inner_decode) {
    return fmt::format("{}: {}", name(error.code), ike::to_string(error.decode));
  }
  return fmt::format("{}: {}", name(error.code), error.message);
}

size_t minimal_padding_length(size_t plaintext_length, size_t block_size) {
  if (block_size <= 1) return 0;
  return (block_size - (plaintext_length + 1) % block_size) % block_size;
}

size_t encrypted_body_size(const crypto::SkCipher& cipher, size_t plaintext_length, size_t padding_length) {
  return cipher.iv_size() + plaintext_length + padding_length + 1 + cipher.icv_size();
}

Expected<crypto::Bytes, std::string> seal_encrypted_body(crypto::ByteView associated,
                                                         const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                         crypto::ByteView plaintext, crypto::ByteView padding) {
  if (iv.size() != cipher.iv_size()) {
    return unexpected(fmt::format("IV is {} bytes, the cipher takes {}", iv.size(), cipher.iv_size()));
  }
  // §3.14: Pad Length is one byte.
  if (padding.size() > 255) return unexpected(fmt::format("{} bytes of padding exceed 255", padding.size()));
  const size_t padded_length = plaintext.size() + padding.size() + 1;
  if (padded_length % cipher.block_size() != 0) {
    return unexpected(fmt::format("{} bytes of padded plaintext are not a multiple of the {}-byte block",
                                  padded_length, cipher.block_size()));
  }
  // Plain Bytes like the encoded payloads it is copied from (encode_payloads): a locked, scrubbed copy
  // would keep nothing out of ordinary memory.
  crypto::Bytes padded;
  padded.reserve(padded_length);
  padded.insert(padded.end(), plaintext.begin(), plaintext.end());
  padded.insert(padded.end(), padding.begin(), padding.end());
  padded.push_back(static_cast<uint8_t>(padding.size()));

  const crypto::Bytes sealed = cipher.seal(associated, iv, padded);
  if (sealed.size() != padded_length + cipher.icv_size()) {
    return unexpected(std::string("the cipher refused the plaintext"));
  }
  crypto::Bytes body;
  body.reserve(iv.size() + sealed.size());
  body.insert(body.end(), iv.begin(), iv.end());
  body.insert(body.end(), sealed.begin(), sealed.end());
  return body;
}

Expected<OpenedBody, UnprotectError> open_encrypted_body(crypto::ByteView datagram, size_t body_offset,
                                                         const crypto::SkCipher& cipher) {
  if (body_offset > datagram.size()) {
    return unexpected(UnprotectError{UnprotectErrorCode::bad_length, "encrypted body starts past the end"});
  }
  const crypto::ByteView body = datagram.subspan(body_offset);
  const size_t iv_size = cipher.iv_size();
  const size_t icv_size = cipher.icv_size();
  // At least one block of ciphertext, which holds the Pad Length byte.
  if (body.size() < iv_size + cipher.block_size() + icv_size) {
    return unexpected(UnprotectError{
        UnprotectErrorCode::bad_length,
        fmt::format("{} bytes cannot hold a {}-byte IV, one block and a {}-byte ICV", body.size(), iv_size,
                    icv_size)});
  }
  const size_t ciphertext_length = body.size() - iv_size - icv_size;
  if (ciphertext_length % cipher.block_size() != 0) {
    return unexpected(UnprotectError{UnprotectErrorCode::bad_length,
                                     fmt::format("{} bytes of ciphertext are not a multiple of the {}-byte block",
                                                 ciphertext_length, cipher.block_size())});
  }
  auto plain = cipher.open(datagram.first(body_offset), body.first(iv_size), body.subspan(iv_size));
  if (!plain) {
    return unexpected(UnprotectError{UnprotectErrorCode::integrity_failed, "ICV does not verify"});
  }
  crypto::SecureBytes& padded = *plain;
  const size_t pad_length = padded.back();
  if (pad_length + 1 > padded.size()) {
    return unexpected(UnprotectError{
        UnprotectErrorCode::bad_padding,
        fmt::format("Pad Length {} exceeds the {} bytes of plaintext", pad_length, padded.size() - 1)});
  }
  const size_t content_length = padded.size() - 1 - pad_length;
  OpenedBody opened;
  opened.padding.assign(padded.begin() + static_cast<ptrdiff_t>(content_length), padded.end() - 1);
  padded.resize(content_length);
  opened.plaintext = std::move(padded);
  return opened;
}

}  // namespace ipsecd::ike
