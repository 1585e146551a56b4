// Supervision and evaluation rules: plans, monthly progress with evidence
// hashes, inspections, notices, force-majeure adjustments, acceptance,
// evaluation scores, rectification orders and their follow-up, the "回头看"
// review. See docs/RULES.md, "Supervision" and "Evaluation".
#include <gtest/gtest.h>

#include "projections/state.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;
using D = CycleBuilder;

Fill Plan(uint64_t project,
          std::function<void(schema::ImplementationPlanned::Builder)> tweak =
              nullptr) {
  return [=](schema::Event::Builder e) {
    auto p = e.initImplementationPlanned();
    p.setProject(project);
    p.setAgency("某县住建局");
    p.setBudgetFen(100'00);
    if (tweak) tweak(p);
  };
}

Fill Progress(
    uint64_t project, int month, int day, uint16_t bp,
    std::function<void(schema::ProgressReported::Builder)> tweak = nullptr) {
  return [=](schema::Event::Builder e) {
    auto p = e.initProgressReported();
    p.setProject(project);
    D::SetDay(p.initAsOf(), 2025, month, day);
    p.setPercentBp(bp);
    p.setStarted(bp > 0);
    if (tweak) tweak(p);
  };
}

Fill Adjustment(uint64_t project, schema::AdjustmentKind kind,
                std::string force_majeure, std::string legal_basis) {
  return [=](schema::Event::Builder e) {
    auto a = e.initAdjustmentDecided();
    a.setProject(project);
    a.setKind(kind);
    a.setForceMajeure(force_majeure);
    a.setLegalBasis(legal_basis);
    a.setDecision("调整完成时间");
  };
}

Fill Acceptance(uint64_t project, int month, int day, bool passed = true) {
  return [=](schema::Event::Builder e) {
    auto a = e.initAcceptanceRecorded();
    a.setProject(project);
    D::SetDay(a.initAcceptedOn(), 2025, month, day);
    a.setPassed(passed);
  };
}

Fill Order(uint64_t project, int deadline_month) {
  return [=](schema::Event::Builder e) {
    auto o = e.initRectificationOrdered();
    o.setProject(project);
    D::SetDay(o.initOrderedOn(), 2025, 12, 30);
    D::SetDay(o.initDeadline(), deadline_month < 12 ? 2026 : 2025,
              deadline_month, 1);
    o.setRequirements("整改");
  };
}

Fill Report(uint64_t order, bool completed) {
  return [=](schema::Event::Builder e) {
    auto r = e.initRectificationReported();
    r.setOrder(order);
    r.setCompleted(completed);
    r.setText(completed ? "已完成" : "推进中");
  };
}

class SupervisionRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kResultAnnounced)); }
  const CycleKeys& keys() { return b_.keys(); }
  const CycleRefs& refs() { return b_.refs(); }

  CycleBuilder b_;
};

// --- plans -------------------------------------------------------------------

TEST_F(SupervisionRulesTest, OnlyElectedProjectsArePlanned) {
  EXPECT_TRUE(Refused(b_, keys().agency, Plan(refs().lights),
                      "supervision.not_elected"));
  EXPECT_TRUE(Refused(b_, keys().agency, Plan(refs().cycle), "ref.wrong_kind"));
  ASSERT_OK(b_.Submit(keys().agency, Plan(refs().canteen)));
  EXPECT_TRUE(Refused(b_, keys().agency, Plan(refs().canteen),
                      "supervision.planned_twice"));
}

TEST_F(SupervisionRulesTest, PlanNeedsAnAgencyAndSaneFigures) {
  const uint64_t p = refs().canteen;
  EXPECT_TRUE(Malformed(b_, keys().agency,
                        Plan(p, [](auto pl) { pl.setAgency(""); }),
                        "plan.fields"));
  EXPECT_TRUE(Malformed(b_, keys().agency,
                        Plan(p, [](auto pl) { pl.setBudgetFen(-1); }),
                        "plan.fields"));
  EXPECT_TRUE(Malformed(b_, keys().agency,
                        Plan(p,
                             [](auto pl) {
                               auto ms = pl.initMilestones(1);
                               D::SetDay(ms[0].initDue(), 2025, 6, 31);
                             }),
                        "plan.fields"));
  EXPECT_TRUE(Malformed(b_, keys().agency,
                        Plan(p,
                             [](auto pl) {
                               auto ms = pl.initMilestones(1);
                               D::SetDay(ms[0].initDue(), 2025, 6, 30);
                               ms[0].setPercentBp(10001);
                             }),
                        "plan.fields"));
}

// --- progress ----------------------------------------------------------------

class ProgressRulesTest : public SupervisionRulesTest {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kPlanned)); }
};

TEST_F(ProgressRulesTest, ProgressNeedsAPlan) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  b.SetDate(2025, 4, 3);
  EXPECT_TRUE(Refused(b, b.keys().agency, Progress(b.refs().canteen, 3, 31, 0),
                      "supervision.not_planned"));
}

TEST_F(ProgressRulesTest, ProgressFiguresAreChecked) {
  b_.SetDate(2025, 4, 3);
  const uint64_t p = refs().canteen;
  EXPECT_TRUE(Malformed(b_, keys().agency, Progress(p, 3, 31, 10001),
                        "supervision.percent_range"));
  EXPECT_TRUE(
      Malformed(b_, keys().agency,
                Progress(p, 3, 31, 100, [](auto r) { r.setSpentFen(-5); }),
                "supervision.spent_negative"));
  EXPECT_TRUE(Malformed(b_, keys().agency,
                        Progress(p, 3, 31, 100, [](auto r) { r.initAsOf(); }),
                        "supervision.as_of"));
  ASSERT_OK(b_.Submit(keys().agency, Progress(p, 3, 31, 10000)));
}

TEST_F(ProgressRulesTest, EvidenceIsPinnedBySha256) {
  b_.SetDate(2025, 4, 3);
  const uint64_t p = refs().canteen;
  auto with_hash = [&](size_t bytes) {
    return Progress(p, 3, 31, 500, [=](auto r) {
      auto ev = r.initEvidence(1);
      std::string hash(bytes, '\x5a');
      ev[0].setSha256(capnp::Data::Reader(
          reinterpret_cast<const uint8_t*>(hash.data()), hash.size()));
      ev[0].setName("照片.jpg");
    });
  };
  EXPECT_TRUE(
      Malformed(b_, keys().agency, with_hash(20), "supervision.evidence_hash"));
  EXPECT_TRUE(
      Malformed(b_, keys().agency, with_hash(0), "supervision.evidence_hash"));
  ASSERT_OK(b_.Submit(keys().agency, with_hash(32)));
}

TEST_F(ProgressRulesTest, ReportsMoveForwardInTime) {
  b_.SetDate(2025, 5, 3);
  const uint64_t p = refs().canteen;
  ASSERT_OK(b_.Submit(keys().agency, Progress(p, 4, 30, 1000)));
  EXPECT_TRUE(Refused(b_, keys().agency, Progress(p, 4, 30, 1200),
                      "supervision.backdated"));
  EXPECT_TRUE(Refused(b_, keys().agency, Progress(p, 3, 31, 1200),
                      "supervision.backdated"));
}

TEST_F(ProgressRulesTest, ProgressIsNotReportedAsOfAFutureDay) {
  // Recorded on 3 May: a report "as of 31 May" describes a day that has not
  // come yet.
  b_.SetDate(2025, 5, 3);
  const uint64_t p = refs().canteen;
  EXPECT_TRUE(Refused(b_, keys().agency, Progress(p, 5, 31, 3000),
                      "supervision.as_of_future"));
  ASSERT_OK(b_.Submit(keys().agency, Progress(p, 5, 3, 3000)));
}

TEST_F(ProgressRulesTest, OnlyACorrectionLowersReportedProgress) {
  b_.SetDate(2025, 6, 3);
  const uint64_t p = refs().canteen;
  auto may = b_.Submit(keys().agency, Progress(p, 5, 31, 3000));
  ASSERT_OK(may);
  b_.SetDate(2025, 7, 3);
  EXPECT_TRUE(Refused(b_, keys().agency, Progress(p, 6, 30, 2000),
                      "supervision.percent_decreased"));
  ASSERT_OK(b_.Submit(keys().agency, Correction(*may, "5月进度多报",
                                                Progress(p, 5, 31, 1500))));
  ASSERT_OK(b_.Submit(keys().agency, Progress(p, 6, 30, 2000)));
}

TEST_F(ProgressRulesTest, OnlyTheImplementingAgencyReportsProgress) {
  b_.SetDate(2025, 4, 3);
  auto r = b_.Submit(keys().office, Progress(refs().canteen, 3, 31, 500));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

// --- inspections and notices
// -----------------------------------------------------

TEST_F(ProgressRulesTest, InspectionsNameProjectsOnce) {
  auto inspect = [&](std::vector<uint64_t> projects) -> Fill {
    return [=](schema::Event::Builder e) {
      auto in = e.initInspectionRecorded();
      auto l = in.initProjects(static_cast<unsigned>(projects.size()));
      for (unsigned i = 0; i < projects.size(); ++i) l.set(i, projects[i]);
      in.setGroup("视察组");
    };
  };
  EXPECT_TRUE(Malformed(b_, keys().inspection, inspect({}),
                        "supervision.inspection_projects"));
  EXPECT_TRUE(Malformed(b_, keys().inspection,
                        inspect({refs().canteen, refs().canteen}),
                        "supervision.inspection_projects"));
  EXPECT_TRUE(Refused(b_, keys().inspection,
                      inspect({refs().canteen, refs().clinic}),
                      "supervision.not_elected"));
  ASSERT_OK(
      b_.Submit(keys().inspection, inspect({refs().canteen, refs().barriers})));
}

TEST_F(ProgressRulesTest, NoticeIsDueAfterItIsIssued) {
  auto notice = [&](int due_month, int due_day) -> Fill {
    return [=, this](schema::Event::Builder e) {
      auto n = e.initSupervisionNoticeIssued();
      n.setProject(refs().barriers);
      D::SetDay(n.initIssuedOn(), 2025, 8, 12);
      D::SetDay(n.initDueBy(), 2025, due_month, due_day);
      n.setText("督办");
    };
  };
  EXPECT_TRUE(
      Malformed(b_, keys().standing, notice(8, 11), "supervision.notice_due"));
  EXPECT_TRUE(
      Malformed(b_, keys().standing, notice(0, 0), "supervision.fields"));
  ASSERT_OK(b_.Submit(keys().standing, notice(8, 12)));
}

// --- adjustments
// ----------------------------------------------------------------

TEST_F(ProgressRulesTest, AdjustmentNamesForceMajeureAndLegalBasis) {
  const uint64_t p = refs().barriers;
  using K = schema::AdjustmentKind;
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Adjustment(p, K::ADJUST, "", "《监督法》"),
                      "supervision.force_majeure_required"));
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Adjustment(p, K::ADJUST, "特大暴雨冲毁路基", ""),
                      "supervision.force_majeure_required"));
  EXPECT_TRUE(Malformed(b_, keys().standing,
                        Adjustment(p, K::UNSPECIFIED, "暴雨", "依据"),
                        "supervision.adjustment_kind"));
  ASSERT_OK(
      b_.Submit(keys().standing, Adjustment(p, K::ADJUST, "特大暴雨冲毁路基",
                                            "县人大常委会第十次会议决定")));
}

TEST_F(ProgressRulesTest, AnAdjustedBudgetIsNonNegativeFen) {
  auto adjust = [&](int64_t fen) -> Fill {
    return [=, this](schema::Event::Builder e) {
      Adjustment(refs().barriers, schema::AdjustmentKind::ADJUST, "暴雨",
                 "常委会决定")(e);
      e.getAdjustmentDecided().setNewBudgetFen(fen);
    };
  };
  EXPECT_TRUE(
      Malformed(b_, keys().standing, adjust(-100), "supervision.fields"));
  ASSERT_OK(b_.Submit(keys().standing, adjust(250'000'00)));
}

TEST_F(ProgressRulesTest, OnlyTheStandingCommitteeAdjustsAVotedProject) {
  auto r = b_.Submit(keys().office,
                     Adjustment(refs().barriers, schema::AdjustmentKind::ADJUST,
                                "暴雨", "政府常务会议"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(ProgressRulesTest, ATerminatedProjectTakesNoFurtherRecords) {
  const uint64_t p = refs().barriers;
  ASSERT_OK(b_.Submit(keys().standing,
                      Adjustment(p, schema::AdjustmentKind::TERMINATE,
                                 "地质灾害", "常委会决定")));
  b_.SetDate(2025, 4, 3);
  EXPECT_TRUE(Refused(b_, keys().agency, Progress(p, 3, 31, 500),
                      "supervision.terminated"));
  EXPECT_TRUE(Refused(b_, keys().office, Acceptance(p, 4, 3),
                      "supervision.terminated"));
  EXPECT_TRUE(Refused(b_, keys().standing,
                      Adjustment(p, schema::AdjustmentKind::ADJUST, "x", "y"),
                      "supervision.terminated"));
}

// --- acceptance, evaluation, rectification, review
// -------------------------------

TEST_F(ProgressRulesTest, AcceptanceNeedsADateAndAPlan) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  EXPECT_TRUE(Refused(b, b.keys().office, Acceptance(b.refs().canteen, 3, 1),
                      "supervision.not_planned"));
  EXPECT_TRUE(Malformed(b_, keys().office, Acceptance(refs().canteen, 0, 0),
                        "supervision.fields"));
  b_.SetDate(2025, 3, 6);
  ASSERT_OK(b_.Submit(keys().agency, Progress(refs().canteen, 3, 6, 10000)));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 3, 6)));
}

TEST_F(ProgressRulesTest, AcceptanceIsNotDatedInTheFuture) {
  // Recorded on 5 March (the plans' day).
  ASSERT_OK(b_.Submit(keys().agency, Progress(refs().canteen, 3, 5, 10000)));
  EXPECT_TRUE(Refused(b_, keys().office, Acceptance(refs().canteen, 12, 20),
                      "supervision.acceptance_future"));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 3, 5)));
}

// Issue 10, item 4: nothing is accepted that nobody reported working on.
TEST_F(ProgressRulesTest, AcceptanceFollowsAProgressReport) {
  b_.SetDate(2025, 3, 6);
  EXPECT_TRUE(Refused(b_, keys().office, Acceptance(refs().canteen, 3, 6),
                      "supervision.acceptance_no_progress"));
  EXPECT_TRUE(Refused(b_, keys().office,
                      Acceptance(refs().canteen, 3, 6, false),
                      "supervision.acceptance_no_progress"));
  ASSERT_OK(b_.Submit(keys().agency, Progress(refs().canteen, 3, 6, 10000)));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 3, 6)));
}

// Issue 10, item 4: a project passes acceptance once; a failed acceptance
// may be followed by another.
TEST_F(ProgressRulesTest, AProjectIsAcceptedOnce) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kAccepted));
  b.SetDate(2025, 12, 28);
  for (bool passed : {true, false}) {
    EXPECT_TRUE(Refused(b, b.keys().office,
                        Acceptance(b.refs().canteen, 12, 28, passed),
                        "supervision.accepted_twice"));
  }
  b_.SetDate(2025, 4, 3);
  ASSERT_OK(b_.Submit(keys().agency, Progress(refs().canteen, 3, 31, 10000)));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 4, 3, false)));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 4, 3, true)));
  EXPECT_TRUE(Refused(b_, keys().office, Acceptance(refs().canteen, 4, 3),
                      "supervision.accepted_twice"));
}

TEST_F(ProgressRulesTest, EvaluationScoresRunFrom0To100) {
  auto score = [&](uint16_t overall) -> Fill {
    return [=, this](schema::Event::Builder e) {
      auto s = e.initEvaluationScored();
      s.setProject(refs().canteen);
      s.setCostScore(80);
      s.setBenefitScore(90);
      s.setOverallScore(overall);
    };
  };
  EXPECT_TRUE(
      Malformed(b_, keys().evaluation, score(101), "evaluation.scores"));
  ASSERT_OK(b_.Submit(keys().evaluation, score(100)));
  EXPECT_TRUE(Refused(
      b_, keys().evaluation,
      [&](schema::Event::Builder e) {
        score(50)(e);
        e.getEvaluationScored().setProject(refs().lights);
      },
      "supervision.not_elected"));
}

TEST_F(ProgressRulesTest, RectificationHasADeadlineAndClosesOnce) {
  const uint64_t p = refs().barriers;
  EXPECT_TRUE(Malformed(b_, keys().standing, Order(p, 12),  // 2025-12-01
                        "rectification.deadline"));
  EXPECT_TRUE(Malformed(
      b_, keys().standing,
      [&](schema::Event::Builder e) {
        Order(p, 3)(e);
        e.getRectificationOrdered().initDeadline();
      },
      "rectification.fields"));
  auto order = b_.Submit(keys().standing, Order(p, 3));
  ASSERT_OK(order);
  ASSERT_OK(b_.Submit(keys().agency, Report(*order, false)));
  ASSERT_OK(b_.Submit(keys().agency, Report(*order, true)));
  EXPECT_TRUE(Refused(b_, keys().agency, Report(*order, false),
                      "rectification.closed"));
  EXPECT_TRUE(Refused(b_, keys().agency, Report(p, false), "ref.wrong_kind"));
}

TEST_F(ProgressRulesTest, OperationIsReviewedOnlyAfterAcceptance) {
  auto review = [&]() -> Fill {
    return [=, this](schema::Event::Builder e) {
      auto r = e.initOperationReviewed();
      r.setProject(refs().canteen);
      r.setText("运营良好");
    };
  };
  EXPECT_TRUE(Refused(b_, keys().office, review(), "operation.not_accepted"));
  b_.SetDate(2025, 3, 7);
  ASSERT_OK(b_.Submit(keys().agency, Progress(refs().canteen, 3, 6, 10000)));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 3, 6, false)));
  EXPECT_TRUE(Refused(b_, keys().office, review(), "operation.not_accepted"));
  ASSERT_OK(b_.Submit(keys().office, Acceptance(refs().canteen, 3, 7, true)));
  ASSERT_OK(b_.Submit(keys().office, review()));
}

}  // namespace
}  // namespace piaojue::testing
