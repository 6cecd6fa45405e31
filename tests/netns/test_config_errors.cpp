// Broken configurations against the real ipsecd: --check-config names FILE:LINE:COL: KEY: REASON for each of
// a table of mistakes, the daemon refuses to start on one, and a broken reload (SIGHUP or `ipsecctl
// reload`) keeps the running configuration, as the control socket's status shows.
#include "ctl/control_client.h"
#include "tests/netns/ctl_netns_support.h"
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

namespace ipsecd::test {
namespace {

using namespace std::chrono_literals;

// A valid file whose line numbers the table below refers to.
const std::vector<std::string> kBaseLines{
    "[daemon]",                                                                      // 1
    "ctl_socket = \"/run/ipsecd-test/x.sock\"",                                      // 2
    "",                                                                              // 3
    "[connections.c]",                                                               // 4
    "local_addr = \"192.0.2.1\"",                                                    // 5
    "remote_addr = \"192.0.2.2\"",                                                   // 6
    "",                                                                              // 7
    "[connections.c.local]",                                                         // 8
    "auth = \"psk\"",                                                                // 9
    "id = \"a.example\"",                                                            // 10
    "",                                                                              // 11
    "[connections.c.remote]",                                                        // 12
    "auth = \"psk\"",                                                                // 13
    "id = \"b.example\"",                                                            // 14
    "",                                                                              // 15
    "[connections.c.children.net]",                                                  // 16
    "local_ts = [\"203.0.113.0/25\"]",                                               // 17
    "remote_ts = [\"203.0.113.128/25\"]",                                            // 18
    "",                                                                              // 19
    "[secrets.s]",                                                                   // 20
    "ids = [\"a.example\", \"b.example\"]",                                          // 21
    "psk = \"0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"",  // 22
};

// Line `line` of the base replaced by `text` (which may hold several lines).
std::string base_with(std::size_t line, const std::string& text) {
  std::ostringstream out;
  for (std::size_t i = 0; i < kBaseLines.size(); ++i) out << (i + 1 == line ? text : kBaseLines[i]) << "\n";
  return out.str();
}

struct BadConfig {
  const char* what;
  std::size_t line;      // replaced in the base
  std::string text;      // its replacement
  std::string expected;  // every output line after "FILE:", newline-terminated
};

const std::vector<BadConfig> kBadConfigs{
    {"TOML syntax: unterminated string", 2, "ctl_socket = \"/run/x.sock",
     "2:26: Error while parsing string: unescaped control characters other than TAB (U+0009) are explicitly "
     "prohibited\n"},
    {"TOML: a key given twice", 18, "local_ts = [\"203.0.113.0/24\"]",
     "18:12: Error while parsing key-value pair: cannot redefine existing array 'local_ts'\n"},
    {"misspelt key", 2, "lisen = [\"192.0.2.1\"]",
     "2:1: daemon.lisen: unknown key \"lisen\"; did you mean \"listen\"?\n"},
    {"relative control socket", 2, "ctl_socket = \"relative.sock\"",
     "2:14: daemon.ctl_socket: \"relative.sock\" is not an absolute path: the control socket needs one\n"},
    {"control group that does not exist", 2, "ctl_group = \"ipsecd-test-no-such-group\"",
     "2:13: daemon.ctl_group: there is no group \"ipsecd-test-no-such-group\" on this host: create it or "
     "name "
     "another\n"},
    {"listen address that is not one", 2, "listen = [\"192.0.2.1\", \"300.1.1.1\"]",
     "2:24: daemon.listen[1]: \"300.1.1.1\" is not an IPv4 or IPv6 address: '300.1.1.1' is not an IPv4 or "
     "IPv6 "
     "address\n"},
    {"port out of range", 2, "port = 70000",
     "2:8: daemon.port: 70000 is out of range: it must be from 1 to 65535\n"},
    {"port of the wrong type", 2, "port = \"500\"",
     "2:8: daemon.port: expected an integer, found a string\n"},
    {"nat_port equal to port", 2, "nat_port = 500",
     "2:12: daemon.nat_port: port and nat_port are both 500: NAT traversal needs a port of its own (RFC "
     "3948)\n"},
    {"retransmit timeout too short", 2, "retransmit_timeout = \"50ms\"",
     "2:22: daemon.retransmit_timeout: must be at least 100ms\n"},
    {"local_addr not an address", 5, "local_addr = \"not-an-ip\"",
     "5:14: connections.c.local_addr: \"not-an-ip\" is not an IPv4 or IPv6 address (or \"%any\"): "
     "'not-an-ip' is "
     "not an IPv4 or IPv6 address\n"},
    {"address families mixed", 6, "remote_addr = \"2001:db8::2\"",
     "6:15: connections.c.remote_addr: local_addr and remote_addr must both be IPv4 or both IPv6\n"},
    {"unknown IKE algorithm", 6, "remote_addr = \"192.0.2.2\"\nproposals = [\"aes256-sha999-modp2048\"]",
     "7:14: connections.c.proposals[0]: \"aes256-sha999-modp2048\" is not a valid IKE proposal: unknown "
     "algorithm "
     "keyword 'sha999' in proposal 'aes256-sha999-modp2048'\n"},
    {"IKEv1", 6, "remote_addr = \"192.0.2.2\"\nversion = 1",
     "7:11: connections.c.version: IKEv1 is not supported yet: use version = 2 (IKEv2, the default)\n"},
    {"negative duration", 6, "remote_addr = \"192.0.2.2\"\ndpd_delay = \"-5s\"",
     "7:13: connections.c.dpd_delay: \"-5s\" is not a duration: write a number of seconds or a number with "
     "ms, s, "
     "m, h or d\n"},
    {"unknown auth method", 9, "auth = \"token\"",
     "9:8: connections.c.local.auth: \"token\" is not one of \"psk\", \"pubkey\"\n"},
    {"misspelt side table, the remote side missing", 12, "[connections.c.remote_side]",
     "12:16: connections.c.remote_side: unknown key \"remote_side\"; known keys: version, local_addr, "
     "remote_addr, "
     "local_port, remote_port, proposals, dpd_delay, dpd_action, rekey_time, rekey_jitter, "
     "force_encapsulation, "
     "nat_keepalive, send_initial_contact, local, remote, children\n"
     "4:1: connections.c.remote: a connection needs a [connections.c.remote] table with auth = \"psk\" or "
     "\"pubkey\"\n"},
    {"traffic selector prefix too long", 17, "local_ts = [\"203.0.113.0/33\"]",
     "17:13: connections.c.children.net.local_ts[0]: \"203.0.113.0/33\" is not a traffic selector: traffic "
     "selector 1: prefix length '33' is not a number from 0 to 32 in '203.0.113.0/33'\n"},
    {"empty traffic selector list", 18, "remote_ts = []",
     "18:13: connections.c.children.net.remote_ts: the list is empty: give at least one entry or leave the "
     "key "
     "out\n"},
    {"rekey after the hard lifetime", 18,
     "remote_ts = [\"203.0.113.128/25\"]\nrekey_time = \"2h\"\nlife_time = \"1h\"",
     "20:13: connections.c.children.net.life_time: rekey_time (7200s) must be less than life_time (3600s), "
     "or the "
     "SA expires before it is rekeyed\n"},
    {"unknown ESP algorithm", 18, "remote_ts = [\"203.0.113.128/25\"]\nesp_proposals = [\"aes999\"]",
     "19:18: connections.c.children.net.esp_proposals[0]: \"aes999\" is not a valid ESP proposal: unknown "
     "algorithm keyword 'aes999' in proposal 'aes999'\n"},
    {"unknown start action", 18, "remote_ts = [\"203.0.113.128/25\"]\nstart_action = \"sometimes\"",
     "19:16: connections.c.children.net.start_action: \"sometimes\" is not one of \"none\", \"trap\", "
     "\"start\"\n"},
    {"PSK with a non-hex digit", 22, "psk = \"0xzz\"",
     "22:7: secrets.s.psk: a hex pre-shared key (0x...) may hold only hex digits\n"},
    {"identity of the wrong type", 21, "ids = [\"a.example\", 5]",
     "21:21: secrets.s.ids[1]: expected a string, found an integer\n"},
    {"include of a missing file", 1, "include = [\"/nonexistent-ipsecd-test/absent.toml\"]\n[daemon]",
     "1:12: include[0]: the included file /nonexistent-ipsecd-test/absent.toml does not exist\n"},
};

nlohmann::json status_of(const std::string& socket) {
  auto client = ctl::ControlClient::connect(socket, 2s);
  REQUIRE(client.has_value());
  auto response =
      client->call({client->next_id(), ctl::Command::status, {}}, ctl::ControlClient::Clock::now() + 5s);
  REQUIRE(response.has_value());
  REQUIRE(response->ok());
  return std::get<nlohmann::json>(response->outcome);
}

// The status as text without its counters, which count the refused reloads themselves.
std::string status_json(const std::string& socket) {
  auto status = status_of(socket);
  status.erase("counters");
  return status.dump();
}

uint64_t failed_reloads(const std::string& socket) {
  return status_of(socket).at("counters").at("failed_reloads").get<uint64_t>();
}

}  // namespace

TEST_CASE("ipsecd --check-config names file, line, column, key and reason for 25 broken files",
          "[netns][config-errors]") {
  ScratchDir dir;
  REQUIRE(!dir.path().empty());
  const auto good = dir.write("base.toml", base_with(0, ""));
  const auto valid = run(std::string(ipsecd_binary()) + " --check-config " + good);
  REQUIRE(valid.output == "configuration OK\n");
  REQUIRE(valid.status == 0);

  for (const auto& bad : kBadConfigs) {
    const auto file = dir.write("bad.toml", base_with(bad.line, bad.text));
    const auto checked = run(std::string(ipsecd_binary()) + " --check-config " + file);
    INFO(bad.what << "\n" << checked.output);
    CHECK(checked.status == 1);
    std::string expected;
    std::istringstream lines(bad.expected);
    for (std::string line; std::getline(lines, line);) expected += file + ":" + line + "\n";
    CHECK(checked.output == expected);
  }
}

TEST_CASE("ipsecd refuses to start on a broken configuration and names the error", "[netns][config-errors]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const auto socket = dir.path() + "/a.sock";
  auto text = site_a_config(socket, "none");
  text.replace(text.find("listen = [\"192.0.2.1\"]"), std::string("listen = [\"192.0.2.1\"]").size(),
               "listen = [\"192.0.2.1\"]\nport = 70000");
  const auto file = dir.write("broken.toml", text);
  DaemonProcess a(DaemonNamespaces::kA, file, dir.path() + "/a.log");
  INFO(a.log());
  const auto status = a.wait_exit(5s);
  REQUIRE(status.has_value());
  CHECK(*status == 1);
  CHECK(a.log().find("error: configuration: " + file +
                     ":3:8: daemon.port: 70000 is out of range: it must be from 1 "
                     "to 65535\n") != std::string::npos);
  CHECK(a.log().find("error: start-up failed: " + file + " has 1 error") != std::string::npos);
  CHECK(a.log().find("started") == std::string::npos);
  struct stat st {};
  CHECK(stat(socket.c_str(), &st) != 0);  // no control socket was left behind
}

TEST_CASE("a broken reload by SIGHUP or ipsecctl keeps the running configuration and status",
          "[netns][config-errors]") {
  DaemonNamespaces namespaces;
  REQUIRE(namespaces.error().empty());
  ScratchDir dir;
  const auto socket = dir.path() + "/a.sock";
  const auto file = dir.write("a.toml", site_a_config(socket, "none"));
  DaemonProcess a(DaemonNamespaces::kA, file, dir.path() + "/a.log");
  INFO(a.log());
  REQUIRE(a.wait_for_log("started", 5s));
  const auto before = status_json(socket);
  CHECK(before.find("\"name\":\"site-a\"") != std::string::npos);

  // A new connection beside an error: nothing of the file may be taken, not even the valid part.
  auto broken = site_a_config(socket, "none") + R"(
[connections.site-c]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.3"
proposals = ["aes256-sha999-modp2048"]
[connections.site-c.local]
auth = "psk"
id = "gw-a.example.com"
[connections.site-c.remote]
auth = "psk"
id = "gw-c.example.com"
[connections.site-c.children.net]
local_ts = ["203.0.113.0/25"]
remote_ts = ["198.51.100.0/24"]
[secrets.ac]
ids = ["gw-c.example.com"]
psk = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)";
  dir.write("a.toml", broken);
  const std::string where = file + ":32:14: connections.site-c.proposals[0]";

  a.signal(SIGHUP);
  REQUIRE(a.wait_for_log("reload failed with 1 error: keeping the running configuration", 5s));
  CHECK(a.log().find("reload: " + where) != std::string::npos);
  CHECK(status_json(socket) == before);
  CHECK(failed_reloads(socket) == 1);

  const auto dry = ipsecctl(dir, socket, "reload --dry-run");
  CHECK(dry.status == 1);
  CHECK(dry.err.find(where) != std::string::npos);
  const auto reload = ipsecctl(dir, socket, "--json reload");
  CHECK(reload.status == 1);
  CHECK(reload.err.find(where) != std::string::npos);
  const auto error = nlohmann::json::parse(reload.out, nullptr, false);
  REQUIRE(error.is_object());
  CHECK(error.at("error").at("code") == "failed");
  CHECK(error.at("error").at("message").get<std::string>().find(where) != std::string::npos);
  CHECK(status_json(socket) == before);
  CHECK(failed_reloads(socket) == 2);  // the dry run applies nothing, so it is no failed reload

  a.signal(SIGTERM);
  CHECK(a.wait_exit(5s) == std::optional<int>(0));
}

}  // namespace ipsecd::test
