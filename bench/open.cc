// piaojue-bench open --data DIR [--writable]
//
// Opening the ledger as a restarted process does: read-only (`piaojue
// verify`-style readers, `rebuild`) or, with --writable, for writing (what
// `piaojue serve` does), which also checks the nonce index against the
// head's digest before any append is placed (docs/VERIFY.md, "Side data").
// A writable open changes the store (RocksDB writes a new log at open):
// run it on a copy of a kept province.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/cli/data_dir.h"
#include "bench/verbs.h"
#include "ledger/ledger.h"

namespace piaojue::bench {

namespace {

// CPU time (user + system, seconds) of the threads RocksDB runs on its own
// (named "rocksdb:…": flushes and compactions it schedules when a store is
// opened for writing). They live as long as the store, so subtracting them
// from the process's CPU time leaves what the open itself cost, including
// threads that have already exited.
double StoreBackgroundCpuSeconds() {
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind("rocksdb:", 0) != 0) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    // Fields after the command (which may hold spaces) end at ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    total += (utime + stime) / tick;
  }
  return total;
}

}  // namespace

int RunOpen(const OpenArgs& args) {
  const std::string verb = "open";
  const cli::DataDir dir(args.data);
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {}, !args.writable);
  const double open_seconds = SecondsSince(start);
  const double open_cpu = ProcessCpuSeconds() - cpu_start;
  const double open_store_cpu = StoreBackgroundCpuSeconds();
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  // When an append could be placed: writable() answers once every check
  // of the side indexes is done.
  const Status writable = (*ledger)->writable();
  const double writable_seconds = SecondsSince(start);
  const double writable_cpu = ProcessCpuSeconds() - cpu_start;
  const double store_cpu = StoreBackgroundCpuSeconds();
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = (*ledger)->size();
  out["writable"] = args.writable;
  out["open_ms"] = open_seconds * 1000;
  out["open_cpu_ms"] = open_cpu * 1000;
  out["writable_ms"] = writable_seconds * 1000;
  out["writable_cpu_ms"] = writable_cpu * 1000;
  // Without the store's own background threads (compactions RocksDB
  // starts when it opens for writing, whatever the caller does).
  out["open_own_cpu_ms"] = std::max(0.0, open_cpu - open_store_cpu) * 1000;
  out["writable_own_cpu_ms"] = std::max(0.0, writable_cpu - store_cpu) * 1000;
  out["store_background_cpu_ms"] = store_cpu * 1000;
  out["writable_status"] = writable.ok() ? "OK" : writable.ToString();
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
