// The state of every cycle in the log: a pure, deterministic fold of the
// entries, and the cycle's rules that decide whether the next entry may
// follow. See docs/RULES.md for every rule and docs/VIEWS.md for what is read
// from a State.
//
// A State is not thread-safe: the ledger's writer (through RulesValidator),
// a replay or a verifier owns it; readers take a copy or serialize access.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "projections/internal/ctx.h"
#include "projections/tally.h"

namespace piaojue::projections {

namespace internal {
struct Model;
}  // namespace internal

// An entry made ready for State::Check and State::Apply: everything they
// derive from the entry alone — its SHA-256, its texts checked (rules
// event.text_utf8 / event.text_control), its date, author and jurisdiction
// as the rules read them — computed once, on any thread, so that a replay
// can prepare the next entries on one thread while another folds
// (projections::CatchUp does). Immutable once made; safe to move between
// threads. Check and Apply of a PreparedEntry are exactly those of its
// entry().
class PreparedEntry {
 public:
  explicit PreparedEntry(ledger::EntryView entry);
  ~PreparedEntry();
  PreparedEntry(PreparedEntry&&) noexcept;
  PreparedEntry& operator=(PreparedEntry&&) noexcept;

  const ledger::EntryView& entry() const { return entry_; }

 private:
  friend class State;
  // Without `check_texts` (for Apply, whose Check already did) text_ is OK.
  PreparedEntry(ledger::EntryView entry, bool check_texts);
  ledger::EntryView entry_;
  Status text_;  // the texts' check (State::Check's first rule)
  // entry_.EntryHash(), computed where the entry is prepared (Apply writes
  // its hex into the state in place, without a string an entry).
  crypto::Hash entry_hash_;
  internal::Ctx ctx_;
};

// The recount of one round from its recorded ballots.
struct RoundRecount {
  uint64_t round = 0;
  uint64_t vote = 0;
  TallyRules rules;
  std::vector<uint64_t> items;  // ballot order
  uint32_t issued = 0;          // sum over the round's opened boxes
  uint32_t collected = 0;
  bool void_round = false;  // declared void by a roundVoided entry
  // Some box collected more than it issued: no tally can be certified, and
  // the round must be declared void (RULES.md "Voiding a round").
  bool collected_exceeds_issued = false;
  bool complete = false;  // every box opened and fully recorded
  BallotCount count;
  Outcome outcome;
};

// Where a snapshot's bytes are read from, in order (a file, a string).
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // Reads up to `n` bytes into `out`: how many were read, 0 only at the
  // end. IOError if the bytes cannot be read.
  virtual Result<size_t> Read(char* out, size_t n) = 0;
};

class State {
 public:
  State();
  ~State();
  State(const State& other);
  State& operator=(const State& other);
  State(State&&) noexcept;
  State& operator=(State&&) noexcept;

  // OK if `entry` may follow the entries applied so far. Otherwise
  // FailedPrecondition (or InvalidArgument for malformed content) whose
  // message starts "rule <id>: " and names the rule broken in plain words.
  // Authorization (which role may author what) is not checked here: that is
  // ledger::Authority's job. Does not change the state.
  Status Check(const ledger::EntryView& entry) const;
  Status Check(const PreparedEntry& entry) const;

  // Applies an accepted entry. Precondition: Check(entry) returned OK.
  void Apply(const ledger::EntryView& entry);
  void Apply(const PreparedEntry& entry);
  // Apply, for a caller that applies many entries of the same few authors
  // and jurisdictions and keeps, between calls, the numbers this state's
  // records give them (the verifier: one per author and jurisdiction, not
  // a lookup of each for every entry). `author` and `jurisdiction` are
  // each either kUnknownNumber, which Apply replaces with the number it
  // finds for the entry's author key (jurisdiction text), or what an
  // earlier Apply of this state put there for the same key (text), which
  // it then uses as is. A state's numbers stay those of the same keys and
  // texts, in its copies too, until it is assigned another state.
  static constexpr uint32_t kUnknownNumber = UINT32_MAX;
  void Apply(const PreparedEntry& entry, uint32_t& author,
             uint32_t& jurisdiction);

  // The number of entries applied (the index the next entry must have).
  uint64_t size() const;
  int64_t last_recorded_at_ms() const;
  // SHA-256 of the last applied entry (all zero while empty).
  crypto::Hash last_entry_hash() const;

  // The instant this state stands at when it is the state "as of" a past
  // moment (ReplayAsOf sets it): the views then judge milestones on that
  // instant's CST date rather than on the last entry's. 0 (the default)
  // means the last entry's time. Apply resets it to 0. Not serialized.
  void set_as_of_ms(int64_t ms);
  int64_t as_of_ms() const;

  // With false, entries applied from now on keep only what the rules and
  // State::Recount read, not the texts and audit trail only the views show
  // (internal::Model::keep_view_data): for a verifier, which never shows a
  // view, to hold a province in a fraction of the memory. Check, Recount,
  // size and last_entry_hash are the same either way; the views and
  // Serialize of such a state lack those texts. Not serialized.
  void KeepViewData(bool keep);

  // Refs of every live cycle, in log order.
  std::vector<uint64_t> CycleRefs() const;

  // The title of proposal `ref` as it stands (corrected, merged or
  // retracted alike; a rules-only state keeps it too), valid until the
  // state changes; nullopt if no proposal was ever made at `ref`. What the
  // verifier's recount names each counted item by.
  std::optional<std::string_view> ProposalTitle(uint64_t ref) const;

  // The recount of a round's recorded ballots (whatever has been recorded so
  // far). NotFound unless `round` is a roundOpened entry.
  Result<RoundRecount> Recount(uint64_t round) const;

  // A snapshot of the whole state: deterministic binary records
  // ("piaojue-projections-snapshot/3", docs/FORMAT.md "Projection
  // snapshots") that include size() and last_entry_hash(). Equal states give
  // equal bytes, and ReadSnapshot of them gives a state that writes the same
  // bytes again. WriteSnapshot streams them to `out` in chunks of about
  // 1 MiB (never the whole snapshot in memory) and returns `out`'s first
  // error; Serialize collects them in one string.
  Status WriteSnapshot(
      const std::function<Status(std::string_view)>& out) const;
  std::string Serialize() const;
  // Reads a snapshot record by record. Corruption (saying what and where)
  // for bytes that are not a complete, consistent snapshot of this version
  // (an earlier version's JSON snapshot included); `in`'s IOError as is.
  static Result<State> ReadSnapshot(SnapshotSource& in);
  static Result<State> Deserialize(std::string_view bytes);

  // For the views in this library only; not a stable interface.
  const internal::Model& model() const { return *model_; }

 private:
  std::unique_ptr<internal::Model> model_;
};

// Installs the rules into a Ledger: Validate = State::Check, Apply =
// State::Apply. The State must outlive the validator and be in step with the
// ledger (the state of exactly the ledger's entries so far).
class RulesValidator : public ledger::EntryValidator {
 public:
  explicit RulesValidator(State& state) : state_(state) {}
  Status Validate(const ledger::EntryView& entry) override;
  void Apply(const ledger::EntryView& entry) override;
  void Durable(uint64_t size) override;

  // From now on, keeps a copy of the state each time the ledger reports its
  // entries durable (a copy costs a few pointers and shares every record
  // with the state; the next entries applied copy what they change). For a
  // server that publishes the state readers see: that state and the rules'
  // state then share all but what the last group changed.
  void KeepDurableStates();
  // The last state kept (of a log size the ledger reported durable);
  // nullptr before the first. Thread-safe.
  std::shared_ptr<const State> DurableState() const;

  // Replaces the rules' state with a copy of `state` if they are of the
  // same size (then true; else false and nothing changes). `state` must be
  // the fold of the ledger's first state.size() entries, as the rules'
  // state is: the two are equal, and from now on the rules' state (and
  // the durable states kept) share their records with `state`'s. For a
  // server that folded the log again in the background (past states kept
  // in memory) after loading its state from a snapshot. Thread-safe with
  // Validate, Apply and Durable.
  bool Adopt(const State& state);

 private:
  // Held by Validate, Apply, Durable and Adopt (one writer: uncontended
  // but for an Adopt).
  std::mutex state_mu_;
  State& state_;
  bool keep_durable_ = false;
  mutable std::mutex durable_mu_;
  std::shared_ptr<const State> durable_;  // guarded by durable_mu_
};

}  // namespace piaojue::projections
