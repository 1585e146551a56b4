#include "verifier/log_checker.h"

#include <algorithm>
#include <thread>

namespace piaojue::verifier {

namespace {

std::string Hex(const merkle::Hash& h) {
  return crypto::ToHex(crypto::AsBytes(h));
}

}  // namespace

LogChecker::LogChecker(std::optional<RulesHook> rules)
    : rules_(std::move(rules)) {}

bool LogChecker::Fail(uint64_t index, std::string check, std::string message,
                      std::string expected, std::string found) {
  if (!failure_) {
    failure_ = Failure{index, std::move(check), std::move(expected),
                       std::move(found), std::move(message)};
  }
  return false;
}

bool LogChecker::Add(uint64_t index, std::string_view bytes) {
  if (failure_) return false;
  auto view = ledger::EntryView::Parse(bytes);
  if (!view.ok()) {
    return Fail(
        index, "decode",
        "entry " + std::to_string(index) + ": " + view.status().message());
  }
  Status sig = view->VerifySignature();
  return CheckOne(index, *view, sig.ok(), sig);
}

bool LogChecker::AddBatch(uint64_t first_index,
                          const std::vector<std::string>& entries,
                          unsigned threads) {
  if (failure_) return false;
  const size_t n = entries.size();
  std::vector<std::optional<ledger::EntryView>> views(n);
  std::vector<Status> decode(n), sigs(n);
  auto work = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      auto v = ledger::EntryView::Parse(entries[i]);
      if (!v.ok()) {
        decode[i] = v.status();
        continue;
      }
      sigs[i] = v->VerifySignature();
      views[i] = std::move(v).value();
    }
  };
  threads = std::max(1u, std::min<unsigned>(threads, n / 16 + 1));
  std::vector<std::thread> pool;
  const size_t chunk = (n + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t) {
    size_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  work(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
  // The in-order part: everything that depends on earlier entries.
  for (size_t i = 0; i < n; ++i) {
    const uint64_t index = first_index + i;
    if (!decode[i].ok()) {
      return Fail(
          index, "decode",
          "entry " + std::to_string(index) + ": " + decode[i].message());
    }
    if (!CheckOne(index, *views[i], sigs[i].ok(), sigs[i])) return false;
  }
  return true;
}

bool LogChecker::CheckOne(uint64_t index, const ledger::EntryView& view,
                          bool signature_ok, const Status& signature_status) {
  const std::string at = "entry " + std::to_string(index) + ": ";
  if (index != size()) {
    return Fail(size(), "index",
                "entry " + std::to_string(size()) +
                    " is missing: the store jumps to entry " +
                    std::to_string(index),
                std::to_string(size()), std::to_string(index));
  }
  if (view.index() != index) {
    return Fail(index, "index",
                at + "the entry's own index is wrong (an "
                     "entry was deleted, duplicated or moved)",
                std::to_string(index), std::to_string(view.index()));
  }
  if (view.prev_hash() != prev_hash_) {
    return Fail(index, "chain",
                at + "previous-hash does not match the entry before it",
                Hex(prev_hash_), Hex(view.prev_hash()));
  }
  if (index > 0 && view.recorded_at_ms() < prev_recorded_at_) {
    return Fail(index, "time", at + "recorded before the entry before it",
                ">= " + std::to_string(prev_recorded_at_),
                std::to_string(view.recorded_at_ms()));
  }
  if (view.authored().getSignedAtMs() >
      view.recorded_at_ms() + ledger::kMaxClockSkewMs) {
    return Fail(
        index, "time",
        at + "signed more than 5 minutes after it was "
             "recorded",
        "<= " + std::to_string(view.recorded_at_ms() + ledger::kMaxClockSkewMs),
        std::to_string(view.authored().getSignedAtMs()));
  }
  if (!signature_ok) {
    return Fail(index, "signature", at + signature_status.message());
  }
  auto a = view.authored();
  std::string nonce(reinterpret_cast<const char*>(a.getAuthorKey().begin()),
                    32);
  nonce.append(reinterpret_cast<const char*>(a.getNonce().begin()),
               ledger::kNonceSize);
  if (!nonces_.insert(std::move(nonce)).second) {
    return Fail(index, "nonce",
                at + "the author key reused a nonce (a replayed event)");
  }
  Status auth = authority_.Check(
      index, a, [&](uint64_t target) -> Result<ledger::CorrectionTarget> {
        if (target >= kinds_.size()) {
          return NotFound("correction targets entry " + std::to_string(target) +
                          ", which does not exist");
        }
        ledger::CorrectionTarget t;
        const KindAndJurisdiction& k = kinds_[target];
        t.kind = static_cast<schema::Event::Which>(k.kind);
        t.jurisdiction = jurisdiction_names_[k.jurisdiction];
        for (uint16_t r = 0; r < 16; ++r) {
          if (k.roles & (1u << r))
            t.roles.push_back(static_cast<schema::Role>(r));
        }
        return t;
      });
  if (!auth.ok()) {
    return Fail(index, "authorization", at + auth.message());
  }
  if (rules_) {
    Status rules = rules_->check(view);
    if (!rules.ok()) return Fail(index, "rules", at + rules.message());
  }
  // Accepted: fold.
  authority_.Apply(index, a);
  if (rules_) rules_->apply(view);
  std::string j = a.getJurisdiction().cStr();
  auto [it, inserted] = jurisdiction_ids_.emplace(
      j, static_cast<uint16_t>(jurisdiction_names_.size()));
  if (inserted) jurisdiction_names_.push_back(j);
  uint16_t roles = 0;
  for (schema::Role r : ledger::RolesAllowedFor(view.event())) {
    roles |= static_cast<uint16_t>(1u << static_cast<uint16_t>(r));
  }
  kinds_.push_back(KindAndJurisdiction{
      static_cast<uint16_t>(view.event().which()), it->second, roles});
  merkle::Hash leaf = view.LeafHash();
  frontier_.Append(leaf);
  if (auto w = watched_roots_.find(frontier_.size());
      w != watched_roots_.end()) {
    w->second = frontier_.Root();
    reached_.insert(w->first);
  }
  if (keep_leaves_) leaves_.push_back(leaf);
  prev_hash_ = view.EntryHash();
  prev_recorded_at_ = view.recorded_at_ms();
  return true;
}

Result<merkle::Hash> LogChecker::RootAt(uint64_t size) const {
  if (size == this->size()) return frontier_.Root();
  if (reached_.count(size)) return watched_roots_.at(size);
  if (!keep_leaves_ || size > leaves_.size()) {
    return OutOfRange("root at size " + std::to_string(size) +
                      " is not available");
  }
  merkle::NodeReader read = [&](uint8_t level,
                                uint64_t index) -> Result<merkle::Hash> {
    // Recompute a complete node from the leaves (verifier-side: no stored
    // nodes are trusted).
    uint64_t begin = index << level, end = (index + 1) << level;
    std::vector<merkle::Hash> layer(leaves_.begin() + begin,
                                    leaves_.begin() + end);
    while (layer.size() > 1) {
      std::vector<merkle::Hash> next;
      for (size_t i = 0; i < layer.size(); i += 2) {
        next.push_back(merkle::NodeHash(layer[i], layer[i + 1]));
      }
      layer = std::move(next);
    }
    return layer[0];
  };
  return merkle::RootAt(read, size);
}

bool LogChecker::CheckCheckpoint(std::string_view signed_note,
                                 const note::VerifierKey& key) {
  if (failure_) return false;
  auto text = note::Open(signed_note, key);
  if (!text.ok()) {
    return Fail(size(), "checkpoint",
                "checkpoint signature: " + text.status().message());
  }
  auto cp = note::ParseCheckpoint(*text);
  if (!cp.ok()) {
    return Fail(size(), "checkpoint", "checkpoint: " + cp.status().message());
  }
  if (cp->origin != origin()) {
    return Fail(cp->size, "checkpoint",
                "checkpoint origin differs from the log's genesis origin",
                origin(), cp->origin);
  }
  if (cp->size > size()) {
    return Fail(cp->size, "checkpoint",
                "the checkpoint covers entries the log does not have: the log "
                "was truncated after it was checkpointed",
                ">= " + std::to_string(cp->size) + " entries",
                std::to_string(size()) + " entries");
  }
  auto root = RootAt(cp->size);
  if (!root.ok()) {
    return Fail(cp->size, "checkpoint", root.status().message());
  }
  if (*root != cp->root) {
    return Fail(cp->size, "checkpoint",
                "the recomputed Merkle root differs from the signed "
                "checkpoint's: entries were changed after it was signed",
                Hex(cp->root), Hex(*root));
  }
  return true;
}

}  // namespace piaojue::verifier
