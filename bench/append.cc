// piaojue-bench append --data DIR --entries N --clients C
//
// C threads append N pre-signed proposals through the ledger's public API
// (ledger::Ledger::Append with the cycle's rules installed, as `piaojue
// serve` runs it): each append checks the signature, the author's grant,
// the nonce and the rules, and returns only once its group is synced.
#include <atomic>
#include <mutex>
#include <thread>

#include "bench/verbs.h"
#include "bench/workload.h"

namespace piaojue::bench {

int RunAppend(const AppendArgs& args) {
  const std::string verb = "append";
  if (args.entries == 0 || args.clients < 1) {
    return Fail(verb, "--entries and --clients must be at least 1");
  }
  if (Status s = EnsureLedger(args.data); !s.ok())
    return Fail(verb, s.ToString());
  // Group sizes and sync times, to say what bounds the latency.
  GroupRecorder groups;
  std::atomic<bool> timing{false};  // only the groups of the timed appends
  cli::StoreHooks hooks;
  hooks.on_group = [&](const ledger::GroupStats& g) {
    if (timing) groups.Record(g);
  };
  auto session = cli::Session::Open(cli::DataDir(args.data), false, {},
                                    /*sync=*/true, hooks);
  if (!session.ok()) return Fail(verb, session.status().ToString());
  auto intake = OpenIntake(**session, args.counties);
  if (!intake.ok()) return Fail(verb, intake.status().ToString());
  auto events = SignProposals(*intake, args.entries);
  if (!events.ok()) return Fail(verb, events.status().ToString());
  ledger::Ledger& ledger = (*session)->ledger();
  const uint64_t size_before = ledger.size();

  std::vector<std::vector<double>> latencies(args.clients);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string first_error;
  std::mutex error_mu;
  timing = true;  // no group is being written here: nothing appends
  const double cpu_start = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < args.clients; ++t) {
    pool.emplace_back([&, t] {
      latencies[t].reserve(args.entries / args.clients + 1);
      for (size_t i; (i = next.fetch_add(1)) < args.entries;) {
        const Clock::time_point a = Clock::now();
        auto r = ledger.Append((*events)[i]);
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - a)
                .count());
        if (!r.ok()) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (!failed.exchange(true)) first_error = r.status().ToString();
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double seconds = SecondsSince(start);
  // All threads' CPU over the timed appends (the signing before the clock
  // is not in it): what an append costs, whatever the other load.
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  if (failed) return Fail(verb, "an append was refused: " + first_error);

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = args.entries;
  out["clients"] = args.clients;
  out["log_size_before"] = size_before;
  out["seconds"] = seconds;
  out["entries_per_s"] = args.entries / seconds;
  out["cpu_seconds"] = cpu_seconds;
  out["cpu_us_per_entry"] = cpu_seconds * 1e6 / args.entries;
  AddPercentiles(out, Summarise(std::move(all)));
  groups.Report(out);
  if (Status s = (*session)->SaveSnapshot(); !s.ok()) {
    return Fail(verb, s.ToString());
  }
  return PrintResult(out);
}

}  // namespace piaojue::bench
