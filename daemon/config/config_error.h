// A configuration error: where it is (file, line, column, dotted key) and a sentence saying what to fix.
#pragma once

#include <filesystem>
#include <string>

namespace ipsecd::config {

struct ConfigError {
  std::filesystem::path file;
  unsigned line = 0;    // 1-based; 0 when the error concerns the file as a whole
  unsigned column = 0;  // 1-based; 0 when unknown
  std::string key;      // dotted path, e.g. "connections.office.children.net.esp_proposals[0]"; may be empty
  std::string reason;
  bool operator==(const ConfigError&) const = default;
};

// "FILE:LINE:COL: KEY: REASON", leaving out LINE:COL when there is no line and KEY when there is no key,
// so that editors and grep jump straight to the place.
std::string to_string(const ConfigError& error);

}  // namespace ipsecd::config
