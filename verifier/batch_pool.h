// BatchPool: the verifier's per-entry work (decoding, hashes, signatures) on
// threads started once per run, for batches of consecutive entries handed in
// in log order and taken back in the same order by the one thread that runs
// the in-order checks (docs/VERIFY.md, "Speed").
//
// A batch is cut into chunks of a few entries, handed out one at a time to
// whichever thread asks next, the earliest unclaimed chunk first: a thread
// that shares its core with the in-order checks simply takes fewer, and no
// thread idles while another finishes a fixed share of the batch. The
// taking thread works on chunks too while the batch it needs is not done,
// and waits only when every chunk handed in is already being worked on.
//
// Add, pending, FrontDone, Take and Free are for one thread (the taking
// thread); Batch::Work runs on any of the pool's threads and that one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace piaojue::verifier {

class BatchPool {
 public:
  class Batch {
   public:
    virtual ~Batch() = default;
    // The work on entries [begin, end): called once for each chunk, on any
    // thread; chunks of one batch may run at the same time.
    virtual void Work(size_t begin, size_t end) = 0;
    // Called once, after the last chunk's Work returned, on the thread that
    // ran it (e.g. to free what only Work needed); before Take returns it.
    virtual void Done() {}
  };

  // `threads` (at least 1) threads work on chunks: the taking thread and
  // threads - 1 of the pool's own, started here. `chunk` entries at a time.
  BatchPool(unsigned threads, size_t chunk);
  // Stops the pool's threads once their chunk in hand is done; batches
  // handed in and not taken are dropped unfinished.
  ~BatchPool();
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;

  // Hands in the work on `batch`'s `entries` entries, after every batch
  // handed in before it.
  void Add(std::unique_ptr<Batch> batch, size_t entries);
  // Batches handed in and not yet taken.
  size_t pending() const;
  // Whether the earliest batch not taken is done (Take would not work).
  bool FrontDone() const;
  // The earliest batch handed in and not taken, done; until it is, this
  // thread works on chunks too. Precondition: pending() > 0.
  std::unique_ptr<Batch> Take();
  // Destroys `batch` on one of the pool's threads (here when there is
  // none): freeing a batch's entries costs the taking thread, which bounds
  // the run, time it can spend on the in-order checks.
  void Free(std::unique_ptr<Batch> batch);

 private:
  struct Slot {
    std::unique_ptr<Batch> batch;
    size_t size = 0;
    size_t claimed = 0;   // entries [0, claimed) handed out
    size_t finished = 0;  // entries whose Work returned
    bool done = false;    // finished == size and Done() returned
  };
  // Claims the earliest unclaimed chunk and runs it with mu_ (held by
  // `lock`) released; false, without waiting, if every chunk is claimed.
  bool RunNextChunk(std::unique_lock<std::mutex>& lock);
  void WorkerLoop();

  const size_t chunk_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a chunk or a batch to free, or stop
  std::condition_variable done_cv_;  // a batch done
  std::deque<std::unique_ptr<Slot>> slots_;  // handed in, not taken; in order
  std::vector<std::unique_ptr<Batch>> to_free_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace piaojue::verifier
