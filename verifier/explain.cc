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

bool Walk(capnp::DynamicStruct::Reader s, const std::set<uint64_t>& records,
          int depth) {
  if (depth > 8) return false;
  auto check_field = [&](capnp::StructSchema::Field f) {
    auto type = f.getType();
    std::string_view name = f.getProto().getName().cStr();
    if (!s.has(f)) return false;
    auto v = s.get(f);
    if (type.isUInt64() && IsRefField(name)) {
      return records.count(v.as<uint64_t>()) > 0;
    }
    if (type.isStruct()) {
      return Walk(v.as<capnp::DynamicStruct>(), records, depth + 1);
    }
    if (type.isList()) {
      auto list = v.as<capnp::DynamicList>();
      auto element = type.asList().getElementType();
      for (auto item : list) {
        if (element.isUInt64() && IsRefField(name) &&
            records.count(item.as<uint64_t>()) > 0) {
          return true;
        }
        if (element.isStruct() &&
            Walk(item.as<capnp::DynamicStruct>(), records, depth + 1)) {
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

}  // namespace

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
