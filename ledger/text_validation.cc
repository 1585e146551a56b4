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
#include "ledger/text_validation.h"

#include <capnp/dynamic.h>
#include <kj/exception.h>

#include <cstdio>
#include <exception>

#include "ledger/internal/quick_check.h"

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
