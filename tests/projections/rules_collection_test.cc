// Collection rules: opening a cycle, proposals inside the collection window
// with their required fields and money in non-negative fen, merges, and the
// reference rules every event shares. See docs/RULES.md, "Collection".
#include <gtest/gtest.h>

#include "projections/internal/rules.h"  // the text rule, tested alone
#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using Stage = CycleBuilder::Stage;

Fill Cycle(uint16_t year,
           std::function<void(schema::CycleOpened::Builder)> tweak = nullptr) {
  return [=](schema::Event::Builder e) {
    auto c = e.initCycleOpened();
    c.setYear(year);
    c.setLevel(schema::Level::COUNTY);
    c.setTitle("某县民生实事项目");
    c.setBudgetFen(100'000'00);
    c.setProjectCount(5);
    CycleBuilder::SetDay(c.initCollectionStart(), year - 1, 9, 1);
    CycleBuilder::SetDay(c.initCollectionEnd(), year - 1, 11, 30);
    if (tweak) tweak(c);
  };
}

Fill Proposal(
    uint64_t cycle,
    std::function<void(schema::ProposalSubmitted::Builder)> tweak = nullptr) {
  return [=](schema::Event::Builder e) {
    auto s = e.initProposalSubmitted();
    s.setCycle(cycle);
    auto d = s.initDetails();
    d.setTitle("村卫生室改造");
    d.setDescription("改造村卫生室");
    d.setCategory(schema::Category::HEALTH);
    d.setLocation("某村");
    d.setEstimatedInvestmentFen(50'000'00);
    d.setFundingSource(schema::FundingSource::OWN_BUDGET);
    s.setProposerType(schema::ProposerType::RESIDENT);
    s.setChannel(schema::Channel::WECHAT);
    if (tweak) tweak(s);
  };
}

Fill Merge(uint64_t cycle, std::vector<uint64_t> sources) {
  return [=](schema::Event::Builder e) {
    auto m = e.initProposalsMerged();
    m.setCycle(cycle);
    auto s = m.initSources(static_cast<unsigned>(sources.size()));
    for (unsigned i = 0; i < sources.size(); ++i) s.set(i, sources[i]);
    auto d = m.initDetails();
    d.setTitle("合并项目");
    d.setDescription("合并");
    d.setCategory(schema::Category::OTHER);
    d.setLocation("全县");
    m.setReason("内容相近");
  };
}

class CollectionRulesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kCycleOpened)); }
  const CycleKeys& keys() { return b_.keys(); }
  uint64_t cycle() { return b_.refs().cycle; }

  CycleBuilder b_;
};

// --- cycle.fields, cycle.level, cycle.duplicate ------------------------------

TEST_F(CollectionRulesTest, CycleNeedsItsRequiredFields) {
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026, [](auto c) { c.setYear(0); }),
                        "cycle.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026, [](auto c) { c.setTitle(""); }),
                        "cycle.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026, [](auto c) { c.setProjectCount(0); }),
                        "cycle.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026, [](auto c) { c.initCollectionEnd(); }),
                        "cycle.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026,
                              [](auto c) {
                                CycleBuilder::SetDay(c.initCollectionEnd(),
                                                     2025, 2, 30);
                              }),
                        "cycle.fields"));
  ASSERT_OK(b_.Submit(keys().office, Cycle(2026)));
}

TEST_F(CollectionRulesTest, CycleBudgetIsNonNegativeFen) {
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026, [](auto c) { c.setBudgetFen(-1); }),
                        "cycle.fields"));
  ASSERT_OK(
      b_.Submit(keys().office, Cycle(2026, [](auto c) { c.setBudgetFen(0); })));
}

TEST_F(CollectionRulesTest, CollectionWindowMustNotEndBeforeItStarts) {
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026,
                              [](auto c) {
                                CycleBuilder::SetDay(c.initCollectionEnd(),
                                                     2025, 8, 31);
                              }),
                        "cycle.fields"));
  // A one-day window is a window.
  ASSERT_OK(b_.Submit(keys().office, Cycle(2026, [](auto c) {
                        CycleBuilder::SetDay(c.initCollectionEnd(), 2025, 9, 1);
                      })));
}

TEST_F(CollectionRulesTest, ScheduleMilestonesAreCheckedAtOpening) {
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026,
                              [](auto c) {
                                auto s = c.initSchedule(1);
                                CycleBuilder::SetDay(s[0].initDue(), 2026, 7,
                                                     31);
                                s[0].setMinPercentBp(10001);
                              }),
                        "cycle.fields"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Cycle(2026,
                              [](auto c) {
                                c.initSchedule(1);  // no due date
                              }),
                        "cycle.fields"));
}

TEST_F(CollectionRulesTest, CycleLevelMustMatchTheJurisdiction) {
  EXPECT_TRUE(
      Refused(b_, keys().office,
              Cycle(2026, [](auto c) { c.setLevel(schema::Level::TOWNSHIP); }),
              "cycle.level"));
}

TEST_F(CollectionRulesTest, OneCyclePerJurisdictionAndYear) {
  EXPECT_TRUE(Refused(b_, keys().office, Cycle(2025), "cycle.duplicate"));
  ASSERT_OK(b_.Submit(keys().office, Cycle(2026)));
}

// --- proposal.window
// ----------------------------------------------------------

TEST_F(CollectionRulesTest, ProposalOnTheLastDayOfTheWindowIsAccepted) {
  // 23:59:59 CST on 31 January is still 31 January in CST (15:59:59 UTC).
  b_.SetDate(2025, 1, 31, 23);
  b_.AdvanceMs((59 * 60 + 59) * 1000);
  ASSERT_OK(b_.Submit(keys().intake, Proposal(cycle())));
}

TEST_F(CollectionRulesTest, ProposalAfterTheWindowIsRefused) {
  // Midnight CST on 1 February is still 31 January in UTC: the window is
  // judged in CST.
  b_.SetDate(2025, 2, 1, 0);
  b_.AdvanceMs(30'000);
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(cycle()), "proposal.window"));
  // The example of docs/RULES.md.
  auto r = b_.Submit(keys().intake, Proposal(cycle()));
  EXPECT_EQ(cycle(), 13u);
  EXPECT_EQ(r.status().ToString(),
            "FailedPrecondition: rule proposal.window: the proposal was "
            "received on 2025-02-01, outside the collection window 2025-01-02 "
            "to 2025-01-31 of cycle 13 \"某县2025年民生实事项目\"");
}

TEST_F(CollectionRulesTest, ProposalBeforeTheWindowIsRefused) {
  auto next = b_.Submit(keys().office, Cycle(2026));  // window from 2025-09-01
  ASSERT_OK(next);
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(*next), "proposal.window"));
  b_.SetDate(2025, 9, 1, 0);
  ASSERT_OK(b_.Submit(keys().intake, Proposal(*next)));
}

// --- proposal.fields
// ------------------------------------------------------------

TEST_F(CollectionRulesTest, ProposalNeedsItsRequiredFields) {
  using B = schema::ProposalSubmitted::Builder;
  const std::vector<std::pair<const char*, std::function<void(B)>>> broken = {
      {"no title", [](B s) { s.getDetails().setTitle(""); }},
      {"no description", [](B s) { s.getDetails().setDescription(""); }},
      {"no category",
       [](B s) { s.getDetails().setCategory(schema::Category::UNSPECIFIED); }},
      {"no location", [](B s) { s.getDetails().setLocation(""); }},
      {"no proposer type",
       [](B s) { s.setProposerType(schema::ProposerType::UNSPECIFIED); }},
      {"no channel", [](B s) { s.setChannel(schema::Channel::UNSPECIFIED); }},
      {"bad completion date",
       [](B s) {
         CycleBuilder::SetDay(s.getDetails().initExpectedCompletion(), 2025, 13,
                              1);
       }},
  };
  for (const auto& [what, tweak] : broken) {
    EXPECT_TRUE(Malformed(b_, keys().intake, Proposal(cycle(), tweak),
                          "proposal.fields"))
        << what;
  }
  // An enum value the schema does not define: the ledger refuses it as
  // input it cannot interpret; the rules alone refuse it too.
  EXPECT_TRUE(RefusedByLedgerAndRule(
      b_, keys().intake,
      Proposal(cycle(),
               [](B s) {
                 s.getDetails().setCategory(static_cast<schema::Category>(99));
               }),
      StatusCode::kInvalidArgument, StatusCode::kInvalidArgument,
      "proposal.fields"));
  // An anonymous resident's proposal (no name) is fine.
  ASSERT_OK(b_.Submit(keys().intake,
                      Proposal(cycle(), [](B s) { s.setProposerName(""); })));
}

TEST_F(CollectionRulesTest, ProposalMoneyIsNonNegativeIntegerFen) {
  EXPECT_TRUE(Malformed(
      b_, keys().intake,
      Proposal(cycle(),
               [](auto s) { s.getDetails().setEstimatedInvestmentFen(-1); }),
      "proposal.fields"));
  auto ok =
      b_.Submit(keys().intake, Proposal(cycle(), [](auto s) {
                  s.getDetails().setEstimatedInvestmentFen(123'456'789'01);
                }));
  ASSERT_OK(ok);
  projections::ViewQuery q;
  q.cycle = cycle();
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  const auto& money = (*funnel)["proposals"][0]["estimatedInvestment"];
  EXPECT_EQ(money["fen"], 12345678901);
  EXPECT_EQ(money["yuan"], "123,456,789.01");
}

// A text the decoder refuses (docs/FORMAT.md, "Text fields") never reaches
// the rules through the ledger; the rules refuse it on their own too.
TEST_F(CollectionRulesTest, TextsOutsideTheFormatAreRefusedByDecoderAndRules) {
  using namespace std::string_literals;
  struct Case {
    std::string title;
    std::string rule;
  };
  for (const Case& c :
       std::vector<Case>{{"\xff\xfe bad", "event.text_utf8"},
                         {"\0隐藏的标题"s, "event.text_control"},
                         {"标题\n第二行", "event.text_control"}}) {
    Fill fill = Proposal(cycle(), [&](auto s) {
      s.getDetails().setTitle(
          capnp::Text::Reader(c.title.data(), c.title.size()));
    });
    const uint64_t size = b_.size();
    auto appended = b_.Append(SignRaw(
        keys().intake, RawAuthored(keys().intake, kCounty, fill, b_.now_ms())));
    EXPECT_EQ(appended.status().code(), StatusCode::kCorruption)
        << appended.status().ToString();
    EXPECT_EQ(b_.size(), size);

    capnp::MallocMessageBuilder message;
    auto event = message.initRoot<schema::Event>();
    fill(event);
    Status rule = projections::internal::CheckEventText(event.asReader());
    EXPECT_EQ(rule.code(), StatusCode::kInvalidArgument) << rule.ToString();
    EXPECT_NE(rule.message().find("rule " + c.rule + ": "), std::string::npos)
        << rule.message();
  }
}

// --- references -------------------------------------------------------------

TEST_F(CollectionRulesTest, ProposalMustNameAnOpenCycle) {
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(0), "ref.missing"));
  EXPECT_TRUE(
      Refused(b_, keys().intake, Proposal(b_.size() + 5), "ref.missing"));
  EXPECT_TRUE(
      Refused(b_, keys().intake, Proposal(b_.refs().county), "ref.wrong_kind"));
}

TEST_F(CollectionRulesTest, ProposalMayNotNameARetractedCycle) {
  auto next = b_.Submit(keys().office, Cycle(2026));
  ASSERT_OK(next);
  ASSERT_OK(b_.Submit(keys().office, Correction(*next, "开错了年度")));
  b_.SetDate(2025, 10, 1);
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(*next), "ref.retracted"));
}

TEST_F(CollectionRulesTest, ProposalMayNotNameAnotherJurisdictionsCycle) {
  const auto& root = keys().root;
  ASSERT_OK(b_.Submit(
      root,
      [](schema::Event::Builder e) {
        auto j = e.initJurisdictionRegistered();
        j.setCode("610102001");
        j.setName("某镇");
        j.setLevel(schema::Level::TOWNSHIP);
        j.setParentCode(kCounty);
      },
      ""));
  ASSERT_OK(b_.Append(RegisterKey(root, keys().intake.public_key,
                                  schema::Role::PUBLIC_INTAKE, "610102001",
                                  b_.now_ms())));
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(cycle()),
                      "ref.other_jurisdiction", "610102001"));
}

// --- merges ----------------------------------------------------------------

class MergeRulesTest : public CollectionRulesTest {
 protected:
  void SetUp() override { ASSERT_OK(b_.BuildThrough(Stage::kProposals)); }
};

TEST_F(MergeRulesTest, MergeNeedsTwoDistinctSources) {
  const auto& r = b_.refs();
  EXPECT_TRUE(Malformed(b_, keys().office, Merge(cycle(), {r.canteen}),
                        "merge.sources"));
  EXPECT_TRUE(Malformed(b_, keys().office,
                        Merge(cycle(), {r.canteen, r.canteen}),
                        "merge.sources"));
}

TEST_F(MergeRulesTest, MergeNeedsDetails) {
  const auto& r = b_.refs();
  EXPECT_TRUE(Malformed(
      b_, keys().office,
      [&](schema::Event::Builder e) {
        Merge(cycle(), {r.lights_east, r.lights_west})(e);
        e.getProposalsMerged().getDetails().setTitle("");
      },
      "merge.fields"));
}

TEST_F(MergeRulesTest, MergedSourcesAreRetiredNotDeleted) {
  ASSERT_OK(b_.MergeProposals());
  const auto& r = b_.refs();
  // A retired source cannot be merged again or screened.
  EXPECT_TRUE(Refused(b_, keys().office,
                      Merge(cycle(), {r.lights_east, r.canteen}),
                      "merge.source_state"));
  auto screened =
      b_.Screen(r.lights_east, schema::ScreeningStage::GOVERNMENT_REVIEW,
                schema::ScreeningOutcome::ADVANCE,
                schema::ReasonCode::MEETS_CRITERIA, "x");
  ASSERT_FALSE(screened.ok());
  EXPECT_NE(screened.status().message().find("rule screening.retired"),
            std::string::npos);
  // Both sources stay in the funnel, marked as merged into the new record,
  // which lists them as its origins.
  projections::ViewQuery q;
  q.cycle = cycle();
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  int seen = 0;
  for (const auto& p : (*funnel)["proposals"]) {
    if (p["ref"] == r.lights_east || p["ref"] == r.lights_west) {
      ++seen;
      EXPECT_EQ(p["fate"]["status"], "merged");
      EXPECT_EQ(p["fate"]["into"], r.lights);
      EXPECT_FALSE(p["proposerType"].get<std::string>().empty());
    }
    if (p["ref"] == r.lights) {
      EXPECT_EQ(p["merged"], true);
      EXPECT_EQ(p["sources"], nlohmann::json({r.lights_east, r.lights_west}));
      EXPECT_EQ(p["origins"], nlohmann::json({r.lights_east, r.lights_west}));
      EXPECT_EQ(p["mergeReason"], "两件建议内容相近，归并为一个项目");
    }
  }
  EXPECT_EQ(seen, 2);
  EXPECT_EQ((*funnel)["totals"]["retiredByMerge"], 2);
}

TEST_F(MergeRulesTest, RejectedProposalCannotBeMerged) {
  const auto& r = b_.refs();
  ASSERT_OK(b_.Screen(r.stadium, schema::ScreeningStage::GOVERNMENT_REVIEW,
                      schema::ScreeningOutcome::REJECT,
                      schema::ReasonCode::LOWER_PRIORITY, "以后再议"));
  EXPECT_TRUE(Refused(b_, keys().office, Merge(cycle(), {r.stadium, r.canteen}),
                      "merge.source_state"));
}

TEST_F(MergeRulesTest, SourcesMustBelongToTheMergesCycle) {
  b_.SetDate(2025, 9, 2);
  auto next = b_.Submit(keys().office, Cycle(2026));
  ASSERT_OK(next);
  auto other = b_.Submit(keys().intake, Proposal(*next));
  ASSERT_OK(other);
  EXPECT_TRUE(Refused(b_, keys().office,
                      Merge(cycle(), {b_.refs().canteen, *other}),
                      "merge.same_cycle"));
}

TEST_F(MergeRulesTest, NoMergeAfterTheCandidateList) {
  ASSERT_OK(b_.BuildThrough(Stage::kCandidateList));
  const auto& r = b_.refs();
  EXPECT_TRUE(Refused(b_, keys().office,
                      Merge(cycle(), {r.canteen, r.kindergarten}),
                      "merge.after_list"));
}

// --- lifecycle gaps (issue 10, item 4) ---------------------------------------

using B = CycleBuilder;

std::function<void(schema::CycleOpened::Builder)> Backfill(
    std::string reason = "补录：2024年度票决过程在账本启用前完成") {
  return [=](schema::CycleOpened::Builder c) {
    c.setBackfill(true);
    c.setBackfillReason(reason);
  };
}

std::function<void(schema::ProposalSubmitted::Builder)> Paper(
    schema::Channel channel, int y, int m, int d) {
  return [=](schema::ProposalSubmitted::Builder s) {
    s.setChannel(channel);
    if (y != 0) B::SetDay(s.initReceivedOn(), y, m, d);
  };
}

TEST_F(CollectionRulesTest, CycleWhoseWindowHasEndedIsRefused) {
  // Recorded on 2025-01-02: the 2024 cycle's window ended on 2023-11-30.
  EXPECT_TRUE(Refused(b_, keys().office, Cycle(2024), "cycle.window_past"));
  // A window that ends on the recording day is still open.
  ASSERT_OK(b_.Submit(keys().office, Cycle(2026, [](auto c) {
                        B::SetDay(c.initCollectionStart(), 2024, 12, 1);
                        B::SetDay(c.initCollectionEnd(), 2025, 1, 2);
                      })));
}

TEST_F(CollectionRulesTest, ABackfilledPastCycleIsAcceptedAndShownAsSuch) {
  EXPECT_TRUE(Malformed(b_, keys().office, Cycle(2024, Backfill("")),
                        "cycle.backfill"));  // no reason
  EXPECT_TRUE(
      Malformed(b_, keys().office,
                Cycle(2024, [](auto c) { c.setBackfillReason("补录"); }),
                "cycle.backfill"));  // a reason without the flag
  // A backfill records a past cycle only: 2026's window is still to come.
  EXPECT_TRUE(
      Refused(b_, keys().office, Cycle(2026, Backfill()), "cycle.backfill"));
  auto past = b_.Submit(keys().office, Cycle(2024, Backfill()));
  ASSERT_OK(past);
  // Its proposals are judged on the day they were received, which they must
  // give: the day they are recorded is outside the past window.
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(*past), "proposal.window"));
  EXPECT_TRUE(
      Refused(b_, keys().intake,
              Proposal(*past, Paper(schema::Channel::WECHAT, 2023, 12, 1)),
              "proposal.window"));
  auto old =
      b_.Submit(keys().intake,
                Proposal(*past, Paper(schema::Channel::WECHAT, 2023, 10, 8)));
  ASSERT_OK(old);
  projections::ViewQuery q;
  q.cycle = *past;
  auto cycles = projections::View(b_.state(), "cycles", {});
  ASSERT_OK(cycles);
  const nlohmann::json* shown = nullptr;
  for (const auto& c : (*cycles)["cycles"]) {
    if (c["ref"] == *past) shown = &c;
  }
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ((*shown)["backfill"], true);
  EXPECT_EQ((*shown)["backfillReason"],
            "补录：2024年度票决过程在账本启用前完成");
  EXPECT_EQ((*shown)["openedOn"], "2025-01-02");
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  EXPECT_EQ((*funnel)["backfill"], true);
  const auto& p = (*funnel)["proposals"][0];
  EXPECT_EQ(p["ref"], *old);
  EXPECT_EQ(p["receivedOn"], "2023-10-08");
  EXPECT_EQ(p["recordedOn"], "2025-01-02");
  // The live cycle is not a backfill.
  auto live = projections::View(b_.state(), "cycles", {});
  EXPECT_EQ((*live)["cycles"][0]["backfill"], false);
}

TEST_F(CollectionRulesTest, ACorrectionDoesNotTurnACycleIntoABackfill) {
  EXPECT_TRUE(
      Refused(b_, keys().office,
              Correction(cycle(), "补录",
                         [](schema::Event::Builder e) {
                           auto c = e.initCycleOpened();
                           c.setYear(2025);
                           c.setLevel(schema::Level::COUNTY);
                           c.setTitle("某县2025年民生实事项目");
                           c.setBudgetFen(12'000'000'000);
                           c.setProjectCount(3);
                           B::SetDay(c.initCollectionStart(), 2025, 1, 2);
                           B::SetDay(c.initCollectionEnd(), 2025, 1, 31);
                           Backfill()(c);
                         }),
              "cycle.backfill"));
}

TEST_F(CollectionRulesTest, NoProposalAfterTheCandidateList) {
  CycleBuilder b;
  // A window still open when the list is fixed (2025-02-17).
  b.cycle_tweak = [](schema::CycleOpened::Builder c) {
    B::SetDay(c.initCollectionEnd(), 2025, 3, 31);
  };
  ASSERT_OK(b.BuildThrough(Stage::kCandidateList));
  EXPECT_TRUE(Refused(b, b.keys().intake, Proposal(b.refs().cycle),
                      "proposal.after_list"));
}

TEST_F(CollectionRulesTest, NoProposalIntoAClosedCycle) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kAll));
  {
    auto v = projections::View(b.state(), "cycles", {});
    ASSERT_OK(v);
    ASSERT_EQ((*v)["cycles"][0]["stage"], "closed");
  }
  // A letter received in the window, typed in after the cycle closed.
  EXPECT_TRUE(Refused(
      b, b.keys().office,
      Proposal(b.refs().cycle, Paper(schema::Channel::MAIL, 2025, 1, 20)),
      "proposal.cycle_closed"));
}

// --- receivedOn (issue 10, item 5) -------------------------------------------

TEST_F(CollectionRulesTest, PaperChannelsGiveTheDayTheyReceivedTheProposal) {
  using C = schema::Channel;
  for (C channel :
       {C::CONTACT_STATION, C::FORUM, C::DOOR_TO_DOOR, C::DEPUTY_SUGGESTION,
        C::CPPCC_PROPOSAL, C::DEPARTMENT, C::TOWNSHIP, C::MAIL, C::HOTLINE}) {
    EXPECT_TRUE(Malformed(b_, keys().intake,
                          Proposal(cycle(), Paper(channel, 0, 0, 0)),
                          "proposal.received_on"))
        << static_cast<int>(channel);
    ASSERT_OK(b_.Submit(keys().intake,
                        Proposal(cycle(), Paper(channel, 2025, 1, 2))));
  }
  // Online channels are stamped on arrival: the day is optional there.
  for (C channel : {C::GOVERNMENT_WEBSITE, C::WECHAT, C::OTHER}) {
    ASSERT_OK(
        b_.Submit(keys().intake, Proposal(cycle(), Paper(channel, 0, 0, 0))));
  }
  EXPECT_TRUE(Malformed(b_, keys().intake,
                        Proposal(cycle(), Paper(C::MAIL, 2025, 2, 30)),
                        "proposal.received_on"));
}

TEST_F(CollectionRulesTest, TheDayReceivedIsInTheWindowAndNotAfterTyping) {
  using C = schema::Channel;
  // Recorded on 2025-01-02.
  EXPECT_TRUE(Refused(b_, keys().intake,
                      Proposal(cycle(), Paper(C::MAIL, 2025, 1, 3)),
                      "proposal.received_future"));
  EXPECT_TRUE(Refused(b_, keys().intake,
                      Proposal(cycle(), Paper(C::MAIL, 2025, 1, 1)),
                      "proposal.window"));
  // Typed in after the window closed, received on its last day: accepted.
  b_.SetDate(2025, 2, 3);
  EXPECT_TRUE(Refused(b_, keys().intake, Proposal(cycle()), "proposal.window"));
  EXPECT_TRUE(Refused(b_, keys().intake,
                      Proposal(cycle(), Paper(C::HOTLINE, 2025, 2, 1)),
                      "proposal.window"));
  auto letter =
      b_.Submit(keys().intake, Proposal(cycle(), Paper(C::MAIL, 2025, 1, 31)));
  ASSERT_OK(letter);
  projections::ViewQuery q;
  q.cycle = cycle();
  auto funnel = projections::View(b_.state(), "funnel", q);
  ASSERT_OK(funnel);
  const auto& p = (*funnel)["proposals"].back();
  EXPECT_EQ(p["ref"], *letter);
  EXPECT_EQ(p["channel"], "mail");
  EXPECT_EQ(p["receivedOn"], "2025-01-31");
  EXPECT_EQ(p["recordedOn"], "2025-02-03");
}

}  // namespace
}  // namespace piaojue::testing
