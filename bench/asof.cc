// piaojue-bench asof --data DIR --queries Q [--every K] [--cold C] [--stored]
//
// Past states as an uncached `as_of` request builds them
// (projections::StateAtSize, what `piaojue serve` runs): first the past
// states every K entries are kept in memory by one fold of the log
// (projections::PastStates, what a server does in the background at start;
// timed, with the process's resident memory after it), or with --stored the
// projection snapshots every K entries are written where the store lacks
// them; then Q past sizes spread over the log, each off a boundary, are
// built from the nearest kept state (or stored snapshot); the JSON gives
// their latency and the most entries one of them folded (at most K - 1). C
// of them are also rebuilt from entry 0, as before either existed, for the
// ratio. With --stored, largest_snapshot times reading the largest stored
// snapshot (store read and seal check, then State::Deserialize).
// held_bytes_per_entry: what each past state built from a kept one holds
// beyond it (malloc's bytes in use before and after, the state kept
// alive), per entry folded — what serve's as_of cache charges per entry
// (Service::kAsOfBytesPerEntry).
//
// With --kept-cost, no queries: the log is folded twice, keeping a state
// every K entries and keeping none, and the bytes each entry's fold added
// to malloc's bytes in use are summed by entry kind; the difference is what
// the kept states cost (the records and trie nodes the entries after each
// kept state copied rather than changed in place): kept_bytes_per_entry,
// overall and by kind.

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "api/cli/data_dir.h"
#include "bench/verbs.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "projections/heap.h"
#include "projections/replay.h"

namespace piaojue::bench {

namespace {

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

// The bytes each entry's fold added to malloc's bytes in use, summed by
// entry kind; with `keep_every` > 0 a copy of the state is kept every
// `keep_every` entries (as PastStates keeps them), so an entry's change to
// a record a kept state shares copies it. The kept copies are released
// before returning.
struct KindBytes {
  uint64_t entries = 0;
  int64_t bytes = 0;
};
Result<std::map<std::string, KindBytes>> FoldBytesByKind(
    const ledger::Ledger& ledger, uint64_t size, uint64_t keep_every,
    size_t* kept_count, uint64_t* heap_end) {
  std::map<std::string, KindBytes> out;
  std::vector<projections::State> kept;
  projections::State state;
  Status s = ledger.ForEachEntry(
      0, size, [&](uint64_t index, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView view,
                         ledger::EntryView::Parse(bytes));
        RETURN_IF_ERROR(state.Check(view));
        const uint64_t before = projections::HeapInUseBytes();
        state.Apply(view);
        const uint64_t after = projections::HeapInUseBytes();
        KindBytes& k = out[ledger::EventKindName(view.event().which())];
        ++k.entries;
        k.bytes += static_cast<int64_t>(after) - static_cast<int64_t>(before);
        if (keep_every > 0 && (index + 1) % keep_every == 0) {
          kept.push_back(state);
        }
        return Status::Ok();
      });
  if (!s.ok()) return s;
  *kept_count = kept.size();
  *heap_end = projections::HeapInUseBytes();
  return out;
}

int RunKeptCost(const AsOfArgs& args, const ledger::Ledger& ledger) {
  const std::string verb = "asof";
  const uint64_t size = ledger.size();
  const uint64_t heap_start = projections::HeapInUseBytes();
  size_t kept = 0, none = 0;
  uint64_t heap_kept = 0, heap_alone = 0;
  auto with = FoldBytesByKind(ledger, size, args.every, &kept, &heap_kept);
  if (!with.ok()) return Fail(verb, with.status().ToString());
  auto without = FoldBytesByKind(ledger, size, 0, &none, &heap_alone);
  if (!without.ok()) return Fail(verb, without.status().ToString());
  nlohmann::json kinds = nlohmann::json::object();
  int64_t total = 0;
  for (const auto& [kind, k] : *with) {
    const KindBytes& alone = (*without)[kind];
    const int64_t extra = k.bytes - alone.bytes;
    total += extra;
    kinds[kind] = {
        {"entries", k.entries},
        {"kept_bytes", extra},
        {"kept_bytes_per_entry",
         static_cast<double>(extra) / static_cast<double>(k.entries)},
        {"state_bytes_per_entry",
         static_cast<double>(alone.bytes) / static_cast<double>(k.entries)}};
  }
  nlohmann::json out;
  out["verb"] = verb;
  out["mode"] = "kept_cost";
  out["entries"] = size;
  out["every"] = args.every;
  out["kept_states"] = kept;
  out["kept_bytes"] = total;
  out["kept_bytes_per_entry"] =
      static_cast<double>(total) / static_cast<double>(size);
  out["state_heap_mib"] =
      static_cast<double>(heap_alone - std::min(heap_alone, heap_start)) /
      (1 << 20);
  out["kinds"] = kinds;
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace

int RunAsOf(const AsOfArgs& args) {
  const std::string verb = "asof";
  if (args.queries == 0) return Fail(verb, "--queries must be at least 1");
  if (args.every == 0) return Fail(verb, "--every must be at least 1");
  const cli::DataDir dir(args.data);
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {},
                                     /*read_only=*/!args.stored);
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  const uint64_t size = (*ledger)->size();
  if (size < 2) return Fail(verb, "the ledger has fewer than 2 entries");
  if (args.kept_cost) return RunKeptCost(args, **ledger);

  const uint64_t store_before = DirectoryBytes(dir.ledger_path());
  const Clock::time_point backfill_start = Clock::now();
  uint64_t written = 0;
  projections::PastStates past(args.every);
  if (args.stored) {
    projections::SnapshotWriter writer(**ledger, args.every);
    auto w = writer.CatchUpTo(size);
    if (!w.ok()) return Fail(verb, w.status().ToString());
    written = *w;
  } else {
    Status s = past.CatchUpTo(**ledger, size);
    if (!s.ok()) return Fail(verb, s.ToString());
  }
  const double backfill_seconds = SecondsSince(backfill_start);
  const double rss_after_backfill = CurrentRssMiB();
  const uint64_t store_after = DirectoryBytes(dir.ledger_path());

  // One stored snapshot, the largest: read from the store with its seal
  // checked against the log, then read as a state (what the first part of
  // a past state costs).
  nlohmann::json one;
  if (args.stored) {
    const Clock::time_point a = Clock::now();
    auto snap = (*ledger)->ProjectionSnapshotAtOrBelow(size);
    const double read_ms = SecondsSince(a) * 1e3;
    if (snap.ok()) {
      const Clock::time_point b = Clock::now();
      auto state = projections::State::Deserialize(snap->bytes);
      if (!state.ok()) return Fail(verb, state.status().ToString());
      one["entries"] = snap->size;
      one["bytes"] = snap->bytes.size();
      one["read_and_seal_ms"] = read_ms;
      one["load_ms"] = SecondsSince(b) * 1e3;
    }
  }

  std::vector<double> latencies;
  std::vector<double> held_per_entry;
  std::vector<projections::State> held;  // alive, as a cache would keep them
  uint64_t max_replayed = 0, from_snapshot = 0;
  std::mt19937_64 rng(42);
  const Clock::time_point start = Clock::now();
  for (size_t q = 1; q <= args.queries; ++q) {
    // Points k/Q of the way through the log, moved off the boundary by a
    // random part of an interval (the boundary itself would fold nothing).
    uint64_t at = std::max<uint64_t>(1, size * q / args.queries);
    if (at < size) at = std::min(size - 1, at + rng() % args.every);
    const Clock::time_point a = Clock::now();
    projections::PastStateInfo info;
    std::shared_ptr<const projections::State> base =
        args.stored ? nullptr : past.AtOrBefore(at);
    const uint64_t heap_before = projections::HeapInUseBytes();
    auto state = projections::StateAtSize(**ledger, at, base.get(), &info);
    latencies.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!state.ok()) return Fail(verb, state.status().ToString());
    const uint64_t heap_after = projections::HeapInUseBytes();
    if (base != nullptr && info.replayed > 0 && heap_after > heap_before) {
      held_per_entry.push_back(static_cast<double>(heap_after - heap_before) /
                               static_cast<double>(info.replayed));
    }
    held.push_back(std::move(*state));
    max_replayed = std::max(max_replayed, info.replayed);
    if (info.from_snapshot || base != nullptr) ++from_snapshot;
  }
  const double seconds = SecondsSince(start);

  // The same kind of point rebuilt from entry 0, as every uncached as_of
  // was before snapshots.
  std::vector<double> cold;
  for (size_t c = 1; c <= args.cold; ++c) {
    const uint64_t at = std::max<uint64_t>(1, size * c / args.cold - 1);
    const Clock::time_point a = Clock::now();
    auto state = projections::ReplayTo(**ledger, at);
    cold.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!state.ok()) return Fail(verb, state.status().ToString());
  }

  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = size;
  out["every"] = args.every;
  out["mode"] = args.stored ? "stored" : "memory";
  out["snapshots_written"] = written;
  if (!one.is_null()) out["largest_snapshot"] = one;
  out["kept_states"] = past.kept();
  out["rss_after_backfill_mib"] = rss_after_backfill;
  out["backfill_seconds"] = backfill_seconds;
  out["store_bytes_before"] = store_before;
  out["store_bytes_after"] = store_after;
  out["queries"] = args.queries;
  out["seconds"] = seconds;
  out["queries_per_s"] = args.queries / seconds;
  out["max_replayed"] = max_replayed;
  out["from_snapshot"] = from_snapshot;
  AddPercentiles(out, Summarise(std::move(latencies)));
  if (!held_per_entry.empty()) {
    std::sort(held_per_entry.begin(), held_per_entry.end());
    out["held_bytes_per_entry_p50"] = held_per_entry[held_per_entry.size() / 2];
    out["held_bytes_per_entry_max"] = held_per_entry.back();
  }
  out["cold_queries"] = args.cold;
  if (args.cold > 0) AddPercentiles(out, Summarise(std::move(cold)), "cold_");
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
