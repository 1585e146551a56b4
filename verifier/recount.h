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
  // cannot recount is absent). Taken apart from Recount so that the state,
  // by far the larger, can be freed before the report is built.
  using RoundRules = std::map<uint64_t, projections::TallyRules>;
  RoundRules RulesOf(const projections::State& state) const;

  // Recounts every round and compares with what was published, under the
  // rules RulesOf gave. Returns the report (one object per round) and, on
  // the first mismatch when *failure is empty, sets it (check "recount").
  nlohmann::json Recount(const RoundRules& rules,
                         std::optional<Failure>* failure) const;

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

 public:
  // Proposal ref -> its title, for the report. One entry a proposal (a
  // third of a province's entries), so not a map of strings (~110 bytes
  // each): the texts one after the other in blocks, the refs ascending
  // beside their place in them (~20 bytes a proposal besides the text). A
  // replaced title is appended again; the old text stays unused (rare: a
  // correction). Public for its tests.
  class Titles {
   public:
    void Set(uint64_t ref, std::string_view title);
    bool Contains(uint64_t ref) const { return Find(ref).has_value(); }
    // The title, valid as long as the Titles (a text is never moved).
    std::optional<std::string_view> Find(uint64_t ref) const;
    template <typename F>
    void ForEach(F f) const {
      for (size_t i = 0; i < refs_.size(); ++i) f(refs_[i], Text(i));
    }

   private:
    // The texts are kept in blocks of kBlock bytes (a longer text in a
    // block of its own) that are never moved: a province's titles (~10 MB)
    // in one string that doubles as it grows would take up to twice that.
    static constexpr size_t kBlock = size_t{1} << 20;
    struct Place {
      uint32_t block;
      uint32_t offset;
      uint32_t length;
    };
    std::string_view Text(size_t i) const {
      const Place& p = places_[i];
      return std::string_view(blocks_[p.block].get() + p.offset, p.length);
    }
    std::vector<std::unique_ptr<char[]>> blocks_;
    size_t last_size_ = 0;        // of blocks_.back()
    size_t block_left_ = 0;       // bytes not yet used in blocks_.back()
    std::vector<uint64_t> refs_;  // ascending
    std::vector<Place> places_;   // places_[i] is refs_[i]'s
  };

 private:
  Titles titles_;
  std::map<uint64_t, uint64_t> vote_cycles_;  // vote ref -> its cycle
  std::set<uint64_t> backfill_cycles_;        // cycles opened as 补录
  std::string genesis_checkpoint_key_;
  std::string genesis_root_key_;  // hex
};

}  // namespace piaojue::verifier
