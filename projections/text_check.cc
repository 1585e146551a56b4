// Rules event.text_utf8 and event.text_control: every text of an event is
// what docs/FORMAT.md, "Text fields", allows. The decoder already refuses
// anything else (ledger/text_validation.h); the rules hold the same line on
// their own, so a state fed by any path never shows a text that differs from
// what was signed, and views and snapshots (JSON) stay exact.
#include "ledger/text_validation.h"
#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

Status CheckEventText(schema::Event::Reader event) {
  ledger::TextFault fault = ledger::TextFault::kNone;
  Status s = ledger::CheckEventContent(event, "event", &fault);
  if (s.ok()) return s;
  return Malformed(fault == ledger::TextFault::kForbiddenCharacter
                       ? "event.text_control"
                       : "event.text_utf8",
                   s.message());
}

}  // namespace piaojue::projections::internal
