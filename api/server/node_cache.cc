// See internal/node_cache.h.
#include "api/server/internal/node_cache.h"

#include <mutex>

namespace piaojue::server {

Result<crypto::Hash> NodeCache::Read(const ledger::Ledger& ledger,
                                     uint8_t level, uint64_t index) {
  if (level < kMinLevel || level >= 64) return ledger.ReadNode(level, index);
  const size_t slot = level - kMinLevel;
  {
    std::shared_lock lock(mu_);
    if (slot < levels_.size() && index < levels_[slot].present.size() &&
        levels_[slot].present[index]) {
      return levels_[slot].nodes[index];
    }
  }
  // Errors (a node not complete yet) are not kept: asked again later, the
  // node may exist.
  ASSIGN_OR_RETURN(crypto::Hash node, ledger.ReadNode(level, index));
  std::unique_lock lock(mu_);
  if (levels_.size() <= slot) levels_.resize(slot + 1);
  Level& l = levels_[slot];
  if (l.present.size() <= index) {
    // Grown to the log's node count at this level (it was complete, so the
    // log has at least (index + 1) << level leaves), not node by node.
    const size_t want = static_cast<size_t>(index) + 1;
    l.nodes.resize(want);
    l.present.resize(want, false);
  }
  l.nodes[index] = node;
  l.present[index] = true;
  return node;
}

merkle::NodeReader NodeCache::Reader(const ledger::Ledger& ledger) {
  return [this, &ledger](uint8_t level, uint64_t index) {
    return Read(ledger, level, index);
  };
}

}  // namespace piaojue::server
