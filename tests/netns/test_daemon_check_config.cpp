// `ipsecd --check-config`: exit 0 with "configuration OK" for a valid file, 1 with FILE:LINE:COL: KEY: REASON
// per error otherwise; no sockets, no kernel, so no namespace is needed.
#include "tests/netns/daemon_configs.h"
#include "tests/netns/daemon_process.h"

#include <catch2/catch.hpp>

#include <string>

namespace ipsecd::test {

TEST_CASE("ipsecd --check-config accepts a valid file and reports every error of a broken one",
          "[netns][daemon]") {
  ScratchDir dir;
  REQUIRE(!dir.path().empty());
  const std::string binary = ipsecd_binary();

  SECTION("valid: exit 0") {
    const auto file = dir.write("good.toml", site_a_config(dir.path() + "/a.sock"));
    const auto ok = run(binary + " --check-config " + file);
    CHECK(ok.status == 0);
    CHECK(ok.output == "configuration OK\n");
    // Without a FILE argument the --config file is checked.
    const auto via_config = run(binary + " --config " + file + " --check-config");
    CHECK(via_config.status == 0);
    CHECK(via_config.output == "configuration OK\n");
  }
  SECTION("two errors: exit 1, one FILE:LINE:COL: KEY: REASON line each") {
    auto text = site_a_config(dir.path() + "/a.sock");
    text.replace(text.find("log_level = \"debug\""), std::string("log_level = \"debug\"").size(),
                 "log_level = \"loud\"");
    text.replace(text.find("esp_proposals = [\"aes256gcm16\"]"),
                 std::string("esp_proposals = [\"aes256gcm16\"]").size(), "esp_proposals = [\"aes999\"]");
    const auto file = dir.write("bad.toml", text);
    const auto bad = run(binary + " --check-config " + file);
    INFO(bad.output);
    CHECK(bad.status == 1);
    CHECK(bad.output.find(file + ":3:") != std::string::npos);
    CHECK(bad.output.find("daemon.log_level: ") != std::string::npos);
    CHECK(bad.output.find("connections.site-a.children.net.esp_proposals") != std::string::npos);
    CHECK(bad.output.find("configuration OK") == std::string::npos);
    size_t lines = 0;
    for (const char c : bad.output) lines += c == '\n' ? 1 : 0;
    CHECK(lines == 2);
  }
  SECTION("a missing file: exit 1 naming it") {
    const auto missing = run(binary + " --check-config " + dir.path() + "/absent.toml");
    CHECK(missing.status == 1);
    CHECK(missing.output.find(dir.path() + "/absent.toml") != std::string::npos);
  }
  SECTION("--version") {
    const auto version = run(binary + " --version");
    CHECK(version.status == 0);
    CHECK(version.output.rfind("ipsecd ", 0) == 0);
  }
  SECTION("a bad command line: exit 2 naming the mistake") {
    const auto bad = run(binary + " --no-such-option");
    CHECK(bad.status == 2);
    CHECK(bad.output.find("--no-such-option") != std::string::npos);
  }
}

}  // namespace ipsecd::test
