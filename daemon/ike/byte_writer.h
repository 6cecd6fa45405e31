// Big-endian writer that appends to a byte vector, with back-patching of length fields.
#pragma once

#include "crypto/bytes.h"

#include <cstddef>
#include <cstdint>

namespace ipsecd::ike {

class ByteWriter {
 public:
  explicit ByteWriter(crypto::Bytes& out) : out_(out) {}

  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void bytes(crypto::ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  // Overwrites two bytes already written at `at` (a length known only after the body is written).
  void patch_u16(size_t at, uint16_t v);
  void patch_u32(size_t at, uint32_t v);

 private:
  crypto::Bytes& out_;
};

}  // namespace ipsecd::ike
