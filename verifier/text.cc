#include "verifier/text.h"

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace piaojue::verifier {

namespace {

constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0.
size_t SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xbf;  // the allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;  // overlong
    if (b0 == 0xed) hi = 0x9f;  // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;  // overlong
    if (b0 == 0xf4) hi = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return n;
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t n = SequenceLength(text);
    if (n == 0) {
      out += kReplacement;
      text.remove_prefix(1);
    } else {
      out += text.substr(0, n);
      text.remove_prefix(n);
    }
  }
  return out;
}

std::string PrintableText(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  char buf[16];
  for (size_t i = 0; i < valid.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(valid[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (c == 0xc2 && i + 1 < valid.size() &&
               static_cast<uint8_t>(valid[i + 1]) < 0xa0) {
      // U+0080..U+009F (C1 controls, e.g. CSI).
      std::snprintf(buf, sizeof buf, "\\xc2\\x%02x",
                    static_cast<uint8_t>(valid[i + 1]));
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void AppendJsonString(std::string* out, std::string_view text) {
  const size_t start = out->size();
  out->reserve(start + text.size() + 2);
  *out += '"';
  char buf[8];
  for (size_t i = 0; i < text.size();) {
    const uint8_t c = static_cast<uint8_t>(text[i]);
    if (c >= 0x80) {
      const size_t n = SequenceLength(text.substr(i));
      if (n == 0) {
        // nlohmann's replacement of invalid sequences is what the report
        // has always written: let it write this (rare) text.
        out->resize(start);
        *out += DumpJson(nlohmann::json(text));
        return;
      }
      out->append(text.data() + i, n);
      i += n;
      continue;
    }
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\f':
        *out += "\\f";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        if (c < 0x20) {
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
    ++i;
  }
  *out += '"';
}

std::string IndentCompactJson(std::string_view compact, int depth, int indent) {
  std::string out;
  out.reserve(compact.size() + compact.size() / 2);
  auto new_line = [&] {
    out += '\n';
    out.append(static_cast<size_t>(depth * indent), ' ');
  };
  for (size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    switch (c) {
      case '"': {
        // A string, copied whole: an escaped quote or backslash inside
        // it is two bytes, and nothing inside is structure.
        const size_t start = i++;
        while (i < compact.size() && compact[i] != '"') {
          if (compact[i] == '\\') ++i;
          ++i;
        }
        out.append(compact.substr(start, i - start + 1));
        break;
      }
      case '{':
      case '[':
        if (i + 1 < compact.size() &&
            compact[i + 1] == (c == '{' ? '}' : ']')) {
          // An empty object or array stays on its line.
          out += c;
          out += compact[++i];
          break;
        }
        out += c;
        ++depth;
        new_line();
        break;
      case '}':
      case ']':
        --depth;
        new_line();
        out += c;
        break;
      case ',':
        out += ',';
        new_line();
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace piaojue::verifier
