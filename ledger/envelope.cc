#include "ledger/envelope.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ledger/event_json.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger {

namespace {

using nlohmann::json;

// The readable fields, as EnvelopeToJson writes them for `authored`.
json Rendering(schema::AuthoredEvent::Reader a) {
  auto key = a.getAuthorKey();
  return json{{"origin", TextString(a.getOrigin())},
              {"jurisdiction", TextString(a.getJurisdiction())},
              {"author", crypto::ToHex(crypto::Bytes(key.begin(), key.size()))},
              {"signedAtMs", a.getSignedAtMs()},
              {"kind", EventKindName(a.getEvent())},
              {"event", json::parse(EventToJson(a.getEvent()))}};
}

Result<std::string> Base64Field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) {
    return InvalidArgument(std::string("signed envelope: \"") + name +
                           "\" (a base64 string) is missing");
  }
  auto bytes = crypto::Base64Decode(it->get<std::string>());
  if (!bytes.ok()) {
    return InvalidArgument(std::string("signed envelope: \"") + name +
                           "\" is not standard padded base64");
  }
  return std::move(bytes).value();
}

}  // namespace

Result<std::string> EnvelopeToJson(const SignedEvent& signed_event) {
  auto decoded = DecodedEvent::Parse(signed_event.authored, kMaxEntrySize);
  if (!decoded.ok()) {
    return InvalidArgument("authored event: " + decoded.status().message());
  }
  // Rendering reads every text: only once they are known readable and
  // valid (text_validation.h) is that safe and its JSON well-formed.
  if (Status content = CheckAuthoredContent(decoded->get()); !content.ok()) {
    return InvalidArgument("authored event: " + content.message());
  }
  json j{{"format", kEnvelopeFormat}};
  j.update(Rendering(decoded->get()));
  j["authored"] = crypto::Base64Encode(crypto::AsBytes(signed_event.authored));
  j["signature"] =
      crypto::Base64Encode(crypto::AsBytes(signed_event.signature));
  return j.dump(2) + "\n";
}

bool LooksLikeEnvelope(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("format") &&
         j["format"] == std::string(kEnvelopeFormat);
}

Result<SignedEvent> SignedEventFromEnvelope(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("signed envelope: not a JSON object");
  }
  auto format = j.find("format");
  if (format == j.end() || *format != std::string(kEnvelopeFormat)) {
    return InvalidArgument(
        std::string("signed envelope: \"format\" must be \"") +
        std::string(kEnvelopeFormat) + "\" (a file written by `piaojue sign`)");
  }
  static const char* kKnown[] = {"format",     "authored",     "signature",
                                 "origin",     "jurisdiction", "author",
                                 "signedAtMs", "kind",         "event"};
  for (const auto& [key, value] : j.items()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key) ==
        std::end(kKnown)) {
      return InvalidArgument("signed envelope: unknown field \"" + key + "\"");
    }
  }
  SignedEvent event;
  ASSIGN_OR_RETURN(event.authored, Base64Field(j, "authored"));
  ASSIGN_OR_RETURN(std::string signature, Base64Field(j, "signature"));
  if (signature.size() != crypto::kSignatureSize) {
    return InvalidArgument(
        "signed envelope: \"signature\" must be 64 bytes, not " +
        std::to_string(signature.size()));
  }
  std::copy(signature.begin(), signature.end(), event.signature.begin());
  auto checked = CheckSignedEvent(event);
  if (!checked.ok()) {
    if (checked.status().code() == StatusCode::kUnauthenticated) {
      return Unauthenticated(
          "signed envelope: the signature does not verify over the signed "
          "bytes: the envelope was changed after it was signed (sign the "
          "command again)");
    }
    return Status(checked.status().code(),
                  "signed envelope: " + checked.status().message());
  }
  // Whatever the envelope shows must be what was signed: a person may have
  // read the rendering, not the base64.
  const json signed_view = Rendering(checked->get());
  for (const auto& [key, value] : signed_view.items()) {
    auto shown = j.find(key);
    if (shown != j.end() && *shown != value) {
      return InvalidArgument("signed envelope: \"" + key +
                             "\" does not say what was signed: it was edited "
                             "after signing (sign the command again)");
    }
  }
  return event;
}

}  // namespace piaojue::ledger
