// Time travel and persistence for the projections: rebuild the State of any
// prefix of a Ledger, as of any instant, and keep snapshots for fast restart.
// Library piaojue_projections_store (links the RocksDB ledger).
//
// Every function streams entries with Ledger::ForEachEntry; none holds the
// log in memory. Each entry is checked against the rules (State::Check)
// before it is applied, so a replay also re-verifies the cycle's rules:
// FailedPrecondition / InvalidArgument name the first entry that breaks one.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"
#include "ledger/status.h"
#include "projections/diff.h"
#include "projections/state.h"

namespace piaojue::projections {

// The state of entries [0, size). OutOfRange if size > ledger.size();
// Corruption for an entry that does not parse.
Result<State> ReplayTo(const ledger::Ledger& ledger, uint64_t size);

// Folds entries [state->size(), size) into `state`, which must be the state
// of the ledger's first state->size() entries.
Status CatchUp(const ledger::Ledger& ledger, uint64_t size, State* state);

// The state as it stood at `at_ms` (ms since the epoch): every entry
// recorded at or before that instant (Ledger::SizeAtTime), with
// as_of_ms() == at_ms so that its views are dated that instant's CST day.
Result<State> ReplayAsOf(const ledger::Ledger& ledger, int64_t at_ms);

// Writes State::Serialize() to `path` atomically (a temporary file in the
// same directory, fsync, rename over `path`, fsync of the directory), then
// seals it: records its size and the SHA-256 of its bytes in the ledger
// (Ledger::SealSnapshot), so that LoadOrRebuild trusts exactly these bytes.
// InvalidArgument if `state` is not the state of a prefix of `ledger`;
// IOError on failure (the previous snapshot, if any, is left intact);
// Unavailable if the ledger is read-only (a snapshot is then not written).
Status SaveSnapshot(ledger::Ledger& ledger, const State& state,
                    const std::string& path);

struct LoadInfo {
  bool from_snapshot = false;   // a snapshot was used
  uint64_t snapshot_size = 0;   // the entries it held
  std::string ignored_because;  // why a present snapshot was not used
};

// The state of the whole ledger: from the snapshot at `snapshot_path` when
// it is provably one this ledger's writer saved (its size is within the
// ledger, its last-entry hash equals the hash of the ledger's entry at that
// index, and the SHA-256 of its bytes and its size equal the ledger's
// snapshot seal), then the remaining entries folded in. A missing,
// unreadable, mismatching or unsealed snapshot is ignored (the reason goes
// to info->ignored_because) and the state is rebuilt from entry 0. Does not
// write a snapshot. See docs/VIEWS.md, "Snapshots and restart".
Result<State> LoadOrRebuild(const ledger::Ledger& ledger,
                            const std::string& snapshot_path,
                            LoadInfo* info = nullptr);

}  // namespace piaojue::projections
