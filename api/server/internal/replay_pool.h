// The pool that rebuilds past states (as_of, /v1/diff) apart from the
// threads that serve ordinary reads (issue 14): a few low-priority threads
// and a bounded queue, so that many distinct past moments asked for at
// once cost a bounded share of the machine and are refused (503) beyond
// it, instead of delaying every other request.
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace piaojue::server {

class ReplayPool {
 public:
  // `threads` (>= 1) workers, each at a lower CPU priority (nice +10);
  // at most `threads` jobs running and `queue` more waiting.
  ReplayPool(int threads, size_t queue);
  // Runs the jobs already queued, then joins the workers.
  ~ReplayPool();
  ReplayPool(const ReplayPool&) = delete;
  ReplayPool& operator=(const ReplayPool&) = delete;

  // Queues `job` unless threads + queue jobs are already running or waiting
  // (then false, and the job is dropped) or the pool is stopping.
  bool TrySubmit(std::function<void()> job);

  // Runs the jobs already queued and stops the workers (idempotent).
  void Stop();

  struct Counters {
    uint64_t accepted = 0;
    uint64_t refused = 0;    // TrySubmit returned false
    size_t running = 0;      // jobs running now
    size_t max_running = 0;  // the most ever running at once
    size_t max_queued = 0;   // the most ever waiting at once
  };
  Counters counters() const;
  int threads() const { return static_cast<int>(workers_.size()); }
  size_t queue_limit() const { return queue_limit_; }

 private:
  void Work();

  const size_t queue_limit_;
  size_t admitted_ = 0;  // jobs running or waiting (guarded by mu_)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  Counters counters_;
  std::vector<std::thread> workers_;
};

}  // namespace piaojue::server
