// Entry decoding (ledger/entry.h): EntryView::Parse on hostile bytes, then
// every accessor the verifier and the server use on an accepted entry.
// entry.h promises that once Parse has returned OK no accessor throws.
// Decoding answers alike with and without the one walk over the words
// (ledger/internal/canonical_walk.h), and the walk never says "canonical" of
// bytes isCanonical() or the decoder's checks refuse: a disagreement aborts.
#include <cstddef>
#include <cstdint>

#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "tests/decode_differential.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  const std::string_view bytes = fuzz::AsText(data, size);
  for (const std::string& disagreement :
       {testing::WalkDisagreement<schema::Entry>(bytes),
        testing::WalkDisagreement<schema::AuthoredEvent>(bytes),
        testing::ParseDisagreement<schema::Entry>(bytes)}) {
    FUZZ_CHECK(disagreement.empty(), disagreement);
  }
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
