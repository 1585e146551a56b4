// Screening rules: the three reviews in order (审核 → 审定 → 审查), each with
// a reason and the eligibility flags; the candidate list. See docs/RULES.md,
// "Screening" and "Candidate list".
#include <gtest/gtest.h>

#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;
using schema::ReasonCode;
using schema::ScreeningOutcome;
using schema::ScreeningStage;

Fill Decision(
    uint64_t proposal, ScreeningStage stage,
    std::function<void(schema::ScreeningDecided::Builder)> tweak = nullptr) {
  return [=](schema::Event::Builder e) {
    auto s = e.initScreeningDecided();
    s.setProposal(proposal);
    s.setStage(stage);
    s.setOutcome(ScreeningOutcome::ADVANCE);
    s.setReasonCode(ReasonCode::MEETS_CRITERIA);
    s.setReasonText("符合条件");
    if (tweak) tweak(s);
  };
}

Fill List(uint64_t cycle, std::vector<uint64_t> proposals) {
  return [=](schema::Event::Builder e) {
    auto l = e.initCandidateListFixed();
    l.setCycle(cycle);
    auto c = l.initCandidates(static_cast<unsigned>(proposals.size()));
    for (unsigned i = 0; i < proposals.size(); ++i) {
      c[i].setProposal(proposals[i]);
      c[i].setName("候选项目" + std::to_string(i + 1));
    }
  };
}

class ScreeningRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kMerged)); }
  const CycleKeys& keys() { return b_.keys(); }
  const CycleRefs& refs() { return b_.refs(); }

  CycleBuilder b_;
};

TEST_F(ScreeningRulesTest, DecisionNeedsStageOutcomeAndAWrittenReason) {
  const uint64_t p = refs().canteen;
  const auto stage = ScreeningStage::GOVERNMENT_REVIEW;
  EXPECT_TRUE(Malformed(
      b_, keys().office,
      Decision(p, stage,
               [](auto s) { s.setOutcome(ScreeningOutcome::UNSPECIFIED); }),
      "screening.fields"));
  EXPECT_TRUE(Malformed(
      b_, keys().office,
      Decision(p, stage,
               [](auto s) { s.setReasonCode(ReasonCode::UNSPECIFIED); }),
      "screening.fields"));
  // An enum value the schema does not define: the ledger refuses it as
  // input it cannot interpret; the rules alone refuse it too.
  EXPECT_TRUE(RefusedByLedgerAndRule(
      b_, keys().office,
      Decision(p, stage,
               [](auto s) { s.setReasonCode(static_cast<ReasonCode>(40)); }),
      StatusCode::kInvalidArgument, StatusCode::kInvalidArgument,
      "screening.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Decision(p, stage, [](auto s) { s.setReasonText(""); }),
                        "screening.fields"));
  ASSERT_OK(b_.Submit(keys().office, Decision(p, stage)));
}

TEST_F(ScreeningRulesTest, AnUnspecifiedStageIsNobodysToDecide) {
  // Authorization comes first: no role may author a decision of no stage.
  auto r = b_.Submit(keys().office,
                     Decision(refs().canteen, ScreeningStage::UNSPECIFIED));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ScreeningRulesTest, ReviewsGoInOrder) {
  const uint64_t p = refs().canteen;
  EXPECT_TRUE(Refused(b_, keys().party,
                      Decision(p, ScreeningStage::PARTY_COMMITTEE_APPROVAL),
                      "screening.order"));
  EXPECT_TRUE(
      Refused(b_, keys().standing,
              Decision(p, ScreeningStage::STANDING_COMMITTEE_EXAMINATION),
              "screening.order"));
  ASSERT_OK(
      b_.Submit(keys().office, Decision(p, ScreeningStage::GOVERNMENT_REVIEW)));
  EXPECT_TRUE(
      Refused(b_, keys().standing,
              Decision(p, ScreeningStage::STANDING_COMMITTEE_EXAMINATION),
              "screening.order"));
  ASSERT_OK(b_.Submit(keys().party,
                      Decision(p, ScreeningStage::PARTY_COMMITTEE_APPROVAL)));
  ASSERT_OK(
      b_.Submit(keys().standing,
                Decision(p, ScreeningStage::STANDING_COMMITTEE_EXAMINATION)));
}

TEST_F(ScreeningRulesTest, EachStageDecidesOnce) {
  const uint64_t p = refs().canteen;
  ASSERT_OK(
      b_.Submit(keys().office, Decision(p, ScreeningStage::GOVERNMENT_REVIEW)));
  EXPECT_TRUE(Refused(b_, keys().office,
                      Decision(p, ScreeningStage::GOVERNMENT_REVIEW),
                      "screening.twice"));
}

TEST_F(ScreeningRulesTest, ARejectedProposalGoesNoFurther) {
  const uint64_t p = refs().stadium;
  ASSERT_OK(b_.Submit(
      keys().office, Decision(p, ScreeningStage::GOVERNMENT_REVIEW, [](auto s) {
        s.setOutcome(ScreeningOutcome::REJECT);
        s.setReasonCode(ReasonCode::LOWER_PRIORITY);
      })));
  EXPECT_TRUE(Refused(b_, keys().party,
                      Decision(p, ScreeningStage::PARTY_COMMITTEE_APPROVAL),
                      "screening.stopped"));
}

TEST_F(ScreeningRulesTest, ARetiredSourceIsNotScreened) {
  EXPECT_TRUE(
      Refused(b_, keys().office,
              Decision(refs().lights_west, ScreeningStage::GOVERNMENT_REVIEW),
              "screening.retired"));
  ASSERT_OK(
      b_.Submit(keys().office,
                Decision(refs().lights, ScreeningStage::GOVERNMENT_REVIEW)));
}

TEST_F(ScreeningRulesTest, OnlyProposalsAreScreened) {
  EXPECT_TRUE(Refused(b_, keys().office,
                      Decision(refs().cycle, ScreeningStage::GOVERNMENT_REVIEW),
                      "ref.wrong_kind"));
}

TEST_F(ScreeningRulesTest, TheFunnelShowsWhereAndWhyEachProposalDroppedOut) {
  ASSERT_OK(b_.BuildThrough(Stage::kStandingCommittee));
  projections::ViewQuery q;
  q.cycle = refs().cycle;
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  std::map<uint64_t, nlohmann::json> by_ref;
  for (const auto& p : (*funnel)["proposals"]) by_ref[p["ref"]] = p;

  const auto& park = by_ref.at(refs().industrial_park)["fate"];
  EXPECT_EQ(park["status"], "rejected");
  EXPECT_EQ(park["stage"], "governmentReview");
  EXPECT_EQ(park["reasonCode"], "majorEngineering");
  EXPECT_EQ(park["reasonText"], "属于重大产业项目，不纳入民生实事");
  EXPECT_EQ(park["eligibility"]["notMajorEngineering"], false);
  EXPECT_EQ(park["entry"], refs().screening.at(refs().industrial_park)[0]);

  const auto& stadium = by_ref.at(refs().stadium)["fate"];
  EXPECT_EQ(stadium["status"], "rejected");
  EXPECT_EQ(stadium["stage"], "partyCommitteeApproval");
  EXPECT_EQ(stadium["reasonCode"], "lowerPriority");

  const auto& clinic = by_ref.at(refs().clinic)["fate"];
  EXPECT_EQ(clinic["stage"], "standingCommitteeExamination");
  EXPECT_EQ(clinic["reasonCode"], "fundedByHigherLevel");
  EXPECT_EQ(clinic["eligibility"]["ownBudget"], false);
  // Every decision the clinic had is listed, in stage order.
  const auto& steps = by_ref.at(refs().clinic)["screening"];
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0]["outcome"], "advance");
  EXPECT_EQ(steps[2]["outcome"], "reject");

  EXPECT_EQ(by_ref.at(refs().canteen)["fate"]["status"], "passedScreening");
  const auto& totals = (*funnel)["totals"]["byStage"];
  // 7 live proposals (8 submitted, 2 merged into 1).
  EXPECT_EQ(totals["governmentReview"]["advanced"], 6);
  EXPECT_EQ(totals["governmentReview"]["rejected"], 1);
  EXPECT_EQ(totals["partyCommitteeApproval"]["rejected"], 1);
  EXPECT_EQ(totals["standingCommitteeExamination"]["advanced"], 4);
  EXPECT_EQ(totals["standingCommitteeExamination"]["rejected"], 1);
}

TEST_F(ScreeningRulesTest, TheFunnelNamesWhoDecided) {
  ASSERT_OK(b_.BuildThrough(Stage::kPartyCommittee));
  projections::ViewQuery q;
  q.cycle = refs().cycle;
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  for (const auto& p : (*funnel)["proposals"]) {
    if (p["ref"] != refs().stadium) continue;
    EXPECT_EQ(p["fate"]["decidedBy"]["holder"], "中共某县委员会");
    EXPECT_EQ(p["fate"]["decidedBy"]["key"],
              crypto::ToHex(crypto::AsBytes(keys().party.public_key)));
  }
}

// --- candidate list
// -----------------------------------------------------------

class CandidateListRulesTest : public ScreeningRulesTest {
 protected:
  void SetUp() override {
    ASSERT_OK(b_.BuildThrough(Stage::kStandingCommittee));
  }
  std::vector<uint64_t> Passed() {
    return {refs().canteen, refs().kindergarten, refs().barriers,
            refs().lights};
  }
};

TEST_F(CandidateListRulesTest, OnlyProposalsThatPassedAllThreeStages) {
  const uint64_t c = refs().cycle;
  for (uint64_t p : {refs().clinic, refs().stadium, refs().industrial_park,
                     refs().lights_east}) {
    auto list = Passed();
    list.push_back(p);
    EXPECT_TRUE(Refused(b_, keys().standing, List(c, list), "list.not_passed"))
        << p;
  }
  ASSERT_OK(b_.Submit(keys().standing, List(c, Passed())));
}

TEST_F(CandidateListRulesTest, AProposalStillInScreeningIsNotACandidate) {
  // A fresh proposal of another cycle year is refused for its cycle; here a
  // proposal advanced by two stages only.
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kPartyCommittee));
  EXPECT_TRUE(Refused(b, b.keys().standing,
                      List(b.refs().cycle, {b.refs().canteen}),
                      "list.not_passed"));
}

TEST_F(CandidateListRulesTest, ListFieldsAndDuplicates) {
  const uint64_t c = refs().cycle;
  EXPECT_TRUE(Malformed(b_, keys().standing, List(c, {}), "list.fields"));
  EXPECT_TRUE(Malformed(
      b_, keys().standing,
      [&](schema::Event::Builder e) {
        List(c, Passed())(e);
        e.getCandidateListFixed().getCandidates()[0].setName("");
      },
      "list.fields"));
  EXPECT_TRUE(Malformed(
      b_, keys().standing,
      [&](schema::Event::Builder e) {
        List(c, Passed())(e);
        e.getCandidateListFixed().getCandidates()[1].setInvestmentFen(-100);
      },
      "list.fields"));
  EXPECT_TRUE(Malformed(b_, keys().standing,
                        List(c, {refs().canteen, refs().canteen}),
                        "list.duplicate"));
}

TEST_F(CandidateListRulesTest, TheListIsFixedOnce) {
  const uint64_t c = refs().cycle;
  ASSERT_OK(b_.Submit(keys().standing, List(c, Passed())));
  EXPECT_TRUE(
      Refused(b_, keys().standing, List(c, Passed()), "list.fixed_once"));
}

TEST_F(CandidateListRulesTest, TheListCannotChangeAfterTheVotingRules) {
  ASSERT_OK(b_.BuildThrough(Stage::kVotingRules));
  const uint64_t list = refs().candidate_list;
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Correction(list, "改名", List(refs().cycle, Passed())),
                      "list.after_rules"));
  EXPECT_TRUE(Refused(b_, keys().standing, Correction(list, "撤回"),
                      "list.after_rules"));
}

}  // namespace
}  // namespace piaojue::testing
