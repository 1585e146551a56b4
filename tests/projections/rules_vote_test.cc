// Vote rules: voting rules before any ballot, the candidate margin, quorum,
// rounds and further rounds. See docs/RULES.md, "Vote".
#include <gtest/gtest.h>

#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;

Fill Rules(
    uint64_t cycle,
    std::function<void(schema::VotingRulesAdopted::Builder)> tweak = nullptr) {
  return [=](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(cycle);
    v.setPurpose(schema::VotePurpose::PROJECT_SELECTION);
    v.setSeats(3);
    v.setExtraCandidates(1);
    v.setEntitledDeputies(30);
    v.setTieRule(schema::TieRule::FURTHER_ROUND);
    v.setShortfallRule(schema::ShortfallRule::LEAVE_VACANT);
    if (tweak) tweak(v);
  };
}

// A round whose maxApprovals is its seats unless given.
Fill Round(uint64_t vote, uint16_t number, std::vector<uint64_t> items,
           uint16_t seats, uint32_t present, int max_approvals = -1) {
  return [=](schema::Event::Builder e) {
    auto o = e.initRoundOpened();
    o.setVote(vote);
    o.setRound(number);
    auto list = o.initItems(static_cast<unsigned>(items.size()));
    for (unsigned i = 0; i < items.size(); ++i) list.set(i, items[i]);
    o.setSeats(seats);
    o.setPresentDeputies(present);
    o.setMaxApprovals(
        static_cast<uint16_t>(max_approvals < 0 ? seats : max_approvals));
  };
}

class VoteRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kCandidateList)); }
  const CycleKeys& keys() { return b_.keys(); }
  const CycleRefs& refs() { return b_.refs(); }

  CycleBuilder b_;
};

TEST_F(VoteRulesTest, RulesNeedTheirFields) {
  using V = schema::VotingRulesAdopted::Builder;
  const uint64_t c = refs().cycle;
  const std::vector<std::pair<const char*, std::function<void(V)>>> broken = {
      {"no purpose",
       [](V v) { v.setPurpose(schema::VotePurpose::UNSPECIFIED); }},
      {"no deputies", [](V v) { v.setEntitledDeputies(0); }},
      {"quorum above 1",
       [](V v) {
         v.getQuorum().setNumerator(3);
         v.getQuorum().setDenominator(2);
       }},
      {"quorum 0/5",
       [](V v) {
         v.getQuorum().setNumerator(0);
         v.getQuorum().setDenominator(5);
       }},
      {"no seats", [](V v) { v.setSeats(0); }},
      {"no tie rule", [](V v) { v.setTieRule(schema::TieRule::UNSPECIFIED); }},
      {"no shortfall rule",
       [](V v) { v.setShortfallRule(schema::ShortfallRule::UNSPECIFIED); }},
      {"max approvals above seats", [](V v) { v.setMaxApprovals(4); }},
      {"items on a selection vote", [](V v) { v.initItems(1).set(0, 5); }},
  };
  for (const auto& [what, tweak] : broken) {
    EXPECT_TRUE(Malformed(b_, keys().standing, Rules(c, tweak), "vote.fields"))
        << what;
  }
  // An enum value the schema does not define: the ledger refuses it as
  // input it cannot interpret; the rules alone refuse it too.
  EXPECT_TRUE(RefusedByLedgerAndRule(
      b_, keys().standing,
      Rules(c, [](V v) { v.setPassBase(static_cast<schema::PassBase>(9)); }),
      StatusCode::kInvalidArgument, StatusCode::kInvalidArgument,
      "vote.fields"));
  ASSERT_OK(b_.Submit(keys().standing, Rules(c)));
}

TEST_F(VoteRulesTest, VotingRulesNeedAFixedCandidateList) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kStandingCommittee));
  EXPECT_TRUE(
      Refused(b, b.keys().standing, Rules(b.refs().cycle), "vote.no_list"));
}

TEST_F(VoteRulesTest, TheMarginIsDeclaredAndRespected) {
  const uint64_t c = refs().cycle;
  // No extra candidates declared: no 差额.
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Rules(c,
                            [](auto v) {
                              v.setSeats(4);
                              v.setExtraCandidates(0);
                            }),
                      "vote.margin"));
  // 4 candidates, but 3 seats + 2 extra need 5.
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Rules(c, [](auto v) { v.setExtraCandidates(2); }),
                      "vote.margin"));
  // 2 seats + 2 extra = 4 candidates: a 100% margin is fine.
  ASSERT_OK(b_.Submit(keys().standing, Rules(c, [](auto v) {
                        v.setSeats(2);
                        v.setExtraCandidates(2);
                      })));
}

TEST_F(VoteRulesTest, OneSelectionVotePerCycle) {
  ASSERT_OK(b_.Submit(keys().standing, Rules(refs().cycle)));
  EXPECT_TRUE(
      Refused(b_, keys().standing, Rules(refs().cycle), "vote.duplicate"));
}

TEST_F(VoteRulesTest, SatisfactionItemsMustBeElectedProjects) {
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Rules(refs().cycle,
                            [&](auto v) {
                              v.setPurpose(schema::VotePurpose::SATISFACTION);
                              v.initItems(1).set(0, refs().canteen);
                            }),
                      "vote.satisfaction_items"));
  EXPECT_TRUE(Malformed(
      b_, keys().standing,
      Rules(refs().cycle,
            [&](auto v) { v.setPurpose(schema::VotePurpose::SATISFACTION); }),
      "vote.fields"));
}

TEST_F(VoteRulesTest, NoBallotBeforeTheVotingRules) {
  // Without adopted rules there is no vote to open a round of, hence no box
  // and no ballot.
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(refs().candidate_list, 1, refs().candidates, 3, 27),
                      "ref.wrong_kind"));
  EXPECT_TRUE(Refused(
      b_, keys().monitor,
      [](schema::Event::Builder e) {
        auto s = e.initBallotBoxSealed();
        s.setRound(1);
        s.setLabel("票箱");
        s.initMonitors(1).set(0, "监票人");
      },
      "ref.wrong_kind"));
}

TEST_F(VoteRulesTest, DeliberationDatesAreRealDays) {
  auto deliberation = [&](int month, int day) -> Fill {
    return [=, this](schema::Event::Builder e) {
      auto d = e.initDeliberationRecorded();
      d.setCycle(refs().cycle);
      d.setSession("分组审议");
      CycleBuilder::SetDay(d.initHeldOn(), 2025, month, day);
    };
  };
  EXPECT_TRUE(Malformed(b_, keys().secretariat, deliberation(2, 29),
                        "deliberation.fields"));  // 2025 is no leap year
  ASSERT_OK(b_.Submit(keys().secretariat, deliberation(2, 24)));
}

// --- rounds and quorum
// ---------------------------------------------------------

class RoundRulesTest : public VoteRulesTest {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kDeliberation)); }
};

TEST_F(RoundRulesTest, QuorumIsMoreThanTwoThirdsOfTheEntitledByDefault) {
  const uint64_t v = refs().vote;
  // 20 of 30 is exactly two thirds: not more.
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 3, 20), "vote.quorum"));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 3, 31), "vote.quorum"));
  ASSERT_OK(
      b_.Submit(keys().secretariat, Round(v, 1, refs().candidates, 3, 21)));
}

TEST_F(RoundRulesTest, AConfiguredQuorumIsApplied) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kCandidateList));
  auto vote = b.Submit(b.keys().standing, Rules(b.refs().cycle, [](auto v) {
                         v.getQuorum().setNumerator(1);
                         v.getQuorum().setDenominator(2);
                       }));
  ASSERT_OK(vote);
  EXPECT_TRUE(Refused(b, b.keys().secretariat,
                      Round(*vote, 1, b.refs().candidates, 3, 15),
                      "vote.quorum"));
  ASSERT_OK(b.Submit(b.keys().secretariat,
                     Round(*vote, 1, b.refs().candidates, 3, 16)));
}

TEST_F(RoundRulesTest, RoundOneIsHeldOnEveryCandidateForEverySeat) {
  const uint64_t v = refs().vote;
  auto fewer = refs().candidates;
  fewer.pop_back();
  EXPECT_TRUE(Refused(b_, keys().secretariat, Round(v, 1, fewer, 3, 27),
                      "vote.margin"));
  auto other = refs().candidates;
  other.back() = refs().clinic;
  EXPECT_TRUE(Refused(b_, keys().secretariat, Round(v, 1, other, 3, 27),
                      "round.items"));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 2, 27), "round.seats"));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 2, refs().candidates, 3, 27), "round.number"));
  EXPECT_TRUE(Malformed(b_, keys().secretariat, Round(v, 1, {}, 3, 27),
                        "round.fields"));
  // Ballot order may differ from the list's order.
  auto reordered = refs().candidates;
  std::reverse(reordered.begin(), reordered.end());
  ASSERT_OK(b_.Submit(keys().secretariat, Round(v, 1, reordered, 3, 27)));
}

// A round states its own limit of approvals per ballot: the rules'
// maxApprovals (seats when 0) but never more than the seats the round
// fills; 0 for a satisfaction round, which approves nothing.
TEST_F(RoundRulesTest, ARoundStatesItsLimitOfApprovals) {
  const uint64_t v = refs().vote;
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 3, 27, 0),
                      "round.max_approvals"));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 3, 27, 2),
                      "round.max_approvals"));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 1, refs().candidates, 3, 27, 4),
                      "round.max_approvals"));
  ASSERT_OK(
      b_.Submit(keys().secretariat, Round(v, 1, refs().candidates, 3, 27, 3)));
}

TEST_F(RoundRulesTest, NoFurtherRoundBeforeAResultOrAfterASettledVote) {
  ASSERT_OK(b_.BuildThrough(Stage::kRoundOpened));
  const uint64_t v = refs().vote;
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 2, refs().candidates, 3, 27),
                      "round.previous_open"));
  ASSERT_OK(b_.BuildThrough(Stage::kResultAnnounced));
  EXPECT_TRUE(Refused(b_, keys().secretariat,
                      Round(v, 2, {refs().lights}, 1, 27),
                      "round.no_seats_open"));
}

// --- issue 9, item 12(b): one satisfaction vote per project -----------------

// A satisfaction vote on the fixture's projects; `reason` is its revoteReason.
Fill SatisfactionRules(const CycleRefs& r, std::string reason) {
  return [=](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(r.cycle);
    v.setPurpose(schema::VotePurpose::SATISFACTION);
    v.setEntitledDeputies(30);
    auto items = v.initItems(1);
    items.set(0, r.barriers);
    v.setRevoteReason(reason);
  };
}

TEST(SatisfactionRevoteTest, ASecondSatisfactionVoteNeedsAStatedReason) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(CycleBuilder::Stage::kSatisfactionVote));
  const auto& r = b.refs();
  // The barriers project was rated unsatisfied; rating it again to replace
  // the grade is refused…
  EXPECT_TRUE(Refused(b, b.keys().standing, SatisfactionRules(r, ""),
                      "vote.satisfaction_twice"));
  // … unless the rules document a re-vote and why.
  auto revote = b.Submit(
      b.keys().standing,
      SatisfactionRules(r, "整改完成后经主任会议决定对护栏项目重新测评"));
  ASSERT_OK(revote);
  projections::ViewQuery q;
  q.record = *revote;
  auto tally = projections::View(b.state(), "tally", q);
  ASSERT_OK(tally);
  EXPECT_EQ((*tally)["vote"]["revoteReason"],
            "整改完成后经主任会议决定对护栏项目重新测评");
  // The first grade stays on the project.
  q.record = r.barriers;
  auto project = projections::View(b.state(), "projects", q);
  ASSERT_OK(project);
  const auto& grades =
      (*project)["projects"][0]["evaluation"]["satisfactionGrades"];
  ASSERT_EQ(grades.size(), 1u);
  EXPECT_EQ(grades[0]["grade"], "unsatisfied");
}

TEST(SatisfactionRevoteTest, AReVoteReasonOnlyForItemsAlreadyRated) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(CycleBuilder::Stage::kEvaluated));
  EXPECT_TRUE(Malformed(b, b.keys().standing,
                        SatisfactionRules(b.refs(), "重新测评"),
                        "vote.fields"));
  ASSERT_OK(b.Submit(b.keys().standing, SatisfactionRules(b.refs(), "")));
  // While the first vote has no result, no second one, reason or not.
  EXPECT_TRUE(Refused(b, b.keys().standing,
                      SatisfactionRules(b.refs(), "重新测评"),
                      "vote.satisfaction_twice"));
}

// --- issue 9, item 13: the rules set the minimum ballots per box ------------

TEST(MinBallotsPerBoxTest, TheVotingRulesSetTheMinimum) {
  CycleBuilder b;
  b.voting_rules_tweak = [](schema::VotingRulesAdopted::Builder v) {
    v.setMinBallotsPerBox(14);
  };
  ASSERT_OK(b.BuildThrough(CycleBuilder::Stage::kBoxesSealed));
  // Box 2 holds 13: fewer than 14.
  EXPECT_TRUE(Refused(
      b, b.keys().monitor,
      [&](schema::Event::Builder e) {
        auto o = e.initBallotBoxOpened();
        o.setBox(b.refs().boxes[1]);
        o.setIssued(13);
        o.setCollected(13);
      },
      "box.too_small"));
  projections::ViewQuery q;
  q.record = b.refs().vote;
  auto tally = projections::View(b.state(), "tally", q);
  ASSERT_OK(tally);
  EXPECT_EQ((*tally)["vote"]["minBallotsPerBox"], 14);
}

}  // namespace
}  // namespace piaojue::testing
