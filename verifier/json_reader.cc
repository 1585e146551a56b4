#include "verifier/json_reader.h"

#include <cstring>

namespace piaojue::verifier {

int JsonReader::Peek() {
  if (pos_ == end_) {
    if (eof_) return -1;
    end_ = std::fread(buffer_, 1, sizeof buffer_, file_);
    pos_ = 0;
    if (end_ < sizeof buffer_) {
      eof_ = true;
      io_error_ = std::ferror(file_) != 0;
    }
    if (end_ == 0) return -1;
  }
  return static_cast<unsigned char>(buffer_[pos_]);
}

int JsonReader::Get() {
  int c = Peek();
  if (c >= 0) {
    ++pos_;
    ++offset_;
  }
  return c;
}

void JsonReader::SkipWhitespace() {
  while (true) {
    int c = Peek();
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    Get();
  }
}

Status JsonReader::Error(std::string_view message) const {
  if (io_error_) return IOError("cannot read the file");
  return InvalidArgument("byte " + std::to_string(offset_) + ": " +
                         std::string(message));
}

Status JsonReader::Expect(char c, std::string_view what) {
  SkipWhitespace();
  int got = Peek();
  if (got != c) {
    return Error(got < 0 ? std::string(what) + " expected, the file ends"
                         : std::string(what) + " expected");
  }
  Get();
  return Status::Ok();
}

Status JsonReader::BeginObject() {
  RETURN_IF_ERROR(Expect('{', "an object ('{')"));
  open_.push_back('f');
  return Status::Ok();
}

Status JsonReader::BeginArray() {
  RETURN_IF_ERROR(Expect('[', "an array ('[')"));
  open_.push_back('f');
  return Status::Ok();
}

Result<bool> JsonReader::NextMember(std::string* key) {
  if (open_.empty()) return Error("not in an object");
  SkipWhitespace();
  if (Peek() == '}') {
    Get();
    open_.pop_back();
    return false;
  }
  if (open_.back() == 'n') RETURN_IF_ERROR(Expect(',', "',' or '}'"));
  open_.back() = 'n';
  SkipWhitespace();
  if (Peek() != '"') return Error("a member name expected");
  ASSIGN_OR_RETURN(*key, ReadString(kMaxKeyLength, "a member name"));
  RETURN_IF_ERROR(Expect(':', "':'"));
  return true;
}

Result<bool> JsonReader::NextElement() {
  if (open_.empty()) return Error("not in an array");
  SkipWhitespace();
  if (Peek() == ']') {
    Get();
    open_.pop_back();
    return false;
  }
  if (open_.back() == 'n') RETURN_IF_ERROR(Expect(',', "',' or ']'"));
  open_.back() = 'n';
  return true;
}

Result<uint32_t> JsonReader::ReadHex4() {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    int c = Get();
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      v |= static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return Error("bad \\u escape");
    }
  }
  return v;
}

Result<std::string> JsonReader::ReadString(size_t max_length,
                                           std::string_view what) {
  SkipWhitespace();
  if (Peek() != '"') return Error(std::string(what) + ": a string expected");
  Get();
  std::string out;
  auto append_utf8 = [&out](uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  };
  while (true) {
    if (out.size() > max_length) {
      return Error(std::string(what) + " is longer than the limit of " +
                   std::to_string(max_length) + " bytes");
    }
    int c = Get();
    if (c < 0) return Error(std::string(what) + ": the file ends in a string");
    if (c == '"') break;
    if (c < 0x20) {
      return Error(std::string(what) + ": a control character in a string");
    }
    if (c != '\\') {
      // Raw bytes are kept as they are; whether they are UTF-8 is for the
      // caller (base64 and decimal fields are ASCII, and are checked).
      out.push_back(static_cast<char>(c));
      continue;
    }
    c = Get();
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(static_cast<char>(c));
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        ASSIGN_OR_RETURN(uint32_t cp, ReadHex4());
        if (cp >= 0xdc00 && cp <= 0xdfff) return Error("lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (Get() != '\\' || Get() != 'u') {
            return Error("high surrogate without its low surrogate");
          }
          ASSIGN_OR_RETURN(uint32_t low, ReadHex4());
          if (low < 0xdc00 || low > 0xdfff) {
            return Error("high surrogate without its low surrogate");
          }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        append_utf8(cp);
        break;
      }
      default:
        return Error(std::string(what) + ": bad escape in a string");
    }
  }
  if (out.size() > max_length) {
    return Error(std::string(what) + " is longer than the limit of " +
                 std::to_string(max_length) + " bytes");
  }
  return out;
}

Result<uint64_t> JsonReader::ReadUint64(std::string_view what) {
  SkipWhitespace();
  int c = Peek();
  if (c < '0' || c > '9') {
    return Error(std::string(what) + ": a non-negative integer expected");
  }
  uint64_t v = 0;
  int digits = 0;
  while ((c = Peek()) >= '0' && c <= '9') {
    Get();
    if (digits == 1 && v == 0) {
      return Error(std::string(what) + ": leading zero");
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return Error(std::string(what) + ": does not fit in 64 bits");
    }
    v = v * 10 + d;
    ++digits;
  }
  c = Peek();
  if (c == '.' || c == 'e' || c == 'E') {
    return Error(std::string(what) + ": an integer expected");
  }
  return v;
}

Status JsonReader::ExpectEnd() {
  SkipWhitespace();
  if (Peek() >= 0) return Error("bytes after the end of the JSON value");
  if (io_error_) return IOError("cannot read the file");
  return Status::Ok();
}

}  // namespace piaojue::verifier
