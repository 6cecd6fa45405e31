// The text forms of configuration values that TOML has no type for: durations, byte counts, shared keys.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipsecd::config {

// "500ms", "90s", "30m", "4h", "1d", or plain digits meaning seconds. The error is a sentence.
Expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

// "1024", "64K", "500M", "2G", "1T": binary multiples (K = 1024), as strongSwan reads life_bytes.
Expected<uint64_t, std::string> parse_byte_count(std::string_view text);

// A pre-shared key: "0x" followed by an even number of hex digits is binary, anything else is the
// UTF-8 text itself. Empty keys are refused.
Expected<crypto::SecureBytes, std::string> parse_psk(std::string_view text);

}  // namespace ipsecd::config
