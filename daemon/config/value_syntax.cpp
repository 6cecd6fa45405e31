// Parsing of durations, byte counts and pre-shared keys written as TOML strings.
#include "daemon/config/value_syntax.h"

#include <botan/hex.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

namespace ipsecd::config {
namespace {

// The leading digits of `text` and the suffix after them; nullopt when there are no digits or they
// overflow.
struct NumberAndSuffix {
  uint64_t number = 0;
  std::string_view suffix;
};

std::optional<NumberAndSuffix> split_number(std::string_view text) {
  uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  std::string_view suffix = text.substr(static_cast<size_t>(end - text.data()));
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  return NumberAndSuffix{number, suffix};
}

bool multiply(uint64_t& value, uint64_t factor) {
  if (factor != 0 && value > std::numeric_limits<uint64_t>::max() / factor) return false;
  value *= factor;
  return true;
}

}  // namespace

Expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto parts = split_number(text);
  if (!parts) {
    return unexpected(quoted + " is not a duration: write a number of seconds or a number with ms, s, m, h or d");
  }
  uint64_t factor = 0;
  if (parts->suffix.empty() || parts->suffix == "s") factor = 1000;
  else if (parts->suffix == "ms") factor = 1;
  else if (parts->suffix == "m") factor = 60'000;
  else if (parts->suffix == "h") factor = 3'600'000;
  else if (parts->suffix == "d") factor = 86'400'000;
  else return unexpected(quoted + " has an unknown unit: use ms, s, m, h or d");
  uint64_t ms = parts->number;
  if (!multiply(ms, factor) || ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return unexpected(quoted + " is too long a duration");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Expected<uint64_t, std::string> parse_byte_count(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const auto parts = split_number(text);
  if (!parts) return unexpected(quoted + " is not a byte count: write a number, optionally with K, M, G or T");
  uint64_t factor = 0;
  if (parts->suffix.empty()) factor = 1;
  else if (parts->suffix == "K") factor = uint64_t{1} << 10;
  else if (parts->suffix == "M") factor = uint64_t{1} << 20;
  else if (parts->suffix == "G") factor = uint64_t{1} << 30;
  else if (parts->suffix == "T") factor = uint64_t{1} << 40;
  else return unexpected(quoted + " has an unknown unit: use K, M, G or T (multiples of 1024)");
  uint64_t bytes = parts->number;
  if (!multiply(bytes, factor)) return unexpected(quoted + " is too large a byte count");
  return bytes;
}

Expected<crypto::SecureBytes, std::string> parse_psk(std::string_view text) {
  if (text.empty()) return unexpected(std::string("a pre-shared key may not be empty"));
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    const std::string_view hex = text.substr(2);
    if (hex.empty() || hex.size() % 2 != 0) {
      return unexpected(std::string("a hex pre-shared key (0x...) needs an even, non-zero number of hex digits"));
    }
    try {
      return Botan::hex_decode_locked(hex.data(), hex.size(), false);
    } catch (const std::exception&) {
      // Botan's message names the offending character, which is part of a secret: not echoed.
      return unexpected(std::string("a hex pre-shared key (0x...) may hold only hex digits"));
    }
  }
  return crypto::SecureBytes(text.begin(), text.end());
}

}  // namespace ipsecd::config
