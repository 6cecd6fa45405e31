// Bounded big-endian reader over untrusted bytes.
#include "daemon/ike/byte_reader.h"

#include <fmt/format.h>

#include <utility>

namespace ipsecd::ike {

ByteReader::ByteReader(ByteView data, size_t base, uint8_t payload_type)
    : data_(data), base_(base), payload_type_(payload_type) {}

bool ByteReader::need(size_t n) {
  if (n <= remaining()) return true;
  if (!error_) {
    error_ = DecodeError{DecodeErrorCode::truncated, offset(), payload_type_,
                         fmt::format("needs {} bytes but only {} remain", n, remaining())};
  }
  return false;
}

bool ByteReader::u8(uint8_t& out) {
  if (!need(1)) return false;
  out = data_[pos_++];
  return true;
}

bool ByteReader::u16(uint16_t& out) {
  if (!need(2)) return false;
  out = static_cast<uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
  pos_ += 2;
  return true;
}

bool ByteReader::u32(uint32_t& out) {
  if (!need(4)) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | data_[pos_ + i];
  out = v;
  pos_ += 4;
  return true;
}

bool ByteReader::u64(uint64_t& out) {
  if (!need(8)) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | data_[pos_ + i];
  out = v;
  pos_ += 8;
  return true;
}

bool ByteReader::skip(size_t n) {
  if (!need(n)) return false;
  pos_ += n;
  return true;
}

bool ByteReader::bytes(size_t n, Bytes& out) {
  if (!need(n)) return false;
  out.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
             data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
  pos_ += n;
  return true;
}

Bytes ByteReader::rest() {
  Bytes out(data_.begin() + static_cast<std::ptrdiff_t>(pos_), data_.end());
  pos_ = data_.size();
  return out;
}

bool ByteReader::sub(size_t n, ByteReader& out) {
  if (!need(n)) return false;
  out = ByteReader(data_.subspan(pos_, n), offset(), payload_type_);
  pos_ += n;
  return true;
}

Unexpected<DecodeError> ByteReader::error() const {
  if (error_) return unexpected(*error_);
  return fail(DecodeErrorCode::truncated, "read past the end");
}

Unexpected<DecodeError> ByteReader::fail(DecodeErrorCode code, std::string message) const {
  return fail_at(offset(), code, std::move(message));
}

Unexpected<DecodeError> ByteReader::fail_at(size_t at, DecodeErrorCode code, std::string message) const {
  return unexpected(DecodeError{code, at, payload_type_, std::move(message)});
}

}  // namespace ipsecd::ike
