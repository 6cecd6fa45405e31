// Bounded big-endian reader over untrusted bytes: every read checks the remaining length first.
#pragma once

#include "common/expected.h"
#include "crypto/bytes.h"
#include "daemon/ike/decode_error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ipsecd::ike {

using crypto::Bytes;
using crypto::ByteView;

// Reads never go past the view. A failed read records a `truncated` error (the first one wins) and
// returns false, so a decoder can chain reads and return error() once. Offsets in errors are absolute:
// `base` is where this view starts in the buffer being decoded.
class ByteReader {
 public:
  ByteReader(ByteView data, size_t base, uint8_t payload_type);

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // Absolute offset of the next byte.
  size_t offset() const { return base_ + pos_; }
  uint8_t payload_type() const { return payload_type_; }
  void set_payload_type(uint8_t type) { payload_type_ = type; }

  bool u8(uint8_t& out);
  bool u16(uint16_t& out);
  bool u32(uint32_t& out);
  bool u64(uint64_t& out);
  bool skip(size_t n);
  // Copies n bytes.
  bool bytes(size_t n, Bytes& out);
  // Copies everything left.
  Bytes rest();
  // Splits off the next n bytes as a reader of their own (same payload type), for nested structures.
  bool sub(size_t n, ByteReader& out);

  // The recorded truncation, for `return r.error();` after a failed read.
  Unexpected<DecodeError> error() const;
  // A semantic error at the current offset.
  Unexpected<DecodeError> fail(DecodeErrorCode code, std::string message) const;
  // A semantic error at a given absolute offset.
  Unexpected<DecodeError> fail_at(size_t offset, DecodeErrorCode code, std::string message) const;

 private:
  bool need(size_t n);

  ByteView data_;
  size_t pos_ = 0;
  size_t base_;
  uint8_t payload_type_;
  std::optional<DecodeError> error_;
};

}  // namespace ipsecd::ike
