// Responses of the read-only JSON views for the state now published, kept
// so a view is computed once per published state rather than once per
// reader. Every view is a function of the state alone (docs/VIEWS.md), so
// the bytes computed for a state of N entries are what any later request
// for the same URL would compute while the state still has N entries.
//
// Only "now" is cached: a request naming a moment (as_of) or a range (diff)
// never comes here. When the published state grows, every entry of the
// older state is dropped on the next store, so the cache never holds more
// than one state's responses, and at most max_bytes of them: past that the
// oldest kept answers make room (so URLs varied on purpose, say every
// offset of a list, cannot keep the common ones out).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/server/internal/http_message.h"

namespace piaojue::server {

class ViewCache {
 public:
  explicit ViewCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The response for `key` of the state of `size` entries: cached, or
  // computed by `compute` (once, however many readers ask at the same
  // time). `compute` reads whatever state is published when it runs;
  // `published_size` tells afterwards whether that was still `size`, and
  // the answer is kept only if so. Only 200 answers are kept.
  std::shared_ptr<const HttpResponse> Get(
      uint64_t size, const std::string& key,
      const std::function<HttpResponse()>& compute,
      const std::function<uint64_t()>& published_size);

  // The response kept for `key` of the state of `size` entries, or nullptr
  // (nothing computed, nothing waited for: never blocks beyond the lock).
  std::shared_ptr<const HttpResponse> Peek(uint64_t size,
                                           const std::string& key);

  // For tests and the log: answers served from the cache and computed.
  uint64_t hits() const { return hits_.load(); }
  uint64_t computed() const { return computed_.load(); }

 private:
  using Shared = std::shared_ptr<const HttpResponse>;
  const size_t max_bytes_;
  std::mutex mu_;
  uint64_t size_ = 0;  // the state the entries below were computed from
  size_t bytes_ = 0;
  std::map<std::string, Shared> entries_;
  std::deque<std::string> order_;  // keys of entries_, oldest first
  // Computations under way for state size_, so concurrent misses wait for
  // the first rather than computing the same view again.
  std::map<std::string, std::shared_future<Shared>> pending_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> computed_{0};
};

}  // namespace piaojue::server
