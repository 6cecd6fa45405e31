// Reads the main configuration file and its includes, then builds the snapshot section by section:
// [daemon], [ca.*], [secrets.*], [connections.*], collecting every error on the way.
#include "daemon/config/load_config.h"

#include "daemon/config/connection_section.h"
#include "daemon/config/credentials.h"
#include "daemon/config/daemon_section.h"
#include "daemon/config/toml_reader.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace ipsecd::config {
namespace {

namespace fs = std::filesystem;

struct ParsedFile {
  fs::path path;
  toml::table root;
};

// A section entry ([connections.NAME], [secrets.NAME], [ca.NAME]) from any file.
struct Named {
  std::string name;
  const toml::table* table = nullptr;
};

std::string position(const toml::node& node) {
  return source_file(node).string() + ":" + std::to_string(node.source().begin.line);
}

bool has_wildcard(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

// Reads files depth-first in include order; each file once, include loops refused.
class FileReader {
 public:
  explicit FileReader(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

  void read(const fs::path& path, const StringItem* included_by) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    const fs::path key = ec ? path : canonical;
    if (std::find(chain_.begin(), chain_.end(), key) != chain_.end()) {
      std::string loop;
      for (const fs::path& p : chain_) loop += p.string() + " -> ";
      diagnostics_.add(included_by->at->source(), included_by->key, "include loop: " + loop + key.string());
      return;
    }
    if (!seen_.insert(key).second) return;

    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    if (in) content << in.rdbuf();
    if (!in || in.bad()) {
      const std::string reason = "cannot read " + path.string() + ": " + std::strerror(errno);
      if (included_by != nullptr) diagnostics_.add(included_by->at->source(), included_by->key, reason);
      else diagnostics_.add(path, "", reason);
      return;
    }
    auto parsed = std::make_unique<ParsedFile>();
    parsed->path = path;
    try {
      parsed->root = toml::parse(content.str(), path.string());
    } catch (const toml::parse_error& e) {
      diagnostics_.add(e.source(), "", std::string(e.description()));
      return;
    }
    ParsedFile& file = *files_.emplace_back(std::move(parsed));
    chain_.push_back(key);
    read_includes(file, included_by == nullptr);
    chain_.pop_back();
  }

  std::vector<std::unique_ptr<ParsedFile>>& files() { return files_; }

 private:
  void read_includes(ParsedFile& file, bool main) {
    TableReader top(diagnostics_, file.root, "", {"include", "daemon", "connections", "secrets", "ca"});
    if (!main && top.has("daemon")) {
      top.error("daemon", "[daemon] belongs in the main configuration file, not in an included one");
    }
    const auto patterns = top.strings("include", false);
    if (!patterns) return;
    for (const StringItem& item : *patterns) {
      const fs::path pattern = resolve_path(*item.at, item.text);
      for (const fs::path& match : expand(pattern, item)) read(match, &item);
    }
  }

  // Sorted matches; a wildcard matching nothing is fine (an empty conf.d/), a plain name must exist.
  std::vector<fs::path> expand(const fs::path& pattern, const StringItem& item) {
    std::vector<fs::path> matches;
    const bool wildcard = has_wildcard(pattern.string());
    glob_t found{};
    const int rc = glob(pattern.c_str(), 0, nullptr, &found);
    if (rc == 0) {
      for (size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
    }
    globfree(&found);
    if (rc == GLOB_NOMATCH && !wildcard) {
      diagnostics_.add(item.at->source(), item.key, "the included file " + pattern.string() + " does not exist");
    } else if (rc != 0 && rc != GLOB_NOMATCH) {
      diagnostics_.add(item.at->source(), item.key, "cannot list " + pattern.string());
    }
    std::sort(matches.begin(), matches.end());
    std::vector<fs::path> files;
    for (const fs::path& match : matches) {
      std::error_code ec;
      if (!fs::is_directory(match, ec)) {
        files.push_back(match);
      } else if (!wildcard) {
        diagnostics_.add(item.at->source(), item.key, match.string() + " is a directory: include \"" +
                                                          item.text + "/*.toml\" to read the files in it");
      }
    }
    return files;
  }

  Diagnostics& diagnostics_;
  std::vector<std::unique_ptr<ParsedFile>> files_;
  std::vector<fs::path> chain_;
  std::set<fs::path> seen_;
};

// Every [SECTION.NAME] across the files, in reading order; a name defined twice is an error naming both.
std::vector<Named> gather(Diagnostics& diagnostics, const std::vector<std::unique_ptr<ParsedFile>>& files,
                          const std::string& section, std::string_view what) {
  std::vector<Named> all;
  for (const auto& file : files) {
    const toml::node* node = file->root.get(section);
    if (node == nullptr) continue;
    const toml::table* parent = node->as_table();
    if (parent == nullptr) {
      diagnostics.add(node->source(), section, "expected a table: write [" + section + ".NAME] sections");
      continue;
    }
    for (auto& [name, table] : tables_in_file_order(diagnostics, *parent, section)) {
      // clang 14 (the fuzz build) cannot capture a structured binding: compare through a plain reference.
      const std::string& this_name = name;
      auto earlier =
          std::find_if(all.begin(), all.end(), [&](const Named& n) { return n.name == this_name; });
      if (earlier != all.end()) {
        diagnostics.add(table->source(), section + "." + name,
                        std::string(what) + " \"" + name + "\" is already defined at " + position(*earlier->table));
        continue;
      }
      all.push_back({name, table});
    }
  }
  return all;
}

}  // namespace

Expected<std::shared_ptr<const DaemonConfig>, std::vector<ConfigError>> load_config(const fs::path& file) {
  Diagnostics diagnostics;
  FileReader reader(diagnostics);
  reader.read(file, nullptr);
  auto& files = reader.files();

  auto config = std::make_shared<DaemonConfig>();
  config->file = file;
  for (const auto& parsed : files) config->files.push_back(parsed->path);

  if (!files.empty() && files.front()->path == file) {
    if (const toml::node* daemon = files.front()->root.get("daemon")) {
      if (const toml::table* table = daemon->as_table()) {
        read_daemon_section(diagnostics, *table, config->daemon, config->engine);
      } else {
        diagnostics.add(daemon->source(), "daemon", "expected a table: write [daemon]");
      }
    }
  }

  for (const Named& ca : gather(diagnostics, files, "ca", "the CA")) {
    if (auto entry = read_ca_section(diagnostics, ca.name, *ca.table)) config->cas.emplace(ca.name, std::move(*entry));
  }
  std::vector<SecretEntry> secrets;
  for (const Named& secret : gather(diagnostics, files, "secrets", "the secret")) {
    secrets.push_back(read_secret_section(diagnostics, secret.name, *secret.table));
  }

  TrustStores trust(config->cas);
  Credentials credentials{config->cas, secrets, trust};
  for (const Named& connection : gather(diagnostics, files, "connections", "the connection")) {
    auto section = read_connection_section(diagnostics, connection.name, *connection.table, credentials);
    if (!section) continue;
    config->policies.emplace(connection.name, std::move(section->policy));
    config->connections.push_back(std::move(section->config));
  }

  if (diagnostics.count() != 0) return unexpected(diagnostics.take());
  return std::shared_ptr<const DaemonConfig>(std::move(config));
}

}  // namespace ipsecd::config
