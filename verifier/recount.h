// The verifier's second recount: every vote record collected from the
// accepted entries themselves (independently of the projections' model),
// with corrections applied exactly as the rules apply them, recounted with
// projections/tally.h and compared with what was certified and announced.
// The report's JSON fields are specified in docs/VERIFY.md, "Recount".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/entry.h"
#include "projections/state.h"
#include "projections/tally.h"
#include "verifier/batch_pool.h"
#include "verifier/log_checker.h"

namespace piaojue::verifier {

class RecountCollector {
 public:
  // Folds one accepted entry, in log order.
  void Add(const ledger::EntryView& e);

  const std::string& genesis_checkpoint_key() const {
    return genesis_checkpoint_key_;
  }
  const std::string& genesis_root_key() const { return genesis_root_key_; }

  // Everything folded so far, as JSON, for a later run that continues with
  // RestoreState (docs/VERIFY.md, "Following a live log").
  nlohmann::json SaveState() const;
  // Replaces this collector's records with `saved`. Corruption if it is
  // malformed (the collector is then unchanged).
  Status RestoreState(const nlohmann::json& saved);

  // What Recount reads from the rules' state: the rules each round the
  // collector saw is counted under (State::Recount; a round the state
  // cannot recount is absent), and the titles of the rounds' items
  // (State::ProposalTitle). Taken apart from Recount so that the state,
  // by far the larger, can be freed before the report is built.
  struct RoundRules {
    std::map<uint64_t, projections::TallyRules> rules;  // by round
    // Only the titles of the rounds' items: the collector keeps none
    // while it folds (a province has hundreds of thousands of proposals,
    // a few thousand counted items), the rules' state keeps them all.
    std::map<uint64_t, std::string> titles;
  };
  RoundRules RulesOf(const projections::State& state) const;

  // Recounts every round and compares with what was published, under the
  // rules RulesOf gave, the rounds shared among `pool`'s threads. Returns
  // the report as compact JSON text (docs/VERIFY.md, "Recount": one object
  // per round, in round order) and, on the first mismatch in round order
  // when *failure is empty, sets it (check "recount").
  std::string RecountText(const RoundRules& rules,
                          std::optional<Failure>* failure,
                          BatchPool& pool) const;

 private:
  struct Part {
    std::string marks;
    uint32_t unreadable = 0;
  };
  struct Box {
    uint64_t round = 0;
    std::string label;
    bool opened = false;
    uint32_t issued = 0, collected = 0;
    std::map<uint64_t, Part> parts;  // by entry
  };
  struct PublishedTally {
    uint32_t issued = 0, collected = 0, valid = 0, invalid = 0;
    std::vector<projections::ItemCount> items;
  };
  struct PublishedResult {
    std::vector<uint64_t> elected, tied;
    uint32_t vacant = 0;
    std::map<uint64_t, int> grades;
  };
  struct Voided {
    uint64_t entry = 0;
    std::string reason;
  };
  struct Round {
    uint64_t vote = 0;
    uint32_t number = 0;
    std::vector<uint64_t> items;
    std::vector<uint64_t> boxes;
    std::optional<uint64_t> certified;  // tallyCertified entry
    PublishedTally tally;
    std::optional<uint64_t> announced;  // resultAnnounced entry
    PublishedResult result;
    std::optional<Voided> voided;  // roundVoided entry
  };

  // Applies `ev` as the content of entry `at`: the entry itself or, when
  // `replacing`, a correction's replacement of it.
  void Apply(uint64_t at, schema::Event::Reader ev, bool replacing);
  void Retract(uint64_t target);
  // Appends one round's object of the report to *out as compact JSON text
  // (what the nlohmann document of it dumps) and returns true; false, and
  // nothing written, when `rules` has no rules for it. Sets *failure when
  // it does not match what was published.
  bool RoundReport(uint64_t ref, const Round& round, const RoundRules& rules,
                   std::optional<Failure>* failure, std::string* out) const;
  std::string CompareCertified(const Round& round,
                               const projections::Recount& recount,
                               uint32_t issued, uint32_t collected) const;
  std::string CompareAnnounced(const Round& round,
                               const projections::Recount& recount) const;

  std::map<uint64_t, Round> rounds_;
  std::map<uint64_t, Box> boxes_;
  std::map<uint64_t, uint64_t> openings_;  // ballotBoxOpened -> box
  std::map<uint64_t, uint64_t> parts_;     // ballotsRecorded -> box
  std::map<uint64_t, uint64_t> tallies_;   // tallyCertified -> round
  std::map<uint64_t, uint64_t> results_;   // resultAnnounced -> round
  std::map<uint64_t, uint64_t> voids_;     // roundVoided -> round

  std::map<uint64_t, uint64_t> vote_cycles_;  // vote ref -> its cycle
  std::set<uint64_t> backfill_cycles_;        // cycles opened as 补录
  std::string genesis_checkpoint_key_;
  std::string genesis_root_key_;  // hex
};

}  // namespace piaojue::verifier
