// Text fields (docs/FORMAT.md, "Text fields"):
//
//   text      = *char NUL            -- Cap'n Proto Text: the NUL is counted
//   char      = UTF-8 scalar value (shortest form), except the forbidden
//   forbidden = U+0000..U+001F (but U+000A in $multiline fields)
//             / U+007F..U+009F / U+2028 / U+2029
//             / U+202A..U+202E / U+2066..U+2069
//
// The walk goes through capnp's dynamic reflection over the compiled schema,
// so a field added to the schema is checked without a change here. A fast
// path (internal/quick_check.h) walks the raw message with a plan made from
// the same schema first; only when it is not sure does the reflective walk
// run, so every refusal and its message come from the reflective walk.
// Likewise for one text: a check of its bytes against the ranges the rule
// allows (internal/text_value.h) answers first, and only a text it refuses
// is decoded code point by code point for the message.
#include "ledger/text_validation.h"

#include <capnp/dynamic.h>
#include <kj/exception.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>

#include "ledger/internal/quick_check.h"
#include "ledger/internal/text_value.h"

namespace piaojue::ledger {

namespace {

std::string CodePoint(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

bool Forbidden(uint32_t cp, TextLines lines) {
  if (cp < 0x20) return !(cp == 0x0A && lines == TextLines::kMulti);
  if (cp >= 0x7F && cp <= 0x9F) return true;
  if (cp == 0x2028 || cp == 0x2029) return true;
  if (cp >= 0x202A && cp <= 0x202E) return true;
  if (cp >= 0x2066 && cp <= 0x2069) return true;
  return false;
}

std::string ForbiddenReason(uint32_t cp) {
  if (cp == 0x0A) {
    return "a line break (U+000A), but this field is a single line";
  }
  if (cp == 0x0D) {
    return "a carriage return (U+000D); line breaks are a single U+000A";
  }
  if (cp == 0x00) return "a NUL character (U+0000)";
  if (cp >= 0x202A) return "the bidirectional control " + CodePoint(cp);
  return "the control character " + CodePoint(cp);
}

// The fast check (internal::TextValueAllowed): the same rule as Forbidden and
// the decoding in CheckTextValueByCodePoint, stated on bytes. As sequences
// (RFC 3629's table, less what the rule forbids):
//
//   20..7E (and 0A in a multi-line field)
//   C2 A0..BF                 C2 80..9F is U+0080..U+009F, C1 controls
//   C3..DF 80..BF
//   E0 A0..BF 80..BF          E0 80..9F is an overlong form
//   E1..EC 80..BF 80..BF      but E2 80 A8..AE (U+2028..U+202E)
//                             and E2 81 A6..A9 (U+2066..U+2069)
//   ED 80..9F 80..BF          ED A0..BF is a surrogate
//   EE..EF 80..BF 80..BF
//   F0 90..BF 80..BF 80..BF   F0 80..8F is an overlong form
//   F1..F3 80..BF 80..BF 80..BF
//   F4 80..8F 80..BF 80..BF   F4 90..BF is above U+10FFFF

constexpr uint64_t EachByte(uint8_t b) { return 0x0101010101010101ull * b; }

template <bool kMulti>
bool AsciiAllowed(unsigned c) {
  return c - 0x20u < 0x5Fu || (kMulti && c == 0x0Au);
}

// Eight ASCII bytes (every high bit clear) at once. Every byte b is at most
// 7F, so b + 60 and b + 01 stay below 100: no carry reaches the next byte,
// and each byte's bit 7 answers for that byte alone.
template <bool kMulti>
bool AsciiWordAllowed(uint64_t w) {
  // Bit 7 of b + 60 is set when b >= 20; of b + 01 when b == 7F.
  uint64_t refused =
      (~(w + EachByte(0x60)) | (w + EachByte(0x01))) & EachByte(0x80);
  if constexpr (kMulti) {
    // Bit 7 of (b ^ 0A) + 7F is clear only where b is a line feed.
    refused &= (w ^ EachByte(0x0A)) + EachByte(0x7F);
  }
  return refused == 0;
}

bool IsContinuation(unsigned c) { return (c & 0xC0u) == 0x80u; }

// The three-byte sequences whose second byte has a narrower range (E0, ED)
// or that can be a forbidden code point (E2), by their lead's low nibble.
constexpr unsigned kNarrowThreeByteLeads =
    (1u << 0x0) | (1u << 0x2) | (1u << 0xD);

// A sequence E0/E2/ED c1 c2 whose c1 and c2 are continuation bytes.
bool NarrowThreeByteAllowed(unsigned c, unsigned c1, unsigned c2) {
  if (c == 0xE0) return c1 >= 0xA0;
  if (c == 0xED) return c1 <= 0x9F;
  if (c1 == 0x80) return c2 < 0xA8 || c2 > 0xAE;  // U+2028..U+202E
  if (c1 == 0x81) return c2 < 0xA6 || c2 > 0xA9;  // U+2066..U+2069
  return true;
}

template <bool kMulti>
bool BytesAllowed(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c < 0x80) {
      // A run of ASCII: eight bytes at a time, then byte by byte up to the
      // next non-ASCII byte.
      while (n - i >= 8) {
        uint64_t w;
        std::memcpy(&w, s + i, sizeof w);
        if ((w & EachByte(0x80)) != 0) break;
        if (!AsciiWordAllowed<kMulti>(w)) return false;
        i += 8;
      }
      while (i < n && (c = s[i]) < 0x80) {
        if (!AsciiAllowed<kMulti>(c)) return false;
        ++i;
      }
      continue;
    }
    if ((c & 0xF0u) == 0xE0u) {  // U+0800..U+FFFF: all of CJK
      if constexpr (std::endian::native == std::endian::little) {
        // A run of them two at a time: a lead 1110xxxx and two continuation
        // bytes 10xxxxxx, twice, and neither lead one of the narrow ones.
        while (n - i >= 8) {
          uint64_t w;
          std::memcpy(&w, s + i, sizeof w);
          if ((w & 0x0000C0C0F0C0C0F0u) != 0x00008080E08080E0u) break;
          if ((((kNarrowThreeByteLeads >> (w & 0x0Fu)) |
                (kNarrowThreeByteLeads >> ((w >> 24) & 0x0Fu))) &
               1u) != 0) {
            break;
          }
          i += 6;
        }
        // At least two bytes are left: one of them starts the next sequence.
        c = s[i];
        if ((c & 0xF0u) != 0xE0u) continue;
      }
      if (n - i < 3) return false;
      const unsigned c1 = s[i + 1];
      const unsigned c2 = s[i + 2];
      if (!IsContinuation(c1) || !IsContinuation(c2)) return false;
      if (((kNarrowThreeByteLeads >> (c & 0x0Fu)) & 1u) != 0 &&
          !NarrowThreeByteAllowed(c, c1, c2)) {
        return false;
      }
      i += 3;
    } else if (c >= 0xC2 && c <= 0xDF) {  // U+0080..U+07FF
      if (n - i < 2) return false;
      const unsigned c1 = s[i + 1];
      if (!IsContinuation(c1) || (c == 0xC2 && c1 < 0xA0)) return false;
      i += 2;
    } else if (c >= 0xF0 && c <= 0xF4) {  // U+10000..U+10FFFF
      if (n - i < 4) return false;
      const unsigned c1 = s[i + 1];
      if (!IsContinuation(c1) || !IsContinuation(s[i + 2]) ||
          !IsContinuation(s[i + 3])) {
        return false;
      }
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F)) return false;
      i += 4;
    } else {
      return false;  // a continuation byte, C0, C1 or F5..FF as a lead
    }
  }
  return true;
}

// Per-field TextLines for a text (or list of texts) field.
TextLines LinesOf(capnp::StructSchema::Field field) {
  return IsMultiline(field) ? TextLines::kMulti : TextLines::kSingle;
}

using Fault = TextFault;

// Reads every pointer of a struct once. Cap'n Proto accessors throw
// kj::Exception on what they cannot read; `path_` names the field being
// read when that happens.
class Walker {
 public:
  // With `known_only`, also refuses union members and enumerants the
  // compiled schema does not define (InvalidArgument).
  Walker(std::string path, bool known_only)
      : path_(std::move(path)), known_only_(known_only) {}

  Status Struct(capnp::DynamicStruct::Reader s, int depth) {
    if (depth > kMaxDepth) return Fail(Fault::kUnreadable, "nested too deep");
    for (auto field : s.getSchema().getNonUnionFields()) {
      RETURN_IF_ERROR(Field(s, field, depth));
    }
    KJ_IF_MAYBE (field, s.which()) {
      RETURN_IF_ERROR(Field(s, *field, depth));
    } else if (known_only_ && s.getSchema().getUnionFields().size() > 0) {
      std::string member = "a union member";
      if (s.getSchema() == capnp::Schema::from<schema::Event>()) {
        member = "event kind " + std::to_string(static_cast<unsigned>(
                                     s.as<schema::Event>().which()));
      }
      return Unknown(member +
                     " that this version of the format does not define");
    }
    return Status::Ok();
  }

  Status Text(capnp::Text::Reader text, TextLines lines) {
    Status s =
        CheckTextValue(std::string_view(text.begin(), text.size()), lines);
    if (s.ok()) return s;
    return Fail(s.message().rfind("not valid UTF-8", 0) == 0
                    ? Fault::kInvalidUtf8
                    : Fault::kForbiddenCharacter,
                s.message());
  }

  Status Unknown(const std::string& what) {
    return InvalidArgument(path_.empty() ? what : path_ + ": " + what);
  }

  Status Fail(Fault fault, const std::string& what) {
    fault_ = fault;
    return Corruption(path_.empty() ? what : path_ + ": " + what);
  }

  // What a Cap'n Proto accessor threw, in words.
  Status Thrown(const std::string& description) {
    if (reading_ == capnp::schema::Type::TEXT) {
      return Fail(Fault::kUnreadable,
                  "not a NUL-terminated text (" + description + ")");
    }
    return Fail(Fault::kUnreadable, "cannot be read (" + description + ")");
  }

  Fault fault() const { return fault_; }
  const std::string& path() const { return path_; }

 private:
  static constexpr int kMaxDepth = 64;

  Status Field(capnp::DynamicStruct::Reader s, capnp::StructSchema::Field field,
               int depth) {
    const capnp::Type type = field.getType();
    const bool group = field.getProto().which() == capnp::schema::Field::GROUP;
    if (!group && !type.isText() && !type.isData() && !type.isList() &&
        !type.isStruct() && !(known_only_ && type.isEnum())) {
      return Status::Ok();  // numbers, enums, void: nothing to read
    }
    // A null pointer reads as the default value: only present ones can fail.
    if (!group && !type.isEnum() && !s.has(field)) return Status::Ok();
    const size_t mark = path_.size();
    if (!path_.empty()) path_ += '.';
    path_ += field.getProto().getName().cStr();
    reading_ = type.which();
    RETURN_IF_ERROR(Value(s.get(field), type, LinesOf(field), depth));
    path_.resize(mark);
    return Status::Ok();
  }

  Status Value(const capnp::DynamicValue::Reader& v, capnp::Type type,
               TextLines lines, int depth) {
    switch (type.which()) {
      case capnp::schema::Type::TEXT:
        return Text(v.as<capnp::Text>(), lines);
      case capnp::schema::Type::DATA:
        (void)v.as<capnp::Data>();
        return Status::Ok();
      case capnp::schema::Type::STRUCT:
        return Struct(v.as<capnp::DynamicStruct>(), depth + 1);
      case capnp::schema::Type::ENUM: {
        if (!known_only_) return Status::Ok();
        auto value = v.as<capnp::DynamicEnum>();
        if (value.getEnumerant() != nullptr) return Status::Ok();
        return Unknown(std::to_string(value.getRaw()) + " is not a value of " +
                       value.getSchema().getShortDisplayName().cStr() +
                       " in this version of the format");
      }
      case capnp::schema::Type::LIST: {
        auto list = v.as<capnp::DynamicList>();
        const capnp::Type element = type.asList().getElementType();
        const size_t mark = path_.size();
        for (uint32_t i = 0; i < list.size(); ++i) {
          path_.resize(mark);
          path_ += '[' + std::to_string(i) + ']';
          reading_ = element.which();
          RETURN_IF_ERROR(Value(list[i], element, lines, depth + 1));
        }
        path_.resize(mark);
        return Status::Ok();
      }
      default:
        return Status::Ok();
    }
  }

  std::string path_;
  const bool known_only_;
  Fault fault_ = Fault::kNone;
  capnp::schema::Type::Which reading_ = capnp::schema::Type::STRUCT;
};

// Runs the walk inside the one catch of this module.
template <typename Root>
Status Walk(Root root, std::string path, TextFault* fault,
            bool known_only = false) {
  Walker walker(std::move(path), known_only);
  Status s;
  try {
    s = walker.Struct(capnp::DynamicStruct::Reader(root), 0);
  } catch (const kj::Exception& e) {
    s = walker.Thrown(DescribeException(e));
  } catch (const std::exception& e) {
    s = walker.Thrown(PrintableAscii(e.what()));
  }
  if (fault) *fault = walker.fault();
  return s;
}

}  // namespace

std::string PrintableAscii(std::string_view text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

std::string DescribeException(const kj::Exception& e) {
  // By length: KJ quotes the offending bytes, which may hold a NUL.
  kj::StringPtr description = e.getDescription();
  return PrintableAscii(
      std::string_view(description.begin(), description.size()));
}

bool IsMultiline(capnp::StructSchema::Field field) {
  for (auto annotation : field.getProto().getAnnotations()) {
    if (annotation.getId() == kMultilineAnnotationId) return true;
  }
  return false;
}

Status CheckTextValue(std::string_view text, TextLines lines) {
  if (internal::TextValueAllowed(text, lines)) return Status::Ok();
  return internal::CheckTextValueByCodePoint(text, lines);
}

bool internal::TextValueAllowed(std::string_view text, TextLines lines) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  return lines == TextLines::kMulti ? BytesAllowed<true>(s, text.size())
                                    : BytesAllowed<false>(s, text.size());
}

Status internal::CheckTextValueByCodePoint(std::string_view text,
                                           TextLines lines) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    size_t len = 1;
    uint32_t cp = c;
    if (c >= 0x80) {
      if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
      } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
      } else {
        len = 0;
      }
      bool ok = len != 0 && i + len <= n;
      for (size_t k = 1; ok && k < len; ++k) {
        if ((s[i + k] & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (s[i + k] & 0x3F);
      }
      // Overlong forms, surrogates and values beyond Unicode.
      if (ok && ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                 cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
        ok = false;
      }
      if (!ok) {
        return InvalidArgument("not valid UTF-8 at byte " + std::to_string(i));
      }
    }
    if (Forbidden(cp, lines)) {
      return InvalidArgument("contains " + ForbiddenReason(cp) + " at byte " +
                             std::to_string(i));
    }
    i += len;
  }
  return Status::Ok();
}

Status CheckEventContent(schema::Event::Reader event, std::string_view path,
                         TextFault* fault) {
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<schema::Event>());
  if (internal::QuickCheck(capnp::toAny(event), plan, {.texts = true})) {
    if (fault) *fault = TextFault::kNone;
    return Status::Ok();
  }
  return Walk(event, std::string(path), fault);
}

Status CheckAuthoredContent(schema::AuthoredEvent::Reader authored) {
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  if (internal::QuickCheck(capnp::toAny(authored), plan, {.texts = true})) {
    return Status::Ok();
  }
  return Walk(authored, "", nullptr);
}

Status CheckKnownToThisVersion(schema::AuthoredEvent::Reader authored) {
  // Every append asks this: the reflective walk alone was about 5% of an
  // append's CPU. It still words every refusal.
  static const internal::StructPlan& plan =
      internal::PlanFor(capnp::Schema::from<schema::AuthoredEvent>());
  if (internal::QuickCheck(capnp::toAny(authored), plan, {.known = true})) {
    return Status::Ok();
  }
  return Walk(authored, "", nullptr, /*known_only=*/true);
}

}  // namespace piaojue::ledger
