// The recount on hand-computed examples: pass bases, ranking, a tie at the
// cut-off and its further round among the tied only, shortfall, void rounds,
// invalid ballots and satisfaction grades. See docs/RULES.md, "The recount".
#include "projections/tally.h"

#include <gtest/gtest.h>

#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using projections::BallotCount;
using projections::Grade;
using projections::PassBase;
using projections::TallyRules;
using projections::VotePurpose;
using Stage = CycleBuilder::Stage;

// Items 101, 102, ... in ballot order.
std::vector<uint64_t> Items(size_t n) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(101 + i);
  return out;
}

projections::Recount Count(
    const TallyRules& rules,
    std::vector<std::pair<std::string, uint32_t>> ballots,
    uint32_t unreadable = 0) {
  BoxPlan plan;
  plan.ballots = std::move(ballots);
  const std::string marks = BallotBytes(plan);
  const auto items = Items(plan.ballots.front().first.size());
  const projections::RecordedBallots part{marks, unreadable};
  return projections::RecountRound(rules, items, {&part, 1});
}

TallyRules Selection(uint32_t seats, uint32_t entitled, uint32_t present,
                     PassBase base = PassBase::kEntitled) {
  TallyRules r;
  r.purpose = VotePurpose::kProjectSelection;
  r.seats = seats;
  r.entitled = entitled;
  r.present = present;
  r.pass_base = base;
  return r;
}

// --- ballot validity --------------------------------------------------------

TEST(TallyTest, ABallotApprovingMoreCandidatesThanSeatsIsInvalid) {
  const TallyRules two_seats = Selection(2, 10, 10);
  EXPECT_TRUE(projections::BallotIsValid(two_seats, "\1\1\2"));
  EXPECT_FALSE(projections::BallotIsValid(two_seats, "\1\1\1"));
  TallyRules one_approval = two_seats;
  one_approval.max_approvals = 1;
  EXPECT_FALSE(projections::BallotIsValid(one_approval, "\1\1\2"));
  EXPECT_TRUE(projections::BallotIsValid(one_approval, "\1\3\2"));
}

TEST(TallyTest, AStatedLimitAboveTheSeatsIsCappedAtTheSeats) {
  TallyRules two_seats = Selection(2, 10, 10);
  two_seats.max_approvals = 10;
  EXPECT_TRUE(projections::BallotIsValid(two_seats, "\1\1\2"));
  EXPECT_FALSE(projections::BallotIsValid(two_seats, "\1\1\1"));
}

TEST(TallyTest, UnknownMarksMakeABallotInvalid) {
  const TallyRules selection = Selection(2, 10, 10);
  EXPECT_FALSE(projections::BallotIsValid(selection, std::string("\1\0\2", 3)));
  EXPECT_FALSE(projections::BallotIsValid(selection, "\1\4\2"));
  TallyRules satisfaction;
  satisfaction.purpose = VotePurpose::kSatisfaction;
  EXPECT_TRUE(projections::BallotIsValid(satisfaction, "\1\4\3\2"));
  EXPECT_FALSE(projections::BallotIsValid(satisfaction, "\1\5"));
}

// RULES.md, recount step 1: a 0 byte is not "unmarked"; its ballot is
// invalid and counted as invalid, not as unreadable.
TEST(TallyTest, AZeroByteMakesTheBallotInvalidNotUnreadable) {
  projections::BallotCount count = projections::EmptyCount(Items(3));
  projections::CountBallots(Selection(2, 10, 10),
                            {std::string("\0\1\2\3\3\3", 6), 0}, &count);
  EXPECT_EQ(count.read, 2u);
  EXPECT_EQ(count.valid, 1u);
  EXPECT_EQ(count.invalid, 1u);
  EXPECT_EQ(count.unreadable, 0u);
  EXPECT_EQ(count.items[0].abstain, 1u);  // only the valid ballot counts
}

TEST(TallyTest, ApproveOpposeAbstainAddUpToValidForEveryCandidate) {
  const auto r = Count(
      Selection(2, 10, 9),
      {{"AAO", 3}, {"AOO", 1}, {"OOA", 1}, {"XXX", 1}, {"OAO", 1}, {"AAA", 2}},
      1);
  EXPECT_EQ(r.count.read, 9u);
  EXPECT_EQ(r.count.unreadable, 1u);
  EXPECT_EQ(r.count.valid, 7u);
  EXPECT_EQ(r.count.invalid, 3u);  // 2 over-approving + 1 unreadable
  const std::vector<std::array<uint32_t, 3>> want = {
      {4, 2, 1}, {4, 2, 1}, {1, 5, 1}};
  for (size_t i = 0; i < 3; ++i) {
    const auto& c = r.count.items[i];
    EXPECT_EQ(c.approve, want[i][0]) << i;
    EXPECT_EQ(c.oppose, want[i][1]) << i;
    EXPECT_EQ(c.abstain, want[i][2]) << i;
    EXPECT_EQ(c.approve + c.oppose + c.abstain, r.count.valid);
  }
}

// --- pass base
// ----------------------------------------------------------------

// 10 entitled, 9 present, 7 valid ballots; items 101 and 102 have 4
// approvals each, 103 has 1. More than half of 10 is 6, of 9 is 5, of 7 is 4.
class PassBaseTest : public ::testing::TestWithParam<
                         std::tuple<PassBase, uint64_t, uint64_t, size_t>> {};

TEST_P(PassBaseTest, MoreThanHalfOfTheConfiguredBase) {
  const auto [base, base_value, threshold, elected] = GetParam();
  const auto r = Count(
      Selection(2, 10, 9, base),
      {{"AAO", 3}, {"AOO", 1}, {"OOA", 1}, {"XXX", 1}, {"OAO", 1}, {"AAA", 2}});
  EXPECT_EQ(r.outcome.base, base_value);
  EXPECT_EQ(r.outcome.pass_threshold, threshold);
  EXPECT_EQ(r.outcome.elected.size(), elected);
  EXPECT_EQ(r.outcome.vacant_seats, 2 - elected);
  if (elected == 2) {
    EXPECT_EQ(r.outcome.elected, (std::vector<uint64_t>{101, 102}));
    EXPECT_TRUE(r.outcome.tied_at_cutoff.empty());  // both fit the 2 seats
  }
}

INSTANTIATE_TEST_SUITE_P(
    Bases, PassBaseTest,
    ::testing::Values(std::make_tuple(PassBase::kEntitled, 10, 6, 0),
                      std::make_tuple(PassBase::kPresent, 9, 5, 0),
                      std::make_tuple(PassBase::kValidBallots, 7, 4, 2)));

TEST(TallyTest, ExactlyHalfIsNotAPass) {
  // 4 approvals of 8 entitled is half, not more than half.
  const auto r = Count(Selection(1, 8, 8), {{"AO", 4}, {"OA", 3}, {"OO", 1}});
  EXPECT_EQ(r.outcome.pass_threshold, 5u);
  EXPECT_TRUE(r.outcome.elected.empty());
  EXPECT_EQ(r.outcome.vacant_seats, 1u);
}

// RULES.md, recount step 4: exactlyHalfPasses concerns satisfaction grades;
// a selection round ignores it, and the threshold shown is the fewest votes
// that pass.
TEST(TallyTest, ExactlyHalfPassesDoesNotApplyToSelection) {
  TallyRules rules = Selection(1, 8, 8);
  rules.exactly_half_passes = true;
  const auto r = Count(rules, {{"AO", 4}, {"OA", 3}, {"OO", 1}});
  EXPECT_EQ(r.outcome.pass_threshold, 5u);
  EXPECT_TRUE(r.outcome.elected.empty());
  EXPECT_EQ(r.outcome.vacant_seats, 1u);
}

TEST(TallyTest, TheSatisfactionThresholdIsTheFewestSatisfiedVotesThatPass) {
  TallyRules rules;
  rules.purpose = VotePurpose::kSatisfaction;
  for (const auto& [entitled, half, want] :
       std::vector<std::tuple<uint32_t, bool, uint64_t>>{
           {30, false, 16}, {29, false, 15}, {30, true, 15}, {29, true, 15}}) {
    rules.entitled = entitled;
    rules.exactly_half_passes = half;
    const auto r = Count(rules, {{"S", 1}});
    EXPECT_EQ(r.outcome.pass_threshold, want) << entitled << " " << half;
  }
}

// --- ranking and ties
// -----------------------------------------------------------

TEST(TallyTest, PassingCandidatesAreRankedByApprovals) {
  // 5 entitled (more than half: 3), 2 seats. Approvals 101: 1, 102: 5,
  // 103: 4, 104: 0. The elected are listed by rank, not ballot order.
  const auto r = Count(Selection(2, 5, 5), {{"OAAO", 4}, {"AAOO", 1}});
  ASSERT_EQ(r.count.items[0].approve, 1u);
  ASSERT_EQ(r.count.items[1].approve, 5u);
  ASSERT_EQ(r.count.items[2].approve, 4u);
  EXPECT_EQ(r.outcome.ranking, (std::vector<uint64_t>{102, 103}));
  EXPECT_EQ(r.outcome.elected, (std::vector<uint64_t>{102, 103}));
}

TEST(TallyTest, EqualApprovalsAtTheLastSeatAreATie) {
  // 101: 3, 102: 4, 103: 3 approvals of 5 entitled; 2 seats.
  const auto r = Count(Selection(2, 5, 5),
                       {{"OAA", 1}, {"AAO", 2}, {"AOA", 1}, {"OAA", 1}});
  ASSERT_EQ(r.count.items[0].approve, 3u);
  ASSERT_EQ(r.count.items[1].approve, 4u);
  ASSERT_EQ(r.count.items[2].approve, 3u);
  // 102 (4) first; 101 and 103 tie at 3 for the second seat.
  EXPECT_EQ(r.outcome.elected, (std::vector<uint64_t>{102}));
  EXPECT_EQ(r.outcome.tied_at_cutoff, (std::vector<uint64_t>{101, 103}));
  EXPECT_EQ(r.outcome.seats_left_for_tie, 1u);
  EXPECT_EQ(r.outcome.vacant_seats, 0u);
}

TEST(TallyTest, ATieAtTheCutOffLeavesTheSeatToTheTied) {
  // 9 entitled, 2 seats: 101 has 8 approvals, 102 and 103 have 5 each (more
  // than 4.5: both pass), 104 none.
  const auto r =
      Count(Selection(2, 9, 9), {{"AAOO", 4}, {"AOAO", 4}, {"OAAO", 1}});
  EXPECT_EQ(r.count.items[0].approve, 8u);
  EXPECT_EQ(r.count.items[1].approve, 5u);
  EXPECT_EQ(r.count.items[2].approve, 5u);
  EXPECT_EQ(r.outcome.elected, (std::vector<uint64_t>{101}));
  EXPECT_EQ(r.outcome.tied_at_cutoff, (std::vector<uint64_t>{102, 103}));
  EXPECT_EQ(r.outcome.seats_left_for_tie, 1u);
}

TEST(TallyTest, ATieAboveTheCutOffIsNoTie) {
  // 101 and 102 tie at 5 but both are elected; 103 (2) fails.
  const auto r =
      Count(Selection(2, 9, 9), {{"AAO", 5}, {"OOA", 2}, {"OOO", 2}});
  EXPECT_EQ(r.outcome.elected, (std::vector<uint64_t>{101, 102}));
  EXPECT_TRUE(r.outcome.tied_at_cutoff.empty());
}

// RULES.md, recount step 6: the seats a tie leaves are the further round's,
// not vacant.
TEST(TallyTest, ATieLeavesNoVacantSeat) {
  const auto r =
      Count(Selection(2, 9, 9), {{"AAOO", 4}, {"AOAO", 4}, {"OAAO", 1}});
  ASSERT_EQ(r.outcome.tied_at_cutoff.size(), 2u);
  EXPECT_EQ(r.outcome.vacant_seats, 0u);
}

// --- satisfaction grades
// ----------------------------------------------------------

TEST(TallyTest, SatisfactionGradesByDefaultRule) {
  TallyRules rules;
  rules.purpose = VotePurpose::kSatisfaction;
  rules.entitled = 10;
  // 101: 6 satisfied -> satisfied; 102: 3 + 3 = 6 -> basically satisfied;
  // 103: 2 + 3 = 5, exactly half -> unsatisfied.
  const auto r = Count(
      rules,
      {{"SSS", 2}, {"SSB", 1}, {"SBB", 2}, {"SBU", 1}, {"BUU", 2}, {"NNN", 2}});
  ASSERT_EQ(r.count.items[0].approve, 6u);
  ASSERT_EQ(r.count.items[1].approve + r.count.items[1].oppose, 6u);
  ASSERT_EQ(r.count.items[2].approve + r.count.items[2].oppose, 5u);
  EXPECT_EQ(r.count.items[2].satisfaction_abstain, 2u);
  ASSERT_EQ(r.outcome.grades.size(), 3u);
  EXPECT_EQ(r.outcome.grades[0].second, Grade::kSatisfied);
  EXPECT_EQ(r.outcome.grades[1].second, Grade::kBasicallySatisfied);
  EXPECT_EQ(r.outcome.grades[2].second, Grade::kUnsatisfied);
  rules.exactly_half_passes = true;
  const auto half = Count(
      rules,
      {{"SSS", 2}, {"SSB", 1}, {"SBB", 2}, {"SBU", 1}, {"BUU", 2}, {"NNN", 2}});
  EXPECT_EQ(half.outcome.grades[2].second, Grade::kBasicallySatisfied);
}

// --- through the ledger: a tie goes to a further round among the tied -------

class TieRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Approvals: canteen 22, kindergarten 20, barriers 18, lights 18. All
    // pass (more than 15 of 30); barriers and lights tie for the 3rd seat.
    b_.selection_boxes = {
        BoxPlan{"第1票箱",
                14,
                14,
                {{"AAAO", 4}, {"AAOA", 4}, {"AOAA", 4}, {"OAAA", 2}}},
        BoxPlan{
            "第2票箱",
            13,
            13,
            {{"AAAO", 4}, {"AAOA", 4}, {"AOAA", 2}, {"OAAA", 2}, {"OOOO", 1}}},
    };
    b_.max_approvals = 3;  // as many as seats, stated
    ASSERT_OK(b_.BuildThrough(Stage::kTallyCertified));
  }
  CycleBuilder b_;
};

TEST_F(TieRoundTest, TheResultNamesTheTiedAndAFurtherRoundIsAmongThemOnly) {
  const auto& r = b_.refs();
  auto recount = b_.state().Recount(r.round);
  ASSERT_OK(recount);
  EXPECT_EQ(recount->count.items[0].approve, 22u);
  EXPECT_EQ(recount->count.items[1].approve, 20u);
  EXPECT_EQ(recount->count.items[2].approve, 18u);
  EXPECT_EQ(recount->count.items[3].approve, 18u);
  // Electing one of the tied is refused; naming the tie is accepted.
  EXPECT_TRUE(Refused(
      b_, b_.keys().presidium,
      [&](schema::Event::Builder e) {
        auto a = e.initResultAnnounced();
        a.setRound(r.round);
        auto el = a.initElected(3);
        el.set(0, r.canteen);
        el.set(1, r.kindergarten);
        el.set(2, r.barriers);
      },
      "vote.result_mismatch"));
  ASSERT_OK(b_.Announce(r.round, {r.canteen, r.kindergarten},
                        {r.barriers, r.lights}));
  // Round 2 is among the tied only, for the one seat left.
  EXPECT_TRUE(Refused(
      b_, b_.keys().secretariat,
      [&](schema::Event::Builder e) {
        auto o = e.initRoundOpened();
        o.setVote(r.vote);
        o.setRound(2);
        auto items = o.initItems(3);
        items.set(0, r.barriers);
        items.set(1, r.lights);
        items.set(2, r.kindergarten);
        o.setSeats(1);
        o.setPresentDeputies(27);
      },
      "round.items"));
  const uint64_t size = b_.size();
  EXPECT_FALSE(b_.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 2, 27).ok());
  EXPECT_EQ(b_.size(), size);
  auto round2 = b_.OpenRoundOf(r.vote, 2, {r.lights, r.barriers}, 1, 27);
  ASSERT_OK(round2);
  // Round 2: lights 10, barriers 16 (one approval allowed per ballot).
  const std::vector<BoxPlan> boxes = {
      BoxPlan{"第二轮票箱", 27, 27, {{"AO", 10}, {"OA", 16}, {"OO", 1}}}};
  ASSERT_OK(b_.HoldBallot(*round2, {r.lights, r.barriers}, boxes, false, 1));
  ASSERT_OK(b_.Announce(*round2, {r.barriers}));
  // The vote is settled: the cycle's projects are the three elected, in the
  // order of election, and no round 3 may follow.
  EXPECT_TRUE(Refused(
      b_, b_.keys().secretariat,
      [&](schema::Event::Builder e) {
        auto o = e.initRoundOpened();
        o.setVote(r.vote);
        o.setRound(3);
        o.initItems(1).set(0, r.lights);
        o.setSeats(1);
        o.setPresentDeputies(27);
      },
      "round.no_seats_open"));
  projections::ViewQuery q;
  q.cycle = r.cycle;
  auto projects = projections::View(b_.state(), "projects", q);
  ASSERT_OK(projects);
  std::vector<uint64_t> refs;
  for (const auto& p : (*projects)["projects"]) refs.push_back(p["ref"]);
  EXPECT_EQ(refs,
            (std::vector<uint64_t>{r.canteen, r.kindergarten, r.barriers}));
}

TEST_F(TieRoundTest, AFurtherRoundWhereNobodyPassesLeavesTheSeatVacant) {
  const auto& r = b_.refs();
  ASSERT_OK(b_.Announce(r.round, {r.canteen, r.kindergarten},
                        {r.barriers, r.lights}));
  auto round2 = b_.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 1, 27);
  ASSERT_OK(round2);
  // 14 and 13 approvals: neither is more than half of the 30 entitled.
  const std::vector<BoxPlan> boxes = {
      BoxPlan{"第二轮票箱", 27, 27, {{"AO", 14}, {"OA", 13}}}};
  ASSERT_OK(b_.HoldBallot(*round2, {r.barriers, r.lights}, boxes, false, 1));
  EXPECT_TRUE(Refused(
      b_, b_.keys().presidium,
      [&](schema::Event::Builder e) {
        auto a = e.initResultAnnounced();
        a.setRound(*round2);
        a.initElected(1).set(0, r.barriers);
      },
      "vote.result_mismatch"));
  ASSERT_OK(b_.Announce(*round2, {}, {}, 1));
  // Shortfall rule leaveVacant: the vote is settled with two projects.
  projections::ViewQuery q;
  auto cycles = projections::View(b_.state(), "cycles", q);
  ASSERT_OK(cycles);
  EXPECT_EQ((*cycles)["cycles"][0]["stage"], "supervision");
  EXPECT_EQ((*cycles)["cycles"][0]["counts"]["elected"], 2);
}

// RULES.md, recount step 6: announcing a tie with a vacant seat is refused.
TEST_F(TieRoundTest, ATieIsAnnouncedWithNoVacantSeat) {
  const auto& r = b_.refs();
  EXPECT_FALSE(b_.Announce(r.round, {r.canteen, r.kindergarten},
                           {r.barriers, r.lights}, 1)
                   .ok());
  // The tied may be named in any order.
  ASSERT_OK(b_.Announce(r.round, {r.canteen, r.kindergarten},
                        {r.lights, r.barriers}, 0));
}

// RULES.md, recount step 5: winners with equal approvals are announced in
// ballot order; the other order is refused.
TEST(RankingTest, EqualApprovalWinnersAreAnnouncedInBallotOrder) {
  CycleBuilder b;
  // canteen 20, kindergarten 20, barriers 23, lights 4 (ballot order).
  b.selection_boxes = {
      BoxPlan{"第1票箱", 14, 14, {{"AAAO", 9}, {"AAOA", 3}, {"OOAO", 2}}},
      BoxPlan{"第2票箱", 13, 13, {{"AAAO", 7}, {"AAOA", 1}, {"OOAO", 5}}},
  };
  ASSERT_OK(b.BuildThrough(Stage::kTallyCertified));
  const auto& r = b.refs();
  ASSERT_EQ(r.candidates, (std::vector<uint64_t>{r.canteen, r.kindergarten,
                                                 r.barriers, r.lights}));
  EXPECT_TRUE(Refused(
      b, b.keys().presidium,
      [&](schema::Event::Builder e) {
        auto a = e.initResultAnnounced();
        a.setRound(r.round);
        auto el = a.initElected(3);
        el.set(0, r.barriers);
        el.set(1, r.kindergarten);
        el.set(2, r.canteen);
      },
      "vote.result_mismatch"));
  ASSERT_OK(b.Announce(r.round, {r.barriers, r.canteen, r.kindergarten}));
}

// DOMAIN.md: in every round, a ballot approving more candidates than the
// seats that round fills is invalid. The rules allow 3 approvals for the 3
// seats; the tie leaves one seat to round 2, whose limit is therefore 1.
TEST_F(TieRoundTest, AFurtherRoundsBallotApprovingMoreThanItsSeatsIsInvalid) {
  ASSERT_OK(b_.Announce(b_.refs().round,
                        {b_.refs().canteen, b_.refs().kindergarten},
                        {b_.refs().barriers, b_.refs().lights}));
  const auto& r = b_.refs();
  const uint64_t size = b_.size();
  // The round's limit must be stated as 1, not the rules' 3.
  EXPECT_FALSE(
      b_.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 1, 27, 3).ok());
  EXPECT_EQ(b_.size(), size);
  auto round2 = b_.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 1, 27, 1);
  ASSERT_OK(round2);
  // One ballot approves both candidates for the one seat: invalid.
  const std::vector<BoxPlan> boxes = {BoxPlan{
      "第二轮票箱", 27, 27, {{"AO", 16}, {"OA", 9}, {"AA", 1}, {"OO", 1}}}};
  ASSERT_OK(b_.HoldBallot(*round2, {r.barriers, r.lights}, boxes, false, 1));
  auto recount = b_.state().Recount(*round2);
  ASSERT_OK(recount);
  EXPECT_EQ(recount->rules.max_approvals, 1u);
  EXPECT_EQ(recount->count.valid, 26u);
  EXPECT_EQ(recount->count.invalid, 1u);
  EXPECT_EQ(recount->count.items[0].approve, 16u);
  ASSERT_OK(b_.Announce(*round2, {r.barriers}));
}

// --- shortfall
// ------------------------------------------------------------------

// Only canteen (24) and kindergarten (22) pass; barriers 9 and lights 8 fail
// (more than 15 needed).
std::vector<BoxPlan> ShortfallBoxes() {
  return {
      BoxPlan{
          "第1票箱",
          14,
          14,
          {{"AAAO", 5}, {"AAOA", 4}, {"AAOO", 3}, {"AOOO", 1}, {"OOOO", 1}}},
      BoxPlan{
          "第2票箱",
          13,
          13,
          {{"AAAO", 4}, {"AAOA", 4}, {"AAOO", 2}, {"AOOO", 1}, {"OOOO", 2}}},
  };
}

TEST(ShortfallTest, LeaveVacantSettlesTheVote) {
  CycleBuilder b;
  b.selection_boxes = ShortfallBoxes();
  ASSERT_OK(b.BuildThrough(Stage::kTallyCertified));
  const auto& r = b.refs();
  auto recount = b.state().Recount(r.round);
  ASSERT_OK(recount);
  EXPECT_EQ(recount->count.items[0].approve, 24u);
  EXPECT_EQ(recount->count.items[1].approve, 22u);
  EXPECT_EQ(recount->count.items[2].approve, 9u);
  EXPECT_EQ(recount->count.items[3].approve, 8u);
  EXPECT_TRUE(Refused(
      b, b.keys().presidium,
      [&](schema::Event::Builder e) {
        auto a = e.initResultAnnounced();
        a.setRound(r.round);
        auto el = a.initElected(2);
        el.set(0, r.canteen);
        el.set(1, r.kindergarten);
      },
      "vote.result_mismatch"));  // the vacant seat unsaid
  ASSERT_OK(b.Announce(r.round, {r.canteen, r.kindergarten}, {}, 1));
  EXPECT_FALSE(b.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 1, 27).ok());
}

TEST(ShortfallTest, FurtherRoundFillsTheVacantSeatFromTheRest) {
  CycleBuilder b;
  b.selection_boxes = ShortfallBoxes();
  b.shortfall_rule = schema::ShortfallRule::FURTHER_ROUND;
  ASSERT_OK(b.BuildThrough(Stage::kTallyCertified));
  const auto& r = b.refs();
  ASSERT_OK(b.Announce(r.round, {r.canteen, r.kindergarten}, {}, 1));
  const uint64_t size = b.size();
  EXPECT_FALSE(
      b.OpenRoundOf(r.vote, 2, {r.barriers, r.lights, r.canteen}, 1, 27).ok());
  EXPECT_EQ(b.size(), size);
  ASSERT_OK(b.OpenRoundOf(r.vote, 2, {r.barriers, r.lights}, 1, 27));
}

}  // namespace
}  // namespace piaojue::testing
