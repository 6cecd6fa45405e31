// Reads [ca.*] (CA certificates, CRLs) and [secrets.*] (pre-shared keys with their identities, private
// keys), and builds the trust stores connections check peer certificates against (RFC 5280 path validation).
#include "daemon/config/credentials.h"

#include "crypto/x509_load.h"
#include "crypto/x509_store.h"
#include "daemon/config/value_syntax.h"

namespace ipsecd::config {
namespace {

// Validated peer certificates remembered per trust store; a handful of peers per connection is typical,
// a few hundred road warriors fit.
constexpr size_t kValidatedCacheCapacity = 512;

}  // namespace

std::optional<CaEntry> read_ca_section(Diagnostics& diagnostics, const std::string& name, const toml::table& table) {
  TableReader r(diagnostics, table, "ca." + name, {"certificate", "crls"});
  const size_t errors_before = diagnostics.count();
  CaEntry entry;
  entry.name = name;
  if (auto file = r.string("certificate")) {
    auto certificates = crypto::load_certificates(resolve_path(*r.node("certificate"), *file).string());
    if (!certificates) {
      r.error("certificate", certificates.error());
    } else {
      crypto::TrustStore check;
      for (const auto& certificate : *certificates) {
        if (auto added = check.add_ca(certificate); !added) {
          r.error("certificate", added.error());
        }
      }
      entry.certificates = std::move(*certificates);
    }
  } else if (!r.has("certificate")) {
    r.error("certificate", "a [ca] section needs certificate = \"FILE\" (a CA certificate, PEM or DER)");
  }
  if (auto files = r.strings("crls", false)) {
    for (const StringItem& item : *files) {
      auto crl = crypto::load_crl(resolve_path(*item.at, item.text).string());
      if (!crl) {
        r.error_at(*item.at, item.key, crl.error());
        continue;
      }
      entry.crls.push_back(std::move(*crl));
    }
  }
  if (diagnostics.count() != errors_before) return std::nullopt;
  return entry;
}

SecretEntry read_secret_section(Diagnostics& diagnostics, const std::string& name, const toml::table& table) {
  TableReader r(diagnostics, table, "secrets." + name, {"ids", "psk", "private_key"});
  const size_t errors_before = diagnostics.count();
  SecretEntry entry;
  entry.name = name;
  entry.table = &table;
  const bool has_psk = r.has("psk");
  const bool has_key = r.has("private_key");
  if (has_psk == has_key) {
    r.error(has_psk ? "private_key" : "psk",
            has_psk ? "a secret holds either psk or private_key, not both: split it into two [secrets] sections"
                    : "a secret needs psk = \"...\" (with ids) or private_key = \"FILE\"");
  }
  if (auto psk = r.string("psk")) {
    auto bytes = parse_psk(*psk);
    if (!bytes) r.error("psk", bytes.error());
    else entry.psk = std::move(*bytes);
  }
  if (auto ids = r.strings("ids", false)) {
    if (!has_psk) r.error("ids", "ids name who uses a psk: they do not apply to a private_key");
    for (const StringItem& item : *ids) {
      auto id = ikev2::parse_identity(item.text);
      if (!id) {
        r.error_at(*item.at, item.key, "\"" + item.text + "\" is not an identity: " + id.error());
        continue;
      }
      entry.ids.push_back(std::move(*id));
    }
  } else if (has_psk && !r.has("ids")) {
    r.error("psk", "a psk needs ids = [...]: the identities (local and remote) it authenticates");
  }
  if (auto file = r.string("private_key")) {
    entry.private_key_file = resolve_path(*r.node("private_key"), *file);
    auto key = crypto::load_private_key(entry.private_key_file.string());
    if (!key) r.error("private_key", key.error());
    else entry.private_key = std::move(*key);
  }
  entry.valid = diagnostics.count() == errors_before;
  return entry;
}

std::shared_ptr<crypto::ValidatedKeyCache> TrustStores::for_cas(const std::vector<std::string>& names) {
  auto& made = made_[names];
  if (made) return made;
  auto store = std::make_shared<crypto::TrustStore>();
  for (const std::string& name : names) {
    const CaEntry& ca = cas_.at(name);
    // Every certificate passed add_ca when its section was read.
    for (const auto& certificate : ca.certificates) (void)store->add_ca(certificate);
    for (const auto& crl : ca.crls) store->add_crl(crl);
  }
  made = std::make_shared<crypto::ValidatedKeyCache>(std::move(store), kValidatedCacheCapacity);
  return made;
}

}  // namespace ipsecd::config
