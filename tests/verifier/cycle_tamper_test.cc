// The tamper suite over a whole cycle (tests/cycle_builder.h): forged
// ballots, tallies, results, progress reports and corrections must be caught
// at their entry, and the recount of the honest cycle must give the
// fixture's hand-computed numbers.
#include <nlohmann/json.hpp>

#include "tests/cycle_builder.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/batch_pool.h"
#include "verifier/recount.h"
#include "verifier/text.h"
#include "verifier/verify.h"

namespace piaojue::verifier {
namespace {

using nlohmann::json;
using piaojue::testing::BoxPlan;
using piaojue::testing::CycleBuilder;
using piaojue::testing::CycleKeys;
using piaojue::testing::TestKey;
using namespace piaojue::verifier::testing;

class CycleTamperTest : public ForgeryTest {
 protected:
  static json RoundOf(const VerifyReport& report, uint64_t round) {
    const json recount = json::parse(report.recount_json);
    // The recount is written as text (RecountCollector::RoundReport): it
    // must be byte for byte what its document dumps (keys in order, strings
    // escaped alike), as it was when the report was built as a document.
    EXPECT_EQ(report.recount_json, DumpJson(recount));
    for (const json& r : recount) {
      if (r["round"] == round) return r;
    }
    ADD_FAILURE() << "no round " << round << " in the recount";
    return json::object();
  }
};

TEST_F(CycleTamperTest, HonestCycleIsValidAndRecountsToThePublishedResult) {
  Build();
  VerifyReport report = VerifyPath(Publish(entries_, "honest.bundle"), vkey_);
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  const auto& refs = builder_->refs();

  // The fixture's hand-computed selection round.
  json round = RoundOf(report, refs.round);
  EXPECT_EQ(round["purpose"], "projectSelection");
  EXPECT_EQ(round["cycle"], refs.cycle);
  EXPECT_EQ(round["vote"], refs.vote);
  EXPECT_EQ(round["issued"], 27);
  EXPECT_EQ(round["collected"], 27);
  EXPECT_EQ(round["valid"], 26);
  EXPECT_EQ(round["invalid"], 1);
  ASSERT_EQ(round["boxes"].size(), 2u);
  EXPECT_EQ(round["boxes"][0]["label"], "第1票箱");
  EXPECT_EQ(round["boxes"][0]["issued"], 14);
  EXPECT_EQ(round["boxes"][0]["invalid"], 1);
  EXPECT_EQ(round["boxes"][1]["collected"], 13);
  std::map<uint64_t, int> approvals;
  std::map<uint64_t, std::string> titles;
  for (const json& item : round["items"]) {
    approvals[item["item"].get<uint64_t>()] = item["approve"].get<int>();
    titles[item["item"].get<uint64_t>()] = item.value("title", "");
  }
  EXPECT_EQ(titles[refs.canteen], "城东老年助餐食堂");
  EXPECT_EQ(approvals[refs.canteen], 24);
  EXPECT_EQ(approvals[refs.kindergarten], 22);
  EXPECT_EQ(approvals[refs.barriers], 21);
  EXPECT_EQ(approvals[refs.lights], 8);
  EXPECT_EQ(round["passThreshold"], 16);
  EXPECT_EQ(round["elected"],
            json(std::vector<uint64_t>{refs.canteen, refs.kindergarten,
                                       refs.barriers}));
  EXPECT_EQ(round["certifiedEntry"], refs.tally);
  EXPECT_EQ(round["announcedEntry"], refs.result);
  EXPECT_TRUE(round["matchesPublished"].get<bool>());

  // The satisfaction vote: exactly half is not enough by default.
  json satisfaction = RoundOf(report, refs.satisfaction_round);
  EXPECT_EQ(satisfaction["purpose"], "satisfaction");
  std::map<uint64_t, std::string> grades;
  for (const json& g : satisfaction["grades"]) {
    grades[g["item"].get<uint64_t>()] = g["grade"].get<std::string>();
  }
  EXPECT_EQ(grades[refs.canteen], "satisfied");
  EXPECT_EQ(grades[refs.kindergarten], "basicallySatisfied");
  EXPECT_EQ(grades[refs.barriers], "unsatisfied");
  EXPECT_TRUE(satisfaction["matchesPublished"].get<bool>());

  // The text report shows the same.
  const std::string text = Describe(report);
  EXPECT_NE(text.find("RECOUNT"), std::string::npos);
  EXPECT_NE(text.find("published results match the recount"),
            std::string::npos);
  EXPECT_NE(text.find("item " + std::to_string(refs.canteen) +
                      " 城东老年助餐食堂: approve 24"),
            std::string::npos)
      << text;
}

// Where a box's marks sit inside an entry's bytes.
size_t MarksOffset(const std::string& entry) {
  ledger::EntryView view = Parse(entry);
  auto marks = view.event().getBallotsRecorded().getMarks();
  const std::string bytes(reinterpret_cast<const char*>(marks.begin()),
                          marks.size());
  const size_t at = entry.find(bytes);
  EXPECT_NE(at, std::string::npos);
  return at;
}

TEST_F(CycleTamperTest, BallotChangedAndChainRebuiltFailsItsSignature) {
  Build(Stage::kResultAnnounced);
  const uint64_t k = builder_->refs().ballots.front();
  // One mark changed in place (the teller's signature kept, as an outsider
  // must), the chain after it rebuilt, the checkpoint re-signed.
  std::vector<std::string> forged = entries_;
  const size_t at = MarksOffset(forged[k]);
  forged[k][at] = forged[k][at] == 1 ? 2 : 1;
  ExpectInvalidAt(VerifyPath(Publish(Rechain(forged, k)), vkey_), k,
                  {"signature"});
}

TEST_F(CycleTamperTest, BallotChangedByTheTellerIsCaughtAtTheTally) {
  Build(Stage::kResultAnnounced);
  const auto& refs = builder_->refs();
  const uint64_t k = refs.ballots.front();
  // The teller's own key re-signs a box with one more approval on the last
  // ballot (still sorted: the last ballot only grows). The ballots entry is
  // well-formed; the certified tally no longer is its recount.
  const std::string path =
      ForgeEntry(k, builder_->keys().teller, [](schema::Event::Builder e) {
        auto marks = e.getBallotsRecorded().getMarks();
        for (size_t i = marks.size(); i-- > 0;) {
          if (marks[i] < 3) {
            marks[i] = marks[i] + 1;
            break;
          }
        }
      });
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, refs.tally, {"rules", "recount"});
}

TEST_F(CycleTamperTest, CertifiedTallyThatIsNotTheRecountIsCaught) {
  Build(Stage::kResultAnnounced);
  const auto& refs = builder_->refs();
  // Signed by the monitor who certifies, chained and checkpointed: only the
  // recount of the ballots can tell.
  const std::string path = ForgeEntry(
      refs.tally, builder_->keys().monitor, [](schema::Event::Builder e) {
        auto item = e.getTallyCertified().getItems()[3];
        item.setApprove(item.getApprove() + 9);
        item.setOppose(item.getOppose() - 9);
      });
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, refs.tally, {"rules", "recount"});
  EXPECT_NE(report.failure->message.find("approve"), std::string::npos)
      << Describe(report);
}

// The recount itself (RecountCollector::RecountText), under rules that no
// longer give the published results in two rounds: whatever the number of
// threads the rounds are shared among, the report's text is the same and
// the failure names the earlier round's published entry.
TEST_F(CycleTamperTest,
       TheFirstRecountMismatchInRoundOrderIsReportedOnAnyNumberOfThreads) {
  Build(Stage::kSatisfactionVote);
  const auto& refs = builder_->refs();
  RecountCollector collector;
  for (const std::string& bytes : entries_) collector.Add(Parse(bytes));
  RecountCollector::RoundRules rules = collector.RulesOf(builder_->state());
  ASSERT_EQ(rules.rules.count(refs.round), 1u);
  ASSERT_EQ(rules.rules.count(refs.satisfaction_round), 1u);
  ASSERT_LT(refs.round, refs.satisfaction_round);
  {
    BatchPool pool(2, 1);
    std::optional<Failure> failure;
    json honest = json::parse(collector.RecountText(rules, &failure, pool));
    ASSERT_FALSE(failure.has_value()) << failure->message;
    ASSERT_EQ(honest.size(), 2u);
    EXPECT_EQ(honest[0]["round"], refs.round);
    EXPECT_EQ(honest[1]["round"], refs.satisfaction_round);
  }
  // A thousand deputies entitled: nothing passes in either round, so the
  // counts still match the certified tallies and the outcomes do not match
  // the announced results.
  rules.rules[refs.round].entitled = 1000;
  rules.rules[refs.satisfaction_round].entitled = 1000;
  std::string first_text;
  for (unsigned threads : {1u, 2u, 7u}) {
    BatchPool pool(threads, 1);
    std::optional<Failure> failure;
    const std::string text = collector.RecountText(rules, &failure, pool);
    ASSERT_TRUE(failure.has_value()) << threads << " threads";
    EXPECT_EQ(failure->check, "recount");
    EXPECT_EQ(failure->index, refs.result) << failure->message;
    EXPECT_NE(failure->message.find("round " + std::to_string(refs.round)),
              std::string::npos)
        << failure->message;
    json report = json::parse(text);
    ASSERT_EQ(report.size(), 2u);
    EXPECT_FALSE(report[0]["matchesPublished"].get<bool>());
    EXPECT_FALSE(report[1]["matchesPublished"].get<bool>());
    if (first_text.empty()) first_text = text;
    EXPECT_EQ(text, first_text) << threads << " threads";
    // A failure found before the recount is kept.
    std::optional<Failure> earlier = Failure{3, "chain", "", "", "earlier"};
    collector.RecountText(rules, &earlier, pool);
    EXPECT_EQ(earlier->index, 3u);
    EXPECT_EQ(earlier->check, "chain");
  }
}

TEST_F(CycleTamperTest, AnnouncedWinnersInAnotherOrderAreCaught) {
  Build(Stage::kResultAnnounced);
  const auto& refs = builder_->refs();
  const std::string path = ForgeEntry(
      refs.result, builder_->keys().presidium, [](schema::Event::Builder e) {
        auto elected = e.getResultAnnounced().getElected();
        const uint64_t first = elected[0];
        elected.set(0, elected[1]);
        elected.set(1, first);
      });
  ExpectInvalidAt(VerifyPath(path, vkey_), refs.result, {"rules", "recount"});
}

TEST_F(CycleTamperTest, SatisfactionGradeRaisedIsCaught) {
  Build(Stage::kSatisfactionVote);
  const auto& refs = builder_->refs();
  const std::string path =
      ForgeEntry(refs.satisfaction_result, builder_->keys().presidium,
                 [](schema::Event::Builder e) {
                   // barriers: unsatisfied -> basically satisfied
                   e.getResultAnnounced().getGrades()[2].setGrade(
                       schema::Grade::BASICALLY_SATISFIED);
                 });
  ExpectInvalidAt(VerifyPath(path, vkey_), refs.satisfaction_result,
                  {"rules", "recount"});
}

TEST_F(CycleTamperTest, ProgressReportBackdatedBeforeItsPredecessorIsCaught) {
  Build(Stage::kProgress);
  const auto& refs = builder_->refs();
  const auto& reports = refs.progress.at(refs.canteen);
  const uint64_t k = reports.at(4);  // as of 31 July
  // The agency re-signs it as of 30 April, before the report it follows.
  const std::string path =
      ForgeEntry(k, builder_->keys().agency, [](schema::Event::Builder e) {
        CycleBuilder::SetDay(e.getProgressReported().initAsOf(), 2025, 4, 30);
      });
  ExpectInvalidAt(VerifyPath(path, vkey_), k, {"rules"});
}

TEST_F(CycleTamperTest, CorrectionOfANonExistentEntryIsCaught) {
  Build(Stage::kProgress);
  const auto& refs = builder_->refs();
  const uint64_t target = refs.progress.at(refs.barriers).back();
  // An honest correction of a progress report first.
  auto honest =
      builder_->Submit(builder_->keys().agency, [&](schema::Event::Builder e) {
        auto c = e.initCorrection();
        c.setTarget(target);
        c.setReason("笔误：进度叙述更正");
        capnp::MallocMessageBuilder m;
        auto original = Parse(entries_[target]);
        m.setRoot(original.event());
        auto replacement = m.getRoot<schema::Event>();
        replacement.getProgressReported().setNarrative("11月进展（更正）");
        c.setReplacement(replacement.asReader());
      });
  ASSERT_TRUE(honest.ok()) << honest.status().ToString();
  entries_ = ReadEntries(builder_->ledger());
  ASSERT_EQ(VerifyPath(Publish(entries_, "honest.bundle"), vkey_).exit_code, 0);

  // The same correction re-pointed at an entry that does not exist.
  const uint64_t k = *honest;
  const uint64_t missing = entries_.size() + 40;
  const std::string path = ForgeEntry(
      k, builder_->keys().agency,
      [&](schema::Event::Builder e) { e.getCorrection().setTarget(missing); });
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, k, {"authorization", "rules"});
  EXPECT_NE(report.failure->message.find("entry " + std::to_string(missing)),
            std::string::npos)
      << Describe(report);
}

// Corrects `target` (an entry of the builder's ledger) by a replacement
// made from the original with `edit` applied. Returns the correction's entry.
Result<uint64_t> CorrectEntry(
    piaojue::testing::CycleBuilder& builder, const crypto::KeyPair& key,
    uint64_t target, const std::string& reason,
    const std::function<void(schema::Event::Builder)>& edit) {
  const std::string original = ReadEntries(builder.ledger()).at(target);
  return builder.Submit(key, [&](schema::Event::Builder e) {
    auto c = e.initCorrection();
    c.setTarget(target);
    c.setReason(reason);
    capnp::MallocMessageBuilder m;
    m.setRoot(Parse(original).event());
    auto replacement = m.getRoot<schema::Event>();
    edit(replacement);
    c.setReplacement(replacement.asReader());
  });
}

// docs/RULES.md lets a round, a box's seal and a box's opening be corrected
// until something builds on them. The recount must count what the rules and
// the views see: the corrected records, for a bundle and a data directory.
TEST_F(CycleTamperTest, TheRecountCountsCorrectedVoteRecords) {
  Build(Stage::kDeliberation);
  auto& b = *builder_;
  const auto& refs = b.refs();
  const CycleKeys& keys = b.keys();
  // The round opened with 26 present, corrected to the fixture's 27.
  const uint32_t present = b.present_deputies;
  b.present_deputies = present - 1;
  ASSERT_TRUE(b.OpenRound().ok());
  b.present_deputies = present;
  ASSERT_TRUE(CorrectEntry(b, keys.secretariat, refs.round, "实到人数录入有误",
                           [&](schema::Event::Builder e) {
                             e.getRoundOpened().setPresentDeputies(present);
                           })
                  .ok());
  // Box 1 sealed under a mistyped label, corrected before it is opened.
  ASSERT_TRUE(b.SealBoxes().ok());
  ASSERT_TRUE(CorrectEntry(b, keys.monitor, refs.boxes[0], "票箱标签笔误",
                           [](schema::Event::Builder e) {
                             e.getBallotBoxSealed().setLabel("第一票箱");
                           })
                  .ok());
  // Box 1's opening is corrected (who opened it). Its counts are fixed
  // when it is opened (box.counts_fixed): a correction of them is refused.
  auto opening = b.OpenBox(refs.boxes[0], b.selection_boxes[0]);
  ASSERT_TRUE(opening.ok()) << opening.status().ToString();
  auto recounted = CorrectEntry(
      b, keys.monitor, *opening, "收回票数录入有误",
      [&](schema::Event::Builder e) {
        e.getBallotBoxOpened().setCollected(b.selection_boxes[0].collected - 1);
      });
  ASSERT_FALSE(recounted.ok());
  EXPECT_NE(recounted.status().message().find("box.counts_fixed"),
            std::string::npos)
      << recounted.status().ToString();
  ASSERT_TRUE(CorrectEntry(b, keys.monitor, *opening, "开箱监票人录入有误",
                           [&](schema::Event::Builder e) {
                             e.getBallotBoxOpened().initMonitors(1).set(
                                 0, "监票人乙");
                           })
                  .ok());
  ASSERT_TRUE(b.OpenBox(refs.boxes[1], b.selection_boxes[1]).ok());
  ASSERT_TRUE(b.RecordBallots().ok());
  ASSERT_TRUE(b.CertifyTally().ok());
  Status announced = b.AnnounceResult();
  ASSERT_TRUE(announced.ok()) << announced.ToString();
  ASSERT_TRUE(b.ledger().SignCheckpoint().ok());
  entries_ = ReadEntries(b.ledger());

  // The views show the corrected opening.
  auto tally = b.state().Recount(refs.round);
  ASSERT_TRUE(tally.ok());
  EXPECT_EQ(tally->collected, 27u);

  for (const std::string& path :
       {Publish(entries_, "corrected.bundle"), b.dir()}) {
    VerifyReport report = VerifyPath(path, vkey_);
    ASSERT_EQ(report.exit_code, 0) << path << "\n" << Describe(report);
    json round = RoundOf(report, refs.round);
    EXPECT_EQ(round["present"], 27);
    EXPECT_EQ(round["collected"], 27);
    ASSERT_EQ(round["boxes"].size(), 2u);
    EXPECT_EQ(round["boxes"][0]["label"], "第一票箱");
    EXPECT_EQ(round["boxes"][0]["collected"], 14);
    EXPECT_EQ(round["valid"], 26);
    EXPECT_TRUE(round["matchesPublished"].get<bool>());
  }
}

// The recount names each counted item by its proposal's title as it
// stands: a merge's title corrected before screening shows corrected, in
// the selection round and in the satisfaction vote, as the views show it.
TEST_F(CycleTamperTest, TheRecountNamesItemsByTheirCorrectedTitles) {
  Build(Stage::kMerged);
  auto& b = *builder_;
  const auto& refs = b.refs();
  const std::string corrected = "城区背街小巷及老旧小区路灯亮化改造";
  ASSERT_TRUE(CorrectEntry(b, b.keys().office, refs.lights, "标题笔误",
                           [&](schema::Event::Builder e) {
                             e.getProposalsMerged().getDetails().setTitle(
                                 corrected);
                           })
                  .ok());
  ASSERT_TRUE(b.BuildAll().ok());
  ASSERT_TRUE(b.ledger().SignCheckpoint().ok());
  entries_ = ReadEntries(b.ledger());

  VerifyReport report = VerifyPath(Publish(entries_, "retitled.bundle"), vkey_);
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  const json selection = RoundOf(report, refs.round);
  std::map<uint64_t, std::string> titles;
  for (const json& item : selection["items"]) {
    titles[item["item"].get<uint64_t>()] = item.value("title", "(none)");
  }
  EXPECT_EQ(titles.size(), 4u);
  EXPECT_EQ(titles[refs.lights], corrected);
  EXPECT_EQ(titles[refs.canteen], "城东老年助餐食堂");
  const json satisfaction = RoundOf(report, refs.satisfaction_round);
  ASSERT_FALSE(satisfaction["items"].empty());
  for (const json& item : satisfaction["items"]) {
    EXPECT_NE(item.value("title", ""), "") << item.dump();
  }
  EXPECT_NE(Describe(report).find("item " + std::to_string(refs.lights) + " " +
                                  corrected + ": approve 8"),
            std::string::npos)
      << Describe(report);
}

// Recorded ballots, a certified tally and an announced result are final
// (correction.vote_records_final): a log holding a correction of one is
// invalid at that correction, signed by whoever recorded the target.
TEST_F(CycleTamperTest, CorrectionsOfFinalVoteRecordsAreRefused) {
  Build(Stage::kPlanned);
  const auto& refs = builder_->refs();
  const CycleKeys& keys = builder_->keys();
  struct Case {
    uint64_t target;
    crypto::KeyPair key;
    std::function<void(schema::Event::Builder)> edit;
  };
  const std::vector<Case> cases = {
      {refs.ballots.front(), keys.teller,
       [](schema::Event::Builder e) {
         e.getBallotsRecorded().setUnreadable(1);
       }},
      {refs.tally, keys.monitor,
       [](schema::Event::Builder e) { e.getTallyCertified().setValid(27); }},
      {refs.result, keys.presidium,
       [](schema::Event::Builder e) {
         e.getResultAnnounced().setVacantSeats(1);
       }},
  };
  for (const Case& c : cases) {
    // The ledger refuses it.
    auto refused = CorrectEntry(*builder_, c.key, c.target, "录入有误", c.edit);
    ASSERT_FALSE(refused.ok()) << c.target;
    EXPECT_NE(refused.status().message().find("correction.vote_records_final"),
              std::string::npos)
        << refused.status().ToString();
    // Forged in place of the log's last entry, the verifier refuses it too.
    const uint64_t k = entries_.size() - 1;
    const std::string target_bytes = entries_.at(c.target);
    const std::string path =
        ForgeEntry(k, c.key, [&](schema::Event::Builder e) {
          auto corr = e.initCorrection();
          corr.setTarget(c.target);
          corr.setReason("录入有误");
          capnp::MallocMessageBuilder m;
          m.setRoot(Parse(target_bytes).event());
          auto replacement = m.getRoot<schema::Event>();
          c.edit(replacement);
          corr.setReplacement(replacement.asReader());
        });
    VerifyReport report = VerifyPath(path, vkey_);
    ExpectInvalidAt(report, k, {"rules"});
    EXPECT_NE(report.failure->message.find("correction.vote_records_final"),
              std::string::npos)
        << Describe(report);
  }
}

// A round in which a box collected more than it issued must be declared
// void: until the presidium does, the report says MUST BE VOIDED with the
// reason; once a roundVoided entry names it, VOID with that entry's reason.
// Either way it decides nothing and claims no match with results nobody
// published (issue 10 bug 2, issue 9 item 12).
TEST_F(CycleTamperTest, AVoidRoundIsReportedVoidWithItsReason) {
  builder_ = std::make_unique<piaojue::testing::CycleBuilder>(tmp_.Sub("data"));
  builder_->selection_boxes[0].collected = 15;
  builder_->selection_boxes[0].ballots.push_back({"AAAO", 1});
  Status built = builder_->BuildThrough(Stage::kBallotsRecorded);
  ASSERT_TRUE(built.ok()) << built.ToString();
  vkey_ = note::FormatVerifierKey(builder_->log_key().name,
                                  builder_->log_key().key_pair.public_key);
  const auto& refs = builder_->refs();
  auto expect_decides_nothing = [&](const json& round,
                                    const std::string& text) {
    EXPECT_EQ(round["boxes"][0]["collectedExceedsIssued"], true);
    EXPECT_EQ(round["elected"], json::array());
    EXPECT_EQ(round["ranking"], json::array());
    EXPECT_TRUE(round["vacantSeats"].is_null());
    EXPECT_TRUE(round["matchesPublished"].is_null()) << round.dump();
    EXPECT_EQ(text.find("published results match"), std::string::npos) << text;
    EXPECT_EQ(text.find("elected (ranked)"), std::string::npos) << text;
    EXPECT_NE(text.find("no tally or result was published"), std::string::npos)
        << text;
  };

  entries_ = ReadEntries(builder_->ledger());
  VerifyReport report = VerifyPath(Publish(entries_, "overfull.bundle"), vkey_);
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  json round = RoundOf(report, refs.round);
  EXPECT_EQ(round["void"], false);
  EXPECT_EQ(round["mustBeVoided"], true);
  ASSERT_TRUE(round["voidReason"].is_string()) << round.dump();
  std::string reason = round["voidReason"];
  EXPECT_NE(reason.find("collected 15"), std::string::npos) << reason;
  EXPECT_NE(reason.find("issued only 14"), std::string::npos) << reason;
  EXPECT_TRUE(round["voidedEntry"].is_null());
  std::string text = Describe(report);
  EXPECT_NE(text.find("MUST BE VOIDED: box " + std::to_string(refs.boxes[0])),
            std::string::npos)
      << text;
  expect_decides_nothing(round, text);

  auto voided = builder_->Submit(
      builder_->keys().presidium, [&](schema::Event::Builder e) {
        auto v = e.initRoundVoided();
        v.setRound(refs.round);
        v.setReason("第1票箱收回多于发出，本轮表决无效");
      });
  ASSERT_TRUE(voided.ok()) << voided.status().ToString();
  entries_ = ReadEntries(builder_->ledger());
  report = VerifyPath(Publish(entries_, "void.bundle"), vkey_);
  ASSERT_EQ(report.exit_code, 0) << Describe(report);
  round = RoundOf(report, refs.round);
  EXPECT_EQ(round["void"], true);
  EXPECT_EQ(round["mustBeVoided"], false);
  EXPECT_EQ(round["voidedEntry"], *voided);
  reason = round["voidReason"];
  EXPECT_EQ(reason, "declared void by entry " + std::to_string(*voided) +
                        ": 第1票箱收回多于发出，本轮表决无效");
  text = Describe(report);
  EXPECT_NE(
      text.find("VOID: declared void by entry " + std::to_string(*voided)),
      std::string::npos)
      << text;
  expect_decides_nothing(round, text);
}

TEST_F(CycleTamperTest, AsOfVerifiesThePrefixBeforeALaterForgery) {
  Build(Stage::kResultAnnounced);
  const auto& refs = builder_->refs();
  const std::string path = ForgeEntry(
      refs.result, builder_->keys().presidium, [](schema::Event::Builder e) {
        e.getResultAnnounced().setVacantSeats(1);
      });
  // The record as it stood before the result: valid, recount without it.
  VerifyReport before = VerifyPath(path, vkey_, {}, refs.result);
  EXPECT_EQ(before.exit_code, 0) << Describe(before);
  EXPECT_EQ(before.entries, refs.result);
  json round = RoundOf(before, refs.round);
  EXPECT_EQ(round["announcedEntry"], nullptr);
  EXPECT_EQ(round["certifiedEntry"], refs.tally);
  // One entry more reaches the forgery.
  ExpectInvalidAt(VerifyPath(path, vkey_, {}, refs.result + 1), refs.result,
                  {"rules", "recount"});
}

// The cycle's rules run on a thread of their own, behind the in-order
// checks, which go on past an entry the rules refuse. The report must be
// the serial path's all the same: the rules' failure at their entry (not a
// later entry's failure of the in-order checks), the entries checked up to
// it, its root, and nothing else different.
TEST_F(CycleTamperTest, ARulesFailureIsReportedBeforeALaterFailureOfTheChecks) {
  Build(Stage::kProgress);
  const auto& refs = builder_->refs();
  const uint64_t k = refs.progress.at(refs.canteen).at(4);
  ASSERT_LT(k + 2, entries_.size());
  // Entry k backdated before the report it follows (refused by the rules
  // alone), and a later entry signed by a key the registry does not know
  // (refused by the in-order checks).
  std::vector<std::string> forged = entries_;
  forged[k] =
      Resign(forged[k], builder_->keys().agency, [](schema::Event::Builder e) {
        CycleBuilder::SetDay(e.getProgressReported().initAsOf(), 2025, 4, 30);
      });
  const uint64_t later = forged.size() - 2;
  forged[later] = Resign(forged[later], TestKey(60));
  const std::string both = Publish(Rechain(forged, k), "both.bundle");
  VerifyReport report = VerifyPath(both, vkey_);
  ExpectInvalidAt(report, k, "rules");
  EXPECT_EQ(report.entries, k);
  EXPECT_EQ(report.root, crypto::ToHex(crypto::AsBytes(RootOf(entries_, k))));
  // The later entry alone is the in-order checks' failure.
  std::vector<std::string> only_later = entries_;
  only_later[later] = Resign(only_later[later], TestKey(60));
  const std::string later_path =
      Publish(Rechain(only_later, later), "later.bundle");
  ExpectInvalidAt(VerifyPath(later_path, vkey_), later, "authorization");

  // A root key pinned that is not the genesis entry's: the genesis entry
  // fails first, whatever the rules would have said of entry k.
  const std::string right_root =
      crypto::ToHex(crypto::AsBytes(builder_->keys().root.public_key));
  const std::string wrong_root =
      crypto::ToHex(crypto::AsBytes(TestKey(61).public_key));
  {
    VerifyOptions options;
    options.path = both;
    options.vkey = vkey_;
    options.root_key = wrong_root;
    options.quiet = true;
    options.check_signatures = false;
    ExpectInvalidAt(Verify(options), 0, "root key");
  }

  // Every answer of the pipelined run is the serial path's, for these logs
  // and the honest one, whole, prefixes, with or without signatures, with
  // the root key unpinned, pinned right or pinned wrong.
  const std::string honest = Publish(entries_, "honest.bundle");
  for (const std::string& path : {both, later_path, honest}) {
    for (std::optional<uint64_t> as_of :
         {std::optional<uint64_t>(), std::optional<uint64_t>(k),
          std::optional<uint64_t>(k + 1)}) {
      for (bool signatures : {true, false}) {
        for (const std::string& root_key :
             {std::string(), right_root, wrong_root}) {
          VerifyOptions options;
          options.path = path;
          options.vkey = vkey_;
          options.root_key = root_key;
          options.as_of = as_of;
          options.quiet = true;
          options.check_signatures = signatures;
          VerifyReport pipelined = Verify(options);
          options.rules_thread = false;
          VerifyReport serial = Verify(options);
          pipelined.seconds = serial.seconds = 0;
          EXPECT_EQ(ReportToJson(pipelined), ReportToJson(serial))
              << path << " as of " << as_of.value_or(0) << " signatures "
              << signatures << " root key " << root_key;
        }
      }
    }
  }
}

}  // namespace
}  // namespace piaojue::verifier
