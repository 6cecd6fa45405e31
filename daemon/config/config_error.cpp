// Formats configuration errors the way compilers do, so editors can jump to them.
#include "daemon/config/config_error.h"

namespace ipsecd::config {

std::string to_string(const ConfigError& error) {
  std::string out = error.file.string();
  if (error.line != 0) {
    out += ':' + std::to_string(error.line);
    if (error.column != 0) out += ':' + std::to_string(error.column);
  }
  out += ": ";
  if (!error.key.empty()) out += error.key + ": ";
  out += error.reason;
  return out;
}

}  // namespace ipsecd::config
