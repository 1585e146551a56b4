// Proof bundles, written and checked one entry at a time. See
// docs/FORMAT.md, "Proof bundle".
#include "verifier/proof_bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/text_validation.h"
#include "verifier/explain.h"
#include "verifier/json_reader.h"
#include "verifier/text.h"
#include "verifier/trail_spool.h"

namespace piaojue::verifier {

namespace {

using nlohmann::json;

std::string B64(crypto::Bytes b) { return crypto::Base64Encode(b); }

// Base64 of an entry of at most kMaxEntrySize bytes, padded.
constexpr size_t kMaxEntryBase64 = (ledger::kMaxEntrySize + 2) / 3 * 4;
constexpr size_t kHashBase64 = 44;

std::string HashList(const std::vector<crypto::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i) out += ", ";
    out += '"' + B64(crypto::AsBytes(hashes[i])) + '"';
  }
  return out + "]";
}

// {"index": I, "entry": "...", "proof": [...]}
std::string EntryMember(uint64_t index, std::string_view bytes,
                        const std::vector<crypto::Hash>& proof) {
  return "{\"index\": " + std::to_string(index) + ", \"entry\": \"" +
         B64(crypto::AsBytes(bytes)) + "\", \"proof\": " + HashList(proof) +
         "}";
}

// What the bundle needs to know of a trail entry to pick the registry
// entries that authorize it.
struct TrailAuthor {
  std::optional<crypto::PublicKey> key;
  std::string jurisdiction;
  // For a registry entry of the trail (a jurisdiction's or a key's own
  // record): the key it registers or revokes, and the jurisdiction it
  // grants in or registers under, which its replay needs too.
  std::optional<crypto::PublicKey> subject_key;
  std::string subject_jurisdiction;
};

// A key's bytes as a key; nothing when they are not 32 bytes (the bundle's
// check then says the entry is not authorized).
std::optional<crypto::PublicKey> KeyOf(capnp::Data::Reader key) {
  std::optional<crypto::PublicKey> out;
  if (key.size() == crypto::kPublicKeySize) {
    out.emplace();
    std::copy(key.begin(), key.end(), out->begin());
  }
  return out;
}

// Who signed a trail entry, and what a registry entry of the trail is
// about.
TrailAuthor AuthorOf(const ledger::EntryView& view) {
  TrailAuthor a;
  a.key = KeyOf(view.authored().getAuthorKey());
  a.jurisdiction = ledger::TextString(view.authored().getJurisdiction());
  const schema::Event::Reader event = view.event();
  if (event.isKeyRegistered()) {
    a.subject_key = KeyOf(event.getKeyRegistered().getKey());
    a.subject_jurisdiction =
        ledger::TextString(event.getKeyRegistered().getJurisdiction());
  } else if (event.isKeyRevoked()) {
    a.subject_key = KeyOf(event.getKeyRevoked().getKey());
  } else if (event.isJurisdictionRegistered()) {
    a.subject_jurisdiction =
        ledger::TextString(event.getJurisdictionRegistered().getParentCode());
  }
  return a;
}

// The registry entries below `size` that authorize `trail` when replayed in
// order (docs/FORMAT.md, "Proof bundle"): genesis; every registration and
// the revocation of each author key; the registration of every
// jurisdiction a trail entry names or one of those keys is granted in, and
// of each of their ancestors.
std::set<uint64_t> RegistryFor(const std::vector<TrailAuthor>& trail,
                               const ledger::Authority& registry,
                               uint64_t size) {
  std::set<uint64_t> out{0};
  std::set<std::string> jurisdictions;
  std::set<crypto::PublicKey> keys;
  for (const TrailAuthor& t : trail) {
    if (!t.jurisdiction.empty()) jurisdictions.insert(t.jurisdiction);
    if (!t.subject_jurisdiction.empty()) {
      jurisdictions.insert(t.subject_jurisdiction);
    }
    if (t.key && *t.key != registry.root_key()) keys.insert(*t.key);
    if (t.subject_key) keys.insert(*t.subject_key);
  }
  for (const crypto::PublicKey& key : keys) {
    const ledger::KeyRecord* rec = registry.FindKey(key);
    if (rec == nullptr) continue;  // the bundle's check will say so
    for (const ledger::KeyGrant& g : rec->grants) {
      if (g.registered_at >= size) continue;
      out.insert(g.registered_at);
      jurisdictions.insert(g.jurisdiction);
    }
    if (rec->revoked_at && *rec->revoked_at < size) {
      out.insert(*rec->revoked_at);
    }
  }
  std::set<std::string> seen;
  for (std::string code : jurisdictions) {
    while (!code.empty() && seen.insert(code).second) {
      auto it = registry.jurisdictions().find(code);
      if (it == registry.jurisdictions().end()) break;
      if (it->second.registered_at < size) out.insert(it->second.registered_at);
      code = it->second.parent_code;
    }
  }
  return out;
}

// Writes the bundle of `record` holding `entries` (ascending), each with
// its inclusion proof in the checkpoint's tree.
Status WriteBundleEntries(uint64_t record, const std::set<uint64_t>& entries,
                          const ProofSource& src, std::ostream& out) {
  // The order of the members is part of the format: "entries" last.
  out << "{\n \"format\": \"" << kProofFormat << "\",\n \"record\": " << record
      << ",\n \"checkpoint\": " << json(src.checkpoint).dump()
      << ",\n \"consistency\": [";
  for (size_t i = 0; i < src.consistency_from.size(); ++i) {
    const uint64_t old_size = src.consistency_from[i];
    if (old_size > src.size) {
      return InvalidArgument("a consistency proof from " +
                             std::to_string(old_size) + " entries to " +
                             std::to_string(src.size) + " cannot exist");
    }
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof,
                     src.consistency(old_size));
    out << (i ? ",\n  " : "\n  ") << "{\"oldSize\": " << old_size
        << ", \"proof\": " << HashList(proof) << "}";
  }
  out << (src.consistency_from.empty() ? "]" : "\n ]");
  {
    const uint64_t last = src.size - 1;
    ASSIGN_OR_RETURN(std::string bytes, src.read_entry(last));
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof, src.inclusion(last));
    out << ",\n \"last\": " << EntryMember(last, bytes, proof);
  }
  out << ",\n \"entries\": [";
  bool first = true;
  for (uint64_t index : entries) {
    ASSIGN_OR_RETURN(std::string bytes, src.read_entry(index));
    ASSIGN_OR_RETURN(std::vector<crypto::Hash> proof, src.inclusion(index));
    out << (first ? "\n  " : ",\n  ") << EntryMember(index, bytes, proof);
    first = false;
    if (!out) return IOError("cannot write the proof bundle");
  }
  out << "\n ]\n}\n";
  return out ? Status::Ok() : IOError("cannot write the proof bundle");
}

}  // namespace

Status WriteProofBundle(uint64_t record, const ProofSource& src,
                        std::ostream& out) {
  if (record >= src.size) {
    return NotFound("no record " + std::to_string(record) + " in the first " +
                    std::to_string(src.size) + " entries");
  }
  // First the trail, who signed it, and the registry, from every entry.
  TrailFollower follower(record);
  std::vector<uint64_t> trail;
  std::vector<TrailAuthor> authors;
  ledger::Authority registry;
  RETURN_IF_ERROR(src.for_each_entry([&](uint64_t index,
                                         std::string_view bytes) -> Status {
    ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(bytes));
    if (index == 0 || ledger::IsRegistryEvent(view.event().which())) {
      registry.Apply(index, view.authored());
    }
    if (!follower.Take(index, view.event())) return Status::Ok();
    trail.push_back(index);
    authors.push_back(AuthorOf(view));
    return Status::Ok();
  }));
  if (std::find(trail.begin(), trail.end(), record) == trail.end()) {
    return NotFound("no record " + std::to_string(record) + " in the first " +
                    std::to_string(src.size) + " entries");
  }
  std::set<uint64_t> entries = RegistryFor(authors, registry, src.size);
  entries.insert(trail.begin(), trail.end());
  return WriteBundleEntries(record, entries, src, out);
}

Status WriteProofBundleOfTrail(uint64_t record,
                               const std::vector<uint64_t>& trail,
                               const ledger::Authority& registry,
                               const ProofSource& src, std::ostream& out) {
  if (record >= src.size ||
      !std::binary_search(trail.begin(), trail.end(), record)) {
    return NotFound("no record " + std::to_string(record) + " in the first " +
                    std::to_string(src.size) + " entries");
  }
  std::vector<TrailAuthor> authors;
  std::set<uint64_t> entries;
  for (uint64_t index : trail) {
    if (index >= src.size) break;
    ASSIGN_OR_RETURN(std::string bytes, src.read_entry(index));
    ASSIGN_OR_RETURN(ledger::EntryView view, ledger::EntryView::Parse(bytes));
    authors.push_back(AuthorOf(view));
    entries.insert(index);
  }
  std::set<uint64_t> needed = RegistryFor(authors, registry, src.size);
  entries.insert(needed.begin(), needed.end());
  return WriteBundleEntries(record, entries, src, out);
}

Result<std::string> BuildProofBundle(uint64_t record, const ProofSource& src) {
  std::ostringstream out;
  RETURN_IF_ERROR(WriteProofBundle(record, src, out));
  return out.str();
}

bool LooksLikeProofBundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return c == '{';
}

namespace {

// One {"index", "entry", "proof"} object as read.
struct BundleEntry {
  uint64_t index = 0;
  std::string bytes;
  std::vector<crypto::Hash> proof;
};

Result<std::vector<crypto::Hash>> ReadHashes(JsonReader& r, size_t max,
                                             const std::string& what) {
  std::vector<crypto::Hash> out;
  RETURN_IF_ERROR(r.BeginArray());
  while (true) {
    ASSIGN_OR_RETURN(bool more, r.NextElement());
    if (!more) break;
    if (out.size() == max) {
      return InvalidArgument(what + " has more than " + std::to_string(max) +
                             " hashes");
    }
    ASSIGN_OR_RETURN(std::string text, r.ReadString(kHashBase64, what));
    auto raw = crypto::Base64Decode(text);
    if (!raw.ok() || raw->size() != 32) {
      return InvalidArgument(what + ": a hash is not base64 of 32 bytes");
    }
    crypto::Hash h;
    std::memcpy(h.data(), raw->data(), 32);
    out.push_back(h);
  }
  return out;
}

Result<BundleEntry> ReadBundleEntry(JsonReader& r, const std::string& what) {
  BundleEntry e;
  RETURN_IF_ERROR(r.BeginObject());
  std::string key;
  int seen = 0;
  for (const char* expected : {"index", "entry", "proof"}) {
    ASSIGN_OR_RETURN(bool more, r.NextMember(&key));
    if (!more || key != expected) {
      return InvalidArgument(what + ": member \"" + expected +
                             "\" expected (index, entry, proof, in this "
                             "order)");
    }
    if (seen == 0) {
      ASSIGN_OR_RETURN(e.index, r.ReadUint64(what + ".index"));
    } else if (seen == 1) {
      ASSIGN_OR_RETURN(std::string text,
                       r.ReadString(kMaxEntryBase64, what + ".entry"));
      auto bytes = crypto::Base64Decode(text);
      if (!bytes.ok()) {
        return InvalidArgument(what + ".entry (index " +
                               std::to_string(e.index) + ") is not base64");
      }
      e.bytes = std::move(bytes).value();
    } else {
      ASSIGN_OR_RETURN(e.proof,
                       ReadHashes(r, kMaxProofHashes, what + ".proof"));
    }
    ++seen;
  }
  ASSIGN_OR_RETURN(bool more, r.NextMember(&key));
  if (more) return InvalidArgument(what + ": unexpected member " + key);
  return e;
}

struct ConsistencyProof {
  uint64_t old_size = 0;
  std::vector<crypto::Hash> proof;
};

// What a correction's target needs, for every bundle entry seen.
struct TargetInfo {
  schema::Event::Which kind;
  std::string jurisdiction;
  std::vector<schema::Role> roles;
};

// The state of one check of a bundle, as its members are read.
class BundleCheck {
 public:
  BundleCheck(const VerifyOptions& options, VerifyReport& report)
      : options_(options), report_(report) {}

  // Reads and checks the whole file; the verdict is in the report.
  void Run(std::FILE* file);

 private:
  // A failure of the bundle's content (exit 1).
  void Fail(uint64_t index, std::string check, std::string message,
            std::string expected = "", std::string found = "") {
    if (report_.failure || !report_.read_error.empty()) return;
    report_.failure = Failure{index, std::move(check), std::move(expected),
                              std::move(found), std::move(message)};
    report_.exit_code = kExitInvalid;
  }
  // The bundle cannot be checked (exit 2).
  void Unusable(std::string message) {
    if (report_.failure || !report_.read_error.empty()) return;
    report_.read_error = std::move(message);
    report_.exit_code = kExitUnusable;
  }
  bool done() const {
    return report_.failure.has_value() || !report_.read_error.empty();
  }

  Status ReadHeader(JsonReader& r);
  // Checks once genesis is known: the key, the checkpoint, the root key,
  // the last entry, the auditor's checkpoints.
  void CheckGenesis(const ledger::EntryView& genesis);
  void CheckKeptCheckpoints();
  void CheckEntry(BundleEntry entry, size_t n);

  const VerifyOptions& options_;
  VerifyReport& report_;
  uint64_t record_ = 0;
  std::optional<TrailFollower> follower_;  // set once record_ is read
  std::string checkpoint_;
  std::vector<ConsistencyProof> consistency_;
  BundleEntry last_;
  std::optional<note::VerifierKey> key_;
  note::Checkpoint cp_;
  ledger::Authority authority_;
  std::map<uint64_t, TargetInfo> targets_;
  uint64_t previous_ = 0;
  bool record_seen_ = false;
  std::shared_ptr<TrailSpool> trail_;
};

Status BundleCheck::ReadHeader(JsonReader& r) {
  std::string key;
  auto member = [&](const char* expected) -> Status {
    ASSIGN_OR_RETURN(bool more, r.NextMember(&key));
    if (!more || key != expected) {
      return InvalidArgument(std::string("member \"") + expected +
                             "\" expected here (format, record, checkpoint, "
                             "consistency, last, entries, in this order)");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(r.BeginObject());
  {
    ASSIGN_OR_RETURN(bool more, r.NextMember(&key));
    if (!more || key != "format") {
      // Version 1 bundles were written with their members sorted by name.
      return FailedPrecondition(
          "not a " + std::string(kProofFormat) +
          " bundle: its first member is not \"format\"" +
          (more && key == "checkpoint"
               ? " (a piaojue-proof/1 bundle from an earlier version starts "
                 "with \"checkpoint\": ask for a new one, piaojue prove)"
               : std::string()));
    }
  }
  ASSIGN_OR_RETURN(std::string format, r.ReadString(64, "format"));
  if (format != kProofFormat) {
    return FailedPrecondition(
        format == "piaojue-proof/1"
            ? "an older proof bundle (piaojue-proof/1), which this verifier "
              "no longer reads: ask for a new one (piaojue prove)"
            : "not a piaojue proof bundle (format \"" + ValidUtf8(format) +
                  "\")");
  }
  RETURN_IF_ERROR(member("record"));
  ASSIGN_OR_RETURN(record_, r.ReadUint64("record"));
  follower_.emplace(record_);
  RETURN_IF_ERROR(member("checkpoint"));
  ASSIGN_OR_RETURN(checkpoint_,
                   r.ReadString(kMaxProofCheckpointBytes, "checkpoint"));
  RETURN_IF_ERROR(member("consistency"));
  RETURN_IF_ERROR(r.BeginArray());
  while (true) {
    ASSIGN_OR_RETURN(bool more, r.NextElement());
    if (!more) break;
    if (consistency_.size() == kMaxConsistencyProofs) {
      return InvalidArgument("more than " +
                             std::to_string(kMaxConsistencyProofs) +
                             " consistency proofs");
    }
    ConsistencyProof c;
    RETURN_IF_ERROR(r.BeginObject());
    ASSIGN_OR_RETURN(more, r.NextMember(&key));
    if (!more || key != "oldSize") {
      return InvalidArgument("consistency: member \"oldSize\" expected");
    }
    ASSIGN_OR_RETURN(c.old_size, r.ReadUint64("consistency.oldSize"));
    ASSIGN_OR_RETURN(more, r.NextMember(&key));
    if (!more || key != "proof") {
      return InvalidArgument("consistency: member \"proof\" expected");
    }
    ASSIGN_OR_RETURN(c.proof,
                     ReadHashes(r, kMaxConsistencyHashes, "consistency.proof"));
    ASSIGN_OR_RETURN(more, r.NextMember(&key));
    if (more) return InvalidArgument("consistency: unexpected member " + key);
    consistency_.push_back(std::move(c));
  }
  RETURN_IF_ERROR(member("last"));
  ASSIGN_OR_RETURN(last_, ReadBundleEntry(r, "last"));
  RETURN_IF_ERROR(member("entries"));
  return Status::Ok();
}

void BundleCheck::CheckGenesis(const ledger::EntryView& genesis) {
  auto g = genesis.event().getGenesis();
  {
    auto root = g.getRootKey();
    report_.root_key = crypto::ToHex(crypto::Bytes(root.begin(), root.size()));
  }
  if (!options_.vkey.empty()) {
    auto k = note::ParseVerifierKey(options_.vkey);
    if (!k.ok()) return Unusable("--vkey: " + k.status().message());
    key_ = *k;
    report_.pinned = true;
  } else {
    auto k = note::ParseVerifierKey(ledger::TextView(g.getCheckpointKey()));
    if (k.ok()) key_ = *k;
  }
  if (!key_) return Unusable("no checkpoint key: pass --vkey");
  report_.checkpoint_key = note::FormatVerifierKey(key_->name, key_->key);
  if (!options_.root_key.empty()) {
    auto pinned_root = ParseRootKey(options_.root_key);
    if (!pinned_root.ok()) {
      return Unusable("--root-key: " + pinned_root.status().message());
    }
    report_.root_key_pinned = true;
    const std::string expected = crypto::ToHex(crypto::AsBytes(*pinned_root));
    if (report_.root_key != expected) {
      return Fail(0, "root key",
                  "genesis names another root key than the pinned one: the "
                  "log was created by another authority",
                  expected, report_.root_key);
    }
  }
  if (report_.pinned) {
    const std::string named = ledger::TextString(g.getCheckpointKey());
    auto genesis_key = note::ParseVerifierKey(named);
    if (!named.empty() && (!genesis_key.ok() || genesis_key->key != key_->key ||
                           genesis_key->name != key_->name)) {
      return Fail(
          0, "checkpoint",
          "genesis names another checkpoint key than the pinned one: " + named);
    }
  }
  auto text = note::Open(checkpoint_, *key_);
  if (!text.ok()) return Fail(0, "checkpoint", text.status().message());
  auto cp = note::ParseCheckpoint(*text);
  if (!cp.ok()) return Fail(0, "checkpoint", cp.status().message());
  cp_ = *cp;
  report_.origin = cp_.origin;
  report_.entries = cp_.size;
  report_.root = crypto::ToHex(crypto::AsBytes(cp_.root));
  report_.checkpoints.push_back(CheckpointResult{
      "proof bundle", cp_.size, report_.root, true, "signature verified"});
  if (ledger::TextView(g.getOrigin()) != cp_.origin) {
    return Fail(0, "checkpoint", "checkpoint origin differs from genesis");
  }
  if (!options_.witnesses.empty() || options_.witness_quorum > 0) {
    // The bundle's checkpoint carries the witnesses' cosignatures.
    auto policy =
        ParseWitnessPolicy(options_.witnesses, options_.witness_quorum);
    if (!policy.ok()) return Unusable(policy.status().message());
    WitnessReport w;
    const bool met = CheckCosignatures(checkpoint_, *policy, &w);
    w.checkpoint_source = "proof bundle";
    w.checkpoint_size = cp_.size;
    report_.witnesses = w;
    if (!met) {
      Failure f = QuorumFailure(w);
      return Fail(f.index, f.check, f.message, f.expected, f.found);
    }
  }
  // The checkpoint's last entry dates it.
  if (cp_.size == 0 || last_.index != cp_.size - 1) {
    return Fail(last_.index, "checkpoint",
                "the bundle's \"last\" entry is not the checkpoint's last "
                "entry (" +
                    std::to_string(cp_.size - 1) + ")");
  }
  auto last = ledger::EntryView::Parse(last_.bytes);
  if (!last.ok()) return Fail(last_.index, "decode", last.status().message());
  if (last->index() != last_.index) {
    return Fail(last_.index, "index",
                "the last entry's own index differs from the bundle's");
  }
  Status inclusion = merkle::VerifyInclusion(last->LeafHash(), last_.index,
                                             cp_.size, last_.proof, cp_.root);
  if (!inclusion.ok()) {
    return Fail(last_.index, "inclusion",
                "the last entry's inclusion proof does not verify: " +
                    inclusion.message());
  }
  report_.checkpoint_time_ms = last->recorded_at_ms();
  last_ = {};
  CheckKeptCheckpoints();
}

void BundleCheck::CheckKeptCheckpoints() {
  for (const std::string& file : options_.extra_checkpoints) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Unusable("cannot read checkpoint file " + file);
    std::string note_text(kMaxProofCheckpointBytes + 1, '\0');
    in.read(note_text.data(), static_cast<std::streamsize>(note_text.size()));
    note_text.resize(static_cast<size_t>(in.gcount()));
    auto parsed = note::ParseNote(note_text);
    if (note_text.size() > kMaxProofCheckpointBytes || !parsed.ok() ||
        !note::ParseCheckpoint(parsed->text).ok()) {
      return Unusable("checkpoint file " + file +
                      " is not a signed checkpoint (c2sp.org/"
                      "tlog-checkpoint)");
    }
    const auto claimed = note::ParseCheckpoint(parsed->text);
    CheckpointResult r;
    r.source = file;
    r.size = claimed->size;
    r.root = crypto::ToHex(crypto::AsBytes(claimed->root));
    auto text = note::Open(note_text, *key_);
    if (!text.ok()) {
      return Fail(r.size, "checkpoint",
                  "checkpoint " + file + ": " + text.status().message());
    }
    const note::Checkpoint kept = *note::ParseCheckpoint(*text);
    if (kept.origin != cp_.origin) {
      return Fail(kept.size, "checkpoint",
                  "checkpoint " + file + " is of another log", cp_.origin,
                  kept.origin);
    }
    const std::string n = std::to_string(cp_.size);
    const std::string m = std::to_string(kept.size);
    if (kept.size > cp_.size) {
      return Unusable("your checkpoint " + file + " (" + m +
                      " entries) is newer than the proof's (" + n +
                      "): ask for a proof against a checkpoint at least as "
                      "new (piaojue prove … --since-checkpoint " +
                      file + ")");
    }
    if (kept.size == cp_.size) {
      if (kept.root != cp_.root) {
        return Fail(kept.size, "checkpoint",
                    "your checkpoint " + file +
                        " and the proof's are of the same size with "
                        "different roots: the log was forked or rewritten",
                    r.root, report_.root);
      }
      r.ok = true;
      r.message = "the same tree as the proof's checkpoint";
    } else {
      const ConsistencyProof* proof = nullptr;
      for (const auto& c : consistency_) {
        if (c.old_size == kept.size) proof = &c;
      }
      if (!proof) {
        return Unusable(
            "the proof bundle holds no consistency proof from your "
            "checkpoint " +
            file + " (" + m + " entries) to its own (" + n +
            "), so it cannot show that the log it proves is the one you "
            "saved; ask for one: piaojue prove … --since-checkpoint " +
            file);
      }
      Status s = merkle::VerifyConsistency(kept.size, cp_.size, proof->proof,
                                           kept.root, cp_.root);
      if (!s.ok()) {
        return Fail(kept.size, "checkpoint",
                    "the proof's checkpoint (" + n +
                        " entries) is not consistent with your checkpoint " +
                        file + " (" + m +
                        "): the log was rewritten or forked after you saved "
                        "it (" +
                        s.message() + ")");
      }
      r.ok = true;
      r.message = "consistency proof from " + m + " to " + n + " verified";
    }
    report_.checkpoints.push_back(r);
  }
}

void BundleCheck::CheckEntry(BundleEntry entry, size_t n) {
  const uint64_t index = entry.index;
  auto view = ledger::EntryView::Parse(entry.bytes);
  if (!view.ok()) return Fail(index, "decode", view.status().message());
  if (view->index() != index) {
    return Fail(index, "index", "entry's own index differs from the bundle's");
  }
  if (n == 0) {
    if (index != 0 || !view->event().isGenesis()) {
      return Fail(0, "decode",
                  "a proof bundle must start with the genesis entry");
    }
    CheckGenesis(*view);
    if (done()) return;
  } else if (index <= previous_) {
    return Fail(index, "index", "entries are not in increasing order");
  }
  previous_ = index;
  // As in the log (docs/VERIFY.md, check "time"): an author cannot sign
  // after the entry was recorded, beyond the allowed clock skew.
  if (view->authored().getSignedAtMs() >
      view->recorded_at_ms() + ledger::kMaxClockSkewMs) {
    return Fail(index, "time",
                "entry " + std::to_string(index) +
                    ": signed more than 5 minutes after it was recorded",
                "<= " + std::to_string(view->recorded_at_ms() +
                                       ledger::kMaxClockSkewMs),
                std::to_string(view->authored().getSignedAtMs()));
  }
  if (view->authored().getSignedAtMs() <
      view->recorded_at_ms() - ledger::kMaxSigningAgeMs) {
    return Fail(index, "time",
                "entry " + std::to_string(index) +
                    ": signed more than 30 days before it was recorded",
                ">= " + std::to_string(view->recorded_at_ms() -
                                       ledger::kMaxSigningAgeMs),
                std::to_string(view->authored().getSignedAtMs()));
  }
  if (index >= cp_.size) {
    return Fail(index, "checkpoint", "entry is beyond the checkpoint");
  }
  Status inclusion = merkle::VerifyInclusion(view->LeafHash(), index, cp_.size,
                                             entry.proof, cp_.root);
  if (!inclusion.ok()) {
    return Fail(index, "inclusion",
                "inclusion proof does not verify: " + inclusion.message());
  }
  Status sig = view->VerifySignature();
  if (!sig.ok()) return Fail(index, "signature", sig.message());
  // Corrections need their target's kind; the target is in the bundle when
  // it concerns the record. Only an earlier entry can be corrected.
  Status auth = authority_.Check(
      index, view->authored(),
      [&](uint64_t target) -> Result<ledger::CorrectionTarget> {
        auto it = targets_.find(target);
        if (it == targets_.end() || target >= index) {
          return NotFound("correction target " + std::to_string(target) +
                          " is not in the bundle");
        }
        ledger::CorrectionTarget t;
        t.kind = it->second.kind;
        t.jurisdiction = it->second.jurisdiction;
        t.roles = it->second.roles;
        return t;
      });
  if (!auth.ok()) return Fail(index, "authorization", auth.message());
  authority_.Apply(index, view->authored());
  targets_[index] =
      TargetInfo{view->event().which(),
                 ledger::TextString(view->authored().getJurisdiction()),
                 ledger::RolesAllowedFor(view->event())};
  const bool registry = ledger::IsRegistryEvent(view->event().which());
  const bool concerns =
      follower_.has_value() && follower_->Take(index, view->event());
  if (!registry && !concerns) {
    return Fail(index, "trail",
                "entry does not concern record " + std::to_string(record_));
  }
  if (index == record_) record_seen_ = true;
  if (!concerns) return;
  json e = json::parse(ValidUtf8(ledger::EntryToJson(*view)));
  e["relation"] = index == record_ ? "created" : "references";
  if (view->event().isCorrection() &&
      view->event().getCorrection().getTarget() == record_) {
    e["relation"] = "corrects";
  }
  json p = json::array();
  for (const auto& h : entry.proof) {
    p.push_back(crypto::ToHex(crypto::AsBytes(h)));
  }
  e["inclusionProof"] = p;
  e["inclusionVerified"] = true;
  Status s = trail_->Append(DumpJson(e));
  if (!s.ok()) Unusable(s.message());
}

void BundleCheck::Run(std::FILE* file) {
  auto spool = TrailSpool::Create();
  if (!spool.ok()) return Unusable(spool.status().message());
  trail_ = *spool;
  JsonReader r(file);
  Status header = ReadHeader(r);
  if (header.code() == StatusCode::kFailedPrecondition) {
    return Unusable(header.message());
  }
  if (!header.ok())
    return Unusable("malformed proof bundle: " + header.message());
  Status s = r.BeginArray();
  size_t n = 0;
  while (s.ok() && !done()) {
    auto more = r.NextElement();
    if (!more.ok()) {
      s = more.status();
      break;
    }
    if (!*more) break;
    auto entry = ReadBundleEntry(r, "entries[" + std::to_string(n) + "]");
    if (!entry.ok()) {
      s = entry.status();
      break;
    }
    CheckEntry(std::move(entry).value(), n++);
  }
  if (done()) return;
  if (s.ok()) {
    std::string key;
    auto more = r.NextMember(&key);
    if (!more.ok()) {
      s = more.status();
    } else if (*more) {
      s = InvalidArgument("unexpected member " + key + " after \"entries\"");
    } else {
      s = r.ExpectEnd();
    }
  }
  if (!s.ok()) return Unusable("malformed proof bundle: " + s.message());
  if (n == 0) {
    return Fail(0, "decode",
                "a proof bundle must start with the genesis entry");
  }
  if (!record_seen_) {
    return Fail(record_, "trail",
                "the record's own entry is not in the bundle");
  }
  report_.proved_entries = n;
  report_.trail = trail_;
  json explain = {
      {"record", record_},
      {"provedAgainst", "checkpoint of size " + std::to_string(cp_.size)},
      {"treeSize", cp_.size},
      {"root", report_.root}};
  report_.explain_json = DumpJson(explain);
  report_.exit_code = report_.pinned ? kExitValid : kExitValidUnpinned;
}

}  // namespace

VerifyReport VerifyProofBundle(const VerifyOptions& options) {
  VerifyReport report;
  report.input = options.path;
  report.proof_bundle = true;
  struct stat st {};
  if (::stat(options.path.c_str(), &st) != 0) {
    report.read_error = "cannot read " + options.path;
    return report;
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxProofBundleBytes) {
    report.read_error =
        "the proof bundle is " + std::to_string(st.st_size) +
        " bytes, over the limit of " + std::to_string(kMaxProofBundleBytes) +
        " bytes (docs/FORMAT.md, \"Proof bundle\"); a record with so long a "
        "trail is verified from the whole log";
    return report;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(
      std::fopen(options.path.c_str(), "rb"), &std::fclose);
  if (!file) {
    report.read_error = "cannot read " + options.path;
    return report;
  }
  const auto start = std::chrono::steady_clock::now();
  BundleCheck(options, report).Run(file.get());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

}  // namespace piaojue::verifier
