#include "verifier/explain.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>

#include <algorithm>
#include <optional>
#include <set>

#include "ledger/event_json.h"
#include "ledger/merkle.h"
#include "verifier/text.h"

namespace piaojue::verifier {

namespace {

bool IsRefField(std::string_view name) {
  static const std::set<std::string_view> kRefs = {
      "cycle", "proposal", "sources",  "vote",        "round",
      "box",   "project",  "projects", "order",       "target",
      "items", "item",     "elected",  "tiedAtCutoff"};
  return kRefs.count(name) > 0;
}

// Calls `named(v)` for each value v of a reference field (IsRefField) of
// `s`, at any depth up to 8, until it returns true; true if it did.
template <typename Named>
bool VisitRefs(capnp::DynamicStruct::Reader s, const Named& named, int depth) {
  if (depth > 8) return false;
  auto check_field = [&](capnp::StructSchema::Field f) {
    auto type = f.getType();
    std::string_view name = f.getProto().getName().cStr();
    if (!s.has(f)) return false;
    auto v = s.get(f);
    if (type.isUInt64() && IsRefField(name)) {
      return named(v.as<uint64_t>());
    }
    if (type.isStruct()) {
      return VisitRefs(v.as<capnp::DynamicStruct>(), named, depth + 1);
    }
    if (type.isList()) {
      auto list = v.as<capnp::DynamicList>();
      auto element = type.asList().getElementType();
      for (auto item : list) {
        if (element.isUInt64() && IsRefField(name) &&
            named(item.as<uint64_t>())) {
          return true;
        }
        if (element.isStruct() &&
            VisitRefs(item.as<capnp::DynamicStruct>(), named, depth + 1)) {
          return true;
        }
      }
    }
    return false;
  };
  for (auto f : s.getSchema().getNonUnionFields()) {
    if (check_field(f)) return true;
  }
  KJ_IF_MAYBE (active, s.which()) {
    if (check_field(*active)) return true;
  }
  return false;
}

// Whether a reference field of `s` names one of `records`.
bool Walk(capnp::DynamicStruct::Reader s, const std::set<uint64_t>& records,
          int depth) {
  return VisitRefs(
      s, [&](uint64_t v) { return records.count(v) > 0; }, depth);
}

}  // namespace

void EventReferenceValues(schema::Event::Reader event,
                          std::vector<uint64_t>* out) {
  capnp::DynamicStruct::Reader dyn = event;
  VisitRefs(
      dyn,
      [out](uint64_t v) {
        out->push_back(v);
        return false;
      },
      0);
}

bool EventReferences(schema::Event::Reader event, uint64_t record) {
  capnp::DynamicStruct::Reader dyn = event;
  return Walk(dyn, {record}, 0);
}

TrailFollower::TrailFollower(uint64_t record)
    : record_(record), followed_{record} {}

bool TrailFollower::Take(uint64_t index, schema::Event::Reader event) {
  using Which = schema::Event::Which;
  const Which which = event.which();
  bool in = index == record_;
  if (!in && which == Which::CORRECTION) {
    // A correction or retraction of an entry of the trail.
    in = trail_.count(event.getCorrection().getTarget()) > 0;
  }
  if (!in && which == Which::RESULT_ANNOUNCED) {
    // The outcome of a round a followed record was an item of (a result
    // names only what it elected or graded).
    in = rounds_.count(event.getResultAnnounced().getRound()) > 0;
  }
  if (!in) {
    capnp::DynamicStruct::Reader dyn = event;
    in = Walk(dyn, followed_, 0);
  }
  if (!in) return false;
  trail_.insert(index);
  // Records that continue the followed ones: a rectification order of a
  // followed project (its reports name the order), and the record a
  // followed proposal was merged into.
  if (which == Which::RECTIFICATION_ORDERED ||
      which == Which::PROPOSALS_MERGED) {
    followed_.insert(index);
  }
  if (which == Which::ROUND_OPENED) rounds_.insert(index);
  return true;
}

void TrailIndex::Add(uint64_t index, schema::Event::Reader event) {
  using Which = schema::Event::Which;
  size_ = index + 1;
  std::vector<uint64_t> refs;
  EventReferenceValues(event, &refs);
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  for (uint64_t r : refs) referrers_[r].push_back(index);
  switch (event.which()) {
    case Which::CORRECTION:
      correction_target_[index] = event.getCorrection().getTarget();
      break;
    case Which::RESULT_ANNOUNCED:
      result_round_[index] = event.getResultAnnounced().getRound();
      break;
    case Which::RECTIFICATION_ORDERED:
    case Which::PROPOSALS_MERGED:
      continuing_.insert(index);
      break;
    case Which::ROUND_OPENED:
      rounds_opened_.insert(index);
      break;
    default:
      break;
  }
}

std::vector<uint64_t> TrailIndex::TrailOf(uint64_t record) const {
  if (record >= size_) return {};
  // TrailFollower's rules, as a closure: every condition looks only at
  // earlier entries (references point back), so taking entries in any
  // order reaches what the follower takes in log order.
  std::set<uint64_t> trail{record};
  std::vector<uint64_t> work{record};
  auto join = [&](uint64_t e) {
    if (trail.insert(e).second) work.push_back(e);
  };
  while (!work.empty()) {
    const uint64_t e = work.back();
    work.pop_back();
    auto it = referrers_.find(e);
    if (it == referrers_.end()) continue;
    // The record itself, and what continues it, are followed: every entry
    // naming them joins. Of the others, only a correction of the entry and
    // the result of a round it opened join.
    const bool followed = e == record || continuing_.count(e) > 0;
    const bool round = rounds_opened_.count(e) > 0;
    for (uint64_t c : it->second) {
      if (followed) {
        join(c);
        continue;
      }
      auto target = correction_target_.find(c);
      if (target != correction_target_.end() && target->second == e) {
        join(c);
        continue;
      }
      auto result = result_round_.find(c);
      if (round && result != result_round_.end() && result->second == e) {
        join(c);
      }
    }
  }
  return std::vector<uint64_t>(trail.begin(), trail.end());
}

void TrailCollector::Add(const ledger::EntryView& entry) {
  if (follower_.Take(entry.index(), entry.event())) {
    entries_.emplace_back(entry.index(), entry.bytes());
  }
}

LeafTree::LeafTree(const std::vector<crypto::Hash>& leaves, uint64_t size) {
  levels_.emplace_back(
      leaves.begin(), leaves.begin() + std::min<uint64_t>(size, leaves.size()));
  while (levels_.back().size() > 1) {
    const auto& below = levels_.back();
    std::vector<crypto::Hash> up;
    for (size_t i = 0; i + 1 < below.size(); i += 2) {
      up.push_back(merkle::NodeHash(below[i], below[i + 1]));
    }
    levels_.push_back(std::move(up));
  }
}

Result<std::vector<crypto::Hash>> LeafTree::Proof(uint64_t index) const {
  const uint64_t size = levels_[0].size();
  merkle::NodeReader read = [&](uint8_t level,
                                uint64_t i) -> Result<crypto::Hash> {
    if (level >= levels_.size() || i >= levels_[level].size()) {
      return NotFound("node not complete");
    }
    return levels_[level][i];
  };
  return merkle::InclusionProof(read, index, size);
}

Result<std::vector<crypto::Hash>> LeafTree::Consistency(
    uint64_t old_size) const {
  const uint64_t size = levels_[0].size();
  merkle::NodeReader read = [&](uint8_t level,
                                uint64_t i) -> Result<crypto::Hash> {
    if (level >= levels_.size() || i >= levels_[level].size()) {
      return NotFound("node not complete");
    }
    return levels_[level][i];
  };
  return merkle::ConsistencyProof(read, old_size, size);
}

Result<std::vector<crypto::Hash>> ProofFromLeaves(
    const std::vector<crypto::Hash>& leaves, uint64_t index, uint64_t size) {
  if (size > leaves.size()) return OutOfRange("size beyond the leaves");
  return LeafTree(leaves, size).Proof(index);
}

nlohmann::json TrailCollector::ToJson(
    const LogChecker& checker,
    const std::vector<std::pair<std::string, std::string>>& checkpoints,
    const std::optional<note::VerifierKey>& key) const {
  using nlohmann::json;
  // The largest checkpoint that verifies and is covered by the checked log.
  uint64_t size = checker.size();
  std::string against = "the checked log (no verified checkpoint)";
  std::string root_hex;
  uint64_t best = 0;
  if (key) {
    for (const auto& [source, note_text] : checkpoints) {
      auto text = note::Open(note_text, *key);
      if (!text.ok()) continue;
      auto cp = note::ParseCheckpoint(*text);
      if (!cp.ok() || cp->size > checker.size() || cp->size < best) continue;
      auto root = checker.RootAt(cp->size);
      if (!root.ok() || *root != cp->root) continue;
      best = cp->size;
      size = cp->size;
      against = "checkpoint (" + source + ") of size " + std::to_string(size);
    }
  }
  auto root = checker.RootAt(size);
  if (root.ok()) root_hex = crypto::ToHex(crypto::AsBytes(*root));
  json out;
  out["record"] = record_;
  out["provedAgainst"] = against;
  out["treeSize"] = size;
  out["root"] = root_hex;
  json trail = json::array();
  // Complete nodes computed once for all the trail's proofs.
  std::optional<LeafTree> tree;
  if (size <= checker.leaf_hashes().size()) {
    tree.emplace(checker.leaf_hashes(), size);
  }
  for (const auto& [index, bytes] : entries_) {
    auto view = ledger::EntryView::Parse(bytes);
    if (!view.ok()) continue;
    json e = json::parse(ValidUtf8(ledger::EntryToJson(*view)));
    e.erase("prevHash");
    e.erase("nonce");
    e["relation"] = index == record_ ? "created" : "references";
    if (view->event().isCorrection() &&
        view->event().getCorrection().getTarget() == record_) {
      e["relation"] = "corrects";
    }
    if (index < size && tree) {
      auto proof = tree->Proof(index);
      if (proof.ok()) {
        json p = json::array();
        for (const auto& h : *proof)
          p.push_back(crypto::ToHex(crypto::AsBytes(h)));
        e["inclusionProof"] = p;
        e["inclusionVerified"] =
            root.ok() && merkle::VerifyInclusion(view->LeafHash(), index, size,
                                                 *proof, *root)
                             .ok();
      }
    } else {
      e["inclusionProof"] = nullptr;
      e["inclusionVerified"] = false;
    }
    trail.push_back(std::move(e));
  }
  out["entries"] = trail;
  return out;
}

}  // namespace piaojue::verifier
