#include "bench/bench_util.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>

#include "ledger/ledger.h"

namespace piaojue::bench {

Percentiles Summarise(std::vector<double> us) {
  Percentiles p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * us.size()));
    return us[std::clamp<size_t>(i, 1, us.size()) - 1];
  };
  p.p50_us = rank(0.50);
  p.p99_us = rank(0.99);
  p.p999_us = rank(0.999);
  return p;
}

void AddPercentiles(nlohmann::json& out, const Percentiles& p,
                    const std::string& prefix) {
  auto round = [](double v) { return std::round(v * 10) / 10; };
  out[prefix + "p50_us"] = round(p.p50_us);
  out[prefix + "p99_us"] = round(p.p99_us);
  out[prefix + "p999_us"] = round(p.p999_us);
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

double CurrentRssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::strtod(line.c_str() + 6, nullptr) / 1024.0;  // kB
    }
  }
  return 0;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int PrintResult(const nlohmann::json& result) {
  std::printf("%s\n", result.dump().c_str());
  std::fflush(stdout);
  return 0;
}

int Fail(const std::string& verb, const std::string& message) {
  std::fprintf(stderr, "piaojue-bench %s: %s\n", verb.c_str(), message.c_str());
  return 1;
}

ScratchDir::ScratchDir(const std::string& name) {
  path_ = (std::filesystem::temp_directory_path() /
           ("piaojue-bench-" + name + "-" + std::to_string(getpid())))
              .string();
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void GroupRecorder::Record(const ledger::GroupStats& group) {
  std::lock_guard<std::mutex> lock(mu_);
  members_.push_back(group.members);
  if (group.write_us <= 0) return;
  write_us_.push_back(static_cast<double>(group.write_us));
  place_us_ += static_cast<double>(group.place_us);
  log_us_ += static_cast<double>(group.log_us);
  memtable_us_ += static_cast<double>(group.memtable_us);
}

void GroupRecorder::Report(nlohmann::json& out, const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t total = 0, most = 0;
  for (size_t m : members_) {
    total += m;
    most = std::max(most, m);
  }
  out[prefix + "groups"] = members_.size();
  out[prefix + "group_mean"] =
      members_.empty() ? 0.0 : static_cast<double>(total) / members_.size();
  out[prefix + "group_max"] = most;
  const size_t written = write_us_.size();
  const auto mean = [&](double sum) {
    return written == 0 ? 0.0 : std::round(sum / written * 10) / 10;
  };
  out[prefix + "sync_mean_us"] =
      mean(std::accumulate(write_us_.begin(), write_us_.end(), 0.0));
  AddPercentiles(out, Summarise(std::move(write_us_)), prefix + "sync_");
  out[prefix + "place_mean_us"] = mean(place_us_);
  out[prefix + "log_mean_us"] = mean(log_us_);
  out[prefix + "memtable_mean_us"] = mean(memtable_us_);
  members_.clear();
  write_us_.clear();
  place_us_ = log_us_ = memtable_us_ = 0;
}

}  // namespace piaojue::bench
