// The ledger: an append-only, hash-chained, Merkle-tree-backed log of signed
// events stored in RocksDB. See docs/FORMAT.md for every byte it writes.
//
// A Ledger is safe for concurrent access from multiple threads without any
// external synchronization. Appends from many threads are grouped into one
// synced RocksDB write (group commit); their order is decided once, by one
// writer at a time. Append returns only after the entry is durable;
// AppendAsync reports the same result to a callback once it is.
//
// Reads (ReadEntry, proofs, checkpoints) see only durable entries and never
// wait for a write in progress.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/authority.h"
#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "ledger/status.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace piaojue::ledger {

// A hook for rules beyond authorization (the cycle's rules engine). The
// writer calls Validate for each candidate entry in log order, and Apply for
// each entry that is accepted, before the next is validated (so an entry may
// depend on an earlier one in the same group). Both run on the writer only.
// If the durable write of a group fails after Apply, the ledger enters a
// failed state and refuses all further appends; reopen to recover.
class EntryValidator {
 public:
  virtual ~EntryValidator() = default;
  // Non-OK refuses the entry with that status; nothing is appended for it.
  virtual Status Validate(const EntryView& entry) = 0;
  virtual void Apply(const EntryView& entry) = 0;
  // Every entry applied so far is durable and the log's head now holds
  // `size` entries. Called by the appending thread after each group's write
  // (under the ledger's writer lock: it must be quick and must not call the
  // ledger), before any later entry is validated or applied.
  virtual void Durable(uint64_t size) { (void)size; }
};

// One group of appends written by the writer (LedgerOptions::on_group).
struct GroupStats {
  size_t members = 0;   // appends taken into the group
  size_t appended = 0;  // of them accepted and written (0: nothing written)
  // Placing the group before its write: the checks (grants, nonce, rules),
  // the entries built and the tree's new nodes, on the writer's thread.
  int64_t place_us = 0;
  int64_t write_us = 0;  // the synced write of the group (0 if none)
  // Of write_us, as the store's own timers measure them (RocksDB's perf
  // context; 0 where the library is built without it): its log's write and
  // sync, and the insert into its in-memory table after them. What is left
  // of write_us is the store's queueing and bookkeeping.
  int64_t log_us = 0;
  int64_t memtable_us = 0;
  bool write_ok = true;  // false: the write failed, none was acknowledged
};

struct LedgerOptions {
  // Milliseconds since the Unix epoch; the log's clock for recordedAtMs.
  // recordedAtMs is max(clock(), previous recordedAtMs).
  std::function<int64_t()> clock;
  // Signs checkpoints. Without it SignCheckpoint() fails; reads still work.
  std::optional<note::SignerKey> checkpoint_key;
  // Not owned; may be null. Must outlive the Ledger.
  EntryValidator* validator = nullptr;
  // Sync every group to stable storage before acknowledging (always true in
  // production; tests of other layers may turn it off for speed).
  bool sync = true;
  // The most appends folded into one write.
  size_t max_group = 512;
  // Appends, checkpoints and snapshot seals are refused with Unavailable
  // (nothing written) while the file system holding the store has less
  // than this free, so the store itself never meets a full disk (its log
  // and memtable flushes need room); they are accepted again as soon as
  // there is. 0 turns the check off.
  uint64_t min_free_bytes = 64ull << 20;
  // The store's environment (files, threads, clock); null means RocksDB's
  // default. Not owned; must outlive the Ledger. Tests use it to inject
  // storage faults (tests/full_disk_fs.h).
  rocksdb::Env* env = nullptr;
  // Called after each group's write (or refusal) by the thread that wrote
  // it, before any member is told its result: for measurements (group
  // sizes, sync latency; piaojue-bench append). Must be quick, must not
  // call the ledger. Empty: not called.
  std::function<void(const GroupStats&)> on_group;
  // A writable Open checks the nonce index against the head on a thread of
  // its own (see Open). When that check is done, this is called once on
  // that thread with writable()'s answer (OK, or why every append is
  // refused); never for Create or a read-only open. Must be quick, must
  // not call the ledger. Empty: not called.
  std::function<void(const Status&)> on_side_indexes_checked;
  // Tests only: called on that thread before it reads the first nonce key
  // (a test holds it there to append or read meanwhile). The Ledger must
  // not be destroyed while it has not returned.
  std::function<void()> before_side_index_check;
};

struct AppendResult {
  uint64_t index;
  Hash leaf_hash;
  int64_t recorded_at_ms;
};

struct Head {
  uint64_t size = 0;
  Hash last_entry_hash{};  // all zero for an empty log
  Hash root{};
  int64_t last_recorded_at_ms = 0;
};

// What the writer recorded about the last projections snapshot it saved
// (docs/FORMAT.md, "RocksDB layout", m/snapshot): a snapshot file is trusted
// only if its bytes hash to `digest`. See projections/replay.h.
struct SnapshotSeal {
  uint64_t size = 0;  // the entries the snapshot holds
  Hash digest{};      // SHA-256 of the snapshot file's bytes
};

// A projections snapshot kept in the store (docs/FORMAT.md, "Projection
// snapshots"): the serialized state of the first `size` entries, as read
// back after its seal was checked against the log.
struct ProjectionSnapshot {
  uint64_t size = 0;
  std::string bytes;  // projections::State::Serialize() of entries [0, size)
};

class Ledger {
 public:
  // Creates a new ledger in the empty or missing directory `dir`, with
  // `genesis` (an event signed by the root key it names) as entry 0.
  // AlreadyExists if `dir` already holds a ledger.
  static Result<std::unique_ptr<Ledger>> Create(const std::string& dir,
                                                const SignedEvent& genesis,
                                                LedgerOptions options);

  // Opens an existing ledger without scanning its entries: reads the head,
  // checks it against the last entry and the stored tree (Corruption if they
  // disagree), and replays only the registry entries. Then checks the side
  // indexes against the head's digests of them: if they disagree, Open
  // still succeeds for reading but every append is refused (see
  // writable()). The registry markers are checked before Open returns; the
  // nonce keys (one per entry, only when not read_only) on a thread of the
  // ledger's own, started by Open: reads are served at once, while every
  // append waits — queued, not placed, not acknowledged — until that check
  // is done, and is then placed, or refused if the check failed. NotFound
  // if `dir` holds no ledger. With read_only, no write of any kind is
  // made.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                              LedgerOptions options,
                                              bool read_only = false);

  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Decodes, verifies the author's signature, checks authorization, nonce
  // uniqueness, the clock rule and the validator, then appends durably.
  // Corruption: malformed event bytes (docs/FORMAT.md, including "Text
  // fields"); InvalidArgument: an event kind or enum value this version does
  // not define; Unauthenticated: bad signature;
  // PermissionDenied: the author may not do this; AlreadyExists: nonce
  // reused; FailedPrecondition / InvalidArgument: refused by a rule;
  // Unavailable: the ledger is in a failed state or read-only, or the disk
  // is full (less than min_free_bytes free: nothing is written, and appends
  // are accepted again once space returns); IOError: the write failed (the
  // ledger then enters the failed state until reopened); Internal: a
  // validator threw while checking the event (only that event is refused;
  // one that throws while applying an accepted event puts the ledger in the
  // failed state instead, and the append gets Unavailable).
  Result<AppendResult> Append(const SignedEvent& signed_event);

  // Append without a thread blocked until the group's sync (the HTTP
  // server's path): decoding and the signature check run on the calling
  // thread (so many callers verify in parallel), then the event joins the
  // same queue as Append's and `done` is called exactly once with what
  // Append would have returned — by the thread that wrote the event's
  // group, after that group's synced write (so an OK result is durable
  // before `done` sees it), or by the calling thread before this returns
  // when the event is refused before it is queued. Groups whose first
  // member came through here are written by the ledger's own writer thread
  // (started on first use, stopped by the destructor after every queued
  // append is completed). `done` runs outside the ledger's locks but on
  // the writer's thread: it must be quick (hand work elsewhere), must not
  // throw, and must not call Append.
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  void AppendAsync(SignedEvent signed_event, AppendCallback done);

  // OK when Append may succeed. Otherwise why every append is refused:
  // Unavailable (read-only, or after a failed write), or Corruption when
  // Open found the side indexes (nonce keys, registry markers) disagreeing
  // with the head's digests of them — see docs/FORMAT.md, "RocksDB
  // layout". Reads work in every case. Waits for Open's check of the
  // nonce keys if it is still running.
  Status writable() const;

  // The durable head.
  Head head() const;
  uint64_t size() const { return head().size; }
  const std::string& origin() const;

  // Entry bytes at `index`. OutOfRange beyond the head.
  Result<std::string> ReadEntry(uint64_t index) const;
  // Streams entries [begin, end) in order to `fn` without holding them all;
  // stops early at the first non-OK status `fn` returns.
  Status ForEachEntry(
      uint64_t begin, uint64_t end,
      const std::function<Status(uint64_t, std::string_view)>& fn) const;

  // The stored complete Merkle node (level, index), as in tlog-tiles.
  Result<Hash> ReadNode(uint8_t level, uint64_t index) const;
  // Streams the complete nodes of `level` with indexes [begin, end) in order
  // to `fn` (one scan of the store, not a read per node); `end` is clamped to
  // the nodes complete at the head. Stops at the first non-OK status of fn.
  Status ForEachNode(
      uint8_t level, uint64_t begin, uint64_t end,
      const std::function<Status(uint64_t, const Hash&)>& fn) const;
  Result<Hash> RootAt(uint64_t size) const;
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size,
                                             uint64_t new_size) const;

  // Signs a checkpoint of the current head, stores it as the latest and
  // returns the signed note. Unavailable without a checkpoint key.
  Result<std::string> SignCheckpoint();
  // The latest stored signed checkpoint. NotFound if none was signed yet.
  Result<std::string> LatestCheckpoint() const;

  // Stores `note` durably (synced) as the latest cosigned checkpoint
  // ("c/cosigned"): a checkpoint of this log as the log signed it, followed
  // by the witnesses' cosignature lines gathered for it (docs/FORMAT.md,
  // "Cosigned checkpoints"). The caller verifies the cosignatures; this
  // checks that the note's text is a checkpoint of this log: its origin, and
  // its root equals the log's root at its size. InvalidArgument otherwise;
  // FailedPrecondition if a cosigned checkpoint of a larger tree is stored
  // (it is kept: the stored one never shrinks); Unavailable when read-only.
  Status StoreCosignedCheckpoint(std::string_view note);
  // The note StoreCosignedCheckpoint stored last. NotFound if none.
  Result<std::string> LatestCosignedCheckpoint() const;
  // The same for the latest checkpoint cosigned by *every* witness the
  // server was configured with when it was stored ("c/witnessed"): right
  // after a new checkpoint the latest cosigned one may carry only some of
  // them (or none), and export and prove then prefer this one. Same checks
  // and errors as StoreCosignedCheckpoint; never shrinks.
  Status StoreWitnessedCheckpoint(std::string_view note);
  Result<std::string> LatestWitnessedCheckpoint() const;

  // Records `seal` durably (synced), replacing any earlier seal. Call it
  // after the snapshot file it describes is durable. InvalidArgument if
  // seal.size is beyond the head; Unavailable when read-only.
  Status SealSnapshot(const SnapshotSeal& seal);
  // The stored seal. NotFound if no snapshot was ever sealed.
  Result<SnapshotSeal> snapshot_seal() const;

  // Stores `bytes` as the projections snapshot of the first `size` entries
  // (keys `s`/`p` || be64(size), replacing any stored for that size),
  // sealed: the seal holds the entry hash of entry size-1 and the Merkle
  // root at `size`, both read from the log here rather than taken from the
  // caller, and SHA-256(bytes). The caller must have folded exactly those
  // entries (projections/replay.h does). Written without the write-ahead log
  // or a sync: a snapshot lost in a crash is simply written again, and is
  // never needed for correctness. InvalidArgument for size 0 or beyond the
  // head; Unavailable when read-only or the disk is (nearly) full.
  Status PutProjectionSnapshot(uint64_t size, std::string_view bytes);
  // The stored projections snapshot with the greatest size <= `size` whose
  // seal checks against the log: the seal's size is its key's, its entry
  // hash and root equal the log's at that size, and the bytes hash to its
  // digest. A snapshot that fails is skipped (one line per skipped snapshot
  // is appended to *skipped when given) and the next lower one tried.
  // Only sizes >= min_size are considered. NotFound if none passes.
  // O(snapshots skipped) reads.
  Result<ProjectionSnapshot> ProjectionSnapshotAtOrBelow(
      uint64_t size, std::vector<std::string>* skipped = nullptr,
      uint64_t min_size = 0) const;
  // The sizes of the stored projection snapshot seals, ascending (unchecked:
  // reads only the small seal keys).
  Result<std::vector<uint64_t>> ProjectionSnapshotSizes() const;

  // The key registry as of the head (a copy, safe to keep).
  Authority authority() const;

  // The first entry index whose recordedAtMs is > at_ms (so entries
  // [0, result) were recorded at or before at_ms). O(log n) reads.
  Result<uint64_t> SizeAtTime(int64_t at_ms) const;

 private:
  class Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  // Stores a checkpoint of this log under `key`, never a smaller one.
  Status StoreCheckpointAt(std::string_view key, std::string_view note);
  std::unique_ptr<Impl> impl_;
};

}  // namespace piaojue::ledger
