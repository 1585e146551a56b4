// See internal/view_cache.h.
#include "api/server/internal/view_cache.h"

#include <algorithm>

namespace piaojue::server {

ViewCache::ViewCache(Options options, std::function<uint64_t()> published_size,
                     std::function<Clock::time_point()> clock)
    : options_(options),
      published_size_(std::move(published_size)),
      clock_(std::move(clock)),
      worker_([this] { Worker(); }) {}

ViewCache::~ViewCache() { Stop(); }

void ViewCache::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !worker_.joinable()) return;
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ViewCache::Worker() {
  // At the readers' priority: at a lower one, busy readers and writers can
  // delay a refresh past the bound, and then every reader waits. Its cost
  // is bounded by the refresh interval instead.
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stopping_ || !work_.empty(); });
    // Queued computations still run when stopping: readers may wait on them.
    if (work_.empty()) return;
    std::function<void()> task = std::move(work_.front());
    work_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
}

ViewCache::Plan ViewCache::Decide(Slot& slot, Clock::time_point t,
                                  uint64_t now_size, bool may_defer) {
  const Answer& kept = slot.answer;
  const bool has = kept.response != nullptr;
  if (has && kept.size >= now_size) {
    // Still the published state when the size was read, at or after t.
    if (kept.size == now_size) {
      slot.answer.valid_at = std::max(slot.answer.valid_at, t);
    }
    return Plan::kServe;
  }
  const bool within = has && kept.valid_at + options_.max_age >= t;
  if (slot.computing) {
    if (!within) return Plan::kWait;
    slot.contended = true;
    return Plan::kServe;
  }
  if (!within) return Plan::kCompute;
  // Not busy (nobody came during the last computation, or that was long
  // ago): this reader gets the state published now.
  const bool busy = slot.contended && t - slot.last_end < options_.max_age;
  if (!busy) return Plan::kCompute;
  const Clock::duration gap =
      std::max<Clock::duration>(slot.last_took, options_.min_refresh);
  // Sooner when the kept answer would otherwise outgrow the bound before a
  // computation started now could replace it.
  if (t - slot.last_end < gap &&
      (t - kept.valid_at) + 2 * slot.last_took < options_.max_age) {
    return Plan::kServe;
  }
  return stopping_ || !may_defer ? Plan::kCompute : Plan::kBackground;
}

ViewCache::Answer ViewCache::Peek(const std::string& key) {
  const Clock::time_point t = clock_();
  const uint64_t now_size = published_size_();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return {};
  if (Decide(it->second, t, now_size, true) != Plan::kServe) return {};
  hits_.fetch_add(1);
  if (it->second.answer.size < now_size) stale_.fetch_add(1);
  return it->second.answer;
}

ViewCache::Answer ViewCache::Get(const std::string& key, const Compute& compute,
                                 bool may_defer) {
  const Clock::time_point t = clock_();
  const uint64_t now_size = published_size_();
  for (;;) {
    std::unique_lock<std::mutex> lock(mu_);
    Slot& slot = slots_[key];
    switch (Decide(slot, t, now_size, may_defer)) {
      case Plan::kServe:
        hits_.fetch_add(1);
        if (slot.answer.size < now_size) stale_.fetch_add(1);
        return slot.answer;
      case Plan::kWait: {
        std::shared_future<Answer> pending = slot.pending;
        lock.unlock();
        Answer a = pending.get();
        hits_.fetch_add(1);
        // Computed from a state taken before the reader's bound: compute
        // again (nothing is under way any more, or a newer computation is).
        if (a.valid_at + options_.max_age >= t) return a;
        continue;
      }
      case Plan::kCompute: {
        std::promise<Answer> promise;
        slot.computing = true;
        slot.contended = false;
        slot.pending = promise.get_future().share();
        lock.unlock();
        return Run(key, compute, std::move(promise));
      }
      case Plan::kBackground: {
        auto promise = std::make_shared<std::promise<Answer>>();
        slot.computing = true;
        slot.contended = false;
        slot.pending = promise->get_future().share();
        work_.push_back([this, key, compute, promise] {
          try {
            Run(key, compute, std::move(*promise));
          } catch (...) {
            // Run handed the exception to the waiting readers.
          }
        });
        background_.fetch_add(1);
        hits_.fetch_add(1);
        stale_.fetch_add(1);
        Answer kept = slot.answer;
        lock.unlock();
        work_cv_.notify_one();
        return kept;
      }
    }
  }
}

ViewCache::Answer ViewCache::Run(const std::string& key, const Compute& compute,
                                 std::promise<Answer> promise) {
  const Clock::time_point start = clock_();
  Answer a;
  try {
    a = compute();
  } catch (...) {
    // Handlers return errors as values; should one throw, the readers
    // waiting on this computation get the same exception, not a hang.
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = slots_.find(key);
      if (it != slots_.end()) {
        it->second.computing = false;
        it->second.pending = {};
        if (it->second.answer.response == nullptr) slots_.erase(it);
      }
    }
    promise.set_exception(std::current_exception());
    throw;
  }
  computed_.fetch_add(1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A computing slot is never evicted.
    auto it = slots_.find(key);
    Slot& slot = it->second;
    slot.computing = false;
    slot.pending = {};
    slot.last_end = clock_();
    slot.last_took = slot.last_end - start;
    if (a.response != nullptr && a.response->status == 200 &&
        (slot.answer.response == nullptr || a.size >= slot.answer.size)) {
      Keep(key, slot, a);
    }
    if (slot.answer.response == nullptr) slots_.erase(it);
  }
  promise.set_value(a);
  return a;
}

void ViewCache::Keep(const std::string& key, Slot& slot, const Answer& answer) {
  if (slot.in_lru) {
    bytes_ -= slot.answer.response->body.size();
    lru_.erase(slot.lru);
    slot.in_lru = false;
  }
  slot.answer = {};
  const size_t need = answer.response->body.size();
  if (need > options_.max_bytes) return;
  while (bytes_ + need > options_.max_bytes && !lru_.empty()) {
    auto old = slots_.find(lru_.front());
    lru_.pop_front();
    bytes_ -= old->second.answer.response->body.size();
    old->second.in_lru = false;
    old->second.answer = {};
    if (!old->second.computing) slots_.erase(old);
  }
  slot.answer = answer;
  slot.lru = lru_.insert(lru_.end(), key);
  slot.in_lru = true;
  bytes_ += need;
}

}  // namespace piaojue::server
