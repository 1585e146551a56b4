#include "verifier/log_checker.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "ledger/text_validation.h"
#include "verifier/verify.h"

namespace piaojue::verifier {

namespace {

std::string Hex(const merkle::Hash& h) {
  return crypto::ToHex(crypto::AsBytes(h));
}

// An instant as the report shows it: the milliseconds a program compares,
// then the time in China Standard Time with the zone, as the views show it.
std::string Instant(int64_t ms) {
  return std::to_string(ms) + " (" + FormatCst(ms) + ")";
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
    if (!ResolveChainBreak(nullptr, false)) return false;
    return Fail(
        index, "decode",
        "entry " + std::to_string(index) + ": " + view.status().message());
  }
  Prechecked one;
  one.signature = view->VerifySignature();
  one.entry_hash = view->EntryHash();
  one.leaf_hash = view->LeafHash();
  one.view = std::move(view).value();
  PrecheckAlone(one);
  return CheckOne(index, one);
}

void LogChecker::PrecheckAlone(Prechecked& checked) {
  const ledger::EntryView& view = *checked.view;
  NonceSet::Nonce nonce;
  std::memcpy(nonce.data(), view.authored().getNonce().begin(), nonce.size());
  checked.nonce_hash = NonceSet::Hash(view.author_key(), nonce);
  checked.jurisdiction_hash =
      JurisdictionHash(ledger::TextView(view.authored().getJurisdiction()));
  checked.roles = ledger::RoleMaskFor(view.event());
}

uint64_t LogChecker::JurisdictionHash(std::string_view jurisdiction) {
  return std::hash<std::string_view>()(jurisdiction);
}

uint32_t LogChecker::JurisdictionId(std::string_view name, uint64_t hash) {
  size_t mask = jurisdiction_slots_.size() - 1;
  size_t i = hash & mask;
  for (;; i = (i + 1) & mask) {
    const uint32_t id = jurisdiction_slots_[i];
    if (id == 0) break;
    if (jurisdiction_names_[id - 1] == name) return id - 1;
  }
  jurisdiction_names_.emplace_back(name);
  const uint32_t id = static_cast<uint32_t>(jurisdiction_names_.size());
  if (2 * jurisdiction_names_.size() <= jurisdiction_slots_.size()) {
    jurisdiction_slots_[i] = id;
  } else {
    PlaceJurisdictions();
  }
  return id - 1;
}

ledger::Authority::Subject LogChecker::SubjectOf(uint32_t author,
                                                 const crypto::PublicKey& key,
                                                 uint32_t jurisdiction,
                                                 std::string_view name) {
  if (author >= author_records_.size()) {
    author_records_.resize(author + 1, nullptr);
  }
  if (jurisdiction >= jurisdiction_registered_.size()) {
    jurisdiction_registered_.resize(jurisdiction + 1, 0);
  }
  const ledger::KeyRecord*& record = author_records_[author];
  if (record == nullptr) record = authority_.FindKey(key);
  uint8_t& registered = jurisdiction_registered_[jurisdiction];
  if (!registered) registered = authority_.IsRegistered(std::string(name));
  return ledger::Authority::Subject{record, registered != 0};
}

void LogChecker::PlaceJurisdictions() {
  size_t slots = 64;
  while (slots < 2 * jurisdiction_names_.size()) slots *= 2;
  jurisdiction_slots_.assign(slots, 0);
  const size_t mask = slots - 1;
  for (uint32_t k = 1; k <= jurisdiction_names_.size(); ++k) {
    const std::string& name = jurisdiction_names_[k - 1];
    size_t at = JurisdictionHash(name) & mask;
    // A name saved twice (RestoreState) keeps its first number.
    bool seen = false;
    for (; jurisdiction_slots_[at] != 0; at = (at + 1) & mask) {
      if (jurisdiction_names_[jurisdiction_slots_[at] - 1] == name) {
        seen = true;
        break;
      }
    }
    if (!seen) jurisdiction_slots_[at] = k;
  }
}

LogChecker::Prechecked LogChecker::PrecheckOne(std::string_view entry,
                                               bool signatures) {
  return PrecheckOne(ledger::EntryView::Parse(entry), signatures);
}

LogChecker::Prechecked LogChecker::PrecheckOne(Result<ledger::EntryView> v,
                                               bool signatures) {
  Prechecked out;
  if (!v.ok()) {
    out.decode = v.status();
    return out;
  }
  // The two hashes of an entry depend on its bytes only: computed here,
  // compared in order later.
  if (signatures) out.signature = v->VerifySignature();
  out.entry_hash = v->EntryHash();
  out.leaf_hash = v->LeafHash();
  out.view = std::move(v).value();
  PrecheckAlone(out);
  return out;
}

std::vector<LogChecker::Prechecked> LogChecker::Precheck(
    const std::vector<std::string_view>& entries, unsigned threads,
    bool signatures) {
  const size_t n = entries.size();
  std::vector<Prechecked> out(n);
  auto work = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      out[i] = PrecheckOne(entries[i], signatures);
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
  return out;
}

bool LogChecker::AddBatch(uint64_t first_index,
                          const std::vector<std::string>& entries,
                          unsigned threads) {
  if (failure_) return false;
  std::vector<Prechecked> batch = Precheck(
      std::vector<std::string_view>(entries.begin(), entries.end()), threads);
  return AddPrechecked(first_index, batch);
}

bool LogChecker::AddPrechecked(uint64_t first_index,
                               std::vector<Prechecked>& batch) {
  if (failure_) return false;
  // The in-order part: everything that depends on earlier entries. The
  // nonce table's slots are fetched a few entries ahead (a cache miss each
  // at this table's size).
  constexpr size_t kAhead = 8;
  for (size_t i = 0; i < std::min(kAhead, batch.size()); ++i) {
    if (batch[i].view) nonces_.Prefetch(batch[i].nonce_hash);
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    const uint64_t index = first_index + i;
    if (i + kAhead < batch.size() && batch[i + kAhead].view) {
      nonces_.Prefetch(batch[i + kAhead].nonce_hash);
    }
    if (!batch[i].decode.ok()) {
      if (!ResolveChainBreak(nullptr, false)) return false;
      return Fail(
          index, "decode",
          "entry " + std::to_string(index) + ": " + batch[i].decode.message());
    }
    if (!CheckOne(index, batch[i])) return false;
  }
  return true;
}

bool LogChecker::Finish() {
  if (failure_) return false;
  return ResolveChainBreak(nullptr, /*at_end=*/true);
}

bool LogChecker::ResolveChainBreak(const ledger::EntryView* next, bool at_end) {
  if (!chain_break_) return true;
  const ChainBreak b = *chain_break_;
  chain_break_.reset();
  const std::string i = std::to_string(b.index);
  if (b.index > 0 && next && next->index() == b.index + 1 &&
      next->prev_hash() == b.entry_hash) {
    const std::string before = std::to_string(b.index - 1);
    return Fail(b.index - 1, "chain",
                "entry " + before + " was altered after entry " + i +
                    " was written: its hash is no longer entry " + i +
                    "'s previous-hash (entry " + i +
                    " itself is intact: the entry after it still links to it)",
                Hex(b.found), Hex(b.expected));
  }
  if (b.index > 0 && at_end) {
    const std::string before = std::to_string(b.index - 1);
    return Fail(b.index, "chain",
                "entry " + i + ": previous-hash does not match entry " +
                    before + ": entry " + before +
                    " was altered, or this entry's previous-hash was (with "
                    "no entry after this one, the two cannot be told apart)",
                Hex(b.expected), Hex(b.found));
  }
  return Fail(b.index, "chain",
              "entry " + i +
                  ": previous-hash does not match the entry before it (this "
                  "entry was altered, or put in another's place)",
              Hex(b.expected), Hex(b.found));
}

bool LogChecker::CheckOne(uint64_t index, const Prechecked& checked) {
  const ledger::EntryView& view = *checked.view;
  const bool signature_ok = checked.signature.ok();
  const Status& signature_status = checked.signature;
  // The start of a failure's message (built only for one).
  auto at = [index] { return "entry " + std::to_string(index) + ": "; };
  // A break in the chain just before this entry is decided by this entry.
  if (!ResolveChainBreak(&view, false)) return false;
  if (index != size()) {
    return Fail(size(), "index",
                "entry " + std::to_string(size()) +
                    " is missing: the store jumps to entry " +
                    std::to_string(index),
                std::to_string(size()), std::to_string(index));
  }
  if (view.index() != index) {
    const std::string found = std::to_string(view.index());
    return Fail(index, "index",
                view.index() > index
                    ? "entry " + std::to_string(index) + " is missing: entry " +
                          found +
                          " stands in its place (entries were deleted or "
                          "moved)"
                    : "entry " + std::to_string(index) + " is entry " + found +
                          " again, out of place (an entry was duplicated or "
                          "moved)",
                std::to_string(index), found);
  }
  if (view.prev_hash() != prev_hash_) {
    if (index == 0) {
      return Fail(index, "chain",
                  at() + "the first entry's previous-hash must be all zero",
                  Hex(prev_hash_), Hex(view.prev_hash()));
    }
    // Which entry is at fault is known only from the next one.
    chain_break_ =
        ChainBreak{index, prev_hash_, view.prev_hash(), checked.entry_hash};
    return true;
  }
  if (index > 0 && view.recorded_at_ms() < prev_recorded_at_) {
    return Fail(index, "time", at() + "recorded before the entry before it",
                ">= " + Instant(prev_recorded_at_),
                Instant(view.recorded_at_ms()));
  }
  if (view.authored().getSignedAtMs() >
      view.recorded_at_ms() + ledger::kMaxClockSkewMs) {
    return Fail(
        index, "time",
        at() +
            "signed more than 5 minutes after it was "
            "recorded",
        "<= " + Instant(view.recorded_at_ms() + ledger::kMaxClockSkewMs),
        Instant(view.authored().getSignedAtMs()));
  }
  if (view.authored().getSignedAtMs() <
      view.recorded_at_ms() - ledger::kMaxSigningAgeMs) {
    return Fail(
        index, "time", at() + "signed more than 30 days before it was recorded",
        ">= " + Instant(view.recorded_at_ms() - ledger::kMaxSigningAgeMs),
        Instant(view.authored().getSignedAtMs()));
  }
  if (!signature_ok) {
    return Fail(index, "signature", at() + signature_status.message());
  }
  auto a = view.authored();
  NonceSet::Nonce nonce;
  std::memcpy(nonce.data(), a.getNonce().begin(), nonce.size());
  // The entry's author and jurisdiction are looked up once each, here; their
  // numbers stand for them in the nonces, the registry's check and the
  // rules' fold.
  const uint32_t author = nonces_.AuthorNumber(view.author_key());
  if (!nonces_.Insert(author, nonce, checked.nonce_hash)) {
    return Fail(index, "nonce",
                at() + "the author key reused a nonce (a replayed event)");
  }
  const std::string_view jurisdiction_name =
      ledger::TextView(a.getJurisdiction());
  const uint32_t jurisdiction =
      JurisdictionId(jurisdiction_name, checked.jurisdiction_hash);
  Status auth = authority_.Check(
      index, a,
      [&](uint64_t target) -> Result<ledger::CorrectionTarget> {
        if (target >= entry_kinds_.size()) {
          return NotFound("correction targets entry " + std::to_string(target) +
                          ", which does not exist");
        }
        ledger::CorrectionTarget t;
        const KindAndRoles& k = kind_roles_[entry_kinds_[target]];
        t.kind = static_cast<schema::Event::Which>(k.kind);
        t.jurisdiction = jurisdiction_names_[entry_jurisdictions_[target]];
        for (uint16_t r = 0; r < 16; ++r) {
          if (k.roles & (1u << r))
            t.roles.push_back(static_cast<schema::Role>(r));
        }
        return t;
      },
      SubjectOf(author, view.author_key(), jurisdiction, jurisdiction_name));
  if (!auth.ok()) {
    return Fail(index, "authorization", at() + auth.message());
  }
  if (rules_) {
    Status rules = rules_->check(view);
    if (!rules.ok()) return Fail(index, "rules", at() + rules.message());
  }
  if (pinned_root_key_ && view.event().isGenesis()) {
    auto root = view.event().getGenesis().getRootKey();
    const std::string found =
        crypto::ToHex(crypto::Bytes(root.begin(), root.size()));
    const std::string expected =
        crypto::ToHex(crypto::AsBytes(*pinned_root_key_));
    if (found != expected) {
      return Fail(index, "root key",
                  at() +
                      "genesis names another root key than the pinned one: "
                      "the log was created by another authority",
                  expected, found);
    }
  }
  if (pinned_key_ && view.event().isGenesis()) {
    const std::string named =
        ledger::TextString(view.event().getGenesis().getCheckpointKey());
    auto key = note::ParseVerifierKey(named);
    if (!named.empty() && (!key.ok() || key->key != pinned_key_->key ||
                           key->name != pinned_key_->name)) {
      return Fail(index, "checkpoint",
                  at() +
                      "genesis names another checkpoint key than the pinned "
                      "one: the log was rebuilt and signed by someone else",
                  note::FormatVerifierKey(pinned_key_->name, pinned_key_->key),
                  named);
    }
  }
  // An accepted entry is of a kind this build knows, whose roles follow
  // from it (and a screening decision's stage): a few dozen pairs, numbered
  // in a byte. Numbered before anything is folded, so that an entry past
  // that bound (only a saved state could bring one) is a failure, not a
  // half-folded entry.
  const std::optional<uint8_t> kind_id = KindRolesId(
      kind_roles_,
      KindAndRoles{static_cast<uint16_t>(view.event().which()), checked.roles});
  if (!kind_id) {
    return Fail(index, "authorization",
                at() +
                    "its kind and roles cannot be recorded for later "
                    "corrections: more than " +
                    std::to_string(kMaxKindRoles) +
                    " distinct kinds and roles");
  }
  // Accepted: fold.
  authority_.Apply(index, a);
  if (rules_) rules_->apply(view, EntrySubject{author, jurisdiction});
  entry_kinds_.push_back(*kind_id);
  entry_jurisdictions_.push_back(static_cast<uint16_t>(jurisdiction));
  const merkle::Hash& leaf = checked.leaf_hash;
  frontier_.AppendUnstored(leaf);
  if (auto w = watched_roots_.find(frontier_.size());
      w != watched_roots_.end()) {
    w->second = frontier_.Root();
    reached_.insert(w->first);
  }
  if (keep_leaves_) leaves_.push_back(leaf);
  hashed_size_ = frontier_.size();
  prev_hash_ = checked.entry_hash;
  prev_recorded_at_ = view.recorded_at_ms();
  if (on_accept_) on_accept_(view);
  return true;
}

void LogChecker::Reserve(uint64_t entries) {
  nonces_.Reserve(entries);
  entry_kinds_.reserve(entries);
  entry_jurisdictions_.reserve(entries);
}

void LogChecker::ReleaseReplayTables() {
  nonces_ = NonceSet();
  author_records_ = {};
  entry_kinds_ = {};
  entry_jurisdictions_ = {};
}

std::optional<uint8_t> LogChecker::KindRolesId(std::vector<KindAndRoles>& pairs,
                                               KindAndRoles k) {
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (pairs[i] == k) return static_cast<uint8_t>(i);
  }
  if (pairs.size() == kMaxKindRoles) return std::nullopt;
  pairs.push_back(k);
  return static_cast<uint8_t>(pairs.size() - 1);
}

void LogChecker::ExtendUnchecked(const std::vector<merkle::Hash>& leaves) {
  // A copy of the checked tree's frontier, extended: the checked tree itself
  // stays at size().
  merkle::Frontier tail = frontier_;
  for (const merkle::Hash& leaf : leaves) {
    tail.AppendUnstored(leaf);
    if (auto w = watched_roots_.find(tail.size()); w != watched_roots_.end()) {
      w->second = tail.Root();
      reached_.insert(w->first);
    }
  }
  hashed_size_ = tail.size();
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
                                 const note::VerifierKey* key) {
  if (!Finish()) return false;
  // The size the note claims names the failure even when its signature
  // does not verify.
  uint64_t claimed = size();
  if (auto parsed = note::ParseNote(signed_note); parsed.ok()) {
    if (auto body = note::ParseCheckpoint(parsed->text); body.ok()) {
      claimed = body->size;
    }
  }
  Result<std::string> text = Unauthenticated("no key");
  if (key) {
    text = note::Open(signed_note, *key);
  } else if (auto parsed = note::ParseNote(signed_note); parsed.ok()) {
    text = parsed->text;
  } else {
    text = parsed.status();
  }
  if (!text.ok()) {
    return Fail(claimed, "checkpoint",
                "checkpoint signature: " + text.status().message());
  }
  auto cp = note::ParseCheckpoint(*text);
  if (!cp.ok()) {
    return Fail(claimed, "checkpoint", "checkpoint: " + cp.status().message());
  }
  if (cp->origin != origin()) {
    return Fail(cp->size, "checkpoint",
                "checkpoint origin differs from the log's genesis origin",
                origin(), cp->origin);
  }
  const uint64_t have = std::max(size(), hashed_size_);
  if (cp->size > have) {
    // Blame the first entry the checkpoint has and the log lost.
    return Fail(have, "checkpoint",
                "entry " + std::to_string(have) +
                    " is missing: a signed checkpoint covers " +
                    std::to_string(cp->size) +
                    " entries but the log ends before it (the log was "
                    "truncated after it was checkpointed)",
                std::to_string(cp->size) + " entries",
                std::to_string(have) + " entries");
  }
  auto root = RootAt(cp->size);
  if (!root.ok()) {
    return Fail(cp->size, "checkpoint", root.status().message());
  }
  if (*root != cp->root) {
    return Fail(cp->size, "checkpoint",
                "the Merkle root recomputed from the first " +
                    std::to_string(cp->size) + " entries" +
                    (cp->size > size() ? " (" + std::to_string(size()) +
                                             " checked, the rest only hashed)"
                                       : std::string()) +
                    " differs from the signed checkpoint's: one or more of "
                    "them were changed or replaced after it was signed",
                Hex(cp->root), Hex(*root));
  }
  return true;
}

namespace {

using nlohmann::json;

template <size_t N>
bool ParseHexArray(const json& j, std::array<uint8_t, N>* out) {
  return j.is_string() && j.get<std::string>().size() == 2 * N &&
         crypto::FromHex(j.get<std::string>(), *out).ok();
}

json AuthorityToJson(const ledger::Authority& a) {
  json j;
  j["rootKey"] = a.root_key()
                     ? json(crypto::ToHex(crypto::AsBytes(*a.root_key())))
                     : json(nullptr);
  j["origin"] = a.origin();
  json jurisdictions = json::array();
  for (const auto& [code, r] : a.jurisdictions()) {
    jurisdictions.push_back({{"code", r.code},
                             {"name", r.name},
                             {"level", static_cast<int>(r.level)},
                             {"parent", r.parent_code},
                             {"registeredAt", r.registered_at}});
  }
  j["jurisdictions"] = std::move(jurisdictions);
  json keys = json::array();
  for (const auto& [key, r] : a.keys()) {
    json grants = json::array();
    for (const ledger::KeyGrant& g : r.grants) {
      grants.push_back({{"role", static_cast<int>(g.role)},
                        {"jurisdiction", g.jurisdiction},
                        {"holder", g.holder},
                        {"registeredAt", g.registered_at}});
    }
    keys.push_back(
        {{"key", crypto::ToHex(crypto::AsBytes(r.key))},
         {"grants", std::move(grants)},
         {"revokedAt", r.revoked_at ? json(*r.revoked_at) : json(nullptr)}});
  }
  j["keys"] = std::move(keys);
  return j;
}

// Throws json::exception on a member of the wrong type (caught by the
// caller); Corruption for values out of range.
Result<ledger::Authority> AuthorityFromJson(const json& j) {
  std::optional<crypto::PublicKey> root;
  if (!j.at("rootKey").is_null()) {
    crypto::PublicKey k;
    if (!ParseHexArray(j.at("rootKey"), &k)) return Corruption("rootKey");
    root = k;
  }
  std::map<std::string, ledger::Jurisdiction> jurisdictions;
  for (const json& r : j.at("jurisdictions")) {
    ledger::Jurisdiction rec{
        r.at("code").get<std::string>(), r.at("name").get<std::string>(),
        static_cast<schema::Level>(r.at("level").get<uint16_t>()),
        r.at("parent").get<std::string>(),
        r.at("registeredAt").get<uint64_t>()};
    jurisdictions.emplace(rec.code, std::move(rec));
  }
  std::map<crypto::PublicKey, ledger::KeyRecord> keys;
  for (const json& r : j.at("keys")) {
    ledger::KeyRecord rec;
    if (!ParseHexArray(r.at("key"), &rec.key)) return Corruption("key");
    for (const json& g : r.at("grants")) {
      rec.grants.push_back(ledger::KeyGrant{
          static_cast<schema::Role>(g.at("role").get<uint16_t>()),
          g.at("jurisdiction").get<std::string>(),
          g.at("holder").get<std::string>(),
          g.at("registeredAt").get<uint64_t>()});
    }
    if (!r.at("revokedAt").is_null()) {
      rec.revoked_at = r.at("revokedAt").get<uint64_t>();
    }
    keys.emplace(rec.key, std::move(rec));
  }
  return ledger::Authority::FromParts(root, j.at("origin").get<std::string>(),
                                      std::move(jurisdictions),
                                      std::move(keys));
}

}  // namespace

json LogChecker::SaveState() const {
  json j;
  j["size"] = size();
  j["prevHash"] = Hex(prev_hash_);
  j["prevRecordedAtMs"] = prev_recorded_at_;
  // Sorted: the same log always saves the same bytes.
  std::vector<std::string> nonces;
  nonces.reserve(nonces_.size());
  nonces_.ForEach(
      [&](const crypto::PublicKey& key, const NonceSet::Nonce& nonce) {
        nonces.push_back(crypto::ToHex(crypto::AsBytes(key)) +
                         crypto::ToHex(crypto::AsBytes(nonce)));
      });
  std::sort(nonces.begin(), nonces.end());
  j["nonces"] = std::move(nonces);
  // Six bytes an entry: kind, jurisdiction id, roles (little-endian u16).
  std::string kinds;
  kinds.reserve(entry_kinds_.size() * 6);
  for (size_t i = 0; i < entry_kinds_.size(); ++i) {
    const KindAndRoles& k = kind_roles_[entry_kinds_[i]];
    for (uint16_t v : {k.kind, entry_jurisdictions_[i], k.roles}) {
      kinds.push_back(static_cast<char>(v & 0xff));
      kinds.push_back(static_cast<char>(v >> 8));
    }
  }
  j["kinds"] = crypto::Base64Encode(crypto::AsBytes(kinds));
  j["jurisdictionNames"] = jurisdiction_names_;
  j["authority"] = AuthorityToJson(authority_);
  return j;
}

Status LogChecker::RestoreState(const json& saved, merkle::Frontier frontier) {
  if (size() != 0 || failure_) {
    return FailedPrecondition("RestoreState needs a fresh checker");
  }
  try {
    const uint64_t n = saved.at("size").get<uint64_t>();
    if (n != frontier.size()) {
      return Corruption("the saved state is of " + std::to_string(n) +
                        " entries, the tree of " +
                        std::to_string(frontier.size()));
    }
    merkle::Hash prev;
    if (!ParseHexArray(saved.at("prevHash"), &prev)) {
      return Corruption("prevHash is not a hash");
    }
    NonceSet nonces;
    for (const json& h : saved.at("nonces")) {
      std::array<uint8_t, 32 + ledger::kNonceSize> raw;
      if (!ParseHexArray(h, &raw)) return Corruption("a nonce is malformed");
      crypto::PublicKey key;
      NonceSet::Nonce nonce;
      std::memcpy(key.data(), raw.data(), key.size());
      std::memcpy(nonce.data(), raw.data() + key.size(), nonce.size());
      nonces.Insert(key, nonce);
    }
    std::vector<std::string> names =
        saved.at("jurisdictionNames").get<std::vector<std::string>>();
    ASSIGN_OR_RETURN(
        std::string kinds,
        crypto::Base64Decode(saved.at("kinds").get<std::string>()));
    if (kinds.size() != n * 6) {
      return Corruption("kinds holds " + std::to_string(kinds.size() / 6) +
                        " entries, not " + std::to_string(n));
    }
    std::vector<KindAndRoles> pairs;
    std::vector<uint8_t> entry_kinds(n);
    std::vector<uint16_t> entry_jurisdictions(n);
    auto u16 = [&](size_t at) {
      return static_cast<uint16_t>(static_cast<uint8_t>(kinds[at]) |
                                   static_cast<uint8_t>(kinds[at + 1]) << 8);
    };
    for (uint64_t i = 0; i < n; ++i) {
      const std::optional<uint8_t> id =
          KindRolesId(pairs, KindAndRoles{u16(6 * i), u16(6 * i + 4)});
      if (!id) {
        return Corruption("kinds holds more than " +
                          std::to_string(kMaxKindRoles) +
                          " distinct kinds and roles");
      }
      entry_kinds[i] = *id;
      entry_jurisdictions[i] = u16(6 * i + 2);
      if (entry_jurisdictions[i] >= names.size()) {
        return Corruption("entry " + std::to_string(i) +
                          "'s jurisdiction id is out of range");
      }
    }
    ASSIGN_OR_RETURN(ledger::Authority authority,
                     AuthorityFromJson(saved.at("authority")));
    if (n > 0 && !authority.has_genesis()) {
      return Corruption("the saved registry has no genesis");
    }
    // Everything parsed: commit.
    authority_ = std::move(authority);
    nonces_ = std::move(nonces);
    // Kept of the registry that is replaced, by numbers that change.
    author_records_.clear();
    jurisdiction_registered_.clear();
    kind_roles_ = std::move(pairs);
    entry_kinds_ = std::move(entry_kinds);
    entry_jurisdictions_ = std::move(entry_jurisdictions);
    jurisdiction_names_ = std::move(names);
    PlaceJurisdictions();
    prev_hash_ = prev;
    prev_recorded_at_ = saved.at("prevRecordedAtMs").get<int64_t>();
    frontier_ = std::move(frontier);
    hashed_size_ = frontier_.size();
    // The root at the size continued from stays known (a checkpoint of that
    // size, e.g. the one remembered, is checked after more entries).
    watched_roots_[frontier_.size()] = frontier_.Root();
    reached_.insert(frontier_.size());
    return Status::Ok();
  } catch (const json::exception& e) {
    return Corruption(std::string("the saved state is malformed: ") + e.what());
  }
}

}  // namespace piaojue::verifier
