#include "projections/replay.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

namespace piaojue::projections {

namespace {

Status Errno(const std::string& what, const std::string& path) {
  return IOError(what + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("open directory", dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync directory", dir);
  return Status::Ok();
}

// The entry at `index` parsed, or the error a replay reports for it (the
// same words whichever thread parsed it).
Result<ledger::EntryView> Decode(uint64_t index, std::string_view bytes) {
  Result<ledger::EntryView> entry = ledger::EntryView::Parse(bytes);
  if (!entry.ok()) {
    return Status(entry.status().code(), "entry " + std::to_string(index) +
                                             ": " + entry.status().message());
  }
  return entry;
}

// The entry at `index` made ready for the fold, or the error a replay
// reports for it.
Result<PreparedEntry> Prepare(uint64_t index, std::string_view bytes) {
  ASSIGN_OR_RETURN(ledger::EntryView entry, Decode(index, bytes));
  return PreparedEntry(std::move(entry));
}

// Folds the entry stored at `index` (whatever index it claims).
Status Fold(uint64_t index, const PreparedEntry& prepared, State* state) {
  Status s = state->Check(prepared);
  if (!s.ok()) {
    return Status(s.code(),
                  "entry " + std::to_string(index) + ": " + s.message());
  }
  state->Apply(prepared);
  return Status::Ok();
}

// Entries handed from the preparing thread to the folding one, in order.
// `end` is what stopped the preparing thread after `entries`: OK with
// `last` at the end of the range, else the error the replay reports once
// every entry before it is folded.
struct PreparedBatch {
  std::vector<ledger::EntryView> entries;
  Status end;
  bool last = false;
};

// A bounded queue of batches between exactly two threads. The folded
// batches come back (Return) and are freed by the preparing thread, which
// allocated them: freed on the folding thread, each of their blocks went
// back to the preparing thread's malloc arena under its lock, and the two
// threads spent a fifth of a rebuild waking each other on that lock
// (docs/PERFORMANCE.md, "Rebuild").
class BatchQueue {
 public:
  // Blocks while the queue is full. False if the folding side stopped.
  bool Push(PreparedBatch batch) {
    std::deque<PreparedBatch> spent;
    {
      std::unique_lock<std::mutex> lock(mu_);
      room_.wait(lock, [&] { return stopped_ || queue_.size() < kDepth; });
      if (stopped_) return false;
      queue_.push_back(std::move(batch));
      spent.swap(spent_);
      ready_.notify_one();
    }
    return true;  // `spent` is freed here, on this thread
  }
  // A batch the folding side is done with, for the preparing side to free.
  void Return(PreparedBatch batch) {
    std::lock_guard<std::mutex> lock(mu_);
    spent_.push_back(std::move(batch));
  }
  PreparedBatch Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return !queue_.empty(); });
    PreparedBatch batch = std::move(queue_.front());
    queue_.pop_front();
    room_.notify_one();
    return batch;
  }
  // The folding side stops early: Push refuses from now on.
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    room_.notify_all();
  }
  bool stopped() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stopped_;
  }

 private:
  static constexpr size_t kDepth = 4;
  mutable std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<PreparedBatch> queue_;
  std::deque<PreparedBatch> spent_;  // folded, not yet freed
  bool stopped_ = false;
};

// Below this many entries a catch-up folds on the calling thread alone.
constexpr uint64_t kPipelineFrom = 64;
// Batches start small, so the fold starts at once, and grow to this.
constexpr size_t kFirstBatch = 16;
constexpr size_t kMaxBatch = 512;

// A snapshot file read in order, hashed as it is read.
class HashingFileSource : public SnapshotSource {
 public:
  HashingFileSource(int fd, const std::string& path) : fd_(fd), path_(path) {}
  Result<size_t> Read(char* out, size_t n) override {
    for (;;) {
      const ssize_t got = ::read(fd_, out, n);
      if (got < 0) {
        if (errno == EINTR) continue;
        return Errno("read", path_);
      }
      digest_.Update(crypto::Bytes(reinterpret_cast<const uint8_t*>(out),
                                   static_cast<size_t>(got)));
      return static_cast<size_t>(got);
    }
  }
  crypto::Hash Finish() { return digest_.Finish(); }

 private:
  int fd_;
  const std::string& path_;
  crypto::Sha256Stream digest_;
};

}  // namespace

Status CatchUp(const ledger::Ledger& ledger, uint64_t size, State* state) {
  if (size > ledger.size()) {
    return OutOfRange("the ledger has " + std::to_string(ledger.size()) +
                      " entries, not " + std::to_string(size));
  }
  if (state->size() > size) {
    return OutOfRange("the state already holds " +
                      std::to_string(state->size()) + " entries");
  }
  const uint64_t begin = state->size();
  if (size - begin < kPipelineFrom) {
    return ledger.ForEachEntry(
        begin, size, [&](uint64_t index, std::string_view bytes) -> Status {
          ASSIGN_OR_RETURN(PreparedEntry prepared, Prepare(index, bytes));
          return Fold(index, prepared, state);
        });
  }
  // Reading, decoding, the canonical-form checks and the SHA-256 of each
  // entry depend on that entry alone: a second thread does them while this
  // one prepares (texts against the rules, context) and folds, which only this
  // one can do (each entry's rules depend on every entry before it). The
  // split balances the two threads on two idle cores (docs/PERFORMANCE.md,
  // "Rebuild"). The result is the same as folding each entry as it is
  // read: the same entries folded, the same first error, with the entries
  // before it folded.
  BatchQueue queue;
  std::thread preparer([&] {
    PreparedBatch batch;
    size_t want = kFirstBatch;
    // What ForEachEntry returns when this thread stopped it on purpose.
    const Status stop = Unavailable("stopped");
    bool failed = false;  // batch.end holds the error
    Status read;
    try {
      read = ledger.ForEachEntry(
          begin, size, [&](uint64_t index, std::string_view bytes) -> Status {
            Result<ledger::EntryView> entry = Decode(index, bytes);
            if (!entry.ok()) {
              batch.end = entry.status();
              failed = true;
              return stop;
            }
            // Its SHA-256 here too (kept in the entry for the fold's
            // PreparedEntry): with it the two threads' shares are about
            // even.
            entry->EntryHash();
            batch.entries.push_back(std::move(entry).value());
            if (batch.entries.size() >= want) {
              if (!queue.Push(std::move(batch))) return stop;
              batch = PreparedBatch{};
              batch.entries.reserve(want = std::min(want * 2, kMaxBatch));
            }
            return Status::Ok();
          });
    } catch (const std::exception& e) {
      read = Internal(std::string("preparing entries: ") + e.what());
    }
    if (queue.stopped()) return;
    if (!failed) {
      batch.end = read;
      batch.last = read.ok();
    }
    queue.Push(std::move(batch));
  });
  Status result;
  uint64_t index = begin;  // where the next entry is stored
  while (true) {
    PreparedBatch batch = queue.Pop();
    for (const ledger::EntryView& entry : batch.entries) {
      // Shares the entry's bytes with the batch, so they are freed with
      // it, by the thread that read them.
      result = Fold(index++, PreparedEntry(entry), state);
      if (!result.ok()) break;
    }
    if (!result.ok()) break;
    if (!batch.end.ok()) {
      result = std::move(batch.end);
      break;
    }
    if (batch.last) break;
    queue.Return(std::move(batch));
  }
  queue.Stop();
  preparer.join();
  return result;
}

Result<State> ReplayTo(const ledger::Ledger& ledger, uint64_t size) {
  State state;
  RETURN_IF_ERROR(CatchUp(ledger, size, &state));
  return state;
}

Result<State> ReplayAsOf(const ledger::Ledger& ledger, int64_t at_ms) {
  ASSIGN_OR_RETURN(uint64_t size, ledger.SizeAtTime(at_ms));
  ASSIGN_OR_RETURN(State state, StateAtSize(ledger, size));
  // Views of this state judge dates as of `at_ms`, not as of its last entry
  // (which may be days earlier).
  state.set_as_of_ms(at_ms);
  return state;
}

Status SaveSnapshot(ledger::Ledger& ledger, const State& state,
                    const std::string& path) {
  if (state.size() > ledger.size()) {
    return InvalidArgument("the state holds " + std::to_string(state.size()) +
                           " entries, the ledger only " +
                           std::to_string(ledger.size()));
  }
  if (state.size() > 0) {
    ASSIGN_OR_RETURN(std::string last, ledger.ReadEntry(state.size() - 1));
    ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(last));
    if (view.EntryHash() != state.last_entry_hash()) {
      return InvalidArgument("the state is not the state of this ledger");
    }
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  // Written and hashed chunk by chunk: the snapshot is never whole in
  // memory.
  crypto::Sha256Stream digest;
  Status s = state.WriteSnapshot([&](std::string_view chunk) {
    digest.Update(crypto::AsBytes(chunk));
    return WriteAll(fd, chunk, tmp);
  });
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", tmp);
  if (::close(fd) != 0 && s.ok()) s = Errno("close", tmp);
  if (s.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    s = Errno("rename to", path);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  RETURN_IF_ERROR(SyncDirectory(dir.empty() ? "." : dir));
  // The seal goes in after the file is durable. A crash in between leaves
  // the previous seal, which does not match the new file: the next load
  // rebuilds. Never the other way round (a seal naming bytes never written
  // would be harmless too, but pointless).
  return ledger.SealSnapshot({state.size(), digest.Finish()});
}

Result<State> LoadOrRebuild(const ledger::Ledger& ledger,
                            const std::string& snapshot_path, LoadInfo* info) {
  LoadInfo local;
  LoadInfo& out = info ? *info : local;
  out = LoadInfo{};
  State state;
  const int fd = ::open(snapshot_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    // The same bytes are hashed and parsed, record by record: nothing can
    // change in between, and the snapshot is never whole in memory. A state
    // is read only to its end record and the bytes after it must be none,
    // so the digest is of the whole file when the read succeeds.
    HashingFileSource in(fd, snapshot_path);
    Result<State> loaded = State::ReadSnapshot(in);
    ::close(fd);
    const crypto::Hash digest = in.Finish();
    if (!loaded.ok()) {
      out.ignored_because = loaded.status().ToString();
    } else if (loaded->size() > ledger.size()) {
      out.ignored_because =
          "the snapshot holds " + std::to_string(loaded->size()) +
          " entries, the ledger only " + std::to_string(ledger.size());
    } else if (loaded->size() > 0) {
      Result<std::string> last_bytes = ledger.ReadEntry(loaded->size() - 1);
      Result<ledger::EntryView> last =
          last_bytes.ok() ? ledger::EntryView::Parse(*last_bytes)
                          : Result<ledger::EntryView>(last_bytes.status());
      Result<ledger::SnapshotSeal> seal = ledger.snapshot_seal();
      if (!last.ok()) {
        out.ignored_because = last.status().ToString();
      } else if (last->EntryHash() != loaded->last_entry_hash()) {
        out.ignored_because =
            "the snapshot's last entry hash differs from entry " +
            std::to_string(loaded->size() - 1) + " of the ledger";
      } else if (!seal.ok()) {
        out.ignored_because = "the snapshot's digest cannot be checked: " +
                              seal.status().ToString();
      } else if (seal->size != loaded->size() || seal->digest != digest) {
        // Consistent with the log, yet not what the writer saved: edited,
        // or replaced by an older or another snapshot.
        out.ignored_because =
            "the snapshot's digest or size differs from the seal the writer "
            "stored in the ledger (a snapshot of " +
            std::to_string(seal->size) + " entries)";
      } else {
        state = std::move(loaded).value();
        out.from_snapshot = true;
        out.snapshot_size = state.size();
      }
    }
  }
  RETURN_IF_ERROR(CatchUp(ledger, ledger.size(), &state));
  return state;
}

Result<State> StateAtSize(const ledger::Ledger& ledger, uint64_t size,
                          const State* base, PastStateInfo* info) {
  PastStateInfo local;
  PastStateInfo& out = info ? *info : local;
  out = PastStateInfo{};
  if (size > ledger.size()) {
    return OutOfRange("the ledger has " + std::to_string(ledger.size()) +
                      " entries, not " + std::to_string(size));
  }
  State state;
  if (base != nullptr) {
    if (base->size() > size) {
      return InvalidArgument("a state of " + std::to_string(base->size()) +
                             " entries is past " + std::to_string(size));
    }
    state = *base;
  } else {
    uint64_t below = size;
    while (below > 0) {
      Result<ledger::ProjectionSnapshot> snap =
          ledger.ProjectionSnapshotAtOrBelow(below, &out.skipped);
      if (!snap.ok()) {
        if (snap.status().code() == StatusCode::kNotFound) break;
        return snap.status();
      }
      // The store's seal bound the bytes to the log; the bytes must also be
      // a state of exactly those entries (a snapshot written by another
      // version, or sealed over other bytes, fails here).
      Result<State> loaded = State::Deserialize(snap->bytes);
      std::string why;
      if (!loaded.ok()) {
        why = loaded.status().ToString();
      } else if (loaded->size() != snap->size) {
        why = "it holds a state of " + std::to_string(loaded->size()) +
              " entries";
      } else {
        ASSIGN_OR_RETURN(std::string last, ledger.ReadEntry(snap->size - 1));
        ASSIGN_OR_RETURN(ledger::EntryView view,
                         ledger::EntryView::Parse(last));
        if (view.EntryHash() != loaded->last_entry_hash()) {
          why = "its state ends in another entry";
        }
      }
      if (why.empty()) {
        state = std::move(loaded).value();
        out.from_snapshot = true;
        break;
      }
      out.skipped.push_back("projection snapshot " +
                            std::to_string(snap->size) + ": " + why);
      below = snap->size - 1;
    }
  }
  out.base = state.size();
  RETURN_IF_ERROR(CatchUp(ledger, size, &state));
  out.replayed = size - out.base;
  return state;
}

SnapshotWriter::SnapshotWriter(ledger::Ledger& ledger, uint64_t every)
    : ledger_(ledger), every_(std::max<uint64_t>(every, 1)) {}

Result<uint64_t> SnapshotWriter::CatchUpTo(uint64_t size,
                                           const std::atomic<bool>* cancel) {
  size = std::min(size, ledger_.size());
  if (!listed_) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> sizes,
                     ledger_.ProjectionSnapshotSizes());
    present_.insert(sizes.begin(), sizes.end());
    listed_ = true;
  }
  uint64_t written = 0;
  for (uint64_t at = (done_ / every_ + 1) * every_; at <= size; at += every_) {
    if (cancel != nullptr && cancel->load()) break;
    if (present_.count(at) == 0) {
      if (!state_ || state_->size() > at || at - state_->size() > every_) {
        // Far from the state at hand (the first call, or after a run of
        // snapshots already stored): start from the nearest snapshot.
        state_.reset();
        ASSIGN_OR_RETURN(State s, StateAtSize(ledger_, at));
        state_ = std::move(s);
      } else {
        RETURN_IF_ERROR(CatchUp(ledger_, at, &*state_));
      }
      RETURN_IF_ERROR(ledger_.PutProjectionSnapshot(at, state_->Serialize()));
      present_.insert(at);
      ++written;
    }
    done_ = at;
  }
  return written;
}

Result<RecheckInfo> RecheckProjectionSnapshots(ledger::Ledger& ledger,
                                               uint64_t every) {
  every = std::max<uint64_t>(every, 1);
  const uint64_t size = ledger.size();
  ASSIGN_OR_RETURN(std::vector<uint64_t> stored,
                   ledger.ProjectionSnapshotSizes());
  std::set<uint64_t> targets;
  for (uint64_t at : stored) {
    if (at > 0 && at <= size) targets.insert(at);
  }
  for (uint64_t at = every; at <= size; at += every) targets.insert(at);
  RecheckInfo info;
  State state;
  for (uint64_t at : targets) {
    RETURN_IF_ERROR(CatchUp(ledger, at, &state));
    const std::string bytes = state.Serialize();
    auto snap = ledger.ProjectionSnapshotAtOrBelow(at, nullptr, at);
    if (snap.ok() && snap->bytes == bytes) {
      ++info.checked;
      continue;
    }
    if (!snap.ok() && snap.status().code() != StatusCode::kNotFound) {
      return snap.status();
    }
    RETURN_IF_ERROR(ledger.PutProjectionSnapshot(at, bytes));
    ++info.rewritten;
  }
  return info;
}

PastStates::PastStates(uint64_t every, std::function<bool()> over_budget)
    : every_(std::max<uint64_t>(every, 1)),
      over_budget_(std::move(over_budget)),
      spacing_(every_) {}

void PastStates::KeepFold() {
  // A copy costs a few pointers; from now on the fold copies what it
  // changes instead of changing the kept state.
  auto kept = std::make_shared<const State>(fold_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    kept_.emplace(fold_.size(), std::move(kept));
  }
  Thin();
}

void PastStates::Thin() {
  // Thinning halves the kept states; it stops once the spacing is past the
  // log (nothing left to drop) or cannot double any more.
  while (over_budget_ && spacing_.load() <= fold_.size() &&
         spacing_.load() < (uint64_t{1} << 62) && over_budget_()) {
    const uint64_t spacing = 2 * spacing_.load();
    std::vector<std::shared_ptr<const State>> dropped;  // freed unlocked
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = kept_.begin(); it != kept_.end();) {
        if (it->first % spacing != 0) {
          dropped.push_back(std::move(it->second));
          it = kept_.erase(it);
        } else {
          ++it;
        }
      }
      spacing_.store(spacing);
    }
  }
}

Status PastStates::Offer(const ledger::Ledger& ledger, const State& state) {
  if (state.size() <= fold_.size()) return Status::Ok();
  for (uint64_t at = (fold_.size() / spacing() + 1) * spacing();
       at <= state.size(); at = (at / spacing() + 1) * spacing()) {
    RETURN_IF_ERROR(CatchUp(ledger, at, &fold_));
    KeepFold();
    covered_.store(fold_.size());
  }
  fold_ = state;
  covered_.store(fold_.size());
  // The state offered grew the heap even when no state was kept.
  Thin();
  return Status::Ok();
}

void PastStates::Skip(const State& state) {
  if (state.size() < fold_.size()) return;
  fold_ = state;
  covered_.store(fold_.size());
  Thin();
}

Status PastStates::CatchUpTo(const ledger::Ledger& ledger, uint64_t size,
                             const std::atomic<bool>* cancel, bool* gave_up) {
  size = std::min(size, ledger.size());
  while (fold_.size() < size) {
    if (cancel != nullptr && cancel->load()) return Status::Ok();
    if (gave_up != nullptr && over_budget_ && over_budget_()) {
      // The kept states give way first; if the fold alone is too much,
      // it stops.
      Thin();
      if (over_budget_()) {
        *gave_up = true;
        return Status::Ok();
      }
    }
    const uint64_t next_multiple = (fold_.size() / spacing() + 1) * spacing();
    // The budget is looked at again at least every kBudgetCheckEntries.
    const uint64_t to =
        std::min({size, next_multiple,
                  gave_up != nullptr ? fold_.size() + kBudgetCheckEntries
                                     : next_multiple});
    RETURN_IF_ERROR(CatchUp(ledger, to, &fold_));
    if (to == next_multiple) KeepFold();
    covered_.store(fold_.size());
  }
  return Status::Ok();
}

std::shared_ptr<const State> PastStates::AtOrBefore(uint64_t size) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kept_.upper_bound(size);
  if (it == kept_.begin()) return nullptr;
  return std::prev(it)->second;
}

size_t PastStates::kept() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kept_.size();
}

}  // namespace piaojue::projections
