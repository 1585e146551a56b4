// The recount: from the recorded ballots of a round to its counts and its
// result. Pure and deterministic; the rules (tallyCertified, resultAnnounced),
// the views and the independent verifier all call these same functions. The
// algorithm is specified step by step in docs/RULES.md, "The recount".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace piaojue::projections {

// Values equal the schema's enumerants (VotePurpose, PassBase, Grade).
enum class VotePurpose : uint8_t { kProjectSelection = 1, kSatisfaction = 2 };
enum class PassBase : uint8_t {
  kEntitled = 1,
  kPresent = 2,
  kValidBallots = 3
};
enum class Grade : uint8_t {
  kNone = 0,
  kSatisfied = 1,
  kBasicallySatisfied = 2,
  kUnsatisfied = 3,
};

// Ballot marks (docs/FORMAT.md, "Ballot encoding").
inline constexpr uint8_t kMarkApprove = 1;
inline constexpr uint8_t kMarkOppose = 2;
inline constexpr uint8_t kMarkAbstain = 3;
inline constexpr uint8_t kMarkSatisfied = 1;
inline constexpr uint8_t kMarkBasicallySatisfied = 2;
inline constexpr uint8_t kMarkUnsatisfied = 3;
inline constexpr uint8_t kMarkSatisfactionAbstain = 4;

// Ballot secrecy (docs/RULES.md, "Boxes and ballots"): a box's ballots are
// recorded in as few ballotsRecorded parts as the entry limit allows. One
// part carries at most kMaxMarksPerPart mark bytes (the rest of the 64 KiB
// entry, ledger::kMaxEntrySize, holds the envelope and signature), so a full
// part holds BallotsPerPart(item_count) ballots and every part but the last
// must be full.
inline constexpr uint32_t kMaxMarksPerPart = 60'000;
inline constexpr uint32_t BallotsPerPart(uint32_t item_count) {
  return item_count == 0 || item_count >= kMaxMarksPerPart
             ? 1
             : kMaxMarksPerPart / item_count;
}
// Boxes with fewer ballots than this are merged before they are recorded,
// unless the vote's rules say otherwise (VotingRulesAdopted.minBallotsPerBox,
// 0 = this default).
inline constexpr uint32_t kDefaultMinBallotsPerBox = 10;

// What the recount needs to know about a round and its vote's rules.
struct TallyRules {
  VotePurpose purpose = VotePurpose::kProjectSelection;
  uint32_t seats = 0;  // seats to fill in this round
  // The round's stated limit (RoundOpened.maxApprovals): a ballot approving
  // more is invalid; so is one approving more than `seats`, whatever this
  // says (0 = seats).
  uint32_t max_approvals = 0;
  PassBase pass_base = PassBase::kEntitled;
  uint32_t entitled = 0;             // 应到
  uint32_t present = 0;              // 实到
  bool exactly_half_passes = false;  // satisfaction grades only
};

// Counts for one item, in the schema's ItemTally meaning: for satisfaction
// votes approve = satisfied, oppose = basically satisfied, abstain =
// unsatisfied.
struct ItemCount {
  uint64_t item = 0;
  uint32_t approve = 0;
  uint32_t oppose = 0;
  uint32_t abstain = 0;
  uint32_t satisfaction_abstain = 0;

  friend bool operator==(const ItemCount&, const ItemCount&) = default;
};

// The counted ballots of a part, a box or a whole round.
struct BallotCount {
  uint32_t read = 0;        // ballots with marks
  uint32_t unreadable = 0;  // ballots whose marks could not be read
  uint32_t valid = 0;
  uint32_t invalid = 0;          // unreadable + ballots with invalid marks
  std::vector<ItemCount> items;  // in ballot order

  friend bool operator==(const BallotCount&, const BallotCount&) = default;
};

// The ballots of one box (or one part of a box): `marks` holds n ballots of
// items.size() bytes each.
struct RecordedBallots {
  std::string_view marks;
  uint32_t unreadable = 0;
};

// An empty count for a round with these items (ballot order).
BallotCount EmptyCount(std::span<const uint64_t> items);

// True when one ballot (one byte per item) is valid under `rules`: every
// byte is a known mark and, for project selection, it approves at most
// min(max_approvals, seats) items (seats when max_approvals is 0).
bool BallotIsValid(const TallyRules& rules, std::string_view ballot);

// Adds `ballots` to `count`. Precondition: marks.size() is a multiple of
// count->items.size() (the rules check it before any count is made).
void CountBallots(const TallyRules& rules, const RecordedBallots& ballots,
                  BallotCount* count);

// total += part. Precondition: both count the same items.
void AddCount(const BallotCount& part, BallotCount* total);

// The result the counts imply.
struct Outcome {
  uint64_t base = 0;            // the value of the pass base
  uint64_t pass_threshold = 0;  // fewest approvals (or satisfied) that pass
  // Project selection: passing items, most approvals first; equal approvals
  // in ballot order (display only: an equal count at the cut-off is a tie).
  std::vector<uint64_t> ranking;
  std::vector<uint64_t> elected;         // in rank order
  std::vector<uint64_t> tied_at_cutoff;  // in ballot order
  uint32_t vacant_seats = 0;
  // The seats this round leaves to a further round among the tied.
  uint32_t seats_left_for_tie = 0;
  // Satisfaction: one grade per item, in ballot order.
  std::vector<std::pair<uint64_t, Grade>> grades;
};

// The value of the pass base: entitled, present or valid ballots.
uint64_t PassBaseValue(const TallyRules& rules, const BallotCount& total);

// Decides the round from its total count. See docs/RULES.md.
Outcome Decide(const TallyRules& rules, const BallotCount& total);

// The whole recount from raw ballots: counts every part of every box, adds
// them up and decides.
struct Recount {
  BallotCount count;
  Outcome outcome;
};
Recount RecountRound(const TallyRules& rules, std::span<const uint64_t> items,
                     std::span<const RecordedBallots> parts);

const char* GradeName(Grade grade);  // "satisfied", ...

}  // namespace piaojue::projections
