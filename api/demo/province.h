// A province's year, for benchmarks and scale tests (`piaojue-bench
// generate`): the demo's story (demo.h, docs/DEMO.md) told at once by many
// counties. Library piaojue_demo.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/status.h"

namespace piaojue::demo {

struct ProvinceOptions {
  std::string data;  // the data directory; must not hold a ledger yet
  // Counties, each with two townships (so 3 x counties jurisdictions).
  int counties = 1;
  bool sync = false;  // the bytes are the same either way
  // Threads that sign the events (0: one per core).
  int signing_threads = 0;
  // About how many signed events are held in memory at once, over all
  // counties (at least one story event per county): the story is told in
  // windows of max(1, window_entries / counties) events per county, each
  // signed, appended and freed before the next window is told. Bounds the
  // generator's memory whatever the province's size; the bytes do not
  // depend on it.
  uint64_t window_entries = 50000;
};

// The number of entries a province of `counties` counties holds:
// 1 + counties x (the story's entries - 1) (one genesis for all).
uint64_t ProvinceSize(int counties);

// Writes the province's ledger into options.data: one genesis and root
// (the demo's), then county c (c = 0, 1, ...) registered as code 630001+c
// with its townships <code>101 and <code>102, each telling the demo's story
// (docs/DEMO.md). The counties take turns event by event, so every step of
// the cycle happens in all of them on the same story day, as in a real
// province; recordedAtMs is the story's clock. Every entry passes the
// ledger's checks and the cycle's rules on append. Writes DIR/keys/log.key
// and the root key to KeysDir(DIR)/root.key (the demo's keys, demo.h), saves
// the projections' snapshot and signs a checkpoint. Deterministic: the same
// counties give the same bytes, whatever options.window_entries. Holds at most
// one window of signed events (about 0.7 KB each) besides the ledger and the
// projections' state. AlreadyExists if options.data holds a ledger.
Status WriteProvince(const ProvinceOptions& options);

}  // namespace piaojue::demo
