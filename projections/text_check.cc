// Rule event.text_utf8: every Text field of an event is valid UTF-8. The
// views and snapshots are JSON, which must be UTF-8; refusing bad text at the
// door keeps every later dump exact and exception-free.
#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/exception.h>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

bool ValidUtf8(kj::StringPtr text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.begin());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values beyond Unicode.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

bool WalkValue(const capnp::DynamicValue::Reader& v, int depth);

bool WalkStruct(capnp::DynamicStruct::Reader s, int depth) {
  if (depth > 32) return true;  // the decoder's nesting limit already holds
  auto visit = [&](capnp::StructSchema::Field field) {
    if (!s.has(field)) return true;
    return WalkValue(s.get(field), depth + 1);
  };
  for (auto field : s.getSchema().getNonUnionFields()) {
    if (!visit(field)) return false;
  }
  KJ_IF_MAYBE (field, s.which()) {
    if (!visit(*field)) return false;
  }
  return true;
}

bool WalkValue(const capnp::DynamicValue::Reader& v, int depth) {
  switch (v.getType()) {
    case capnp::DynamicValue::TEXT:
      return ValidUtf8(v.as<capnp::Text>());
    case capnp::DynamicValue::STRUCT:
      return WalkStruct(v.as<capnp::DynamicStruct>(), depth);
    case capnp::DynamicValue::LIST:
      for (auto element : v.as<capnp::DynamicList>()) {
        if (!WalkValue(element, depth + 1)) return false;
      }
      return true;
    default:
      return true;
  }
}

}  // namespace

Status CheckTextUtf8(schema::Event::Reader event) {
  bool ok = false;
  // The message was checked canonical when parsed, so reflection stays in
  // bounds; still, no kj::Exception may leave this module.
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&]() {
                 ok = WalkStruct(capnp::DynamicStruct::Reader(event), 0);
               })) {
    return Malformed("event.text_utf8",
                     std::string("the event could not be read: ") +
                         e->getDescription().cStr());
  }
  if (!ok) {
    return Malformed("event.text_utf8",
                     "a text field of the event is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace piaojue::projections::internal
