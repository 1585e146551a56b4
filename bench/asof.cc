// piaojue-bench asof --data DIR --queries Q
//
// The state as of Q past points spread evenly over the log, each built from
// nothing as a cold `as_of` request is (projections::ReplayTo), so the
// latency shows how a past state's cost grows with the point asked for.
#include "api/cli/data_dir.h"
#include "bench/verbs.h"
#include "ledger/ledger.h"
#include "projections/replay.h"

namespace piaojue::bench {

int RunAsOf(const AsOfArgs& args) {
  const std::string verb = "asof";
  if (args.queries == 0) return Fail(verb, "--queries must be at least 1");
  const cli::DataDir dir(args.data);
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {}, true);
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  const uint64_t size = (*ledger)->size();
  std::vector<double> latencies;
  const Clock::time_point start = Clock::now();
  for (size_t q = 1; q <= args.queries; ++q) {
    // Points k/Q of the way through the log: the last one is the head.
    const uint64_t at = std::max<uint64_t>(1, size * q / args.queries);
    const Clock::time_point a = Clock::now();
    auto state = projections::ReplayTo(**ledger, at);
    latencies.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - a).count());
    if (!state.ok()) return Fail(verb, state.status().ToString());
  }
  const double seconds = SecondsSince(start);
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = size;
  out["queries"] = args.queries;
  out["seconds"] = seconds;
  out["queries_per_s"] = args.queries / seconds;
  AddPercentiles(out, Summarise(std::move(latencies)));
  return PrintResult(out);
}

}  // namespace piaojue::bench
