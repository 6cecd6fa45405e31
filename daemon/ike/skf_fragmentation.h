// IKEv2 message fragmentation (RFC 7383): splitting a protected message into SKF datagrams, opening one
// fragment, and reassembling a fragment set within fixed limits.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "crypto/sk_cipher.h"
#include "daemon/ike/encrypted_body.h"
#include "daemon/ike/header.h"
#include "daemon/ike/message_codec.h"
#include "daemon/ike/payloads.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace Botan {
class RandomNumberGenerator;
}

namespace ipsecd::ike {

// A peer's fragment set may not exceed this many fragments; together with kMaxMessageLength for the
// reassembled plaintext it bounds what one half-received message can hold.
inline constexpr uint16_t kMaxFragments = 64;

// Splits the encoded `inner` chain into SKF datagrams of at most `max_datagram` bytes each (IKE header
// included, any non-ESP marker not), every one sealed on its own (§2.5). Fails when a fragment cannot hold
// a single byte of plaintext or more than kMaxFragments would be needed.
Expected<std::vector<crypto::Bytes>, std::string> fragment_message(const Header& header,
                                                                   const std::vector<Payload>& inner,
                                                                   const crypto::SkCipher& cipher,
                                                                   size_t max_datagram,
                                                                   Botan::RandomNumberGenerator& rng);

struct OpenedFragment {
  uint16_t number;
  uint16_t total;
  iana::PayloadType first_inner;  // meaningful in fragment 1 only (§2.5)
  crypto::SecureBytes plaintext;
};

// Verifies and decrypts the SKF payload that ends `decoded` (decode_message of `datagram`).
Expected<OpenedFragment, UnprotectError> unprotect_fragment(crypto::ByteView datagram,
                                                            const DecodedMessage& decoded,
                                                            const crypto::SkCipher& cipher);

// Collects the verified fragments of one message (one Message ID) until the set is whole (§2.6).
class FragmentReassembly {
 public:
  // Adds one fragment. Returns the decoded inner chain once every fragment is present, nullopt while
  // some are missing. A duplicate is ignored; a fragment from a smaller set than the one held is
  // dropped; one from a larger set (the sender re-fragmented for a smaller MTU) replaces what is held.
  Expected<std::optional<std::vector<Payload>>, UnprotectError> add(OpenedFragment fragment);

  uint16_t received() const { return received_; }
  uint16_t total() const { return total_; }

 private:
  void restart(uint16_t total);

  uint16_t total_ = 0;
  uint16_t received_ = 0;
  size_t bytes_ = 0;
  iana::PayloadType first_inner_ = iana::PayloadType::NO_NEXT_PAYLOAD;
  std::vector<std::optional<crypto::SecureBytes>> parts_;
};

}  // namespace ipsecd::ike
