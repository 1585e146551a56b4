// The fixture itself: the whole cycle goes through the real rules, and the
// state it leaves is the one its comment promises.
#include "tests/cycle_builder.h"

#include <gtest/gtest.h>

#include "projections/state.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;

TEST(CycleBuilderTest, BuildsTheWholeCycleThroughTheRules) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  EXPECT_EQ(b.stage(), Stage::kAll);
  EXPECT_EQ(b.state().size(), b.size());
  const auto& r = b.refs();
  EXPECT_EQ(r.projects,
            (std::vector<uint64_t>{r.canteen, r.kindergarten, r.barriers}));
  EXPECT_EQ(r.boxes.size(), 2u);
  EXPECT_EQ(r.ballots.size(), 2u);  // each box in one part (as full as can be)
  EXPECT_GT(r.rectification_report, r.rectification);
}

TEST(CycleBuilderTest, RecordedTimesWalkThroughTheYearInCst) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  auto first = ledger::EntryView::Parse(*b.ledger().ReadEntry(0));
  auto last = ledger::EntryView::Parse(*b.ledger().ReadEntry(b.size() - 1));
  ASSERT_OK(first);
  ASSERT_OK(last);
  EXPECT_EQ(projections::DateFromMs(first->recorded_at_ms()),
            (projections::Date{2025, 1, 1}));
  EXPECT_EQ(projections::DateFromMs(last->recorded_at_ms()),
            (projections::Date{2025, 12, 31}));
}

TEST(CycleBuilderTest, StopsAtAnyStage) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kCandidateList));
  EXPECT_EQ(b.stage(), Stage::kCandidateList);
  EXPECT_EQ(b.refs().vote, 0u);
  const uint64_t size = b.size();
  ASSERT_OK(b.BuildThrough(Stage::kVotingRules));
  EXPECT_EQ(b.size(), size + 1);
  EXPECT_EQ(b.refs().vote, size);
}

TEST(CycleBuilderTest, ReopenKeepsAppending) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  ASSERT_OK(b.Reopen());
  ASSERT_OK(b.BuildThrough(Stage::kPlanned));
  EXPECT_EQ(b.state().size(), b.size());
}

}  // namespace
}  // namespace piaojue::testing
