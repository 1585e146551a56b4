// What a valid text field of an event is, checked once when an event is
// decoded. See docs/FORMAT.md, "Text fields".
//
// Cap'n Proto accessors of untrusted bytes can throw: a text without its NUL
// terminator, or a pointer of another type than the schema says, is only
// noticed when the field is read. CheckAuthoredContent reads every pointer
// field of an authored event once, inside one catch, so that after it
// returned OK no accessor of that event can throw. It also holds every text
// to one rule, so what a view shows is exactly what the author signed.
#pragma once

#include <capnp/blob.h>
#include <capnp/schema.h>
#include <kj/exception.h>

#include <string>
#include <string_view>

#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::ledger {

// Whether a text field may hold line breaks. Fields marked `$multiline` in
// the schema (descriptions, narratives, reasons, published texts) may; every
// other text is one line.
enum class TextLines { kSingle, kMulti };

// The id of the schema's `multiline` annotation.
inline constexpr uint64_t kMultilineAnnotationId = 0xe9b194f2758c24c5ull;

// True when `field` carries the `$multiline` annotation.
bool IsMultiline(capnp::StructSchema::Field field);

// OK when `text` (the bytes before the NUL terminator) is valid UTF-8
// (shortest form, no surrogates, at most U+10FFFF) and holds none of:
//  - C0 controls U+0000..U+001F, except U+000A (line feed) when `lines` is
//    kMulti (U+000D is refused everywhere: a line break is one LF);
//  - U+007F and the C1 controls U+0080..U+009F;
//  - U+2028 and U+2029 (line and paragraph separators);
//  - the bidirectional embedding, override and isolate controls
//    U+202A..U+202E and U+2066..U+2069 (they reorder how text is shown).
// InvalidArgument naming the first offending byte offset otherwise.
Status CheckTextValue(std::string_view text, TextLines lines);

// Checks `authored.jurisdiction` and every field of `authored.event`,
// recursively (nested structs and groups, lists, the active union member,
// a correction's replacement): every pointer has the type the schema gives
// it, every text is NUL-terminated and passes CheckTextValue with its field's
// TextLines. Corruption naming the field's path (for example
// "event.proposalSubmitted.details.title: contains a NUL character (U+0000)
// at byte 0") otherwise. Never
// throws; needs a reader of a message already checked canonical.
Status CheckAuthoredContent(schema::AuthoredEvent::Reader authored);

// The write side's check beyond decoding: OK when every union member and
// enumerant in `authored` (at any depth) is one this build's schema defines.
// InvalidArgument naming the field otherwise ("event.proposalSubmitted.
// details.fundingSource: 77 is not a value of FundingSource ..."): nobody can
// say who may author an unknown kind of event or what an unknown value
// means, so a writer must not append it. Readers do not apply it: a verifier
// reports an unknown kind as unauthorized (docs/FORMAT.md, "Evolution").
// Precondition: CheckAuthoredContent returned OK. Never throws.
Status CheckKnownToThisVersion(schema::AuthoredEvent::Reader authored);

// What CheckEventContent found wrong first.
enum class TextFault {
  kNone,
  kUnreadable,          // not NUL-terminated, or a pointer of the wrong type
  kInvalidUtf8,         // CheckTextValue: not valid UTF-8
  kForbiddenCharacter,  // CheckTextValue: a forbidden code point
};

// The same for one event (`path` prefixes the field paths in messages);
// sets `*fault` (when given) to what was wrong.
Status CheckEventContent(schema::Event::Reader event,
                         std::string_view path = "event",
                         TextFault* fault = nullptr);

// `text` with every byte that is not printable ASCII replaced by '?', cut
// at `max` bytes: for putting untrusted bytes into an error message.
std::string PrintableAscii(std::string_view text, size_t max = 200);
// A kj::Exception's description, made safe with PrintableAscii (KJ quotes
// the offending bytes of a message in it).
std::string DescribeException(const kj::Exception& e);

// A text's bytes, copied by its length: never cut at a NUL.
inline std::string TextString(capnp::Text::Reader text) {
  return std::string(text.begin(), text.size());
}
inline std::string_view TextView(capnp::Text::Reader text) {
  return std::string_view(text.begin(), text.size());
}

}  // namespace piaojue::ledger
