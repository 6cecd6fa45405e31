// Include handling: globs relative to the including file, sorted, read once, loops refused, errors and
// duplicate names reported in the file that holds them.
#include "test_config_support.h"

using namespace ipsecd;
using namespace ipsecd::test;

namespace {

// A complete PSK connection named `name` between 192.0.2.1 and `peer`, with its secret.
std::string connection(const std::string& name, const std::string& peer) {
  return "[connections." + name + "]\nlocal_addr = \"192.0.2.1\"\nremote_addr = \"" + peer + "\"\n[connections." +
         name + ".local]\nauth = \"psk\"\n[connections." + name + ".remote]\nauth = \"psk\"\nid = \"" + peer +
         "\"\n[connections." + name + ".children.net]\n[secrets." + name + "]\nids = [\"192.0.2.1\", \"" + peer +
         "\"]\npsk = \"key for " + name + "\"\n";
}

}  // namespace

TEST_CASE("Included files are read in sorted order after the including file", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\"]\n" + connection("main", "192.0.2.9"));
  const fs::path second = dir.write("conf.d/20-b.toml", connection("b", "192.0.2.3"));
  const fs::path first = dir.write("conf.d/10-a.toml", connection("a", "192.0.2.2"));
  dir.write("conf.d/notes.txt", "not toml at all [");
  const auto config = load_ok(main);
  REQUIRE(config->connections.size() == 3);
  CHECK(config->connections[0].name == "main");
  CHECK(config->connections[1].name == "a");
  CHECK(config->connections[2].name == "b");
  CHECK((config->files == std::vector<fs::path>{main, first, second}));
}

TEST_CASE("A glob that matches nothing is no error but a missing named file is", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\", \"/nonexistent-ipsecd/*.toml\"]\n");
  CHECK(load_ok(main)->connections.empty());

  const fs::path named = dir.write("named.toml", "include = [\"conf.d/peer.toml\"]\n");
  const auto errors = load_errors(named);
  CHECK(has_error(errors, named, 1, "conf.d/peer.toml does not exist"));
}

TEST_CASE("An error inside an included file names that file and its line", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\"]\n");
  const fs::path included = dir.write("conf.d/peer.toml", "[connections.x]\nlocal_addr = \"192.0.2.1\"\nversion = 1\n");
  const auto errors = load_errors(main);
  INFO(describe(errors));
  CHECK(has_error(errors, included, 3, "IKEv1 is not supported yet"));
  CHECK((std::none_of(errors.begin(), errors.end(), [&](const auto& e) { return e.file == main; })));
}

TEST_CASE("A TOML syntax error in an included file names that file", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = \"conf.d/*.toml\"\n");
  const fs::path included = dir.write("conf.d/broken.toml", "[connections.x]\n\nlocal_addr = \n");
  const auto errors = load_errors(main);
  INFO(describe(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == included);
  CHECK(errors[0].line == 3);
}

TEST_CASE("The same connection, secret or CA name in two files is an error naming both places", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\"]\n" + connection("a", "192.0.2.2"));
  const fs::path other = dir.write("conf.d/dup.toml", connection("a", "192.0.2.3"));
  const auto errors = load_errors(main);
  INFO(describe(errors));
  CHECK(has_error(errors, other, 1, "the connection \"a\" is already defined at " + main.string() + ":2"));
  CHECK(has_error(errors, other, 10, "the secret \"a\" is already defined at " + main.string() + ":11"));
}

TEST_CASE("Include loops are refused and a file included twice is read once", "[config]") {
  TempDir dir;
  const fs::path a = dir.write("a.toml", "include = [\"b.toml\"]\n");
  const fs::path b = dir.write("b.toml", "include = [\"a.toml\"]\n");
  const auto errors = load_errors(a);
  INFO(describe(errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].file == b);
  CHECK(errors[0].reason.find("include loop") != std::string::npos);

  const fs::path twice = dir.write("twice.toml", "include = [\"c/*.toml\", \"c/one.toml\"]\n");
  dir.write("c/one.toml", connection("one", "192.0.2.2"));
  const auto config = load_ok(twice);
  CHECK(config->connections.size() == 1);
  CHECK(config->files.size() == 2);
}

TEST_CASE("Paths in an included file are relative to its own directory", "[config]") {
  TempDir dir;
  dir.copy(fs::path(IPSECD_FIXTURES_DIR) / "pki" / "root-ca.pem", "conf.d/certs/root.pem");
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\"]\n");
  dir.write("conf.d/ca.toml", "[ca.root]\ncertificate = \"certs/root.pem\"\n");
  CHECK(load_ok(main)->cas.count("root") == 1);
}

TEST_CASE("The daemon section belongs to the main file only", "[config]") {
  TempDir dir;
  const fs::path main = dir.write("ipsecd.toml", "include = [\"conf.d/*.toml\"]\n");
  const fs::path included = dir.write("conf.d/d.toml", "[daemon]\nlog_level = \"debug\"\n");
  const auto errors = load_errors(main);
  CHECK(has_error(errors, included, 1, "[daemon] belongs in the main configuration file"));
}
