// A pull reader of JSON (RFC 8259) from a file, for inputs too large to hold
// in memory: the proof bundle (docs/FORMAT.md, "Proof bundle"). It reads a
// fixed-size buffer at a time and never holds more than one value the
// caller asked for; every string is read against a length limit the caller
// gives, so a hostile file cannot make it allocate more than that.
//
// The caller walks the document it expects:
//
//   JsonReader r(file);
//   RETURN_IF_ERROR(r.BeginObject());
//   std::string key;
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, r.NextMember(&key));
//     if (!more) break;
//     ... read the value of `key` ...
//   }
//
// Errors are InvalidArgument naming the byte offset. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::verifier {

class JsonReader {
 public:
  // Longest object key read by NextMember.
  static constexpr size_t kMaxKeyLength = 64;

  // `file` must outlive the reader; the reader does not close it.
  explicit JsonReader(std::FILE* file) : file_(file) {}

  Status BeginObject();
  // Reads the next member's key into *key (after a ',' when not the first)
  // and the ':' after it; false at the closing '}'.
  Result<bool> NextMember(std::string* key);
  Status BeginArray();
  // True when another element follows (after a ',' when not the first);
  // false at the closing ']'.
  Result<bool> NextElement();

  // A string value of at most `max_length` bytes once unescaped (UTF-8);
  // longer ones are refused after reading at most max_length + 4 bytes of
  // it. `what` names the value in errors.
  Result<std::string> ReadString(size_t max_length, std::string_view what);
  // A non-negative integer that fits in 64 bits (no sign, fraction or
  // exponent).
  Result<uint64_t> ReadUint64(std::string_view what);
  // OK when only whitespace remains.
  Status ExpectEnd();

  // Bytes consumed so far.
  uint64_t offset() const { return offset_; }

 private:
  // The next byte without consuming it, -1 at the end of the file.
  int Peek();
  int Get();
  void SkipWhitespace();
  Status Error(std::string_view message) const;
  Status Expect(char c, std::string_view what);
  // Four hex digits of a \u escape.
  Result<uint32_t> ReadHex4();

  std::FILE* file_;
  char buffer_[1 << 16];
  size_t pos_ = 0, end_ = 0;
  uint64_t offset_ = 0;
  bool eof_ = false;
  bool io_error_ = false;
  // Whether the innermost open object or array has had an element.
  std::string open_;  // one char per open container: 'f' first, 'n' not
};

}  // namespace piaojue::verifier
