// A token bucket per client address, for the public proposal intake.
//
// Each address starts with `burst` tokens; a request takes one; tokens come
// back at `per_minute` a minute up to `burst`. Time is passed in, so the
// limiter is deterministic under test. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace piaojue::server {

class RateLimiter {
 public:
  RateLimiter(double burst, double per_minute)
      : burst_(burst), per_ms_(per_minute / 60000.0) {}

  // True (and one token taken) when `address` may make a request at `now_ms`.
  // Otherwise false, and *retry_after_ms says when the next token is due.
  bool Allow(const std::string& address, int64_t now_ms,
             int64_t* retry_after_ms);

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  // Bounds memory under many addresses: drops buckets that have refilled.
  void PruneLocked(int64_t now_ms);

  const double burst_;
  const double per_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace piaojue::server
