// The Encrypted payload (RFC 7296 §3.14): an inner payload chain into a protected message and back.
#include "daemon/ike/sk_protection.h"

#include <fmt/format.h>

#include <algorithm>

namespace ipsecd::ike {

Expected<UnprotectedPayloads, UnprotectError> unprotect_message(crypto::ByteView datagram,
                                                                const DecodedMessage& decoded,
                                                                const crypto::SkCipher& cipher) {
  const auto& payloads = decoded.message.payloads;
  const SkPayload* sk = payloads.empty() ? nullptr : std::get_if<SkPayload>(&payloads.back().body);
  if (sk == nullptr || !decoded.encrypted_offset) {
    return unexpected(UnprotectError{UnprotectErrorCode::not_encrypted, "the message has no SK payload"});
  }
  auto opened = open_encrypted_body(datagram, *decoded.encrypted_offset, cipher);
  if (!opened) return unexpected(opened.error());

  auto inner = decode_payloads(sk->first_inner, opened->plaintext);
  if (!inner) {
    return unexpected(UnprotectError{UnprotectErrorCode::inner_decode, "", inner.error()});
  }
  return UnprotectedPayloads{std::move(*inner), std::move(opened->padding)};
}

Expected<crypto::Bytes, std::string> seal_message(const Message& outer, crypto::ByteView plaintext,
                                                  const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                  crypto::ByteView padding) {
  auto encoded = encode_message(outer);
  if (!encoded) return unexpected(encoded.error());
  if (!encoded->encrypted_offset) return unexpected(std::string("the message does not end in SK or SKF"));
  crypto::Bytes& bytes = encoded->bytes;
  const size_t body_offset = *encoded->encrypted_offset;
  if (bytes.size() - body_offset != encrypted_body_size(cipher, plaintext.size(), padding.size())) {
    return unexpected(std::string("the encrypted payload's placeholder has the wrong size"));
  }
  auto body = seal_encrypted_body(crypto::ByteView(bytes).first(body_offset), cipher, iv, plaintext, padding);
  if (!body) return unexpected(body.error());
  std::copy(body->begin(), body->end(), bytes.begin() + static_cast<ptrdiff_t>(body_offset));
  return std::move(bytes);
}

namespace {

// Lays the message out with a body of the right size first: the associated data covers the header's
// Length and the SK header's Payload Length, which depend on it.
Expected<crypto::Bytes, std::string> seal_sk(const Header& header, iana::PayloadType first_inner,
                                             crypto::ByteView plaintext, const crypto::SkCipher& cipher,
                                             crypto::ByteView iv, crypto::ByteView padding) {
  const Message outer{header,
                      {Payload{SkPayload{first_inner, crypto::Bytes(encrypted_body_size(
                                                          cipher, plaintext.size(), padding.size()))}}}};
  return seal_message(outer, plaintext, cipher, iv, padding);
}

}  // namespace

Expected<crypto::Bytes, std::string> protect_message(const Header& header, const std::vector<Payload>& inner,
                                                     const crypto::SkCipher& cipher, crypto::ByteView iv,
                                                     crypto::ByteView padding) {
  auto plaintext = encode_payloads(inner);
  if (!plaintext) return unexpected(plaintext.error());
  return seal_sk(header, first_payload_type(inner), *plaintext, cipher, iv, padding);
}

Expected<crypto::Bytes, std::string> protect_message(const Header& header, const std::vector<Payload>& inner,
                                                     const crypto::SkCipher& cipher,
                                                     Botan::RandomNumberGenerator& rng) {
  auto plaintext = encode_payloads(inner);
  if (!plaintext) return unexpected(plaintext.error());
  // Counter IVs for AEAD, random ones for CBC: the cipher knows which its mode needs.
  auto iv = cipher.next_iv(rng);
  if (!iv) return unexpected(iv.error());
  // §3.14 lets the padding hold any value; zeros leak nothing.
  const crypto::Bytes padding(minimal_padding_length(plaintext->size(), cipher.block_size()), 0);
  return seal_sk(header, first_payload_type(inner), *plaintext, cipher, *iv, padding);
}

}  // namespace ipsecd::ike
