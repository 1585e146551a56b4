// See internal/node_cache.h.
#include "api/server/internal/node_cache.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>

namespace piaojue::server {

std::atomic<uint64_t> NodeCache::next_id_{0};

void NodeCache::Start(const ledger::Ledger* ledger) {
  ledger_ = ledger;
  started_ = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(loader_mu_);
    wanted_size_ = std::max(wanted_size_, ledger->size());
  }
  loader_ = std::thread([this] { Loader(); });
}

void NodeCache::Grow(uint64_t size) {
  {
    std::lock_guard<std::mutex> lock(loader_mu_);
    if (size <= wanted_size_) return;
    wanted_size_ = size;
  }
  loader_cv_.notify_one();
}

void NodeCache::Stop() {
  stopping_.store(true);
  {
    std::lock_guard<std::mutex> lock(loader_mu_);
    stop_ = true;
  }
  loader_cv_.notify_all();
  if (loader_.joinable()) loader_.join();
}

bool NodeCache::WaitLoaded(uint64_t size) {
  std::unique_lock<std::mutex> lock(loader_mu_);
  loader_cv_.wait(lock, [&] { return stopped_ || loaded_size() >= size; });
  return loaded_size() >= size;
}

void NodeCache::Loader() {
  // Below the threads serving requests (Linux: a thread's nice value is its
  // own): until a node is loaded, a proof reads it from the store.
  const int lowered =
      setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 5);
  (void)lowered;
  std::unique_lock<std::mutex> lock(loader_mu_);
  for (;;) {
    loader_cv_.wait(lock,
                    [this] { return stop_ || wanted_size_ > loaded_size(); });
    if (stop_) break;
    const uint64_t size = wanted_size_;
    lock.unlock();
    Status s = Load(size);
    lock.lock();
    if (!s.ok() && !stopping_.load()) {
      // Proofs still read what is missing from the store.
      std::cerr << "piaojue serve: loading the Merkle tree into memory: "
                << s.ToString() << "\n";
    }
    if (!s.ok()) break;
    if (!reported_) {
      reported_ = true;
      char line[160];
      std::snprintf(
          line, sizeof(line),
          "piaojue serve: the Merkle tree of %llu entries is in memory "
          "(loaded in the background in %.2f s)\n",
          static_cast<unsigned long long>(size),
          std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                        started_)
              .count());
      std::cerr << line;
    }
    loader_cv_.notify_all();  // WaitLoaded
  }
  stopped_ = true;
  loader_cv_.notify_all();
}

Status NodeCache::Load(uint64_t size) {
  for (uint8_t level = 0; level < 64 && (size >> level) > 0; ++level) {
    const uint64_t want = size >> level;
    const uint64_t have = levels_[level].count.load(std::memory_order_relaxed);
    if (have >= want) continue;
    // Published in batches.
    std::vector<crypto::Hash> batch;
    batch.reserve(std::min<uint64_t>(want - have, kChunk));
    auto flush = [&] {
      Publish(level, batch);
      batch.clear();
    };
    auto add = [&](uint64_t, const crypto::Hash& h) {
      if (stopping_.load()) return Unavailable("the server is stopping");
      batch.push_back(h);
      if (batch.size() == kChunk) flush();
      return Status::Ok();
    };
    if (want - have <= 64) {
      // A few nodes a publication completed: point reads.
      for (uint64_t i = have; i < want; ++i) {
        ASSIGN_OR_RETURN(crypto::Hash h, ledger_->ReadNode(level, i));
        RETURN_IF_ERROR(add(i, h));
      }
    } else {
      RETURN_IF_ERROR(ledger_->ForEachNode(level, have, want, add));
    }
    flush();
  }
  loaded_size_.store(size);
  return Status::Ok();
}

void NodeCache::Publish(uint8_t level, const std::vector<crypto::Hash>& batch) {
  Level& l = levels_[level];
  uint64_t count = l.count.load(std::memory_order_relaxed);
  Directory* dir = l.directory.load(std::memory_order_relaxed);
  for (const crypto::Hash& h : batch) {
    const size_t chunk = count >> kChunkBits;
    if (chunk == l.chunks.size()) {
      l.chunks.push_back(std::make_unique<Chunk>());
      if (dir == nullptr || chunk == dir->capacity) {
        // A larger directory, filled before readers can see it (they find
        // it through `count`, raised below, or the store here).
        auto bigger = std::make_unique<Directory>(
            std::max<size_t>(8, 2 * (dir == nullptr ? 0 : dir->capacity)));
        for (size_t i = 0; i < chunk; ++i) {
          bigger->chunks[i] = dir->chunks[i];
        }
        dir = bigger.get();
        l.directories.push_back(std::move(bigger));
        l.directory.store(dir, std::memory_order_release);
      }
      // Beyond `count`: no reader looks at this slot yet.
      dir->chunks[chunk] = l.chunks.back().get();
    }
    (*dir->chunks[chunk])[count & (kChunk - 1)] = h;
    ++count;
  }
  l.count.store(count, std::memory_order_release);
}

std::optional<crypto::Hash> NodeCache::Peek(uint8_t level,
                                            uint64_t index) const {
  if (level >= kMaxLevels) return std::nullopt;
  const Level& l = levels_[level];
  if (index >= l.count.load(std::memory_order_acquire)) return std::nullopt;
  // Any directory published with or after that count holds the chunk.
  const Directory* dir = l.directory.load(std::memory_order_acquire);
  return (*dir->chunks[index >> kChunkBits])[index & (kChunk - 1)];
}

void NodeCache::PrefetchProof(uint64_t index, uint64_t size) const {
  auto prefetch = [this](size_t level, uint64_t i) {
    const Level& l = levels_[level];
    if (i >= l.count.load(std::memory_order_acquire)) return;
    const Directory* dir = l.directory.load(std::memory_order_acquire);
    __builtin_prefetch(&(*dir->chunks[i >> kChunkBits])[i & (kChunk - 1)]);
  };
  prefetch(0, index);
  for (size_t level = 0; level < kMaxLevels && (size >> level) > 1; ++level) {
    // The sibling of the path at this level, when it is a complete subtree
    // of the tree (a stored node); otherwise the proof computes it.
    const uint64_t sibling = (index >> level) ^ 1;
    if (sibling < (size >> level)) prefetch(level, sibling);
  }
}

Result<crypto::Hash> NodeCache::Read(const ledger::Ledger& ledger,
                                     uint8_t level, uint64_t index) const {
  if (std::optional<crypto::Hash> h = Peek(level, index)) return *h;
  return ledger.ReadNode(level, index);
}

merkle::NodeReader NodeCache::Reader(const ledger::Ledger& ledger) const {
  return [this, &ledger](uint8_t level, uint64_t index) {
    return Read(ledger, level, index);
  };
}

merkle::NodeReader NodeCache::MemoryReader() const {
  return [this](uint8_t level, uint64_t index) -> Result<crypto::Hash> {
    if (std::optional<crypto::Hash> h = Peek(level, index)) return *h;
    return NotFound("node not in memory");
  };
}

}  // namespace piaojue::server
