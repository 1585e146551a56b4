// piaojue-bench open --data DIR [--writable]
//
// Opening the ledger as a restarted process does: read-only (`piaojue
// verify`-style readers, `rebuild`) or, with --writable, for writing (what
// `piaojue serve` does), which also checks the nonce index against the
// head's digest before any append is placed (docs/VERIFY.md, "Side data").
// A writable open changes the store (RocksDB writes a new log at open):
// run it on a copy of a kept province.
#include "api/cli/data_dir.h"
#include "bench/verbs.h"
#include "ledger/ledger.h"

namespace piaojue::bench {

int RunOpen(const OpenArgs& args) {
  const std::string verb = "open";
  const cli::DataDir dir(args.data);
  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  auto ledger = ledger::Ledger::Open(dir.ledger_path(), {}, !args.writable);
  const double open_seconds = SecondsSince(start);
  const double open_cpu = ProcessCpuSeconds() - cpu_start;
  if (!ledger.ok()) return Fail(verb, ledger.status().ToString());
  // When an append could be placed: writable() answers once every check
  // of the side indexes is done.
  const Status writable = (*ledger)->writable();
  const double writable_seconds = SecondsSince(start);
  const double writable_cpu = ProcessCpuSeconds() - cpu_start;
  nlohmann::json out;
  out["verb"] = verb;
  out["entries"] = (*ledger)->size();
  out["writable"] = args.writable;
  out["open_ms"] = open_seconds * 1000;
  out["open_cpu_ms"] = open_cpu * 1000;
  out["writable_ms"] = writable_seconds * 1000;
  out["writable_cpu_ms"] = writable_cpu * 1000;
  out["writable_status"] = writable.ok() ? "OK" : writable.ToString();
  out["peak_rss_mib"] = PeakRssMiB();
  return PrintResult(out);
}

}  // namespace piaojue::bench
