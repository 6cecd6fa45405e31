// The credential sections: trust anchors [ca.NAME] and secrets [secrets.NAME] (pre-shared keys for
// identities, private keys), and the trust stores built from the anchors.
#pragma once

#include "crypto/bytes.h"
#include "crypto/validated_key_cache.h"
#include "daemon/config/daemon_config.h"
#include "daemon/config/toml_reader.h"
#include "daemon/ike/ikev2/config.h"

#include <botan/pk_keys.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ipsecd::config {

// One [secrets.NAME] section: either a pre-shared key for `ids`, or a private key (matched to a
// connection's certificate by its public key, as strongSwan does).
struct SecretEntry {
  std::string name;
  std::vector<ikev2::Identity> ids;
  crypto::SecureBytes psk;
  std::shared_ptr<const Botan::Private_Key> private_key;
  std::filesystem::path private_key_file;
  const toml::table* table = nullptr;  // where it was written, for errors; valid while loading
  // False when the section had errors (already reported): lookups that might have found it stay quiet
  // rather than add a second error caused by the first.
  bool valid = true;
};

// nullopt when the section has errors (reported).
std::optional<CaEntry> read_ca_section(Diagnostics& diagnostics, const std::string& name, const toml::table& table);
// With errors (reported), what could be read and valid = false.
SecretEntry read_secret_section(Diagnostics& diagnostics, const std::string& name, const toml::table& table);

// One trust store and validation cache per distinct set of [ca.*] sections, shared by every connection
// naming that set, so a peer certificate validated for one is not validated again for the other.
class TrustStores {
 public:
  explicit TrustStores(const std::map<std::string, CaEntry, std::less<>>& cas) : cas_(cas) {}
  // `names` sorted and all present in the map given to the constructor.
  std::shared_ptr<crypto::ValidatedKeyCache> for_cas(const std::vector<std::string>& names);

 private:
  const std::map<std::string, CaEntry, std::less<>>& cas_;
  std::map<std::vector<std::string>, std::shared_ptr<crypto::ValidatedKeyCache>> made_;
};

}  // namespace ipsecd::config
