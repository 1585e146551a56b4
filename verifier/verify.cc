// The verifier's run. Trusts nothing but the entries: every hash, root,
// registry, projection and result is recomputed here. See docs/VERIFY.md.
#include "verifier/verify.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <thread>
#include <utility>

#include "ledger/bundle.h"
#include "ledger/note.h"
#include "ledger/text_validation.h"
#include "projections/state.h"
#include "projections/tally.h"
#include "verifier/batch_pool.h"
#include "verifier/explain.h"
#include "verifier/prefault.h"
#include "verifier/progress.h"
#include "verifier/recount.h"
#include "verifier/source.h"
#include "verifier/text.h"
#include "verifier/tile_log.h"
#include "verifier/trail_spool.h"

namespace piaojue::verifier {

namespace {

// The block size of a batch's bytes as read (Verify, EntryBytes).
constexpr size_t kEntryBlock = 64 * 1024;

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A value destroyed on one of a pool's threads (BatchPool::Free): the
// freeing of a large structure overlaps the work of the thread that
// hands it over.
template <typename T>
struct FreedOnAPoolThread : BatchPool::Batch {
  explicit FreedOnAPoolThread(T v) : value(std::move(v)) {}
  void Work(size_t, size_t) override {}
  T value;
};

std::string Hex(const crypto::Hash& h) {
  return crypto::ToHex(crypto::AsBytes(h));
}

std::string FormatSeconds(double s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << s;
  return out.str();
}

// Continues `checker`, `state` and `collector` (all fresh) from a replay
// state saved by an earlier run, for the live log `log` whose checkpoint is
// of `live_size` entries. On any error nothing is changed and the caller
// checks every entry. Returns the number of entries continued from.
Result<uint64_t> ResumeFromSaved(
    std::string_view saved_text, TileLog& log, uint64_t live_size,
    const std::optional<note::VerifierKey>& pinned,
    const std::optional<crypto::PublicKey>& pinned_root, LogChecker* checker,
    projections::State* state, RecountCollector* collector) {
  json saved = json::parse(saved_text, nullptr, false);
  if (!saved.is_object() || !saved.contains("format") ||
      saved["format"] != kReplayStateFormat || !saved.contains("size") ||
      !saved["size"].is_number_unsigned() || !saved.contains("root") ||
      !saved["root"].is_string() || !saved.contains("rules") ||
      !saved["rules"].is_string() || !saved.contains("checker") ||
      !saved.contains("recount")) {
    return Corruption(std::string("it is not a ") + kReplayStateFormat +
                      " state");
  }
  const uint64_t size = saved["size"].get<uint64_t>();
  if (size == 0 || size > live_size) {
    return Corruption("it is of " + std::to_string(size) +
                      " entries, the log's checkpoint of " +
                      std::to_string(live_size));
  }
  // The tree at the saved size, from the log's own tiles: its root must be
  // the saved root (the state is of this log's prefix, not another's).
  auto frontier = merkle::Frontier::Load(log.Nodes(live_size), size);
  if (!frontier.ok()) {
    return Unavailable(
        "the log's tree at " + std::to_string(size) +
        " entries cannot be read: " + frontier.status().message());
  }
  if (Hex(frontier->Root()) != saved["root"].get<std::string>()) {
    return Corruption("its root is not the log's root at " +
                      std::to_string(size) + " entries");
  }
  // The rules' state in the projections' own snapshot bytes (State::
  // Serialize, as the ledger's sealed snapshot), in base64.
  auto rules_bytes = crypto::Base64Decode(saved["rules"].get<std::string>());
  if (!rules_bytes.ok()) {
    return Corruption("its rules state is not base64");
  }
  auto rules = projections::State::Deserialize(*rules_bytes);
  if (!rules.ok()) {
    return Corruption("its rules state does not parse: " +
                      rules.status().message());
  }
  RecountCollector recount;
  RETURN_IF_ERROR(recount.RestoreState(saved["recount"]));
  if (!saved["checker"].is_object() || !saved["checker"].contains("prevHash") ||
      !saved["checker"]["prevHash"].is_string()) {
    return Corruption("its checks' state is malformed");
  }
  if (rules->size() != size ||
      Hex(rules->last_entry_hash()) !=
          saved["checker"]["prevHash"].get<std::string>()) {
    return Corruption(
        "its rules state and its checks' state are not of the same entries");
  }
  // The saved last entry must be the log's entry size-1 (its leaf hash is
  // in the log's level-0 tile): with the root, this binds the saved state to
  // this log's prefix, not to another log of the same size.
  {
    const uint64_t last = size - 1;
    const uint64_t n = last / kTileWidth, at = last % kTileWidth;
    bool cached = false;
    auto bundle = log.EntryBundle(n, live_size, true, &cached);
    auto leaves = log.HashTile(0, n, live_size);
    auto holds_last = [&] {
      return bundle.ok() && leaves.ok() && bundle->size() > at &&
             leaves->size() > at &&
             merkle::LeafHash(crypto::AsBytes((*bundle)[at])) == (*leaves)[at];
    };
    if (cached && !holds_last()) {
      // A damaged cache file is only a miss (as when reading the log).
      bundle = log.EntryBundle(n, live_size, false, &cached);
    }
    if (!holds_last()) {
      return Unavailable("the log's entry " + std::to_string(last) +
                         " cannot be read from its tiles");
    }
    if (!cached) log.CacheEntryBundle(n, *bundle);
    if (Hex(crypto::Sha256(crypto::AsBytes((*bundle)[at]))) !=
        saved["checker"]["prevHash"].get<std::string>()) {
      return Corruption("its last entry is not the log's entry " +
                        std::to_string(last));
    }
  }
  // The pins are checked at genesis, which is not read again.
  if (pinned && !recount.genesis_checkpoint_key().empty()) {
    auto named = note::ParseVerifierKey(recount.genesis_checkpoint_key());
    if (!named.ok() || named->key != pinned->key ||
        named->name != pinned->name) {
      return FailedPrecondition(
          "its genesis names another checkpoint key than --vkey");
    }
  }
  if (pinned_root && recount.genesis_root_key() !=
                         crypto::ToHex(crypto::AsBytes(*pinned_root))) {
    return FailedPrecondition(
        "its genesis names another root key than --root-key");
  }
  RETURN_IF_ERROR(
      checker->RestoreState(saved["checker"], std::move(*frontier)));
  *state = std::move(*rules);
  state->KeepViewData(false);
  *collector = std::move(recount);
  return size;
}

std::string SaveReplayState(const LogChecker& checker,
                            const projections::State& state,
                            const RecountCollector& collector) {
  json j;
  j["format"] = kReplayStateFormat;
  j["size"] = checker.size();
  j["root"] = Hex(checker.root());
  j["checker"] = checker.SaveState();
  j["rules"] = crypto::Base64Encode(crypto::AsBytes(state.Serialize()));
  j["recount"] = collector.SaveState();
  return j.dump();
}

// What a freed batch held, its elements gone and its memory kept, for the
// reading thread's next batches: a run allocates what the few batches in
// flight need once. Each batch's blocks of bytes (EntryBytes) and vectors
// (DecodedBatch), ~1 MB, were allocated by the reading thread and freed to
// malloc by the pool thread that freed the batch; the next ones came from
// pages given back to the system and faulted in again, on the thread that
// bounds the run. Any thread.
template <typename T>
class Spares {
 public:
  // A kept T, or a new one.
  T Take() {
    std::lock_guard lock(mu_);
    if (spares_.empty()) return T();
    T spare = std::move(spares_.back());
    spares_.pop_back();
    return spare;
  }
  // Keeps `spare` for Take, up to a bound (more than the batches in flight
  // hold); frees it past that.
  void Give(T spare) {
    std::lock_guard lock(mu_);
    if (spares_.size() < kMaxSpares) spares_.push_back(std::move(spare));
  }

 private:
  static constexpr size_t kMaxSpares = 128;
  std::mutex mu_;
  std::vector<T> spares_;
};
using SpareBlocks = Spares<std::string>;

// The bytes of a run of consecutive entries as read: in blocks of 64 KiB
// (from and back to `spare`), each entry at a multiple of 8 bytes from its
// block's start (word-aligned, as Cap'n Proto reads it in place). Blocks,
// not one buffer: one of a batch's size is above malloc's threshold for a
// mapping of its own, and held ~2 MB more resident in a 201,018-entry run.
class EntryBytes {
 public:
  explicit EntryBytes(std::shared_ptr<SpareBlocks> spare)
      : spare_(std::move(spare)) {}
  ~EntryBytes() {
    if (!spare_) return;
    for (std::string& block : blocks_) spare_->Give(std::move(block));
  }
  EntryBytes(EntryBytes&&) = default;
  EntryBytes& operator=(EntryBytes&&) = delete;

  bool empty() const { return views.empty(); }
  size_t size() const { return views.size(); }
  void Add(std::string_view entry) {
    constexpr size_t kWord = 8;
    const size_t padded = (entry.size() + kWord - 1) / kWord * kWord;
    if (blocks_.empty() ||
        blocks_.back().capacity() - blocks_.back().size() < padded) {
      std::string& block = blocks_.emplace_back(spare_->Take());
      block.clear();
      block.reserve(std::max(kEntryBlock, padded));
    }
    std::string& block = blocks_.back();
    const size_t at = block.size();
    block.append(entry);
    block.resize(at + padded);
    views.emplace_back(block.data() + at, entry.size());
  }

  std::vector<std::string_view> views;  // into blocks_

 private:
  std::shared_ptr<SpareBlocks> spare_;
  std::vector<std::string> blocks_;  // never grown past their reservation
};

// A batch of consecutive entries on its way to the in-order checks: read,
// then decoded and prechecked on the pool's threads, each entry made ready
// for the rules there too (projections::PreparedEntry: texts checked,
// context derived), so that the in-order thread only folds.
//
// The entries are decoded where they were read (EntryView::ParseInPlace):
// the bytes stay, shared by every view of them, until the last view goes
// (the batch's, when it is freed). Each chunk's entries share one block of
// decoded state, made and freed by one thread, and one count of references:
// threads working on the same batch do not take turns on one count.
class DecodedBatch : public BatchPool::Batch {
 public:
  // Its vectors, kept from a batch freed before (Spares).
  struct Vectors {
    std::vector<LogChecker::Prechecked> checked;
    std::vector<std::optional<projections::PreparedEntry>> prepared;
  };

  // What batches freed before leave for later ones: their vectors, and the
  // blocks of decoded state their chunks' views shared (given back when the
  // last view of a chunk goes, which may be after its batch).
  struct Recycled {
    Spares<Vectors> vectors;
    const std::shared_ptr<ledger::EntryView::InPlaceSpares> decoded =
        ledger::EntryView::MakeInPlaceSpares();
  };

  DecodedBatch(uint64_t first, EntryBytes bytes, bool signatures,
               std::shared_ptr<Recycled> spares)
      : first(first),
        spares_(std::move(spares)),
        bytes_(std::make_shared<const EntryBytes>(std::move(bytes))),
        signatures_(signatures) {
    Vectors kept = spares_->vectors.Take();
    checked = std::move(kept.checked);
    prepared = std::move(kept.prepared);
    checked.resize(bytes_->size());
    prepared.resize(bytes_->size());
  }
  ~DecodedBatch() override {
    // The entries first: the last of their views gives the bytes back.
    checked.clear();
    prepared.clear();
    spares_->vectors.Give({std::move(checked), std::move(prepared)});
  }
  DecodedBatch(const DecodedBatch&) = delete;
  DecodedBatch& operator=(const DecodedBatch&) = delete;

  // Distinct chunks write distinct elements of `checked` and `prepared`,
  // sized above and never resized.
  void Work(size_t begin, size_t end) override {
    // This thread's, its capacity kept from chunk to chunk.
    thread_local std::vector<Result<ledger::EntryView>> views;
    ledger::EntryView::ParseInPlace(
        std::span(bytes_->views).subspan(begin, end - begin), bytes_,
        spares_->decoded, views);
    for (size_t i = begin; i < end; ++i) {
      checked[i] =
          LogChecker::PrecheckOne(std::move(views[i - begin]), signatures_);
      if (checked[i].view) prepared[i].emplace(*checked[i].view);
    }
    // Nothing of this chunk stays with the thread.
    views.clear();
  }

  const uint64_t first;  // the first entry's index
  std::vector<LogChecker::Prechecked> checked;
  std::vector<std::optional<projections::PreparedEntry>> prepared;

 private:
  const std::shared_ptr<Recycled> spares_;
  const std::shared_ptr<const EntryBytes> bytes_;
  const bool signatures_;
};

// The cycle's rules replayed into `state`: its check and fold of one
// accepted entry, by the entry made ready on the pool's threads when there
// is one (`prepared`, null otherwise: the resumed path's entries). Used by
// one thread at a time: the in-order thread (the serial path) or the rules'
// own (RulesThread), which then owns `state` and this until joined.
class RulesFold {
 public:
  explicit RulesFold(projections::State& state) : state_(state) {}

  Status Check(const projections::PreparedEntry* prepared,
               const ledger::EntryView& e) {
    return prepared ? state_.Check(*prepared) : state_.Check(e);
  }
  void Apply(const projections::PreparedEntry* prepared,
             const ledger::EntryView& e, EntrySubject s) {
    // The state's numbers of the checker's: found by the state's first
    // Apply of each, then handed to it.
    if (s.author >= state_authors_.size()) {
      state_authors_.resize(s.author + 1, projections::State::kUnknownNumber);
    }
    if (s.jurisdiction >= state_jurisdictions_.size()) {
      state_jurisdictions_.resize(s.jurisdiction + 1,
                                  projections::State::kUnknownNumber);
    }
    if (prepared) {
      state_.Apply(*prepared, state_authors_[s.author],
                   state_jurisdictions_[s.jurisdiction]);
    } else {
      state_.Apply(e);
    }
    // The state is most of what the heap grows by: its new pages are made
    // present here, ahead of malloc (where the program asked for it:
    // PrefaultHeap).
    if (++applied_ % kEntriesPerPrefault == 0) prefaulter_.Advance();
  }

 private:
  // ~60 KiB of the heap's growth at 1,000,000 entries, well within the
  // 1 MiB glibc grows it ahead (main.cc); a call costs one system call
  // (reading the break) when the heap did not grow.
  static constexpr uint64_t kEntriesPerPrefault = 256;

  projections::State& state_;
  HeapPrefaulter prefaulter_;
  uint64_t applied_ = 0;
  // The numbers `state_` gives each author and jurisdiction, by the
  // checker's numbers of them (State::kUnknownNumber until its first entry
  // is applied). `state_` is assigned another only before the first entry
  // (a resumed run) and after the last.
  std::vector<uint32_t> state_authors_, state_jurisdictions_;
};

// A batch the in-order checks are done with, on its way to the rules'
// thread: its entries [0, accepted) passed every check of the serial path
// but the rules' (LogChecker with a hook that only notes them), with the
// checker's numbers of their authors and jurisdictions.
struct RulesWork {
  std::unique_ptr<DecodedBatch> batch;
  size_t accepted = 0;
  std::vector<EntrySubject> subjects;  // one an accepted entry
  // Entry `accepted` passed the checks made before the rules' and failed one
  // made after them (a pinned root or checkpoint key at genesis, the kinds'
  // bound): the serial path checks its rules first, so they must be
  // checked here too (their failure is then the one reported).
  bool check_next = false;
  // Instead of a batch: a function to run there (RulesThread::Call).
  const std::function<void()>* call = nullptr;
};

// The cycle's rules and the collectors on a thread of their own, behind the
// in-order checks (docs/VERIFY.md, "Speed"): the in-order thread pushes each
// batch it checked; this thread checks and folds the accepted entries into
// the rules' state and hands them to the collectors, in log order, then has
// the batch freed on a pool thread.
//
// Ownership: from construction until the first Call returns, the state and
// the collectors `fold` and `accept` touch belong to this thread alone (the
// in-order thread reads them only after that Call: the queue's mutex orders
// the two); then to the caller, except while a Call's function runs here. A
// batch belongs to the in-order thread until Push, to this thread after. At
// most `capacity` batches wait in the queue (Push blocks beyond that): memory
// stays bounded when the rules fall behind.
//
// The pool is used only to free the batches: it may go once the last batch
// is done (a Call after the last Push returned).
//
// The first entry the rules refuse ends the work (failed() turns true,
// later batches are only freed): the in-order checks have gone past it and
// the run's answers are not the serial path's any more, so the caller
// verifies again on the serial path (Verify), which reports it.
class RulesThread {
 public:
  RulesThread(RulesFold& fold,
              std::function<void(const ledger::EntryView&)> accept,
              BatchPool& pool, size_t capacity)
      : fold_(fold),
        accept_(std::move(accept)),
        pool_(pool),
        capacity_(capacity),
        thread_([this] { Run(); }) {}
  ~RulesThread() { Join(); }
  RulesThread(const RulesThread&) = delete;
  RulesThread& operator=(const RulesThread&) = delete;

  // Hands `work` over (in log order); waits while the queue is full.
  void Push(RulesWork work) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(work));
    not_empty_.notify_one();
  }
  // Runs `fn` on this thread once every batch pushed before is done, and
  // waits for it (rethrowing what it threw): what `fn` touches is this
  // thread's while it runs, the caller's again when Call returns.
  void Call(const std::function<void()>& fn) {
    RulesWork work;
    work.call = &fn;
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    queue_.push_back(std::move(work));
    not_empty_.notify_one();
    const uint64_t ticket = ++calls_;
    called_.wait(lock, [&] { return calls_done_ == ticket; });
    if (call_error_) std::rethrow_exception(std::exchange(call_error_, {}));
  }
  // Whether the rules refused an entry (or threw): any thread.
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  // Lets the thread finish what was pushed, and waits for it.
  void Join() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_empty_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Run() {
    for (;;) {
      RulesWork work;
      {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        work = std::move(queue_.front());
        queue_.pop_front();
        not_full_.notify_one();
      }
      if (work.call) {
        std::exception_ptr error;
        try {
          (*work.call)();
        } catch (...) {
          error = std::current_exception();
        }
        std::lock_guard lock(mu_);
        call_error_ = error;
        ++calls_done_;
        called_.notify_all();
        continue;
      }
      if (!failed()) {
        try {
          if (!Fold(work)) failed_.store(true, std::memory_order_release);
        } catch (...) {
          // The serial path, run again, meets the same exception where the
          // caller catches it.
          failed_.store(true, std::memory_order_release);
        }
      }
      pool_.Free(std::move(work.batch));
    }
  }
  // The serial path's rules for the batch's accepted entries: false at the
  // first refused.
  bool Fold(const RulesWork& work) {
    const DecodedBatch& b = *work.batch;
    auto prepared = [&](size_t i) {
      return b.prepared[i] ? &*b.prepared[i] : nullptr;
    };
    for (size_t i = 0; i < work.accepted; ++i) {
      const ledger::EntryView& view = *b.checked[i].view;
      if (!fold_.Check(prepared(i), view).ok()) return false;
      fold_.Apply(prepared(i), view, work.subjects[i]);
      accept_(view);
    }
    if (work.check_next) {
      const ledger::EntryView& view = *b.checked[work.accepted].view;
      if (!fold_.Check(prepared(work.accepted), view).ok()) return false;
    }
    return true;
  }

  RulesFold& fold_;
  const std::function<void(const ledger::EntryView&)> accept_;
  BatchPool& pool_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<RulesWork> queue_;  // guarded by mu_
  bool closed_ = false;          // guarded by mu_
  std::condition_variable called_;
  uint64_t calls_ = 0, calls_done_ = 0;  // Call's; guarded by mu_
  std::exception_ptr call_error_;        // guarded by mu_
  std::atomic<bool> failed_{false};
  std::thread thread_;  // last: starts once the members above are made
};

// One run of Verify from `start`. With `rules_thread`, a bundle's or a
// store's entries (not a live log's, not with --explain) have the cycle's
// rules and the collectors run on a thread of their own (RulesThread);
// nullopt then when the rules refused an entry: the caller runs again on
// the serial path, whose answers are the reference.
std::optional<VerifyReport> VerifyOnce(const VerifyOptions& options,
                                       bool rules_thread,
                                       Clock::time_point start) {
  VerifyReport report;
  report.input = options.path;
  report.signatures_checked = options.check_signatures;

  std::optional<note::VerifierKey> pinned;
  if (!options.vkey.empty()) {
    auto k = note::ParseVerifierKey(options.vkey);
    if (!k.ok()) {
      report.read_error = "--vkey: " + k.status().message();
      return report;
    }
    pinned = *k;
    report.pinned = true;
  }
  std::optional<crypto::PublicKey> pinned_root;
  if (!options.root_key.empty()) {
    auto k = ParseRootKey(options.root_key);
    if (!k.ok()) {
      report.read_error = "--root-key: " + k.status().message();
      return report;
    }
    pinned_root = *k;
    report.root_key_pinned = true;
  }
  std::optional<WitnessPolicy> witnesses;
  if (!options.witnesses.empty() || options.witness_quorum > 0) {
    auto policy = ParseWitnessPolicy(options.witnesses, options.witness_quorum);
    if (!policy.ok()) {
      report.read_error = policy.status().message();
      return report;
    }
    witnesses = std::move(*policy);
  }
  // Checkpoints given as files are read first so their sizes can be watched.
  std::vector<std::pair<std::string, std::string>> checkpoints;  // source, note
  for (const std::string& file : options.extra_checkpoints) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      report.read_error = "cannot read checkpoint file " + file;
      return report;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    // A file that is not a signed checkpoint at all is a usage error, not
    // evidence against the log.
    auto parsed = note::ParseNote(ss.str());
    if (!parsed.ok() || !note::ParseCheckpoint(parsed->text).ok()) {
      report.read_error = "checkpoint file " + file +
                          " is not a signed checkpoint (c2sp.org/"
                          "tlog-checkpoint)";
      return report;
    }
    checkpoints.emplace_back(file, ss.str());
  }
  for (const auto& [source, note_text] : options.checkpoint_notes) {
    checkpoints.emplace_back(source, note_text);
  }

  // The verifier shows no view: its state keeps only what the rules and
  // the recount read (a province in a fraction of the memory).
  projections::State state;
  state.KeepViewData(false);
  RulesFold fold(state);
  const bool is_live = IsLogUrl(options.path);
  // The rules on a thread of their own (RulesThread); otherwise (the
  // serial path) in the checker's hook, on this thread.
  // Only without the signatures' checks: with them both cores are busy
  // verifying signatures, and the handoff only added CPU (1.13-1.20x in
  // pairs at 1,000,000 entries).
  const bool deferred =
      rules_thread && !is_live && !options.explain && !options.check_signatures;
  // The batch whose in-order checks run now, its entries made ready for the
  // rules on the pool's threads. An entry the hook meets that is not there
  // (the resumed path) is prepared here instead.
  const DecodedBatch* folding = nullptr;
  uint64_t folding_first = 0;
  auto prepared_for =
      [&](const ledger::EntryView& e) -> const projections::PreparedEntry* {
    if (folding == nullptr || e.index() < folding_first ||
        e.index() - folding_first >= folding->prepared.size()) {
      return nullptr;
    }
    const auto& p = folding->prepared[e.index() - folding_first];
    // The very entry (same bytes in memory), not another claiming its index.
    if (!p || p->entry().bytes().data() != e.bytes().data()) return nullptr;
    return &*p;
  };
  RulesHook rules{[&](const ledger::EntryView& e) {
                    return fold.Check(prepared_for(e), e);
                  },
                  [&](const ledger::EntryView& e, EntrySubject s) {
                    fold.Apply(prepared_for(e), e, s);
                  }};
  // Deferred, the checker's hook only notes what the rules' thread is to do
  // for the batch being checked (this thread's, until pushed): the subjects
  // of the entries it accepted, and the last entry whose rules it reached
  // (passed every check made before them).
  std::vector<EntrySubject> deferred_subjects;
  std::optional<uint64_t> rules_reached;
  RulesHook noting{[&](const ledger::EntryView& e) {
                     rules_reached = e.index();
                     return Status::Ok();
                   },
                   [&](const ledger::EntryView&, EntrySubject s) {
                     deferred_subjects.push_back(s);
                   }};
  LogChecker checker(deferred ? noting : rules);
  if (pinned) checker.PinCheckpointKey(*pinned);
  if (pinned_root) checker.PinRootKey(*pinned_root);
  if (options.explain) checker.KeepLeafHashes();
  RecountCollector collector;
  std::unique_ptr<TrailCollector> trail;
  if (options.explain)
    trail = std::make_unique<TrailCollector>(*options.explain);
  // The collectors see only entries the checker accepted, in order
  // (deferred: that the rules accepted too, on the rules' thread).
  auto accept = [&](const ledger::EntryView& view) {
    collector.Add(view);
    if (trail) trail->Add(view);
  };
  if (!deferred) checker.OnAccept(accept);

  const unsigned threads =
      options.threads ? options.threads
                      : std::max(1u, std::thread::hardware_concurrency());
  const uint64_t limit = options.as_of.value_or(UINT64_MAX);
  const bool is_bundle = !is_live && ledger::LooksLikeBundle(options.path);
  // The most entries a bundle of this size can hold: an entry has at least
  // its previous hash (32 bytes), signature (64), author key (32) and nonce
  // (16) (docs/FORMAT.md).
  constexpr uint64_t kMinEntryBytes = 32 + 64 + 32 + 16;
  uint64_t bundle_capacity = 0;
  if (is_bundle) {
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(options.path, ec);
    if (!ec) bundle_capacity = bytes / kMinEntryBytes;
  }
  Progress progress(!options.quiet, stderr);

  // A pipeline of batches: while the checker runs the in-order checks of one
  // batch on this thread, later batches are decoded and their signatures
  // verified on the pool's threads, and the next one is read. This thread
  // works on those chunks too whenever the batch it needs next is not done
  // (`threads` threads in all verify signatures), and reads ahead up to
  // kInFlight batches: the pool's threads never wait for it to fold one.
  constexpr size_t kBatch = 1024;
  constexpr size_t kInFlight = 3;
  // Entries a thread takes at a time: small enough that a thread that also
  // folds, or shares its core with one that does, takes fewer and no core
  // idles at the end of a batch; large enough that handing them out costs
  // nothing measurable.
  constexpr size_t kChunk = 16;
  auto pool = std::make_unique<BatchPool>(threads, kChunk);
  auto spare_blocks = std::make_shared<SpareBlocks>();
  auto spare_vectors = std::make_shared<DecodedBatch::Recycled>();
  std::optional<EntryBytes> batch(std::in_place, spare_blocks);
  batch->views.reserve(kBatch);
  uint64_t batch_start = 0;
  // Folds the earliest batch handed to the pool (working on chunks until it
  // is done) and hands it back to be freed on a pool thread: freeing a
  // batch (then five blocks an entry, now about two a chunk of kChunk)
  // cost this thread, which bounds the run, a tenth of its time.
  //
  // Deferred, each batch checked goes on to the rules' thread, at most
  // kRulesQueue of them waiting for it (a batch is about 1 MB; the peak at
  // 1,000,000 entries with signatures was 254.6–256.1 MiB with 2).
  constexpr size_t kRulesQueue = 1;
  std::optional<RulesThread> rules_worker;
  if (deferred) rules_worker.emplace(fold, accept, *pool, kRulesQueue);
  auto fold_next = [&]() -> bool {
    std::unique_ptr<DecodedBatch> done(
        static_cast<DecodedBatch*>(pool->Take().release()));
    if (deferred) {
      deferred_subjects.clear();
      rules_reached.reset();
      const bool ok = checker.AddPrechecked(done->first, done->checked);
      RulesWork work;
      work.accepted = deferred_subjects.size();
      work.check_next = !ok && rules_reached == done->first + work.accepted;
      work.subjects = std::move(deferred_subjects);
      work.batch = std::move(done);
      rules_worker->Push(std::move(work));
      progress.Update(checker.size());
      return ok && !rules_worker->failed();
    }
    folding = done.get();
    folding_first = done->first;
    const bool ok = checker.AddPrechecked(done->first, done->checked);
    folding = nullptr;
    pool->Free(std::move(done));
    progress.Update(checker.size());
    return ok;
  };
  // Whether the rules' thread refused an entry (then this run stops).
  auto rules_failed = [&] { return deferred && rules_worker->failed(); };
  auto flush = [&]() -> bool {
    if (batch->empty()) return !checker.failure() && !rules_failed();
    const size_t n = batch->size();
    pool->Add(
        std::make_unique<DecodedBatch>(batch_start, std::move(*batch),
                                       options.check_signatures, spare_vectors),
        n);
    batch.emplace(spare_blocks);
    batch->views.reserve(kBatch);
    // Folds what is ready; waits (working) only with kInFlight batches out.
    while (pool->pending() > 0 &&
           (pool->pending() >= kInFlight || pool->FrontDone())) {
      if (!fold_next()) return false;
    }
    return !checker.failure() && !rules_failed();
  };

  // Checkpoint sizes are watched before the entries reach them.
  bool watched = false;
  uint64_t largest_checkpoint = 0;
  auto watch_checkpoints = [&] {
    if (watched) return;
    for (auto& [src, note_text] : checkpoints) {
      auto parsed = note::ParseNote(note_text);
      if (!parsed.ok()) continue;
      auto cp = note::ParseCheckpoint(parsed->text);
      if (!cp.ok()) continue;
      checker.WatchSize(cp->size);
      largest_checkpoint = std::max(largest_checkpoint, cp->size);
    }
    watched = true;
  };
  // With --as-of N, entries from N up to the largest checkpoint are read
  // only to hash them: a checkpoint larger than the prefix then shows that
  // the prefix is a prefix of the tree it signed (consistency, computed
  // from the leaves). 32 bytes each.
  std::vector<merkle::Hash> beyond;

  bool callback_stopped = false;
  uint64_t delivered = 0;  // entries the source handed over
  SourceCallbacks callbacks{
      [&](std::string_view note_text) -> Status {
        checkpoints.emplace_back(is_live     ? "live"
                                 : is_bundle ? "bundle"
                                             : "store",
                                 std::string(note_text));
        return Status::Ok();
      },
      [&](uint64_t index, std::string_view bytes) -> Status {
        watch_checkpoints();
        if (index >= limit) {
          // Consecutive entries only: a gap ends what can be hashed.
          if (index < largest_checkpoint && index == limit + beyond.size()) {
            beyond.push_back(merkle::LeafHash(crypto::AsBytes(bytes)));
            return Status::Ok();
          }
          callback_stopped = true;
          return OutOfRange("as-of");
        }
        ++delivered;
        if (batch->empty()) {
          batch_start = index;
        } else if (index != batch_start + batch->size()) {
          // A gap in the store's keys: the checker names the missing
          // entry when it meets the one after the gap.
          if (!flush()) {
            callback_stopped = true;
            return Corruption("stop");
          }
          batch_start = index;
        }
        batch->Add(bytes);
        if (batch->size() >= kBatch && !flush()) {
          callback_stopped = true;
          return Corruption("stop");
        }
        return Status::Ok();
      },
      [&](uint64_t total) {
        progress.SetTotal(std::min(total, limit));
        // A bundle's count is only a claim: its tables are sized for no
        // more entries than its bytes can hold, so a false count costs at
        // most memory in proportion to the file.
        if (is_bundle) {
          checker.Reserve(std::min({total, limit, bundle_capacity}));
        }
      }};
  Status read;
  if (is_live) {
    // The log's own tiles, through HTTP (or the caller's fetch).
    std::unique_ptr<HttpFetcher> http;
    Fetch fetch = options.fetch;
    if (!fetch) {
      auto created = HttpFetcher::Create(options.path);
      if (!created.ok()) {
        report.read_error = created.status().message();
        return report;
      }
      http = std::move(*created);
      fetch = http->AsFetch();
    }
    TileLog log(fetch);
    if (!options.entry_cache.empty()) log.SetEntryCache(options.entry_cache);
    std::string note_text = options.live_checkpoint;
    if (note_text.empty()) {
      auto fetched = log.FetchCheckpoint();
      if (!fetched.ok()) {
        report.read_error = fetched.status().message();
        return report;
      }
      note_text = std::move(*fetched);
    }
    uint64_t first = 0;
    if (!options.resume_state.empty()) {
      uint64_t live_size = 0;
      if (auto parsed = note::ParseNote(note_text); parsed.ok()) {
        if (auto cp = note::ParseCheckpoint(parsed->text); cp.ok()) {
          live_size = cp->size;
        }
      }
      auto resumed =
          ResumeFromSaved(options.resume_state, log, live_size, pinned,
                          pinned_root, &checker, &state, &collector);
      if (resumed.ok()) {
        first = *resumed;
        report.from_saved_state = first;
      } else {
        report.saved_state_ignored_because = resumed.status().message();
      }
    }
    read = ReadTileLog(log, note_text, callbacks, first);
    report.bundles =
        (first + delivered + kTileWidth - 1) / kTileWidth - first / kTileWidth;
    report.bundles_fetched = log.bundles_fetched();
  } else {
    read = ReadSource(options.path, callbacks);
  }
  if (!checker.failure() && !rules_failed()) flush();
  while (!checker.failure() && !rules_failed() && pool->pending() > 0) {
    fold_next();
  }
  if (deferred) {
    // The rules' thread is done with every batch pushed: the state and the
    // collectors are this thread's again (until Call).
    rules_worker->Call([] {});
    if (rules_worker->failed()) {
      // The serial run that follows shows a progress line of its own.
      progress.Done();
      return std::nullopt;
    }
  }
  // The pool's threads stop; batches after a failure are dropped.
  pool.reset();
  checker.Finish();
  if (!checker.failure() && checker.size() == limit && !beyond.empty()) {
    checker.ExtendUnchecked(beyond);
  }
  beyond = {};
  progress.Done();
  const bool read_failed = !read.ok() && !callback_stopped;
  if (read_failed && !checker.failure()) {
    if (is_bundle && read.code() == StatusCode::kCorruption) {
      // A bundle whose magic is right but whose body is cut or malformed:
      // the entries before the damage were checked; the rest cannot be.
      report.failure = Failure{delivered, "bundle", "", "",
                               "the bundle is damaged where entry " +
                                   std::to_string(delivered) +
                                   " should be: " + read.message()};
    } else if (is_live && read.code() == StatusCode::kCorruption) {
      // The log's tiles contradict each other or its checkpoint: what a
      // tlog-tiles client reads is not one log.
      report.failure =
          Failure{delivered, "tiles", "", "",
                  "the log's tiles are inconsistent at entry " +
                      std::to_string(delivered) + ": " + read.message()};
    } else {
      report.read_error = read.ToString();
      report.seconds =
          std::chrono::duration<double>(Clock::now() - start).count();
      return report;
    }
  }
  watch_checkpoints();
  if (checker.size() == 0 && !checker.failure() && !report.failure &&
      limit > 0) {
    // Not even genesis: nothing says whose log this is.
    report.failure = Failure{0, "index", "1 entry (genesis)", "0 entries",
                             "the log is empty: entry 0 (genesis) is missing"};
  }

  report.entries = checker.size();
  report.root = Hex(checker.root());
  report.origin = checker.origin();
  report.root_key = collector.genesis_root_key();

  // The checkpoint key: pinned, or the one genesis names (unpinned).
  std::optional<note::VerifierKey> key = pinned;
  if (!key && !collector.genesis_checkpoint_key().empty()) {
    auto k = note::ParseVerifierKey(collector.genesis_checkpoint_key());
    if (k.ok()) key = *k;
  }
  if (key) {
    report.checkpoint_key = note::FormatVerifierKey(key->name, key->key);
  }

  if (!checker.failure() && !report.failure) {
    for (auto& [source, note] : checkpoints) {
      CheckpointResult r;
      r.source = source;
      auto parsed = note::ParseNote(note);
      if (parsed.ok()) {
        auto cp = note::ParseCheckpoint(parsed->text);
        if (cp.ok()) {
          r.size = cp->size;
          r.root = Hex(cp->root);
        }
      }
      r.ok = checker.CheckCheckpoint(note, key ? &*key : nullptr);
      if (!r.ok) {
        r.message = checker.failure()->message;
      } else if (key && r.size > checker.size()) {
        r.message = "signature verified; consistent with the " +
                    std::to_string(checker.size()) +
                    " entries checked: its root is the root of the log's "
                    "first " +
                    std::to_string(r.size) + " entries (those after entry " +
                    std::to_string(checker.size() - 1) + " only hashed)";
      } else if (key) {
        r.message = "signature and root verified";
      } else {
        // Nothing to check the signature with: say so rather than guess.
        r.message =
            "root verified; signature NOT checked: the log's genesis names "
            "no checkpoint key; pass --vkey";
      }
      report.checkpoints.push_back(r);
      if (!r.ok) break;
    }
  }
  if (pinned && !checker.failure() && !report.failure) {
    // Pinning means: a checkpoint signed by the pinned key covers every
    // entry checked. Without one, the entries prove only that the log is
    // consistent with itself.
    std::optional<uint64_t> covered;
    for (const CheckpointResult& c : report.checkpoints) {
      if (c.ok) covered = std::max(covered.value_or(0), c.size);
    }
    const uint64_t n = checker.size();
    if (!covered) {
      report.failure = Failure{
          0, "checkpoint", "a checkpoint signed by the pinned key", "none",
          "no checkpoint signed by the pinned key covers this log: nothing "
          "shows that the holder of that key published these entries (a log "
          "rebuilt under other keys is just as consistent with itself); "
          "verify a bundle that holds its checkpoint, or pass one with "
          "--checkpoint"};
    } else if (*covered < n) {
      report.failure = Failure{
          *covered, "checkpoint",
          "a checkpoint of at least " + std::to_string(n) + " entries",
          "the largest covers " + std::to_string(*covered),
          "entries " + std::to_string(*covered) + " to " +
              std::to_string(n - 1) +
              " are covered by no checkpoint signed by the pinned key (the "
              "largest covers " +
              std::to_string(*covered) +
              " entries): verify what is covered with --as-of " +
              std::to_string(*covered) +
              ", or obtain a checkpoint of the whole log (piaojue "
              "checkpoint)"};
    }
  }

  if (witnesses && !checker.failure() && !report.failure) {
    // A quorum of witnesses must have cosigned a checkpoint that covers
    // every entry checked: of those, the one most of them cosigned counts.
    std::optional<WitnessReport> best;
    for (size_t i = 0; i < report.checkpoints.size(); ++i) {
      const CheckpointResult& c = report.checkpoints[i];
      if (!c.ok || c.size < checker.size()) continue;
      WitnessReport w;
      CheckCosignatures(checkpoints[i].second, *witnesses, &w);
      w.checkpoint_source = c.source;
      w.checkpoint_size = c.size;
      if (!best || w.cosigners.size() > best->cosigners.size()) best = w;
    }
    if (!best) {
      best = WitnessReport{};
      best->quorum = witnesses->quorum;
      for (const auto& k : witnesses->keys) {
        best->names.push_back(k.name);
        best->missing.push_back(k.name);
      }
    }
    report.witnesses = best;
    if (best->cosigners.size() < witnesses->quorum) {
      report.failure = QuorumFailure(*best);
    }
  }

  std::optional<Failure> failure =
      checker.failure() ? checker.failure() : report.failure;
  // A state from a run that skipped the authors' signatures is never
  // saved: a later run would take its entries as fully checked.
  const bool save = options.save_state && options.check_signatures;
  // Every entry has been read: unless the replay state is to be saved, the
  // nonces and per-entry kinds are not needed any more, and their memory
  // (a table of 20-byte slots: ~40 MB at a million entries) is better
  // given to the report built below.
  if (!save) checker.ReleaseReplayTables();
  // The recount reads from the rules' state only each round's rules: taken
  // first, so that the state (most of the memory at this point) can be
  // freed while the rounds are recounted — unless it is to be saved.
  auto recount = [&] {
    const RecountCollector::RoundRules round_rules = collector.RulesOf(state);
    // The rounds are recounted on `threads` threads. Freeing the state (a
    // province's ~200 MB in millions of blocks) is handed to one of them
    // first, so that it overlaps the recount instead of preceding it.
    BatchPool recount_pool(threads, 4);
    if (!save) {
      recount_pool.Free(
          std::make_unique<FreedOnAPoolThread<projections::State>>(
              std::move(state)));
      state = projections::State();
    }
    report.recount_json =
        collector.RecountText(round_rules, &failure, recount_pool);
  };
  // On the thread that built the state, if the rules had one: the recount's
  // memory then comes from the state's as it is freed (each thread
  // allocates from its own malloc arena), as on the serial path; from this
  // thread's, it added ~20 MB to the run's peak at 1,000,000 entries.
  if (rules_worker) {
    rules_worker->Call(recount);
  } else {
    recount();
  }
  if (trail) {
    report.explain_json = DumpJson(trail->ToJson(checker, checkpoints, key));
  }
  report.failure = failure;
  report.exit_code =
      failure ? kExitInvalid : (pinned ? kExitValid : kExitValidUnpinned);
  if (save && !failure && checker.size() > 0) {
    report.saved_state = SaveReplayState(checker, state, collector);
  }
  // The rules' state (if kept for saving) and the collector are done with.
  state = projections::State();
  collector = RecountCollector();
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace

VerifyReport Verify(const VerifyOptions& options) {
  const auto start = Clock::now();
  std::optional<VerifyReport> report =
      VerifyOnce(options, options.rules_thread, start);
  if (!report) report = VerifyOnce(options, /*rules_thread=*/false, start);
  return std::move(*report);
}

std::string Verdict(int exit_code) {
  switch (exit_code) {
    case kExitValid:
      return "VALID";
    case kExitValidUnpinned:
      return "VALID (UNPINNED)";
    case kExitInvalid:
      return "INVALID";
    case kExitInconsistent:
      return "INCONSISTENT";
    default:
      return "CANNOT VERIFY";
  }
}

Result<crypto::PublicKey> ParseRootKey(std::string_view text) {
  crypto::PublicKey key;
  if (text.size() == 2 * key.size()) {
    std::string lower(text);
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (crypto::FromHex(lower, key).ok()) return key;
  } else {
    auto raw = crypto::Base64Decode(text);
    if (raw.ok() && raw->size() == key.size()) {
      std::memcpy(key.data(), raw->data(), key.size());
      return key;
    }
  }
  return InvalidArgument(
      "a root key is 64 hex digits (as `piaojue init` prints it) or base64 "
      "of its 32 bytes");
}

std::string FormatCst(int64_t ms, bool rfc3339) {
  // CST is UTC+8 all year; floor division keeps instants before 1970 right.
  const int64_t cst = ms + 8LL * 3600 * 1000;
  int64_t secs = cst / 1000;
  if (cst < 0 && cst % 1000) --secs;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf,
                rfc3339 ? "%Y-%m-%dT%H:%M:%S+08:00" : "%Y-%m-%d %H:%M:%S", &tm);
  return rfc3339 ? std::string(buf) : std::string(buf) + " CST (UTC+08:00)";
}

Result<WitnessPolicy> ParseWitnessPolicy(const std::vector<std::string>& keys,
                                         unsigned quorum) {
  WitnessPolicy policy;
  for (const std::string& text : keys) {
    auto key = cosignature::ParseVerifierKey(text);
    if (!key.ok()) {
      return InvalidArgument("--witness " + text + ": " +
                             key.status().message());
    }
    for (const auto& k : policy.keys) {
      if (k.name == key->name && k.id == key->id) {
        // One witness counted twice would make a quorum of one.
        return InvalidArgument("--witness " + text + " is given twice");
      }
    }
    policy.keys.push_back(std::move(*key));
  }
  if (policy.keys.empty()) {
    return InvalidArgument(
        "--witness-quorum needs the witnesses' keys "
        "(--witness VKEY, repeatable)");
  }
  if (quorum > policy.keys.size()) {
    return InvalidArgument(
        "--witness-quorum " + std::to_string(quorum) + " is more than the " +
        std::to_string(policy.keys.size()) + " witnesses given");
  }
  policy.quorum = quorum == 0 ? policy.keys.size() : quorum;
  return policy;
}

Failure QuorumFailure(const WitnessReport& w) {
  std::string signed_by;
  for (const Cosigner& c : w.cosigners) {
    signed_by += (signed_by.empty() ? "" : ", ") + c.name;
  }
  std::string missing;
  for (const std::string& m : w.missing) {
    missing += (missing.empty() ? "" : ", ") + m;
  }
  return Failure{
      w.checkpoint_size, "witness",
      "cosignatures by at least " + std::to_string(w.quorum) + " of the " +
          std::to_string(w.names.size()) + " witnesses",
      std::to_string(w.cosigners.size()) +
          (signed_by.empty() ? "" : " (" + signed_by + ")"),
      "the checkpoint that covers the log (" +
          (w.checkpoint_source.empty()
               ? std::string("none verified")
               : w.checkpoint_source + ", size " +
                     std::to_string(w.checkpoint_size)) +
          ") is cosigned by " + std::to_string(w.cosigners.size()) +
          " of the required " + std::to_string(w.quorum) +
          " witnesses (signed: " + (signed_by.empty() ? "none" : signed_by) +
          "; not signed: " + (missing.empty() ? "none" : missing) +
          "): no quorum of witnesses vouches that this is the one history "
          "they saw; the operator may be showing you a split view"};
}

bool CheckCosignatures(std::string_view checkpoint_note,
                       const WitnessPolicy& policy, WitnessReport* report) {
  report->quorum = policy.quorum;
  report->names.clear();
  report->cosigners.clear();
  report->missing.clear();
  std::vector<bool> signed_by(policy.keys.size(), false);
  auto found = cosignature::VerifyNote(checkpoint_note, policy.keys);
  if (found.ok()) {
    for (const cosignature::VerifiedCosignature& v : *found) {
      signed_by[v.key_index] = true;
    }
  }
  for (size_t i = 0; i < policy.keys.size(); ++i) {
    const cosignature::WitnessKey& k = policy.keys[i];
    report->names.push_back(k.name);
    if (!signed_by[i]) {
      report->missing.push_back(k.name);
      continue;
    }
    for (const cosignature::VerifiedCosignature& v : *found) {
      if (v.key_index != i) continue;
      report->cosigners.push_back(
          Cosigner{k.name, crypto::ToHex(crypto::AsBytes(k.id)), v.timestamp});
      break;
    }
  }
  return report->cosigners.size() >= policy.quorum;
}

namespace {

json WitnessJson(const WitnessReport& w) {
  json cosigners = json::array();
  for (const Cosigner& c : w.cosigners) {
    json one = {
        {"name", c.name}, {"keyId", c.key_id}, {"timestamp", c.timestamp}};
    if (c.timestamp <= static_cast<uint64_t>(INT64_MAX / 1000)) {
      one["time"] = FormatCst(static_cast<int64_t>(c.timestamp) * 1000, true);
    }
    cosigners.push_back(one);
  }
  return {{"quorum", w.quorum},
          {"witnesses", w.names},
          {"checkpointSource", w.checkpoint_source},
          {"checkpointSize", w.checkpoint_size},
          {"cosigners", cosigners},
          {"missing", w.missing},
          {"met", w.cosigners.size() >= w.quorum}};
}

std::string WitnessText(const WitnessReport& w) {
  std::ostringstream out;
  out << "  witnesses   " << w.cosigners.size() << " of " << w.names.size()
      << " cosigned";
  if (!w.checkpoint_source.empty()) {
    out << " the checkpoint " << w.checkpoint_source << " size "
        << w.checkpoint_size;
  }
  out << " (quorum " << w.quorum << ": "
      << (w.cosigners.size() >= w.quorum ? "met" : "NOT met") << ")\n";
  for (const Cosigner& c : w.cosigners) {
    out << "    cosigned  " << c.name << " (key id " << c.key_id << ") at ";
    if (c.timestamp <= static_cast<uint64_t>(INT64_MAX / 1000)) {
      out << FormatCst(static_cast<int64_t>(c.timestamp) * 1000);
    } else {
      out << c.timestamp;
    }
    out << "\n";
  }
  for (const std::string& m : w.missing) {
    out << "    missing   " << m << " (no valid cosignature)\n";
  }
  return out.str();
}

// Everything of the JSON report but "explain".
json ReportJsonWithoutExplain(const VerifyReport& r) {
  json j;
  j["input"] = r.input;
  j["verdict"] = Verdict(r.exit_code);
  // True only for a pinned valid result: a script may test this alone.
  j["valid"] = r.exit_code == kExitValid;
  j["exitCode"] = r.exit_code;
  if (!r.read_error.empty()) {
    j["error"] = r.read_error;
    return j;
  }
  j["origin"] = r.origin;
  j["entries"] = r.entries;
  j["signaturesChecked"] = r.signatures_checked;
  if (r.proof_bundle) {
    j["proofBundle"] = true;
    j["provedEntries"] = r.proved_entries;
    j["checkpointSize"] = r.entries;
    if (r.checkpoint_time_ms) {
      j["checkpointTime"] = FormatCst(*r.checkpoint_time_ms, true);
      j["checkpointTimeMs"] = *r.checkpoint_time_ms;
    }
    j["caveat"] = kProofBundleCaveat;
  }
  j["root"] = r.root;
  j["pinned"] = r.pinned;
  j["checkpointKey"] = r.checkpoint_key;
  j["rootKey"] = r.root_key;
  j["rootKeyPinned"] = r.root_key_pinned;
  json cps = json::array();
  for (const auto& c : r.checkpoints) {
    cps.push_back({{"source", c.source},
                   {"size", c.size},
                   {"root", c.root},
                   {"ok", c.ok},
                   {"message", c.message}});
  }
  j["checkpoints"] = cps;
  if (r.witnesses) j["witnesses"] = WitnessJson(*r.witnesses);
  if (r.witness_wait_seconds) {
    j["witnessWait"] = {{"seconds", *r.witness_wait_seconds},
                        {"met", r.witness_wait_met}};
  }
  if (!r.state_file.empty()) {
    json st = {{"file", r.state_file},
               {"updated", r.state_updated},
               {"unchanged", r.unchanged}};
    if (r.remembered_size) {
      st["rememberedSize"] = *r.remembered_size;
      st["rememberedRoot"] = r.remembered_root;
    }
    j["state"] = st;
  }
  if (!r.evidence.empty()) j["evidence"] = r.evidence;
  if (r.bundles > 0) {
    j["bundles"] = r.bundles;
    j["bundlesFetched"] = r.bundles_fetched;
  }
  if (IsLogUrl(r.input) && !r.unchanged && r.exit_code != kExitInconsistent &&
      r.read_error.empty()) {
    json replay = {{"checked", r.entries - r.from_saved_state},
                   {"fromSavedState", r.from_saved_state}};
    if (!r.saved_state_ignored_because.empty()) {
      replay["savedStateIgnoredBecause"] = r.saved_state_ignored_because;
    }
    j["replay"] = replay;
  }
  if (r.failure) {
    j["failure"] = {{"index", r.failure->index},
                    {"check", r.failure->check},
                    {"expected", r.failure->expected},
                    {"found", r.failure->found},
                    {"message", r.failure->message}};
  }
  // Written into the text by WriteReportJson, from the compact text the
  // recount already is.
  j["recount"] = json::array();
  j["seconds"] = r.seconds;
  return j;
}

}  // namespace

void WriteReportJson(const VerifyReport& r, std::ostream& out) {
  json j = ReportJsonWithoutExplain(r);
  if (r.read_error.empty() && !r.explain_json.empty() && !r.trail) {
    j["explain"] = json::parse(r.explain_json);
  }
  std::string text = DumpJson(j, 2);
  if (!r.recount_json.empty()) {
    // The report's own member: a top-level key is the only text at the
    // start of a line after two spaces (strings cannot hold a raw newline).
    const std::string_view member = "\n  \"recount\": []";
    const size_t at = text.find(member);
    if (at != std::string::npos) {
      text.replace(at + member.size() - 2, 2,
                   IndentCompactJson(r.recount_json, 1, 2));
    }
  }
  if (!r.read_error.empty() || !r.trail || r.explain_json.empty()) {
    out << text << "\n";
    return;
  }
  // The trail is streamed from its spool into "explain": {..., "entries":
  // [...]}, after the rest of the object.
  text.pop_back();  // the closing '}' (dump ends "\n}")
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  std::string header = DumpJson(json::parse(r.explain_json));
  header.pop_back();  // its closing '}'
  out << text << ",\n  \"explain\": " << header
      << (header.size() > 1 ? "," : "") << "\"entries\": [";
  bool first = true;
  Status s = r.trail->ForEach([&](std::string_view line) {
    out << (first ? "\n    " : ",\n    ") << line;
    first = false;
  });
  (void)s;  // A spool that cannot be read ends the list early; see below.
  out << "]"
      << (s.ok() ? "" : ", \"trailError\": " + DumpJson(json(s.message())))
      << "}\n}\n";
}

std::string ReportToJson(const VerifyReport& r) {
  std::ostringstream out;
  WriteReportJson(r, out);
  std::string text = out.str();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

namespace {

// One entry of an audit trail for a person, with the proof hashes a
// journalist can quote.
std::string TrailEntryToText(const json& e) {
  std::ostringstream out;
  out << "  entry " << e.value("index", json()).dump() << " "
      << e.value("kind", "") << " (" << e.value("relation", "") << ")";
  if (e.contains("recordedAtMs") && e["recordedAtMs"].is_number()) {
    out << ", recorded " << FormatCst(e["recordedAtMs"].get<int64_t>());
  }
  if (e.contains("jurisdiction") && e["jurisdiction"].is_string() &&
      !e["jurisdiction"].get<std::string>().empty()) {
    out << " in " << e["jurisdiction"].get<std::string>();
  }
  out << "\n    author " << e.value("author", "") << "\n    leaf   "
      << e.value("leafHash", "") << "\n";
  if (e.contains("inclusionProof") && e["inclusionProof"].is_array()) {
    out << "    inclusion proof ("
        << (e.value("inclusionVerified", false) ? "verified" : "NOT verified")
        << "):\n";
    for (const json& h : e["inclusionProof"]) {
      out << "      " << h.get<std::string>() << "\n";
    }
  } else {
    out << "    no inclusion proof: the entry is beyond the checkpoint\n";
  }
  if (e.contains("event")) out << "    event  " << DumpJson(e["event"]) << "\n";
  return PrintableText(out.str());
}

// The audit trail: its header, then one paragraph per entry (from the
// report's JSON, or streamed from a proof bundle's spool).
void WriteExplainText(const json& explain, const TrailSpool* spool,
                      std::ostream& out) {
  const uint64_t count =
      spool ? spool->count()
            : (explain.contains("entries") ? explain["entries"].size() : 0);
  std::ostringstream head;
  head << "AUDIT TRAIL of record " << explain.value("record", json()).dump()
       << " (" << count << " entries), proved against "
       << explain.value("provedAgainst", "") << "\n";
  head << "  tree size " << explain.value("treeSize", json()).dump()
       << ", root " << explain.value("root", "") << "\n";
  if (count == 0) head << "  no entry created or refers to this record\n";
  out << PrintableText(head.str());
  if (spool) {
    Status s = spool->ForEach([&](std::string_view line) {
      out << TrailEntryToText(json::parse(line));
    });
    if (!s.ok()) out << "  (the rest of the trail: " << s.message() << ")\n";
    return;
  }
  if (!explain.contains("entries")) return;
  for (const json& e : explain["entries"]) out << TrailEntryToText(e);
}

}  // namespace

void WriteReportText(const VerifyReport& r, std::ostream& sink) {
  std::ostringstream out;
  if (!r.read_error.empty()) {
    out << Verdict(kExitUnusable) << " " << r.input << ": " << r.read_error
        << "\n";
    sink << PrintableText(out.str());
    return;
  }
  out << Verdict(r.exit_code) << ": " << r.input << "\n";
  out << "  origin      " << r.origin << "\n";
  if (r.proof_bundle) {
    out << "  entries     " << r.proved_entries << " of the " << r.entries
        << " the checkpoint covers (inclusion, signatures, authorization)\n";
    if (r.entries > 0) {
      out << "  proven      against the checkpoint of size " << r.entries;
      if (r.checkpoint_time_ms) {
        out << ", whose last entry (" << r.entries - 1 << ") was recorded "
            << FormatCst(*r.checkpoint_time_ms);
      }
      out << "\n";
    }
    out << "  caveat      " << kProofBundleCaveat << "\n";
  } else if (r.exit_code == kExitInconsistent || r.unchanged ||
             (r.entries == 0 && r.failure && r.failure->check == "checkpoint" &&
              r.remembered_size)) {
    out << "  entries     not read this time\n";
  } else if (r.from_saved_state > 0) {
    out << "  entries     " << r.entries << ": "
        << r.entries - r.from_saved_state
        << " checked (chain, signatures, authorization, rules) after the "
        << r.from_saved_state
        << " whose checks were continued from the saved state\n";
  } else {
    if (r.signatures_checked) {
      out << "  entries     " << r.entries << " checked (chain, signatures, "
          << "authorization, rules)\n";
    } else {
      out << "  entries     " << r.entries << " checked (chain, authorization, "
          << "rules); the authors' signatures NOT checked (--no-signatures): "
          << "not an audit\n";
    }
  }
  if (!r.saved_state_ignored_because.empty()) {
    out << "  replay      the saved state was NOT used ("
        << r.saved_state_ignored_because
        << "): every entry was checked from entry 0\n";
  }
  out << "  root        " << r.root << "\n";
  out << "  key         "
      << (r.checkpoint_key.empty() ? "(none)" : r.checkpoint_key)
      << (r.pinned ? "  [pinned with --vkey]"
                   : "  [UNPINNED: taken from the log itself; pass --vkey "
                     "with the key published by the congress to pin it]")
      << "\n";
  out << "  root key    " << (r.root_key.empty() ? "(none)" : r.root_key)
      << (r.root_key_pinned ? "  [pinned with --root-key]"
                            : "  [not pinned: pass --root-key with the key "
                              "published by the congress]")
      << "\n";
  for (const auto& c : r.checkpoints) {
    out << "  checkpoint  " << c.source << " size " << c.size << ": "
        << (c.ok ? "ok" : "FAILED") << " (" << c.message << ")\n";
  }
  if (r.checkpoints.empty()) out << "  checkpoint  none found\n";
  if (r.witnesses) out << WitnessText(*r.witnesses);
  if (r.witness_wait_seconds) {
    out << "  waited      " << FormatSeconds(*r.witness_wait_seconds)
        << " s for the witnesses to cosign the log's newest checkpoint "
        << (r.witness_wait_met ? "(the quorum came)"
                               : "(the quorum did not come in that time; "
                                 "--witness-wait sets how long)")
        << "\n";
  }
  if (r.remembered_size) {
    out << "  remembered  size " << *r.remembered_size << ", root "
        << r.remembered_root << " (" << r.state_file << ")\n";
  }
  if (r.bundles > 0) {
    out << "  tiles       " << r.bundles << " entry bundles, "
        << r.bundles_fetched << " fetched"
        << (r.bundles_fetched < r.bundles
                ? " (the others from the entry cache, each entry checked "
                  "against the log's hash tiles)"
                : "")
        << "\n";
  }
  if (r.unchanged) {
    out << "  unchanged   the log serves the remembered checkpoint; nothing "
           "new to verify\n";
  }
  if (r.state_updated) {
    out << "  state       " << r.state_file << " now remembers size "
        << r.entries << "\n";
  }
  for (const std::string& e : r.evidence) {
    out << "  evidence    " << e << "\n";
  }
  if (r.failure) {
    out << "\nFIRST FAILURE at entry " << r.failure->index << " ["
        << r.failure->check << "]\n  " << r.failure->message << "\n";
    if (!r.failure->expected.empty() || !r.failure->found.empty()) {
      out << "  expected " << r.failure->expected << "\n  found    "
          << r.failure->found << "\n";
    }
  }
  json rounds = json::parse(r.recount_json.empty() ? "[]" : r.recount_json);
  if (!rounds.empty()) out << "\nRECOUNT (from the recorded ballots)\n";
  for (const auto& round : rounds) {
    out << "  round " << round["round"];
    if (round.value("cycleBackfill", false)) {
      out << " [cycle " << round["cycle"] << " is a BACKFILL (补录)]";
    }
    out << " (vote " << round["vote"] << ", round " << round["number"] << ", "
        << round["purpose"].get<std::string>() << "): issued "
        << round["issued"] << ", collected " << round["collected"] << ", valid "
        << round["valid"] << ", invalid " << round["invalid"] << "\n";
    if (round["purpose"] == "projectSelection") {
      out << "    seats " << round["seats"] << ", at most "
          << round["maxApprovals"] << " approvals per valid ballot\n";
    }
    const bool is_void = round.value("void", false);
    const bool must_be_voided = round.value("mustBeVoided", false);
    if (is_void) {
      out << "    VOID: " << round["voidReason"].get<std::string>()
          << "; the round decides nothing and is held again\n";
    } else if (must_be_voided) {
      out << "    MUST BE VOIDED: " << round["voidReason"].get<std::string>()
          << "; no tally can be certified until the round is declared void\n";
    }
    for (const auto& box : round["boxes"]) {
      out << "    box " << box["box"] << " " << box["label"].get<std::string>()
          << ": issued " << box["issued"] << ", collected " << box["collected"]
          << ", valid " << box["valid"] << ", invalid " << box["invalid"]
          << "\n";
    }
    for (const auto& item : round["items"]) {
      out << "    item " << item["item"];
      if (item.contains("title")) {
        out << " " << item["title"].get<std::string>();
      }
      if (item.contains("approve")) {
        out << ": approve " << item["approve"] << ", oppose " << item["oppose"]
            << ", abstain " << item["abstain"] << "\n";
      } else {
        out << ": satisfied " << item["satisfied"] << ", basically "
            << item["basicallySatisfied"] << ", unsatisfied "
            << item["unsatisfied"] << ", abstain " << item["abstain"] << "\n";
      }
    }
    out << "    pass line: more than half of " << round["passBase"] << " "
        << round["passBaseKind"].get<std::string>() << " (at least "
        << round["passThreshold"] << ")\n";
    if (is_void || must_be_voided) {
      // No winners, no grades: nothing to list.
    } else if (round["purpose"] == "projectSelection") {
      out << "    elected (ranked): " << round["elected"].dump()
          << "  tied: " << round["tiedAtCutoff"].dump()
          << "  vacant: " << round["vacantSeats"] << "\n";
    } else if (round.contains("grades")) {
      for (const auto& g : round["grades"]) {
        out << "    grade item " << g["item"] << ": "
            << g["grade"].get<std::string>() << "\n";
      }
    }
    if (round["matchesPublished"].is_null()) {
      out << "    no tally or result was published for this round\n";
    } else {
      out << "    published results "
          << (round["matchesPublished"].get<bool>()
                  ? "match the recount"
                  : "DO NOT match the recount")
          << "\n";
    }
  }
  sink << PrintableText(out.str());
  out.str("");
  if (!r.explain_json.empty()) {
    sink << "\n";
    WriteExplainText(json::parse(r.explain_json), r.trail.get(), sink);
  }
  out << "\n"
      << (r.exit_code == kExitValid ? "result: valid"
          : r.exit_code == kExitValidUnpinned
              ? "result: valid, UNPINNED (exit 3: pass --vkey to pin)"
          : r.exit_code == kExitInconsistent
              ? "result: INCONSISTENT with the remembered checkpoint (exit "
                "4): keep the evidence files and report them"
              : "result: INVALID")
      << " (" << std::fixed << std::setprecision(2) << r.seconds << " s)\n";
  sink << PrintableText(out.str());
}

std::string ReportToText(const VerifyReport& r) {
  std::ostringstream out;
  WriteReportText(r, out);
  return out.str();
}

}  // namespace piaojue::verifier
