// Shared pieces of the piaojue-bench verbs: timing, percentiles and the one
// line of JSON each verb prints last (docs/PERFORMANCE.md, "Method").
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace piaojue::ledger {
struct GroupStats;
}  // namespace piaojue::ledger

namespace piaojue::bench {

using Clock = std::chrono::steady_clock;

inline double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Latencies in microseconds, summarised as the verbs report them.
struct Percentiles {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
};

// Sorts `us` and picks the nearest-rank percentiles; zeros when empty.
Percentiles Summarise(std::vector<double> us);

// Adds p50_us, p99_us, p999_us (rounded to 0.1 µs) under `prefix`.
void AddPercentiles(nlohmann::json& out, const Percentiles& p,
                    const std::string& prefix = "");

// The ledger writer's groups during a run (ledger::LedgerOptions::
// on_group), thread-safe: how many appends shared each synced write, how
// long the writes took, and where the writer's time for a group went.
class GroupRecorder {
 public:
  void Record(const ledger::GroupStats& group);
  // Adds under `prefix`: groups, group_mean, group_max; sync_p50_us /
  // sync_p99_us / sync_p999_us and sync_mean_us (the groups' synced
  // writes); and the mean microseconds a group of the writer's cycle:
  // place_mean_us (placing), log_mean_us and memtable_mean_us (the store's
  // log write and sync, and its in-memory table, within the synced write).
  // Forgets what was recorded.
  void Report(nlohmann::json& out, const std::string& prefix = "");

 private:
  std::mutex mu_;
  std::vector<size_t> members_;
  std::vector<double> write_us_;
  // Sums over the written groups (those with a synced write, one in
  // write_us_ each).
  double place_us_ = 0, log_us_ = 0, memtable_us_ = 0;
};

// The process's peak resident set so far, in MiB.
double PeakRssMiB();
// The resident memory now (VmRSS), in MiB; 0 where /proc is missing.
double CurrentRssMiB();

// CPU time used by the whole process so far (all threads, user + system),
// in seconds. On a shared machine a phase's CPU seconds say what it costs
// when its wall time says mostly how busy the machine was.
double ProcessCpuSeconds();

// Prints `result` as the verb's final line on stdout and returns 0.
int PrintResult(const nlohmann::json& result);

// Prints "piaojue-bench <verb>: <message>" on stderr and returns 1.
int Fail(const std::string& verb, const std::string& message);

// A fresh directory under the system temp directory, removed with its
// contents on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace piaojue::bench
