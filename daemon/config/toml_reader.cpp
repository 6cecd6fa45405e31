// Checked reading of TOML values into typed settings, with errors that name file, line and key.
#include "daemon/config/toml_reader.h"

#include "daemon/config/value_syntax.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace ipsecd::config {
namespace {

// Names users bring from strongSwan's swanctl.conf, mapped to ours, so a typo-catching error can say what to
// write instead.
constexpr std::array<std::pair<std::string_view, std::string_view>, 11> kKnownAliases{{
    {"rand_time", "rekey_jitter"},
    {"local_addrs", "local_addr"},
    {"remote_addrs", "remote_addr"},
    {"encap", "force_encapsulation"},
    {"cacerts", "ca"},
    {"esp", "esp_proposals"},
    {"ah", "ah_proposals"},
    {"secret", "psk"},
    {"dpd_timeout", "dpd_delay"},
    {"keyingtries", "retransmit_tries"},
    {"include_dir", "include"},
}};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view unknown, std::initializer_list<std::string_view> allowed) {
  for (const auto& [theirs, ours] : kKnownAliases) {
    if (theirs == unknown && std::find(allowed.begin(), allowed.end(), ours) != allowed.end()) {
      return "; ipsecd calls it \"" + std::string(ours) + "\"";
    }
  }
  std::string_view best;
  size_t best_distance = 3;  // only near misses: one or two letters off
  for (std::string_view candidate : allowed) {
    const size_t d = edit_distance(unknown, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  if (!best.empty()) return "; did you mean \"" + std::string(best) + "\"?";
  std::string list;
  for (std::string_view candidate : allowed) list += (list.empty() ? "" : ", ") + std::string(candidate);
  return allowed.size() == 0 ? std::string("; this table takes no keys") : "; known keys: " + list;
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::vector<std::string> split_on_commas(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const auto first = part.find_first_not_of(" \t");
    const auto last = part.find_last_not_of(" \t");
    parts.push_back(first == std::string::npos ? std::string() : part.substr(first, last - first + 1));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

}  // namespace

void Diagnostics::add(const toml::source_region& at, std::string key, std::string reason) {
  ConfigError error;
  error.file = at.path ? std::filesystem::path(*at.path) : std::filesystem::path();
  error.line = at.begin.line;
  error.column = at.begin.column;
  error.key = std::move(key);
  error.reason = std::move(reason);
  errors_.push_back(std::move(error));
}

void Diagnostics::add(const std::filesystem::path& file, std::string key, std::string reason) {
  errors_.push_back(ConfigError{file, 0, 0, std::move(key), std::move(reason)});
}

std::filesystem::path source_file(const toml::node& node) {
  const auto& path = node.source().path;
  return path ? std::filesystem::path(*path) : std::filesystem::path();
}

std::filesystem::path resolve_path(const toml::node& node, std::string_view path) {
  const std::filesystem::path given(path);
  if (given.is_absolute()) return given;
  return source_file(node).parent_path() / given;
}

TableReader::TableReader(Diagnostics& diagnostics, const toml::table& table, std::string path,
                         std::initializer_list<std::string_view> allowed)
    : diagnostics_(diagnostics), table_(table), path_(std::move(path)) {
  for (auto&& [key, value] : table_) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    diagnostics_.add(key.source(), key_path(key.str()),
                     "unknown key \"" + std::string(key.str()) + "\"" + suggestion(key.str(), allowed));
  }
}

std::string TableReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const toml::node* TableReader::node(std::string_view key) const { return table_.get(key); }

void TableReader::error(std::string_view key, std::string reason) {
  const toml::node* value = node(key);
  diagnostics_.add(value != nullptr ? value->source() : table_.source(), key_path(key), std::move(reason));
}

void TableReader::error_at(const toml::node& at, std::string key, std::string reason) {
  diagnostics_.add(at.source(), std::move(key), std::move(reason));
}

void TableReader::type_error(std::string_view key, const toml::node& value, std::string_view expected) {
  error(key, "expected " + std::string(expected) + ", found " + std::string(type_name(value.type())));
}

std::optional<std::string> TableReader::string(std::string_view key) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* s = value->as_string()) return s->get();
  type_error(key, *value, "a string");
  return std::nullopt;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* b = value->as_boolean()) return b->get();
  type_error(key, *value, "true or false");
  return std::nullopt;
}

std::optional<int64_t> TableReader::integer(std::string_view key, int64_t min, int64_t max) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  const auto* i = value->as_integer();
  if (i == nullptr) {
    type_error(key, *value, "an integer");
    return std::nullopt;
  }
  if (i->get() < min || i->get() > max) {
    error(key, std::to_string(i->get()) + " is out of range: it must be from " + std::to_string(min) + " to " +
                   std::to_string(max));
    return std::nullopt;
  }
  return i->get();
}

std::optional<double> TableReader::number(std::string_view key, double min, double max) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  double number = 0;
  if (const auto* f = value->as_floating_point()) number = f->get();
  else if (const auto* i = value->as_integer()) number = static_cast<double>(i->get());
  else {
    type_error(key, *value, "a number");
    return std::nullopt;
  }
  if (!std::isfinite(number) || number < min || number > max) {
    error(key, fmt::format("{} is out of range: it must be from {} to {}", number, min, max));
    return std::nullopt;
  }
  return number;
}

std::optional<std::chrono::milliseconds> TableReader::duration(std::string_view key) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* i = value->as_integer()) {
    constexpr int64_t max_seconds = std::numeric_limits<int64_t>::max() / 1000;
    if (i->get() < 0 || i->get() > max_seconds) {
      error(key, "a duration may not be negative or larger than " + std::to_string(max_seconds) + " seconds");
      return std::nullopt;
    }
    return std::chrono::seconds(i->get());
  }
  if (const auto* s = value->as_string()) {
    auto parsed = parse_duration(s->get());
    if (!parsed) {
      error(key, parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }
  type_error(key, *value, "a number of seconds or a string such as \"90s\", \"30m\", \"4h\"");
  return std::nullopt;
}

std::optional<std::chrono::seconds> TableReader::seconds(std::string_view key) {
  const auto ms = duration(key);
  if (!ms) return std::nullopt;
  if (ms->count() % 1000 != 0) {
    error(key, "must be a whole number of seconds");
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*ms);
}

std::optional<uint64_t> TableReader::byte_count(std::string_view key) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* i = value->as_integer()) {
    if (i->get() < 0) {
      error(key, "a byte count may not be negative");
      return std::nullopt;
    }
    return static_cast<uint64_t>(i->get());
  }
  if (const auto* s = value->as_string()) {
    auto parsed = parse_byte_count(s->get());
    if (!parsed) {
      error(key, parsed.error());
      return std::nullopt;
    }
    return *parsed;
  }
  type_error(key, *value, "a number of bytes or a string such as \"500M\"");
  return std::nullopt;
}

std::optional<std::vector<StringItem>> TableReader::strings(std::string_view key, bool split_commas) {
  const toml::node* value = node(key);
  if (value == nullptr) return std::nullopt;
  std::vector<StringItem> items;
  bool ok = true;
  auto take = [&](const toml::node& item, std::string item_key) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      error_at(item, item_key, "expected a string, found " + std::string(type_name(item.type())));
      ok = false;
      return;
    }
    if (!split_commas) {
      items.push_back({s->get(), &item, std::move(item_key)});
      return;
    }
    for (std::string& part : split_on_commas(s->get())) items.push_back({std::move(part), &item, item_key});
  };
  if (const auto* array = value->as_array()) {
    for (size_t i = 0; i < array->size(); ++i) take(*array->get(i), key_path(key) + "[" + std::to_string(i) + "]");
  } else if (value->is_string()) {
    take(*value, key_path(key));
  } else {
    type_error(key, *value, "a string or an array of strings");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  if (items.empty()) {
    error(key, "the list is empty: give at least one entry or leave the key out");
    return std::nullopt;
  }
  for (const StringItem& item : items) {
    if (item.text.empty()) {
      error_at(*item.at, item.key, "an entry is empty");
      return std::nullopt;
    }
  }
  return items;
}

const toml::table* TableReader::subtable(std::string_view key) {
  const toml::node* value = node(key);
  if (value == nullptr) return nullptr;
  if (const auto* t = value->as_table()) return t;
  type_error(key, *value, "a table");
  return nullptr;
}

}  // namespace ipsecd::config
