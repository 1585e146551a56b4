// piaojue-bench rebuild --data DIR
//
// Opening the ledger (read-only, as a restarted server does) and rebuilding
// every projection from entry 0 (projections::ReplayTo: each entry parsed,
// checked against the rules and applied), ignoring any snapshot.
#include <time.h>

#include "api/cli/data_dir.h"
#include "bench/verbs.h"
#include "ledger/ledger.h"
#include "projections/replay.h"

namespace piaojue::bench {

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int RunRebuild(const RebuildArgs& args) {
  const std::string verb = "rebuild";
  const cli::DataDir dir(args.data);
  const Clock::time_point open_start = Clock::now();
  const double open_cpu_start = ProcessCpuSeconds();
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {}, true);
  const double open_seconds = SecondsSince(open_start);
  const double open_cpu = ProcessCpuSeconds() - open_cpu_start;
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  const uint64_t size = (*ledger)->size();
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  const double fold_cpu_start = ThreadCpuSeconds();
  auto state = projections::ReplayTo(**ledger, size);
  const double seconds = SecondsSince(start);
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  // The fold runs on this thread; the entries are read and prepared on a
  // second one (projections::CatchUp). On two idle cores the fold's CPU
  // time is what bounds the wall time.
  const double fold_cpu_seconds = ThreadCpuSeconds() - fold_cpu_start;
  if (!state.ok()) return Fail(verb, state.status().ToString());
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = size;
  out["open_ms"] = open_seconds * 1000;
  out["open_cpu_ms"] = open_cpu * 1000;
  out["seconds"] = seconds;
  out["entries_per_s"] = size / seconds;
  out["cpu_seconds"] = cpu_seconds;
  out["entries_per_cpu_s"] = size / cpu_seconds;
  out["fold_cpu_seconds"] = fold_cpu_seconds;
  out["entries_per_fold_cpu_s"] = size / fold_cpu_seconds;
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
