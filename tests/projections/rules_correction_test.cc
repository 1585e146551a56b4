// Corrections: a correction names the entry it corrects and why; the views
// apply it and the original stays visible. See docs/RULES.md, "Corrections".
#include <gtest/gtest.h>

#include "projections/internal/model.h"
#include "projections/records.h"
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

Fill Decision(uint64_t proposal, ScreeningStage stage, ScreeningOutcome outcome,
              ReasonCode reason, std::string text) {
  return [=](schema::Event::Builder e) {
    auto s = e.initScreeningDecided();
    s.setProposal(proposal);
    s.setStage(stage);
    s.setOutcome(outcome);
    s.setReasonCode(reason);
    s.setReasonText(text);
  };
}

nlohmann::json FunnelRow(const CycleBuilder& b, uint64_t ref) {
  projections::ViewQuery q;
  q.cycle = b.refs().cycle;
  auto funnel = projections::View(b.state(), "funnel", q);
  EXPECT_TRUE(funnel.ok());
  if (!funnel.ok()) return nullptr;
  for (const auto& p : (*funnel)["proposals"]) {
    if (p["ref"] == ref) return p;
  }
  return nullptr;
}

class CorrectionRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kPartyCommittee)); }
  const CycleKeys& keys() { return b_.keys(); }
  const CycleRefs& refs() { return b_.refs(); }

  CycleBuilder b_;
};

TEST_F(CorrectionRulesTest, ACorrectionStatesItsReason) {
  const uint64_t target = refs().screening.at(refs().stadium)[1];
  EXPECT_TRUE(
      Malformed(b_, keys().party, Correction(target, ""), "correction.fields"));
}

TEST_F(CorrectionRulesTest, ACorrectionNamesAnEarlierEntry) {
  // The ledger's authorization refuses it first (it cannot look up the
  // target's roles); a verifier replaying the rules alone refuses it too.
  for (uint64_t target : {b_.size(), b_.size() + 10}) {
    EXPECT_TRUE(RefusedByLedgerAndRule(
        b_, keys().party, Correction(target, "x"), StatusCode::kInvalidArgument,
        StatusCode::kFailedPrecondition, "ref.missing"));
  }
}

TEST_F(CorrectionRulesTest, RegistryEntriesAreNotCorrectedThisWay) {
  // The correction's author must hold the target's roles: nobody holds the
  // registry's (root only), so the ledger refuses it before the rules do.
  auto r = b_.Submit(keys().office, Correction(refs().county, "改名"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), StatusCode::kOk);
}

TEST_F(CorrectionRulesTest, AReplacementKeepsTheTargetsKind) {
  const uint64_t target = refs().screening.at(refs().stadium)[1];
  EXPECT_TRUE(
      RefusedByLedgerAndRule(b_, keys().party,
                             Correction(target, "x",
                                        [&](schema::Event::Builder e) {
                                          auto d = e.initDeliberationRecorded();
                                          d.setCycle(refs().cycle);
                                        }),
                             StatusCode::kInvalidArgument,
                             StatusCode::kInvalidArgument, "correction.kind"));
}

TEST_F(CorrectionRulesTest, AReplacementConcernsTheSameSubject) {
  const uint64_t target = refs().screening.at(refs().stadium)[1];
  EXPECT_TRUE(Refused(
      b_, keys().party,
      Correction(
          target, "x",
          Decision(refs().canteen, ScreeningStage::PARTY_COMMITTEE_APPROVAL,
                   ScreeningOutcome::REJECT, ReasonCode::OTHER, "x")),
      "correction.same_subject"));
}

TEST_F(CorrectionRulesTest, ARejectionCorrectedToAdvanceStaysVisible) {
  const uint64_t stadium = refs().stadium;
  const uint64_t target = refs().screening.at(stadium)[1];
  auto fix = b_.Submit(
      keys().party,
      Correction(target, "误将同意记录为不同意",
                 Decision(stadium, ScreeningStage::PARTY_COMMITTEE_APPROVAL,
                          ScreeningOutcome::ADVANCE, ReasonCode::MEETS_CRITERIA,
                          "同意列入候选")));
  ASSERT_OK(fix);
  // The funnel shows the corrected decision and names the correction.
  auto row = FunnelRow(b_, stadium);
  EXPECT_EQ(row["fate"]["status"], "inScreening");
  EXPECT_EQ(row["fate"]["nextStage"], "standingCommitteeExamination");
  EXPECT_EQ(row["screening"][1]["outcome"], "advance");
  EXPECT_EQ(row["screening"][1]["entry"], target);
  EXPECT_EQ(row["screening"][1]["corrections"], nlohmann::json({*fix}));
  // The audit trail keeps the original decision and the correction, with
  // its target.
  projections::ViewQuery q;
  q.record = stadium;
  auto audit = projections::View(b_.state(), "audit", q);
  ASSERT_OK(audit);
  bool original = false, correction = false;
  for (const auto& e : (*audit)["entries"]) {
    if (e["entry"] == target) {
      original = true;
      EXPECT_EQ(e["kind"], "screeningDecided");
      EXPECT_EQ(e["corrections"], nlohmann::json({*fix}));
      EXPECT_EQ(e["retracted"], false);
    }
    if (e["entry"] == *fix) {
      correction = true;
      EXPECT_EQ(e["relation"], "corrected");
      EXPECT_EQ(e["target"], target);
    }
  }
  EXPECT_TRUE(original);
  EXPECT_TRUE(correction);
  // The original entry's bytes are still in the log, unchanged.
  auto entry = ledger::EntryView::Parse(*b_.ledger().ReadEntry(target));
  ASSERT_OK(entry);
  EXPECT_EQ(entry->event().getScreeningDecided().getOutcome(),
            ScreeningOutcome::REJECT);
  // The next stage may now decide on it.
  ASSERT_OK(b_.Submit(
      keys().standing,
      Decision(stadium, ScreeningStage::STANDING_COMMITTEE_EXAMINATION,
               ScreeningOutcome::ADVANCE, ReasonCode::MEETS_CRITERIA, "通过")));
}

TEST_F(CorrectionRulesTest, ARetractionIsItselfFinal) {
  const uint64_t target = refs().screening.at(refs().stadium)[1];
  auto retraction = b_.Submit(keys().party, Correction(target, "记录错误"));
  ASSERT_OK(retraction);
  EXPECT_TRUE(Refused(b_, keys().party, Correction(target, "再次撤回"),
                      "correction.retracted"));
  EXPECT_TRUE(RefusedByLedgerAndRule(
      b_, keys().party, Correction(*retraction, "撤回撤回"),
      StatusCode::kInvalidArgument, StatusCode::kFailedPrecondition,
      "correction.not_correctable"));
  // The stage is undecided again and may be decided anew.
  ASSERT_OK(b_.Submit(
      keys().party,
      Decision(refs().stadium, ScreeningStage::PARTY_COMMITTEE_APPROVAL,
               ScreeningOutcome::ADVANCE, ReasonCode::MEETS_CRITERIA, "同意")));
}

TEST_F(CorrectionRulesTest, ADecisionOthersBuiltOnCannotBeTurnedOrRetracted) {
  ASSERT_OK(b_.BuildThrough(Stage::kStandingCommittee));
  const uint64_t clinic = refs().clinic;
  const uint64_t review = refs().screening.at(clinic)[0];
  // Stage 2 already decided on the clinic: stage 1 cannot become a
  // rejection, nor disappear.
  EXPECT_TRUE(Refused(
      b_, keys().office,
      Correction(review, "x",
                 Decision(clinic, ScreeningStage::GOVERNMENT_REVIEW,
                          ScreeningOutcome::REJECT, ReasonCode::OTHER, "x")),
      "correction.conflicts"));
  EXPECT_TRUE(
      Refused(b_, keys().office, Correction(review, "x"), "correction.in_use"));
}

TEST_F(CorrectionRulesTest, ACandidateCannotBeRejectedAfterTheFact) {
  ASSERT_OK(b_.BuildThrough(Stage::kCandidateList));
  const uint64_t canteen = refs().canteen;
  const uint64_t last = refs().screening.at(canteen)[2];
  EXPECT_TRUE(Refused(
      b_, keys().standing,
      Correction(
          last, "x",
          Decision(canteen, ScreeningStage::STANDING_COMMITTEE_EXAMINATION,
                   ScreeningOutcome::REJECT, ReasonCode::OTHER, "x")),
      "correction.conflicts"));
  EXPECT_TRUE(
      Refused(b_, keys().standing, Correction(last, "x"), "correction.in_use"));
}

TEST_F(CorrectionRulesTest, AdoptedRulesAreFrozenOnceVotingBegan) {
  ASSERT_OK(b_.BuildThrough(Stage::kRoundOpened));
  EXPECT_TRUE(Refused(b_, keys().standing, Correction(refs().vote, "x"),
                      "correction.in_use"));
}

TEST_F(CorrectionRulesTest, ACorrectedProposalKeepsItsCycleAndWindow) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kProposals));
  const uint64_t target = b.refs().canteen;
  auto replacement = [&](std::string title) -> Fill {
    return [=, &b](schema::Event::Builder e) {
      auto s = e.initProposalSubmitted();
      s.setCycle(b.refs().cycle);
      auto d = s.initDetails();
      d.setTitle(title);
      d.setDescription("改正后的描述");
      d.setCategory(schema::Category::ELDERLY_CARE);
      d.setLocation("城东街道");
      s.setProposerType(schema::ProposerType::RESIDENT);
      s.setChannel(schema::Channel::WECHAT);
    };
  };
  // Judged at the place of the original (received inside the window), the
  // replacement is accepted even though the window has closed by now.
  b.SetDate(2025, 3, 1);
  auto fix = b.Submit(b.keys().intake, Correction(target, "标题录入错误",
                                                  replacement("城东老年食堂")));
  ASSERT_OK(fix);
  auto row = FunnelRow(b, target);
  EXPECT_EQ(row["title"], "城东老年食堂");
  EXPECT_EQ(row["corrections"], nlohmann::json({*fix}));
}

TEST(CycleCorrectionTest, ACorrectedWindowMustStillHoldTheProposalsReceived) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kProposals));  // received 6 to 15 January
  auto window = [&](int end_day) -> Fill {
    return [=](schema::Event::Builder e) {
      auto c = e.initCycleOpened();
      c.setYear(2025);
      c.setLevel(schema::Level::COUNTY);
      c.setTitle("某县2025年民生实事项目");
      c.setBudgetFen(12'000'000'000);
      c.setProjectCount(3);
      CycleBuilder::SetDay(c.initCollectionStart(), 2025, 1, 2);
      CycleBuilder::SetDay(c.initCollectionEnd(), 2025, 1, end_day);
    };
  };
  const uint64_t cycle = b.refs().cycle;
  EXPECT_TRUE(Refused(b, b.keys().office,
                      Correction(cycle, "征集截止日期录入错误", window(10)),
                      "correction.conflicts"));
  ASSERT_OK(b.Submit(b.keys().office,
                     Correction(cycle, "征集截止日期录入错误", window(20))));
  projections::ViewQuery q;
  auto cycles = projections::View(b.state(), "cycles", q);
  ASSERT_OK(cycles);
  EXPECT_EQ((*cycles)["cycles"][0]["collection"]["end"], "2025-01-20");
}

// --- issue 9, item 11: a proposal's substance is frozen once screened -------

// A replacement of the fixture's canteen proposal (entry refs().canteen) with
// its original details, then changed by `tweak`.
Fill CanteenReplacement(
    CycleBuilder& b,
    std::function<void(schema::ProposalDetails::Builder)> tweak = nullptr) {
  const uint64_t cycle = b.refs().cycle;
  const uint64_t target = b.refs().canteen;
  auto original = ledger::EntryView::Parse(*b.ledger().ReadEntry(target));
  EXPECT_TRUE(original.ok());
  auto copy = std::make_shared<capnp::MallocMessageBuilder>();
  copy->setRoot(original->event().getProposalSubmitted());
  return [=](schema::Event::Builder e) {
    auto s = e.initProposalSubmitted();
    auto from = copy->getRoot<schema::ProposalSubmitted>().asReader();
    s.setCycle(cycle);
    s.setDetails(from.getDetails());
    s.setProposerType(from.getProposerType());
    s.setProposerName(from.getProposerName());
    s.setChannel(from.getChannel());
    s.setReceiptRef(from.getReceiptRef());
    if (tweak) tweak(s.getDetails());
  };
}

TEST(ProposalFreezeTest, IntakeCannotRewriteAnElectedProjectAfterTheVote) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  const uint64_t canteen = b.refs().canteen;
  // The attack: the portal's key renames the elected canteen to another
  // project and multiplies its budget tenfold.
  auto rewrite = CanteenReplacement(b, [](auto d) {
    d.setTitle("新建城南公办幼儿园");
    d.setEstimatedInvestmentFen(d.getEstimatedInvestmentFen() * 10);
  });
  EXPECT_TRUE(Refused(b, b.keys().intake,
                      Correction(canteen, "标题录入错误", rewrite),
                      "correction.responsible_office"));
  // Not even the responsible office may change what was screened and voted.
  EXPECT_TRUE(Refused(b, b.keys().office,
                      Correction(canteen, "标题录入错误", rewrite),
                      "correction.substance_frozen"));
  for (const auto& [what, tweak] : std::vector<std::pair<
           const char*, std::function<void(schema::ProposalDetails::Builder)>>>{
           {"title", [](auto d) { d.setTitle("城东老年食堂"); }},
           {"budget",
            [](auto d) {
              d.setEstimatedInvestmentFen(d.getEstimatedInvestmentFen() + 1);
            }},
           {"category",
            [](auto d) { d.setCategory(schema::Category::HEALTH); }},
       }) {
    EXPECT_TRUE(
        Refused(b, b.keys().office,
                Correction(canteen, "勘误", CanteenReplacement(b, tweak)),
                "correction.substance_frozen"))
        << what;
  }
  // The public key cannot retract it either (it is on the list anyway).
  EXPECT_TRUE(Refused(b, b.keys().intake, Correction(canteen, "撤回"),
                      "correction.responsible_office"));
  // The recount still names the project that was voted on.
  projections::ViewQuery q;
  q.record = b.refs().round;
  auto tally = projections::View(b.state(), "tally", q);
  ASSERT_OK(tally);
  EXPECT_EQ((*tally)["rounds"][0]["recount"]["items"][0]["name"],
            "城东老年助餐食堂");
  q.record = canteen;
  auto projects = projections::View(b.state(), "projects", q);
  ASSERT_OK(projects);
  EXPECT_EQ((*projects)["projects"][0]["title"], "城东老年助餐食堂");
}

TEST(ProposalFreezeTest, SubstanceIsFrozenFromTheFirstScreeningDecision) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kProposals));
  // Before screening, the intake may still fix its own typing errors.
  ASSERT_OK(b.Submit(b.keys().intake,
                     Correction(b.refs().canteen, "标题录入错误",
                                CanteenReplacement(b, [](auto d) {
                                  d.setTitle("城东老年助餐食堂（一期）");
                                }))));
  ASSERT_OK(b.BuildThrough(Stage::kGovernmentReview));
  EXPECT_TRUE(Refused(
      b, b.keys().office,
      Correction(b.refs().canteen, "标题录入错误",
                 CanteenReplacement(
                     b, [](auto d) { d.setTitle("城东老年助餐食堂"); })),
      "correction.substance_frozen"));
  // Screening started: the intake no longer corrects it at all.
  EXPECT_TRUE(Refused(
      b, b.keys().intake,
      Correction(b.refs().canteen, "描述有误",
                 CanteenReplacement(
                     b, [](auto d) { d.setDescription("改正后的描述"); })),
      "correction.responsible_office"));
}

TEST(ProposalFreezeTest, ErrataByTheOfficeAreShownWithTheOriginal) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  const uint64_t canteen = b.refs().canteen;
  auto fix = b.Submit(b.keys().office,
                      Correction(canteen, "描述中的地址有笔误",
                                 CanteenReplacement(b, [](auto d) {
                                   d.setDescription("城东街道建设老年助餐食堂");
                                 })));
  ASSERT_OK(fix);
  const auto check = [&](const nlohmann::json& history) {
    ASSERT_EQ(history.size(), 1u) << history.dump();
    const auto& c = history[0];
    EXPECT_EQ(c["entry"], *fix);
    EXPECT_EQ(c["target"], canteen);
    EXPECT_EQ(c["kind"], "replacement");
    EXPECT_EQ(c["reason"], "描述中的地址有笔误");
    EXPECT_EQ(c["by"]["holder"], "某县发展和改革局");
    EXPECT_TRUE(c["recordedOn"].is_string());
    ASSERT_EQ(c["changes"].size(), 1u) << c.dump();
    EXPECT_EQ(c["changes"][0]["field"], "details.description");
    EXPECT_NE(c["changes"][0]["from"], c["changes"][0]["to"]);
    EXPECT_EQ(c["changes"][0]["to"], "城东街道建设老年助餐食堂");
  };
  auto row = FunnelRow(b, canteen);
  EXPECT_EQ(row["description"], "城东街道建设老年助餐食堂");
  check(row["correctionHistory"]);
  projections::ViewQuery q;
  q.cycle = b.refs().cycle;
  auto candidates = projections::View(b.state(), "candidates", q);
  ASSERT_OK(candidates);
  check((*candidates)["candidates"][0]["proposalCorrections"]);
  q.cycle.reset();
  q.record = canteen;
  auto projects = projections::View(b.state(), "projects", q);
  ASSERT_OK(projects);
  check((*projects)["projects"][0]["proposalCorrections"]);
}

// --- issue 9, item 12(d): a retraction is shown as a retraction -------------

TEST(RetractionHistoryTest, ARetractedRejectedProposalStaysInTheFunnel) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kStandingCommittee));
  const uint64_t park = b.refs().industrial_park;  // rejected at stage 1
  projections::ViewQuery q;
  q.cycle = b.refs().cycle;
  auto before = projections::View(b.state(), "funnel", q);
  ASSERT_OK(before);
  auto retraction =
      b.Submit(b.keys().office, Correction(park, "重复录入，撤回该建议"));
  ASSERT_OK(retraction);
  auto after = projections::View(b.state(), "funnel", q);
  ASSERT_OK(after);
  // The proposal and its rejection are still there, shown as retracted.
  auto row = FunnelRow(b, park);
  ASSERT_FALSE(row.is_null());
  EXPECT_EQ(row["retracted"], true);
  EXPECT_EQ(row["fate"]["status"], "retracted");
  EXPECT_EQ(row["fate"]["entry"], *retraction);
  EXPECT_EQ(row["fate"]["reason"], "重复录入，撤回该建议");
  EXPECT_EQ(row["fate"]["rejectedAt"], "governmentReview");
  EXPECT_EQ(row["fate"]["by"]["holder"], "某县发展和改革局");
  ASSERT_EQ(row["screening"].size(), 1u);
  EXPECT_EQ(row["screening"][0]["outcome"], "reject");
  // Every count stays; the retraction is counted as such.
  const auto& t0 = (*before)["totals"];
  const auto& t1 = (*after)["totals"];
  EXPECT_EQ(t1["submitted"], t0["submitted"]);
  EXPECT_EQ(t1["byStage"], t0["byStage"]);
  EXPECT_EQ(t1["byChannel"], t0["byChannel"]);
  EXPECT_EQ(t1["retracted"], 1);
  EXPECT_EQ((*after)["proposals"].size(), (*before)["proposals"].size());
  auto cycles = projections::View(b.state(), "cycles", q);
  ASSERT_OK(cycles);
  EXPECT_EQ((*cycles)["cycles"][0]["counts"]["rejected"], 3);
  EXPECT_EQ((*cycles)["cycles"][0]["counts"]["proposals"], 8);
  EXPECT_EQ((*cycles)["cycles"][0]["counts"]["retracted"], 1);
  // The rules treat it as gone: it cannot be screened or merged any more.
  EXPECT_TRUE(Refused(
      b, b.keys().office,
      Decision(park, ScreeningStage::GOVERNMENT_REVIEW,
               ScreeningOutcome::ADVANCE, ReasonCode::MEETS_CRITERIA, "x"),
      "ref.retracted"));
}

// A proposal's story renders its row alone, at the place
// projections::PlaceOfProposal gives; a retracted proposal moves to the
// cycle's retracted list but stays where it was in the funnel.
TEST(RetractionHistoryTest, ARetractedProposalIsPlacedWhereTheFunnelShowsIt) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kStandingCommittee));
  const uint64_t park = b.refs().industrial_park;
  ASSERT_OK(
      b.Submit(b.keys().office, Correction(park, "重复录入，撤回该建议")));
  projections::ViewQuery q;
  q.cycle = b.refs().cycle;
  auto funnel = projections::View(b.state(), "funnel", q);
  ASSERT_OK(funnel);
  auto cycles = projections::View(b.state(), "cycles", {});
  ASSERT_OK(cycles);
  std::optional<size_t> park_row;
  const auto& rows = (*funnel)["proposals"];
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint64_t ref = rows[i]["ref"].get<uint64_t>();
    auto place = projections::PlaceOfProposal(b.state(), ref);
    ASSERT_TRUE(place.has_value()) << ref;
    EXPECT_EQ(place->cycle, b.refs().cycle);
    EXPECT_EQ(place->funnel_index, i) << ref;
    EXPECT_EQ((*cycles)["cycles"][place->cycle_index]["ref"], b.refs().cycle);
    if (ref == park) park_row = i;
  }
  // Proposals after the retracted one are placed past it too.
  ASSERT_TRUE(park_row.has_value());
  EXPECT_LT(*park_row + 1, rows.size());
  EXPECT_FALSE(projections::PlaceOfProposal(b.state(), b.refs().cycle))
      << "a cycle is no proposal";
}

TEST(RetractionHistoryTest, ARetractedDecisionIsShownOnItsProposal) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kPartyCommittee));
  const uint64_t stadium = b.refs().stadium;
  const uint64_t decision = b.refs().screening.at(stadium)[1];
  auto retraction = b.Submit(b.keys().party, Correction(decision, "记录错误"));
  ASSERT_OK(retraction);
  auto row = FunnelRow(b, stadium);
  EXPECT_EQ(row["screening"].size(), 1u);  // the stage is undecided again
  ASSERT_EQ(row["retractedDecisions"].size(), 1u);
  const auto& r = row["retractedDecisions"][0];
  EXPECT_EQ(r["entry"], *retraction);
  EXPECT_EQ(r["target"], decision);
  EXPECT_EQ(r["targetKind"], "screeningDecided");
  EXPECT_EQ(r["kind"], "retraction");
  EXPECT_EQ(r["reason"], "记录错误");
  bool reason_shown = false;
  for (const auto& c : r["changes"]) {
    if (c["field"] == "reasonText") {
      reason_shown = true;
      EXPECT_EQ(c["from"], "投资较大，群众需求相对不迫切，列入以后年度考虑");
      EXPECT_TRUE(c["to"].is_null());
    }
  }
  EXPECT_TRUE(reason_shown) << r.dump();
  // The undecided stage keeps no reason text of the retracted decision (the
  // proposal's texts are kept beside its stages).
  EXPECT_TRUE(
      b.state().model().proposals.at(stadium).texts().reason_text[1].empty());
}

// --- issue 9, item 12(c): corrections never erase missed milestones --------

// The fixture's cycle as opened, with `schedule` (due month and day, minimum
// percent, label; the last one must be accepted) instead of the default
// schedule (none: the default), and `scope`.
using Milestones = std::vector<std::tuple<int, int, uint16_t, std::string>>;
Fill CycleWithSchedule(Milestones schedule,
                       std::string scope = "本级财政为主") {
  return [=](schema::Event::Builder e) {
    auto c = e.initCycleOpened();
    c.setYear(2025);
    c.setLevel(schema::Level::COUNTY);
    c.setTitle("某县2025年民生实事项目");
    c.setBudgetFen(12'000'000'000);
    c.setProjectCount(3);
    CycleBuilder::SetDay(c.initCollectionStart(), 2025, 1, 2);
    CycleBuilder::SetDay(c.initCollectionEnd(), 2025, 1, 31);
    c.setScope(scope);
    auto s = c.initSchedule(static_cast<unsigned>(schedule.size()));
    for (unsigned i = 0; i < schedule.size(); ++i) {
      const auto& [month, day, bp, label] = schedule[i];
      CycleBuilder::SetDay(s[i].initDue(), 2025, month, day);
      s[i].setMinPercentBp(bp);
      s[i].setMustStart(i == 0 && bp == 0);
      s[i].setMustBeAccepted(i + 1 == schedule.size());
      s[i].setLabel(label);
    }
  };
}

// The default schedule (RULES.md), written out.
const char* const kStart = "substantive start (实质性开工)";
const char* const kHalf = "at least 50% (过半)";
const char* const kThreeQuarters = "at least 75%";
const char* const kAccepted = "completed and accepted (完工验收)";

TEST(CycleCorrectionTest,
     AScheduleCorrectedAfterTheYearCannotEraseMissedMilestones) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  b.SetDate(2026, 1, 10);
  // The barriers project missed "50% by 31 July" (40%). A schedule that
  // moves it to 31 August, where the project had 60%, would erase the miss.
  EXPECT_TRUE(
      Refused(b, b.keys().office,
              Correction(b.refs().cycle, "进度节点录入错误",
                         CycleWithSchedule({{6, 15, 0, kStart},
                                            {8, 31, 5000, kHalf},
                                            {10, 31, 7500, kThreeQuarters},
                                            {12, 31, 10000, kAccepted}})),
              "correction.schedule_history"));
  // Dropping the milestone is refused too.
  EXPECT_TRUE(
      Refused(b, b.keys().office,
              Correction(b.refs().cycle, "取消节点",
                         CycleWithSchedule({{6, 15, 0, kStart},
                                            {10, 31, 7500, kThreeQuarters},
                                            {12, 31, 10000, kAccepted}})),
              "correction.schedule_history"));
  // A correction that keeps every milestone already due is accepted.
  ASSERT_OK(
      b.Submit(b.keys().office,
               Correction(b.refs().cycle, "范围表述修正",
                          CycleWithSchedule({{6, 15, 0, kStart},
                                             {7, 31, 5000, kHalf},
                                             {10, 31, 7500, kThreeQuarters},
                                             {12, 31, 10000, kAccepted}},
                                            "本级财政为主、普惠性"))));
  projections::ViewQuery q;
  q.record = b.refs().barriers;
  auto v = projections::View(b.state(), "projects", q);
  ASSERT_OK(v);
  EXPECT_EQ((*v)["projects"][0]["milestones"][1]["status"], "missed");
}

TEST(CycleCorrectionTest, MilestonesNotYetDueMayStillBeCorrected) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kPlanned));  // 5 March
  ASSERT_OK(b.Submit(b.keys().office,
                     Correction(b.refs().cycle, "按县政府通知调整节点",
                                CycleWithSchedule({{6, 30, 0, "开工"},
                                                   {8, 15, 5000, "过半"},
                                                   {11, 30, 10000, "验收"}}))));
  projections::ViewQuery q;
  auto cycles = projections::View(b.state(), "cycles", q);
  ASSERT_OK(cycles);
  EXPECT_EQ((*cycles)["cycles"][0]["schedule"][1]["due"], "2025-08-15");
}

}  // namespace
}  // namespace piaojue::testing
