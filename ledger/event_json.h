// JSON forms of events and entries, for people and tools: the CLI's command
// files, `show`, the HTTP API and the verifier's --json report.
//
// The JSON form of an Event is Cap'n Proto's standard JSON mapping of the
// schema (field names as in the schema, enums by name, 64-bit integers as
// strings or numbers, Data as lowercase hex per the schema's $Json.hex
// annotations, Date as {"year":…, "month":…, "day":…}). See
// docs/COMMANDS.md.
#pragma once

#include <capnp/message.h>

#include <string>
#include <string_view>

#include "ledger/entry.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::ledger {

// Compact JSON of an event, e.g. {"cycleOpened":{"year":2025,…}}.
std::string EventToJson(schema::Event::Reader event);

// Parses the JSON form of an event into `out`. InvalidArgument (with the
// decoder's explanation) for malformed JSON, unknown fields or enum names,
// or values out of range. Never throws.
Status EventFromJson(std::string_view json, schema::Event::Builder out);

// A self-describing JSON object for one entry:
// {"index","recordedAtMs","prevHash","entryHash","leafHash","author",
//  "nonce","signedAtMs","jurisdiction","kind","event"}.
std::string EntryToJson(const EntryView& entry);

}  // namespace piaojue::ledger
