// Issue 13, "Commands a clerk can write": every template parses and, filled
// in, is accepted by the cycle's rules; malformed commands get messages that
// name the field, what was given and what is accepted, in English or
// Chinese, and never the decoder's own text; money and dates in the forms
// a clerk writes them; satisfaction tallies in the view's words; refusals by
// a rule in Chinese.
#include "api/cli/command_form.h"

#include <capnp/schema.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "api/cli/messages.h"
#include "api/cli/templates.h"
#include "ledger/event_json.h"
#include "ledger/text_validation.h"
#include "tests/cycle_builder.h"
#include "tests/test_util.h"

namespace piaojue::cli {
namespace {

using nlohmann::json;
using testing::CycleBuilder;
using Stage = CycleBuilder::Stage;

json Day(const CycleBuilder& b) {
  const projections::Date d = projections::DateFromMs(b.now_ms());
  return json{{"year", d.year}, {"month", d.month}, {"day", d.day}};
}

std::string Hex(const crypto::PublicKey& k) {
  return crypto::ToHex(crypto::AsBytes(k));
}

TEST(TemplateTest, EveryTemplateParsesAsItIs) {
  ASSERT_FALSE(TemplateKinds().empty());
  for (const std::string& kind : TemplateKinds()) {
    auto text = EventTemplate(kind, Lang::kChinese);
    ASSERT_OK(text);
    // Chinese explanations, as comments the reader ignores.
    EXPECT_NE(text->find("// "), std::string::npos) << kind;
    EXPECT_NE(text->find("签署"), std::string::npos) << kind;
    auto command = ParseCommand(*text, Lang::kEnglish);
    ASSERT_TRUE(command.ok()) << kind << ": " << command.status().ToString();
    EXPECT_TRUE(json::parse(command->event_json).contains(kind)) << kind;
  }
  // Every event kind but genesis has one.
  const auto kinds = capnp::Schema::from<schema::Event>().getUnionFields();
  EXPECT_EQ(TemplateKinds().size(), kinds.size() - 1);
  EXPECT_EQ(EventTemplate("genesis", Lang::kEnglish).status().code(),
            StatusCode::kNotFound);
  auto unknown = EventTemplate("cycleOpend", Lang::kChinese);
  EXPECT_NE(unknown.status().message().find("cycleOpened（"), std::string::npos)
      << unknown.status().message();
}

struct FillCase {
  std::string kind;
  Stage after;  // the builder is built through this stage first
  std::function<const crypto::KeyPair&(const testing::CycleKeys&)> key;
  std::function<void(json&, CycleBuilder&)> fill;  // the event's fields
  std::string jurisdiction = testing::kCounty;
};

// Submits the template of `c.kind`, read as a clerk's command and filled in
// by `c.fill`, to a fixture built through `c.after`.
Result<uint64_t> SubmitTemplate(CycleBuilder& b, const FillCase& c) {
  ASSIGN_OR_RETURN(std::string text, EventTemplate(c.kind, Lang::kEnglish));
  ASSIGN_OR_RETURN(Command command, ParseCommand(text, Lang::kEnglish));
  json event = json::parse(command.event_json);
  c.fill(event[c.kind], b);
  return b.Submit(
      c.key(b.keys()),
      [&](schema::Event::Builder e) {
        Status s = ledger::EventFromJson(event.dump(), e);
        EXPECT_TRUE(s.ok()) << s.ToString() << ": " << event.dump();
      },
      c.jurisdiction);
}

std::vector<FillCase> FillCases() {
  using K = testing::CycleKeys;
  auto root = [](const K& k) -> const crypto::KeyPair& { return k.root; };
  auto office = [](const K& k) -> const crypto::KeyPair& { return k.office; };
  auto standing = [](const K& k) -> const crypto::KeyPair& {
    return k.standing;
  };
  auto secretariat = [](const K& k) -> const crypto::KeyPair& {
    return k.secretariat;
  };
  auto monitor = [](const K& k) -> const crypto::KeyPair& { return k.monitor; };
  auto teller = [](const K& k) -> const crypto::KeyPair& { return k.teller; };
  auto presidium = [](const K& k) -> const crypto::KeyPair& {
    return k.presidium;
  };
  auto agency = [](const K& k) -> const crypto::KeyPair& { return k.agency; };
  auto inspection = [](const K& k) -> const crypto::KeyPair& {
    return k.inspection;
  };
  auto evaluation = [](const K& k) -> const crypto::KeyPair& {
    return k.evaluation;
  };
  auto none = [](json&, CycleBuilder&) {};
  return {
      {"jurisdictionRegistered", Stage::kDeployment, root, none, ""},
      {"keyRegistered", Stage::kDeployment, root, none, ""},
      {"keyRevoked", Stage::kDeployment, root,
       [](json& e, CycleBuilder& b) {
         e["key"] = Hex(b.keys().teller.public_key);
       },
       ""},
      {"cycleOpened", Stage::kDeployment, office, none},
      {"proposalSubmitted", Stage::kCycleOpened, office,
       [](json& e, CycleBuilder& b) {
         e["cycle"] = b.refs().cycle;
         e["receivedOn"] = Day(b);
       }},
      {"proposalsMerged", Stage::kProposals, office,
       [](json& e, CycleBuilder& b) {
         e["cycle"] = b.refs().cycle;
         e["sources"] = {b.refs().lights_east, b.refs().lights_west};
       }},
      {"screeningDecided", Stage::kMerged, office,
       [](json& e, CycleBuilder& b) { e["proposal"] = b.refs().canteen; }},
      {"candidateListFixed", Stage::kStandingCommittee, standing,
       [](json& e, CycleBuilder& b) {
         e["cycle"] = b.refs().cycle;
         e["candidates"][0]["proposal"] = b.refs().canteen;
       }},
      {"votingRulesAdopted", Stage::kCandidateList, standing,
       [](json& e, CycleBuilder& b) {
         e["cycle"] = b.refs().cycle;
         e["seats"] = 3;
         e["extraCandidates"] = 1;
         e["entitledDeputies"] = 30;
       }},
      {"deliberationRecorded", Stage::kVotingRules, secretariat,
       [](json& e, CycleBuilder& b) { e["cycle"] = b.refs().cycle; }},
      {"roundOpened", Stage::kDeliberation, secretariat,
       [](json& e, CycleBuilder& b) {
         e["vote"] = b.refs().vote;
         e["items"] = b.refs().candidates;
         e["presentDeputies"] = 27;
       }},
      {"ballotBoxSealed", Stage::kRoundOpened, monitor,
       [](json& e, CycleBuilder& b) { e["round"] = b.refs().round; }},
      {"roundVoided", Stage::kRoundOpened, presidium,
       [](json& e, CycleBuilder& b) { e["round"] = b.refs().round; }},
      {"ballotBoxOpened", Stage::kBoxesSealed, monitor,
       [](json& e, CycleBuilder& b) {
         e["box"] = b.refs().boxes[0];
         e["issued"] = b.selection_boxes[0].issued;
         e["collected"] = b.selection_boxes[0].collected;
       }},
      {"ballotsRecorded", Stage::kBoxesOpened, teller,
       [](json& e, CycleBuilder& b) {
         e["box"] = b.refs().boxes[0];
         e["itemCount"] = b.refs().candidates.size();
         e["marks"] = crypto::ToHex(
             crypto::AsBytes(testing::BallotBytes(b.selection_boxes[0])));
       }},
      {"tallyCertified", Stage::kBallotsRecorded, monitor,
       [](json& e, CycleBuilder& b) {
         const auto count = testing::CountPlannedBoxes(
             b.selection_boxes, b.refs().candidates.size(), false, 3);
         e["round"] = b.refs().round;
         e["issued"] = count.issued;
         e["collected"] = count.collected;
         e["valid"] = count.valid;
         e["invalid"] = count.invalid;
         json items = json::array();
         for (size_t i = 0; i < b.refs().candidates.size(); ++i) {
           items.push_back({{"item", b.refs().candidates[i]},
                            {"approve", count.marks[i][0]},
                            {"oppose", count.marks[i][1]},
                            {"abstain", count.marks[i][2]}});
         }
         e["items"] = items;
       }},
      {"resultAnnounced", Stage::kTallyCertified, presidium,
       [](json& e, CycleBuilder& b) {
         e["round"] = b.refs().round;
         e["elected"] = {b.refs().canteen, b.refs().kindergarten,
                         b.refs().barriers};
       }},
      {"implementationPlanned", Stage::kResultAnnounced, agency,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().canteen; }},
      {"progressReported", Stage::kPlanned, agency,
       [](json& e, CycleBuilder& b) {
         e["project"] = b.refs().canteen;
         e["asOf"] = Day(b);
       }},
      {"inspectionRecorded", Stage::kProgress, inspection,
       [](json& e, CycleBuilder& b) {
         e["projects"] = {b.refs().canteen, b.refs().kindergarten};
       }},
      {"supervisionNoticeIssued", Stage::kInspection, standing,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().barriers; }},
      {"adjustmentDecided", Stage::kInspection, standing,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().barriers; }},
      {"acceptanceRecorded", Stage::kInspection, office,
       [](json& e, CycleBuilder& b) {
         e["project"] = b.refs().canteen;
         e["acceptedOn"] = Day(b);
       }},
      {"evaluationScored", Stage::kAccepted, evaluation,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().canteen; }},
      {"operationReviewed", Stage::kAccepted, office,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().canteen; }},
      {"rectificationOrdered", Stage::kSatisfactionVote, standing,
       [](json& e, CycleBuilder& b) { e["project"] = b.refs().barriers; }},
      {"correction", Stage::kProposals, office,
       [](json& e, CycleBuilder& b) { e["target"] = b.refs().stadium; }},
  };
}

// "Filled in": the references and the few values that depend on the
// fixture's story replaced; everything else as the template has it.
TEST(TemplateTest, EveryTemplateFilledInIsAcceptedByTheRules) {
  ASSERT_OK(crypto::InitCrypto());
  std::set<std::string> covered;
  for (const FillCase& c : FillCases()) {
    SCOPED_TRACE(c.kind);
    CycleBuilder b;
    ASSERT_OK(b.BuildThrough(c.after));
    auto r = SubmitTemplate(b, c);
    EXPECT_TRUE(r.ok()) << c.kind << ": " << r.status().ToString();
    covered.insert(c.kind);
  }
  // The report needs an order first: the order's template, then its own.
  {
    CycleBuilder b;
    ASSERT_OK(b.BuildThrough(Stage::kSatisfactionVote));
    FillCase order = FillCases()[FillCases().size() - 2];
    ASSERT_EQ(order.kind, "rectificationOrdered");
    auto ordered = SubmitTemplate(b, order);
    ASSERT_OK(ordered);
    FillCase report{"rectificationReported", Stage::kSatisfactionVote,
                    [](const testing::CycleKeys& k) -> const crypto::KeyPair& {
                      return k.agency;
                    },
                    [&](json& e, CycleBuilder&) { e["order"] = *ordered; }};
    EXPECT_OK(SubmitTemplate(b, report));
    covered.insert(report.kind);
  }
  for (const std::string& kind : TemplateKinds()) {
    EXPECT_TRUE(covered.count(kind)) << kind << " is not filled in and tried";
  }
}

// The JSON of any entry (`piaojue entry N`: 64-bit integers as strings,
// enums left "unspecified", hex, null for Void) is a command as it is: every
// event of a whole cycle reads back to the very same event.
TEST(CommandFormTest, EveryEntryOfAWholeCycleReadsBackAsACommand) {
  ASSERT_OK(crypto::InitCrypto());
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  for (uint64_t i = 1; i < b.size(); ++i) {
    auto bytes = b.ledger().ReadEntry(i);
    ASSERT_OK(bytes);
    auto entry = ledger::EntryView::Parse(*bytes);
    ASSERT_OK(entry);
    const std::string event = ledger::EventToJson(entry->event());
    const json command = {
        {"jurisdiction",
         ledger::TextString(entry->authored().getJurisdiction())},
        {"event", json::parse(event)}};
    auto parsed = ParseCommand(command.dump(), Lang::kEnglish);
    ASSERT_TRUE(parsed.ok())
        << "entry " << i << ": " << parsed.status().ToString();
    capnp::MallocMessageBuilder m;
    auto back = m.initRoot<schema::Event>();
    ASSERT_OK(ledger::EventFromJson(parsed->event_json, back));
    EXPECT_EQ(ledger::EventToJson(back.asReader()), event) << "entry " << i;
  }
}

// What the decoder itself says must never reach a clerk.
void ExpectNoDecoderText(const std::string& message) {
  for (const char* internal :
       {"nameToValue", "endPtr", "rejectUnknownFields", "kj/", "capnp",
        "json.exception", "parse_error", "KJ_"}) {
    EXPECT_EQ(message.find(internal), std::string::npos)
        << "\"" << internal << "\" in: " << message;
  }
}

std::string Cycle(const std::string& fields) {
  return R"({"jurisdiction": "610102", "event": {"cycleOpened": {)" + fields +
         "}}}";
}

TEST(CommandFormTest, MalformedCommandsNameTheFieldTheValueAndTheChoices) {
  struct Case {
    std::string command;
    std::vector<std::string> english;  // each must appear
    std::vector<std::string> chinese;
  };
  const std::vector<Case> cases = {
      {Cycle(R"("level": "city")"),
       {"field event.cycleOpened.level", "\"city\"",
        "accepted values: county, township"},
       {"字段 event.cycleOpened.level", "\"city\"", "county（县/市/区）",
        "township（乡/镇/街道）"}},
      {R"({"jurisdiction": "610102", "event": {"proposalSubmitted": {
           "details": {"category": "schools"}}}})",
       {"field event.proposalSubmitted.details.category", "\"schools\"",
        "education, health, elderlyCare, childcare, transport, cultureSport, "
        "publicFacilities, employmentSocialSecurity, environment, other"},
       {"字段 event.proposalSubmitted.details.category", "education（教育）",
        "other（其他）"}},
      {Cycle(R"("year": "2025x")"),
       {"field event.cycleOpened.year", "\"2025x\"",
        "a whole number from 0 to 65535"},
       {"字段 event.cycleOpened.year", "0 到 65535 之间的整数"}},
      {Cycle(R"("year": 70000)"),
       {"field event.cycleOpened.year", "70000", "0 to 65535"},
       {"70000"}},
      {Cycle(R"("titel": "某县")"),
       {"field event.cycleOpened.titel", "unknown field",
        "year, level, title, budgetFen"},
       {"字段 event.cycleOpened.titel", "没有这个字段", "title"}},
      {R"({"jurisdiction": "610102", "event": {"cycleOpend": {}}})",
       {"\"cycleOpend\"", "unknown event kind", "cycleOpened",
        "proposalSubmitted", "roundVoided"},
       {"没有这种事项", "cycleOpened（开启年度民生实事项目周期"}},
      {Cycle(R"("budgetFen": "12.5")"),
       {"field event.cycleOpened.budgetFen", "\"12.5\"", "12.5万元"},
       {"字段 event.cycleOpened.budgetFen", "请填写金额"}},
      {Cycle(R"("collectionStart": "2025-02-30")"),
       {"field event.cycleOpened.collectionStart", "\"2025-02-30\"",
        "2025年6月15日"},
       {"请填写日期"}},
      {Cycle(R"("backfill": "yes")"),
       {"field event.cycleOpened.backfill", "\"yes\"", "true, false"},
       {"true（是）"}},
      {R"({"jurisdiction": 610102, "event": {}})",
       {"field jurisdiction", "610102", "\"610102\""},
       {"字段 jurisdiction"}},
      {R"({"jurisdiction": "610102", "evnt": {}})",
       {"field evnt", "jurisdiction, event"},
       {"字段 evnt", "jurisdiction、event"}},
      {R"({"jurisdiction": "610102", "event": {"progressReported": {
           "evidence": [{"sha256": "xyz"}]}}})",
       {"field event.progressReported.evidence[0].sha256", "\"xyz\"",
        "hexadecimal"},
       {"十六进制"}},
      {R"({"jurisdiction": "610102", "event": {}})",
       {"names no event kind", "cycleOpened"},
       {"没有写明事项类型"}},
      {R"({"jurisdiction": "610102", "event": {"cycleOpened": {},
           "roundVoided": {}}})",
       {"gives cycleOpened, roundVoided", "exactly one"},
       {"只能填写其中之一"}},
      {"{\"jurisdiction\": \"610102\",\n \"event\": {\"cycleOpened\": "
       "{\"year\": 2025,,}}}",
       {"not valid JSON near line 2"},
       {"第 2 行"}},
      {R"({"jurisdiction": "610102", "event": {"screeningDecided": {
           "stage": "review"}}})",
       {"governmentReview, partyCommitteeApproval, "
        "standingCommitteeExamination"},
       {"governmentReview（审核（政府））"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.command);
    auto en = ParseCommand(c.command, Lang::kEnglish);
    ASSERT_FALSE(en.ok());
    EXPECT_EQ(en.status().code(), StatusCode::kInvalidArgument);
    for (const std::string& part : c.english) {
      EXPECT_NE(en.status().message().find(part), std::string::npos)
          << "\"" << part << "\" missing in: " << en.status().message();
    }
    ExpectNoDecoderText(en.status().message());
    auto zh = ParseCommand(c.command, Lang::kChinese);
    ASSERT_FALSE(zh.ok());
    for (const std::string& part : c.chinese) {
      EXPECT_NE(zh.status().message().find(part), std::string::npos)
          << "\"" << part << "\" missing in: " << zh.status().message();
    }
    ExpectNoDecoderText(zh.status().message());
  }
}

// Found by tests/fuzz/json_command_fuzzer.cc: a number too large for a
// double ("6E766") made the JSON reader throw an exception ParseCommand did
// not catch, and `piaojue submit` ended in std::terminate.
TEST(CommandFormTest, ANumberBeyondAnyDoubleIsAnErrorNotAnException) {
  for (const std::string& text :
       {std::string("6E766"), Cycle(R"("year": 1e400)"),
        std::string(R"({"jurisdiction": "610102", "event": -1E999})")}) {
    for (Lang lang : {Lang::kEnglish, Lang::kChinese}) {
      auto command = ParseCommand(text, lang);
      ASSERT_FALSE(command.ok()) << text;
      EXPECT_EQ(command.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(command.status().message().find(
                    lang == Lang::kEnglish ? "too large" : "太大"),
                std::string::npos)
          << command.status().message();
    }
  }
}

TEST(CommandFormTest, CommentsAreIgnored) {
  auto c = ParseCommand(R"(// 开启周期
    {"//": "说明", "jurisdiction": "610102", /* 县 */
     "event": {"cycleOpened": {"//note": "备注", "year": 2025}}})",
                        Lang::kEnglish);
  ASSERT_OK(c);
  EXPECT_EQ(json::parse(c->event_json),
            json::parse(R"({"cycleOpened": {"year": 2025}})"));
}

TEST(CommandFormTest, MoneyInYuanAndWanYuan) {
  EXPECT_EQ(ParseYuanToFen("12.5万元"), 12'500'000);
  EXPECT_EQ(ParseYuanToFen("3,000.50元"), 300'050);
  EXPECT_EQ(ParseYuanToFen("1200元"), 120'000);
  EXPECT_EQ(ParseYuanToFen("¥1,200"), 120'000);
  EXPECT_EQ(ParseYuanToFen("0.01元"), 1);
  EXPECT_EQ(ParseYuanToFen("30000万元"), 30'000'000'000);
  EXPECT_EQ(ParseYuanToFen("0.000001万元"), 1);
  EXPECT_EQ(ParseYuanToFen("1200"), std::nullopt);     // which unit?
  EXPECT_EQ(ParseYuanToFen("0.001元"), std::nullopt);  // finer than a fen
  EXPECT_EQ(ParseYuanToFen("1,20元"), std::nullopt);   // bad grouping
  EXPECT_EQ(ParseYuanToFen("元"), std::nullopt);
  EXPECT_EQ(ParseYuanToFen("12.5亿元"), std::nullopt);
  EXPECT_EQ(ParseYuanToFen("99999999999999999999元"), std::nullopt);
  // In a command: every …Fen field; digits alone are fen, as `piaojue
  // entry` prints 64-bit integers.
  auto digits =
      ParseCommand(Cycle(R"("budgetFen": "5000000000")"), Lang::kEnglish);
  ASSERT_OK(digits);
  EXPECT_EQ(json::parse(digits->event_json)["cycleOpened"]["budgetFen"],
            5'000'000'000);
  auto c = ParseCommand(Cycle(R"("budgetFen": "12.5万元")"), Lang::kEnglish);
  ASSERT_OK(c);
  EXPECT_EQ(json::parse(c->event_json)["cycleOpened"]["budgetFen"], 12'500'000);
}

TEST(CommandFormTest, DatesInBothForms) {
  auto d = ParseCalendarDay("2025年6月15日");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->year, 2025);
  EXPECT_EQ(d->month, 6);
  EXPECT_EQ(d->day, 15);
  EXPECT_TRUE(ParseCalendarDay("2025-06-15").has_value());
  EXPECT_TRUE(ParseCalendarDay("2025年06月05日").has_value());
  EXPECT_FALSE(ParseCalendarDay("2025年2月30日").has_value());
  EXPECT_FALSE(ParseCalendarDay("2025年6月").has_value());
  EXPECT_FALSE(ParseCalendarDay("2025/6/15").has_value());
  auto c = ParseCommand(
      Cycle(
          R"("collectionStart": "2025年6月15日", "collectionEnd": "2025-07-01")"),
      Lang::kEnglish);
  ASSERT_OK(c);
  const json e = json::parse(c->event_json)["cycleOpened"];
  EXPECT_EQ(e["collectionStart"],
            json::parse(R"({"year": 2025, "month": 6, "day": 15})"));
  EXPECT_EQ(e["collectionEnd"],
            json::parse(R"({"year": 2025, "month": 7, "day": 1})"));
}

// The view (VIEWS.md) says satisfied / basicallySatisfied / unsatisfied /
// abstain for a satisfaction tally; a command may say the same.
TEST(CommandFormTest, ASatisfactionTallyTakesTheViewsWords) {
  auto c = ParseCommand(R"({"jurisdiction": "610102", "event": {
      "tallyCertified": {"round": 9, "items": [
        {"item": 5, "satisfied": 20, "basicallySatisfied": 6,
         "unsatisfied": 1, "abstain": 1}]}}})",
                        Lang::kEnglish);
  ASSERT_OK(c);
  EXPECT_EQ(json::parse(c->event_json)["tallyCertified"]["items"][0],
            json::parse(R"({"item": 5, "approve": 20, "oppose": 6,
                            "abstain": 1, "satisfactionAbstain": 1})"));
  // The schema's own names still work.
  auto old = ParseCommand(R"({"jurisdiction": "610102", "event": {
      "tallyCertified": {"items": [{"item": 5, "approve": 20, "oppose": 6,
        "abstain": 1, "satisfactionAbstain": 1}]}}})",
                          Lang::kEnglish);
  ASSERT_OK(old);
  EXPECT_EQ(json::parse(old->event_json)["tallyCertified"]["items"],
            json::parse(c->event_json)["tallyCertified"]["items"]);
  auto mixed = ParseCommand(R"({"jurisdiction": "610102", "event": {
      "tallyCertified": {"items": [{"item": 5, "satisfied": 20,
        "oppose": 6}]}}})",
                            Lang::kEnglish);
  EXPECT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("items[0].oppose"), std::string::npos)
      << mixed.status().message();
}

// A satisfaction tally written in the view's words passes the rules'
// recount on the fixture's satisfaction vote.
TEST(CommandFormTest, ASatisfactionTallyInTheViewsWordsIsAccepted) {
  ASSERT_OK(crypto::InitCrypto());
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kSatisfactionVote));
  // The fixture's own certified tally (accepted by the rules), rewritten in
  // the view's words, reads back to the very same event.
  auto bytes = b.ledger().ReadEntry(b.refs().satisfaction_tally);
  ASSERT_OK(bytes);
  auto entry = ledger::EntryView::Parse(*bytes);
  ASSERT_OK(entry);
  json tally = json::parse(ledger::EventToJson(entry->event()));
  json words = tally;
  for (json& item : words["tallyCertified"]["items"]) {
    json w = {{"item", item["item"]}};
    w["satisfied"] = item.value("approve", 0);
    w["basicallySatisfied"] = item.value("oppose", 0);
    w["unsatisfied"] = item.value("abstain", 0);
    w["abstain"] = item.value("satisfactionAbstain", 0);
    item = w;
  }
  auto c = ParseCommand(
      json{{"jurisdiction", testing::kCounty}, {"event", words}}.dump(),
      Lang::kEnglish);
  ASSERT_OK(c);
  capnp::MallocMessageBuilder a;
  auto from_words = a.initRoot<schema::Event>();
  ASSERT_OK(ledger::EventFromJson(c->event_json, from_words));
  EXPECT_EQ(ledger::EventToJson(from_words.asReader()),
            ledger::EventToJson(entry->event()));
}

// Refusals by a rule keep their id and gain the rule's Chinese text.
TEST(CommandFormTest, ARuleRefusalIsExplainedInChinese) {
  ASSERT_OK(crypto::InitCrypto());
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kCycleOpened));
  FillCase late{"proposalSubmitted", Stage::kCycleOpened,
                [](const testing::CycleKeys& k) -> const crypto::KeyPair& {
                  return k.office;
                },
                [](json& e, CycleBuilder& b) {
                  e["cycle"] = b.refs().cycle;
                  e["receivedOn"] = {{"year", 2024}, {"month", 12}, {"day", 1}};
                }};
  auto r = SubmitTemplate(b, late);
  ASSERT_FALSE(r.ok());
  const Status zh = Localize(r.status(), Lang::kChinese);
  EXPECT_EQ(zh.code(), r.status().code());
  EXPECT_NE(zh.message().find("规则 proposal.window：收件日期不在征集期内"),
            std::string::npos)
      << zh.message();
  // The English detail stays, in brackets.
  EXPECT_NE(zh.message().find("2024-12-01"), std::string::npos) << zh.message();
  EXPECT_EQ(Localize(r.status(), Lang::kEnglish).message(),
            r.status().message());
  // Every rule id the table explains is a rule of docs/RULES.md.
  EXPECT_FALSE(RuleTextZh("vote.tally_mismatch").empty());
  EXPECT_TRUE(RuleTextZh("no.such_rule").empty());
}

}  // namespace
}  // namespace piaojue::cli
