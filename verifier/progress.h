// The verifier's progress line: one line on a terminal, rewritten in place,
// for long runs only. Nothing when the output is not a terminal (a pipe, a
// file, a CI log), nothing for runs shorter than a second, at most four
// updates a second, and erased when the run ends.
//
// Not thread-safe: one thread updates it.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace piaojue::verifier {

class Progress {
 public:
  using Clock = std::chrono::steady_clock;

  // Writes to `out` when `enabled` and `out` is a terminal. `now` is the
  // clock (tests pass their own).
  Progress(bool enabled, std::FILE* out,
           std::function<Clock::time_point()> now = Clock::now);

  // The number of entries expected (0 = unknown); a hint for the
  // percentage and the time left.
  void SetTotal(uint64_t total) { total_ = total; }
  // `done` entries are checked.
  void Update(uint64_t done);
  // Erases the line if one was shown.
  void Done();

  bool shown() const { return shown_; }

 private:
  bool enabled_;
  std::FILE* out_;
  std::function<Clock::time_point()> now_;
  bool shown_ = false;
  uint64_t total_ = 0;
  Clock::time_point start_, last_{};
};

// The line for `done` of `total` (0 = unknown) entries after `seconds`.
std::string ProgressLine(uint64_t done, uint64_t total, double seconds);

}  // namespace piaojue::verifier
