// Typed, checked reading of TOML tables: every value's type and range checked, unknown keys reported
// (with a suggestion for likely typos), every error collected with its file, line, column and dotted key.
#pragma once

#include "daemon/config/config_error.h"

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ipsecd::config {

// Collects every error of one load.
class Diagnostics {
 public:
  void add(const toml::source_region& at, std::string key, std::string reason);
  // An error about a file as a whole (it cannot be read), without a position.
  void add(const std::filesystem::path& file, std::string key, std::string reason);
  size_t count() const { return errors_.size(); }
  std::vector<ConfigError> take() { return std::move(errors_); }

 private:
  std::vector<ConfigError> errors_;
};

// The file a node was read from, and the directory relative paths in it are resolved against.
std::filesystem::path source_file(const toml::node& node);
std::filesystem::path resolve_path(const toml::node& node, std::string_view path);

// A string from a list value, with where it stands for errors.
struct StringItem {
  std::string text;
  const toml::node* at = nullptr;
  std::string key;  // e.g. "connections.a.proposals[1]"
};

class TableReader {
 public:
  // `path` is the table's dotted key ("" for the root). Keys outside `allowed` are reported at once.
  TableReader(Diagnostics& diagnostics, const toml::table& table, std::string path,
              std::initializer_list<std::string_view> allowed);

  std::string key_path(std::string_view key) const;

  // nullptr when absent.
  const toml::node* node(std::string_view key) const;
  bool has(std::string_view key) const { return node(key) != nullptr; }

  // Each getter returns nullopt both when the key is absent and when its value is wrong; in the latter
  // case it has reported the error.
  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  // An integer of seconds or a string such as "90s", "500ms", "4h".
  std::optional<std::chrono::milliseconds> duration(std::string_view key);
  // As duration, but it must be whole seconds.
  std::optional<std::chrono::seconds> seconds(std::string_view key);
  // An integer or a string such as "500M".
  std::optional<uint64_t> byte_count(std::string_view key);
  // A string, or an array of strings; a string item may hold several entries separated by commas
  // (`split_commas`). An empty list is an error: leave the key out instead.
  std::optional<std::vector<StringItem>> strings(std::string_view key, bool split_commas);
  const toml::table* subtable(std::string_view key);

  template <typename E>
  std::optional<E> choice(std::string_view key, std::initializer_list<std::pair<std::string_view, E>> options) {
    const auto text = string(key);
    if (!text) return std::nullopt;
    for (const auto& [word, value] : options) {
      if (word == *text) return value;
    }
    std::string list;
    for (const auto& [word, value] : options) list += (list.empty() ? "\"" : ", \"") + std::string(word) + "\"";
    error(key, "\"" + *text + "\" is not one of " + list);
    return std::nullopt;
  }

  // An error about `key`: at its value when present, else at the table.
  void error(std::string_view key, std::string reason);
  void error_at(const toml::node& at, std::string key, std::string reason);

 private:
  void type_error(std::string_view key, const toml::node& value, std::string_view expected);

  Diagnostics& diagnostics_;
  const toml::table& table_;
  std::string path_;
};

}  // namespace ipsecd::config
