// Ballot boxes, ballots, the certified tally and the announced result. See
// docs/RULES.md, "Vote" and "The recount".
#include <gtest/gtest.h>

#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;

Fill Seal(uint64_t round, std::string label,
          std::vector<std::string> monitors = {"监票人甲"}) {
  return [=](schema::Event::Builder e) {
    auto s = e.initBallotBoxSealed();
    s.setRound(round);
    s.setLabel(label);
    auto m = s.initMonitors(static_cast<unsigned>(monitors.size()));
    for (unsigned i = 0; i < monitors.size(); ++i) m.set(i, monitors[i]);
  };
}

Fill Open(uint64_t box, uint32_t issued, uint32_t collected) {
  return [=](schema::Event::Builder e) {
    auto o = e.initBallotBoxOpened();
    o.setBox(box);
    o.setIssued(issued);
    o.setCollected(collected);
  };
}

Fill Ballots(uint64_t box, std::string marks, uint16_t part = 1,
             uint16_t parts = 1, uint16_t item_count = 4,
             uint32_t unreadable = 0) {
  return [=](schema::Event::Builder e) {
    auto b = e.initBallotsRecorded();
    b.setBox(box);
    b.setPart(part);
    b.setPartCount(parts);
    b.setItemCount(item_count);
    b.setMarks(capnp::Data::Reader(
        reinterpret_cast<const uint8_t*>(marks.data()), marks.size()));
    b.setUnreadable(unreadable);
  };
}

// A certified tally built from the fixture's own count of the selection
// boxes, then changed by `tweak`.
Fill Tally(CycleBuilder& b,
           std::function<void(schema::TallyCertified::Builder)> tweak) {
  const auto& r = b.refs();
  const PlannedCount c =
      CountPlannedBoxes(b.selection_boxes, r.candidates.size(), false, 3);
  return [=](schema::Event::Builder e) {
    auto t = e.initTallyCertified();
    t.setRound(r.round);
    t.setIssued(c.issued);
    t.setCollected(c.collected);
    t.setValid(c.valid);
    t.setInvalid(c.invalid);
    auto list = t.initItems(static_cast<unsigned>(r.candidates.size()));
    for (unsigned i = 0; i < r.candidates.size(); ++i) {
      list[i].setItem(r.candidates[i]);
      list[i].setApprove(c.marks[i][0]);
      list[i].setOppose(c.marks[i][1]);
      list[i].setAbstain(c.marks[i][2]);
    }
    if (tweak) tweak(t);
  };
}

Fill Result(uint64_t round, std::vector<uint64_t> elected,
            std::vector<uint64_t> tied = {}, uint16_t vacant = 0) {
  return [=](schema::Event::Builder e) {
    auto a = e.initResultAnnounced();
    a.setRound(round);
    auto el = a.initElected(static_cast<unsigned>(elected.size()));
    for (unsigned i = 0; i < elected.size(); ++i) el.set(i, elected[i]);
    auto ti = a.initTiedAtCutoff(static_cast<unsigned>(tied.size()));
    for (unsigned i = 0; i < tied.size(); ++i) ti.set(i, tied[i]);
    a.setVacantSeats(vacant);
  };
}

std::string Marks(std::initializer_list<const char*> ballots) {
  BoxPlan plan;
  for (const char* b : ballots) plan.ballots.push_back({b, 1});
  return BallotBytes(plan);
}

class BallotRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kRoundOpened)); }
  const CycleKeys& keys() { return b_.keys(); }
  const CycleRefs& refs() { return b_.refs(); }

  CycleBuilder b_;
};

// --- sealing and opening boxes
// ------------------------------------------------

TEST_F(BallotRulesTest, ABoxIsSealedBeforeNamedMonitors) {
  EXPECT_TRUE(
      Malformed(b_, keys().monitor, Seal(refs().round, ""), "box.fields"));
  EXPECT_TRUE(Malformed(b_, keys().monitor, Seal(refs().round, "票箱", {}),
                        "box.monitors"));
  EXPECT_TRUE(Malformed(b_, keys().monitor, Seal(refs().round, "票箱", {""}),
                        "box.monitors"));
  ASSERT_OK(b_.Submit(keys().monitor, Seal(refs().round, "票箱")));
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Seal(refs().round, "票箱"), "box.label"));
}

TEST_F(BallotRulesTest, BallotsGoIntoASealedBoxOfARound) {
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Seal(refs().vote, "票箱"), "ref.wrong_kind"));
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Open(refs().round, 1, 1), "ref.wrong_kind"));
  EXPECT_TRUE(
      Refused(b_, keys().teller, Ballots(refs().round, ""), "ref.wrong_kind"));
}

TEST_F(BallotRulesTest, ABoxIsOpenedOnce) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  EXPECT_TRUE(Refused(b_, keys().monitor, Open(refs().boxes[0], 14, 14),
                      "box.opened_twice"));
}

TEST_F(BallotRulesTest, NoMoreBallotsIssuedThanDeputiesPresent) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesSealed));
  ASSERT_OK(b_.Submit(keys().monitor, Open(refs().boxes[0], 14, 14)));
  // 27 present: 14 + 14 = 28 is one too many.
  EXPECT_TRUE(Refused(b_, keys().monitor, Open(refs().boxes[1], 14, 14),
                      "box.issued_exceeds_present"));
  ASSERT_OK(b_.Submit(keys().monitor, Open(refs().boxes[1], 13, 13)));
}

TEST_F(BallotRulesTest, EveryBoxIsSealedBeforeCountingStarts) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  ASSERT_OK(b_.RecordBox(refs().boxes[0], b_.selection_boxes[0]));
  EXPECT_TRUE(Refused(b_, keys().monitor, Seal(refs().round, "第3票箱"),
                      "box.round_closed"));
}

// Issue 9, item 13: a box of a few ballots could be linked to the few
// deputies who voted there; it is merged into another before counting.
TEST_F(BallotRulesTest, ASmallBoxIsMergedBeforeItIsOpened) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesSealed));
  auto small = b_.Submit(keys().monitor, Seal(refs().round, "流动票箱"));
  ASSERT_OK(small);
  // 9 ballots, fewer than the default minimum of 10 per box.
  EXPECT_TRUE(Refused(b_, keys().monitor, Open(*small, 9, 9), "box.too_small"));
  // Merged: the monitors pour its ballots into box 1 before opening, and
  // the separate box is retracted with the reason.
  ASSERT_OK(
      b_.Submit(keys().monitor,
                Correction(*small, "流动票箱仅9张选票，开箱前并入第1票箱")));
  ASSERT_OK(b_.Submit(keys().monitor, Open(refs().boxes[0], 14, 14)));
  // Once a box is opened, the round's boxes are fixed.
  EXPECT_TRUE(Refused(b_, keys().monitor, Seal(refs().round, "补充票箱"),
                      "box.round_closed"));
}

TEST_F(BallotRulesTest, TheRoundsOnlyBoxMayHoldFewerBallots) {
  ASSERT_OK(b_.BuildThrough(Stage::kEvaluated));
  const auto& r = refs();
  auto vote = b_.Submit(keys().standing, [&](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(r.cycle);
    v.setPurpose(schema::VotePurpose::SATISFACTION);
    v.setEntitledDeputies(8);
    auto items = v.initItems(3);
    for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
  });
  ASSERT_OK(vote);
  auto round = b_.Submit(keys().secretariat, [&](schema::Event::Builder e) {
    auto o = e.initRoundOpened();
    o.setVote(*vote);
    o.setRound(1);
    auto items = o.initItems(3);
    for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
    o.setPresentDeputies(7);
  });
  ASSERT_OK(round);
  auto box = b_.SealBox(*round, "主席团票箱");
  ASSERT_OK(box);
  ASSERT_OK(b_.Submit(keys().monitor, Open(*box, 7, 7)));
}

// --- recording ballots -------------------------------------------------------

TEST_F(BallotRulesTest, BallotsNeedAnOpenedBox) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesSealed));
  EXPECT_TRUE(Refused(b_, keys().teller,
                      Ballots(refs().boxes[0], Marks({"AAAO"})),
                      "ballots.box_not_opened"));
}

TEST_F(BallotRulesTest, BallotsHaveOneMarkPerItemAndNoOrder) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  const uint64_t box = refs().boxes[0];
  EXPECT_TRUE(Refused(b_, keys().teller,
                      Ballots(box, std::string("\1\1\1", 3), 1, 1, 3),
                      "ballots.item_count"));
  EXPECT_TRUE(Malformed(b_, keys().teller,
                        Ballots(box, std::string("\1\1\1\2\1", 5), 1, 2),
                        "ballots.marks_length"));
  // Descending order could reveal the order ballots were cast in.
  const std::string sorted = Marks({"AAAO", "OAAA"});
  const std::string reversed = sorted.substr(4) + sorted.substr(0, 4);
  EXPECT_TRUE(Malformed(b_, keys().teller, Ballots(box, reversed, 1, 2),
                        "ballots.order"));
  ASSERT_OK(b_.RecordBox(box, b_.selection_boxes[0]));
}

// Issue 9, item 13: a box recorded one ballot per part (or in half-empty
// parts) narrows down who cast each ballot; parts are as full as they can be.
TEST_F(BallotRulesTest, ABoxIsNotSplitIntoSmallParts) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  const uint64_t box = refs().boxes[0];  // 14 ballots: one part holds them
  const std::string all = BallotBytes(b_.selection_boxes[0]);
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box, all.substr(0, 4), 1, 14),
                      "ballots.parts_full"));
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box, all.substr(0, 28), 1, 2),
                      "ballots.parts_full"));
  BoxPlan per_ballot = b_.selection_boxes[0];
  per_ballot.parts = 14;
  auto r = b_.RecordBox(box, per_ballot);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rule ballots.parts_full"),
            std::string::npos);
  ASSERT_OK(b_.Submit(keys().teller, Ballots(box, all)));
}

// A round of 20,000 deputies, so that a box needs more than one part: a full
// part holds 60,000 / 4 = 15,000 ballots of 4 marks.
class LargeBoxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    b_.entitled_deputies = 20'000;
    b_.present_deputies = 19'000;
    b_.selection_boxes = {
        BoxPlan{"大票箱", 15'002, 15'002, {{"AAAO", 15'001}}, 1, 1},
        BoxPlan{"第2票箱", 13, 13, {{"AAOA", 13}}, 0, 1},
    };
    ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
    box_ = b_.refs().boxes[0];
  }
  static std::string Many(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out += Marks({"AAAO"});
    return out;
  }
  const CycleKeys& keys() { return b_.keys(); }

  CycleBuilder b_;
  uint64_t box_ = 0;
};

TEST_F(LargeBoxTest, EveryPartButTheLastIsFullToTheEntryLimit) {
  EXPECT_EQ(projections::BallotsPerPart(4), 15'000u);
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(14'999), 1, 2),
                      "ballots.parts_full"));
  // More than a part holds, though the entry would still fit.
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(15'001), 1, 1),
                      "ballots.parts_full"));
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(7'501), 1, 2),
                      "ballots.parts_full"));
  ASSERT_OK(b_.Submit(keys().teller, Ballots(box_, Many(15'000), 1, 2)));
  // The last part holds the rest, and at least one ballot.
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, "", 2, 2, 4, 2),
                      "ballots.parts_full"));
  ASSERT_OK(b_.Submit(keys().teller, Ballots(box_, Many(1), 2, 2, 4, 1)));
  // The fixture records the same way on its own.
  ASSERT_OK(b_.RecordBox(b_.refs().boxes[1], b_.selection_boxes[1]));
}

TEST_F(LargeBoxTest, PartsAreRecordedInOrderAndAddUpToTheBox) {
  const std::string full = Many(15'000);
  EXPECT_TRUE(
      Malformed(b_, keys().teller, Ballots(box_, full, 0, 2), "ballots.parts"));
  EXPECT_TRUE(
      Malformed(b_, keys().teller, Ballots(box_, full, 3, 2), "ballots.parts"));
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(1), 2, 2),
                      "ballots.parts"));
  ASSERT_OK(b_.Submit(keys().teller, Ballots(box_, full, 1, 2)));
  EXPECT_TRUE(
      Refused(b_, keys().teller, Ballots(box_, full, 1, 2), "ballots.parts"));
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(1), 2, 3),
                      "ballots.parts"));
  // The last part must bring the box to exactly its 15,002 collected.
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(1), 2, 2),
                      "ballots.count"));
  EXPECT_TRUE(Refused(b_, keys().teller, Ballots(box_, Many(2), 2, 2, 4, 1),
                      "ballots.count"));
  // 15,000 + 1 ballot + 1 unreadable = 15,002.
  ASSERT_OK(b_.Submit(keys().teller, Ballots(box_, Many(1), 2, 2, 4, 1)));
}

// --- the certified tally
// ------------------------------------------------------

// RULES.md, ballots.order: each part is sorted on its own; no order is
// required across the parts of a box. Part 1 is full (15,000 ballots of 4
// items, the most one entry holds), part 2 holds ballots that sort before
// part 1's.
TEST(BallotOrderTest, EachPartIsSortedOnItsOwn) {
  CycleBuilder b;
  b.entitled_deputies = 15100;
  b.present_deputies = 15027;
  b.selection_boxes = {
      BoxPlan{"第1票箱", 15014, 15014, {{"AAOA", 15000}, {"AAAO", 14}}},
      BoxPlan{"第2票箱", 13, 13, {{"AAAO", 13}}},
  };
  ASSERT_OK(b.BuildThrough(Stage::kBoxesOpened));
  const auto& r = b.refs();
  std::string later, earlier;
  for (int i = 0; i < 15000; ++i) later += std::string("\1\1\2\1", 4);
  for (int i = 0; i < 14; ++i) earlier += std::string("\1\1\1\2", 4);
  ASSERT_LT(earlier.substr(0, 4), later.substr(later.size() - 4));
  ASSERT_OK(b.Submit(b.keys().teller, Ballots(r.boxes[0], later, 1, 2)));
  ASSERT_OK(b.Submit(b.keys().teller, Ballots(r.boxes[0], earlier, 2, 2)));
  ASSERT_OK(b.RecordBox(r.boxes[1], b.selection_boxes[1]));
  ASSERT_OK(b.CertifyTally());
  auto recount = b.state().Recount(r.round);
  ASSERT_OK(recount);
  EXPECT_EQ(recount->count.valid, 15027u);
}

TEST_F(BallotRulesTest, TallyWaitsForEveryBoxToBeRecorded) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Tally(b_, nullptr), "vote.tally_incomplete"));
  ASSERT_OK(b_.RecordBox(refs().boxes[0], b_.selection_boxes[0]));
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Tally(b_, nullptr), "vote.tally_incomplete"));
}

TEST_F(BallotRulesTest, TallyOfARoundWithoutBoxesIsRefused) {
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Tally(b_, nullptr), "vote.tally_incomplete"));
}

TEST_F(BallotRulesTest, CertifiedTallyMustEqualTheRecount) {
  ASSERT_OK(b_.BuildThrough(Stage::kBallotsRecorded));
  using T = schema::TallyCertified::Builder;
  const std::vector<std::pair<const char*, std::function<void(T)>>> wrong = {
      {"issued", [](T t) { t.setIssued(t.getIssued() - 1); }},
      {"collected", [](T t) { t.setCollected(t.getCollected() + 1); }},
      {"valid and invalid",
       [](T t) {
         // 27 valid ballots (the over-approving one counted) and per-item
         // sums made to match: only the recount can tell.
         t.setValid(27);
         t.setInvalid(0);
         for (auto item : t.getItems()) item.setOppose(item.getOppose() + 1);
       }},
      {"an approval moved",
       [](T t) {
         auto items = t.getItems();
         items[0].setApprove(items[0].getApprove() - 1);
         items[0].setOppose(items[0].getOppose() + 1);
       }},
      {"items in another order",
       [](T t) {
         auto items = t.getItems();
         const uint64_t first = items[0].getItem();
         items[0].setItem(items[1].getItem());
         items[1].setItem(first);
       }},
      {"an item missing", [](T t) { t.initItems(3); }},
  };
  for (const auto& [what, tweak] : wrong) {
    EXPECT_TRUE(
        Refused(b_, keys().monitor, Tally(b_, tweak), "vote.tally_mismatch"))
        << what;
  }
  ASSERT_OK(b_.Submit(keys().monitor, Tally(b_, nullptr)));
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Tally(b_, nullptr), "vote.tally_twice"));
}

TEST_F(BallotRulesTest, PerCandidateApproveOpposeAbstainEqualsValid) {
  ASSERT_OK(b_.BuildThrough(Stage::kBallotsRecorded));
  EXPECT_TRUE(Refused(b_, keys().monitor,
                      Tally(b_,
                            [](auto t) {
                              auto items = t.getItems();
                              items[2].setAbstain(items[2].getAbstain() + 1);
                            }),
                      "vote.tally_sum"));
}

TEST_F(BallotRulesTest, NoBallotsAfterTheTallyIsCertified) {
  ASSERT_OK(b_.BuildThrough(Stage::kTallyCertified));
  EXPECT_TRUE(Refused(b_, keys().teller,
                      Ballots(refs().boxes[0], Marks({"AAAO"}), 2, 2),
                      "ballots.round_certified"));
  EXPECT_TRUE(Refused(b_, keys().monitor, Seal(refs().round, "补充票箱"),
                      "box.round_closed"));
}

// --- issue 9, item 12(a): a round is void only by a roundVoided -------------

Fill Void(uint64_t round, std::string reason) {
  return [=](schema::Event::Builder e) {
    auto v = e.initRoundVoided();
    v.setRound(round);
    v.setReason(reason);
    CycleBuilder::SetDay(v.initVoidedOn(), 2025, 2, 25);
  };
}

Fill SecondRound(const CycleRefs& r) {
  return [=](schema::Event::Builder e) {
    auto o = e.initRoundOpened();
    o.setVote(r.vote);
    o.setRound(2);
    auto items = o.initItems(4);
    for (unsigned i = 0; i < 4; ++i) items.set(i, r.candidates[i]);
    o.setSeats(3);
    o.setPresentDeputies(27);
    o.setMaxApprovals(3);
  };
}

nlohmann::json RoundView(CycleBuilder& b, uint64_t round) {
  projections::ViewQuery q;
  q.round = round;
  auto v = projections::View(b.state(), "tally", q);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? (*v)["rounds"][0] : nlohmann::json();
}

TEST_F(BallotRulesTest, AMonitorCannotVoidARoundByOpeningAnOverfullBox) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesSealed));
  ASSERT_OK(b_.Submit(keys().monitor, Open(refs().boxes[0], 14, 14)));
  ASSERT_OK(b_.RecordBox(refs().boxes[0], b_.selection_boxes[0]));
  // After box 1's ballots are recorded, box 2 is opened with one ballot
  // more than it issued. The opening is recorded as the monitors found it…
  ASSERT_OK(b_.Submit(keys().monitor, Open(refs().boxes[1], 13, 14)));
  BoxPlan second = b_.selection_boxes[1];
  second.collected = 14;
  second.ballots.push_back({"AAAO", 1});
  ASSERT_OK(b_.RecordBox(refs().boxes[1], second));
  // … no tally can be certified …
  EXPECT_TRUE(Refused(b_, keys().monitor, Tally(b_, nullptr),
                      "vote.collected_exceeds_issued"));
  auto round = RoundView(b_, refs().round);
  EXPECT_EQ(round["void"], false);
  EXPECT_EQ(round["mustBeVoided"], true);
  auto recount = b_.state().Recount(refs().round);
  ASSERT_OK(recount);
  EXPECT_FALSE(recount->void_round);
  // … but the round is not void, so no second round can be held …
  EXPECT_TRUE(Refused(b_, keys().secretariat, SecondRound(refs()),
                      "round.previous_open"));
  // … and neither the monitor nor the secretariat can declare it void: the
  // congress presidium does (or the standing committee), with its reason
  // on the record.
  for (const auto* key : {&keys().monitor, &keys().secretariat}) {
    auto denied = b_.Submit(*key, Void(refs().round, "第2票箱收回多于发出"));
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied)
        << denied.status().ToString();
  }
  EXPECT_TRUE(
      Malformed(b_, keys().presidium, Void(refs().round, ""), "void.fields"));
  auto voided = b_.Submit(
      keys().presidium,
      Void(refs().round, "第2票箱收回选票14张，多于发出的13张，本轮表决无效"));
  ASSERT_OK(voided);
  round = RoundView(b_, refs().round);
  EXPECT_EQ(round["void"], true);
  EXPECT_EQ(round["mustBeVoided"], false);
  EXPECT_EQ(round["voided"]["entry"], *voided);
  EXPECT_EQ(round["voided"]["reason"],
            "第2票箱收回选票14张，多于发出的13张，本轮表决无效");
  EXPECT_EQ(round["voided"]["voidedOn"], "2025-02-25");
  EXPECT_EQ(round["voided"]["by"]["holder"], "某县人民代表大会主席团");
  EXPECT_TRUE(
      Refused(b_, keys().presidium, Void(refs().round, "再次"), "void.twice"));
  // Nothing more is recorded in a void round; it is held again.
  EXPECT_TRUE(
      Refused(b_, keys().monitor, Tally(b_, nullptr), "vote.round_void"));
  EXPECT_TRUE(Refused(b_, keys().presidium, Result(refs().round, {}),
                      "vote.round_void"));
  ASSERT_OK(b_.Submit(keys().secretariat, SecondRound(refs())));
}

TEST_F(BallotRulesTest, ACertifiedRoundCannotBeVoided) {
  ASSERT_OK(b_.BuildThrough(Stage::kTallyCertified));
  EXPECT_TRUE(Refused(b_, keys().presidium, Void(refs().round, "结果不理想"),
                      "void.after_tally"));
  ASSERT_OK(b_.BuildThrough(Stage::kResultAnnounced));
  EXPECT_TRUE(Refused(b_, keys().presidium, Void(refs().round, "结果不理想"),
                      "void.after_tally"));
}

TEST_F(BallotRulesTest, AVoidIsFinal) {
  auto voided =
      b_.Submit(keys().presidium, Void(refs().round, "会场秩序混乱，重新表决"));
  ASSERT_OK(voided);
  EXPECT_TRUE(Refused(b_, keys().presidium, Correction(*voided, "撤销"),
                      "correction.vote_records_final"));
  EXPECT_TRUE(Refused(b_, keys().monitor, Seal(refs().round, "票箱"),
                      "vote.round_void"));
}

TEST_F(BallotRulesTest, ABoxsCountsAreFixedWhenItIsOpened) {
  ASSERT_OK(b_.BuildThrough(Stage::kBoxesOpened));
  const uint64_t opening = refs().box_openings[1];
  const uint64_t box = refs().boxes[1];
  auto reopen = [&](uint32_t issued, uint32_t collected) {
    return Correction(opening, "开箱记录有误", [=](schema::Event::Builder e) {
      Open(box, issued, collected)(e);
      e.getBallotBoxOpened().initMonitors(1).set(0, "监票人乙");
    });
  };
  EXPECT_TRUE(Refused(b_, keys().monitor, reopen(13, 14), "box.counts_fixed"));
  EXPECT_TRUE(Refused(b_, keys().monitor, reopen(12, 12), "box.counts_fixed"));
  EXPECT_TRUE(Refused(b_, keys().monitor, Correction(opening, "撤回"),
                      "box.counts_fixed"));
  // Who opened it may still be corrected.
  ASSERT_OK(b_.Submit(keys().monitor, reopen(13, 13)));
}

// --- the announced result
// -----------------------------------------------------

TEST_F(BallotRulesTest, TheResultFollowsTheCertifiedBallots) {
  ASSERT_OK(b_.BuildThrough(Stage::kTallyCertified));
  const auto& r = refs();
  const uint64_t round = r.round;
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      Result(round, {r.kindergarten, r.canteen, r.barriers}),
                      "vote.result_mismatch"));  // not ranked by approvals
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      Result(round, {r.canteen, r.kindergarten, r.lights}),
                      "vote.result_mismatch"));  // lights failed
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      Result(round, {r.canteen, r.kindergarten}, {r.barriers}),
                      "vote.result_mismatch"));  // no tie
  EXPECT_TRUE(
      Refused(b_, keys().presidium,
              Result(round, {r.canteen, r.kindergarten, r.barriers}, {}, 1),
              "vote.result_mismatch"));  // no vacant seat
  EXPECT_TRUE(Refused(
      b_, keys().presidium,
      [&](schema::Event::Builder e) {
        Result(round, {r.canteen, r.kindergarten, r.barriers})(e);
        auto g = e.getResultAnnounced().initGrades(1);
        g[0].setItem(r.canteen);
        g[0].setGrade(schema::Grade::SATISFIED);
      },
      "vote.result_mismatch"));  // grades on a selection
  ASSERT_OK(b_.Submit(keys().presidium,
                      Result(round, {r.canteen, r.kindergarten, r.barriers})));
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      Result(round, {r.canteen, r.kindergarten, r.barriers}),
                      "vote.result_twice"));
}

// The result is announced at the session and published by the presidium
// (大会主席团), not by its secretariat (issue 10, item 6).
TEST_F(BallotRulesTest, ThePresidiumAnnouncesTheResult) {
  ASSERT_OK(b_.BuildThrough(Stage::kTallyCertified));
  const auto& r = refs();
  const Fill result = Result(r.round, {r.canteen, r.kindergarten, r.barriers});
  for (const crypto::KeyPair* wrong : {&keys().secretariat, &keys().standing}) {
    const uint64_t size = b_.size();
    auto refused = b_.Submit(*wrong, result);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(refused.status().message().find("needs role presidium"),
              std::string::npos)
        << refused.status().message();
    EXPECT_EQ(b_.size(), size);
  }
  ASSERT_OK(b_.Submit(keys().presidium, result));
}

TEST_F(BallotRulesTest, TheResultWaitsForTheTally) {
  ASSERT_OK(b_.BuildThrough(Stage::kBallotsRecorded));
  const auto& r = refs();
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      Result(r.round, {r.canteen, r.kindergarten, r.barriers}),
                      "vote.result_before_tally"));
}

TEST_F(BallotRulesTest, RecordedVoteEntriesAreFinal) {
  ASSERT_OK(b_.BuildThrough(Stage::kResultAnnounced));
  const auto& r = refs();
  for (uint64_t target : {r.ballots[0], r.tally, r.result}) {
    EXPECT_TRUE(Refused(b_,
                        target == r.ballots[0] ? keys().teller
                        : target == r.tally    ? keys().monitor
                                               : keys().presidium,
                        Correction(target, "录入有误"),
                        "correction.vote_records_final"))
        << target;
  }
}

TEST_F(BallotRulesTest, SatisfactionGradesFollowTheBallots) {
  ASSERT_OK(b_.BuildThrough(Stage::kEvaluated));
  const auto& r = refs();
  auto vote = b_.Submit(keys().standing, [&](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(r.cycle);
    v.setPurpose(schema::VotePurpose::SATISFACTION);
    v.setEntitledDeputies(30);
    auto items = v.initItems(3);
    for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
  });
  ASSERT_OK(vote);
  auto open = [&](uint16_t max_approvals) -> Fill {
    return [=, &r](schema::Event::Builder e) {
      auto o = e.initRoundOpened();
      o.setVote(*vote);
      o.setRound(1);
      auto items = o.initItems(3);
      for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
      o.setPresentDeputies(28);
      o.setMaxApprovals(max_approvals);
    };
  };
  // A satisfaction ballot approves nothing: its round's limit is 0.
  EXPECT_TRUE(Refused(b_, keys().secretariat, open(3), "round.max_approvals"));
  auto round = b_.Submit(keys().secretariat, open(0));
  ASSERT_OK(round);
  const BoxPlan& plan = b_.satisfaction_boxes[0];
  auto box = b_.SealBox(*round, plan.label);
  ASSERT_OK(box);
  ASSERT_OK(b_.OpenBox(*box, plan));
  ASSERT_OK(b_.RecordBox(*box, plan));
  ASSERT_OK(b_.Certify(*round, r.projects, b_.satisfaction_boxes, true, 0));
  auto grades = [&](schema::Grade barriers) -> Fill {
    return [=](schema::Event::Builder e) {
      auto a = e.initResultAnnounced();
      a.setRound(*round);
      auto g = a.initGrades(3);
      const schema::Grade want[] = {schema::Grade::SATISFIED,
                                    schema::Grade::BASICALLY_SATISFIED,
                                    barriers};
      for (unsigned i = 0; i < 3; ++i) {
        g[i].setItem(r.projects[i]);
        g[i].setGrade(want[i]);
      }
    };
  };
  // Barriers: 0 satisfied + 15 basically satisfied = exactly half of the 30
  // entitled, which is not more than half: unsatisfied by default.
  EXPECT_TRUE(Refused(b_, keys().presidium,
                      grades(schema::Grade::BASICALLY_SATISFIED),
                      "vote.result_mismatch"));
  EXPECT_TRUE(Refused(
      b_, keys().presidium,
      [&](schema::Event::Builder e) {
        grades(schema::Grade::UNSATISFIED)(e);
        e.getResultAnnounced().initElected(1).set(0, r.projects[0]);
      },
      "vote.result_mismatch"));
  ASSERT_OK(b_.Submit(keys().presidium, grades(schema::Grade::UNSATISFIED)));
}

TEST_F(BallotRulesTest, ExactlyHalfPassesWhenTheRulesSaySo) {
  ASSERT_OK(b_.BuildThrough(Stage::kEvaluated));
  const auto& r = refs();
  auto vote = b_.Submit(keys().standing, [&](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(r.cycle);
    v.setPurpose(schema::VotePurpose::SATISFACTION);
    v.setEntitledDeputies(30);
    v.setExactlyHalfPasses(true);
    auto items = v.initItems(3);
    for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
  });
  ASSERT_OK(vote);
  auto recount_round =
      b_.Submit(keys().secretariat, [&](schema::Event::Builder e) {
        auto o = e.initRoundOpened();
        o.setVote(*vote);
        o.setRound(1);
        auto items = o.initItems(3);
        for (unsigned i = 0; i < 3; ++i) {
          items.set(i, r.projects[i]);
        }
        o.setPresentDeputies(28);
      });
  ASSERT_OK(recount_round);
  const BoxPlan& plan = b_.satisfaction_boxes[0];
  auto box = b_.SealBox(*recount_round, plan.label);
  ASSERT_OK(box);
  ASSERT_OK(b_.OpenBox(*box, plan));
  ASSERT_OK(b_.RecordBox(*box, plan));
  auto recount = b_.state().Recount(*recount_round);
  ASSERT_OK(recount);
  ASSERT_EQ(recount->outcome.grades.size(), 3u);
  EXPECT_EQ(recount->outcome.grades[2].second,
            projections::Grade::kBasicallySatisfied);
}

}  // namespace
}  // namespace piaojue::testing
