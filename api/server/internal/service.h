// The server's core, without any HTTP: the one owner of the data directory's
// ledger, the read side that never waits for a write, the checkpointer, the
// public intake's keys and rate limit, and the live-update subscribers.
//
// Writes go through Append: Ledger::Append with the cycle's rules installed
// (the same path as the CLI), then the read side is caught up before Append
// returns, so a client that got an index back reads its own write.
//
// Reads take an immutable snapshot of the projections (a shared_ptr to a
// const State) under a short mutex and never wait for a write: each time a
// group of appends is durable, the rules' validator keeps a copy of its
// state (projections::RulesValidator::KeepDurableStates), and publishing is
// swapping the pointer to it. States share every record they have in common
// (copy-on-write, projections/internal/persistent.h): the copy costs a few
// pointers, the writer's next entries copy only the records they change,
// and the server holds the state about once however many readers hold
// older ones.
//
// Thread-safety: every public member is safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "api/cli/session.h"
#include "api/server/internal/node_cache.h"
#include "api/server/internal/rate_limiter.h"
#include "api/server/internal/view_cache.h"
#include "ledger/ledger.h"
#include "projections/dates.h"
#include "projections/replay.h"
#include "projections/state.h"
#include "witness/client.h"

namespace piaojue::server {

struct ServiceOptions {
  std::string data_dir;
  // A new checkpoint is signed at most this long after an append.
  std::chrono::milliseconds checkpoint_delay{200};
  // Public intake: requests per client address (token bucket).
  double intake_burst = 5;
  double intake_per_minute = 2;
  // Public intake: requests of all addresses together (token bucket).
  double intake_global_burst = 60;
  double intake_global_per_minute = 30;
  // Past states rebuilt for readers (as_of, diff) are cached, the least
  // recently used making room, up to about this many bytes: each is charged
  // kAsOfBytesPerEntry for every entry between it and the state kept in
  // memory (or the empty state) its fold started from, what it holds that
  // nothing else does (docs/VIEWS.md, "Memory"). 0: none cached.
  uint64_t as_of_cache_bytes = uint64_t{32} << 20;
  // A view of "now" shows a state published at most this long before the
  // request (view_cache.h; docs/API.md "Views").
  std::chrono::milliseconds view_max_age{5000};
  // A projection snapshot is kept in the store every this many entries
  // (projections/replay.h), written in the background as the log grows and
  // backfilled at start; a past state then costs at most this many entries
  // folded. 0: none written (those stored are still used).
  // Off by default: a snapshot is the whole state in JSON, so K-spaced
  // snapshots take store space growing with the square of the log, and
  // loading one costs about as much as replaying from entry 0
  // (docs/PERFORMANCE.md, "as_of"). An operator may turn them on.
  uint64_t snapshot_every = 0;
  // Past states kept in memory (projections::PastStates): the state at
  // every multiple of this many entries, so that an as_of not cached folds
  // fewer than this many entries onto the nearest one (0: none kept). The
  // server loads its state at start as without them (DIR/state.snapshot,
  // or a rebuild), then folds the log from entry 0 in the background,
  // keeping them on the way, and has its own state (the writer's and the
  // readers') adopt that fold, so that they share their records with it;
  // afterwards it keeps them from the states it publishes. Each costs
  // about what the entries after it changed (docs/PERFORMANCE.md).
  uint64_t past_states_every = projections::kDefaultSnapshotEvery;
  // The memory of the whole server, that past states kept and past states
  // being rebuilt for readers must fit in. Replays: Service::ReserveReplay.
  // Kept states: after a state is kept, and every second, while the
  // process's heap in use (malloc's count: the
  // live state, the tree, the caches, the kept states, RocksDB's buffers)
  // plus the room the bounded caches and the tree may still take (the view
  // cache and the as_of cache up to their bounds, the tree up to 64 bytes
  // per entry) is above this many MiB, the kept states are thinned (every
  // second one dropped, the spacing doubled). So the caches filling up
  // never pushes the server past it, and every past state stays within one
  // spacing of a kept one (docs/VIEWS.md, "Memory").
  uint64_t past_states_budget_mib = 880;
  // For tests: the heap in use, instead of malloc's count.
  std::function<uint64_t()> heap_in_use;
  // C2SP witnesses each new checkpoint is sent to (docs/WITNESS.md); their
  // verified cosignatures are published with it and stored (c/cosigned).
  std::vector<witness::Endpoint> witnesses;
  // On shutdown, how long to wait for the witnesses to cosign the last
  // checkpoint.
  std::chrono::milliseconds witness_grace{3000};
  // Opens the store read-only, beside a running server if there is one
  // (`piaojue publish`): serves the stored checkpoint (with its stored
  // cosignatures), signs nothing, saves no snapshot, refuses every append,
  // and contacts no witness.
  bool read_only = false;
  // Tests and measurements: storage faults, the writer's group sizes.
  cli::StoreHooks store_hooks;
};

// A point in the log's history, resolved from an `as_of` parameter.
struct Moment {
  std::shared_ptr<const projections::State> state;
  // The calendar day milestone status is judged on: the day of the instant
  // asked for, or (for an entry count) unset, meaning the day of the last
  // entry folded.
  std::optional<projections::Date> date;
};

class Service {
 public:
  // At most this many bytes of view responses are kept (view_cache()).
  static constexpr size_t kViewCacheBytes = size_t{64} << 20;
  // What a cached past state is charged per entry folded beyond the state
  // it started from: what a kept state cost per entry at 1,000,000 entries
  // (1.10 MB for 1,024; docs/PERFORMANCE.md), rounded up.
  static constexpr uint64_t kAsOfBytesPerEntry = 1200;
  // The tree in memory (node_cache.h): two 32-byte nodes per entry.
  static constexpr uint64_t kTreeBytesPerEntry = 64;
  // What a replay holds besides the records it copies, whatever its length:
  // the entries read ahead by the fold (projections::CatchUp: up to 5
  // batches of 512) and the view rendered from the state.
  static constexpr uint64_t kReplayFixedBytes = uint64_t{16} << 20;
  // Opens DIR (NotFound without a ledger, Unavailable when another process
  // holds it) and publishes the first read snapshot. On a disk too full for
  // the store to open for writing, opens it read-only: reads are served and
  // every append is refused (Unavailable) until a restart.
  static Result<std::unique_ptr<Service>> Open(ServiceOptions options);
  // Stops the checkpointer, signs a last checkpoint and saves the snapshot.
  ~Service();

  // The durable ledger; only its thread-safe read members are used by
  // readers.
  const ledger::Ledger& ledger() const { return session_->ledger(); }
  const std::string& origin() const { return session_->ledger().origin(); }
  // The checkpoint verifier key recorded in the genesis entry ("" if none).
  const std::string& verifier_key() const { return verifier_key_; }

  // The latest published state: entries [0, state->size()).
  std::shared_ptr<const projections::State> Snapshot() const;
  // While it lives, on the constructing thread, "now" (StateAt("")) is
  // `state` rather than the state published when asked: a view computed for
  // the view cache is then exactly the view of the state whose size it
  // records, however many appends are published meanwhile.
  class PinNow {
   public:
    explicit PinNow(std::shared_ptr<const projections::State> state);
    ~PinNow();
    PinNow(const PinNow&) = delete;
    PinNow& operator=(const PinNow&) = delete;

   private:
    std::shared_ptr<const projections::State> previous_;
  };
  uint64_t published_size() const { return published_size_.load(); }
  const std::string& data_dir() const { return options_.data_dir; }

  // Resolves `as_of` ("" = now; N = the first N entries; an RFC 3339 time or
  // a date "YYYY-MM-DD" = the end of that day in China time). InvalidArgument
  // for anything else; OutOfRange for a count beyond the published log.
  // A past state not cached is built from the nearest projection snapshot
  // (a replay of at most snapshot_every entries once they are written).
  Result<Moment> StateAt(std::string_view as_of);
  // Whether StateAt(as_of) would build a state (a replay) rather than
  // return the published or a cached one. False for what StateAt refuses
  // (answered at once). Cheap: at most a binary search of the log's times.
  bool NeedsReplay(std::string_view as_of);

  // What past states cost so far (for tests and the benchmark).
  struct ReplayCounters {
    uint64_t replays = 0;            // states built
    uint64_t entries = 0;            // entries folded for them
    uint64_t max_entries = 0;        // the most folded for one
    uint64_t from_snapshot = 0;      // started from a stored snapshot
    uint64_t snapshots_written = 0;  // by the background writer
    uint64_t from_past_state = 0;    // started from a state kept in memory
    // Refused (Unavailable) because the replay did not fit the budget.
    uint64_t refused_for_memory = 0;
  };
  ReplayCounters replay_counters() const;
  // Blocks until the background writer has written every snapshot up to
  // the published size (tests, the benchmark). False after `timeout`.
  bool WaitForSnapshots(std::chrono::milliseconds timeout);
  // Blocks until the past states are kept up to the published size (tests,
  // the benchmark). False after `timeout`.
  bool WaitForPastStates(std::chrono::milliseconds timeout);
  // The past states kept in memory; nullptr when none are kept.
  const projections::PastStates* past_states() const { return past_.get(); }
  // The as_of cache now: states held and the bytes charged for them.
  struct AsOfCacheUse {
    size_t states = 0;
    uint64_t bytes = 0;
  };
  AsOfCacheUse as_of_cache_use() const;
  // What the thinning of the past states compares with their budget: the
  // heap in use plus the room the caches and the tree may still take.
  uint64_t MemoryCommitted() const;

  // The memory a replay may take while it runs, held against the budget
  // (past_states_budget_mib) until it is released (when the replay's
  // answer is built). Movable, not copyable.
  class ReplayReservation {
   public:
    ReplayReservation(Service* service, uint64_t bytes)
        : service_(service), bytes_(bytes) {}
    ReplayReservation(ReplayReservation&& o) noexcept
        : service_(std::exchange(o.service_, nullptr)), bytes_(o.bytes_) {}
    ReplayReservation& operator=(ReplayReservation&&) = delete;
    ReplayReservation(const ReplayReservation&) = delete;
    ~ReplayReservation();

   private:
    Service* service_;
    uint64_t bytes_;
  };
  // Reserves `bytes` for a replay about to run: granted when they fit in
  // the as_of cache's room (already counted as committed) beside the
  // replays running, or when what exceeds that room fits the budget beside
  // MemoryCommitted(); nullopt otherwise (the replay must not run).
  std::optional<ReplayReservation> ReserveReplay(uint64_t bytes);
  // The bytes reserved by replays running now.
  uint64_t replay_bytes_reserved() const;
  // Replays running now (each holding a reservation).
  uint64_t replays_running() const;

  // Appends a signed event exactly as the CLI does and returns once it is
  // durable and visible to readers. Unavailable while shutting down.
  Result<ledger::AppendResult> Append(const ledger::SignedEvent& event);

  // The same without a thread waiting for the sync (the HTTP write path):
  // the signature is checked on the calling thread, then `done` is called
  // exactly once with Append's result — by the ledger's writer thread once
  // the event's group is durable and published to readers (so a client
  // told its index reads its own write), or by the calling thread before
  // this returns when the event is refused before the ledger's queue.
  // `done` must be quick and must not throw (ledger::Ledger::AppendAsync).
  using AppendDone = std::function<void(Result<ledger::AppendResult>)>;
  void AppendAsync(ledger::SignedEvent event, AppendDone done);

  // The public intake's key for `jurisdiction`: DIR/keys/publicIntake@<code>
  // .key. Unavailable when there is none (the operator has not set one up).
  Result<crypto::KeyPair> IntakeKey(const std::string& jurisdiction);
  // The intake's rate limits (per address, then all addresses together);
  // *by_global says which refused.
  bool AllowIntake(const std::string& address, int64_t* retry_after_ms,
                   bool* by_global);

  // The latest signed checkpoint, followed by every witness cosignature
  // gathered for it so far. NotFound before the first one.
  Result<std::string> Checkpoint() const;
  // The checkpoint a proof bundle of a record is made against: the newest
  // checkpoint cosigned by every --witness when the served one (Checkpoint())
  // lacks some of their cosignatures — right after each new checkpoint,
  // until the slowest witness answers — provided it covers `min_size`
  // entries and is not older than `not_before` (a checkpoint the reader
  // already holds); otherwise Checkpoint(). docs/WITNESS.md.
  Result<std::string> ProofCheckpoint(uint64_t min_size,
                                      uint64_t not_before) const;
  // The witnesses' states (empty without --witness).
  std::vector<witness::WitnessState> witness_states() const;
  // The witnesses given with --witness (the portal names their keys).
  const std::vector<witness::Endpoint>& witnesses() const {
    return options_.witnesses;
  }

  // Calls `fn` (from the appending thread; it must not block) after each
  // publication. Returns a token for Unsubscribe.
  uint64_t Subscribe(std::function<void()> fn);
  void Unsubscribe(uint64_t token);
  // Calls every subscriber (e.g. so event streams notice a shutdown).
  void WakeSubscribers();

  // After this, Append and AppendAsync refuse with Unavailable; appends
  // already running finish.
  void BeginShutdown() { shutting_down_.store(true); }
  // After BeginShutdown: blocks until every append accepted before it has
  // been answered (its `done` called), durable or failed.
  void WaitForAppends();
  bool shutting_down() const { return shutting_down_.load(); }

  // What the portal's corrections list found so far (handlers_portal_api.cc):
  // the log only grows, so each request scans only newer entries. Rows are
  // (entry index, JSON text), in log order.
  struct CorrectionsCache {
    std::mutex mu;
    uint64_t scanned = 0;
    std::vector<std::pair<uint64_t, std::string>> rows;
    // A corrected entry -> its event as the latest correction scanned left
    // it (JSON text), so a row's `before` is what that correction changed.
    std::map<uint64_t, std::string> current;
  };
  CorrectionsCache& corrections_cache() { return corrections_cache_; }
  // The JSON views of the state now published, computed once per state
  // (router.cc decides which requests use it; docs/API.md "Caching").
  ViewCache& view_cache() { return view_cache_; }
  // The upper Merkle nodes of this ledger, kept once read (proofs).
  NodeCache& node_cache() { return node_cache_; }
  // One line for the operator: the time since Open began, and what the
  // start spent it on (the store's open, the state from the snapshot or
  // rebuilt, the rest). Server::Start prints it once it listens.
  std::string StartupSummary() const;

 private:
  explicit Service(ServiceOptions options);
  void Publish(uint64_t at_least);
  // Publishes the published state with the entries since folded in (when
  // the rules' durable state is not at hand). publish_mu_ held.
  Status CatchUpCopy();
  void CheckpointLoop();
  Status SignCheckpointIfBehind();
  // From the witness collector: `note` is a checkpoint with verified
  // cosignatures.
  void OnCosigned(const std::string& note);
  Result<std::shared_ptr<const projections::State>> StateOfSize(uint64_t size);
  // as_of resolved to a log size (and the date views are judged on).
  struct ResolvedMoment {
    uint64_t size = 0;
    std::optional<projections::Date> date;
  };
  Result<ResolvedMoment> Resolve(std::string_view as_of);
  // The background projection snapshot writer (a low-priority thread).
  void SnapshotLoop();
  // Keeps past states from each published state (a low-priority thread).
  void PastStatesLoop();
  // The start of PastStatesLoop: folds the log from entry 0 keeping past
  // states, then has the writer and the readers adopt the fold.
  void BuildPastStates();
  // The writer's and the readers' state become a copy of past_'s fold, if
  // it is of the size they are; else false.
  bool AdoptFold();

  const ServiceOptions options_;
  CorrectionsCache corrections_cache_;
  ViewCache view_cache_;
  NodeCache node_cache_;
  std::unique_ptr<cli::Session> session_;
  std::string verifier_key_;
  IntakeLimiter intake_limiter_;
  std::atomic<bool> shutting_down_{false};
  // AppendAsync calls whose `done` has not returned yet (counted before
  // shutting_down_ is read, so WaitForAppends never misses one).
  std::atomic<uint64_t> appends_pending_{0};
  std::mutex appends_mu_;
  std::condition_variable appends_cv_;
  // Why appends are refused before the ledger is asked (shutdown, read
  // only, a full disk at start); OK when they are not.
  Status AppendRefusal() const;
  // A durable append is published and the checkpointer told.
  void AfterAppend(const ledger::AppendResult& r);
  // The store could not open for writing for lack of space: it is open
  // read-only, and every append is refused until a restart.
  bool started_on_full_disk_ = false;
  std::chrono::steady_clock::time_point started_at_;  // Open began
  double session_ready_s_ = 0;  // the session (store and state) was open

  // Serializes catching the read side up; held by writers only.
  std::mutex publish_mu_;
  // Guarded by publish_mu_: the published state (the object published_
  // points at).
  std::shared_ptr<const projections::State> front_;
  // Guards published_ (a pointer swap; never held while working).
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const projections::State> published_;
  std::atomic<uint64_t> published_size_{0};

  struct CachedState {
    std::shared_ptr<const projections::State> state;
    uint64_t tick = 0;    // last use
    uint64_t origin = 0;  // the kept state (size) its fold started from
    uint64_t bytes = 0;   // charged
  };
  mutable std::mutex cache_mu_;
  std::map<uint64_t, CachedState> as_of_cache_;  // by size
  uint64_t cache_tick_ = 0;
  // The bytes charged for as_of_cache_ (written under cache_mu_).
  std::atomic<uint64_t> as_of_cache_bytes_{0};

  std::atomic<uint64_t> replays_{0}, replayed_entries_{0},
      max_replayed_entries_{0}, replays_from_snapshot_{0},
      replays_refused_for_memory_{0};
  // Replays' reservations (ReserveReplay): reserve_mu_ serializes the
  // admissions, so two never both take the last room.
  mutable std::mutex reserve_mu_;
  uint64_t reserved_bytes_ = 0;  // guarded by reserve_mu_
  uint64_t reservations_ = 0;    // guarded by reserve_mu_
  // Whether the past states must be thinned: MemoryCommitted() above the
  // budget, the replays' reservations set aside (their transient memory is
  // in the heap already and ends with them).
  // Asked by the past states' thread after every publication, it reads the
  // heap (mallinfo2, which walks every malloc arena under the arena's lock)
  // at most every kBudgetRecheck while the answer is no, once the log is
  // folded (before, a fold may keep many states in that time); a yes is
  // always read afresh, so thinning stops as soon as it has dropped enough.
  bool PastStatesOverBudget() const;
  static constexpr std::chrono::milliseconds kBudgetRecheck{200};
  // Set by the past states' thread once BuildPastStates is done.
  std::atomic<bool> budget_reads_spaced_{false};
  // When the budget was last found kept (steady_clock ticks); 0 if never.
  mutable std::atomic<int64_t> under_budget_at_{0};
  // Projection snapshots: snapshots_mu_ guards the flags; the writer itself
  // is used by snapshotter_ only.
  std::mutex snapshots_mu_;
  std::condition_variable snapshots_cv_;
  bool snapshots_stop_ = false;
  std::atomic<bool> snapshots_cancel_{false};  // ends a long backfill early
  bool snapshots_dirty_ = true;
  uint64_t snapshots_done_size_ = 0;  // the writer has caught up to this
  std::atomic<uint64_t> snapshots_written_{0};
  uint64_t snapshots_token_ = 0;
  std::thread snapshotter_;
  // Past states in memory: fed by past_keeper_ only (after the session's
  // open); past_mu_ guards the flags.
  std::unique_ptr<projections::PastStates> past_;
  std::mutex past_mu_;
  std::condition_variable past_cv_;
  bool past_stop_ = false;
  bool past_dirty_ = true;
  bool past_built_ = false;               // BuildPastStates is done
  std::atomic<bool> past_cancel_{false};  // ends BuildPastStates early
  std::atomic<uint64_t> replays_from_past_{0};
  uint64_t past_token_ = 0;
  std::thread past_keeper_;

  std::mutex keys_mu_;
  std::map<std::string, crypto::KeyPair> intake_keys_;

  std::mutex subscribers_mu_;
  std::map<uint64_t, std::function<void()>> subscribers_;
  uint64_t next_token_ = 1;

  mutable std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_stop_ = false;
  bool checkpoint_dirty_ = false;
  std::string checkpoint_;  // the latest signed note
  uint64_t checkpoint_size_ = 0;
  // checkpoint_ with the cosignatures gathered for it; empty when none.
  std::string cosigned_;
  // The newest checkpoint cosigned by every --witness (as stored in
  // c/witnessed), and its size; empty when none.
  std::string witnessed_;
  uint64_t witnessed_size_ = 0;
  std::thread checkpointer_;
  // Null without witnesses. Reset before session_ dies (it reads proofs).
  std::unique_ptr<witness::Collector> collector_;
};

}  // namespace piaojue::server
