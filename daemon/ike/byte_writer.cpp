// Big-endian writer for the IKEv2 encoder.
#include "daemon/ike/byte_writer.h"

namespace ipsecd::ike {

void ByteWriter::u16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void ByteWriter::u32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
}

void ByteWriter::u64(uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
}

void ByteWriter::patch_u16(size_t at, uint16_t v) {
  out_[at] = static_cast<uint8_t>(v >> 8);
  out_[at + 1] = static_cast<uint8_t>(v);
}

void ByteWriter::patch_u32(size_t at, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) out_[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace ipsecd::ike
