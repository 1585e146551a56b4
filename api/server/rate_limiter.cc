#include "api/server/internal/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace piaojue::server {

namespace {
constexpr size_t kPruneAbove = 100000;
}

bool RateLimiter::Allow(const std::string& address, int64_t now_ms,
                        int64_t* retry_after_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (buckets_.size() > kPruneAbove) PruneLocked(now_ms);
  auto [it, inserted] = buckets_.try_emplace(address, Bucket{burst_, now_ms});
  Bucket& b = it->second;
  if (!inserted && now_ms > b.updated_ms) {
    b.tokens = std::min(burst_, b.tokens + (now_ms - b.updated_ms) * per_ms_);
    b.updated_ms = now_ms;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after_ms != nullptr) {
    *retry_after_ms =
        per_ms_ > 0
            ? static_cast<int64_t>(std::ceil((1.0 - b.tokens) / per_ms_))
            : INT64_MAX;
  }
  return false;
}

void RateLimiter::PruneLocked(int64_t now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const double refilled =
        it->second.tokens + (now_ms - it->second.updated_ms) * per_ms_;
    if (refilled >= burst_) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace piaojue::server
