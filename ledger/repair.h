// Repairing a store whose side indexes disagree with its head
// (Ledger::writable() is Corruption). See docs/VERIFY.md, section 10.
#pragma once

#include <string>

#include "ledger/status.h"

namespace piaojue::ledger {

// Rebuilds the side indexes of the ledger in `dir` — the nonce keys, the
// registry markers and the head's digests of them — from the entries.
// Before anything is written, every entry is re-checked for what those
// indexes protect, as the writer checked it when appending: the hash chain
// and the Merkle root against the head, the author's signature, the clock
// rule, authorization against the registry replayed from the entries, and
// nonce uniqueness. FailedPrecondition names the first entry that fails (the
// log itself is then invalid: restore it from a backup); nothing is written
// unless every entry passes. Then one synced write replaces all "u" and "g"
// keys and the head. It does not check the cycle's rules: the projections
// replay does, when a writer opens without a sealed snapshot.
//
// The ledger must not be open in any process (RocksDB's lock reports it).
// Holds every nonce key in memory (about 80 bytes per entry).
Status RebuildSideIndexes(const std::string& dir);

}  // namespace piaojue::ledger
