// Reload differences: connections added, changed (any field, credentials included) and removed.
#include "test_config_support.h"

#include "daemon/config/config_diff.h"

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

struct Files {
  std::string psk = "first key";
  std::string esp = "aes128gcm16";
  std::string dpd_action = "clear";
  std::string start_action = "none";
  std::string root = "root-ca.pem";
  std::string log_level = "info";
  bool with_c = true;
  bool with_d = false;
};

// Connection a (PSK), b (certificates, trusting [ca.root]), c and d (PSK, present or not).
std::shared_ptr<const config::DaemonConfig> load(const Files& f) {
  TempDir dir;
  dir.install_pki();
  dir.copy(fs::path(IPSECD_FIXTURES_DIR) / "pki" / f.root, "certs/trusted.pem");
  auto psk_connection = [&](const std::string& name, const std::string& peer) {
    return "[connections." + name + "]\nlocal_addr = \"192.0.2.1\"\nremote_addr = \"" + peer +
           "\"\ndpd_action = \"" + (name == "a" ? f.dpd_action : "clear") + "\"\n[connections." + name +
           ".local]\nauth = \"psk\"\n[connections." + name + ".remote]\nauth = \"psk\"\nid = \"" + peer +
           "\"\n[connections." + name + ".children.net]\nesp_proposals = \"" + (name == "a" ? f.esp : "aes128gcm16") +
           "\"\nstart_action = \"" + (name == "a" ? f.start_action : "none") + "\"\n[secrets." + name +
           "]\nids = [\"192.0.2.1\", \"" + peer + "\"]\npsk = \"" + (name == "a" ? f.psk : "other") + "\"\n";
  };
  std::string text = "[daemon]\nlog_level = \"" + f.log_level + "\"\n" + psk_connection("a", "192.0.2.2");
  text += R"([connections.b]
[connections.b.local]
auth = "pubkey"
certs = ["certs/gateway.pem"]
[connections.b.remote]
auth = "pubkey"
ca = "root"
[connections.b.children.net]
[ca.root]
certificate = "certs/trusted.pem"
[secrets.key]
private_key = "private/gateway.key.pem"
)";
  if (f.with_c) text += psk_connection("c", "192.0.2.3");
  if (f.with_d) text += psk_connection("d", "192.0.2.4");
  return load_ok(dir.write("ipsecd.toml", text));
}

}  // namespace

TEST_CASE("The same configuration loaded twice has no differences", "[config]") {
  const auto diff = config::diff_configs(*load({}), *load({}));
  CHECK(diff.empty());
}

TEST_CASE("Added and removed connections are listed by name", "[config]") {
  Files next;
  next.with_c = false;
  next.with_d = true;
  const auto diff = config::diff_configs(*load({}), *load(next));
  CHECK(diff.added == std::vector<std::string>{"d"});
  CHECK(diff.removed == std::vector<std::string>{"c"});
  CHECK(diff.changed.empty());
  CHECK_FALSE(diff.daemon_changed);
}

TEST_CASE("A changed secret, child proposal or policy changes only its connection", "[config]") {
  const auto old = load({});
  Files psk;
  psk.psk = "second key";
  Files esp;
  esp.esp = "aes256gcm16";
  Files dpd;
  dpd.dpd_action = "restart";
  Files start;
  start.start_action = "start";
  for (const Files& next : {psk, esp, dpd, start}) {
    const auto diff = config::diff_configs(*old, *load(next));
    CHECK(diff.changed == std::vector<std::string>{"a"});
    CHECK(diff.added.empty());
    CHECK(diff.removed.empty());
  }
}

TEST_CASE("A CA section whose certificate changed changes the connections that trust it", "[config]") {
  Files next;
  next.root = "rogue-root-ca.pem";
  const auto diff = config::diff_configs(*load({}), *load(next));
  CHECK(diff.changed == std::vector<std::string>{"b"});
}

TEST_CASE("Daemon settings changes are flagged apart from connections", "[config]") {
  Files next;
  next.log_level = "debug";
  const auto diff = config::diff_configs(*load({}), *load(next));
  CHECK(diff.daemon_changed);
  CHECK(diff.changed.empty());
  CHECK_FALSE(diff.empty());
}
