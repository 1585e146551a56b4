// Token buckets for the public proposal intake: one per client address,
// and one shared by all addresses (IntakeLimiter).
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

// The intake's two limits together: a request must pass its address's
// bucket and then the global bucket of all addresses, so many source
// addresses (one machine with a block of them) cannot post freely. A request
// refused by its address's limit takes nothing from the global budget.
// Thread-safe.
class IntakeLimiter {
 public:
  IntakeLimiter(double burst, double per_minute, double global_burst,
                double global_per_minute)
      : per_address_(burst, per_minute),
        global_(global_burst, global_per_minute) {}

  // As RateLimiter::Allow; *retry_after_ms is from whichever limit refused,
  // and *by_global (if given) says whether it was the global one.
  bool Allow(const std::string& address, int64_t now_ms,
             int64_t* retry_after_ms, bool* by_global = nullptr) {
    if (by_global != nullptr) *by_global = false;
    if (!per_address_.Allow(address, now_ms, retry_after_ms)) return false;
    if (global_.Allow(std::string(), now_ms, retry_after_ms)) return true;
    if (by_global != nullptr) *by_global = true;
    return false;
  }

 private:
  RateLimiter per_address_;
  RateLimiter global_;
};

}  // namespace piaojue::server
