// The signed envelope: an authored event signed on its author's machine
// (`piaojue sign`), carried as a file to whoever submits it (`piaojue submit
// --signed`, POST /v1/entries). See docs/FORMAT.md, "Signed envelope".
//
//   {"format": "piaojue-signed-event/v1",
//    "authored": base64(canonical AuthoredEvent bytes),
//    "signature": base64(Ed25519 over "piaojue/authored-event/v2\n" ||
//                        authored),
//    "origin", "jurisdiction", "author" (hex), "signedAtMs", "kind",
//    "event"}              -- a readable rendering of what was signed
//
// Only `authored` and `signature` are signed; the other fields let a person
// read what the bytes say. A reader MUST check that they say exactly what the
// signed bytes say, so a file whose rendering was edited is refused rather
// than shown to someone as what they are approving.
#pragma once

#include <string>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/status.h"

namespace piaojue::ledger {

inline constexpr std::string_view kEnvelopeFormat = "piaojue-signed-event/v1";

// The envelope of `signed_event` as pretty-printed JSON (ends in a newline).
// InvalidArgument if the authored bytes are malformed.
Result<std::string> EnvelopeToJson(const SignedEvent& signed_event);

// True if `json` is a JSON object with "format": kEnvelopeFormat.
bool LooksLikeEnvelope(std::string_view json);

// Parses an envelope and checks it: InvalidArgument for JSON that is not an
// envelope (naming the field), Corruption for authored bytes that are not a
// canonical AuthoredEvent, Unauthenticated when the signature does not verify
// over them, InvalidArgument naming the first readable field that differs
// from the signed bytes. Does not check authorization or the rules: the log
// does that when the event is appended.
Result<SignedEvent> SignedEventFromEnvelope(std::string_view json);

}  // namespace piaojue::ledger
