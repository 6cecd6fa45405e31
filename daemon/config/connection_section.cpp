// Reads one [connections.NAME] section into the engine's ConnectionConfig: addresses, IKE proposals,
// timers, both sides' authentication (RFC 7296 §2.15) with their credentials, and the children.
#include "daemon/config/connection_section.h"

#include "crypto/x509_identity.h"
#include "crypto/x509_load.h"
#include "daemon/ike/ikev2/authentication.h"

#include <botan/x509_key.h>

#include <algorithm>

namespace ipsecd::config {
namespace {

using std::chrono::seconds;

constexpr std::string_view kDefaultIkeProposals[] = {
    "aes256gcm16-aes128gcm16-prfsha384-prfsha256-x25519-ecp256-ecp384-modp3072",
    "aes256-aes128-sha384-sha256-x25519-ecp256-ecp384-modp3072"};
constexpr seconds kDefaultIkeRekey{14400};

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

// "%any" or no value: any address.
std::optional<IpAddress> read_address(TableReader& r, std::string_view key, bool& ok) {
  const auto text = r.string(key);
  if (!text) {
    ok = ok && !r.has(key);
    return std::nullopt;
  }
  if (*text == "%any") return std::nullopt;
  auto address = IpAddress::parse(*text);
  if (!address) {
    r.error(key, in_quotes(*text) + " is not an IPv4 or IPv6 address (or \"%any\"): " + address.error());
    ok = false;
    return std::nullopt;
  }
  return *address;
}

std::optional<ikev2::Identity> read_identity(TableReader& r, std::string_view key) {
  const auto text = r.string(key);
  if (!text) return std::nullopt;
  auto id = ikev2::parse_identity(*text);
  if (!id) {
    r.error(key, in_quotes(*text) + " is not an identity: " + id.error());
    return std::nullopt;
  }
  return *id;
}

// The secret with a psk for `id`; among several, the one that also lists `other` (the far side's
// identity), as strongSwan picks the best match. Reports and returns nullptr when none or several fit.
const SecretEntry* find_psk(Diagnostics& diagnostics, const toml::table& side, const std::string& side_path,
                            const std::vector<SecretEntry>& secrets, const ikev2::Identity& id,
                            const std::optional<ikev2::Identity>& other) {
  std::vector<const SecretEntry*> matches;
  std::vector<const SecretEntry*> best;
  bool some_invalid = false;
  for (const SecretEntry& secret : secrets) {
    some_invalid = some_invalid || !secret.valid;
    if (secret.private_key) continue;
    if (std::find(secret.ids.begin(), secret.ids.end(), id) == secret.ids.end()) continue;
    matches.push_back(&secret);
    if (other && std::find(secret.ids.begin(), secret.ids.end(), *other) != secret.ids.end()) best.push_back(&secret);
  }
  const auto& chosen = best.empty() ? matches : best;
  if (chosen.size() == 1) return chosen.front()->valid ? chosen.front() : nullptr;
  // A broken [secrets] section was reported already and may be the one meant.
  if (chosen.empty() && some_invalid) return nullptr;
  const std::string id_text = ikev2::to_string(id);
  const toml::source_region& at = side.get("auth")->source();
  if (chosen.empty()) {
    diagnostics.add(at, side_path + ".auth", "no [secrets.*] section has a psk for the identity " + in_quotes(id_text) +
                           ": add one with ids = [" + in_quotes(id_text) + ", ...] and psk = \"...\"");
  } else {
    diagnostics.add(at, side_path + ".auth", "the identity " + in_quotes(id_text) + " is in the ids of several [secrets.*] psk sections (" +
                           chosen[0]->name + ", " + chosen[1]->name +
                           ") equally well: list both identities of the connection in exactly one of them");
  }
  return nullptr;
}

// The peer's pinned public key: from a certificate file or a bare SubjectPublicKeyInfo (PEM or DER).
Expected<std::shared_ptr<const Botan::Public_Key>, std::string> load_public_key(const std::filesystem::path& file) {
  if (auto certificates = crypto::load_certificates(file.string())) {
    return std::shared_ptr<const Botan::Public_Key>(certificates->front().load_subject_public_key());
  }
  try {
    return std::shared_ptr<const Botan::Public_Key>(Botan::X509::load_key(file.string()));
  } catch (const std::exception& e) {
    return unexpected(file.string() + " is neither a certificate nor a public key (PEM or DER): " + e.what());
  }
}

bool key_matches(const Botan::Private_Key& key, const Botan::X509_Certificate& certificate) {
  return key.public_key_bits() == certificate.subject_public_key_bitstring();
}

void read_local_pubkey(TableReader& r, const std::vector<StringItem>* files, const Credentials& credentials,
                       ikev2::ConnectionConfig& config, bool& ok) {
  if (files == nullptr) {
    r.error("auth", "auth = \"pubkey\" needs certs = [\"FILE\", ...]: our certificate first, then the "
                    "intermediates the peer needs");
    ok = false;
    return;
  }
  bool loaded_all = true;
  for (const StringItem& item : *files) {
    auto loaded = crypto::load_certificates(resolve_path(*item.at, item.text).string());
    if (!loaded) {
      r.error_at(*item.at, item.key, loaded.error());
      loaded_all = false;
      continue;
    }
    config.local_auth.certificates.insert(config.local_auth.certificates.end(), loaded->begin(), loaded->end());
  }
  if (!loaded_all) {
    ok = false;
    return;
  }
  const Botan::X509_Certificate& own = config.local_auth.certificates.front();
  bool some_invalid = false;
  for (const SecretEntry& secret : credentials.secrets) {
    some_invalid = some_invalid || !secret.valid;
    if (secret.private_key && key_matches(*secret.private_key, own)) {
      config.local_auth.private_key = secret.private_key;
      break;
    }
  }
  const crypto::CertificateIdentity bound = crypto::identity_of(own);
  const std::string& subject = bound.subject_dn;
  if (!config.local_auth.private_key) {
    // A broken [secrets] section was reported already and may hold the key.
    if (!some_invalid) r.error("certs", "no [secrets.*] private_key belongs to the certificate " + in_quotes(subject) +
                         ": add a section with private_key = \"FILE\" holding its key");
    ok = false;
  }
  if (!r.has("id")) {
    config.local_id = ikev2::Identity{iana::IdentificationType::ID_DER_ASN1_DN, bound.subject_dn_der};
  } else if (!ikev2::certificate_binds(bound, config.local_id)) {
    r.error("id", "the certificate " + in_quotes(subject) + " does not bind the identity " +
                      in_quotes(ikev2::to_string(config.local_id)) +
                      ", so peers would refuse it (RFC 4945 §3.1): use its subject DN or a subjectAltName");
    ok = false;
  }
}

// [connections.NAME.local]: how we prove ourselves.
void read_local(Diagnostics& diagnostics, const std::string& path, const toml::table& table,
                const Credentials& credentials, ikev2::ConnectionConfig& config, bool& ok) {
  TableReader r(diagnostics, table, path, {"auth", "id", "certs"});
  const size_t errors_before = diagnostics.count();
  const auto method = r.choice<ikev2::AuthMethod>("auth", {{"psk", ikev2::AuthMethod::psk}, {"pubkey", ikev2::AuthMethod::pubkey}});
  if (!method && !r.has("auth")) r.error("auth", "auth is required: \"psk\" or \"pubkey\"");
  const auto id = read_identity(r, "id");
  if (id) config.local_id = *id;
  const auto certs = r.strings("certs", false);
  if (diagnostics.count() != errors_before || !method) {
    ok = false;
    return;
  }
  config.local_auth.method = *method;
  if (*method == ikev2::AuthMethod::pubkey) {
    read_local_pubkey(r, certs ? &*certs : nullptr, credentials, config, ok);
    return;
  }
  if (certs) {
    r.error("certs", "certs only apply to auth = \"pubkey\"");
    ok = false;
  }
  if (!id) {
    if (!config.local_address) {
      r.error("id", "auth = \"psk\" without local_addr needs id: the identity our pre-shared key is for");
      ok = false;
      return;
    }
    config.local_id = ikev2::address_identity(*config.local_address);
  }
}

// [connections.NAME.remote]: what the peer must prove.
void read_remote(Diagnostics& diagnostics, const std::string& path, const toml::table& table,
                 Credentials& credentials, ikev2::ConnectionConfig& config, ConnectionPolicy& policy, bool& ok) {
  TableReader r(diagnostics, table, path, {"auth", "id", "ca", "pubkey"});
  const size_t errors_before = diagnostics.count();
  const auto method = r.choice<ikev2::AuthMethod>("auth", {{"psk", ikev2::AuthMethod::psk}, {"pubkey", ikev2::AuthMethod::pubkey}});
  if (!method && !r.has("auth")) r.error("auth", "auth is required: \"psk\" or \"pubkey\"");
  config.remote_id = read_identity(r, "id");
  const auto cas = r.strings("ca", false);
  const auto pubkey = r.string("pubkey");
  if (diagnostics.count() != errors_before || !method) {
    ok = false;
    return;
  }
  config.remote_auth.method = *method;
  if (*method == ikev2::AuthMethod::psk) {
    for (std::string_view key : {"ca", "pubkey"}) {
      if (r.has(key)) r.error(key, std::string(key) + " only applies to auth = \"pubkey\"");
    }
    if (!config.remote_id) {
      r.error("auth", "auth = \"psk\" needs id: the pre-shared key is chosen by the peer's identity");
    }
    ok = ok && diagnostics.count() == errors_before;
    return;
  }
  if (cas.has_value() == pubkey.has_value()) {
    r.error(cas ? "pubkey" : "auth",
            cas ? "give either ca (a trust store) or pubkey (a pinned key), not both"
                : "auth = \"pubkey\" needs ca = [\"NAME\", ...] (the [ca.*] sections the peer's certificate "
                  "must lead to, or \"all\") or pubkey = \"FILE\" (the peer's pinned key)");
    ok = false;
    return;
  }
  if (pubkey) {
    auto key = load_public_key(resolve_path(*r.node("pubkey"), *pubkey));
    if (!key) {
      r.error("pubkey", key.error());
      ok = false;
      return;
    }
    config.remote_auth.pinned_key = std::move(*key);
    return;
  }
  std::vector<std::string> names;
  for (const StringItem& item : *cas) {
    if (item.text == "all") {
      if (cas->size() != 1) {
        r.error_at(*item.at, item.key, "\"all\" already names every [ca.*] section: give it alone");
        ok = false;
        return;
      }
      if (credentials.cas.empty()) {
        r.error("ca", "ca = \"all\" but there is no [ca.*] section");
        ok = false;
        return;
      }
      for (const auto& [name, entry] : credentials.cas) names.push_back(name);
    } else if (credentials.cas.find(item.text) == credentials.cas.end()) {
      r.error_at(*item.at, item.key, "there is no [ca." + item.text + "] section");
      ok = false;
    } else {
      names.push_back(item.text);
    }
  }
  if (!ok) return;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  config.remote_auth.trust = credentials.trust.for_cas(names);
  policy.remote_cas = std::move(names);
}

}  // namespace

std::optional<std::vector<ikev2::ProposalConfig>> read_proposals(TableReader& r, std::string_view key,
                                                                 iana::SecurityProtocolId protocol) {
  const auto items = r.strings(key, true);
  if (!items) return std::nullopt;
  std::vector<ikev2::ProposalConfig> proposals;
  bool ok = true;
  for (const StringItem& item : *items) {
    auto proposal = ikev2::parse_proposal(item.text, protocol);
    if (!proposal) {
      r.error_at(*item.at, item.key,
                 in_quotes(item.text) + " is not a valid " + std::string(iana::name(protocol)) + " proposal: " +
                     proposal.error());
      ok = false;
      continue;
    }
    proposals.push_back(std::move(*proposal));
  }
  if (!ok) return std::nullopt;
  return proposals;
}

std::vector<std::pair<std::string, const toml::table*>> tables_in_file_order(Diagnostics& diagnostics,
                                                                             const toml::table& parent,
                                                                             const std::string& path) {
  std::vector<std::pair<std::string, const toml::table*>> tables;
  for (auto&& [key, value] : parent) {
    const std::string name(key.str());
    if (const auto* table = value.as_table()) {
      tables.emplace_back(name, table);
    } else {
      diagnostics.add(value.source(), path + "." + name, "expected a table: write [" + path + "." + name + "]");
    }
  }
  std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    const auto& x = a.second->source().begin;
    const auto& y = b.second->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  return tables;
}

std::optional<ConnectionSection> read_connection_section(Diagnostics& diagnostics, const std::string& name,
                                                         const toml::table& table, Credentials& credentials) {
  const std::string path = "connections." + name;
  TableReader r(diagnostics, table, path,
                {"version", "local_addr", "remote_addr", "local_port", "remote_port", "proposals", "dpd_delay",
                 "dpd_action", "rekey_time", "rekey_jitter", "force_encapsulation", "nat_keepalive",
                 "send_initial_contact", "local", "remote", "children"});
  const size_t errors_before = diagnostics.count();
  ConnectionSection section;
  ikev2::ConnectionConfig& c = section.config;
  c.name = name;

  if (auto version = r.integer("version", 0, 255)) {
    if (*version == 1) r.error("version", "IKEv1 is not supported yet: use version = 2 (IKEv2, the default)");
    else if (*version != 2) r.error("version", "version must be 2 (IKEv2)");
  }
  bool addresses_ok = true;
  c.local_address = read_address(r, "local_addr", addresses_ok);
  c.remote_address = read_address(r, "remote_addr", addresses_ok);
  if (c.local_address && c.remote_address && c.local_address->family != c.remote_address->family) {
    r.error("remote_addr", "local_addr and remote_addr must both be IPv4 or both IPv6");
  }
  if (auto port = r.integer("local_port", 1, 65535)) c.local_port = static_cast<uint16_t>(*port);
  if (auto port = r.integer("remote_port", 1, 65535)) c.remote_port = static_cast<uint16_t>(*port);

  if (auto proposals = read_proposals(r, "proposals", iana::SecurityProtocolId::IKE)) {
    c.ike_proposals = std::move(*proposals);
  } else if (!r.has("proposals")) {
    for (std::string_view text : kDefaultIkeProposals) {
      c.ike_proposals.push_back(ikev2::parse_proposal(text, iana::SecurityProtocolId::IKE).value());
    }
  }

  if (auto delay = r.seconds("dpd_delay")) c.dpd_delay = *delay;
  if (auto action = r.choice<DpdAction>(
          "dpd_action", {{"clear", DpdAction::clear}, {"trap", DpdAction::trap}, {"restart", DpdAction::restart}})) {
    section.policy.dpd_action = *action;
  }
  const auto rekey_time = r.seconds("rekey_time");
  const auto jitter = r.seconds("rekey_jitter");
  c.rekey_time = rekey_time.value_or(kDefaultIkeRekey);
  c.rekey_jitter = jitter.value_or(c.rekey_time / 10);
  if (jitter && c.rekey_time.count() > 0 && c.rekey_jitter >= c.rekey_time) {
    r.error("rekey_jitter", "rekey_jitter (" + std::to_string(c.rekey_jitter.count()) +
                                "s) must be less than rekey_time (" + std::to_string(c.rekey_time.count()) + "s)");
  }
  if (auto force = r.boolean("force_encapsulation")) c.force_encapsulation = *force;
  if (auto keepalive = r.seconds("nat_keepalive")) c.nat_keepalive = *keepalive;
  if (auto initial = r.boolean("send_initial_contact")) c.send_initial_contact = *initial;

  // The local side first: a psk local identity may default to local_addr, and the remote side's psk
  // lookup needs both identities.
  bool sides_ok = addresses_ok;
  const toml::table* local = r.subtable("local");
  const toml::table* remote = r.subtable("remote");
  for (std::string_view side : {"local", "remote"}) {
    if (!r.has(side)) {
      r.error(side, "a connection needs a [" + path + "." + std::string(side) + "] table with auth = \"psk\" or \"pubkey\"");
    }
  }
  if (local) read_local(diagnostics, path + ".local", *local, credentials, c, sides_ok);
  if (remote) read_remote(diagnostics, path + ".remote", *remote, credentials, c, section.policy, sides_ok);
  if (local && remote && sides_ok) {
    if (c.local_auth.method == ikev2::AuthMethod::psk) {
      if (const SecretEntry* secret =
              find_psk(diagnostics, *local, path + ".local", credentials.secrets, c.local_id, c.remote_id)) {
        c.local_auth.psk = secret->psk;
      }
    }
    if (c.remote_auth.method == ikev2::AuthMethod::psk) {
      if (const SecretEntry* secret =
              find_psk(diagnostics, *remote, path + ".remote", credentials.secrets, *c.remote_id, c.local_id)) {
        c.remote_auth.psk = secret->psk;
      }
    }
  }

  if (const toml::table* children = r.subtable("children")) {
    for (const auto& [child_name, child_table] : tables_in_file_order(diagnostics, *children, path + ".children")) {
      auto child = read_child_section(diagnostics, path + ".children." + child_name, child_name, *child_table);
      if (!child) continue;
      if (!c.remote_address && addresses_ok) {
        for (std::string_view key : {"start_action", "close_action"}) {
          const ChildAction action = key == "start_action" ? child->policy.start_action : child->policy.close_action;
          if (action == ChildAction::none) continue;
          diagnostics.add(child_table->get(key)->source(), path + ".children." + child_name + "." + std::string(key),
                          in_quotes(config::name(action)) + " needs remote_addr: a connection to %any only responds");
        }
      }
      section.policy.children.emplace(child_name, child->policy);
      c.children.push_back(std::move(child->config));
    }
    if (children->empty()) r.error("children", "a connection needs at least one child: add [" + path + ".children.NAME]");
  } else if (!r.has("children")) {
    r.error("children", "a connection needs at least one child: add [" + path + ".children.NAME]");
  }

  // Restarting or trapping means initiating, which needs a peer address.
  if (!c.remote_address && addresses_ok && section.policy.dpd_action != DpdAction::clear) {
    r.error("dpd_action", in_quotes(config::name(section.policy.dpd_action)) +
                              " needs remote_addr: a connection to %any only responds");
  }

  if (diagnostics.count() != errors_before) return std::nullopt;
  return section;
}

}  // namespace ipsecd::config
