// Entry decoding (ledger/entry.h): EntryView::Parse on hostile bytes, then
// every accessor the verifier and the server use on an accepted entry.
// entry.h promises that once Parse has returned OK no accessor throws.
#include <cstddef>
#include <cstdint>

#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  auto entry = ledger::EntryView::Parse(fuzz::AsText(data, size));
  if (!entry.ok()) return 0;
  FUZZ_CHECK(entry->bytes() == fuzz::AsText(data, size),
             "an accepted entry is its own bytes");
  (void)entry->index();
  (void)entry->recorded_at_ms();
  (void)entry->prev_hash();
  (void)entry->author_key();
  (void)entry->EntryHash();
  (void)entry->LeafHash();
  entry->VerifySignature().PermitUncheckedError();
  (void)ledger::EventKindName(entry->event());
  (void)ledger::EntryToJson(*entry);
  return 0;
}
