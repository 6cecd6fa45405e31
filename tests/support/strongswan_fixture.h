// Loads the real strongSwan captures in tests/fixtures/strongswan/ (messages.json + keys.json) for tests
// and benchmarks.
#pragma once

#include "crypto/bytes.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::test {

struct FixtureMessage {
  int index;
  bool from_initiator;
  uint8_t exchange_type;
  bool is_response;
  uint32_t message_id;
  crypto::Bytes bytes;  // the IKE message from its header on (any non-ESP marker already removed)
};

// One decrypted SK payload as charon logged it.
struct FixtureEncrypted {
  int message_index;
  crypto::Bytes iv;
  crypto::Bytes plain;    // the inner payload chain
  crypto::Bytes padding;  // padding bytes followed by the Pad Length byte
  crypto::Bytes associated;
};

struct FixtureTransforms {
  uint16_t encryption;
  uint16_t encryption_key_bits;  // 0 when the transform had no Key Length attribute
  std::optional<uint16_t> integrity;
  uint16_t prf;
  uint16_t key_exchange;
};

struct StrongswanFixture {
  std::string name;
  FixtureTransforms transforms;
  crypto::Bytes spi_i, spi_r, ni, nr, ke_i, ke_r;
  crypto::SecureBytes shared_secret, skeyseed;
  crypto::SecureBytes sk_d, sk_ai, sk_ar, sk_ei, sk_er, sk_pi, sk_pr;
  std::optional<std::string> psk;
  std::string initiator_id, responder_id;
  std::vector<FixtureMessage> messages;
  std::vector<FixtureEncrypted> encrypted;
};

// Names of every capture directory under tests/fixtures/strongswan/, sorted.
std::vector<std::string> strongswan_fixture_names();

// Throws std::runtime_error naming the file when the fixture cannot be read: tests want a loud failure.
StrongswanFixture load_strongswan_fixture(const std::string& name);

crypto::Bytes from_hex(const std::string& hex);

}  // namespace ipsecd::test
