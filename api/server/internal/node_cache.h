// The log's Merkle tree — every stored node, leaves included — kept in
// memory, so that an inclusion proof reads no node from the store.
//
// A stored node is the hash of a complete subtree and never changes, so a
// copy never goes stale. The nodes are loaded in the background: the whole
// tree when the server starts (one scan of the store per level), then the
// nodes each publication completes. Until a node is loaded, Read falls back
// to the store. Memory: the tree has about 2N nodes for N entries, 32 bytes
// each — 64 bytes per entry (61 MiB at 1,000,000 entries; docs/PERFORMANCE.md
// "HTTP reads"), plus at most one partly filled 128 KiB chunk per level.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/status.h"

namespace piaojue::server {

class NodeCache {
 public:
  NodeCache() = default;
  ~NodeCache() { Stop(); }

  // Starts loading `ledger`'s tree in the background (a low-priority
  // thread), up to the ledger's size; Grow asks for more. `ledger` must
  // outlive Stop().
  void Start(const ledger::Ledger* ledger);
  // The ledger now has `size` entries: load the nodes they complete.
  void Grow(uint64_t size);
  // Stops the loader (waiting for it).
  void Stop();
  // Blocks until the nodes of a tree of `size` entries are loaded (tests).
  // False if the loader stopped first.
  bool WaitLoaded(uint64_t size);

  // ledger.ReadNode(level, index), from memory when loaded.
  Result<crypto::Hash> Read(const ledger::Ledger& ledger, uint8_t level,
                            uint64_t index) const;
  // The node from memory only; nullopt when not loaded (yet).
  std::optional<crypto::Hash> Peek(uint8_t level, uint64_t index) const;
  // Asks the CPU to bring into its cache, from memory, the nodes an
  // inclusion proof of leaf `index` in a tree of `size` leaves reads (the
  // leaf and the complete subtrees beside its path), so that their cache
  // and TLB misses (one per level: the tree is far larger than the cache)
  // overlap rather than follow one another. A hint: reads nothing.
  void PrefetchProof(uint64_t index, uint64_t size) const;
  // A NodeReader over Read, for merkle::InclusionProof and friends; valid
  // while this cache and `ledger` are.
  merkle::NodeReader Reader(const ledger::Ledger& ledger) const;
  // A NodeReader over Peek: NotFound for a node not loaded.
  merkle::NodeReader MemoryReader() const;

  // This cache's number, never the same for two caches of a process (for
  // memos of what its nodes give, e.g. a root).
  uint64_t id() const { return id_; }

  // The tree size whose every node is loaded.
  uint64_t loaded_size() const { return loaded_size_.load(); }

 private:
  static constexpr size_t kChunkBits = 12;  // 4,096 nodes, 128 KiB
  static constexpr size_t kChunk = size_t{1} << kChunkBits;
  static constexpr size_t kMaxLevels = 64;
  using Chunk = std::array<crypto::Hash, kChunk>;
  // The chunks of one level, by position. Replaced by one twice as large
  // when full; a reader may still hold the old one, so every directory
  // lives as long as the cache (together less than the last one).
  struct Directory {
    explicit Directory(size_t n)
        : capacity(n), chunks(std::make_unique<Chunk*[]>(n)) {}
    size_t capacity;
    std::unique_ptr<Chunk*[]> chunks;
  };
  // Read without a lock (a proof reads ~20 nodes, and a shared lock per
  // node on every I/O thread cost 13% of a proof's CPU): the loader, the
  // only writer, writes a node and the chunk and directory holding it
  // before it raises `count` (release); a reader reads `count` (acquire)
  // before anything below it. Nothing below `count` is written again, and
  // a chunk never moves.
  struct Level {
    std::atomic<uint64_t> count{0};  // nodes [0, count) are loaded
    std::atomic<Directory*> directory{nullptr};
    // The loader's alone: what it allocated.
    std::vector<std::unique_ptr<Chunk>> chunks;
    std::vector<std::unique_ptr<Directory>> directories;
  };
  // Loads the nodes of a tree of `size` entries beyond those loaded.
  Status Load(uint64_t size);
  void Loader();
  // Appends `batch` to `level` (the loader only).
  void Publish(uint8_t level, const std::vector<crypto::Hash>& batch);
  std::chrono::steady_clock::time_point started_;  // Start()
  bool reported_ = false;  // the loader's; the first load was reported

  static std::atomic<uint64_t> next_id_;
  const uint64_t id_ = next_id_.fetch_add(1) + 1;
  std::array<Level, kMaxLevels> levels_;
  std::atomic<uint64_t> loaded_size_{0};

  const ledger::Ledger* ledger_ = nullptr;
  std::mutex loader_mu_;
  std::condition_variable loader_cv_;
  uint64_t wanted_size_ = 0;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // stop_, read without the lock
  bool stopped_ = false;               // the loader has ended
  std::thread loader_;
};

}  // namespace piaojue::server
