// Configuration loading: a complete config becomes exactly the expected daemon, engine and connection
// settings, loaded configs negotiate with each other, and every shipped example loads.
#include "test_config_support.h"

#include "crypto/x509_identity.h"
#include "crypto/x509_load.h"
#include "daemon/config/load_config.h"
#include "engine_harness.h"

using namespace ipsecd;
using namespace ipsecd::test;
using ipsecd::config::ChildAction;
using ipsecd::config::DpdAction;

namespace {

const char* const kFullConfig = R"([daemon]
log_level = "debug"
ctl_socket = "/run/test/ctl.sock"
ctl_group = "root"
listen = ["192.0.2.1", "2001:db8::1"]
port = 1500
nat_port = 14500
retransmit_timeout = "500ms"
retransmit_base = 2
retransmit_tries = 3
half_open_timeout = "10s"
cookie_threshold = 10
fragment_size = 1400

[connections.psk]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
local_port = 4500
remote_port = 4501
proposals = ["aes128gcm16-prfsha256-x25519, aes256-sha384-ecp384"]
dpd_delay = "1m"
dpd_action = "trap"
rekey_time = "2h"
rekey_jitter = 600
force_encapsulation = true
nat_keepalive = 15
send_initial_contact = false

[connections.psk.local]
auth = "psk"
id = "@gw-a.example.com"

[connections.psk.remote]
auth = "psk"
id = "gw-b@example.com"

[connections.psk.children.web]
local_ts = ["203.0.113.0/25[tcp/443]", "dynamic"]
remote_ts = "203.0.113.128/25"
esp_proposals = ["aes256gcm16-x25519-esn"]
ah_proposals = ["sha256"]
rekey_time = "30m"
life_time = "40m"
rekey_jitter = "5m"
rekey_bytes = "1G"
life_bytes = 2000000000
start_action = "start"
close_action = "trap"

[connections.psk.children.all]
mode = "transport"

[connections.cert]
remote_addr = "%any"

[connections.cert.local]
auth = "pubkey"
certs = ["certs/gateway.pem", "certs/intermediate-ca.pem"]

[connections.cert.remote]
auth = "pubkey"
ca = "all"

[connections.cert.children.net]

[connections.pinned]
local_addr = "2001:db8::1"
remote_addr = "2001:db8::2"

[connections.pinned.local]
auth = "pubkey"
certs = ["certs/gateway.pem"]
id = "vpn.example.com"

[connections.pinned.remote]
auth = "pubkey"
pubkey = "certs/peer.pem"

[connections.pinned.children.net]

[ca.root]
certificate = "certs/root-ca.pem"
crls = ["crls/intermediate-ca.crl.pem"]

[secrets.a-b]
ids = ["@gw-a.example.com", "gw-b@example.com"]
psk = "0x0102030405"

[secrets.key]
private_key = "private/gateway.key.pem"
)";

ikev2::ProposalConfig ike_proposal(const char* text) { return proposal(text, iana::SecurityProtocolId::IKE); }
ikev2::ProposalConfig esp_proposal(const char* text) { return proposal(text, iana::SecurityProtocolId::ESP); }

fs::path pki(const std::string& name) { return fs::path(IPSECD_FIXTURES_DIR) / "pki" / name; }

// Two gateways' configs, mirror images, connection "conn" with child "net" as EnginePair expects.
std::string gateway_config(const char* local, const char* remote, const char* local_id, const char* remote_id,
                           const char* local_ts, const char* remote_ts, const std::string& auth) {
  return std::string("[connections.conn]\nlocal_addr = \"") + local + "\"\nremote_addr = \"" + remote +
         "\"\nproposals = [\"aes256gcm16-prfsha384-ecp384\"]\n" + "[connections.conn.local]\nid = \"" + local_id +
         "\"\n" + auth + "\n[connections.conn.remote]\nid = \"" + remote_id + "\"\n" +
         (auth.find("pubkey") != std::string::npos ? "auth = \"pubkey\"\nca = [\"root\"]\n" : "auth = \"psk\"\n") +
         "[connections.conn.children.net]\nlocal_ts = \"" + local_ts + "\"\nremote_ts = \"" + remote_ts +
         "\"\nesp_proposals = \"aes128gcm16\"\n";
}

}  // namespace

TEST_CASE("A full configuration loads into exactly the expected settings", "[config]") {
  TempDir dir;
  dir.install_pki();
  dir.copy(pki("ee-ed25519.pem"), "certs/peer.pem");
  const fs::path file = dir.write("ipsecd.toml", kFullConfig);
  const auto config = load_ok(file);

  CHECK(config->file == file);
  CHECK(config->files == std::vector<fs::path>{file});

  const config::DaemonSettings& d = config->daemon;
  CHECK(d.log_level == config::LogLevel::debug);
  CHECK(d.ctl_socket == "/run/test/ctl.sock");
  CHECK(d.ctl_group == "root");
  CHECK((d.listen == std::vector<IpAddress>{ip("192.0.2.1"), ip("2001:db8::1")}));
  CHECK(d.port == 1500);
  CHECK(d.nat_port == 14500);
  const ikev2::EngineSettings& e = config->engine;
  CHECK(e.retransmit_timeout == std::chrono::milliseconds(500));
  CHECK(e.retransmit_base == 2.0);
  CHECK(e.retransmit_tries == 3);
  CHECK(e.half_open_timeout == std::chrono::seconds(10));
  CHECK(e.cookie_threshold == 10);
  CHECK(e.fragment_size == 1400);

  // File order, not the alphabetical order TOML tables iterate in.
  REQUIRE(config->connections.size() == 3);
  CHECK(config->connections[0].name == "psk");
  CHECK(config->connections[1].name == "cert");
  CHECK(config->connections[2].name == "pinned");

  const ikev2::ConnectionConfig& p = config->connections[0];
  CHECK(p.local_address == ip("192.0.2.1"));
  CHECK(p.remote_address == ip("192.0.2.2"));
  CHECK(p.local_port == 4500);
  CHECK(p.remote_port == 4501);
  CHECK((p.ike_proposals == std::vector{ike_proposal("aes128gcm16-prfsha256-x25519"), ike_proposal("aes256-sha384-ecp384")}));
  CHECK(p.local_id == identity("@gw-a.example.com"));
  CHECK(p.remote_id == identity("gw-b@example.com"));
  CHECK(p.local_auth.method == ikev2::AuthMethod::psk);
  CHECK(p.remote_auth.method == ikev2::AuthMethod::psk);
  CHECK((p.local_auth.psk == crypto::SecureBytes{1, 2, 3, 4, 5}));
  CHECK((p.remote_auth.psk == crypto::SecureBytes{1, 2, 3, 4, 5}));
  CHECK(p.dpd_delay == std::chrono::seconds(60));
  CHECK(p.rekey_time == std::chrono::seconds(7200));
  CHECK(p.rekey_jitter == std::chrono::seconds(600));
  CHECK(p.force_encapsulation);
  CHECK(p.nat_keepalive == std::chrono::seconds(15));
  CHECK_FALSE(p.send_initial_contact);

  REQUIRE(p.children.size() == 2);
  const ikev2::ChildConfig& web = p.children[0];
  CHECK(web.name == "web");
  CHECK(web.local_ts == selectors("203.0.113.0/25[tcp/443], dynamic"));
  CHECK(web.remote_ts == selectors("203.0.113.128/25"));
  CHECK(web.mode == ikev2::IpsecMode::tunnel);
  CHECK(web.esp_proposals == std::vector{esp_proposal("aes256gcm16-x25519-esn")});
  CHECK((web.ah_proposals == std::vector{proposal("sha256", iana::SecurityProtocolId::AH)}));
  CHECK((web.lifetime == ikev2::SaLifetime{1800, 2400, uint64_t{1} << 30, 2000000000}));
  CHECK(web.rekey_time == std::chrono::seconds(1800));
  CHECK(web.rekey_jitter == std::chrono::seconds(300));

  const ikev2::ChildConfig& all = p.children[1];
  CHECK(all.name == "all");
  CHECK(all.mode == ikev2::IpsecMode::transport);
  CHECK(all.local_ts == selectors("dynamic"));
  CHECK(all.remote_ts == selectors("dynamic"));
  CHECK((all.esp_proposals == std::vector{esp_proposal("aes256gcm16-aes128gcm16"), esp_proposal("aes256-aes128-sha384-sha256")}));
  CHECK(all.ah_proposals.empty());
  CHECK((all.lifetime == ikev2::SaLifetime{3600, 3960, 0, 0}));
  CHECK(all.rekey_jitter == std::chrono::seconds(360));

  const config::ConnectionPolicy* pp = config->policy("psk");
  REQUIRE(pp != nullptr);
  CHECK(pp->dpd_action == DpdAction::trap);
  CHECK(pp->remote_cas.empty());
  CHECK((pp->children.at("web") == config::ChildPolicy{ChildAction::start, ChildAction::trap}));
  CHECK((pp->children.at("all") == config::ChildPolicy{ChildAction::none, ChildAction::none}));

  const auto gateway = crypto::load_certificates(pki("ee-ecdsa.pem").string()).value().front();
  const ikev2::ConnectionConfig& c = config->connections[1];
  CHECK_FALSE(c.local_address.has_value());
  CHECK_FALSE(c.remote_address.has_value());
  CHECK(c.ike_proposals.size() == 2);
  CHECK(c.local_id == ikev2::Identity{iana::IdentificationType::ID_DER_ASN1_DN,
                                      crypto::identity_of(gateway).subject_dn_der});
  CHECK_FALSE(c.remote_id.has_value());
  REQUIRE(c.local_auth.certificates.size() == 2);
  CHECK(c.local_auth.certificates[0] == gateway);
  REQUIRE(c.local_auth.private_key != nullptr);
  CHECK(c.local_auth.private_key->public_key_bits() == gateway.subject_public_key_bitstring());
  REQUIRE(c.remote_auth.trust != nullptr);
  CHECK(c.remote_auth.trust->store().ca_count() == 1);
  CHECK(c.remote_auth.pinned_key == nullptr);
  CHECK(config->policy("cert")->remote_cas == std::vector<std::string>{"root"});

  const ikev2::ConnectionConfig& pinned = config->connections[2];
  CHECK(pinned.local_id == identity("vpn.example.com"));
  CHECK(pinned.local_auth.certificates.size() == 1);
  REQUIRE(pinned.remote_auth.pinned_key != nullptr);
  const auto peer = crypto::load_certificates(pki("ee-ed25519.pem").string()).value().front();
  CHECK(pinned.remote_auth.pinned_key->public_key_bits() == peer.subject_public_key_bitstring());
  CHECK(pinned.remote_auth.trust == nullptr);

  REQUIRE(config->cas.size() == 1);
  CHECK(config->cas.at("root").certificates.size() == 1);
  CHECK(config->cas.at("root").crls.size() == 1);
}

TEST_CASE("Defaults fill what a minimal connection leaves out", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("ipsecd.toml", R"([connections.a]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
[connections.a.local]
auth = "psk"
[connections.a.remote]
auth = "psk"
id = "192.0.2.2"
[connections.a.children.net]
[secrets.s]
ids = ["192.0.2.1", "192.0.2.2"]
psk = "swordfish"
)");
  const auto config = load_ok(file);
  CHECK(config->daemon == config::DaemonSettings{});
  CHECK(config->daemon.ctl_socket == "/run/ipsecd/ctl.sock");
  CHECK_FALSE(config->daemon.ctl_group.has_value());
  CHECK(config->engine.retransmit_tries == ikev2::EngineSettings{}.retransmit_tries);
  const ikev2::ConnectionConfig& a = config->connections.at(0);
  CHECK(a.local_id == identity("192.0.2.1"));  // from local_addr
  CHECK(a.local_port == 500);
  CHECK(a.remote_port == 500);
  CHECK(a.ike_proposals.size() == 2);
  CHECK(a.local_auth.psk == secret("swordfish"));
  CHECK(a.dpd_delay == std::chrono::seconds(30));
  CHECK(a.rekey_time == std::chrono::seconds(14400));
  CHECK(a.rekey_jitter == std::chrono::seconds(1440));
  CHECK(a.nat_keepalive == std::chrono::seconds(20));
  CHECK(a.send_initial_contact);
  CHECK_FALSE(a.force_encapsulation);
  CHECK(config->policy("a")->dpd_action == DpdAction::clear);
  CHECK(config->policy("a")->children.at("net") == config::ChildPolicy{});
}

TEST_CASE("The PSK secret that names both identities wins over one naming only ours", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("ipsecd.toml", R"([connections.a]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
[connections.a.local]
auth = "psk"
[connections.a.remote]
auth = "psk"
id = "192.0.2.2"
[connections.a.children.net]
[secrets.other-peer]
ids = ["192.0.2.1", "192.0.2.3"]
psk = "not this one"
[secrets.this-peer]
ids = ["192.0.2.1", "192.0.2.2"]
psk = "this one"
)");
  const auto config = load_ok(file);
  CHECK(config->connections.at(0).local_auth.psk == secret("this one"));
  CHECK(config->connections.at(0).remote_auth.psk == secret("this one"));
}

TEST_CASE("Connections that name the same CAs share one trust store", "[config]") {
  TempDir dir;
  dir.install_pki();
  std::string text;
  for (const char* name : {"x", "y"}) {
    const std::string c = std::string("connections.") + name;
    text += "[" + c + "]\n[" + c + ".local]\nauth = \"pubkey\"\ncerts = [\"certs/gateway.pem\"]\n[" + c +
            ".remote]\nauth = \"pubkey\"\nca = [\"root\"]\n[" + c + ".children.net]\n";
  }
  text += "[ca.root]\ncertificate = \"certs/root-ca.pem\"\n[secrets.k]\nprivate_key = \"private/gateway.key.pem\"\n";
  const auto config = load_ok(dir.write("ipsecd.toml", text));
  REQUIRE(config->connections.size() == 2);
  CHECK(config->connections[0].remote_auth.trust == config->connections[1].remote_auth.trust);
}

TEST_CASE("Two gateways loaded from mirror-image PSK configs negotiate a tunnel", "[config]") {
  TempDir dir;
  const std::string secret_section = "[secrets.ab]\nids = [\"@a.example\", \"@b.example\"]\npsk = \"0x00112233445566778899\"\n";
  const auto a = load_ok(dir.write("a.toml", gateway_config("192.0.2.1", "192.0.2.2", "@a.example", "@b.example",
                                                             "10.1.0.0/16", "10.2.0.0/16", "auth = \"psk\"") +
                                                  secret_section));
  const auto b = load_ok(dir.write("b.toml", gateway_config("192.0.2.2", "192.0.2.1", "@b.example", "@a.example",
                                                             "10.2.0.0/16", "10.1.0.0/16", "auth = \"psk\"") +
                                                  secret_section));
  EnginePair pair(a->connections.at(0), b->connections.at(0), a->engine, b->engine);
  pair.initiate();
  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->events.of<ikev2::IkeSaFailed>().empty());
    CHECK(s->events.of<ikev2::IkeSaEstablished>().size() == 1);
    REQUIRE(s->events.of<ikev2::ChildSaInstalled>().size() == 1);
  }
  CHECK(format_selectors(pair.a.events.of<ikev2::ChildSaInstalled>().front().remote_ts) == "10.2.0.0/16");
}

TEST_CASE("Two gateways loaded from mirror-image certificate configs negotiate a tunnel", "[config]") {
  TempDir dir;
  dir.copy(pki("root-ca.pem"), "certs/root-ca.pem");
  dir.copy(pki("intermediate-ca.pem"), "certs/intermediate-ca.pem");
  dir.copy(pki("ee-ecdsa.pem"), "certs/a.pem");
  dir.copy(pki("ee-ecdsa.key.pem"), "private/a.key.pem");
  dir.copy(pki("ee-rsa.pem"), "certs/b.pem");
  dir.copy(pki("ee-rsa.key.pem"), "private/b.key.pem");
  auto side = [&](const char* me) {
    return "auth = \"pubkey\"\ncerts = [\"certs/" + std::string(me) +
           ".pem\", \"certs/intermediate-ca.pem\"]\n";
  };
  const std::string common = "[ca.root]\ncertificate = \"certs/root-ca.pem\"\n";
  const auto a = load_ok(dir.write("a.toml", gateway_config("192.0.2.1", "192.0.2.2", "vpn.example.com",
                                                             "rsa.example.com", "10.1.0.0/16", "10.2.0.0/16",
                                                             side("a")) +
                                                  common + "[secrets.k]\nprivate_key = \"private/a.key.pem\"\n"));
  const auto b = load_ok(dir.write("b.toml", gateway_config("192.0.2.2", "192.0.2.1", "rsa.example.com",
                                                             "vpn.example.com", "10.2.0.0/16", "10.1.0.0/16",
                                                             side("b")) +
                                                  common + "[secrets.k]\nprivate_key = \"private/b.key.pem\"\n"));
  EnginePair pair(a->connections.at(0), b->connections.at(0), a->engine, b->engine);
  pair.initiate();
  for (Side* s : {&pair.a, &pair.b}) {
    CHECK(s->events.of<ikev2::IkeSaFailed>().empty());
    CHECK(s->events.of<ikev2::IkeSaEstablished>().size() == 1);
    CHECK(s->events.of<ikev2::ChildSaInstalled>().size() == 1);
  }
}

TEST_CASE("Every example configuration and the default ipsecd.toml load without error", "[config]") {
  const fs::path examples = source_dir() / "packaging" / "examples";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(examples)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);
  for (const fs::path& example : files) {
    INFO(example.string());
    TempDir dir;
    dir.install_pki();
    dir.copy(example, example.filename().string());
    const auto config = load_ok(dir.path() / example.filename());
    CHECK_FALSE(config->connections.empty());
  }

  TempDir dir;
  dir.copy(source_dir() / "packaging" / "ipsecd.toml", "ipsecd.toml");
  const auto empty = load_ok(dir.path() / "ipsecd.toml");
  CHECK(empty->connections.empty());
  CHECK(empty->daemon == config::DaemonSettings{});

  // The installed layout: the default file and an example dropped into conf.d/.
  dir.install_pki();
  for (const fs::path& example : files) {
    // The certificate example is the alternative to the PSK one: same connection name.
    if (example.filename() == "site-to-site-cert.toml") continue;
    dir.copy(example, "conf.d/" + example.filename().string());
  }
  const auto with_examples = load_ok(dir.path() / "ipsecd.toml");
  CHECK(with_examples->connections.size() == files.size() - 1);
  CHECK(with_examples->files.size() == files.size());
}
