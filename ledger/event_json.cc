#include "ledger/event_json.h"

#include <capnp/compat/json.h>
#include <kj/exception.h>

#include "ledger/text_validation.h"

namespace piaojue::ledger {

namespace {

capnp::JsonCodec& Codec() {
  // JsonCodec is safe to use concurrently once configured: encode/decode
  // are const.
  static capnp::JsonCodec* codec = [] {
    auto* c = new capnp::JsonCodec();
    c->handleByAnnotation<schema::Event>();
    c->setRejectUnknownFields(true);
    c->setMaxNestingDepth(32);
    return c;
  }();
  return *codec;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string EventToJson(schema::Event::Reader event) {
  kj::String s = Codec().encode(event);
  return std::string(s.cStr(), s.size());
}

Status EventFromJson(std::string_view json, schema::Event::Builder out) {
  try {
    Codec().decode(kj::ArrayPtr<const char>(json.data(), json.size()), out);
  } catch (const kj::Exception& e) {
    return InvalidArgument(std::string("event JSON: ") + DescribeException(e));
  }
  return Status::Ok();
}

std::string EntryToJson(const EntryView& entry) {
  auto hex = [](const auto& a) {
    return Quote(crypto::ToHex(crypto::AsBytes(a)));
  };
  auto a = entry.authored();
  std::string out = "{";
  out += "\"index\":" + std::to_string(entry.index());
  out += ",\"recordedAtMs\":" + std::to_string(entry.recorded_at_ms());
  out += ",\"prevHash\":" + hex(entry.prev_hash());
  out += ",\"entryHash\":" + hex(entry.EntryHash());
  out += ",\"leafHash\":" + hex(entry.LeafHash());
  out += ",\"author\":" + hex(entry.author_key());
  out += ",\"nonce\":" + Quote(crypto::ToHex(crypto::Bytes(
                             a.getNonce().begin(), a.getNonce().size())));
  out += ",\"signedAtMs\":" + std::to_string(a.getSignedAtMs());
  out += ",\"jurisdiction\":" + Quote(ledger::TextView(a.getJurisdiction()));
  out += ",\"origin\":" + Quote(ledger::TextView(a.getOrigin()));
  out += ",\"kind\":" + Quote(EventKindName(entry.event()));
  out += ",\"event\":" + EventToJson(entry.event());
  out += "}";
  return out;
}

}  // namespace piaojue::ledger
