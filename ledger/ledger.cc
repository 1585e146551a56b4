// The RocksDB store: the only writer of a ledger. See docs/FORMAT.md,
// "RocksDB layout":
//
//   "m/format"                   -> "piaojue-ledger/2"
//   "m/head"                     -> be64 size || entry hash[32] || root[32]
//                                   || be64 last recordedAtMs
//                                   || nonce index digest[40]
//                                   || registry index digest[40] (160 bytes)
//   "e" || be64 index            -> entry bytes
//   "n" || u8 level || be64 idx  -> complete Merkle node hash (32 bytes)
//   "u" || SHA-256(key || nonce) -> be64 index        (nonce uniqueness)
//   "g" || be64 index            -> ""                (registry entries)
//   "c/latest"                   -> latest signed checkpoint (signed note)
//   "c/witnessed"                -> latest checkpoint cosigned by every
//                                   configured witness (same form)
//   "c/cosigned"                 -> latest checkpoint with witness
//                                   cosignatures (signed note)
//   "m/snapshot"                 -> be64 size || SHA-256(snapshot file)
//                                   (the projections snapshot's seal, 40 bytes)
//   "s" || be64 size             -> be64 size || entry hash[32] || root[32]
//                                   || SHA-256(state bytes)  (104 bytes: the
//                                   seal of a projection snapshot)
//   "p" || be64 size             -> state bytes (that projection snapshot)
//
// Invariant: every group of appends is one WriteBatch holding its entries,
// their Merkle nodes, nonce and registry keys, and the new head, written with
// sync before any append in the group is acknowledged. So the head always
// names the last entry written, and a crash loses only unacknowledged appends.
// The head's index digests (ledger/internal/side_index.h) summarize the "u"
// and "g" keys in the same batch; Open recomputes them and refuses writes
// when they disagree, so a lost or deleted index key can never let through
// what the verifier would refuse.
#include "ledger/ledger.h"

#include <fcntl.h>
#include <kj/exception.h>
#include <linux/futex.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "ledger/internal/side_index.h"
#include "ledger/internal/zero_filled_log.h"
#include "ledger/merkle.h"
#include "ledger/repair.h"
#include "ledger/text_validation.h"

namespace piaojue::ledger {

namespace {

int64_t MicrosecondsBetween(std::chrono::steady_clock::time_point from,
                            std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from)
      .count();
}

// RocksDB's own timers (its perf context) on this thread for one write:
// how long its log's write and sync, and its memtable insert, took. A few
// clock reads a write; the thread's level is put back however the write
// ends.
class StoreWriteTimers {
 public:
  StoreWriteTimers() : level_(rocksdb::GetPerfLevel()) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
    rocksdb::get_perf_context()->Reset();
  }
  ~StoreWriteTimers() { rocksdb::SetPerfLevel(level_); }
  StoreWriteTimers(const StoreWriteTimers&) = delete;
  StoreWriteTimers& operator=(const StoreWriteTimers&) = delete;

  int64_t log_us() const {
    return static_cast<int64_t>(rocksdb::get_perf_context()->write_wal_time /
                                1000);
  }
  int64_t memtable_us() const {
    return static_cast<int64_t>(
        rocksdb::get_perf_context()->write_memtable_time / 1000);
  }

 private:
  const rocksdb::PerfLevel level_;
};

constexpr std::string_view kFormatKey = "m/format";
constexpr std::string_view kFormatValue = "piaojue-ledger/2";
constexpr std::string_view kHeadKey = "m/head";
constexpr std::string_view kCheckpointKey = "c/latest";
constexpr std::string_view kCosignedCheckpointKey = "c/cosigned";
constexpr std::string_view kWitnessedCheckpointKey = "c/witnessed";
constexpr std::string_view kSnapshotSealKey = "m/snapshot";
constexpr size_t kSnapshotSealSize = 8 + 32;
constexpr size_t kProjectionSealSize = 8 + 3 * 32;
constexpr size_t kHeadBaseSize = 8 + 32 + 32 + 8;
constexpr size_t kHeadSize = kHeadBaseSize + 2 * internal::kIndexDigestSize;

// A write batch's bytes for one append besides its authored event: the
// entry's own fields and pointers (144), its nonce key and value (41), about
// two tree nodes (42 each) and RocksDB's record headers. An estimate for
// reserving the batch; nothing depends on it being exact.
constexpr size_t kBatchBytesPerAppend = 320;

void PutBe64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t GetBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

std::string EntryKey(uint64_t index) {
  std::string k = "e";
  PutBe64(&k, index);
  return k;
}

std::string NodeKey(uint8_t level, uint64_t index) {
  std::string k = "n";
  k.push_back(static_cast<char>(level));
  PutBe64(&k, index);
  return k;
}

std::string ProjectionSealKey(uint64_t size) {
  std::string k = "s";
  PutBe64(&k, size);
  return k;
}

std::string ProjectionBytesKey(uint64_t size) {
  std::string k = "p";
  PutBe64(&k, size);
  return k;
}

std::string RegistryKey(uint64_t index) {
  std::string k = "g";
  PutBe64(&k, index);
  return k;
}

std::string NonceKey(schema::AuthoredEvent::Reader a) {
  Hash h = crypto::Sha256(
      {crypto::Bytes(a.getAuthorKey().begin(), a.getAuthorKey().size()),
       crypto::Bytes(a.getNonce().begin(), a.getNonce().size())});
  std::string k = "u";
  k.append(reinterpret_cast<const char*>(h.data()), h.size());
  return k;
}

// Hashes a nonce key by 8 bytes of its SHA-256 ("u" || SHA-256(author key
// || nonce)): those bytes are already uniformly spread, so hashing all 33
// bytes again (std::hash walks them one by one) only costs time. A key of
// any other shape, which the ledger never makes, is hashed whole. The hash
// only picks a bucket: membership still compares whole keys. Keys chosen
// to collide cost a signed event each from a granted key, as they would
// against std::hash, which is unseeded too.
struct NonceKeyHash {
  size_t operator()(std::string_view key) const {
    if (key.size() < 1 + sizeof(uint64_t)) {
      return std::hash<std::string_view>()(key);
    }
    uint64_t h;
    std::memcpy(&h, key.data() + 1, sizeof(h));
    return static_cast<size_t>(h);
  }
};
using NonceKeySet = std::unordered_set<std::string_view, NonceKeyHash>;

// The head as stored: the public Head and the side-index digests.
struct StoredHead {
  Head head;
  internal::IndexDigests indexes;
};

std::string EncodeHead(const Head& h, const internal::IndexDigests& indexes) {
  std::string out;
  PutBe64(&out, h.size);
  out.append(reinterpret_cast<const char*>(h.last_entry_hash.data()), 32);
  out.append(reinterpret_cast<const char*>(h.root.data()), 32);
  PutBe64(&out, static_cast<uint64_t>(h.last_recorded_at_ms));
  internal::AppendIndexDigest(indexes.nonces, &out);
  internal::AppendIndexDigest(indexes.registry, &out);
  return out;
}

Result<StoredHead> DecodeHead(std::string_view v) {
  if (v.size() != kHeadSize) {
    return Corruption("head record has " + std::to_string(v.size()) +
                      " bytes, expected " + std::to_string(kHeadSize) +
                      (v.size() == kHeadBaseSize
                           ? " (a store written before the head carried "
                             "index digests; rebuild it from an export)"
                           : ""));
  }
  StoredHead stored;
  Head& h = stored.head;
  h.size = GetBe64(v.data());
  std::memcpy(h.last_entry_hash.data(), v.data() + 8, 32);
  std::memcpy(h.root.data(), v.data() + 40, 32);
  h.last_recorded_at_ms = static_cast<int64_t>(GetBe64(v.data() + 72));
  stored.indexes.nonces = internal::ReadIndexDigest(v.data() + kHeadBaseSize);
  stored.indexes.registry = internal::ReadIndexDigest(
      v.data() + kHeadBaseSize + internal::kIndexDigestSize);
  return stored;
}

// Stages an index key in `batch` and adds it to its digest.
void PutIndexKey(rocksdb::WriteBatch* batch, internal::IndexDigest* digest,
                 std::string_view key, std::string_view value) {
  batch->Put(key, value);
  digest->Add(key, value);
}

// The one place rocksdb::Status becomes a piaojue Status.
Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(context) + ": " + s.ToString();
  if (s.IsNotFound()) return NotFound(msg);
  if (s.IsCorruption()) return Corruption(msg);
  return IOError(msg);
}

// Runs `fn`, storing its result in `*out`. An exception (a bug in a
// validator, or a Cap'n Proto accessor meeting bytes it cannot read) is
// returned as a Status instead of leaving the group-commit leader: kInternal
// for a bug, kCorruption for bytes that could not be read.
template <typename Fn, typename R>
std::optional<Status> CallCatching(Fn& fn, R* out) {
  try {
    *out = fn();
    return std::nullopt;
  } catch (const kj::Exception& e) {
    return Corruption("the event could not be read: " + DescribeException(e));
  } catch (const std::exception& e) {
    return Internal(std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return Internal("unexpected exception");
  }
}

// Blocks while *word == expected (or until a wake or a signal: the caller
// rechecks). The kernel compares atomically with FutexWakeAll's wake.
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE,
          expected, nullptr, nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE,
          std::numeric_limits<int>::max(), nullptr, nullptr, 0);
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class Ledger::Impl {
 public:
  Impl(std::unique_ptr<rocksdb::DB> db, LedgerOptions options, bool read_only)
      : db_(std::move(db)),
        options_(std::move(options)),
        read_only_(read_only) {
    if (!options_.clock) options_.clock = SystemNowMs;
    write_options_.sync = options_.sync;
  }

  // Stops the nonce index check if it still runs (queued appends are then
  // refused), completes every queued append (the writer thread leads what
  // remains), then stops the writer thread.
  ~Impl() {
    side_check_cancel_.store(true);
    if (side_checker_.joinable()) side_checker_.join();
    {
      std::lock_guard l(mu_);
      stop_ = true;
    }
    committer_cv_.notify_all();
    if (committer_.joinable()) committer_.join();
  }

  Status LoadExisting();
  // Recomputes the side-index digests and compares them with the head's
  // (`stored`). A disagreement is not an error of Open: it sets
  // write_refusal_ (reads stay possible) and, for the registry, rebuilds
  // authority_ from the entries themselves. Non-OK only for I/O failures.
  // The registry markers are checked here; the nonce keys (writable opens
  // only) by CheckNonceIndex on side_checker_, started here.
  Status CheckSideIndexes(const internal::IndexDigests& stored);
  // side_checker_'s work: digests the nonce keys, compares them with the
  // head's (`stored`, of a log of `size` entries), then publishes the
  // outcome (PublishSideCheck).
  void CheckNonceIndex(uint64_t size, internal::IndexDigest stored);
  // Sets write_refusal_ from the problems found (none: writes allowed) or
  // `error` (the check could not finish), then marks the check done and
  // wakes whoever waits for it. Called once per Open.
  void PublishSideCheck(const std::string& nonce_problem, Status error);
  Status RebuildAuthorityFromEntries();
  Result<AppendResult> Append(const SignedEvent& signed_event,
                              bool allow_empty);
  void AppendAsync(SignedEvent signed_event, AppendCallback done);

  Head head() const {
    std::lock_guard l(mu_);
    return head_;
  }

  Result<std::string> Get(std::string_view key) const {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return NotFound("key not found");
    RETURN_IF_ERROR(FromRocks(s, "read"));
    return value;
  }

  Result<std::string> ReadEntry(uint64_t index) const {
    uint64_t size = head().size;
    if (index >= size) {
      return OutOfRange("entry " + std::to_string(index) +
                        " is beyond the log size " + std::to_string(size));
    }
    auto v = Get(EntryKey(index));
    if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
      return Corruption("entry " + std::to_string(index) +
                        " is missing from the store");
    }
    return v;
  }

  Result<Hash> ReadNode(uint8_t level, uint64_t index) const {
    if (std::optional<Hash> recent = RecentNode(level, index)) return *recent;
    auto v = Get(NodeKey(level, index));
    if (!v.ok()) {
      if (v.status().code() == StatusCode::kNotFound) {
        return NotFound("Merkle node (" + std::to_string(level) + ", " +
                        std::to_string(index) + ") is not stored");
      }
      return v.status();
    }
    if (v->size() != crypto::kHashSize) {
      return Corruption("Merkle node has " + std::to_string(v->size()) +
                        " bytes");
    }
    Hash h;
    std::memcpy(h.data(), v->data(), h.size());
    return h;
  }

  // The nodes of the latest groups written, per level: a reader following
  // the head (the server's tree cache reads every node each group
  // completes) gets them without a store read. Only written nodes are kept:
  // a node is added after its group's write succeeded, so it answers
  // exactly as the store would.
  struct RecentNodes {
    uint64_t first = 0;  // the index of hashes.front()
    std::deque<Hash> hashes;
  };
  static constexpr size_t kRecentNodesPerLevel = 1024;
  std::optional<Hash> RecentNode(uint8_t level, uint64_t index) const {
    std::lock_guard l(recent_mu_);
    if (level >= recent_nodes_.size()) return std::nullopt;
    const RecentNodes& r = recent_nodes_[level];
    if (index < r.first || index - r.first >= r.hashes.size()) {
      return std::nullopt;
    }
    return r.hashes[index - r.first];
  }
  // Called by the leader after its group's write succeeded, groups in log
  // order: `nodes` in the order the frontier produced them.
  void KeepRecentNodes(const std::vector<merkle::StoredNode>& nodes) {
    std::lock_guard l(recent_mu_);
    for (const merkle::StoredNode& n : nodes) {
      if (n.level >= recent_nodes_.size()) recent_nodes_.resize(n.level + 1);
      RecentNodes& r = recent_nodes_[n.level];
      if (r.hashes.empty() || n.index != r.first + r.hashes.size()) {
        r.hashes.clear();  // not next to what is kept: start afresh
        r.first = n.index;
      }
      r.hashes.push_back(n.hash);
      if (r.hashes.size() > kRecentNodesPerLevel) {
        r.hashes.pop_front();
        ++r.first;
      }
    }
  }

  merkle::NodeReader node_reader() const {
    return [this](uint8_t level, uint64_t index) {
      return ReadNode(level, index);
    };
  }

  static Status NonceReused() {
    return AlreadyExists(
        "this author key already used this nonce "
        "(a replayed or duplicated submission)");
  }
  // OK only when the store says the nonce key is absent: a lookup that
  // fails to read is not evidence of absence, and treating it as such would
  // let a replayed submission be written a second time.
  Status LookupNonce(const std::string& nonce_key) const {
    Result<std::string> stored = Get(nonce_key);
    if (stored.status().code() == StatusCode::kNotFound) return Status();
    if (!stored.ok()) {
      return Status(stored.status().code(),
                    "the nonce index could not be read to rule out a "
                    "replay; nothing was written (" +
                        stored.status().message() + ")");
    }
    return NonceReused();
  }
  // The nonce of an append, looked up in the store on the caller's thread
  // before it is queued (LookUpNonce), so that the leader, one group at a
  // time, need only look at the entries written since (NonceUnused).
  struct NonceLookup {
    std::string key;
    // Entries [0, durable_below) were durable before the lookup, so the
    // store it read held their nonce keys.
    uint64_t durable_below = 0;
    Status found;  // OK (absent), AlreadyExists, or why it was not read
  };
  NonceLookup LookUpNonce(const DecodedEvent& decoded) const {
    NonceLookup n;
    n.key = NonceKey(decoded.get());
    n.durable_below = durable_size_.load(std::memory_order_acquire);
    n.found = LookupNonce(n.key);
    return n;
  }
  // The leader's check: not among `pending` (the group's entries placed so
  // far), not in the store when the caller looked, and not among the
  // entries written since; looked up again when the caller's lookup failed
  // to read or is older than the nonces kept.
  Status NonceUnused(const NonceLookup& n, const NonceKeySet& pending) const {
    if (pending.count(n.key)) return NonceReused();
    if (n.found.code() == StatusCode::kAlreadyExists) return n.found;
    if (n.found.ok() && n.durable_below >= recent_nonces_first() &&
        n.key.size() == 1 + crypto::kHashSize) {
      return WrittenSince(n.key, n.durable_below) ? NonceReused() : Status();
    }
    return LookupNonce(n.key);
  }
  uint64_t recent_nonces_first() const {
    return recent_nonces_end_ - recent_nonces_count_;
  }
  // Whether `key` ("u" || SHA-256) is the nonce key of one of the kept
  // entries [from, recent_nonces_end_); from >= recent_nonces_first(). A
  // scan of those entries' first 8 hash bytes, contiguous in the ring: at
  // 64 appenders a lookup is one or two groups old (tens of entries), and
  // even all 8,192 are 64 KB of words compared in order, with no hashing,
  // allocation or pointer to chase.
  bool WrittenSince(std::string_view key, uint64_t from) const {
    uint64_t digest;
    std::memcpy(&digest, key.data() + 1, sizeof(digest));
    auto matches = [&](uint64_t begin, uint64_t end) {  // ring positions
      for (uint64_t p = begin; p < end; ++p) {
        if (recent_nonce_digests_[p] == digest &&
            std::memcmp(recent_nonce_hashes_[p].data(), key.data() + 1,
                        crypto::kHashSize) == 0) {
          return true;
        }
      }
      return false;
    };
    const uint64_t count = recent_nonces_end_ - from;
    const uint64_t begin = from % kRecentNonces;
    const uint64_t first_part = std::min(count, kRecentNonces - begin);
    return matches(begin, begin + first_part) || matches(0, count - first_part);
  }
  struct Writer;  // an append queued for the group commit (below)
  // Keeps the nonce keys of the entries a group wrote (in log order; the
  // group's first entry is `first`, right after the entries kept so far),
  // overwriting the oldest beyond kRecentNonces. Leader only, after the
  // group's write succeeded.
  void KeepRecentNonces(uint64_t first, const std::vector<Writer*>& placed) {
    if (recent_nonces_count_ == 0) recent_nonces_end_ = first;
    for (const Writer* x : placed) {
      const std::string& key = x->nonce.key;
      const uint64_t p = recent_nonces_end_ % kRecentNonces;
      if (key.size() == 1 + crypto::kHashSize) {
        std::memcpy(&recent_nonce_digests_[p], key.data() + 1,
                    sizeof(uint64_t));
        std::memcpy(recent_nonce_hashes_[p].data(), key.data() + 1,
                    crypto::kHashSize);
      } else {
        // Never made by NonceKey; kept as a key no nonce key equals, and
        // its own lookup goes to the store (NonceUnused).
        recent_nonce_digests_[p] = 0;
        recent_nonce_hashes_[p].fill(0);
      }
      ++recent_nonces_end_;
      recent_nonces_count_ = std::min(recent_nonces_count_ + 1, kRecentNonces);
    }
  }

  // `pending`: the entries placed so far in the group being placed, the
  // first of them at index `first`.
  Result<CorrectionTarget> LookupTarget(
      uint64_t index, uint64_t first,
      const std::vector<EntryView>& pending) const {
    std::optional<EntryView> view;
    if (index >= first && index - first < pending.size()) {
      view = pending[index - first];
    } else {
      auto bytes = Get(EntryKey(index));
      if (bytes.status().code() == StatusCode::kNotFound) {
        return NotFound("correction targets entry " + std::to_string(index) +
                        ", which does not exist");
      }
      RETURN_IF_ERROR(bytes.status());
      ASSIGN_OR_RETURN(EntryView v, EntryView::Parse(*bytes));
      view = std::move(v);
    }
    CorrectionTarget t;
    t.kind = view->event().which();
    t.jurisdiction = ledger::TextString(view->authored().getJurisdiction());
    t.roles = RolesAllowedFor(view->event());
    return t;
  }

  // Why a write must not be tried now (not sticky, unlike failed_): the
  // disk is nearly full, or the store is still recovering from a failed
  // checkpoint or seal write. Checked before anything of a group is
  // placed, so a refusal changes no state. Safe from any thread.
  Status CheckStore();
  // Records that a write outside Append failed (RocksDB then stops writes
  // until it recovers; CheckStore resumes it).
  void NoteStoreError() { store_error_.store(true); }

  std::unique_ptr<rocksdb::DB> db_;
  LedgerOptions options_;
  bool read_only_;
  rocksdb::WriteOptions write_options_;
  std::string dir_;
  std::atomic<bool> store_error_{false};

  // Writers queue (LevelDB-style group commit). One leader at a time takes
  // a group from the front of the queue, places it, writes it and completes
  // its members; then the front of the queue leads next: a waiting Append
  // leads its own group (it is awake anyway), a group that begins with an
  // AppendAsync is led by the writer thread (committer_), so no thread
  // waits per pending asynchronous append.
  //
  // A sync writer waits without mu_ for its `turn`: the leader that
  // completes it (or hands it the next group) sets the turn after
  // releasing mu_, so a woken member neither queues on mu_ behind the
  // leader nor takes it at all to return. The wake goes through a slot of
  // wake_slots_, which the Impl owns: once the turn is set the writer (on
  // its thread's stack) may be gone, and only the slot is touched after.
  enum class Turn : uint32_t { kWait, kDone, kLead };
  struct Writer {
    const SignedEvent* signed_event = nullptr;
    const DecodedEvent* decoded = nullptr;
    NonceLookup nonce;
    bool allow_empty = false;
    std::atomic<Turn> turn{Turn::kWait};  // sync writers, by Wake
    uint32_t slot = 0;                    // sync writers: its wake slot
    Result<AppendResult> result = Status(StatusCode::kUnavailable, "pending");
    AppendCallback callback;  // set for (and only for) async writers
    bool async() const { return callback != nullptr; }
  };
  // Sync writers sharing a slot are all woken (each rechecks its turn);
  // apart in cache lines so that waking one slot does not disturb others.
  // A futex rather than std::atomic::wait, whose spin of sched_yield calls
  // before sleeping doubled the context switches of 64 appenders.
  struct alignas(64) WakeSlot {
    std::atomic<uint32_t> epoch{0};
    std::atomic<uint32_t> sleepers{0};  // threads in (or entering) the wait
  };
  static constexpr uint32_t kWakeSlots = 64;
  // Sets x's turn and wakes it. x must not be touched after: call without
  // mu_, once per sync writer.
  void Wake(Writer* x, Turn turn) {
    WakeSlot& slot = wake_slots_[x->slot];
    x->turn.store(turn, std::memory_order_release);
    slot.epoch.fetch_add(1, std::memory_order_seq_cst);
    // No system call when no writer of the slot sleeps (the leader's own
    // writer, a member still on its way to the wait): the sleeper counts
    // itself before its last look at the epoch, so one of the two sees
    // the other.
    if (slot.sleepers.load(std::memory_order_seq_cst) != 0) {
      FutexWakeAll(&slot.epoch);
    }
  }
  // Blocks until w's turn is set; returns it.
  Turn AwaitTurn(const Writer& w) {
    WakeSlot& slot = wake_slots_[w.slot];
    while (true) {
      // The epoch first: a turn set after this load also changes the
      // epoch, so the wait below returns at once instead of missing it.
      const uint32_t epoch = slot.epoch.load(std::memory_order_acquire);
      const Turn turn = w.turn.load(std::memory_order_acquire);
      if (turn != Turn::kWait) return turn;
      slot.sleepers.fetch_add(1, std::memory_order_seq_cst);
      if (slot.epoch.load(std::memory_order_seq_cst) == epoch) {
        FutexWait(&slot.epoch, epoch);
      }
      slot.sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  // An async writer owns its event; deleted once its callback returned.
  struct AsyncWriter : Writer {
    AsyncWriter(SignedEvent e, DecodedEvent d)
        : event(std::move(e)), decoded_event(std::move(d)) {
      signed_event = &event;
      decoded = &decoded_event;
    }
    SignedEvent event;
    DecodedEvent decoded_event;
  };
  // With mu_ held, leading_ set for this thread (or no group being led),
  // writers_ not empty: leads one group from the front of the queue and
  // completes its members (after mu_ is released: sync ones are woken,
  // async ones' callbacks run). Returns with mu_ released.
  void LeadGroup(std::unique_lock<std::mutex>& l);
  // With mu_ held, once a group is finished: passes the lead to the front
  // of the queue, if any. A sync front is returned, leading_ set on its
  // behalf, to be woken (Wake with kLead) once mu_ is released; an async
  // front is the writer thread's, notified here. Null when no sync writer
  // is to be woken.
  Writer* PassLead();
  // The writer thread: leads every group whose front is an async writer.
  void CommitLoop();

  mutable std::mutex mu_;
  std::deque<Writer*> writers_;  // guarded by mu_
  bool leading_ = false;         // guarded by mu_; a group is being led
  bool stop_ = false;            // guarded by mu_; the destructor runs
  std::condition_variable committer_cv_;
  std::thread committer_;  // started by the first AppendAsync
  std::array<WakeSlot, kWakeSlots> wake_slots_;
  mutable std::mutex recent_mu_;  // a leaf lock: nothing is taken under it
  std::vector<RecentNodes> recent_nodes_;  // guarded by recent_mu_
  std::atomic<uint32_t> next_wake_slot_{0};
  Head head_;      // guarded by mu_; durable state only
  Status failed_;  // guarded by mu_; sticky write failure

  // head_.size, readable without mu_ (LookUpNonce).
  std::atomic<uint64_t> durable_size_{0};

  // Only the leader touches these (one leader at a time).
  merkle::Frontier frontier_;
  // The nonce keys (their SHA-256, and its first 8 bytes apart for the
  // scan) of the last recent_nonces_count_ entries written, ending at
  // recent_nonces_end_ (head_.size once written): entry i at position
  // i % kRecentNonces. None kept yet: recent_nonces_first() is UINT64_MAX.
  static constexpr uint64_t kRecentNonces = 8192;
  std::vector<uint64_t> recent_nonce_digests_ =
      std::vector<uint64_t>(kRecentNonces);
  std::vector<Hash> recent_nonce_hashes_ = std::vector<Hash>(kRecentNonces);
  uint64_t recent_nonces_end_ = UINT64_MAX;
  uint64_t recent_nonces_count_ = 0;
  internal::IndexDigests indexes_;  // as of the leader's last placed entry
  // Why this ledger refuses appends although it opened (side indexes that
  // disagree with the head). Set once, before side_checked_ becomes true,
  // then constant: read it only after seeing side_checked_ true.
  Status write_refusal_;
  // Open's check of the side indexes is done (write_refusal_ is final).
  // Written under mu_ (side_checked_cv_ waits on it), read without it by
  // the appenders' early refusal.
  std::atomic<bool> side_checked_{true};
  std::condition_variable side_checked_cv_;  // with mu_
  std::string registry_problem_;  // Open's finding, for the refusal's text
  std::thread side_checker_;      // runs CheckNonceIndex
  std::atomic<bool> side_check_cancel_{false};  // the destructor stops it
  Authority authority_;  // written under registry_mu_ too
  mutable std::mutex registry_mu_;
  std::mutex checkpoint_mu_;  // serializes SignCheckpoint
  std::string origin_;
};

Status Ledger::Impl::CheckStore() {
  if (options_.min_free_bytes > 0) {
    uint64_t free = 0;
    // A file system that cannot tell is not refused.
    rocksdb::IOStatus s = db_->GetEnv()->GetFileSystem()->GetFreeSpace(
        dir_, rocksdb::IOOptions(), &free, nullptr);
    if (s.ok() && free < options_.min_free_bytes) {
      return Unavailable(
          "the disk holding the ledger is full: " + std::to_string(free >> 20) +
          " MiB free, less than the " +
          std::to_string(options_.min_free_bytes >> 20) +
          " MiB kept in reserve; nothing was written; writes are accepted "
          "again once space is freed");
    }
  }
  if (store_error_.load()) {
    // RocksDB stops writes after a failed write until it recovers (it does
    // so by itself once space returns; Resume asks for it now).
    rocksdb::Status r = db_->Resume();
    if (!r.ok()) {
      return Unavailable("the store has not recovered from a failed write (" +
                         r.ToString() + "); nothing was written");
    }
    store_error_.store(false);
  }
  return Status::Ok();
}

Status Ledger::Impl::LoadExisting() {
  auto format = Get(kFormatKey);
  if (!format.ok()) {
    if (format.status().code() == StatusCode::kNotFound) {
      return NotFound("no piaojue ledger in this directory");
    }
    return format.status();
  }
  if (*format != kFormatValue) {
    return Corruption("unsupported ledger format \"" + *format + "\"");
  }
  auto head_bytes = Get(kHeadKey);
  if (!head_bytes.ok()) {
    return Corruption("ledger has no head record");
  }
  ASSIGN_OR_RETURN(StoredHead stored, DecodeHead(*head_bytes));
  const Head& head = stored.head;
  if (head.size == 0) return Corruption("ledger head says the log is empty");

  // The head must name the last entry: it exists, hashes to the head's hash,
  // and nothing is stored after it.
  auto last = Get(EntryKey(head.size - 1));
  if (!last.ok()) {
    return Corruption("head names entry " + std::to_string(head.size - 1) +
                      ", which is missing");
  }
  auto view = EntryView::Parse(*last);
  if (!view.ok()) {
    return Corruption("last entry " + std::to_string(head.size - 1) + ": " +
                      view.status().message());
  }
  if (view->index() != head.size - 1 ||
      view->EntryHash() != head.last_entry_hash) {
    return Corruption("head does not match entry " +
                      std::to_string(head.size - 1));
  }
  Result<std::string> beyond = Get(EntryKey(head.size));
  if (beyond.ok()) {
    return Corruption("entries are stored beyond the head (size " +
                      std::to_string(head.size) + ")");
  }
  if (beyond.status().code() != StatusCode::kNotFound) return beyond.status();
  ASSIGN_OR_RETURN(frontier_, merkle::Frontier::Load(node_reader(), head.size));
  if (frontier_.Root() != head.root) {
    return Corruption("stored Merkle tree root does not match the head");
  }
  ASSIGN_OR_RETURN(Hash last_leaf, ReadNode(0, head.size - 1));
  if (last_leaf != view->LeafHash()) {
    return Corruption("stored leaf hash of the last entry does not match it");
  }

  head_ = head;
  durable_size_.store(head.size, std::memory_order_release);
  RETURN_IF_ERROR(CheckSideIndexes(stored.indexes));
  if (!authority_.has_genesis()) {
    return Corruption("registry has no genesis entry");
  }
  origin_ = authority_.origin();
  return Status::Ok();
}

Status Ledger::Impl::CheckSideIndexes(const internal::IndexDigests& stored) {
  const uint64_t size = head_.size;
  std::string registry_problem;
  std::string nonce_problem;
  auto problem_or = [](std::string* problem, std::string text) {
    if (problem->empty()) *problem = std::move(text);
  };

  // Registry markers: replay the entries they name (few), never the whole
  // log. A marker that names no registry entry is a disagreement too.
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions()));
  // The entries they name come in ascending order and mostly in runs (a
  // county's jurisdictions and keys are registered together): one iterator
  // steps from one to the next, where a point read of each cost a lookup
  // of its block (two thirds of opening a 1,000,000-entry ledger).
  std::unique_ptr<rocksdb::Iterator> entries(
      db_->NewIterator(rocksdb::ReadOptions()));
  auto read_entry = [&](uint64_t index) -> Result<std::string_view> {
    const std::string key = EntryKey(index);
    constexpr int kMaxSteps = 32;  // farther than this: seek
    for (int i = 0;
         i < kMaxSteps && entries->Valid() && entries->key().compare(key) < 0;
         ++i) {
      entries->Next();
    }
    if (!entries->Valid() || entries->key().compare(key) != 0) {
      entries->Seek(key);
    }
    RETURN_IF_ERROR(FromRocks(entries->status(), "read"));
    if (!entries->Valid() || entries->key().compare(key) != 0) {
      return NotFound("key not found");
    }
    return entries->value().ToStringView();
  };
  ASSIGN_OR_RETURN(
      internal::IndexDigest registry,
      internal::DigestIndex(
          it.get(), 'g',
          [&](std::string_view key, std::string_view value) -> Status {
            if (key.size() != 9 || !value.empty()) {
              problem_or(&registry_problem, "a malformed registry key");
              return Status::Ok();
            }
            const uint64_t index = GetBe64(key.data() + 1);
            if (index >= size) {
              problem_or(&registry_problem,
                         "a registry key beyond the head (entry " +
                             std::to_string(index) + ")");
              return Status::Ok();
            }
            auto bytes = read_entry(index);
            if (!bytes.ok()) {
              return bytes.status().code() == StatusCode::kNotFound
                         ? Corruption("entry " + std::to_string(index) +
                                      " is missing from the store")
                         : bytes.status();
            }
            ASSIGN_OR_RETURN(EntryView e, EntryView::Parse(*bytes));
            if (!IsRegistryEvent(e.event().which())) {
              problem_or(&registry_problem,
                         "a registry key for entry " + std::to_string(index) +
                             ", which is a " + EventKindName(e.event()));
              return Status::Ok();
            }
            authority_.Apply(index, e.authored());
            return Status::Ok();
          }));
  RETURN_IF_ERROR(FromRocks(it->status(), "registry scan"));
  if (registry_problem.empty() && !(registry == stored.registry)) {
    registry_problem = std::to_string(registry.count) +
                       " registry keys whose digest differs from the "
                       "head's (" +
                       std::to_string(stored.registry.count) + " keys)";
  }

  indexes_.registry = registry;
  registry_problem_ = registry_problem;
  if (!registry_problem.empty()) {
    // The registry decides who may write; rebuild it from the entries so
    // that what this process reports about keys is true.
    authority_ = Authority();
    RETURN_IF_ERROR(RebuildAuthorityFromEntries());
  }

  // Nonce keys: one per entry. Only a writer relies on them (to refuse a
  // replayed submission), so a read-only open skips this pass over them. A
  // writer reads them on a thread of its own: the pass grows with the log
  // (0.3 s of CPU at a million entries), reads do not need it, and every
  // append waits for its outcome in LeadGroup before anything is placed.
  if (read_only_) {
    PublishSideCheck("", Status::Ok());
    return Status::Ok();
  }
  side_checked_.store(false);
  side_checker_ = std::thread([this, size, stored_nonces = stored.nonces] {
    CheckNonceIndex(size, stored_nonces);
  });
  return Status::Ok();
}

void Ledger::Impl::CheckNonceIndex(uint64_t size,
                                   internal::IndexDigest stored) {
  if (options_.before_side_index_check) options_.before_side_index_check();
  std::string nonce_problem;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // one pass: keep the cache for the hot set
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  uint64_t seen = 0;
  Result<internal::IndexDigest> nonces = internal::DigestIndex(
      it.get(), 'u',
      [&](std::string_view key, std::string_view value) -> Status {
        if ((++seen & 0xfff) == 0 && side_check_cancel_.load()) {
          return Unavailable(
              "the ledger closed before its nonce index was checked; "
              "nothing was appended");
        }
        if (nonce_problem.empty() &&
            (key.size() != 1 + crypto::kHashSize || value.size() != 8 ||
             GetBe64(value.data()) >= size)) {
          nonce_problem = "a malformed nonce key";
        }
        return Status::Ok();
      });
  Status error = nonces.status();
  if (error.ok()) error = FromRocks(it->status(), "nonce index scan");
  it.reset();
  if (error.ok()) {
    if (nonce_problem.empty() && nonces->count != size) {
      nonce_problem = std::to_string(nonces->count) + " nonce keys for " +
                      std::to_string(size) + " entries";
    } else if (nonce_problem.empty() && !(*nonces == stored)) {
      nonce_problem = "nonce keys whose digest differs from the head's";
    }
    indexes_.nonces = *nonces;
  } else if (error.code() != StatusCode::kUnavailable) {
    // Before, Open itself failed with this error; now the ledger is open
    // for reading, so the writes are what is refused.
    error = Status(error.code(),
                   "the nonce index could not be read (" + error.message() +
                       "); writes are refused (reads still work); reopen "
                       "the ledger to check it again");
  }
  PublishSideCheck(nonce_problem, std::move(error));
}

void Ledger::Impl::PublishSideCheck(const std::string& nonce_problem,
                                    Status error) {
  Status refusal = std::move(error);
  if (refusal.ok() && (!registry_problem_.empty() || !nonce_problem.empty())) {
    std::string what = registry_problem_.empty()
                           ? "the nonce index has " + nonce_problem
                           : "the registry index has " + registry_problem_;
    if (!registry_problem_.empty() && !nonce_problem.empty()) {
      what += "; the nonce index has " + nonce_problem;
    }
    refusal = Corruption(
        "side indexes disagree with the head: " + what +
        ". They were changed outside the writer, so appending could accept "
        "what a verifier refuses; writes are refused (reads still work). "
        "See docs/VERIFY.md, \"Side data\"");
  }
  {
    std::lock_guard l(mu_);
    write_refusal_ = refusal;
    side_checked_.store(true);
  }
  // Appends queued meanwhile wait for this in LeadGroup.
  side_checked_cv_.notify_all();
  if (!read_only_ && options_.on_side_indexes_checked) {
    options_.on_side_indexes_checked(refusal);
  }
}

Status Ledger::Impl::RebuildAuthorityFromEntries() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  uint64_t index = 0;
  for (it->Seek(EntryKey(0)); it->Valid() && index < head_.size;
       it->Next(), ++index) {
    if (it->key() != EntryKey(index)) {
      return Corruption("entry " + std::to_string(index) +
                        " is missing from the store");
    }
    ASSIGN_OR_RETURN(EntryView e, EntryView::Parse(it->value().ToStringView()));
    if (IsRegistryEvent(e.event().which())) {
      authority_.Apply(index, e.authored());
    }
  }
  return FromRocks(it->status(), "registry rebuild");
}

Result<AppendResult> Ledger::Impl::Append(const SignedEvent& signed_event,
                                          bool allow_empty) {
  if (read_only_) return Unavailable("the ledger is open read-only");
  // Refused early when the side indexes are known to be wrong; while they
  // are being checked, LeadGroup holds the append until they are.
  if (side_checked_.load() && !write_refusal_.ok()) {
    return Unavailable("writes are refused: " + write_refusal_.message());
  }
  // Decoding and the signature check run on the caller's thread, so
  // concurrent appenders verify in parallel; only placement is serialized.
  ASSIGN_OR_RETURN(DecodedEvent decoded, CheckSignedEvent(signed_event));
  // Never append what this build cannot interpret (an unknown event kind or
  // enum value): InvalidArgument, before any authorization question.
  RETURN_IF_ERROR(CheckKnownToThisVersion(decoded.get()));

  Writer w;
  w.signed_event = &signed_event;
  w.decoded = &decoded;
  w.nonce = LookUpNonce(decoded);
  w.allow_empty = allow_empty;
  w.slot = next_wake_slot_.fetch_add(1, std::memory_order_relaxed) % kWakeSlots;

  std::unique_lock l(mu_);
  writers_.push_back(&w);
  if (!leading_ && writers_.front() == &w) {
    LeadGroup(l);
    return std::move(w.result);
  }
  l.unlock();
  if (AwaitTurn(w) == Turn::kLead) {
    // The group that begins with w is this thread's to lead.
    l.lock();
    LeadGroup(l);
  }
  return std::move(w.result);
}

void Ledger::Impl::AppendAsync(SignedEvent signed_event, AppendCallback done) {
  if (read_only_) return done(Unavailable("the ledger is open read-only"));
  if (side_checked_.load() && !write_refusal_.ok()) {
    return done(Unavailable("writes are refused: " + write_refusal_.message()));
  }
  Result<DecodedEvent> decoded = CheckSignedEvent(signed_event);
  if (!decoded.ok()) return done(decoded.status());
  if (Status known = CheckKnownToThisVersion(decoded->get()); !known.ok()) {
    return done(known);
  }
  auto w = std::make_unique<AsyncWriter>(std::move(signed_event),
                                         std::move(decoded).value());
  w->callback = std::move(done);
  w->nonce = LookUpNonce(w->decoded_event);
  std::unique_lock l(mu_);
  if (stop_) {
    l.unlock();
    return w->callback(
        Unavailable("the ledger is closing; nothing was appended"));
  }
  if (!committer_.joinable()) {
    committer_ = std::thread([this] { CommitLoop(); });
  }
  Writer* raw = w.release();
  writers_.push_back(raw);
  if (!leading_ && writers_.front() == raw) committer_cv_.notify_one();
}

void Ledger::Impl::CommitLoop() {
  std::unique_lock l(mu_);
  while (true) {
    committer_cv_.wait(l, [&] {
      return (!leading_ && !writers_.empty() && writers_.front()->async()) ||
             (stop_ && writers_.empty() && !leading_);
    });
    if (writers_.empty()) return;  // stopping, and nothing left to write
    LeadGroup(l);
    l.lock();
  }
}

Ledger::Impl::Writer* Ledger::Impl::PassLead() {
  leading_ = false;
  if (writers_.empty()) return nullptr;
  if (writers_.front()->async()) {
    committer_cv_.notify_one();
    return nullptr;
  }
  leading_ = true;  // held for the front until it wakes and leads
  return writers_.front();
}

void Ledger::Impl::LeadGroup(std::unique_lock<std::mutex>& l) {
  leading_ = true;
  // Members are completed with mu_ held (their results set, dequeued) and
  // told once it is released: sync ones are woken, async ones' callbacks
  // run (a callback may read the head).
  std::vector<Writer*> finished_sync;
  std::vector<Writer*> finished_async;
  auto complete = [&](Writer* x) {
    (x->async() ? finished_async : finished_sync).push_back(x);
  };
  auto finish = [&](const GroupStats& stats) {
    Writer* next_leader = PassLead();
    l.unlock();
    if (options_.on_group) options_.on_group(stats);
    for (Writer* x : finished_sync) Wake(x, Turn::kDone);
    if (next_leader) Wake(next_leader, Turn::kLead);
    for (Writer* x : finished_async) {
      std::unique_ptr<AsyncWriter> owned(static_cast<AsyncWriter*>(x));
      owned->callback(std::move(owned->result));
    }
  };

  // Nothing is placed before Open's check of the side indexes is done:
  // an append queued meanwhile is acknowledged only if they agree.
  side_checked_cv_.wait(l, [&] { return side_checked_.load(); });
  if (!failed_.ok() || !write_refusal_.ok()) {
    const Status refused =
        !write_refusal_.ok()
            ? Unavailable("writes are refused: " + write_refusal_.message())
            : Unavailable(
                  "the ledger refused writes after an earlier "
                  "failure: " +
                  failed_.ToString());
    GroupStats stats;
    stats.members = writers_.size();
    for (Writer* x : writers_) {
      x->result = refused;
      complete(x);
    }
    writers_.clear();
    return finish(stats);
  }
  std::vector<Writer*> group(
      writers_.begin(),
      writers_.begin() +
          std::min<size_t>(writers_.size(),
                           std::max<size_t>(1, options_.max_group)));
  GroupStats stats;
  stats.members = group.size();
  Head h = head_;
  l.unlock();
  const auto placing_began = std::chrono::steady_clock::now();

  // A full disk refuses the whole group before anything is placed: no
  // state changes, so writes resume as soon as there is room.
  if (Status store = CheckStore(); !store.ok()) {
    l.lock();
    for (Writer* x : group) {
      x->result = store;
      writers_.pop_front();
      complete(x);
    }
    return finish(stats);
  }

  // Invariant: whatever happens below (a refusal, a storage error, or an
  // exception thrown by a validator or a Cap'n Proto accessor), every writer
  // of the group is completed and dequeued before this returns, and the next
  // leader is woken. A writer left at the head of the queue would stall
  // every later append, and shutdown, forever.
  // Room for the group's entries and keys up front: the batch is one
  // string, grown otherwise by doubling (and copying) a dozen times.
  size_t batch_bytes = 256;
  for (const Writer* x : group) {
    batch_bytes += x->signed_event->authored.size() + kBatchBytesPerAppend;
  }
  rocksdb::WriteBatch batch(batch_bytes);
  // The entries placed, in log order: pending[i] is entry group_start + i.
  std::vector<EntryView> pending;
  pending.reserve(group.size());
  // The placed writers' nonce keys (each writer's own string: a writer is
  // dequeued only once its group is finished).
  NonceKeySet pending_nonces;
  pending_nonces.reserve(group.size());
  std::vector<Writer*> placed;
  std::vector<merkle::StoredNode> new_nodes;  // in the batch, in order
  const uint64_t group_start = h.size;
  // Set when an exception leaves the writer's state (registry, validator,
  // index digests, Merkle frontier, batch) half-changed: nothing of the
  // group is written and the ledger refuses writes until reopened (which
  // rebuilds the state from what is durable).
  Status broken;
  for (Writer* x : group) {
    if (!broken.ok()) {
      x->result = broken;
      continue;
    }
    bool applying = false;  // past the checks: state is being changed
    auto place = [&]() -> Result<AppendResult> {
      const uint64_t index = h.size;
      if (index == 0 && !x->allow_empty) {
        return FailedPrecondition("the log is empty; create it with genesis");
      }
      schema::AuthoredEvent::Reader a = x->decoded->get();
      const int64_t recorded =
          std::max(options_.clock(), h.last_recorded_at_ms);
      if (a.getSignedAtMs() > recorded + kMaxClockSkewMs) {
        return FailedPrecondition(
            "signedAtMs " + std::to_string(a.getSignedAtMs()) +
            " is more than 5 minutes after the log's time " +
            std::to_string(recorded));
      }
      if (a.getSignedAtMs() < recorded - kMaxSigningAgeMs) {
        return FailedPrecondition(
            "signedAtMs " + std::to_string(a.getSignedAtMs()) +
            " is more than 30 days before the log's time " +
            std::to_string(recorded) + "; sign the event again");
      }
      RETURN_IF_ERROR(authority_.Check(index, a, [&](uint64_t target) {
        return LookupTarget(target, group_start, pending);
      }));
      RETURN_IF_ERROR(NonceUnused(x->nonce, pending_nonces));
      const std::string& nonce_key = x->nonce.key;
      // Viewed as built, not parsed again: the authored event was checked
      // on the caller's thread and the encoding is canonical by making.
      ASSIGN_OR_RETURN(EntryView view,
                       EntryView::Build(index, h.last_entry_hash, recorded,
                                        *x->signed_event, *x->decoded));
      const std::string_view bytes = view.bytes();
      if (options_.validator) {
        RETURN_IF_ERROR(options_.validator->Validate(view));
      }
      // Accepted: apply to the writer's state and stage the bytes.
      applying = true;
      {
        std::lock_guard rl(registry_mu_);
        authority_.Apply(index, a);
      }
      if (options_.validator) options_.validator->Apply(view);
      if (IsRegistryEvent(a.getEvent().which())) {
        PutIndexKey(&batch, &indexes_.registry, RegistryKey(index), "");
      }
      if (index == 0) batch.Put(kFormatKey, kFormatValue);
      batch.Put(EntryKey(index), bytes);
      std::string index_be;
      PutBe64(&index_be, index);
      PutIndexKey(&batch, &indexes_.nonces, nonce_key, index_be);
      Hash leaf = view.LeafHash();
      for (const merkle::StoredNode& n : frontier_.Append(leaf)) {
        batch.Put(NodeKey(n.level, n.index),
                  std::string_view(reinterpret_cast<const char*>(n.hash.data()),
                                   n.hash.size()));
        new_nodes.push_back(n);
      }
      pending_nonces.insert(nonce_key);
      h.size = index + 1;
      h.last_entry_hash = view.EntryHash();
      h.last_recorded_at_ms = recorded;
      pending.push_back(std::move(view));
      return AppendResult{index, leaf, recorded};
    };
    std::optional<Status> thrown = CallCatching(place, &x->result);
    if (thrown && applying) {
      broken = Unavailable(
          "the ledger stopped accepting writes: applying entry " +
          std::to_string(h.size) + " failed (" + thrown->ToString() +
          "); nothing of its group was written; reopen the ledger to "
          "recover");
      x->result = broken;
    } else if (thrown) {
      // Nothing was changed yet: refuse this event only.
      x->result = *thrown;
    }
    if (x->result.ok()) placed.push_back(x);
  }

  Status write_status;
  if (!broken.ok()) {
    write_status = broken;
  } else if (!placed.empty()) {
    auto write = [&]() -> Result<bool> {
      h.root = frontier_.Root();
      batch.Put(kHeadKey, EncodeHead(h, indexes_));
      const auto began = std::chrono::steady_clock::now();
      stats.place_us = MicrosecondsBetween(placing_began, began);
      // The store's timers, only for whoever watches the groups.
      std::optional<StoreWriteTimers> timers;
      if (options_.on_group) timers.emplace();
      rocksdb::Status written = db_->Write(write_options_, &batch);
      stats.write_us =
          MicrosecondsBetween(began, std::chrono::steady_clock::now());
      if (timers) {
        stats.log_us = timers->log_us();
        stats.memtable_us = timers->memtable_us();
      }
      RETURN_IF_ERROR(FromRocks(written, "append"));
      return true;
    };
    Result<bool> written = false;
    if (std::optional<Status> thrown = CallCatching(write, &written)) {
      written = Unavailable("the ledger stopped accepting writes: " +
                            thrown->ToString());
    }
    write_status = written.status();
    // Before the next group is placed (it is placed after this one's
    // finish), so the kept nodes of each level stay in order.
    if (write_status.ok()) {
      KeepRecentNodes(new_nodes);
      KeepRecentNonces(group_start, placed);
    }
  }

  l.lock();
  if (!write_status.ok()) {
    // Nothing of the group is acknowledged: every member placed gets the
    // write's error, and the ledger refuses writes until reopened.
    failed_ = write_status;
    for (Writer* x : placed) x->result = write_status;
    stats.write_ok = false;
  } else {
    stats.appended = placed.size();
    head_ = h;
    durable_size_.store(h.size, std::memory_order_release);
    if (placed.size() && authority_.origin() != origin_) {
      origin_ = authority_.origin();
    }
    // With the head: a reader of the validator's durable state never finds
    // it ahead of the log.
    if (!placed.empty() && options_.validator) {
      options_.validator->Durable(h.size);
    }
  }
  for (Writer* x : group) {
    writers_.pop_front();
    complete(x);
  }
  finish(stats);
}

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;

namespace {

// RocksDB's own log goes to stderr (warnings and errors only), not to a
// LOG file beside the data: that file shares the data's disk, and on a full
// disk it is one more write that fails (issue 14). A service manager keeps
// stderr.
class StderrLogger : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof(line), format, ap);
    std::fprintf(stderr, "piaojue: store: %s\n", line);
  }
};

// Where each memtable insert starts from (RocksDB keeps the position of
// the last insert of each prefix). The keys written in ascending order, by
// run: entries ("e"), and the tree nodes of each level ("n" || level): an
// insert starts right after the last. Nonce keys ("u" || SHA-256) arrive in
// random order, one per append: by their first hash byte, so an insert
// starts within the 1/256 of the keys where the last of its bucket went
// rather than at the top of the whole skiplist (their insert was the
// largest part of the memtable's). Only the memtable's work depends on
// this: not what is stored, nor how it is read.
class AppendOrderPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "piaojue.AppendOrderPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key[0] == 'e' ? 1 : 2);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return (key.size() == 9 && key[0] == 'e') ||
           (key.size() == 10 && key[0] == 'n') ||
           (key.size() == 1 + crypto::kHashSize && key[0] == 'u');
  }
};

rocksdb::Options StoreOptions(rocksdb::Env* env = nullptr) {
  rocksdb::Options options;
  // A caller's env is used as given; else the log written over zeros.
  options.env = env != nullptr ? env : internal::ZeroFilledLogEnv();
  options.info_log = std::make_shared<StderrLogger>();
  // 16 MiB memtables (RocksDB's default is 64): a memtable flush and the
  // space preallocated for each new write-ahead log (1.1 x this) then fit
  // well within LedgerOptions::min_free_bytes, so the reserve really keeps
  // the store from meeting a full disk. Entries are small; 16 MiB is still
  // thousands of them per flush.
  options.write_buffer_size = 16 << 20;
  options.IncreaseParallelism(2);
  rocksdb::BlockBasedTableOptions table;
  // Nonce and node lookups are point reads: a Bloom filter keeps a missing
  // nonce to (almost always) zero disk reads.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The same for the memtable, where a fresh nonce is looked up first:
  // without a filter every append's lookup walked the memtable's skiplist
  // to find it absent. 2% of the memtable (~330 KB) is tens of bits per
  // key at ~1 KB per entry.
  options.memtable_prefix_bloom_size_ratio = 0.02;
  options.memtable_whole_key_filtering = true;
  // Entries and tree nodes are written in ascending key order: an insert
  // starts from where the previous one of its kind went.
  options.memtable_insert_with_hint_prefix_extractor =
      std::make_shared<AppendOrderPrefix>();
  options.paranoid_checks = true;
  return options;
}

}  // namespace

Result<std::unique_ptr<Ledger>> Ledger::Create(const std::string& dir,
                                               const SignedEvent& genesis,
                                               LedgerOptions options) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec)) {
    if (std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
      return AlreadyExists("a ledger already exists in " + dir);
    }
    return AlreadyExists(dir + " is not empty");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return IOError("cannot create " + dir + ": " + ec.message());
  rocksdb::Options db_options = StoreOptions(options.env);
  db_options.create_if_missing = true;
  db_options.error_if_exists = false;  // the directory was checked empty
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, dir, &raw), "create " + dir));
  auto impl = std::make_unique<Impl>(std::unique_ptr<rocksdb::DB>(raw),
                                     std::move(options), false);
  impl->dir_ = dir;
  ASSIGN_OR_RETURN(AppendResult r, impl->Append(genesis, /*allow_empty=*/true));
  (void)r;
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir,
                                             LedgerOptions options,
                                             bool read_only) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return NotFound("no piaojue ledger in " + dir);
  }
  rocksdb::Options db_options = StoreOptions(options.env);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = read_only
                          ? rocksdb::DB::OpenForReadOnly(db_options, dir, &raw)
                          : rocksdb::DB::Open(db_options, dir, &raw);
  RETURN_IF_ERROR(FromRocks(s, "open " + dir));
  auto impl = std::make_unique<Impl>(std::unique_ptr<rocksdb::DB>(raw),
                                     std::move(options), read_only);
  impl->dir_ = dir;
  RETURN_IF_ERROR(impl->LoadExisting());
  return std::unique_ptr<Ledger>(new Ledger(std::move(impl)));
}

Result<AppendResult> Ledger::Append(const SignedEvent& signed_event) {
  return impl_->Append(signed_event, /*allow_empty=*/false);
}

void Ledger::AppendAsync(SignedEvent signed_event, AppendCallback done) {
  impl_->AppendAsync(std::move(signed_event), std::move(done));
}

Head Ledger::head() const { return impl_->head(); }

Status Ledger::writable() const {
  if (impl_->read_only_) return Unavailable("the ledger is open read-only");
  std::unique_lock l(impl_->mu_);
  impl_->side_checked_cv_.wait(l, [&] { return impl_->side_checked_.load(); });
  if (!impl_->write_refusal_.ok()) return impl_->write_refusal_;
  if (!impl_->failed_.ok()) {
    return Unavailable("the ledger refused writes after an earlier failure: " +
                       impl_->failed_.ToString());
  }
  return Status::Ok();
}

const std::string& Ledger::origin() const { return impl_->origin_; }

Result<std::string> Ledger::ReadEntry(uint64_t index) const {
  return impl_->ReadEntry(index);
}

Status Ledger::ForEachEntry(
    uint64_t begin, uint64_t end,
    const std::function<Status(uint64_t, std::string_view)>& fn) const {
  end = std::min(end, impl_->head().size);
  if (begin >= end) return Status::Ok();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a full replay should not evict the hot set
  ro.readahead_size = 2 << 20;
  std::string upper = EntryKey(end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro));
  uint64_t expected = begin;
  for (it->Seek(EntryKey(begin)); it->Valid(); it->Next()) {
    if (it->key().size() != 9 || GetBe64(it->key().data() + 1) != expected) {
      return Corruption("entry " + std::to_string(expected) +
                        " is missing from the store");
    }
    RETURN_IF_ERROR(fn(expected, it->value().ToStringView()));
    ++expected;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan entries"));
  if (expected != end) {
    return Corruption("entry " + std::to_string(expected) +
                      " is missing from the store");
  }
  return Status::Ok();
}

Status Ledger::ForEachNode(
    uint8_t level, uint64_t begin, uint64_t end,
    const std::function<Status(uint64_t, const Hash&)>& fn) const {
  if (level >= 64) return Status::Ok();
  end = std::min(end, impl_->head().size >> level);
  if (begin >= end) return Status::Ok();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a bulk load should not evict the hot set
  std::string upper = NodeKey(level, end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro));
  uint64_t expected = begin;
  for (it->Seek(NodeKey(level, begin)); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 10 || GetBe64(key.data() + 2) != expected ||
        it->value().size() != crypto::kHashSize) {
      return Corruption("Merkle node (" + std::to_string(level) + ", " +
                        std::to_string(expected) + ") is missing or damaged");
    }
    Hash h;
    std::memcpy(h.data(), it->value().data(), h.size());
    RETURN_IF_ERROR(fn(expected, h));
    ++expected;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan Merkle nodes"));
  if (expected != end) {
    return Corruption("Merkle node (" + std::to_string(level) + ", " +
                      std::to_string(expected) + ") is missing from the store");
  }
  return Status::Ok();
}

Result<Hash> Ledger::ReadNode(uint8_t level, uint64_t index) const {
  uint64_t size = impl_->head().size;
  if (level >= 64 || ((index + 1) << level) > size) {
    return OutOfRange("node (" + std::to_string(level) + ", " +
                      std::to_string(index) + ") is not complete at size " +
                      std::to_string(size));
  }
  return impl_->ReadNode(level, index);
}

Result<Hash> Ledger::RootAt(uint64_t size) const {
  if (size > impl_->head().size) {
    return OutOfRange("tree size " + std::to_string(size) +
                      " is beyond the log");
  }
  return merkle::RootAt(impl_->node_reader(), size);
}

Result<std::vector<Hash>> Ledger::InclusionProof(uint64_t index,
                                                 uint64_t size) const {
  if (size > impl_->head().size) {
    return OutOfRange("tree size " + std::to_string(size) +
                      " is beyond the log");
  }
  return merkle::InclusionProof(impl_->node_reader(), index, size);
}

Result<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t old_size,
                                                   uint64_t new_size) const {
  if (new_size > impl_->head().size) {
    return OutOfRange("tree size " + std::to_string(new_size) +
                      " is beyond the log");
  }
  return merkle::ConsistencyProof(impl_->node_reader(), old_size, new_size);
}

Result<std::string> Ledger::SignCheckpoint() {
  if (!impl_->options_.checkpoint_key) {
    return Unavailable("no checkpoint key: this process cannot sign");
  }
  if (impl_->read_only_) return Unavailable("the ledger is open read-only");
  Head h = impl_->head();
  note::Checkpoint cp;
  cp.origin = impl_->origin_;
  cp.size = h.size;
  cp.root = h.root;
  ASSIGN_OR_RETURN(
      std::string signed_note,
      note::Sign(note::FormatCheckpoint(cp), *impl_->options_.checkpoint_key));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->options_.sync;
  // Concurrent signers may race; a checkpoint never replaces a larger one.
  std::lock_guard l(impl_->checkpoint_mu_);
  auto current = LatestCheckpoint();
  if (current.ok()) {
    auto parsed = note::ParseNote(*current);
    if (parsed.ok()) {
      auto body = note::ParseCheckpoint(parsed->text);
      if (body.ok() && body->size > h.size) return *current;
    }
  }
  RETURN_IF_ERROR(impl_->CheckStore());
  Status stored = FromRocks(impl_->db_->Put(wo, kCheckpointKey, signed_note),
                            "store checkpoint");
  if (!stored.ok()) {
    impl_->NoteStoreError();
    return stored;
  }
  return signed_note;
}

Result<std::string> Ledger::LatestCheckpoint() const {
  auto v = impl_->Get(kCheckpointKey);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
    return NotFound("no checkpoint has been signed yet");
  }
  return v;
}

namespace {

Result<note::Checkpoint> CheckpointOfNote(std::string_view note_text) {
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note_text));
  return note::ParseCheckpoint(parsed.text);
}

}  // namespace

Status Ledger::StoreCosignedCheckpoint(std::string_view note_text) {
  return StoreCheckpointAt(kCosignedCheckpointKey, note_text);
}

Result<std::string> Ledger::LatestCosignedCheckpoint() const {
  auto v = impl_->Get(kCosignedCheckpointKey);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
    return NotFound("no cosigned checkpoint is stored");
  }
  return v;
}

Status Ledger::StoreWitnessedCheckpoint(std::string_view note_text) {
  return StoreCheckpointAt(kWitnessedCheckpointKey, note_text);
}

Result<std::string> Ledger::LatestWitnessedCheckpoint() const {
  auto v = impl_->Get(kWitnessedCheckpointKey);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) {
    return NotFound("no checkpoint cosigned by every witness is stored");
  }
  return v;
}

Status Ledger::StoreCheckpointAt(std::string_view key,
                                 std::string_view note_text) {
  if (impl_->read_only_) return Unavailable("the ledger is open read-only");
  auto cp = CheckpointOfNote(note_text);
  if (!cp.ok()) {
    return InvalidArgument("not a signed checkpoint: " + cp.status().message());
  }
  if (cp->origin != impl_->origin_) {
    return InvalidArgument("a checkpoint of another log (" + cp->origin + ")");
  }
  if (cp->size > impl_->head().size) {
    return InvalidArgument("a checkpoint of " + std::to_string(cp->size) +
                           " entries is beyond the log");
  }
  ASSIGN_OR_RETURN(Hash root, RootAt(cp->size));
  if (root != cp->root) {
    return InvalidArgument("the checkpoint's root is not this log's root at " +
                           std::to_string(cp->size) + " entries");
  }
  rocksdb::WriteOptions wo;
  wo.sync = impl_->options_.sync;
  // Shares the checkpoint mutex: a check-then-put that never shrinks.
  std::lock_guard l(impl_->checkpoint_mu_);
  auto current = impl_->Get(key);
  if (current.ok()) {
    auto stored = CheckpointOfNote(*current);
    if (stored.ok() && stored->size > cp->size) {
      return FailedPrecondition(
          "a cosigned checkpoint of a larger tree is stored");
    }
  }
  return FromRocks(
      impl_->db_->Put(wo, rocksdb::Slice(key.data(), key.size()),
                      rocksdb::Slice(note_text.data(), note_text.size())),
      "store the cosigned checkpoint");
}

Status Ledger::SealSnapshot(const SnapshotSeal& seal) {
  if (impl_->read_only_) return Unavailable("the ledger is open read-only");
  if (seal.size > impl_->head().size) {
    return InvalidArgument("a snapshot of " + std::to_string(seal.size) +
                           " entries is beyond the log size " +
                           std::to_string(impl_->head().size));
  }
  std::string value;
  PutBe64(&value, seal.size);
  value.append(reinterpret_cast<const char*>(seal.digest.data()),
               seal.digest.size());
  rocksdb::WriteOptions wo;
  wo.sync = impl_->options_.sync;
  RETURN_IF_ERROR(impl_->CheckStore());
  Status stored = FromRocks(impl_->db_->Put(wo, kSnapshotSealKey, value),
                            "store the snapshot seal");
  if (!stored.ok()) impl_->NoteStoreError();
  return stored;
}

Result<SnapshotSeal> Ledger::snapshot_seal() const {
  auto v = impl_->Get(kSnapshotSealKey);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) {
      return NotFound("the ledger holds no snapshot seal");
    }
    return v.status();
  }
  if (v->size() != kSnapshotSealSize) {
    return Corruption("snapshot seal has " + std::to_string(v->size()) +
                      " bytes, expected 40");
  }
  SnapshotSeal seal;
  seal.size = GetBe64(v->data());
  std::memcpy(seal.digest.data(), v->data() + 8, seal.digest.size());
  return seal;
}

Status Ledger::PutProjectionSnapshot(uint64_t size, std::string_view bytes) {
  if (impl_->read_only_) return Unavailable("the ledger is open read-only");
  const uint64_t head = impl_->head().size;
  if (size == 0 || size > head) {
    return InvalidArgument("a projection snapshot of " + std::to_string(size) +
                           " entries (the log has " + std::to_string(head) +
                           ")");
  }
  // The seal names the log as it is, read here: a snapshot is bound to the
  // entries it claims to fold, whatever the caller believes.
  ASSIGN_OR_RETURN(std::string last, impl_->ReadEntry(size - 1));
  ASSIGN_OR_RETURN(EntryView view, EntryView::Parse(last));
  ASSIGN_OR_RETURN(Hash root, RootAt(size));
  const Hash entry_hash = view.EntryHash();
  const Hash digest = crypto::Sha256(crypto::AsBytes(bytes));
  std::string seal;
  PutBe64(&seal, size);
  seal.append(reinterpret_cast<const char*>(entry_hash.data()), 32);
  seal.append(reinterpret_cast<const char*>(root.data()), 32);
  seal.append(reinterpret_cast<const char*>(digest.data()), 32);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(
      FromRocks(batch.Put(ProjectionBytesKey(size),
                          rocksdb::Slice(bytes.data(), bytes.size())),
                "stage a projection snapshot"));
  RETURN_IF_ERROR(FromRocks(batch.Put(ProjectionSealKey(size), seal),
                            "stage a projection snapshot"));
  rocksdb::WriteOptions wo;
  // Large, rebuildable values: written once to a table file at the next
  // flush instead of also to the log. Both keys are in one memtable, so a
  // crash keeps both or neither.
  wo.disableWAL = true;
  RETURN_IF_ERROR(impl_->CheckStore());
  Status stored =
      FromRocks(impl_->db_->Write(wo, &batch), "store a projection snapshot");
  if (!stored.ok()) impl_->NoteStoreError();
  return stored;
}

Result<ProjectionSnapshot> Ledger::ProjectionSnapshotAtOrBelow(
    uint64_t size, std::vector<std::string>* skipped, uint64_t min_size) const {
  const uint64_t head = impl_->head().size;
  size = std::min(size, head);
  rocksdb::ReadOptions ro;
  const std::string lower = "s";
  rocksdb::Slice lower_slice(lower);
  ro.iterate_lower_bound = &lower_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro));
  auto skip = [&](uint64_t at, const std::string& why) {
    if (skipped != nullptr) {
      skipped->push_back("projection snapshot " + std::to_string(at) + ": " +
                         why);
    }
  };
  for (it->SeekForPrev(ProjectionSealKey(size)); it->Valid(); it->Prev()) {
    const rocksdb::Slice key = it->key();
    if (key.size() != 9 || key[0] != 's') break;
    const uint64_t at = GetBe64(key.data() + 1);
    if (at < min_size) break;
    const rocksdb::Slice seal = it->value();
    if (at == 0 || seal.size() != kProjectionSealSize ||
        GetBe64(seal.data()) != at) {
      skip(at, "its seal is malformed or names another size");
      continue;
    }
    Hash entry_hash, root, digest;
    std::memcpy(entry_hash.data(), seal.data() + 8, 32);
    std::memcpy(root.data(), seal.data() + 40, 32);
    std::memcpy(digest.data(), seal.data() + 72, 32);
    ASSIGN_OR_RETURN(std::string last, impl_->ReadEntry(at - 1));
    ASSIGN_OR_RETURN(EntryView view, EntryView::Parse(last));
    if (view.EntryHash() != entry_hash) {
      skip(at, "its seal names another entry " + std::to_string(at - 1));
      continue;
    }
    ASSIGN_OR_RETURN(Hash log_root, RootAt(at));
    if (log_root != root) {
      skip(at, "its seal names another tree root");
      continue;
    }
    auto bytes = impl_->Get(ProjectionBytesKey(at));
    if (!bytes.ok()) {
      if (bytes.status().code() != StatusCode::kNotFound) {
        return bytes.status();
      }
      skip(at, "its bytes are missing");
      continue;
    }
    if (crypto::Sha256(crypto::AsBytes(*bytes)) != digest) {
      skip(at, "its bytes differ from the ones sealed (SHA-256)");
      continue;
    }
    return ProjectionSnapshot{at, std::move(bytes).value()};
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan projection snapshots"));
  return NotFound("no projection snapshot at or below " + std::to_string(size) +
                  " entries");
}

Result<std::vector<uint64_t>> Ledger::ProjectionSnapshotSizes() const {
  rocksdb::ReadOptions ro;
  const std::string upper = "t";
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db_->NewIterator(ro));
  std::vector<uint64_t> sizes;
  for (it->Seek("s"); it->Valid(); it->Next()) {
    if (it->key().size() == 9) sizes.push_back(GetBe64(it->key().data() + 1));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan projection snapshots"));
  return sizes;
}

Authority Ledger::authority() const {
  std::lock_guard l(impl_->registry_mu_);
  return impl_->authority_;
}

Result<uint64_t> Ledger::SizeAtTime(int64_t at_ms) const {
  uint64_t lo = 0, hi = impl_->head().size;
  // recordedAtMs is non-decreasing: find the first entry recorded after at_ms.
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    ASSIGN_OR_RETURN(std::string bytes, ReadEntry(mid));
    ASSIGN_OR_RETURN(EntryView v, EntryView::Parse(bytes));
    if (v.recorded_at_ms() <= at_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status RebuildSideIndexes(const std::string& dir) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return NotFound("no piaojue ledger in " + dir);
  }
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(StoreOptions(), dir, &raw), "open " + dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  RETURN_IF_ERROR(FromRocks(db->Get({}, kFormatKey, &value), "read format"));
  if (value != kFormatValue) {
    return Corruption("unsupported ledger format \"" + value + "\"");
  }
  RETURN_IF_ERROR(FromRocks(db->Get({}, kHeadKey, &value), "read head"));
  ASSIGN_OR_RETURN(StoredHead stored, DecodeHead(value));
  const Head& head = stored.head;

  auto refuse = [](uint64_t index, const std::string& why) {
    return FailedPrecondition("entry " + std::to_string(index) + " " + why +
                              "; the log itself is invalid, so the indexes "
                              "are not rebuilt (restore it from a backup)");
  };
  // Re-admit every entry, in order, against state built from the entries
  // before it (never from the indexes being repaired).
  // TODO(security): these are the placement checks of Impl::Append (clock
  // with both signedAtMs bounds, authorization — which includes format 2's
  // origin — and nonce); a check added there belongs here too, or better in
  // one shared function.
  Authority authority;
  merkle::Frontier frontier;
  std::unordered_set<std::string> nonces;
  rocksdb::WriteBatch batch;
  internal::IndexDigests digests;
  Hash prev{};
  int64_t last_recorded = 0;
  uint64_t index = 0;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  auto lookup_in_store = [&](uint64_t target) -> Result<CorrectionTarget> {
    std::string bytes;
    if (!db->Get({}, EntryKey(target), &bytes).ok()) {
      return NotFound("correction targets entry " + std::to_string(target) +
                      ", which does not exist");
    }
    ASSIGN_OR_RETURN(EntryView v, EntryView::Parse(bytes));
    return CorrectionTarget{v.event().which(),
                            std::string(v.authored().getJurisdiction().begin(),
                                        v.authored().getJurisdiction().size()),
                            RolesAllowedFor(v.event())};
  };
  // The batch first deletes every index key there is, then puts the
  // rebuilt ones (a later operation on a key wins); it is written only if
  // every entry passes.
  for (char prefix : {'u', 'g'}) {
    for (it->Seek(std::string(1, prefix));
         it->Valid() && it->key()[0] == prefix; it->Next()) {
      batch.Delete(it->key());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "scan indexes"));
  }
  for (it->Seek("e"); it->Valid() && it->key().starts_with("e"); it->Next()) {
    if (it->key() != EntryKey(index)) {
      return Corruption("entry " + std::to_string(index) +
                        " is missing from the store");
    }
    auto view = EntryView::Parse(it->value().ToStringView());
    if (!view.ok())
      return refuse(index, "is malformed: " + view.status().message());
    if (view->index() != index || view->prev_hash() != prev) {
      return refuse(index, "does not chain to the entry before it");
    }
    if (Status s = view->VerifySignature(); !s.ok()) {
      return refuse(index, "has a bad signature: " + s.message());
    }
    schema::AuthoredEvent::Reader a = view->authored();
    if (view->recorded_at_ms() < last_recorded ||
        a.getSignedAtMs() > view->recorded_at_ms() + kMaxClockSkewMs ||
        a.getSignedAtMs() < view->recorded_at_ms() - kMaxSigningAgeMs) {
      return refuse(index, "breaks the clock rule");
    }
    if (Status s = authority.Check(index, a, lookup_in_store); !s.ok()) {
      return refuse(index, "would be refused: " + s.ToString());
    }
    std::string nonce_key = NonceKey(a);
    if (!nonces.insert(nonce_key).second) {
      return refuse(index, "reuses a nonce of its author (a replay)");
    }
    authority.Apply(index, a);
    std::string index_be;
    PutBe64(&index_be, index);
    if (IsRegistryEvent(a.getEvent().which())) {
      PutIndexKey(&batch, &digests.registry, RegistryKey(index), "");
    }
    PutIndexKey(&batch, &digests.nonces, nonce_key, index_be);
    frontier.Append(view->LeafHash());
    prev = view->EntryHash();
    last_recorded = view->recorded_at_ms();
    ++index;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scan entries"));
  if (index != head.size || prev != head.last_entry_hash ||
      frontier.Root() != head.root) {
    return Corruption("the head does not describe the stored entries (" +
                      std::to_string(index) + " entries, head says " +
                      std::to_string(head.size) + ")");
  }

  // Every entry passed: the batch replaces the indexes and the head.
  batch.Put(kHeadKey, EncodeHead(head, digests));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db->Write(wo, &batch), "write rebuilt indexes");
}

}  // namespace piaojue::ledger
