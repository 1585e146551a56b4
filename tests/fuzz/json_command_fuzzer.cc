// JSON commands → events (api/cli/command_form.h, ledger/event_json.h,
// ledger/envelope.h): a clerk's command file as `piaojue submit` and the
// public intake read it, and a signed envelope as `piaojue submit --signed`
// and POST /v1/entries read it. A command that is accepted must make an
// event that fits an entry, decodes, and whose JSON reads back to it.
#include <capnp/message.h>

#include <cstddef>
#include <cstdint>

#include "api/cli/command_form.h"
#include "ledger/entry.h"
#include "ledger/envelope.h"
#include "ledger/event_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  static const crypto::KeyPair key = [] {
    std::array<uint8_t, crypto::kSeedSize> seed;
    seed.fill(7);
    return crypto::KeyPairFromSeed(seed);
  }();
  const std::string_view text = fuzz::AsText(data, size);

  (void)ledger::LooksLikeEnvelope(text);
  auto envelope = ledger::SignedEventFromEnvelope(text);
  // Inputs are not signed with any key the fuzzer could know, except by
  // replaying a seed's whole envelope; then the bytes must decode.
  if (envelope.ok()) {
    FUZZ_CHECK(ledger::CheckSignedEvent(*envelope).ok(),
               "an accepted envelope's event checks");
  }

  // Chinese messages go through other code (field names, enumerant labels).
  const cli::Lang lang = size % 2 ? cli::Lang::kChinese : cli::Lang::kEnglish;
  auto command = cli::ParseCommand(text, lang);
  if (!command.ok()) return 0;
  capnp::MallocMessageBuilder message;
  auto event = message.initRoot<schema::Event>();
  if (!ledger::EventFromJson(command->event_json, event).ok()) return 0;
  auto signed_event =
      ledger::SignEvent(key, "fuzz.example/log", command->jurisdiction,
                        1700000000000, event.asReader());
  if (!signed_event.ok()) return 0;  // too large for an entry
  auto decoded = ledger::CheckSignedEvent(*signed_event);
  FUZZ_CHECK(decoded.ok(),
             "a signed command checks: " + decoded.status().ToString());
  const std::string json = ledger::EventToJson(decoded->get().getEvent());
  capnp::MallocMessageBuilder again;
  auto rebuilt = again.initRoot<schema::Event>();
  Status back = ledger::EventFromJson(json, rebuilt);
  FUZZ_CHECK(back.ok(),
             "an event's own JSON reads back: " + back.ToString() + " " + json);
  FUZZ_CHECK(ledger::CanonicalBytes(rebuilt.asReader()) ==
                 ledger::CanonicalBytes(decoded->get().getEvent()),
             "the event's JSON reads back to another event: " + json);
  auto rendered = ledger::EnvelopeToJson(*signed_event);
  FUZZ_CHECK(rendered.ok(), "a signed event has an envelope");
  auto reread = ledger::SignedEventFromEnvelope(*rendered);
  FUZZ_CHECK(reread.ok(),
             "its envelope reads back: " + reread.status().ToString());
  return 0;
}
