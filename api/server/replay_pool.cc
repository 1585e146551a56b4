#include "api/server/internal/replay_pool.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

namespace piaojue::server {

ReplayPool::ReplayPool(int threads, size_t queue) : queue_limit_(queue) {
  const int n = std::max(1, threads);
  workers_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
}

ReplayPool::~ReplayPool() { Stop(); }

bool ReplayPool::TrySubmit(std::function<void()> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || admitted_ >= workers_.size() + queue_limit_) {
    ++counters_.refused;
    return false;
  }
  queue_.push_back(std::move(job));
  ++admitted_;
  ++counters_.accepted;
  counters_.max_queued = std::max(counters_.max_queued, queue_.size());
  cv_.notify_one();
  return true;
}

void ReplayPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

ReplayPool::Counters ReplayPool::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void ReplayPool::Work() {
  // Linux: a thread's nice value is its own. Best effort: without it the
  // worker runs at normal priority, still bounded in number.
  const int lowered =
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  (void)lowered;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    std::function<void()> job = std::move(queue_.front());
    queue_.pop_front();
    ++counters_.running;
    counters_.max_running = std::max(counters_.max_running, counters_.running);
    lock.unlock();
    job();
    lock.lock();
    --counters_.running;
    --admitted_;
  }
}

}  // namespace piaojue::server
