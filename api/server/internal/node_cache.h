// The upper Merkle tree nodes the proofs read, kept in memory once read.
//
// A stored node is the hash of a complete subtree and never changes, so a
// copy never goes stale. Only nodes at kMinLevel and above are kept: one
// for every 2^kMinLevel leaves, about a thirty-second of a byte per entry
// twice over (32 bytes per 64 leaves, and the levels above add as much
// again): 1 MB at 1,000,000 entries. An inclusion proof at 1,000,000
// entries then reads kMinLevel nodes from the store instead of about 40
// (docs/PERFORMANCE.md, "HTTP reads").
//
// Thread-safety: Read may be called from any thread.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/ledger.h"
#include "ledger/merkle.h"
#include "ledger/status.h"

namespace piaojue::server {

class NodeCache {
 public:
  static constexpr uint8_t kMinLevel = 6;

  // ledger.ReadNode(level, index), from memory when read before.
  Result<crypto::Hash> Read(const ledger::Ledger& ledger, uint8_t level,
                            uint64_t index);
  // A NodeReader over Read, for merkle::InclusionProof and friends; valid
  // while this cache and `ledger` are.
  merkle::NodeReader Reader(const ledger::Ledger& ledger);

 private:
  struct Level {
    std::vector<crypto::Hash> nodes;
    std::vector<bool> present;
  };
  std::shared_mutex mu_;
  std::vector<Level> levels_;  // [level - kMinLevel]
};

}  // namespace piaojue::server
