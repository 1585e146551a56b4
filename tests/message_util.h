// Test-side tools for shaping canonical Cap'n Proto messages beyond what the
// schema's builders write: what a later schema, or a hostile author, could
// produce. Not product code.
#pragma once

#include <capnp/any.h>
#include <capnp/message.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace piaojue::testing {

// Canonical message `bytes` with its root struct widened by
// `extra_data_words` data words and `extra_pointers` pointers, the last of
// each set (0x2a in the last data word, a 1-byte Data in the last pointer):
// what a field of a later schema looks like to this version.
inline std::string WithRootWidened(const std::string& bytes,
                                   uint16_t extra_data_words,
                                   uint16_t extra_pointers) {
  std::vector<capnp::word> words(bytes.size() / sizeof(capnp::word));
  std::memcpy(words.data(), bytes.data(), bytes.size());
  kj::ArrayPtr<const capnp::word> segments[1] = {
      kj::arrayPtr(words.data(), words.size())};
  capnp::SegmentArrayMessageReader reader(kj::arrayPtr(segments, 1));
  auto root = reader.getRoot<capnp::AnyStruct>();
  const auto data = root.getDataSection();
  const auto pointers = root.getPointerSection();
  capnp::MallocMessageBuilder message;
  auto wide = message.getRoot<capnp::AnyPointer>().initAsAnyStruct(
      data.size() / 8 + extra_data_words, pointers.size() + extra_pointers);
  std::memcpy(wide.getDataSection().begin(), data.begin(), data.size());
  for (uint32_t i = 0; i < pointers.size(); ++i) {
    wide.getPointerSection()[i].set(pointers[i]);
  }
  if (extra_data_words > 0) {
    wide.getDataSection()[wide.getDataSection().size() - 8] = 0x2a;
  }
  if (extra_pointers > 0) {
    static const uint8_t kByte[1] = {0x2a};
    wide.getPointerSection()[wide.getPointerSection().size() - 1]
        .setAs<capnp::Data>(capnp::Data::Reader(kByte, 1));
  }
  kj::Array<capnp::word> canonical = wide.asReader().canonicalize();
  auto out = canonical.asBytes();
  return std::string(reinterpret_cast<const char*>(out.begin()), out.size());
}

// Word `i` of little-endian message `bytes`, and the same word set to `w`.
inline uint64_t GetWord(const std::string& bytes, size_t i) {
  uint64_t w = 0;
  for (int k = 7; k >= 0; --k) w = w << 8 | uint8_t(bytes[i * 8 + k]);
  return w;
}
inline void PutWord(std::string& bytes, size_t i, uint64_t w) {
  for (int k = 0; k < 8; ++k) bytes[i * 8 + k] = char((w >> (8 * k)) & 0xff);
}

}  // namespace piaojue::testing
