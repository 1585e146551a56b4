// Time travel and persistence for the projections: rebuild the State of any
// prefix of a Ledger, as of any instant, and keep snapshots for fast restart.
// Library piaojue_projections_store (links the RocksDB ledger).
//
// Every function streams entries with Ledger::ForEachEntry; none holds the
// log in memory. Each entry is checked against the rules (State::Check)
// before it is applied, so a replay also re-verifies the cycle's rules:
// FailedPrecondition / InvalidArgument name the first entry that breaks one.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

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
// recorded at or before that instant (Ledger::SizeAtTime), built as
// StateAtSize does (from the nearest projection snapshot), with
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

// Projection snapshots: the state of the first N entries kept in the ledger's
// store for every N that is a positive multiple of an interval K, so that
// the state at any past size costs at most K entries folded onto a
// snapshot (docs/FORMAT.md, "Projection snapshots"; docs/VIEWS.md, "Past
// states"). Each is written only by folding the log (SnapshotWriter,
// RecheckProjectionSnapshots), sealed in the store with the entry hash and
// tree root at N and the SHA-256 of its bytes, and used only when that seal
// checks against the log and its bytes parse as a state of exactly N
// entries ending in that entry (StateAtSize).
inline constexpr uint64_t kDefaultSnapshotEvery = 1024;

// How a past state was built.
struct PastStateInfo {
  uint64_t base = 0;  // the size of the state it started from (0: none)
  bool from_snapshot = false;  // that state was a stored snapshot
  uint64_t replayed = 0;       // entries folded onto it
  // Stored snapshots found unusable on the way, and why (one line each).
  std::vector<std::string> skipped;
};

// The state of entries [0, size): `base` when given (a state of a prefix of
// `ledger` no larger than `size`, e.g. a cached one; copied), else the
// nearest usable projection snapshot at or below `size`, else nothing;
// then entries [base, size) folded in, each checked against the rules.
// OutOfRange if size > ledger.size(); Corruption for an entry that does not
// parse. Thread-safe (reads only).
Result<State> StateAtSize(const ledger::Ledger& ledger, uint64_t size,
                          const State* base = nullptr,
                          PastStateInfo* info = nullptr);

// Writes projection snapshots as a ledger grows: one at each positive
// multiple of `every`. Not thread-safe: one thread drives it. Holds one
// State (the last snapshot written) between calls, so that the next
// snapshot costs `every` entries folded.
class SnapshotWriter {
 public:
  // `ledger` is not owned and must outlive the writer. every >= 1.
  SnapshotWriter(ledger::Ledger& ledger, uint64_t every);

  // Writes every snapshot missing at multiples of `every` up to `size`
  // (at most ledger.size()): on the first call, backfill of those an
  // existing log lacks (their presence is read from the seal keys; their
  // contents are checked when used, and by RecheckProjectionSnapshots);
  // afterwards, those the log grew past. Returns how many were written.
  // Unavailable (read-only, full disk) and other errors leave the writer
  // usable: the next call retries. When `cancel` becomes true the call
  // returns (Ok, with what it wrote) before the next snapshot.
  Result<uint64_t> CatchUpTo(uint64_t size,
                             const std::atomic<bool>* cancel = nullptr);

  uint64_t every() const { return every_; }

 private:
  ledger::Ledger& ledger_;
  const uint64_t every_;
  bool listed_ = false;
  std::set<uint64_t> present_;  // sizes stored (seal keys), as listed
  uint64_t done_ = 0;           // every multiple <= done_ is present
  std::optional<State> state_;  // a state on the way (the last written)
};

// Past states kept in memory: the state of the first N entries for every N
// that is a positive multiple of the spacing (`every`, doubled each time the
// memory budget makes them thinner), each a copy of one fold of the log
// taken as the fold passed N. Copies of a State share every record they have
// in common (projections/internal/persistent.h), so each kept state costs
// only what changed after it, not the whole state. Nothing is loaded from
// anywhere: a kept state is by construction the fold of exactly its N
// entries, each checked against the rules as it was folded (see
// docs/VIEWS.md, "Past states"). What `piaojue serve` keeps as its log grows
// and answers `as_of` from (at most spacing() - 1 entries folded).
//
// One thread drives it (CatchUpTo, Offer, Thin, fold); AtOrBefore, kept,
// covered and spacing may be called from any thread at any time.
class PastStates {
 public:
  // every >= 1. `over_budget`, if given, is asked after each state kept;
  // while it answers true (and a state is kept), the kept states are
  // thinned: the spacing doubles and those not at a multiple of it are
  // dropped (so every past size stays within one spacing of a kept state).
  explicit PastStates(uint64_t every,
                      std::function<bool()> over_budget = nullptr);

  // Folds the log on from where it stopped up to `size` (at most
  // ledger.size()), keeping a copy at each multiple of spacing(). Stops (Ok)
  // before the next interval once `cancel` is true. With `gave_up`, the
  // budget is also asked before every kBudgetCheckEntries entries folded:
  // while it is exceeded the kept states are thinned, and if that is not
  // enough (the fold itself does not fit) the fold stops there (Ok) and
  // *gave_up is set.
  Status CatchUpTo(const ledger::Ledger& ledger, uint64_t size,
                   const std::atomic<bool>* cancel = nullptr,
                   bool* gave_up = nullptr);
  static constexpr uint64_t kBudgetCheckEntries = 65536;

  // Goes on from `state` (the fold of the ledger's first state.size()
  // entries, at least covered()) without keeping the states between: those
  // already kept stay (each still the fold of its entries), the fold
  // continues from a copy of `state`. For a fold that gave up, or that
  // could not catch up with a busy log.
  void Skip(const State& state);

  // Goes on from `state`, the state of the ledger's first state.size()
  // entries (e.g. the one a server publishes; it must be the fold of those
  // entries, and at least covered()): the multiples of spacing() up to its
  // size are kept, each folded from the last state offered (so at most the
  // entries since then), then the fold continues from a copy of `state`
  // (a few pointers, sharing every record with it).
  Status Offer(const ledger::Ledger& ledger, const State& state);

  // Thins the kept states while `over_budget` answers true (as after a
  // state is kept): for a driver that sees the memory grow without a state
  // kept (the live state growing, caches filling). Driving thread only.
  void Thin();

  // A copy of the fold: the state of covered() entries.
  State fold() const { return fold_; }

  // The kept state of the largest size <= `size`; nullptr if none.
  std::shared_ptr<const State> AtOrBefore(uint64_t size) const;

  uint64_t every() const { return every_; }
  // The distance between kept states now (every() times a power of 2).
  uint64_t spacing() const { return spacing_.load(); }
  // How far the fold has gone (every kept multiple is at or below it).
  uint64_t covered() const { return covered_.load(); }
  size_t kept() const;

 private:
  // Keeps a copy of fold_ (at a multiple of the spacing), then thins while
  // over the budget.
  void KeepFold();

  const uint64_t every_;
  const std::function<bool()> over_budget_;
  State fold_;  // the driving thread's only
  std::atomic<uint64_t> spacing_;
  std::atomic<uint64_t> covered_{0};
  mutable std::mutex mu_;
  std::map<uint64_t, std::shared_ptr<const State>> kept_;  // guarded by mu_
};

struct RecheckInfo {
  uint64_t checked = 0;    // stored snapshots whose bytes equal the fold
  uint64_t rewritten = 0;  // missing or different, written from the fold
};

// Folds the whole log once from entry 0 and compares the state at every
// multiple of `every` and every stored snapshot's size with what is stored,
// byte for byte; a snapshot that is missing, damaged or different (even with
// a seal recomputed to match it) is written again from the fold. What
// `piaojue reindex` runs.
Result<RecheckInfo> RecheckProjectionSnapshots(ledger::Ledger& ledger,
                                               uint64_t every);

}  // namespace piaojue::projections
