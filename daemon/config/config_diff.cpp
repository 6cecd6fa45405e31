// Compares two configuration snapshots connection by connection, field by field, credentials included.
#include "daemon/config/config_diff.h"

#include <botan/x509_key.h>

namespace ipsecd::config {
namespace {

bool same_key(const std::shared_ptr<const Botan::Public_Key>& a, const std::shared_ptr<const Botan::Public_Key>& b) {
  if (!a || !b) return !a && !b;
  return a->algo_name() == b->algo_name() && a->subject_public_key() == b->subject_public_key();
}

bool same_private_key(const std::shared_ptr<const Botan::Private_Key>& a,
                      const std::shared_ptr<const Botan::Private_Key>& b) {
  if (!a || !b) return !a && !b;
  return a->algo_name() == b->algo_name() && a->private_key_bits() == b->private_key_bits();
}

// The trust store itself is opaque; what it was built from (the CA sections, compared by content) is in
// the policy and the snapshots' CA maps.
bool same_auth(const ikev2::AuthConfig& a, const ikev2::AuthConfig& b) {
  return a.method == b.method && a.psk == b.psk && a.certificates == b.certificates &&
         same_private_key(a.private_key, b.private_key) && same_key(a.pinned_key, b.pinned_key) &&
         (a.trust == nullptr) == (b.trust == nullptr);
}

bool same_child(const ikev2::ChildConfig& a, const ikev2::ChildConfig& b) {
  return a.name == b.name && a.local_ts == b.local_ts && a.remote_ts == b.remote_ts && a.mode == b.mode &&
         a.esp_proposals == b.esp_proposals && a.ah_proposals == b.ah_proposals && a.lifetime == b.lifetime &&
         a.rekey_time == b.rekey_time && a.rekey_jitter == b.rekey_jitter;
}

bool same_connection(const ikev2::ConnectionConfig& a, const ikev2::ConnectionConfig& b) {
  if (a.children.size() != b.children.size()) return false;
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (!same_child(a.children[i], b.children[i])) return false;
  }
  return a.name == b.name && a.local_address == b.local_address && a.remote_address == b.remote_address &&
         a.local_port == b.local_port && a.remote_port == b.remote_port && a.ike_proposals == b.ike_proposals &&
         a.local_id == b.local_id && a.remote_id == b.remote_id && same_auth(a.local_auth, b.local_auth) &&
         same_auth(a.remote_auth, b.remote_auth) && a.send_initial_contact == b.send_initial_contact &&
         a.dpd_delay == b.dpd_delay && a.force_encapsulation == b.force_encapsulation &&
         a.nat_keepalive == b.nat_keepalive && a.rekey_time == b.rekey_time && a.rekey_jitter == b.rekey_jitter;
}

std::vector<uint8_t> encoding(const Botan::X509_Object& object) { return object.BER_encode(); }

bool same_ca(const CaEntry& a, const CaEntry& b) {
  if (a.certificates != b.certificates || a.crls.size() != b.crls.size()) return false;
  for (size_t i = 0; i < a.crls.size(); ++i) {
    if (encoding(a.crls[i]) != encoding(b.crls[i])) return false;
  }
  return true;
}

bool same_trust(const ConnectionPolicy& policy, const DaemonConfig& old, const DaemonConfig& next) {
  for (const std::string& name : policy.remote_cas) {
    auto a = old.cas.find(name);
    auto b = next.cas.find(name);
    if (a == old.cas.end() || b == next.cas.end() || !same_ca(a->second, b->second)) return false;
  }
  return true;
}

bool same_engine(const ikev2::EngineSettings& a, const ikev2::EngineSettings& b) {
  return a.retransmit_timeout == b.retransmit_timeout && a.retransmit_base == b.retransmit_base &&
         a.retransmit_tries == b.retransmit_tries && a.half_open_timeout == b.half_open_timeout &&
         a.cookie_threshold == b.cookie_threshold && a.cookie_secret_period == b.cookie_secret_period &&
         a.first_reqid == b.first_reqid && a.nonce_size == b.nonce_size &&
         a.temporary_failure_retry == b.temporary_failure_retry && a.fragment_size == b.fragment_size &&
         a.signature_hashes == b.signature_hashes;
}

}  // namespace

ConfigDiff diff_configs(const DaemonConfig& old, const DaemonConfig& next) {
  ConfigDiff diff;
  for (const ikev2::ConnectionConfig& connection : next.connections) {
    const ikev2::ConnectionConfig* before = old.connection(connection.name);
    if (before == nullptr) {
      diff.added.push_back(connection.name);
      continue;
    }
    const ConnectionPolicy* policy_before = old.policy(connection.name);
    const ConnectionPolicy* policy_now = next.policy(connection.name);
    const bool same = same_connection(*before, connection) && policy_before != nullptr && policy_now != nullptr &&
                      *policy_before == *policy_now && same_trust(*policy_now, old, next);
    if (!same) diff.changed.push_back(connection.name);
  }
  for (const ikev2::ConnectionConfig& connection : old.connections) {
    if (next.connection(connection.name) == nullptr) diff.removed.push_back(connection.name);
  }
  diff.daemon_changed = !(old.daemon == next.daemon) || !same_engine(old.engine, next.engine);
  return diff;
}

}  // namespace ipsecd::config
