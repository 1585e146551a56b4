// Responses of the read-only JSON views of "now", kept so that a view is
// computed once per published state at most — and, while readers and
// writers keep the server busy, at most every few hundred milliseconds —
// rather than once per reader. Every view is a function of the state alone
// (docs/VIEWS.md): the bytes computed for the state of N entries are what any
// later request for the same URL would compute from that state, and the
// answer says which state it shows (`size`).
//
// Freshness (docs/API.md, "Views"): an answer served for a request handled
// at time t shows a state that was the published one at some moment at or
// after t - max_age, so it includes every entry acknowledged more than
// max_age before the request. Within that bound:
//  - a reader whose URL nobody else is computing gets the view of the state
//    published when it asks (computed on its thread if the kept answer is
//    older): one client alone reads its own writes at once;
//  - while a computation of the URL is under way, readers get the answer
//    kept (when within the bound) instead of waiting for it;
//  - when other readers came during the URL's last computation (the server
//    is busy with it), the next one runs in the background, at most once
//    every max(min_refresh, the last computation's duration) — sooner when
//    the kept answer would otherwise outgrow the bound — and readers
//    meanwhile get the kept answer.
// A reader waits only when no answer within the bound exists.
//
// Only "now" is cached: a request naming a moment (as_of) or a range (diff)
// never comes here. At most max_bytes of answers are kept, the least
// recently computed making room.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "api/server/internal/http_message.h"

namespace piaojue::server {

class ViewCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    size_t max_bytes = size_t{64} << 20;
    // The freshness bound above.
    std::chrono::milliseconds max_age{5000};
    // While busy, a URL is recomputed at most this often.
    std::chrono::milliseconds min_refresh{100};
  };

  // An answer and the state it shows.
  struct Answer {
    std::shared_ptr<const HttpResponse> response;
    uint64_t size = 0;  // the entries of the state it is the view of
    // A moment at which that state was the published one.
    Clock::time_point valid_at;
  };
  // Computes the view for the state published when it runs, reading the
  // clock (now()) before taking the state. Must be callable on any thread
  // after the request that made it is gone (it owns what it needs).
  using Compute = std::function<Answer()>;

  // `published_size` is the size of the state now published; `clock` is
  // the time (tests pass their own).
  ViewCache(Options options, std::function<uint64_t()> published_size,
            std::function<Clock::time_point()> clock = &Clock::now);
  // Stops the background computations (waiting for the one running).
  ~ViewCache();
  // The same, early: after it no computation starts in the background
  // (the service calls it before closing what views read).
  void Stop();

  // The answer for `key` within the bound, computed by `compute` when none
  // is (once, however many readers ask at the same time). Only 200 answers
  // are kept. `may_defer` false: never start the computation in the
  // background (a computation that needs this answer to make its own).
  Answer Get(const std::string& key, const Compute& compute,
             bool may_defer = true);

  // The answer Get would give without computing or waiting, or a null
  // response: never blocks beyond the lock (for the I/O threads).
  Answer Peek(const std::string& key);

  Clock::time_point now() const { return clock_(); }

  // For tests and the log: answers served from the cache (stale ones
  // included), served while older than the published state, and computed
  // (in the background included).
  uint64_t hits() const { return hits_.load(); }
  uint64_t stale() const { return stale_.load(); }
  uint64_t computed() const { return computed_.load(); }
  uint64_t background() const { return background_.load(); }
  // The bytes of the answers kept now (at most Options::max_bytes).
  size_t bytes() const { return bytes_.load(); }

 private:
  struct Slot {
    Answer answer;  // response null until one is kept
    bool computing = false;
    std::shared_future<Answer> pending;  // while computing
    // A reader came while the last computation ran.
    bool contended = false;
    Clock::time_point last_end;
    Clock::duration last_took{0};
    std::list<std::string>::iterator lru;
    bool in_lru = false;
  };
  enum class Plan { kServe, kWait, kCompute, kBackground };
  // What to do for `slot` at time t, published size `now_size`. mu_ held.
  Plan Decide(Slot& slot, Clock::time_point t, uint64_t now_size,
              bool may_defer);
  // Runs compute for `key` (slot marked computing) and keeps the answer.
  Answer Run(const std::string& key, const Compute& compute,
             std::promise<Answer> promise);
  void Keep(const std::string& key, Slot& slot, const Answer& answer);
  void Worker();

  const Options options_;
  const std::function<uint64_t()> published_size_;
  const std::function<Clock::time_point()> clock_;
  std::mutex mu_;
  std::map<std::string, Slot> slots_;
  std::list<std::string> lru_;    // keys with a kept answer, oldest first
  std::atomic<size_t> bytes_{0};  // written under mu_
  // Background computations, one at a time on worker_.
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> work_;
  bool stopping_ = false;
  std::thread worker_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> stale_{0};
  std::atomic<uint64_t> computed_{0};
  std::atomic<uint64_t> background_{0};
};

}  // namespace piaojue::server
