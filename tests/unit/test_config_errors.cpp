// Bad configurations: each is refused with an error at the right file and line whose reason says what is
// wrong, every error is collected, and errors print as FILE:LINE:COL: KEY: REASON.
#include "test_config_support.h"

#include <sstream>

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

// A valid PSK configuration; the cases below edit it line by line.
const std::vector<std::string> kBase = {
    "[connections.a]",                          // 1
    "local_addr = \"192.0.2.1\"",               // 2
    "remote_addr = \"192.0.2.2\"",              // 3
    "[connections.a.local]",                    // 4
    "auth = \"psk\"",                           // 5
    "[connections.a.remote]",                   // 6
    "auth = \"psk\"",                           // 7
    "id = \"192.0.2.2\"",                       // 8
    "[connections.a.children.net]",             // 9
    "local_ts = [\"203.0.113.0/25\"]",          // 10
    "remote_ts = [\"203.0.113.128/25\"]",       // 11
    "[secrets.s]",                              // 12
    "ids = [\"192.0.2.1\", \"192.0.2.2\"]",     // 13
    "psk = \"swordfish\"",                      // 14
};

enum class Op { insert, replace, erase };

// insert: the text becomes line `line`; replace: line `line` becomes the text; erase: line `line` goes.
struct Edit {
  Op op;
  size_t line;
  std::string text;
};

struct BadCase {
  std::string what;
  std::vector<Edit> edits;
  unsigned line;       // where the error must be
  std::string reason;  // a part of its reason
  std::string key;     // its dotted key, when checked
};

std::string apply(const std::vector<Edit>& edits) {
  std::vector<std::string> lines = kBase;
  for (const Edit& e : edits) {
    const auto at = lines.begin() + static_cast<std::ptrdiff_t>(e.line - 1);
    if (e.op == Op::insert) lines.insert(at, e.text);
    else if (e.op == Op::replace) *at = e.text;
    else lines.erase(at);
  }
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

Edit ins(size_t line, std::string text) { return {Op::insert, line, std::move(text)}; }
Edit rep(size_t line, std::string text) { return {Op::replace, line, std::move(text)}; }
Edit del(size_t line) { return {Op::erase, line, {}}; }

const std::vector<BadCase> kBadCases = {
    {"IKEv1", {ins(2, "version = 1")}, 2, "IKEv1 is not supported yet", "connections.a.version"},
    {"unknown IKE version", {ins(2, "version = 3")}, 2, "version must be 2", ""},
    {"bad address", {rep(3, "remote_addr = \"192.0.2.300\"")}, 3, "is not an IPv4 or IPv6 address", "connections.a.remote_addr"},
    {"mixed address families", {rep(3, "remote_addr = \"2001:db8::2\"")}, 3, "must both be IPv4 or both IPv6", ""},
    {"port out of range", {ins(2, "local_port = 70000")}, 2, "out of range: it must be from 1 to 65535", ""},
    {"bad IKE proposal", {ins(2, "proposals = [\"aes256-sha256-nosuchgroup\"]")}, 2, "is not a valid IKE proposal", "connections.a.proposals[0]"},
    {"duration unit", {ins(2, "dpd_delay = \"30x\"")}, 2, "unknown unit", ""},
    {"dpd_action word", {ins(2, "dpd_action = \"hold\"")}, 2, "\"hold\" is not one of \"clear\", \"trap\", \"restart\"", ""},
    {"strongSwan name", {ins(2, "rand_time = \"1h\"")}, 2, "ipsecd calls it \"rekey_jitter\"", "connections.a.rand_time"},
    {"wrong type", {ins(2, "remote_port = \"500\"")}, 2, "expected an integer, found a string", ""},
    {"IKE jitter too large", {ins(2, "rekey_jitter = \"5h\"")}, 2, "must be less than rekey_time", ""},
    {"boolean as string", {ins(2, "force_encapsulation = \"yes\"")}, 2, "expected true or false", ""},
    {"typo", {ins(2, "local_adr = \"192.0.2.1\"")}, 2, "did you mean \"local_addr\"", ""},
    {"empty identity", {ins(5, "id = \"\"")}, 5, "is not an identity", "connections.a.local.id"},
    {"unknown auth", {rep(5, "auth = \"eap\"")}, 5, "\"eap\" is not one of \"psk\", \"pubkey\"", ""},
    {"certs with psk", {ins(6, "certs = [\"certs/a.pem\"]")}, 6, "certs only apply to auth = \"pubkey\"", ""},
    {"no psk for the peer", {rep(13, "ids = [\"192.0.2.1\"]")}, 7, "no [secrets.*] section has a psk for the identity \"192.0.2.2\"", "connections.a.remote.auth"},
    {"odd hex psk", {rep(14, "psk = \"0xabc\"")}, 14, "even", "secrets.s.psk"},
    {"ids with a private key", {rep(14, "private_key = \"missing.key.pem\"")}, 13, "ids name who uses a psk", ""},
    {"missing private key file", {rep(14, "private_key = \"missing.key.pem\"")}, 14, "missing.key.pem", ""},
    {"bad selector", {rep(10, "local_ts = [\"203.0.113.0/33\"]")}, 10, "is not a traffic selector", "connections.a.children.net.local_ts[0]"},
    {"mode typo", {ins(10, "mode = \"tunel\"")}, 10, "is not one of \"tunnel\", \"transport\"", ""},
    {"bad ESP proposal", {ins(10, "esp_proposals = [\"aes128-sha256-prfsha256\"]")}, 10, "is not a valid ESP proposal", ""},
    {"life before rekey", {ins(10, "life_time = \"30m\"")}, 10, "must be less than life_time (1800s)", "connections.a.children.net.life_time"},
    {"byte limits inverted", {ins(10, "rekey_bytes = \"2G\""), ins(11, "life_bytes = \"1G\"")}, 10, "must be less than life_bytes", ""},
    {"start_action word", {ins(10, "start_action = \"begin\"")}, 10, "is not one of \"none\", \"trap\", \"start\"", ""},
    {"start without a peer", {rep(3, "remote_addr = \"%any\""), ins(10, "start_action = \"start\"")}, 10, "needs remote_addr", "connections.a.children.net.start_action"},
    {"restart without a peer", {rep(3, "remote_addr = \"%any\""), ins(2, "dpd_action = \"restart\"")}, 2, "needs remote_addr", ""},
    {"missing CA file", {ins(15, "[ca.root]"), ins(16, "certificate = \"missing.pem\"")}, 16, "cannot load certificate", "ca.root.certificate"},
    {"top-level typo", {ins(1, "inclde = [\"x\"]")}, 1, "did you mean \"include\"", "inclde"},
    {"TOML syntax", {rep(5, "auth = psk")}, 5, "", ""},
    {"no children", {del(9), del(9), del(9)}, 1, "needs at least one child", ""},
    {"pubkey peer without trust", {rep(7, "auth = \"pubkey\"")}, 7, "needs ca = [\"NAME\", ...]", ""},
    {"pubkey without certificate", {rep(5, "auth = \"pubkey\"")}, 5, "needs certs = [\"FILE\", ...]", ""},
    {"daemon key in a connection", {ins(2, "retransmit_tries = 3")}, 2, "unknown key \"retransmit_tries\"", ""},
    {"log level", {ins(1, "[daemon]"), ins(2, "log_level = \"verbose\"")}, 2, "\"verbose\" is not one of", "daemon.log_level"},
    {"relative control socket", {ins(1, "[daemon]"), ins(2, "ctl_socket = \"ctl.sock\"")}, 2, "is not an absolute path", ""},
    {"unknown group", {ins(1, "[daemon]"), ins(2, "ctl_group = \"no-such-group-for-ipsecd\"")}, 2, "there is no group", ""},
    {"port clash", {ins(1, "[daemon]"), ins(2, "port = 4500")}, 2, "NAT traversal needs a port of its own", ""},
    {"unknown CA name", {rep(7, "auth = \"pubkey\""), ins(8, "ca = [\"nosuch\"]")}, 8, "there is no [ca.nosuch] section", "connections.a.remote.ca[0]"},
    {"ambiguous secrets", {ins(15, "[secrets.t]"), ins(16, "ids = [\"192.0.2.1\", \"192.0.2.2\"]"), ins(17, "psk = \"other\"")}, 5, "several [secrets.*] psk sections (s, t)", ""},
    {"missing include", {ins(1, "include = [\"missing.toml\"]")}, 1, "does not exist", "include[0]"},
    {"child jitter too large", {ins(10, "rekey_jitter = \"2h\"")}, 10, "must be less than rekey_time (3600s)", ""},
    {"negative byte count", {ins(10, "life_bytes = -1")}, 10, "may not be negative", ""},
    {"empty proposal list", {ins(2, "proposals = []")}, 2, "the list is empty", ""},
    {"empty psk", {rep(14, "psk = \"\"")}, 14, "may not be empty", ""},
    {"secret without a key", {ins(15, "[secrets.u]"), ins(16, "ids = [\"192.0.2.1\"]")}, 15, "a secret needs psk", ""},
    {"psk peer without id", {del(8)}, 7, "auth = \"psk\" needs id", ""},
};

}  // namespace

TEST_CASE("Each bad configuration is refused with its file, line and reason", "[config]") {
  REQUIRE(kBadCases.size() >= 25);
  TempDir dir;
  for (const BadCase& bad : kBadCases) {
    INFO(bad.what);
    const fs::path file = dir.write("ipsecd.toml", apply(bad.edits));
    const auto errors = load_errors(file);
    INFO(describe(errors));
    CHECK(has_error(errors, file, bad.line, bad.reason));
    if (!bad.key.empty()) {
      CHECK(std::any_of(errors.begin(), errors.end(), [&](const config::ConfigError& e) {
        return e.line == bad.line && e.key == bad.key;
      }));
    }
  }
}

TEST_CASE("The unchanged base of the bad cases loads", "[config]") {
  TempDir dir;
  load_ok(dir.write("ipsecd.toml", apply({})));
}

TEST_CASE("Certificate problems name the file and the identity", "[config]") {
  TempDir dir;
  dir.install_pki();
  const std::string connection = R"([connections.a]
[connections.a.local]
auth = "pubkey"
certs = ["certs/gateway.pem"]
id = "rsa.example.com"
[connections.a.remote]
auth = "pubkey"
ca = "all"
[connections.a.children.net]
[ca.root]
certificate = "certs/intermediate-ca.pem"
)";
  const fs::path file = dir.write("ipsecd.toml", connection);
  const auto errors = load_errors(file);
  INFO(describe(errors));
  // ee-ecdsa binds vpn.example.com, not rsa.example.com.
  CHECK(has_error(errors, file, 5, "does not bind the identity \"rsa.example.com\""));
  // No [secrets] private_key for the certificate.
  CHECK(has_error(errors, file, 4, "no [secrets.*] private_key belongs to the certificate"));

  // A CA section pointing at an end-entity certificate.
  const fs::path ee = dir.write("ee.toml", "[ca.x]\ncertificate = \"certs/gateway.pem\"\n");
  CHECK(load_errors(ee).size() == 1);

  // A private key that is no key file.
  const fs::path bad_key = dir.write("key.toml", "[secrets.k]\nprivate_key = \"certs/gateway.pem\"\n");
  CHECK(has_error(load_errors(bad_key), bad_key, 2, "cannot load PKCS#8 private key"));
}

TEST_CASE("Every error of a file is reported, not just the first", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("ipsecd.toml", apply({ins(2, "version = 1"), ins(3, "dpd_delay = \"x\""),
                                                        rep(16, "psk = \"0xzz\"")}));
  const auto errors = load_errors(file);
  INFO(describe(errors));
  CHECK(errors.size() == 3);
  CHECK(has_error(errors, file, 2, "IKEv1"));
  CHECK(has_error(errors, file, 3, "is not a duration"));
  CHECK(has_error(errors, file, 16, "only hex digits"));
}

TEST_CASE("Errors print as FILE LINE COLUMN KEY and reason, and never show a PSK", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("ipsecd.toml", apply({ins(2, "version = 1"), rep(15, "psk = \"0xsecretsecret\"")}));
  const auto errors = load_errors(file);
  REQUIRE(errors.size() == 2);
  const auto version = std::find_if(errors.begin(), errors.end(), [](const auto& e) { return e.line == 2; });
  REQUIRE(version != errors.end());
  CHECK(config::to_string(*version) ==
        file.string() + ":2:11: connections.a.version: IKEv1 is not supported yet: use version = 2 (IKEv2, the default)");
  for (const auto& e : errors) CHECK(config::to_string(e).find("secretsecret") == std::string::npos);

  const fs::path missing = dir.path() / "missing.toml";
  const auto unreadable = load_errors(missing);
  REQUIRE(unreadable.size() == 1);
  CHECK(config::to_string(unreadable[0]).rfind(missing.string() + ": cannot read", 0) == 0);
  CHECK((config::to_string(config::ConfigError{"f.toml", 3, 0, "", "why"}) == "f.toml:3: why"));
}
