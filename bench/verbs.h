// The verbs of piaojue-bench, one per translation unit. Each prints its
// progress on stderr and exactly one line of JSON on stdout, last; it
// returns the process's exit status (0 ok, 1 failed). The JSON fields are
// listed in docs/PERFORMANCE.md, "The driver".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bench/bench_util.h"

namespace piaojue::bench {

struct AppendArgs {
  std::string data;  // created if it holds no ledger
  size_t entries = 20000;
  int clients = 8;
  int counties = 16;  // counties whose cycles receive the proposals
};
int RunAppend(const AppendArgs& args);

struct GenerateArgs {
  std::string out;   // the bundle file
  std::string data;  // keep the ledger here ("" = a scratch directory)
  uint64_t entries = 10000;
  uint64_t window = 0;  // demo::ProvinceOptions::window_entries; 0 = default
};
int RunGenerate(const GenerateArgs& args);

struct VerifyArgs {
  std::string bundle;
  std::string vkey;  // "" = unpinned
  unsigned threads = 0;
  bool no_signatures = false;  // piaojue-verify --no-signatures
};
int RunVerify(const VerifyArgs& args);

struct RebuildArgs {
  std::string data;
};
int RunRebuild(const RebuildArgs& args);

struct OpenArgs {
  std::string data;
  bool writable = false;  // open for writing, as `piaojue serve` does
};
int RunOpen(const OpenArgs& args);

struct AsOfArgs {
  std::string data;
  size_t queries = 20;
  uint64_t every = 1024;  // projection snapshot interval (serve's default)
  size_t cold = 3;        // past states also rebuilt from entry 0
  bool stored = false;    // stored projection snapshots, not memory
  // Instead of the queries: what keeping a state every K entries costs, by
  // the kind of the entries folded after each kept state (two folds of the
  // log, with and without keeping states; malloc's bytes in use around
  // each entry folded).
  bool kept_cost = false;
};
int RunAsOf(const AsOfArgs& args);

struct HttpArgs {
  std::string data;
  int clients = 64;
  double seconds = 5;
  std::string mode = "both";  // "writes", "reads" or "both"
  int write_threads = 0;      // the server's write pool; 0 = its default
  // With N > 0, the write phase runs twice in the same run: without event
  // streams, then with N listeners on GET /v1/events (the fan-out's cost).
  int sse = 0;
  // With reads: also the view's latency with and without this many
  // connections (from distinct loopback addresses) asking for distinct
  // as_of sizes meanwhile; 0 = not measured.
  int asof_clients = 0;
  // The server's per-address replay budget (0 = serve's defaults).
  double replay_burst = 0;
  double replay_per_minute = 0;
};
int RunHttp(const HttpArgs& args);

struct SignArgs {
  std::string data;  // created if it holds no ledger
  std::string out;   // one POST /v1/entries body per line
  size_t entries = 1000;
  int counties = 4;
};
int RunSign(const SignArgs& args);

struct LimitsArgs {
  double seconds = 1;  // per measurement
};
int RunLimits(const LimitsArgs& args);

}  // namespace piaojue::bench
