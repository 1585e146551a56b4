// The projections snapshot reader (projections/state.h, State::Deserialize;
// docs/FORMAT.md "Snapshot bytes"): what `piaojue serve` reads at start and
// what a past state is built from. Hostile bytes must give a Corruption,
// never a crash; bytes that are accepted must be the one spelling of their
// state (they write back to themselves) and give a state the views and the
// recount can read.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "projections/state.h"
#include "projections/views.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  const std::string_view bytes = fuzz::AsText(data, size);
  auto state = projections::State::Deserialize(bytes);
  if (!state.ok()) {
    FUZZ_CHECK(
        state.status().code() == StatusCode::kCorruption,
        "a refused snapshot is Corruption: " + state.status().ToString());
    return 0;
  }
  FUZZ_CHECK(state->Serialize() == bytes,
             "an accepted snapshot writes back to its own bytes");
  // What the server does with a loaded state: every view, for every cycle
  // and the first records.
  for (const std::string& name : projections::ViewNames()) {
    (void)projections::View(*state, name, {});
    for (uint64_t cycle : state->CycleRefs()) {
      projections::ViewQuery q;
      q.cycle = cycle;
      (void)projections::View(*state, name, q);
    }
    for (uint64_t r = 1; r < std::min<uint64_t>(state->size(), 64); ++r) {
      projections::ViewQuery q;
      q.record = r;
      (void)projections::View(*state, name, q);
      (void)state->Recount(r);
    }
  }
  return 0;
}
