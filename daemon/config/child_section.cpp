// Reads one [connections.NAME.children.CHILD] table: traffic selectors (RFC 7296 §2.9), mode, ESP/AH
// proposals (§3.3), lifetimes for rekeying (§2.8) and the start and close actions.
#include "daemon/config/connection_section.h"

#include <algorithm>

namespace ipsecd::config {
namespace {

using std::chrono::seconds;

// Defaults as in strongSwan, whose users write these configs: rekey after an hour, hard limit 10% later,
// jitter over the whole gap between the two.
constexpr seconds kDefaultChildRekey{3600};

// ESP proposals offered when neither esp_proposals nor ah_proposals is given: AEAD first, then CBC with
// HMAC for peers without GCM.
constexpr std::string_view kDefaultEspProposals[] = {"aes256gcm16-aes128gcm16", "aes256-aes128-sha384-sha256"};

std::optional<std::vector<ikev2::SelectorConfig>> read_selectors(TableReader& r, std::string_view key) {
  const auto items = r.strings(key, false);
  if (!items) {
    if (r.has(key)) return std::nullopt;
    return std::vector<ikev2::SelectorConfig>{ikev2::parse_selector("dynamic").value()};
  }
  std::vector<ikev2::SelectorConfig> selectors;
  bool ok = true;
  for (const StringItem& item : *items) {
    auto parsed = ikev2::parse_selectors(item.text);
    if (!parsed) {
      r.error_at(*item.at, item.key, "\"" + item.text + "\" is not a traffic selector: " + parsed.error());
      ok = false;
      continue;
    }
    selectors.insert(selectors.end(), parsed->begin(), parsed->end());
  }
  if (!ok) return std::nullopt;
  return selectors;
}

std::optional<ChildAction> read_action(TableReader& r, std::string_view key) {
  return r.choice<ChildAction>(key, {{"none", ChildAction::none}, {"trap", ChildAction::trap}, {"start", ChildAction::start}});
}

}  // namespace

std::optional<ChildSection> read_child_section(Diagnostics& diagnostics, const std::string& path,
                                               const std::string& name, const toml::table& table) {
  TableReader r(diagnostics, table, path,
                {"local_ts", "remote_ts", "mode", "esp_proposals", "ah_proposals", "rekey_time", "life_time",
                 "rekey_jitter", "rekey_bytes", "life_bytes", "start_action", "close_action"});
  const size_t errors_before = diagnostics.count();
  ChildSection child;
  child.config.name = name;

  if (auto local = read_selectors(r, "local_ts")) child.config.local_ts = std::move(*local);
  if (auto remote = read_selectors(r, "remote_ts")) child.config.remote_ts = std::move(*remote);
  if (auto mode = r.choice<ikev2::IpsecMode>(
          "mode", {{"tunnel", ikev2::IpsecMode::tunnel}, {"transport", ikev2::IpsecMode::transport}})) {
    child.config.mode = *mode;
  }

  auto esp = read_proposals(r, "esp_proposals", iana::SecurityProtocolId::ESP);
  auto ah = read_proposals(r, "ah_proposals", iana::SecurityProtocolId::AH);
  if (esp) child.config.esp_proposals = std::move(*esp);
  if (ah) child.config.ah_proposals = std::move(*ah);
  if (!r.has("esp_proposals") && !r.has("ah_proposals")) {
    for (std::string_view text : kDefaultEspProposals) {
      child.config.esp_proposals.push_back(ikev2::parse_proposal(text, iana::SecurityProtocolId::ESP).value());
    }
  }

  // Time: the engine rekeys at rekey_time less up to rekey_jitter (§2.8); the kernel's soft limit at
  // rekey_time is the fallback trigger and its hard limit at life_time ends the SA.
  const auto rekey_time = r.seconds("rekey_time");
  const auto life_time = r.seconds("life_time");
  const auto jitter = r.seconds("rekey_jitter");
  const seconds rekey = rekey_time.value_or(kDefaultChildRekey);
  const seconds life = life_time.value_or(rekey + rekey / 10);
  const seconds spread = jitter.value_or(life.count() > 0 ? life - rekey : rekey / 10);
  if (rekey.count() > 0 && life.count() > 0 && rekey >= life) {
    r.error(life_time ? "life_time" : "rekey_time",
            "rekey_time (" + std::to_string(rekey.count()) + "s" + (rekey_time ? "" : ", the default") +
                ") must be less than life_time (" + std::to_string(life.count()) + "s" +
                (life_time ? "" : ", the default") + "), or the SA expires before it is rekeyed");
  }
  if (jitter && rekey.count() > 0 && spread >= rekey) {
    r.error("rekey_jitter", "rekey_jitter (" + std::to_string(spread.count()) + "s) must be less than rekey_time (" +
                                std::to_string(rekey.count()) + "s)");
  }
  child.config.rekey_time = rekey;
  child.config.rekey_jitter = spread;
  child.config.lifetime.soft_seconds = static_cast<uint64_t>(rekey.count());
  child.config.lifetime.hard_seconds = static_cast<uint64_t>(life.count());

  // Volume: soft at rekey_bytes, hard at life_bytes (10% above rekey_bytes unless given); 0 = no limit.
  const auto rekey_bytes = r.byte_count("rekey_bytes");
  const auto life_bytes = r.byte_count("life_bytes");
  const uint64_t soft_bytes = rekey_bytes.value_or(0);
  const uint64_t hard_bytes = life_bytes.value_or(soft_bytes + soft_bytes / 10);
  if (soft_bytes > 0 && hard_bytes > 0 && soft_bytes >= hard_bytes) {
    r.error("rekey_bytes", "rekey_bytes (" + std::to_string(soft_bytes) + ") must be less than life_bytes (" +
                               std::to_string(hard_bytes) + "), or the SA expires before it is rekeyed");
  }
  child.config.lifetime.soft_bytes = soft_bytes;
  child.config.lifetime.hard_bytes = hard_bytes;

  if (auto start = read_action(r, "start_action")) child.policy.start_action = *start;
  if (auto close = read_action(r, "close_action")) child.policy.close_action = *close;

  if (diagnostics.count() != errors_before) return std::nullopt;
  return child;
}

}  // namespace ipsecd::config
