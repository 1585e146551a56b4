// Authored-event decoding (ledger/entry.h, ledger/envelope.h): the bytes an
// author signs, as POST /v1/entries and `piaojue submit --signed` receive
// them. Decodes, renders (JSON, the signed envelope) and checks the
// signature of hostile bytes; a decoded event's JSON must read back to the
// same event, since that JSON is what people are shown as what was signed.
// Decoding answers alike with and without the one walk over the words
// (ledger/internal/canonical_walk.h), and the walk never says "canonical" of
// bytes isCanonical() or the decoder's checks refuse: a disagreement aborts.
#include <capnp/message.h>

#include <cstddef>
#include <cstdint>

#include "ledger/entry.h"
#include "ledger/envelope.h"
#include "ledger/event_json.h"
#include "ledger/text_validation.h"
#include "tests/decode_differential.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  const std::string_view bytes = fuzz::AsText(data, size);
  for (const std::string& disagreement :
       {testing::WalkDisagreement<schema::AuthoredEvent>(bytes),
        testing::ParseDisagreement<schema::AuthoredEvent>(bytes)}) {
    FUZZ_CHECK(disagreement.empty(), disagreement);
  }

  ledger::SignedEvent signed_event{std::string(bytes), {}};
  auto checked = ledger::CheckSignedEvent(signed_event);
  FUZZ_CHECK(!checked.ok(), "a zero signature never verifies");

  auto decoded = ledger::DecodedEvent::Parse(bytes, ledger::kMaxEntrySize);
  if (!decoded.ok()) return 0;
  // Any canonical bytes get an envelope or an error value.
  auto envelope = ledger::EnvelopeToJson(signed_event);
  // Past this check every reader of the event is safe (text_validation.h):
  // readers and writers alike show an event only once it holds.
  if (!ledger::CheckAuthoredContent(decoded->get()).ok()) {
    FUZZ_CHECK(!envelope.ok(), "an envelope of unreadable text");
    return 0;
  }
  // An event kind or enumerant this version does not define has no JSON
  // that names it (an unknown kind shows as {}): writers refuse it and
  // verifiers find it unauthorized (docs/FORMAT.md, "Evolution"), so the
  // round trip below is asserted only for events this version can read.
  const bool known = ledger::CheckKnownToThisVersion(decoded->get()).ok();
  auto event = decoded->get().getEvent();
  (void)ledger::EventKindName(event);
  const std::string json = ledger::EventToJson(event);
  if (envelope.ok()) {
    // Read back, it is refused (the signature is zeros), never accepted.
    auto back = ledger::SignedEventFromEnvelope(*envelope);
    FUZZ_CHECK(!back.ok(), "an envelope with a zero signature was accepted");
  }

  if (!known) return 0;
  capnp::MallocMessageBuilder message;
  auto rebuilt = message.initRoot<schema::Event>();
  // The JSON reads back to an event shown the same. Its bytes may differ
  // only where docs/FORMAT.md lets them ("Canonical Cap'n Proto", rule 2: an
  // empty value null or a pointer to the empty value); rule 3 rules out any
  // other difference, so what is shown determines the event.
  if (ledger::EventFromJson(json, rebuilt).ok()) {
    FUZZ_CHECK(ledger::EventToJson(rebuilt.asReader()) == json,
               "the event's JSON reads back to another event: " + json);
  }
  return 0;
}
