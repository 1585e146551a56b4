// The clerk's commands (issue 13): ballots entered from a paper sheet, the
// tally draft, and the cycle's status — each run against the fixture's
// ledger (tests/cycle_builder.h) in a data directory, as a clerk would.
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/ballots_csv.h"
#include "api/cli/commands.h"
#include "api/cli/cycle_status.h"
#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "api/cli/tally_draft.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/test_util.h"

namespace piaojue::cli {
namespace {

using testing::BoxPlan;
using testing::CycleBuilder;
using Stage = CycleBuilder::Stage;

// A box's ballots as the tellers type them: one row per ballot, the marks
// in the given spelling (0: 赞成/反对/弃权, 1: ○/×/空, 2: 1/2/3), the
// satisfaction words for a satisfaction box.
std::string SheetOf(const BoxPlan& box, const std::vector<std::string>& header,
                    int spelling, bool satisfaction = false) {
  std::string csv;
  for (size_t i = 0; i < header.size(); ++i) csv += (i ? "," : "") + header[i];
  csv += "\r\n";
  static const char* kSelection[3][3] = {
      {"赞成", "反对", "弃权"}, {"○", "×", "空"}, {"1", "2", "3"}};
  static const char* kSatisfaction[4] = {"满意", "基本满意", "不满意", "弃权"};
  for (const auto& [pattern, count] : box.ballots) {
    std::string row;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const char c = pattern[i];
      const int mark = c == 'A' || c == 'S'   ? 1
                       : c == 'O' || c == 'B' ? 2
                       : c == 'X' || c == 'U' ? 3
                                              : 4;
      row += (i ? "," : "");
      row += satisfaction ? kSatisfaction[mark - 1]
                          : kSelection[spelling][mark - 1];
    }
    for (uint32_t k = 0; k < count; ++k) csv += row + "\r\n";
  }
  for (uint32_t k = 0; k < box.unreadable; ++k) csv += "无法辨认\r\n";
  return csv;
}

class ClerkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    data_ = tmp_.Sub("data");
    builder_ = std::make_unique<CycleBuilder>(DataDir(data_).ledger_path());
  }

  // Builds the fixture through `stage`, then closes it so the commands can
  // open the data directory; keys are written where their holders keep
  // them (outside the data directory).
  void BuildThrough(Stage stage) {
    ASSERT_OK(builder_->BuildThrough(stage));
    builder_->Close();
    teller_key_ = tmp_.Sub("teller.key");
    monitor_key_ = tmp_.Sub("monitor.key");
    ASSERT_OK(WriteKeyFile(teller_key_, {"计票人", builder_->keys().teller}));
    ASSERT_OK(WriteKeyFile(monitor_key_, {"监票人", builder_->keys().monitor}));
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = tmp_.Sub(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::vector<std::string> CandidateNames() {
    return {"城东老年助餐食堂", "新建城南公办幼儿园", "县道安全护栏改造",
            "城区路灯亮化"};
  }

  uint64_t LedgerSize() {
    auto l = ledger::Ledger::Open(DataDir(data_).ledger_path(), {}, true);
    EXPECT_OK(l);
    return l.ok() ? (*l)->size() : 0;
  }

  nlohmann::json TallyView(uint64_t round) {
    auto session = Session::Open(DataDir(data_), /*read_only=*/true);
    EXPECT_OK(session);
    projections::ViewQuery q;
    q.round = round;
    auto view = projections::View((*session)->state(), "tally", q);
    EXPECT_OK(view);
    return view.ok() ? view->at("rounds").at(0) : nlohmann::json();
  }

  Status SubmitSheet(uint64_t box, const std::string& csv, std::string* output,
                     bool chinese = false) {
    BallotsOptions o;
    o.data = data_;
    o.round = builder_->refs().round;
    o.box = box;
    o.from = Write("box" + std::to_string(box) + ".csv", csv);
    o.key_file = teller_key_;
    o.submit = true;
    o.chinese = chinese;
    std::ostringstream out;
    Status s = RecordBallotsFromSheet(o, out);
    *output = out.str();
    return s;
  }

  // Signs `command` with `key` and appends it, as `piaojue submit` does.
  Status SubmitCommand(const std::string& command, const std::string& key) {
    auto session = Session::Open(DataDir(data_));
    if (!session.ok()) return session.status();
    auto k = ReadKeyFile(key);
    if (!k.ok()) return k.status();
    auto event =
        SignCommand(command, k->key_pair, (*session)->ledger().origin());
    if (!event.ok()) return event.status();
    return (*session)->ledger().Append(*event).status();
  }

  testing::TempDir tmp_;
  std::string data_;
  std::unique_ptr<CycleBuilder> builder_;
  std::string teller_key_, monitor_key_;
};

// Item 1 and 2 of the clerk's part of issue 13: the fixture's two boxes,
// typed as sheets in different spellings, are recorded in parts the rules
// accept; the totals printed for the tellers, the recount and the fixture's
// own hand count agree; the tally draft, signed by the monitor, is accepted.
TEST_F(ClerkTest, PaperSheetsAreRecordedAndTheDraftTallyIsAccepted) {
  BuildThrough(Stage::kBoxesOpened);
  const auto& refs = builder_->refs();
  const auto& boxes = builder_->selection_boxes;
  std::vector<std::string> by_name = CandidateNames();
  std::vector<std::string> by_ref;
  for (uint64_t c : refs.candidates) by_ref.push_back(std::to_string(c));

  std::string out1, out2;
  ASSERT_OK(SubmitSheet(refs.boxes[0], SheetOf(boxes[0], by_name, 0), &out1));
  // Box 1: canteen approved on 13 of 14 ballots (10 AAAO + 2 AAOA + 1 AOXA;
  // the AAAA ballot is invalid).
  EXPECT_NE(out1.find("approve 13"), std::string::npos) << out1;
  EXPECT_NE(out1.find("invalid 1"), std::string::npos) << out1;
  ASSERT_OK(SubmitSheet(refs.boxes[1], SheetOf(boxes[1], by_ref, 1), &out2));

  const nlohmann::json round = TallyView(refs.round);
  EXPECT_TRUE(round["complete"].get<bool>()) << round.dump(2);
  const auto planned = testing::CountPlannedBoxes(boxes, 4, false, 3);
  const nlohmann::json& recount = round["recount"];
  EXPECT_EQ(recount["valid"], planned.valid);
  EXPECT_EQ(recount["invalid"], planned.invalid);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(recount["items"][i]["approve"], planned.marks[i][0]) << i;
    EXPECT_EQ(recount["items"][i]["oppose"], planned.marks[i][1]) << i;
    EXPECT_EQ(recount["items"][i]["abstain"], planned.marks[i][2]) << i;
  }
  EXPECT_EQ(recount["items"][0]["approve"], 24);
  EXPECT_EQ(recount["items"][3]["approve"], 8);

  // The draft, certified by the monitor's key, is what the rules accept.
  TallyDraftOptions d;
  d.data = data_;
  d.round = refs.round;
  d.certified_by = {"计票人丙", "监票人甲"};
  d.out_file = tmp_.Sub("tally.json");
  std::ostringstream summary;
  ASSERT_OK(TallyDraft(d, summary));
  // The monitors read it by name before they sign.
  EXPECT_NE(summary.str().find("issued 27, collected 27"), std::string::npos)
      << summary.str();
  EXPECT_NE(
      summary.str().find("城区路灯亮化        approve 8  oppose 18  abstain 0"),
      std::string::npos)
      << summary.str();
  std::ifstream in(d.out_file);
  std::stringstream draft;
  draft << in.rdbuf();
  const uint64_t before = LedgerSize();
  ASSERT_OK(SubmitCommand(draft.str(), monitor_key_));
  EXPECT_EQ(LedgerSize(), before + 1);
  const nlohmann::json certified = TallyView(refs.round)["certified"];
  EXPECT_EQ(certified["matchesRecount"], true) << certified.dump(2);
  EXPECT_EQ(certified["certifiedBy"][1], "监票人甲");
  // A second draft is refused: the round is certified.
  auto again = Session::Open(DataDir(data_), true);
  ASSERT_OK(again);
  EXPECT_EQ(
      DraftTally((*again)->state(), refs.round, {}, false).status().code(),
      StatusCode::kFailedPrecondition);
}

TEST_F(ClerkTest, BadRowsAreReportedWithTheirRowNumbersAndNothingIsAppended) {
  BuildThrough(Stage::kBoxesOpened);
  const auto& refs = builder_->refs();
  const uint64_t before = LedgerSize();
  std::string out;
  // A typo in row 3, column 2: the sheet's error, nothing recorded.
  std::string csv =
      "城东老年助餐食堂,新建城南公办幼儿园,县道安全护栏改造,城区路灯亮化\n"
      "赞成,赞成,赞成,反对\n"
      "赞成,赞同,赞成,反对\n";
  Status s = SubmitSheet(refs.boxes[0], csv, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("row 3, column 2"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("赞同"), std::string::npos) << s.message();
  EXPECT_EQ(LedgerSize(), before);
  // In Chinese.
  s = SubmitSheet(refs.boxes[0], csv, &out, /*chinese=*/true);
  EXPECT_NE(s.message().find("第 3 行"), std::string::npos) << s.message();
  // A row with a missing cell.
  s = SubmitSheet(refs.boxes[0],
                  "1,2,3\n" + std::string("赞成,赞成,赞成,反对\n"), &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("row 1"), std::string::npos) << s.message();
  // A header in the wrong order.
  s = SubmitSheet(
      refs.boxes[0],
      "新建城南公办幼儿园,城东老年助餐食堂,县道安全护栏改造,城区路灯亮化\n",
      &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ballot order"), std::string::npos);
  EXPECT_EQ(LedgerSize(), before);

  // Invalid ballots (废票) are ballots: reported by row, and recorded. The
  // box collected 14: 11 valid rows, one approving all four (row 5), one
  // with a mark that cannot count (row 9), one unreadable (row 15).
  csv = "城东老年助餐食堂,新建城南公办幼儿园,县道安全护栏改造,城区路灯亮化\n";
  for (int row = 2; row <= 15; ++row) {
    if (row == 5) {
      csv += "○,○,○,○\n";
    } else if (row == 9) {
      csv += "○,无效,○,×\n";
    } else if (row == 15) {
      csv += "无法辨认,,,\n";
    } else {
      csv += "○,○,×,空\n";
    }
  }
  ASSERT_OK(SubmitSheet(refs.boxes[0], csv, &out));
  EXPECT_NE(out.find("row 5: approves 4 items, more than the round's limit "
                     "of 3"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("row 9: a mark that cannot count"), std::string::npos)
      << out;
  EXPECT_NE(out.find("row 15: unreadable"), std::string::npos) << out;
  const nlohmann::json box = TallyView(refs.round)["boxes"][0];
  EXPECT_EQ(box["ballots"], 14);
  EXPECT_EQ(box["valid"], 11);
  EXPECT_EQ(box["invalid"], 3);
  EXPECT_EQ(box["unreadable"], 1);

  // A sheet that does not hold what the box collected is refused.
  const uint64_t after = LedgerSize();
  std::string header;
  for (uint64_t c : refs.candidates) {
    header += (header.empty() ? "" : ",") + std::to_string(c);
  }
  s = SubmitSheet(refs.boxes[1], header + "\n○,○,×,空\n", &out);
  EXPECT_NE(s.message().find("1 ballots, box"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(LedgerSize(), after);
}

// Without --submit, the parts are written as commands for the teller to
// sign elsewhere; signed and submitted, they are accepted.
TEST_F(ClerkTest, PartsWrittenToFilesAreAcceptedOnceSigned) {
  BuildThrough(Stage::kBoxesOpened);
  const auto& refs = builder_->refs();
  BallotsOptions o;
  o.data = data_;
  o.round = refs.round;
  o.box = refs.boxes[0];
  o.from = Write("box.csv",
                 SheetOf(builder_->selection_boxes[0], CandidateNames(), 0));
  o.out_dir = tmp_.Sub("out");
  const uint64_t before = LedgerSize();
  std::ostringstream out;
  ASSERT_OK(RecordBallotsFromSheet(o, out));
  EXPECT_EQ(LedgerSize(), before);  // nothing appended yet
  const std::string file = o.out_dir + "/ballots-box" +
                           std::to_string(refs.boxes[0]) + "-part1.json";
  std::ifstream in(file);
  std::stringstream command;
  command << in.rdbuf();
  ASSERT_FALSE(command.str().empty()) << out.str();
  ASSERT_OK(SubmitCommand(command.str(), teller_key_));
  EXPECT_EQ(TallyView(refs.round)["boxes"][0]["valid"], 13);
  // A second run does not overwrite the file.
  EXPECT_EQ(RecordBallotsFromSheet(o, out).code(),
            StatusCode::kFailedPrecondition);  // the box is recorded now
}

// With the teller's key, the parts are written as signed envelopes (the
// teller's machine, no server): `piaojue submit --signed` appends them.
TEST_F(ClerkTest, PartsSignedWithTheTellersKeyAreEnvelopesSubmitAccepts) {
  BuildThrough(Stage::kBoxesOpened);
  const auto& refs = builder_->refs();
  BallotsOptions o;
  o.data = data_;
  o.round = refs.round;
  o.box = refs.boxes[0];
  o.from = Write("box.csv",
                 SheetOf(builder_->selection_boxes[0], CandidateNames(), 0));
  o.out_dir = tmp_.Sub("signed");
  o.key_file = teller_key_;
  const uint64_t before = LedgerSize();
  std::ostringstream out;
  ASSERT_OK(RecordBallotsFromSheet(o, out));
  EXPECT_EQ(LedgerSize(), before);
  const std::string file = o.out_dir + "/ballots-box" +
                           std::to_string(refs.boxes[0]) + "-part1.json";
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  const auto envelope = nlohmann::json::parse(text.str());
  EXPECT_EQ(envelope["format"], "piaojue-signed-event/v1");
  EXPECT_EQ(envelope["kind"], "ballotsRecorded");
  SubmitOptions submit;
  submit.data = data_;
  submit.signed_file = file;
  ASSERT_OK(Submit(submit, out));
  EXPECT_EQ(LedgerSize(), before + 1);
  EXPECT_EQ(TallyView(refs.round)["boxes"][0]["valid"], 13);
}

TEST(BallotSheetTest, ReadsSatisfactionWordsQuotingAndSpreadsheetHabits) {
  SheetRound round;
  round.rules.purpose = projections::VotePurpose::kSatisfaction;
  round.items = {{14, "城东老年助餐食堂"}, {15, "新建城南公办幼儿园"}};
  // A BOM, CRLF, a quoted header cell, a comment line, an empty line,
  // full-width spaces around a mark, an empty cell (弃权) and digits.
  const std::string csv =
      "\xEF\xBB\xBF\"14 城东老年助餐食堂\",15\r\n"
      "# 第1页\r\n"
      "满意,基本满意\r\n"
      "\r\n"
      "\xE3\x80\x80不满意\xE3\x80\x80,\r\n"
      "2,4\r\n"
      "无法辨认,\r\n";
  auto sheet = ReadBallotSheet(csv, round, false);
  ASSERT_OK(sheet);
  ASSERT_EQ(sheet->ballots.size(), 3u);
  EXPECT_EQ(sheet->ballots[0], std::string("\x01\x02", 2));
  EXPECT_EQ(sheet->ballots[1], std::string("\x03\x04", 2));
  EXPECT_EQ(sheet->ballots[2], std::string("\x02\x04", 2));
  EXPECT_EQ(sheet->unreadable, 1u);
  ASSERT_EQ(sheet->invalid.size(), 1u);
  EXPECT_EQ(sheet->invalid[0].row, 7u);
  // A selection word is not a satisfaction mark.
  auto wrong = ReadBallotSheet("14,15\n赞成,满意\n", round, false);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("row 2, column 1"), std::string::npos)
      << wrong.status().message();
}

TEST(BallotPartsTest, ALargeBoxIsSplitIntoFullParts) {
  // F(4) = 15,000 ballots per part.
  std::vector<std::string> ballots;
  for (int i = 0; i < 30'001; ++i) {
    ballots.push_back(std::string(1, static_cast<char>(3 - i % 3)) +
                      std::string("\x02\x02\x01", 3));
  }
  auto parts = SplitIntoParts(ballots, 4, 2);
  ASSERT_OK(parts);
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].marks.size(), 60'000u);
  EXPECT_EQ((*parts)[1].marks.size(), 60'000u);
  EXPECT_EQ((*parts)[2].marks.size(), 4u);
  EXPECT_EQ((*parts)[2].unreadable, 2u);
  for (const BallotPart& p : *parts) {
    EXPECT_EQ(p.part_count, 3);
    for (size_t at = 4; at < p.marks.size(); at += 4) {
      ASSERT_LE(p.marks.compare(at - 4, 4, p.marks, at, 4), 0) << at;
    }
  }
  // An empty box is one empty part.
  auto empty = SplitIntoParts({}, 4, 0);
  ASSERT_OK(empty);
  EXPECT_EQ(empty->size(), 1u);
}

// A large box end to end: 15,001 ballots of 4 items are two parts (15,000
// and 1), and the rules accept both.
TEST_F(ClerkTest, ALargeBoxIsRecordedInFullPartsTheRulesAccept) {
  builder_->entitled_deputies = 16'000;
  builder_->present_deputies = 15'500;
  builder_->selection_boxes = {
      BoxPlan{"第1票箱", 15'001, 15'001, {{"AAAO", 15'001}}, 0, 1}};
  BuildThrough(Stage::kBoxesOpened);
  std::string out;
  ASSERT_OK(SubmitSheet(
      builder_->refs().boxes[0],
      SheetOf(builder_->selection_boxes[0], CandidateNames(), 2), &out));
  EXPECT_NE(out.find("part 2/2"), std::string::npos) << out;
  const nlohmann::json round = TallyView(builder_->refs().round);
  EXPECT_EQ(round["boxes"][0]["partCount"], 2);
  EXPECT_EQ(round["recount"]["valid"], 15'001);
  EXPECT_TRUE(round["complete"].get<bool>());
}

// Item 3: the cycle's status at several stages of the fixture.
class CycleStatusTest : public ::testing::Test {
 protected:
  CycleStatus StatusAt(Stage stage, bool chinese = true) {
    EXPECT_OK(builder_.BuildThrough(stage));
    auto s = ComputeCycleStatus(builder_.state(), builder_.ledger().authority(),
                                builder_.refs().cycle, {2025, 12, 31}, chinese);
    EXPECT_OK(s);
    return s.ok() ? *s : CycleStatus{};
  }
  static std::string Text(const CycleStatus& s, bool chinese = true) {
    std::ostringstream out;
    PrintCycleStatus(s, chinese, out);
    return out.str();
  }
  static bool Has(const std::vector<std::string>& lines, const std::string& l) {
    return std::find(lines.begin(), lines.end(), l) != lines.end();
  }
  CycleBuilder builder_;
};

TEST_F(CycleStatusTest, SaysTheStepWhatIsMissingAndWhoSignsNext) {
  CycleStatus s = StatusAt(Stage::kProposals);
  EXPECT_EQ(s.step, "screening");
  EXPECT_TRUE(Has(s.missing, "审核: 8 条建议尚未经政府审核")) << Text(s);
  // The list is not "missing" while proposals wait at a stage.
  EXPECT_EQ(s.missing.size(), 1u) << Text(s);
  EXPECT_EQ(s.next_act, "screeningDecided");
  ASSERT_EQ(s.signers.size(), 1u);
  EXPECT_EQ(s.signers[0].role, "governmentOffice");
  EXPECT_EQ(s.signers[0].holders, std::vector<std::string>{"某县发展和改革局"});

  s = StatusAt(Stage::kGovernmentReview);
  EXPECT_TRUE(Has(s.missing, "审定: 6 条候选建议尚未经党委审定")) << Text(s);
  EXPECT_EQ(s.signers[0].role, "partyCommittee");
  EXPECT_NE(Text(s).find("党委 (partyCommittee) — 中共某县委员会"),
            std::string::npos)
      << Text(s);

  s = StatusAt(Stage::kPartyCommittee);
  EXPECT_TRUE(Has(s.missing, "审查: 5 条建议尚未经人大常委会审查")) << Text(s);

  s = StatusAt(Stage::kStandingCommittee);
  EXPECT_EQ(s.step, "list");
  EXPECT_EQ(s.next_act, "candidateListFixed");
  EXPECT_TRUE(
      Has(s.missing, "候选项目: 清单尚未确定（4 条建议已通过三级审查）"))
      << Text(s);

  s = StatusAt(Stage::kCandidateList);
  EXPECT_EQ(s.next_act, "votingRulesAdopted");
  // Once the list is fixed, no proposal can be added: no window note, even
  // on a day inside the collection window.
  auto during =
      ComputeCycleStatus(builder_.state(), builder_.ledger().authority(),
                         builder_.refs().cycle, {2025, 1, 20}, true);
  ASSERT_OK(during);
  EXPECT_TRUE(during->notes.empty()) << Text(*during);

  s = StatusAt(Stage::kBoxesOpened);
  EXPECT_EQ(s.step, "vote");
  EXPECT_EQ(s.next_act, "ballotsRecorded");
  EXPECT_EQ(s.signers[0].role, "teller");
  EXPECT_EQ(s.next_hint, "piaojue ballots --round " +
                             std::to_string(builder_.refs().round) + " --box " +
                             std::to_string(builder_.refs().boxes[0]) +
                             " --from SHEET.csv");
  EXPECT_TRUE(Has(s.missing, "票决: 第 1 轮：2 个票箱的选票尚未录入"))
      << Text(s);

  s = StatusAt(Stage::kBallotsRecorded);
  EXPECT_EQ(s.next_act, "tallyCertified");
  EXPECT_NE(s.next_hint.find("piaojue tally draft"), std::string::npos);

  s = StatusAt(Stage::kTallyCertified);
  EXPECT_EQ(s.next_act, "resultAnnounced");
  EXPECT_EQ(s.signers[0].role, "presidium");

  s = StatusAt(Stage::kResultAnnounced);
  EXPECT_EQ(s.step, "supervision");
  EXPECT_TRUE(Has(s.missing, "监督: 3 个项目尚无实施计划")) << Text(s);

  s = StatusAt(Stage::kAccepted);
  EXPECT_EQ(s.step, "evaluation");
  EXPECT_EQ(s.next_act, "evaluationScored");

  s = StatusAt(Stage::kEvaluated);
  EXPECT_EQ(s.next_act, "votingRulesAdopted");
  EXPECT_TRUE(Has(s.missing, "满意度测评: 3 个项目尚未测评")) << Text(s);

  s = StatusAt(Stage::kAll);
  EXPECT_EQ(s.step, "closed");
  EXPECT_TRUE(s.missing.empty()) << Text(s);
  EXPECT_TRUE(s.next_act.empty());
}

TEST_F(CycleStatusTest, SpeaksEnglishOutsideAChineseLocale) {
  CycleStatus s = StatusAt(Stage::kGovernmentReview, /*chinese=*/false);
  const std::string text = Text(s, false);
  EXPECT_NE(text.find("approval: 6 candidate proposal(s) not yet approved by "
                      "the party committee"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("signed by: partyCommittee — 中共某县委员会"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace piaojue::cli
