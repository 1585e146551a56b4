// See internal/view_cache.h.
#include "api/server/internal/view_cache.h"

namespace piaojue::server {

std::shared_ptr<const HttpResponse> ViewCache::Peek(uint64_t size,
                                                    const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (size != size_) return nullptr;
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  hits_.fetch_add(1);
  return it->second;
}

std::shared_ptr<const HttpResponse> ViewCache::Get(
    uint64_t size, const std::string& key,
    const std::function<HttpResponse()>& compute,
    const std::function<uint64_t()>& published_size) {
  std::promise<Shared> promise;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (size > size_) {
      // The state grew: what was kept describes an older one.
      entries_.clear();
      order_.clear();
      pending_.clear();
      bytes_ = 0;
      size_ = size;
    }
    if (size == size_) {
      if (auto it = entries_.find(key); it != entries_.end()) {
        hits_.fetch_add(1);
        return it->second;
      }
      if (auto it = pending_.find(key); it != pending_.end()) {
        std::shared_future<Shared> wait = it->second;
        lock.unlock();
        hits_.fetch_add(1);
        return wait.get();
      }
      pending_.emplace(key, promise.get_future().share());
    } else {
      // A reader that saw an older state than the cache's: answer it
      // without touching the cache.
      lock.unlock();
      computed_.fetch_add(1);
      return std::make_shared<const HttpResponse>(compute());
    }
  }
  Shared answer;
  try {
    answer = std::make_shared<const HttpResponse>(compute());
  } catch (...) {
    // Handlers return errors as values; should one throw, the readers
    // waiting on this computation get the same exception, not a hang.
    std::lock_guard<std::mutex> lock(mu_);
    if (size == size_) pending_.erase(key);
    promise.set_exception(std::current_exception());
    throw;
  }
  computed_.fetch_add(1);
  const bool same_state = published_size() == size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (size == size_) {
      pending_.erase(key);
      const size_t need = answer->body.size();
      if (same_state && answer->status == 200 && need <= max_bytes_) {
        while (bytes_ + need > max_bytes_ && !order_.empty()) {
          auto old = entries_.find(order_.front());
          bytes_ -= old->second->body.size();
          entries_.erase(old);
          order_.pop_front();
        }
        entries_.emplace(key, answer);
        order_.push_back(key);
        bytes_ += need;
      }
    }
  }
  promise.set_value(answer);
  return answer;
}

}  // namespace piaojue::server
