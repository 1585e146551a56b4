#include "verifier/batch_pool.h"

#include <algorithm>

namespace piaojue::verifier {

BatchPool::BatchPool(unsigned threads, size_t chunk)
    : chunk_(std::max<size_t>(1, chunk)) {
  for (unsigned t = 1; t < threads; ++t) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

BatchPool::~BatchPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  // No thread works on a batch any more: the slots and what was to be
  // freed go with the members.
}

void BatchPool::Add(std::unique_ptr<Batch> batch, size_t entries) {
  auto slot = std::make_unique<Slot>();
  slot->batch = std::move(batch);
  slot->size = entries;
  if (entries == 0) {
    slot->batch->Done();
    slot->done = true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_.push_back(std::move(slot));
  }
  work_cv_.notify_all();
}

size_t BatchPool::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

bool BatchPool::FrontDone() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !slots_.empty() && slots_.front()->done;
}

bool BatchPool::RunNextChunk(std::unique_lock<std::mutex>& lock) {
  Slot* slot = nullptr;
  size_t begin = 0, end = 0;
  for (const std::unique_ptr<Slot>& s : slots_) {
    if (s->claimed < s->size) {
      slot = s.get();
      begin = s->claimed;
      end = std::min(s->size, s->claimed + chunk_);
      s->claimed = end;
      break;
    }
  }
  if (slot == nullptr) return false;
  // The slot stays in slots_ (so alive) until taken, and it is taken only
  // once done: not before this chunk's entries are counted below.
  lock.unlock();
  slot->batch->Work(begin, end);
  lock.lock();
  slot->finished += end - begin;
  if (slot->finished < slot->size) return true;
  // Every other chunk's Work returned before its thread counted it under
  // mu_, which this thread has held since: the batch is this thread's.
  lock.unlock();
  slot->batch->Done();
  lock.lock();
  slot->done = true;
  done_cv_.notify_all();
  return true;
}

void BatchPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return;
    if (!to_free_.empty()) {
      std::unique_ptr<Batch> batch = std::move(to_free_.back());
      to_free_.pop_back();
      lock.unlock();
      batch.reset();
      lock.lock();
      continue;
    }
    if (RunNextChunk(lock)) continue;
    work_cv_.wait(lock);
  }
}

std::unique_ptr<BatchPool::Batch> BatchPool::Take() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    Slot& front = *slots_.front();
    if (front.done) {
      std::unique_ptr<Batch> batch = std::move(front.batch);
      slots_.pop_front();
      return batch;
    }
    if (RunNextChunk(lock)) continue;
    done_cv_.wait(lock);
  }
}

void BatchPool::Free(std::unique_ptr<Batch> batch) {
  if (workers_.empty()) {
    batch.reset();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    to_free_.push_back(std::move(batch));
  }
  work_cv_.notify_one();
}

}  // namespace piaojue::verifier
