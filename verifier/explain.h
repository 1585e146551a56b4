// --explain RECORD: the audit trail of one record (every entry that created,
// referenced or corrected it), each with its inclusion proof against the
// verified checkpoint. Found independently of the projections: any reference
// field (cycle, proposal, sources, vote, round, box, project, projects,
// order, target, items, item, elected, tiedAtCutoff) equal to the record.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ledger/entry.h"
#include "ledger/note.h"
#include "verifier/log_checker.h"

namespace piaojue::verifier {

// True when `event` refers to `record` through a reference field.
bool EventReferences(schema::Event::Reader event, uint64_t record);

class TrailCollector {
 public:
  explicit TrailCollector(uint64_t record) : record_(record) {}
  void Add(const ledger::EntryView& entry);

  // The trail with inclusion proofs against the largest checkpoint that
  // verified under `key` (or the whole checked log when there is none).
  nlohmann::json ToJson(
      const LogChecker& checker,
      const std::vector<std::pair<std::string, std::string>>& checkpoints,
      const std::optional<note::VerifierKey>& key) const;

 private:
  uint64_t record_;
  std::vector<std::pair<uint64_t, std::string>> entries_;  // index, bytes
};

// The complete nodes of the tree over the first `size` leaves, computed
// once from the leaves (nothing stored is used), for many proofs.
class LeafTree {
 public:
  LeafTree(const std::vector<crypto::Hash>& leaves, uint64_t size);
  // OutOfRange if index >= size.
  Result<std::vector<crypto::Hash>> Proof(uint64_t index) const;
  // The consistency proof from the first `old_size` leaves to `size`.
  // OutOfRange if old_size > size.
  Result<std::vector<crypto::Hash>> Consistency(uint64_t old_size) const;

 private:
  std::vector<std::vector<crypto::Hash>> levels_;  // levels_[0]: leaves
};

// Inclusion proof of leaf `index` in the first `size` of `leaves` (all
// recomputed from the leaves; nothing stored is used).
Result<std::vector<crypto::Hash>> ProofFromLeaves(
    const std::vector<crypto::Hash>& leaves, uint64_t index, uint64_t size);

}  // namespace piaojue::verifier
