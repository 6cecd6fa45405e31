// Names and log lines for codec decode errors.
#include "daemon/ike/decode_error.h"

#include "daemon/ike/iana/payload_type.h"

#include <fmt/format.h>

namespace ipsecd::ike {

std::string_view name(DecodeErrorCode code) {
  switch (code) {
    case DecodeErrorCode::truncated:
      return "truncated";
    case DecodeErrorCode::bad_length:
      return "bad length";
    case DecodeErrorCode::bad_value:
      return "bad value";
    case DecodeErrorCode::bad_version:
      return "bad version";
    case DecodeErrorCode::bad_structure:
      return "bad structure";
    case DecodeErrorCode::unsupported_critical_payload:
      return "unsupported critical payload";
    case DecodeErrorCode::too_many:
      return "too many";
    case DecodeErrorCode::too_large:
      return "too large";
  }
  return "unknown";
}

std::string to_string(const DecodeError& error) {
  const auto where = error.payload_type == 0
                         ? std::string("IKE header")
                         : fmt::format("payload {} ({})", error.payload_type,
                                       iana::name(static_cast<iana::PayloadType>(error.payload_type)));
  return fmt::format("{} at offset {} in {}: {}", name(error.code), error.offset, where, error.message);
}

}  // namespace ipsecd::ike
