#include "api/server/internal/service.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <utility>

#include "api/cli/data_dir.h"
#include "ledger/cosignature.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "ledger/text_validation.h"
#include "projections/heap.h"
#include "projections/replay.h"

namespace piaojue::server {

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}

// Lowers the calling thread's CPU priority (Linux: a thread's nice value is
// its own), so background folds yield to the threads serving requests.
void LowerThreadPriority() {
  const int ok =
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  (void)ok;  // Best effort: without it the thread runs at normal priority.
}

}  // namespace

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      view_cache_(ViewCache::Options{kViewCacheBytes, options_.view_max_age,
                                     std::min(options_.view_max_age / 4,
                                              std::chrono::milliseconds(100))},
                  [this] { return published_size(); }),
      intake_limiter_(options_.intake_burst, options_.intake_per_minute,
                      options_.intake_global_burst,
                      options_.intake_global_per_minute) {}

namespace {
// The state PinNow set on this thread, if any.
thread_local std::shared_ptr<const projections::State> pinned_now;
}  // namespace

Service::PinNow::PinNow(std::shared_ptr<const projections::State> state)
    : previous_(std::move(pinned_now)) {
  pinned_now = std::move(state);
}

Service::PinNow::~PinNow() { pinned_now = std::move(previous_); }

Result<std::unique_ptr<Service>> Service::Open(ServiceOptions options) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  std::unique_ptr<Service> s(new Service(std::move(options)));
  const cli::DataDir dir(s->options_.data_dir);
  auto new_past_states = [&s] {
    if (s->options_.past_states_every == 0) return;
    s->past_ = std::make_unique<projections::PastStates>(
        s->options_.past_states_every,
        [svc = s.get()] { return svc->PastStatesOverBudget(); });
  };
  new_past_states();
  s->started_at_ = std::chrono::steady_clock::now();
  // The nonce index is checked after the store opens, beside the rest of
  // the start (ledger::Ledger::Open); appends wait for it.
  cli::StoreHooks hooks = s->options_.store_hooks;
  hooks.on_side_indexes_checked = [began = s->started_at_](const Status& w) {
    const double after =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began)
            .count();
    char when[64];
    std::snprintf(when, sizeof(when), "%.2f s after start", after);
    if (w.ok()) {
      std::cerr << std::string(
                       "piaojue serve: the side indexes agree with "
                       "the head; writes accepted (checked ") +
                       when + ")\n";
    } else {
      // Reads are served; every write will be refused with this reason.
      std::cerr << std::string("piaojue serve: writes are refused (found ") +
                       when + "): " + w.ToString() + "\n";
    }
  };
  // The state is loaded from the snapshot (or rebuilt) as without past
  // states; they are built in the background (PastStatesLoop).
  auto session = cli::Session::Open(dir, s->options_.read_only, {},
                                    /*sync=*/true, hooks);
  if (!session.ok() && !s->options_.read_only &&
      session.status().code() == StatusCode::kIOError &&
      session.status().message().find("No space left on device") !=
          std::string::npos) {
    // The store cannot even open for writing (RocksDB writes a new log and
    // flushes the recovered one at open): serve reads from a read-only open
    // and refuse every write until a restart with free space.
    std::cerr << "piaojue serve: the disk is full ("
              << session.status().message()
              << "); serving reads only; writes are refused until the server "
                 "is restarted with free space\n";
    new_past_states();
    session =
        cli::Session::Open(dir, /*read_only=*/true, {}, /*sync=*/true, {});
    s->started_on_full_disk_ = true;
  }
  ASSIGN_OR_RETURN(s->session_, std::move(session));
  s->session_ready_s_ = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - s->started_at_)
                            .count();
  // No append can run yet: the session's state is the state of the whole
  // ledger, and copying it is the first read snapshot.
  // Publications take the rules' own state as each group becomes durable
  // (a copy sharing every record), so the read side and the writer hold
  // the state once between them.
  if (!s->options_.read_only) s->session_->validator().KeepDurableStates();
  s->front_ = std::make_shared<const projections::State>(s->session_->state());
  s->published_ = s->front_;
  s->published_size_ = s->published_->size();
  // Proofs then read the tree from memory (node_cache.h); `piaojue
  // publish` (read-only) makes none.
  if (!s->options_.read_only) s->node_cache_.Start(&s->session_->ledger());
#if defined(__GLIBC__)
  // Rebuilding or loading the state frees what it used on the way; glibc
  // keeps freed memory mapped unless asked, so the server would hold it for
  // good.
  malloc_trim(0);
#endif
  if (!s->session_->snapshot_ignored_because().empty()) {
    std::cerr << "piaojue serve: " << s->session_->dir().snapshot_path()
              << " was not used (" << s->session_->snapshot_ignored_because()
              << "); the state was rebuilt from the entries\n";
  }

  ASSIGN_OR_RETURN(std::string genesis, s->ledger().ReadEntry(0));
  ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(genesis));
  if (view.event().isGenesis()) {
    s->verifier_key_ =
        ledger::TextString(view.event().getGenesis().getCheckpointKey());
  }
  auto latest = s->ledger().LatestCheckpoint();
  if (latest.ok()) {
    s->checkpoint_ = *latest;
    auto parsed = note::ParseNote(*latest);
    if (parsed.ok()) {
      auto cp = note::ParseCheckpoint(parsed->text);
      if (cp.ok()) s->checkpoint_size_ = cp->size;
    }
  }
  // A restarted server serves the cosignatures it had gathered.
  auto cosigned = s->ledger().LatestCosignedCheckpoint();
  if (cosigned.ok() && !s->checkpoint_.empty()) {
    auto a = note::ParseNote(*cosigned);
    auto b = note::ParseNote(s->checkpoint_);
    if (a.ok() && b.ok() && a->text == b->text) s->cosigned_ = *cosigned;
  }
  // The latest checkpoint every witness cosigned, if it was every one of
  // this run's witnesses (they may have changed since it was stored).
  std::vector<cosignature::WitnessKey> keys;
  for (const witness::Endpoint& w : s->options_.witnesses) {
    keys.push_back(w.key);
  }
  if (auto all = s->ledger().LatestWitnessedCheckpoint();
      all.ok() && !keys.empty()) {
    auto parsed = note::ParseNote(*all);
    auto cp = parsed.ok() ? note::ParseCheckpoint(parsed->text)
                          : Result<note::Checkpoint>(parsed.status());
    auto verified = cosignature::VerifyNote(*all, keys);
    if (cp.ok() && verified.ok() && verified->size() == keys.size()) {
      s->witnessed_ = *all;
      s->witnessed_size_ = cp->size;
    }
  }
  if (s->options_.read_only) return s;  // no signer, no witnesses
  if (!s->options_.witnesses.empty()) {
    witness::CollectorOptions co;
    co.witnesses = s->options_.witnesses;
    co.consistency = [svc = s.get()](uint64_t old_size, uint64_t new_size) {
      return svc->ledger().ConsistencyProof(old_size, new_size);
    };
    co.on_cosigned = [svc = s.get()](const std::string& note) {
      svc->OnCosigned(note);
    };
    co.warn = [](const std::string& m) {
      std::cerr << "piaojue serve: " << m << "\n";
    };
    s->collector_ = std::make_unique<witness::Collector>(std::move(co));
    if (!s->checkpoint_.empty()) s->collector_->Submit(s->checkpoint_);
  }
  s->checkpoint_dirty_ = true;  // sign at once if the head is ahead
  s->checkpointer_ = std::thread([svc = s.get()] { svc->CheckpointLoop(); });
  if (s->options_.snapshot_every > 0 && !s->started_on_full_disk_) {
    // Woken after each publication; also backfills at start.
    s->snapshots_token_ = s->Subscribe([svc = s.get()] {
      std::lock_guard<std::mutex> lock(svc->snapshots_mu_);
      svc->snapshots_dirty_ = true;
      svc->snapshots_cv_.notify_all();
    });
    s->snapshotter_ = std::thread([svc = s.get()] { svc->SnapshotLoop(); });
  }
  if (s->past_ != nullptr) {
    s->past_token_ = s->Subscribe([svc = s.get()] {
      std::lock_guard<std::mutex> lock(svc->past_mu_);
      svc->past_dirty_ = true;
      svc->past_cv_.notify_all();
    });
    s->past_keeper_ = std::thread([svc = s.get()] { svc->PastStatesLoop(); });
  }
  return s;
}

std::string Service::StartupSummary() const {
  const double total = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - started_at_)
                           .count();
  const cli::Session::OpenTimes& t = session_->open_times();
  char line[512];
  std::snprintf(line, sizeof(line),
                "ready in %.2f s: store opened in %.2f s, state %s in %.2f s, "
                "the rest (first read state, checkpoint, listening) %.2f s",
                total, t.store_seconds,
                t.from_snapshot ? ("loaded from the snapshot of " +
                                   std::to_string(t.snapshot_size) + " entries")
                                      .c_str()
                                : "rebuilt from the entries",
                t.state_seconds, total - session_ready_s_);
  return line;
}

Service::~Service() {
  // An asynchronous append still queued would publish into this object.
  BeginShutdown();
  WaitForAppends();
  if (past_keeper_.joinable()) {
    Unsubscribe(past_token_);
    {
      std::lock_guard<std::mutex> lock(past_mu_);
      past_stop_ = true;
    }
    past_cancel_.store(true);
    past_cv_.notify_all();
    past_keeper_.join();
  }
  // No view computation or tree load may run once the ledger starts
  // closing.
  view_cache_.Stop();
  node_cache_.Stop();
  if (snapshotter_.joinable()) {
    Unsubscribe(snapshots_token_);
    {
      std::lock_guard<std::mutex> lock(snapshots_mu_);
      snapshots_stop_ = true;
    }
    snapshots_cancel_.store(true);
    snapshots_cv_.notify_all();
    snapshotter_.join();
  }
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (session_ == nullptr || started_on_full_disk_ || options_.read_only) {
    return;
  }
  Status s = SignCheckpointIfBehind();
  if (!s.ok() && s.code() != StatusCode::kUnavailable) {
    std::cerr << "piaojue serve: last checkpoint: " << s.ToString() << "\n";
  }
  if (collector_) {
    // Give the witnesses a moment to cosign the last checkpoint, so that an
    // export made after shutdown carries their word; a down witness costs
    // at most the grace period.
    collector_->WaitIdle(options_.witness_grace);
    collector_.reset();
  }
  // Every append has returned: the published state is the whole ledger.
  s = projections::SaveSnapshot(session_->ledger(), *Snapshot(),
                                session_->dir().snapshot_path());
  if (!s.ok()) {
    std::cerr << "piaojue serve: saving the snapshot: " << s.ToString() << "\n";
  }
}

std::shared_ptr<const projections::State> Service::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return published_;
}

Status Service::AppendRefusal() const {
  if (shutting_down()) {
    return Unavailable("the server is shutting down; nothing was appended");
  }
  if (options_.read_only) {
    return Unavailable("the ledger is open read-only; nothing was appended");
  }
  if (started_on_full_disk_) {
    return Unavailable(
        "the server started on a full disk and serves reads only; nothing "
        "was appended; restart it once space is freed");
  }
  return Status::Ok();
}

void Service::AfterAppend(const ledger::AppendResult& r) {
  Publish(r.index + 1);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    wake = !checkpoint_dirty_;
    checkpoint_dirty_ = true;
  }
  if (wake) checkpoint_cv_.notify_all();
}

Result<ledger::AppendResult> Service::Append(const ledger::SignedEvent& event) {
  RETURN_IF_ERROR(AppendRefusal());
  ASSIGN_OR_RETURN(ledger::AppendResult r, session_->ledger().Append(event));
  AfterAppend(r);
  return r;
}

void Service::AppendAsync(ledger::SignedEvent event, AppendDone done) {
  // Counted before the refusal is checked: BeginShutdown sets the flag and
  // WaitForAppends then reads the count, so either this sees the flag or
  // the wait sees this append.
  appends_pending_.fetch_add(1);
  auto finished = [this] {
    if (appends_pending_.fetch_sub(1) == 1) {
      std::lock_guard<std::mutex> lock(appends_mu_);
      appends_cv_.notify_all();
    }
  };
  // `done` is released before the append counts as finished: what it holds
  // (for POST /v1/entries, the connection) must not outlive WaitForAppends,
  // after which the server destroys the connections' io_context.
  if (Status refused = AppendRefusal(); !refused.ok()) {
    AppendDone answer = std::exchange(done, nullptr);
    answer(refused);
    answer = nullptr;
    return finished();
  }
  session_->ledger().AppendAsync(
      std::move(event), [this, done = std::move(done),
                         finished](Result<ledger::AppendResult> r) mutable {
        if (r.ok()) AfterAppend(*r);
        AppendDone answer = std::exchange(done, nullptr);
        answer(std::move(r));
        answer = nullptr;
        finished();
      });
}

void Service::WaitForAppends() {
  std::unique_lock<std::mutex> lock(appends_mu_);
  appends_cv_.wait(lock, [this] { return appends_pending_.load() == 0; });
}

void Service::Publish(uint64_t at_least) {
  std::lock_guard<std::mutex> publish(publish_mu_);
  // Another writer's catch-up may already have covered this entry.
  if (front_->size() >= at_least) return;
  // The rules' state as of the last durable group: a copy that shares every
  // record with the writer's state (projections/internal/persistent.h), the
  // fold of exactly the durable entries, never changed afterwards (the
  // writer copies what it changes next).
  std::shared_ptr<const projections::State> durable =
      session_->validator().DurableState();
  if (durable != nullptr && durable->size() >= at_least &&
      durable->size() <= session_->ledger().size()) {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    published_ = durable;
    published_size_ = durable->size();
    front_ = std::move(durable);
  } else if (Status s = CatchUpCopy(); !s.ok()) {
    // The entries are durable and passed the same rules on the write side;
    // a failure here is a bug. Keep serving the previous state (and drop
    // `next`, which may stand between the two).
    std::cerr << "piaojue serve: catching the read side up: " << s.ToString()
              << "\n";
    return;
  }
  node_cache_.Grow(front_->size());
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  for (auto& [token, fn] : subscribers_) fn();
}

Status Service::CatchUpCopy() {
  // A copy of the state now published costs a few pointers; folding the new
  // entries into it copies only the records they change. Readers of the
  // published state never see the fold.
  auto next = std::make_shared<projections::State>(*front_);
  RETURN_IF_ERROR(projections::CatchUp(session_->ledger(),
                                       session_->ledger().size(), next.get()));
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  published_ = next;
  published_size_ = next->size();
  front_ = std::move(next);
  return Status::Ok();
}

Result<std::shared_ptr<const projections::State>> Service::StateOfSize(
    uint64_t size) {
  std::shared_ptr<const projections::State> current = Snapshot();
  if (size == current->size()) return current;
  if (size > current->size()) {
    return OutOfRange("as_of " + std::to_string(size) + ": the log has only " +
                      std::to_string(current->size()) + " entries");
  }
  std::shared_ptr<const projections::State> base;
  uint64_t origin = 0;  // the kept state the base's fold started from
  // The nearest state kept in memory: exact by construction (the fold of
  // its entries), fewer than one spacing back.
  std::shared_ptr<const projections::State> kept =
      past_ != nullptr ? past_->AtOrBefore(size) : nullptr;
  if (kept != nullptr && kept->size() == size) return kept;
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = as_of_cache_.upper_bound(size);
    if (it != as_of_cache_.begin()) {
      --it;
      if (it->first == size) {
        it->second.tick = ++cache_tick_;  // recency counts answers only
        return it->second.state;
      }
      base = it->second.state;  // the closest earlier state
      origin = it->second.origin;
    }
  }
  // A cached state closer than a snapshot can be (less than one interval
  // back) is copied; otherwise the nearest stored snapshot is the base.
  // The closer of the two; a stored snapshot instead if it is closer still.
  const bool from_kept =
      kept != nullptr && (base == nullptr || kept->size() > base->size());
  if (from_kept) {
    base = kept;
    origin = kept->size();
  }
  const uint64_t every = options_.snapshot_every;
  const bool use_cached =
      base != nullptr && (every == 0 || size - base->size() < every);
  // What the replay may take while it runs, held against the server's
  // budget before anything is folded: each entry from where it starts (a
  // stored snapshot, when one is used, is no closer than the entry 0
  // counted here) may copy a record, plus what any replay holds.
  const uint64_t folded = size - (use_cached ? base->size() : 0);
  const uint64_t need = folded * kAsOfBytesPerEntry + kReplayFixedBytes;
  std::optional<ReplayReservation> reservation = ReserveReplay(need);
  if (!reservation.has_value()) {
    replays_refused_for_memory_.fetch_add(1);
    const uint64_t spacing = past_ != nullptr ? past_->spacing() : 0;
    return Unavailable(
        "as_of " + std::to_string(size) + " would fold " +
        std::to_string(folded) + " entries (about " +
        std::to_string(need >> 20) + " MiB while it runs), more than the " +
        "server's memory budget leaves now (--past-states-budget-mib " +
        std::to_string(options_.past_states_budget_mib) + ", " +
        std::to_string(replay_bytes_reserved() >> 20) +
        " MiB held by past states being built); try again later" +
        (spacing > 0
             ? ", or ask for a size within " + std::to_string(spacing) +
                   " entries after a multiple of " + std::to_string(spacing)
             : std::string()));
  }
  projections::PastStateInfo info;
  ASSIGN_OR_RETURN(
      projections::State state,
      projections::StateAtSize(ledger(), size,
                               use_cached ? base.get() : nullptr, &info));
  replays_.fetch_add(1);
  if (use_cached && from_kept) replays_from_past_.fetch_add(1);
  replayed_entries_.fetch_add(info.replayed);
  if (info.from_snapshot) replays_from_snapshot_.fetch_add(1);
  uint64_t seen = max_replayed_entries_.load();
  while (info.replayed > seen &&
         !max_replayed_entries_.compare_exchange_weak(seen, info.replayed)) {
  }
  for (const std::string& why : info.skipped) {
    // Damaged or edited side data: the answer is still right (an older
    // snapshot or the entries were used); `piaojue reindex` rewrites it.
    std::cerr << "piaojue serve: " << why
              << " (not used; run piaojue reindex)\n";
  }
  // What this state holds that no kept state does: the records its fold
  // (and the folds of the cached states it was copied from) changed since
  // `origin`; all of it when it was built from a stored snapshot or from
  // entry 0. An estimate per entry (kAsOfBytesPerEntry).
  if (!use_cached) origin = 0;
  const uint64_t bytes = (size - origin) * kAsOfBytesPerEntry;
  const uint64_t limit = options_.as_of_cache_bytes;
  if (bytes > limit) {
    // Never cached (larger than the cache): the reservation lives as long
    // as the state, i.e. until the reader's answer is built from it.
    struct Held {
      projections::State state;
      ReplayReservation reservation;
    };
    auto held =
        std::make_shared<Held>(Held{std::move(state), std::move(*reservation)});
    return std::shared_ptr<const projections::State>(held, &held->state);
  }
  // Cached: charged to the cache from now on, instead of the reservation.
  auto result = std::make_shared<const projections::State>(std::move(state));
  reservation.reset();
  std::lock_guard<std::mutex> lock(cache_mu_);
  CachedState& slot = as_of_cache_[size];
  as_of_cache_bytes_.fetch_sub(slot.bytes);  // 0 unless another thread's
  slot = {result, ++cache_tick_, origin, bytes};
  as_of_cache_bytes_.fetch_add(bytes);
  while (as_of_cache_bytes_.load() > limit) {
    auto oldest = std::min_element(as_of_cache_.begin(), as_of_cache_.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.tick < b.second.tick;
                                   });
    as_of_cache_bytes_.fetch_sub(oldest->second.bytes);
    as_of_cache_.erase(oldest);
  }
  return result;
}

Service::AsOfCacheUse Service::as_of_cache_use() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return AsOfCacheUse{as_of_cache_.size(), as_of_cache_bytes_.load()};
}

uint64_t Service::MemoryCommitted() const {
  const uint64_t heap = options_.heap_in_use ? options_.heap_in_use()
                                             : projections::HeapInUseBytes();
  auto room = [](uint64_t bound, uint64_t used) {
    return bound > used ? bound - used : 0;
  };
  // The tree: loaded in the background at start, then grown with each
  // publication.
  const uint64_t covered = published_size();
  return heap + room(kViewCacheBytes, view_cache_.bytes()) +
         room(options_.as_of_cache_bytes, as_of_cache_bytes_.load()) +
         room(covered * kTreeBytesPerEntry,
              node_cache_.loaded_size() * kTreeBytesPerEntry);
}

Service::ReplayReservation::~ReplayReservation() {
  if (service_ == nullptr) return;
  std::lock_guard<std::mutex> lock(service_->reserve_mu_);
  service_->reserved_bytes_ -= bytes_;
  --service_->reservations_;
}

std::optional<Service::ReplayReservation> Service::ReserveReplay(
    uint64_t bytes) {
  std::lock_guard<std::mutex> lock(reserve_mu_);
  const uint64_t cache_used = as_of_cache_bytes_.load();
  const uint64_t cache_room = options_.as_of_cache_bytes > cache_used
                                  ? options_.as_of_cache_bytes - cache_used
                                  : 0;
  const uint64_t wanted = reserved_bytes_ + bytes;
  // The as_of cache's room is counted in MemoryCommitted() already; only
  // what the replays running and this one need beyond it must fit.
  if (wanted > cache_room) {
    const uint64_t beyond = wanted - cache_room;
    const uint64_t budget = options_.past_states_budget_mib << 20;
    if (MemoryCommitted() + beyond > budget) return std::nullopt;
  }
  reserved_bytes_ = wanted;
  ++reservations_;
  return std::optional<ReplayReservation>(std::in_place, this, bytes);
}

uint64_t Service::replay_bytes_reserved() const {
  std::lock_guard<std::mutex> lock(reserve_mu_);
  return reserved_bytes_;
}

uint64_t Service::replays_running() const {
  std::lock_guard<std::mutex> lock(reserve_mu_);
  return reservations_;
}

bool Service::PastStatesOverBudget() const {
  // Reading the heap cost ~0.5 ms of CPU (and stalled the writers' mallocs
  // on the arena locks) after every group of appends at 64 connections.
  // In kBudgetRecheck the heap grows by a few megabytes at most (about
  // 1,300 bytes an entry with the states kept, at ~10,000 appends/s),
  // against a budget of hundreds.
  const int64_t now =
      std::chrono::steady_clock::now().time_since_epoch().count();
  const int64_t under_at = under_budget_at_.load(std::memory_order_relaxed);
  if (budget_reads_spaced_.load(std::memory_order_relaxed) && under_at != 0 &&
      now - under_at <
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              kBudgetRecheck)
              .count()) {
    return false;
  }
  // A replay's transient memory is in the heap while it runs, and it was
  // admitted only if it fit: it is no reason to drop kept states for good.
  const bool over =
      MemoryCommitted() >
      (options_.past_states_budget_mib << 20) + replay_bytes_reserved();
  under_budget_at_.store(over ? 0 : now, std::memory_order_relaxed);
  return over;
}

Result<Service::ResolvedMoment> Service::Resolve(std::string_view as_of) {
  ResolvedMoment m;
  if (AllDigits(as_of)) {
    // Like every number in a query (docs/API.md, "Conventions"): no leading
    // zeros, so one moment has one spelling (and one cache entry).
    if (as_of.size() > 1 && as_of[0] == '0') {
      return InvalidArgument("as_of \"" + std::string(as_of) +
                             "\": an entry count has no leading zeros");
    }
    if (as_of.size() > 19) {
      return OutOfRange("as_of " + std::string(as_of) + " is beyond the log");
    }
    m.size = std::stoull(std::string(as_of));
    return m;
  }
  std::optional<int64_t> ms = projections::ParseInstantMs(as_of);
  if (!ms) {
    return InvalidArgument(
        "as_of \"" + std::string(as_of) +
        "\": expected an entry count (e.g. 120), a date (2025-07-01, the end "
        "of that day in China time) or an RFC 3339 time "
        "(2025-07-01T09:00:00+08:00)");
  }
  ASSIGN_OR_RETURN(m.size, ledger().SizeAtTime(*ms));
  // Entries appended after the last publication are not visible yet.
  m.size = std::min(m.size, published_size());
  m.date = projections::DateFromMs(*ms);
  return m;
}

Result<Moment> Service::StateAt(std::string_view as_of) {
  Moment m;
  if (as_of.empty()) {
    m.state = pinned_now != nullptr ? pinned_now : Snapshot();
    return m;
  }
  ASSIGN_OR_RETURN(ResolvedMoment r, Resolve(as_of));
  ASSIGN_OR_RETURN(m.state, StateOfSize(r.size));
  m.date = r.date;
  return m;
}

bool Service::NeedsReplay(std::string_view as_of) {
  if (as_of.empty()) return false;
  Result<ResolvedMoment> r = Resolve(as_of);
  if (!r.ok()) return false;
  std::shared_ptr<const projections::State> current = Snapshot();
  if (r->size >= current->size()) return false;  // now, or 404
  std::lock_guard<std::mutex> lock(cache_mu_);
  return as_of_cache_.count(r->size) == 0;
}

Service::ReplayCounters Service::replay_counters() const {
  ReplayCounters c;
  c.replays = replays_.load();
  c.entries = replayed_entries_.load();
  c.max_entries = max_replayed_entries_.load();
  c.from_snapshot = replays_from_snapshot_.load();
  c.snapshots_written = snapshots_written_.load();
  c.from_past_state = replays_from_past_.load();
  c.refused_for_memory = replays_refused_for_memory_.load();
  return c;
}

bool Service::WaitForPastStates(std::chrono::milliseconds timeout) {
  if (past_ == nullptr) return true;
  std::unique_lock<std::mutex> lock(past_mu_);
  return past_cv_.wait_for(lock, timeout, [this] {
    return past_stop_ || (past_built_ && past_->covered() >= published_size());
  });
}

bool Service::AdoptFold() {
  // No publication meanwhile: the readers' state and the writer's move
  // together.
  std::lock_guard<std::mutex> publish(publish_mu_);
  if (front_->size() != past_->covered()) return false;
  projections::State fold = past_->fold();
  if (!session_->validator().Adopt(fold)) return false;  // the writer moved
  auto shared = std::make_shared<const projections::State>(std::move(fold));
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  published_ = shared;
  front_ = std::move(shared);
  return true;
}

void Service::BuildPastStates() {
  const auto began = std::chrono::steady_clock::now();
  // Fold the log from entry 0 keeping the states, up to what is published;
  // then the writer and the readers take the fold as their state (equal
  // to theirs: the fold of the same entries), so that from then on every
  // state kept shares its records with the live one. While appends keep
  // the writer ahead, fold the new entries and try again, a few times.
  std::string outcome;
  for (int attempt = 0;; ++attempt) {
    bool gave_up = false;
    Status s =
        past_->CatchUpTo(ledger(), published_size(), &past_cancel_, &gave_up);
    if (past_cancel_.load()) return;
    if (!s.ok()) {
      // The entries passed the same rules when appended: a bug.
      outcome = "folding the log failed (" + s.ToString() + ")";
    } else if (gave_up) {
      outcome =
          "the fold does not fit the memory budget beside the live state "
          "(stopped at entry " +
          std::to_string(past_->covered()) + ")";
    } else if (AdoptFold()) {
      outcome = "";
#if defined(__GLIBC__)
      // The loaded state is freed as readers let go of it; glibc keeps
      // freed memory mapped unless asked (as after the start).
      malloc_trim(0);
#endif
      break;
    } else if (attempt < 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    } else {
      outcome = "appends kept the writer ahead of the fold";
    }
    // The states kept so far stay (each the fold of its entries); the
    // next ones are kept from the published states.
    past_->Skip(*Snapshot());
    break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began)
          .count();
  char took[32];
  std::snprintf(took, sizeof(took), "%.1f s", seconds);
  std::cerr << "piaojue serve: " << past_->kept()
            << " past states kept in memory, every " << past_->spacing()
            << " entries (an as_of folds fewer than that many), built in the "
               "background in "
            << took << "; " << (MemoryCommitted() >> 20)
            << " MiB committed of the " << options_.past_states_budget_mib
            << " MiB budget (--past-states-budget-mib)"
            << (outcome.empty() ? ""
                                : "; " + outcome +
                                      ": past states are kept from "
                                      "the states published from now on")
            << "\n";
}

void Service::PastStatesLoop() {
  LowerThreadPriority();
  BuildPastStates();
  budget_reads_spaced_.store(true, std::memory_order_relaxed);
  bool reported = false;
  std::unique_lock<std::mutex> lock(past_mu_);
  past_built_ = true;
  past_cv_.notify_all();
  while (true) {
    // Also every second: the heap may grow past the budget with no state
    // offered (caches filling, replays' states held by readers), and the
    // kept states are what gives way.
    const bool woken = past_cv_.wait_for(lock, std::chrono::seconds(1), [this] {
      return past_stop_ || past_dirty_;
    });
    if (past_stop_) return;
    if (!woken) {
      lock.unlock();
      past_->Thin();
      lock.lock();
      continue;
    }
    past_dirty_ = false;
    lock.unlock();
    // The published state is the fold of exactly its entries; the states
    // kept between the last one offered and it are folded from that one.
    const std::shared_ptr<const projections::State> published = Snapshot();
    Status s = past_->Offer(ledger(), *published);
    lock.lock();
    if (!s.ok() && !reported) {
      // The entries passed the same rules on the write side: a bug.
      std::cerr << "piaojue serve: keeping past states: " << s.ToString()
                << "\n";
      reported = true;
    }
    past_cv_.notify_all();
  }
}

bool Service::WaitForSnapshots(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(snapshots_mu_);
  return snapshots_cv_.wait_for(lock, timeout, [this] {
    return snapshots_stop_ || snapshots_done_size_ >= published_size();
  });
}

void Service::SnapshotLoop() {
  LowerThreadPriority();
  projections::SnapshotWriter writer(session_->ledger(),
                                     options_.snapshot_every);
  bool reported = false;
  std::unique_lock<std::mutex> lock(snapshots_mu_);
  while (true) {
    // Also every few seconds, in case a write failed (e.g. a full disk).
    snapshots_cv_.wait_for(lock, std::chrono::seconds(5), [this] {
      return snapshots_stop_ || snapshots_dirty_;
    });
    if (snapshots_stop_) return;
    snapshots_dirty_ = false;
    lock.unlock();
    const uint64_t target = published_size();
    Result<uint64_t> written = writer.CatchUpTo(target, &snapshots_cancel_);
    lock.lock();
    if (written.ok()) {
      snapshots_written_.fetch_add(*written);
      snapshots_done_size_ = target;
      snapshots_cv_.notify_all();
      reported = false;
    } else if (!reported) {
      std::cerr << "piaojue serve: writing projection snapshots: "
                << written.status().ToString() << "\n";
      reported = true;
    }
  }
}

Result<crypto::KeyPair> Service::IntakeKey(const std::string& jurisdiction) {
  std::lock_guard<std::mutex> lock(keys_mu_);
  if (auto it = intake_keys_.find(jurisdiction); it != intake_keys_.end()) {
    return it->second;
  }
  const std::string path =
      session_->dir().author_key_path("publicIntake", jurisdiction);
  auto key = cli::ReadKeyFile(path);
  if (!key.ok()) {
    return Unavailable("the public intake is not set up for jurisdiction " +
                       jurisdiction + " (" + key.status().message() + ")");
  }
  intake_keys_[jurisdiction] = key->key_pair;
  return key->key_pair;
}

bool Service::AllowIntake(const std::string& address, int64_t* retry_after_ms,
                          bool* by_global) {
  return intake_limiter_.Allow(address, NowMs(), retry_after_ms, by_global);
}

Result<std::string> Service::Checkpoint() const {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  if (checkpoint_.empty()) return NotFound("no checkpoint has been signed yet");
  return cosigned_.empty() ? checkpoint_ : cosigned_;
}

Result<std::string> Service::ProofCheckpoint(uint64_t min_size,
                                             uint64_t not_before) const {
  ASSIGN_OR_RETURN(std::string served, Checkpoint());
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  if (options_.witnesses.empty() || witnessed_.empty() ||
      witnessed_size_ < min_size || witnessed_size_ < not_before) {
    return served;
  }
  std::vector<cosignature::WitnessKey> keys;
  for (const witness::Endpoint& w : options_.witnesses) keys.push_back(w.key);
  auto verified = cosignature::VerifyNote(served, keys);
  if (verified.ok() && verified->size() == keys.size()) return served;
  return witnessed_;
}

std::vector<witness::WitnessState> Service::witness_states() const {
  if (!collector_) return {};
  return collector_->states();
}

void Service::OnCosigned(const std::string& note) {
  auto parsed = note::ParseNote(note);
  if (!parsed.ok()) return;
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    auto current = note::ParseNote(checkpoint_);
    // Only the checkpoint being served gets the lines; a cosignature of an
    // older one is still stored below if no newer one is cosigned yet.
    if (current.ok() && current->text == parsed->text) cosigned_ = note;
  }
  Status stored = session_->ledger().StoreCosignedCheckpoint(note);
  if (!stored.ok() && stored.code() != StatusCode::kFailedPrecondition) {
    std::cerr << "piaojue serve: storing a cosigned checkpoint: "
              << stored.ToString() << "\n";
  }
  // Cosigned by every configured witness: also kept apart, so that export
  // and prove can still offer a checkpoint that meets the strictest quorum
  // while the next one waits for the slowest witness (docs/WITNESS.md).
  std::vector<cosignature::WitnessKey> keys;
  for (const witness::Endpoint& w : options_.witnesses) keys.push_back(w.key);
  auto verified = cosignature::VerifyNote(note, keys);
  if (!keys.empty() && verified.ok() && verified->size() == keys.size()) {
    auto cp = note::ParseCheckpoint(parsed->text);
    if (cp.ok()) {
      std::lock_guard<std::mutex> lock(checkpoint_mu_);
      if (cp->size >= witnessed_size_) {
        witnessed_ = note;
        witnessed_size_ = cp->size;
      }
    }
    Status all = session_->ledger().StoreWitnessedCheckpoint(note);
    if (!all.ok() && all.code() != StatusCode::kFailedPrecondition) {
      std::cerr << "piaojue serve: storing a witnessed checkpoint: "
                << all.ToString() << "\n";
    }
  }
}

uint64_t Service::Subscribe(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  const uint64_t token = next_token_++;
  subscribers_[token] = std::move(fn);
  return token;
}

void Service::Unsubscribe(uint64_t token) {
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  subscribers_.erase(token);
}

void Service::WakeSubscribers() {
  std::lock_guard<std::mutex> lock(subscribers_mu_);
  for (auto& [token, fn] : subscribers_) fn();
}

Status Service::SignCheckpointIfBehind() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    if (!checkpoint_.empty() && checkpoint_size_ >= ledger().size()) {
      return Status::Ok();
    }
  }
  ASSIGN_OR_RETURN(std::string note, session_->ledger().SignCheckpoint());
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note));
  ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed.text));
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  // Two signers never race (only this thread and the destructor, after it
  // has joined), but keep the invariant explicit: never go backwards.
  if (cp.size > checkpoint_size_ || checkpoint_.empty()) {
    checkpoint_ = note;
    checkpoint_size_ = cp.size;
    cosigned_.clear();
    if (collector_) collector_->Submit(std::move(note));
  }
  return Status::Ok();
}

void Service::CheckpointLoop() {
  bool reported = false;
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  while (true) {
    checkpoint_cv_.wait(
        lock, [this] { return checkpoint_stop_ || checkpoint_dirty_; });
    if (checkpoint_stop_) return;
    checkpoint_dirty_ = false;
    lock.unlock();
    Status s = SignCheckpointIfBehind();
    if (!s.ok() && !reported) {
      // Without DIR/keys/log.key the log serves its last stored checkpoint.
      std::cerr << "piaojue serve: cannot sign checkpoints: " << s.ToString()
                << "\n";
      reported = true;
    }
    lock.lock();
    if (!s.ok()) {
      // E.g. a full disk: try again shortly, even if no append comes.
      checkpoint_dirty_ = true;
      checkpoint_cv_.wait_for(lock, std::chrono::seconds(1),
                              [this] { return checkpoint_stop_; });
      continue;
    }
    // Coalesce: appends arriving within the delay share one checkpoint.
    checkpoint_cv_.wait_for(lock, options_.checkpoint_delay,
                            [this] { return checkpoint_stop_; });
  }
}

}  // namespace piaojue::server
