// LogChecker: re-derives everything about a log from its entries alone.
// See docs/VERIFY.md and docs/FORMAT.md, "Verifying a log of entries".
//
// Feed entries in order with Add(); each call checks the entry completely
// (canonical bytes, index, chain, time, author signature, nonce uniqueness,
// authorization against the registry replayed so far, and — if a rules hook
// is given — the cycle's rules), then folds it into the Merkle tree; call
// Finish() after the last one. The first failure is sticky and names the
// entry at fault (see docs/VERIFY.md, "What each failure means", for how a
// broken chain is placed). Memory use is O(number of distinct nonces +
// registry), never the entries themselves.
//
// Decoding, signatures and the entries' hashes are the expensive part and
// depend on nothing else: Precheck() does them for a batch on all cores, on
// any thread, while AddPrechecked() runs the in-order checks of an earlier
// batch. AddBatch() is the two in one call.
//
// Not thread-safe, except the static Precheck() and PrecheckOne().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "ledger/status.h"
#include "verifier/nonce_set.h"

namespace piaojue::verifier {

// What went wrong, for the report and the exit code.
struct Failure {
  uint64_t index = 0;  // the entry at fault (or the checkpoint's size)
  std::string check;   // "decode", "index", "chain", "time", "signature",
                       // "nonce", "authorization", "rules", "checkpoint"
  std::string expected;
  std::string found;
  std::string message;  // one line for a person
};

// An accepted entry's author and jurisdiction as the checker numbers them:
// small numbers from 0, the same for the same author key (jurisdiction text)
// for the life of the checker, so that a hook keeps what it derives from
// one in an array by its number instead of looking the key or the text up
// again for every entry.
struct EntrySubject {
  uint32_t author = 0;
  uint32_t jurisdiction = 0;
};

// The cycle's rules, replayed: Check must refuse what the ledger would have
// refused; Apply folds an accepted entry.
struct RulesHook {
  std::function<Status(const ledger::EntryView&)> check;
  std::function<void(const ledger::EntryView&, EntrySubject)> apply;
};

class LogChecker {
 public:
  explicit LogChecker(std::optional<RulesHook> rules = std::nullopt);

  // Called with every entry the checker accepts, in log order, after it was
  // folded (for collectors that must see only checked entries).
  void OnAccept(std::function<void(const ledger::EntryView&)> fn) {
    on_accept_ = std::move(fn);
  }

  // Pins the log's checkpoint key: a genesis entry that names another
  // checkpoint key is then a failure at entry 0 (the log was rebuilt under
  // someone else's key).
  void PinCheckpointKey(const note::VerifierKey& key) { pinned_key_ = key; }

  // Pins the root of authority: a genesis entry whose root key is another
  // is then a failure at entry 0, check "root key".
  void PinRootKey(const crypto::PublicKey& key) { pinned_root_key_ = key; }

  // Checks and folds entry `index` (must be size()). Returns false once a
  // failure has been recorded (then failure() says what).
  bool Add(uint64_t index, std::string_view bytes);
  // The same for a run of consecutive entries starting at size(), verifying
  // their signatures in parallel on `threads` threads.
  bool AddBatch(uint64_t first_index, const std::vector<std::string>& entries,
                unsigned threads);
  // The decode and signature part of AddBatch, which depends on no other
  // entry: safe to run on any thread, for any batch, at any time.
  struct Prechecked {
    std::optional<ledger::EntryView> view;
    Status decode;
    Status signature;
    merkle::Hash entry_hash{};       // SHA-256(entry): the next prevHash
    merkle::Hash leaf_hash{};        // RFC 6962 leaf hash
    uint64_t nonce_hash = 0;         // NonceSet::Hash of its author and nonce
    uint64_t jurisdiction_hash = 0;  // JurisdictionHash of its jurisdiction
    uint16_t roles = 0;              // bit r: RolesAllowedFor its event has r
  };
  // The checks of one entry that depend on it alone, on the calling thread
  // (for callers that run their own threads: the verifier's BatchPool).
  // With `signatures` false (piaojue-verify --no-signatures) the author's
  // signature is not verified: `signature` is then always OK.
  static Prechecked PrecheckOne(std::string_view entry, bool signatures);
  // PrecheckOne of an entry already decoded: `view` is what
  // ledger::EntryView::Parse (or ParseInPlace) returned for its bytes.
  static Prechecked PrecheckOne(Result<ledger::EntryView> view,
                                bool signatures);
  // PrecheckOne for each of `entries`, on up to `threads` threads. The
  // entries' bytes need to live only until it returns (every view holds its
  // own copy).
  static std::vector<Prechecked> Precheck(
      const std::vector<std::string_view>& entries, unsigned threads,
      bool signatures = true);
  // The in-order part for a batch Precheck()ed before.
  bool AddPrechecked(uint64_t first_index, std::vector<Prechecked>& batch);

  // Call after the last entry: a break in the chain is blamed on the right
  // entry only once the entry after it has been seen (or there is none).
  // Returns false when there is a failure.
  bool Finish();

  // Checks a signed checkpoint note against the entries seen so far: the
  // signature under `key` (not checked when `key` is null: the caller must
  // say so), the origin (genesis), that the checkpoint's size is <= size()
  // (else the first missing entry is the failure) and that the root for
  // its size equals the recomputed one. Records a failure otherwise.
  // Finishes the entries first (see Finish()).
  bool CheckCheckpoint(std::string_view signed_note,
                       const note::VerifierKey* key);

  // Asks the checker to remember the root when the log reaches `size`
  // entries (for checkpoints read before the entries), in O(1) memory.
  void WatchSize(uint64_t size) {
    watched_roots_.emplace(size, merkle::Hash{});
  }

  // Entries beyond the ones checked (after --as-of), only to know the roots
  // of checkpoints larger than the checked prefix: their leaf hashes, in
  // order, starting at size(). Call after Finish(), once. Roots at watched
  // sizes are remembered; the entries themselves are not checked at all.
  void ExtendUnchecked(const std::vector<merkle::Hash>& leaves);
  // size() plus the entries given to ExtendUnchecked.
  uint64_t hashed_size() const { return hashed_size_; }

  uint64_t size() const { return frontier_.size(); }
  merkle::Hash root() const { return frontier_.Root(); }
  // Roots at every checkpointed size are needed after the fact; keep the
  // leaf hashes only when asked (for --explain and proofs).
  void KeepLeafHashes() { keep_leaves_ = true; }
  const std::vector<merkle::Hash>& leaf_hashes() const { return leaves_; }

  const std::optional<Failure>& failure() const { return failure_; }
  const ledger::Authority& authority() const { return authority_; }
  const std::string& origin() const { return authority_.origin(); }

  // The replay state of the in-order checks after the entries added so far
  // (the key registry, every author's nonces, each entry's kind and
  // jurisdiction, the last entry's hash and time), for a later run that
  // continues at size() with RestoreState instead of re-checking from entry
  // 0 (docs/VERIFY.md, "Following a live log"). The Merkle frontier is not
  // in it: the caller rebuilds it from the log's tree. Precondition:
  // Finish() returned true.
  nlohmann::json SaveState() const;
  // Continues from SaveState()'s `saved` for a log whose first
  // `frontier.size()` entries it describes; the checker must be fresh (no
  // entry added). The pins (PinCheckpointKey, PinRootKey) are not checked
  // against the saved registry here: the caller compares them. Corruption
  // if `saved` is malformed or its size is not the frontier's.
  Status RestoreState(const nlohmann::json& saved, merkle::Frontier frontier);

  // Frees what only later entries and SaveState() need (the nonces and
  // every entry's kind and jurisdiction), once every entry has been added:
  // Add and SaveState must not be called after it. Checkpoints and roots
  // are still checked.
  void ReleaseReplayTables();
  // Makes room for `entries` entries in all, before the first Add: the
  // nonces' table and every entry's kind are then allocated once at their
  // final size instead of doubling as they grow (a bundle says how many
  // entries it holds). A hint only: more entries are still checked. The
  // caller bounds it by what the input can hold.
  void Reserve(uint64_t entries);

  // Root of the first `size` leaves: the current size, a watched size that
  // was reached, or any size when KeepLeafHashes() was called before the
  // first Add.
  Result<merkle::Hash> RootAt(uint64_t size) const;

 private:
  bool Fail(uint64_t index, std::string check, std::string message,
            std::string expected = "", std::string found = "");
  bool ResolveChainBreak(const ledger::EntryView* next, bool at_end);
  bool CheckOne(uint64_t index, const Prechecked& checked);
  // The parts of a decoded entry's in-order checks that depend on it
  // alone (nonce_hash, jurisdiction_hash, roles).
  static void PrecheckAlone(Prechecked& checked);
  static uint64_t JurisdictionHash(std::string_view jurisdiction);
  // The number of jurisdiction `name` (whose JurisdictionHash is `hash`)
  // in jurisdiction_names_, adding it if new.
  uint32_t JurisdictionId(std::string_view name, uint64_t hash);
  // What the registry knows of the entry's author (numbered `author` in
  // nonces_, key `key`) and jurisdiction (numbered `jurisdiction`, text
  // `name`), from what the checker kept of them (looked up in the registry
  // only until it is known for good).
  ledger::Authority::Subject SubjectOf(uint32_t author,
                                       const crypto::PublicKey& key,
                                       uint32_t jurisdiction,
                                       std::string_view name);
  // Fills jurisdiction_slots_ from jurisdiction_names_ alone.
  void PlaceJurisdictions();

  std::optional<RulesHook> rules_;
  std::function<void(const ledger::EntryView&)> on_accept_;
  std::optional<note::VerifierKey> pinned_key_;
  std::optional<crypto::PublicKey> pinned_root_key_;
  uint64_t hashed_size_ = 0;
  std::optional<Failure> failure_;
  // Entry `index`'s previous-hash does not match the entry before it. Which
  // of the two was altered shows in the entry after: if it still links to
  // entry `index` (whose hash is `entry_hash`), entry `index` is intact and
  // the one before it changed; otherwise entry `index` itself changed.
  struct ChainBreak {
    uint64_t index;
    merkle::Hash expected, found, entry_hash;
  };
  std::optional<ChainBreak> chain_break_;
  ledger::Authority authority_;
  merkle::Frontier frontier_;
  merkle::Hash prev_hash_{};
  int64_t prev_recorded_at_ = INT64_MIN;
  NonceSet nonces_;
  // Event kind, (interned) jurisdiction and allowed roles (bit r = role r)
  // of every entry, for authorizing corrections: 3 bytes per entry (6 as
  // one struct), the jurisdiction's number and the number of the entry's
  // kind and roles in kind_roles_, which a log has a few dozen of (the roles
  // follow from the kind, and for a screening decision from its stage).
  struct KindAndRoles {
    uint16_t kind;
    uint16_t roles;
    bool operator==(const KindAndRoles&) const = default;
  };
  static constexpr size_t kMaxKindRoles = 256;  // numbered in a byte
  std::vector<KindAndRoles> kind_roles_;
  std::vector<uint8_t> entry_kinds_;           // into kind_roles_
  std::vector<uint16_t> entry_jurisdictions_;  // into jurisdiction_names_
  // The number of `k` in `pairs` (kind_roles_), adding it if new; nullopt
  // past kMaxKindRoles (only a saved state can hold that many).
  static std::optional<uint8_t> KindRolesId(std::vector<KindAndRoles>& pairs,
                                            KindAndRoles k);
  std::vector<std::string> jurisdiction_names_;
  // 1 + the index in jurisdiction_names_, by JurisdictionHash (computed on
  // the decode threads), in a flat open-addressing table of a power of two
  // slots (0 = empty), at most half full: a few thousand jurisdictions stay
  // in the caches, where a node-based map keyed by the text cost the
  // in-order thread a twentieth of its time at 1,000,000 entries. An
  // entry's jurisdiction is numbered here once, before it is authorized,
  // and the number stands for the text in the registry's check and the
  // rules' fold (a name a refused entry added is never used: the first
  // failure ends the checks). Only the entries of authors the registry
  // knows (and its own deployment-level entries, jurisdiction "") get
  // beyond their first entry.
  std::vector<uint32_t> jurisdiction_slots_ = std::vector<uint32_t>(64);
  // What the registry said of each author (by its number in nonces_) and
  // each jurisdiction (by its number in jurisdiction_names_), kept only
  // once it holds for good: a key's record once it is registered (its
  // node in the registry never moves; grants and revocations change it in
  // place), a jurisdiction once it is registered. Until then (an author
  // that is the root key or not registered yet, jurisdiction "") the
  // registry is asked again. One array access each instead of a lookup in
  // the registry's tables for every entry.
  std::vector<const ledger::KeyRecord*> author_records_;
  std::vector<uint8_t> jurisdiction_registered_;
  std::map<uint64_t, merkle::Hash> watched_roots_;
  std::set<uint64_t> reached_;
  bool keep_leaves_ = false;
  std::vector<merkle::Hash> leaves_;
};

}  // namespace piaojue::verifier
