// --explain RECORD: the audit trail of one record (every entry that created,
// referenced or corrected it, following the reference chain: see
// TrailFollower), each with its inclusion proof against the
// verified checkpoint. Found independently of the projections: any reference
// field (cycle, proposal, sources, vote, round, box, project, projects,
// order, target, items, item, elected, tiedAtCutoff) equal to the record.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ledger/entry.h"
#include "ledger/note.h"
#include "verifier/log_checker.h"

namespace piaojue::verifier {

// True when `event` refers to `record` through a reference field.
bool EventReferences(schema::Event::Reader event, uint64_t record);
// Appends every value of the event's reference fields (those above, at any
// depth; repeats kept) to `out`.
void EventReferenceValues(schema::Event::Reader event,
                          std::vector<uint64_t>* out);

// Which entries make up the trail of one record, fed every entry in log
// order. The trail of R holds the entry that created R and every later
// entry that refers to a record the trail follows, plus each correction of
// an entry of the trail and the result of each round one of those records
// was an item of. The trail follows R and the records that continue it as
// they appear in the trail: a rectification order (its reports name the
// order, not the project) and a merge (proposalsMerged: the merged record
// carries on the proposal's story to its outcome). See docs/VERIFY.md.
class TrailFollower {
 public:
  explicit TrailFollower(uint64_t record);
  // True when the entry at `index` belongs to the trail; entries must come
  // in log order, each once.
  bool Take(uint64_t index, schema::Event::Reader event);

 private:
  uint64_t record_;
  std::set<uint64_t> followed_;  // records whose references join the trail
  std::set<uint64_t> trail_;     // entries in the trail
  std::set<uint64_t> rounds_;    // rounds opened with a followed item
};

// Every record's trail at once, from one pass over the log: what a
// TrailFollower of each record would take, for a caller that needs many
// records' trails (`piaojue publish` writes a proof bundle for each). Fed
// every entry in log order; holds each entry's references (a few words an
// entry), then answers a record's trail by following them backwards.
class TrailIndex {
 public:
  // Entries must come in log order from 0, each once.
  void Add(uint64_t index, schema::Event::Reader event);
  // The trail of `record` among the entries added, ascending (as a
  // TrailFollower of `record` fed those entries takes them); empty when no
  // entry `record` was added.
  std::vector<uint64_t> TrailOf(uint64_t record) const;

 private:
  uint64_t size_ = 0;
  // Entries naming a record in one of their reference fields, by record.
  std::unordered_map<uint64_t, std::vector<uint64_t>> referrers_;
  std::unordered_map<uint64_t, uint64_t> correction_target_;  // by entry
  std::unordered_map<uint64_t, uint64_t> result_round_;       // by entry
  // rectificationOrdered and proposalsMerged entries: followed once in a
  // trail. roundOpened entries: their results join a trail they are in.
  std::unordered_set<uint64_t> continuing_;
  std::unordered_set<uint64_t> rounds_opened_;
};

class TrailCollector {
 public:
  explicit TrailCollector(uint64_t record)
      : record_(record), follower_(record) {}
  void Add(const ledger::EntryView& entry);

  // The trail with inclusion proofs against the largest checkpoint that
  // verified under `key` (or the whole checked log when there is none).
  nlohmann::json ToJson(
      const LogChecker& checker,
      const std::vector<std::pair<std::string, std::string>>& checkpoints,
      const std::optional<note::VerifierKey>& key) const;

 private:
  uint64_t record_;
  TrailFollower follower_;
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
