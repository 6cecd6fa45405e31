// Loads the real strongSwan captures in tests/fixtures/strongswan/ (messages.json + keys.json).
#include "tests/support/strongswan_fixture.h"

#include <botan/hex.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace ipsecd::test {
namespace {

const std::filesystem::path kRoot = std::filesystem::path(IPSECD_FIXTURES_DIR) / "strongswan";

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path.string());
  return nlohmann::json::parse(in);
}

crypto::SecureBytes secret(const nlohmann::json& j) {
  auto b = from_hex(j.get<std::string>());
  return {b.begin(), b.end()};
}

}  // namespace

crypto::Bytes from_hex(const std::string& hex) { return Botan::hex_decode(hex); }

std::vector<std::string> strongswan_fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kRoot)) {
    if (entry.is_directory() && std::filesystem::exists(entry.path() / "keys.json")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

StrongswanFixture load_strongswan_fixture(const std::string& name) {
  const auto dir = kRoot / name;
  const auto keys = read_json(dir / "keys.json");
  const auto msgs = read_json(dir / "messages.json");

  StrongswanFixture f;
  f.name = name;
  const auto& t = keys.at("transforms");
  f.transforms.encryption = t.at("encr").at("id").get<uint16_t>();
  f.transforms.encryption_key_bits = t.at("encr").value("key_length_bits", uint16_t{0});
  if (t.contains("integ")) f.transforms.integrity = t.at("integ").at("id").get<uint16_t>();
  f.transforms.prf = t.at("prf").at("id").get<uint16_t>();
  f.transforms.key_exchange = t.at("ke").at("id").get<uint16_t>();

  f.spi_i = from_hex(keys.at("spi_i"));
  f.spi_r = from_hex(keys.at("spi_r"));
  f.ni = from_hex(keys.at("ni"));
  f.nr = from_hex(keys.at("nr"));
  f.ke_i = from_hex(keys.at("ke_i"));
  f.ke_r = from_hex(keys.at("ke_r"));
  f.shared_secret = secret(keys.at("shared_secret"));
  f.skeyseed = secret(keys.at("skeyseed"));
  f.sk_d = secret(keys.at("sk_d"));
  f.sk_ai = secret(keys.at("sk_ai"));
  f.sk_ar = secret(keys.at("sk_ar"));
  f.sk_ei = secret(keys.at("sk_ei"));
  f.sk_er = secret(keys.at("sk_er"));
  f.sk_pi = secret(keys.at("sk_pi"));
  f.sk_pr = secret(keys.at("sk_pr"));
  if (keys.at("psk").is_string()) f.psk = keys.at("psk").get<std::string>();
  f.initiator_id = keys.at("initiator").at("id").get<std::string>();
  f.responder_id = keys.at("responder").at("id").get<std::string>();

  for (const auto& m : msgs.at("messages")) {
    f.messages.push_back(FixtureMessage{
        m.at("index").get<int>(),
        m.at("direction").get<std::string>() == "initiator_to_responder",
        m.at("exchange_type").get<uint8_t>(),
        m.at("is_response").get<bool>(),
        m.at("message_id").get<uint32_t>(),
        from_hex(m.at("hex")),
    });
  }
  for (const auto& e : keys.at("encrypted_messages")) {
    f.encrypted.push_back(FixtureEncrypted{
        e.at("message_index").get<int>(),
        from_hex(e.at("iv")),
        from_hex(e.at("plain")),
        from_hex(e.at("padding")),
        from_hex(e.at("assoc")),
    });
  }
  return f;
}

}  // namespace ipsecd::test
