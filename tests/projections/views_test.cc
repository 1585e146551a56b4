// The views show what a user expects: the cycle's stage, the funnel, the
// candidates, the tally with its recount, projects with milestone status,
// and the audit trail. See docs/VIEWS.md.
#include "projections/views.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "projections/replay.h"
#include "projections/state.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"

namespace piaojue::testing {
namespace {

using projections::ViewQuery;
using Stage = CycleBuilder::Stage;

nlohmann::json ViewOf(const projections::State& s, const std::string& name,
                      ViewQuery q) {
  auto v = projections::View(s, name, q);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : nlohmann::json();
}

ViewQuery CycleQuery(const CycleBuilder& b) {
  ViewQuery q;
  q.cycle = b.refs().cycle;
  return q;
}

ViewQuery RecordQuery(uint64_t ref) {
  ViewQuery q;
  q.record = ref;
  return q;
}

nlohmann::json Find(const nlohmann::json& list, const char* key, uint64_t ref) {
  for (const auto& row : list) {
    if (row[key] == ref) return row;
  }
  return nullptr;
}

TEST(ViewsTest, EveryViewCarriesItsNameSizeAndDate) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  for (const std::string& name : projections::ViewNames()) {
    ViewQuery q;
    q.cycle = b.refs().cycle;
    q.record = name == "tally"   ? b.refs().vote
               : name == "audit" ? b.refs().canteen
                                 : std::optional<uint64_t>();
    auto v = projections::View(b.state(), name, q);
    ASSERT_OK(v);
    EXPECT_EQ((*v)["view"], name);
    EXPECT_EQ((*v)["size"], b.size());
    EXPECT_EQ((*v)["asOf"], "2025-12-31");  // the last entry's CST day
  }
}

TEST(ViewsTest, BadQueriesAreClearErrors) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  auto unknown = projections::View(b.state(), "ballots", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  auto no_cycle = projections::View(b.state(), "funnel", {});
  ASSERT_FALSE(no_cycle.ok());
  EXPECT_EQ(no_cycle.status().code(), StatusCode::kInvalidArgument);
  ViewQuery wrong;
  wrong.cycle = b.refs().canteen;  // a proposal, not a cycle
  auto not_a_cycle = projections::View(b.state(), "funnel", wrong);
  ASSERT_FALSE(not_a_cycle.ok());
  EXPECT_EQ(not_a_cycle.status().code(), StatusCode::kNotFound);
  auto no_vote = projections::View(b.state(), "tally", RecordQuery(1));
  ASSERT_FALSE(no_vote.ok());
  EXPECT_EQ(no_vote.status().code(), StatusCode::kNotFound);
  auto not_project =
      projections::View(b.state(), "projects", RecordQuery(b.refs().lights));
  ASSERT_FALSE(not_project.ok());
  EXPECT_EQ(not_project.status().code(), StatusCode::kNotFound);
  auto no_record = projections::View(b.state(), "audit", RecordQuery(1'000));
  ASSERT_FALSE(no_record.ok());
  EXPECT_EQ(no_record.status().code(), StatusCode::kNotFound);
}

// --- cycles
// -------------------------------------------------------------------

TEST(ViewsTest, TheCycleMovesThroughItsStages) {
  CycleBuilder b;
  const std::vector<std::pair<Stage, const char*>> expected = {
      {Stage::kProposals, "collection"},
      {Stage::kGovernmentReview, "screening"},
      {Stage::kCandidateList, "vote"},
      {Stage::kTallyCertified, "vote"},
      {Stage::kResultAnnounced, "supervision"},
      {Stage::kAccepted, "supervision"},
      {Stage::kEvaluated, "evaluation"},
      // Barriers was rated unsatisfied and has no rectification yet.
      {Stage::kSatisfactionVote, "evaluation"},
      {Stage::kRectification, "closed"},
  };
  for (const auto& [stage, name] : expected) {
    ASSERT_OK(b.BuildThrough(stage));
    const auto cycles = ViewOf(b.state(), "cycles", {});
    ASSERT_EQ(cycles["cycles"].size(), 1u);
    EXPECT_EQ(cycles["cycles"][0]["stage"], name)
        << "after stage " << static_cast<int>(stage);
  }
}

TEST(ViewsTest, AnOpenRectificationKeepsTheCycleInEvaluation) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kSatisfactionVote));
  b.SetDate(2025, 12, 30);
  ASSERT_OK(b.Submit(b.keys().standing, [&](schema::Event::Builder e) {
    auto r = e.initRectificationOrdered();
    r.setProject(b.refs().barriers);
    CycleBuilder::SetDay(r.initOrderedOn(), 2025, 12, 30);
    CycleBuilder::SetDay(r.initDeadline(), 2026, 3, 31);
    r.setRequirements("整改");
  }));
  EXPECT_EQ(ViewOf(b.state(), "cycles", {})["cycles"][0]["stage"],
            "evaluation");
}

TEST(ViewsTest, TheCycleCountsItsProposals) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto c = ViewOf(b.state(), "cycles", {})["cycles"][0];
  EXPECT_EQ(c["ref"], b.refs().cycle);
  EXPECT_EQ(c["year"], 2025);
  EXPECT_EQ(c["jurisdiction"]["code"], kCounty);
  EXPECT_EQ(c["jurisdiction"]["level"], "county");
  EXPECT_EQ(c["budget"]["fen"], 12'000'000'000);
  EXPECT_EQ(c["budget"]["yuan"], "120,000,000.00");
  EXPECT_EQ(c["collection"]["start"], "2025-01-02");
  EXPECT_EQ(c["collection"]["end"], "2025-01-31");
  EXPECT_EQ(c["counts"]["proposals"], 8);
  EXPECT_EQ(c["counts"]["merges"], 1);
  EXPECT_EQ(c["counts"]["rejected"], 3);
  EXPECT_EQ(c["counts"]["candidates"], 4);
  EXPECT_EQ(c["counts"]["elected"], 3);
  EXPECT_EQ(c["counts"]["votes"], 2);  // selection and satisfaction
}

// --- funnel and candidates
// --------------------------------------------------------

TEST(ViewsTest, TheFunnelCreditsChannelsThroughMerges) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  const auto funnel = ViewOf(b.state(), "funnel", CycleQuery(b));
  const auto& by = funnel["totals"]["byChannel"];
  // The canteen came through WeChat and was elected.
  EXPECT_EQ(by["wechat"]["submitted"], 1);
  EXPECT_EQ(by["wechat"]["elected"], 1);
  // The east-side lights came through a contact station and, merged, became
  // a candidate that was not elected.
  EXPECT_EQ(by["contactStation"]["candidates"], 1);
  EXPECT_EQ(by["contactStation"]["elected"], 0);
  EXPECT_EQ(funnel["totals"]["submitted"], 8);
  EXPECT_EQ(funnel["totals"]["candidates"], 4);
  EXPECT_EQ(funnel["totals"]["elected"], 3);
  const auto lights = Find(funnel["proposals"], "ref", b.refs().lights);
  EXPECT_EQ(lights["fate"]["status"], "notElected");
  const auto canteen = Find(funnel["proposals"], "ref", b.refs().canteen);
  EXPECT_EQ(canteen["fate"]["status"], "elected");
  EXPECT_EQ(canteen["fate"]["round"], b.refs().round);
}

// The funnel's totals recounted from its whole list of proposals as the
// view shows them (their fates, screening decisions and channels) rather
// than from the records: an independent check of the counts the view keeps
// apart from the proposals it renders.
nlohmann::json RecountFunnelTotals(const nlohmann::json& proposals) {
  using nlohmann::json;
  std::map<uint64_t, json> by_ref;
  for (const json& p : proposals) by_ref[p["ref"].get<uint64_t>()] = p;
  const char* kStageKeys[] = {"governmentReview", "partyCommitteeApproval",
                              "standingCommitteeExamination"};
  json by_stage = json::object();
  for (const char* s : kStageKeys) {
    by_stage[s] = json{{"advanced", 0}, {"rejected", 0}, {"pending", 0}};
  }
  json by_channel = json::object();
  int submitted = 0, merges = 0, retired = 0, candidates = 0, elected = 0,
      retracted_count = 0;
  auto bump = [](json& v) { v = v.get<int>() + 1; };
  for (const json& p : proposals) {
    const std::string status = p["fate"]["status"];
    const bool retracted = p["retracted"];
    retracted_count += retracted;
    (p["merged"].get<bool>() ? merges : submitted) += 1;
    retired += status == "merged";
    candidates +=
        status == "candidate" || status == "notElected" || status == "elected";
    elected += status == "elected";
    if (status != "merged") {
      const json& decided = p["screening"];
      size_t s = 0;
      for (; s < decided.size(); ++s) {
        const bool advanced = decided[s]["outcome"] == "advance";
        bump(by_stage[kStageKeys[s]][advanced ? "advanced" : "rejected"]);
        if (!advanced) break;
      }
      const bool stopped =
          s < decided.size();  // rejected at decided[s]: not pending later
      if (!stopped && s < 3 && !retracted) {
        bump(by_stage[kStageKeys[s]]["pending"]);
      }
    }
    if (!p["merged"].get<bool>()) {
      json fin = p;
      while (!retracted && fin["fate"]["status"] == "merged") {
        fin = by_ref.at(fin["fate"]["into"].get<uint64_t>());
      }
      const std::string fs = fin["fate"]["status"];
      json& row = by_channel[p["channel"].get<std::string>()];
      if (row.is_null()) {
        row = json{{"submitted", 0}, {"candidates", 0}, {"elected", 0}};
      }
      bump(row["submitted"]);
      if (!retracted &&
          (fs == "candidate" || fs == "notElected" || fs == "elected")) {
        bump(row["candidates"]);
      }
      if (!retracted && fs == "elected") bump(row["elected"]);
    }
  }
  return json{{"submitted", submitted},    {"merges", merges},
              {"retiredByMerge", retired}, {"retracted", retracted_count},
              {"byStage", by_stage},       {"candidates", candidates},
              {"elected", elected},        {"byChannel", by_channel}};
}

// What a page of `list` (offset, limit) must be: the whole view with that
// list cut to the window, and the "page" object the API adds to it.
nlohmann::json PageOfWhole(const nlohmann::json& whole, const std::string& list,
                           uint64_t offset, uint64_t limit) {
  const nlohmann::json& all = whole[list];
  const uint64_t n = all.size();
  nlohmann::json expected = whole;
  nlohmann::json window = nlohmann::json::array();
  const uint64_t begin = std::min(offset, n);
  const uint64_t end = begin + std::min(limit, n - begin);
  for (uint64_t i = begin; i < end; ++i) window.push_back(all[i]);
  expected[list] = window;
  expected["page"] = {
      {"list", list},
      {"offset", begin},
      {"limit", limit},
      {"total", n},
      {"next", end < n ? nlohmann::json(end) : nlohmann::json(nullptr)}};
  return expected;
}

// The API asks the funnel for one page (ViewQuery::page), which it renders
// alone (docs/PERFORMANCE.md, "Reads while writers post"): at every size of
// a growing log, every page is exactly that window of the whole list, with
// the whole funnel's totals, and the totals are what the whole list shows.
TEST(ViewsTest, AFunnelPageIsThatWindowOfTheWholeFunnelAtEverySize) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  std::mt19937_64 rng(15);
  int checked = 0;
  for (uint64_t size = 1; size <= b.size(); ++size) {
    auto state = projections::ReplayTo(b.ledger(), size);
    ASSERT_OK(state);
    if (size <= b.refs().cycle) continue;  // no cycle yet
    const nlohmann::json whole = ViewOf(*state, "funnel", CycleQuery(b));
    const nlohmann::json& all = whole["proposals"];
    const uint64_t n = all.size();
    EXPECT_FALSE(whole.contains("page"));
    nlohmann::json recount = RecountFunnelTotals(all);
    EXPECT_EQ(whole["totals"], recount) << "at size " << size;
    std::vector<std::pair<uint64_t, uint64_t>> pages = {
        {0, 1}, {0, 100}, {0, 0}, {n, 5}, {n + 5, 3}, {1, n}};
    for (int k = 0; k < 4; ++k) pages.emplace_back(rng() % (n + 2), rng() % 5);
    for (const auto& [offset, limit] : pages) {
      ViewQuery q = CycleQuery(b);
      q.page = ViewQuery::Page{offset, limit};
      const nlohmann::json page = ViewOf(*state, "funnel", q);
      const nlohmann::json expected =
          PageOfWhole(whole, "proposals", offset, limit);
      EXPECT_EQ(page, expected)
          << "at size " << size << ", " << offset << "+" << limit;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

// The API asks the cycle list for one page too (ViewQuery::page): a past
// state's list used to be rendered whole for every as_of read, then cut
// (docs/PERFORMANCE.md, "as_of over HTTP"). At every size, every page is
// exactly that window of the whole list, with the "page" object the API
// added to it before.
TEST(ViewsTest, ACyclesPageIsThatWindowOfTheWholeListAtEverySize) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  int checked = 0;
  for (uint64_t size = 1; size <= b.size(); ++size) {
    auto state = projections::ReplayTo(b.ledger(), size);
    ASSERT_OK(state);
    const nlohmann::json whole = ViewOf(*state, "cycles", {});
    EXPECT_FALSE(whole.contains("page"));
    const nlohmann::json& all = whole["cycles"];
    const uint64_t n = all.size();
    EXPECT_EQ(n, size > b.refs().cycle ? 1u : 0u);
    for (const auto& [offset, limit] :
         std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 1}, {0, 100}, {0, 0}, {1, 1}, {n, 5}, {n + 5, 3}}) {
      ViewQuery q;
      q.page = ViewQuery::Page{offset, limit};
      const nlohmann::json page = ViewOf(*state, "cycles", q);
      const nlohmann::json expected =
          PageOfWhole(whole, "cycles", offset, limit);
      EXPECT_EQ(page.dump(), expected.dump())
          << "at size " << size << ", " << offset << "+" << limit;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(ViewsTest, TheCandidateListInBallotOrder) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  const auto v = ViewOf(b.state(), "candidates", CycleQuery(b));
  EXPECT_EQ(v["listEntry"], b.refs().candidate_list);
  EXPECT_EQ(v["sentToDeputiesOn"], "2025-02-17");
  ASSERT_EQ(v["candidates"].size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(v["candidates"][i]["position"], i + 1);
    EXPECT_EQ(v["candidates"][i]["proposal"], b.refs().candidates[i]);
    EXPECT_EQ(v["candidates"][i]["elected"], i < 3);
  }
  EXPECT_EQ(v["candidates"][3]["name"], "城区路灯亮化");
}

// --- tally
// ------------------------------------------------------------------------

// A round in which a box collected more ballots than it issued must be
// declared void: the view flags it with the reason and lists no winners;
// once the presidium voids it, the view shows it void with that entry's
// reason (issue 10 bug 2, issue 9 item 12).
TEST(ViewsTest, AVoidRoundIsShownVoidWithItsReasonAndNoWinners) {
  CycleBuilder b;
  b.selection_boxes[0].collected = 15;
  b.selection_boxes[0].ballots.push_back({"AAAO", 1});
  ASSERT_OK(b.BuildThrough(Stage::kBallotsRecorded));
  const auto& r = b.refs();
  auto round_view = [&] {
    const auto v = ViewOf(b.state(), "tally", RecordQuery(r.vote));
    EXPECT_EQ(v["rounds"].size(), 1u);
    return v["rounds"][0];
  };
  auto expect_no_winners = [](const nlohmann::json& round) {
    EXPECT_EQ(round["recount"]["elected"], nlohmann::json::array());
    EXPECT_EQ(round["recount"]["ranking"], nlohmann::json::array());
    EXPECT_TRUE(round["recount"]["vacantSeats"].is_null());
  };
  nlohmann::json round = round_view();
  EXPECT_EQ(round["void"], false);
  EXPECT_EQ(round["mustBeVoided"], true);
  ASSERT_TRUE(round["voidReason"].is_string());
  const std::string reason = round["voidReason"];
  EXPECT_NE(reason.find("box " + std::to_string(r.boxes[0])), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("collected 15"), std::string::npos) << reason;
  EXPECT_NE(reason.find("issued only 14"), std::string::npos) << reason;
  expect_no_winners(round);

  ASSERT_OK(b.Submit(b.keys().presidium, [&](schema::Event::Builder e) {
    auto v = e.initRoundVoided();
    v.setRound(r.round);
    v.setReason("第1票箱收回多于发出，本轮表决无效");
  }));
  round = round_view();
  EXPECT_EQ(round["void"], true);
  EXPECT_EQ(round["mustBeVoided"], false);
  EXPECT_EQ(round["voidReason"], "第1票箱收回多于发出，本轮表决无效");
  EXPECT_EQ(round["voided"]["by"]["holder"], "某县人民代表大会主席团");
  expect_no_winners(round);
}

TEST(ViewsTest, TheTallyShowsBoxesRecountCertificationAndResult) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kResultAnnounced));
  const auto& r = b.refs();
  const auto v = ViewOf(b.state(), "tally", RecordQuery(r.vote));
  EXPECT_EQ(v["vote"]["purpose"], "projectSelection");
  EXPECT_EQ(v["vote"]["seats"], 3);
  EXPECT_EQ(v["vote"]["quorum"], "2/3");
  EXPECT_EQ(v["vote"]["maxApprovals"], 3);
  ASSERT_EQ(v["rounds"].size(), 1u);
  const auto& round = v["rounds"][0];
  EXPECT_EQ(round["presentDeputies"], 27);
  EXPECT_EQ(round["maxApprovals"], 3);
  EXPECT_EQ(round["void"], false);
  EXPECT_TRUE(round["voidReason"].is_null());
  EXPECT_EQ(round["complete"], true);
  ASSERT_EQ(round["boxes"].size(), 2u);
  EXPECT_EQ(round["boxes"][0]["issued"], 14);
  EXPECT_EQ(round["boxes"][0]["invalid"], 1);    // the over-approving ballot
  EXPECT_EQ(round["boxes"][1]["partCount"], 1);  // one part holds 13
  const auto& recount = round["recount"];
  EXPECT_EQ(recount["issued"], 27);
  EXPECT_EQ(recount["collected"], 27);
  EXPECT_EQ(recount["valid"], 26);
  EXPECT_EQ(recount["invalid"], 1);
  EXPECT_EQ(recount["passBase"]["kind"], "entitled");
  EXPECT_EQ(recount["passBase"]["value"], 30);
  EXPECT_EQ(recount["passThreshold"], 16);
  const std::vector<uint64_t> approvals = {24, 22, 21, 8};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(recount["items"][i]["approve"], approvals[i]);
    EXPECT_EQ(recount["items"][i]["approve"].get<int>() +
                  recount["items"][i]["oppose"].get<int>() +
                  recount["items"][i]["abstain"].get<int>(),
              26);
  }
  EXPECT_EQ(recount["ranking"].size(), 3u);
  EXPECT_EQ(recount["ranking"][2]["item"], r.barriers);
  EXPECT_EQ(recount["ranking"][2]["approve"], 21);
  EXPECT_EQ(recount["elected"],
            nlohmann::json({r.canteen, r.kindergarten, r.barriers}));
  EXPECT_EQ(round["certified"]["matchesRecount"], true);
  EXPECT_EQ(round["certified"]["entry"], r.tally);
  EXPECT_EQ(round["announced"]["matchesRecount"], true);
  EXPECT_EQ(round["announced"]["announcedOn"], "2025-02-25");
  // The view by round gives the same round.
  ViewQuery by_round;
  by_round.round = r.round;
  EXPECT_EQ(ViewOf(b.state(), "tally", by_round)["rounds"][0], round);
}

TEST(ViewsTest, SatisfactionGradesAnnouncedInAnyOrderMatchTheRecount) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kEvaluated));
  const auto& r = b.refs();
  auto vote = b.Submit(b.keys().standing, [&](schema::Event::Builder e) {
    auto v = e.initVotingRulesAdopted();
    v.setCycle(r.cycle);
    v.setPurpose(schema::VotePurpose::SATISFACTION);
    v.setEntitledDeputies(30);
    auto items = v.initItems(3);
    for (unsigned i = 0; i < 3; ++i) items.set(i, r.projects[i]);
  });
  ASSERT_OK(vote);
  auto round = b.OpenRoundOf(*vote, 1, r.projects, 0, 28);
  ASSERT_OK(round);
  ASSERT_OK(b.HoldBallot(*round, r.projects, b.satisfaction_boxes, true, 0));
  // Announced barriers first: the same grades, in another order.
  ASSERT_OK(b.Submit(b.keys().presidium, [&](schema::Event::Builder e) {
    auto a = e.initResultAnnounced();
    a.setRound(*round);
    auto g = a.initGrades(3);
    g[0].setItem(r.barriers);
    g[0].setGrade(schema::Grade::UNSATISFIED);
    g[1].setItem(r.kindergarten);
    g[1].setGrade(schema::Grade::BASICALLY_SATISFIED);
    g[2].setItem(r.canteen);
    g[2].setGrade(schema::Grade::SATISFIED);
  }));
  const auto v = ViewOf(b.state(), "tally", RecordQuery(*vote));
  const auto& rec = v["rounds"][0]["recount"];
  EXPECT_EQ(rec["items"][0]["satisfied"], 20);
  EXPECT_EQ(rec["items"][2]["basicallySatisfied"], 15);
  EXPECT_EQ(rec["items"][2]["abstain"], 1);
  EXPECT_EQ(v["rounds"][0]["announced"]["matchesRecount"], true);
  const auto projects = ViewOf(b.state(), "projects", CycleQuery(b));
  EXPECT_EQ(Find(projects["projects"], "ref",
                 r.barriers)["evaluation"]["satisfaction"],
            "unsatisfied");
}

// --- projects and milestones
// ----------------------------------------------------------

// The projects view as the log stood at the end of a CST day.
nlohmann::json ProjectsOn(CycleBuilder& b, const char* day) {
  auto at = projections::ParseInstantMs(day);
  EXPECT_TRUE(at.has_value());
  auto state = projections::ReplayAsOf(b.ledger(), *at);
  EXPECT_TRUE(state.ok());
  ViewQuery q = CycleQuery(b);
  return ViewOf(*state, "projects", q);
}

nlohmann::json Milestone(const nlohmann::json& project, int index) {
  return project["milestones"][index];
}

TEST(ViewsTest, ALateProjectShowsLate) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  // The July reports are filed on 3 August.
  const auto aug = ProjectsOn(b, "2025-08-05");
  EXPECT_EQ(aug["asOf"], "2025-08-05");
  const auto barriers = Find(aug["projects"], "ref", r.barriers);
  EXPECT_EQ(barriers["status"], "late");
  // Judged on the July report (40%) against ">= 50% by 31 July".
  const auto july = Milestone(barriers, 1);
  EXPECT_EQ(july["due"], "2025-07-31");
  EXPECT_EQ(july["minPercentBp"], 5000);
  EXPECT_EQ(july["status"], "missed");
  EXPECT_EQ(july["reportedPercentBp"], 4000);
  EXPECT_EQ(july["judgedEntry"], r.progress.at(r.barriers)[4]);
  EXPECT_EQ(Milestone(barriers, 0)["status"], "met");  // started by 15 June
  EXPECT_EQ(Milestone(barriers, 2)["status"], "pending");
  const auto canteen = Find(aug["projects"], "ref", r.canteen);
  EXPECT_EQ(canteen["status"], "onSchedule");
  EXPECT_EQ(Milestone(canteen, 1)["status"], "met");
}

TEST(ViewsTest, UntilTheReportForTheDueDateIsFiledTheEarlierOneIsJudged) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  // On 1 August the July reports are not filed yet: the canteen is judged
  // on its June report (45%), and is late until it files July's (60%).
  const auto aug1 = ProjectsOn(b, "2025-08-01");
  const auto canteen = Find(aug1["projects"], "ref", b.refs().canteen);
  EXPECT_EQ(Milestone(canteen, 1)["reportedPercentBp"], 4500);
  EXPECT_EQ(Milestone(canteen, 1)["judgedEntry"],
            b.refs().progress.at(b.refs().canteen)[3]);
  EXPECT_EQ(canteen["status"], "late");
}

TEST(ViewsTest, AProjectThatCaughtUpIsOnScheduleButKeepsItsMissedMilestone) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto nov = ProjectsOn(b, "2025-11-05");
  const auto barriers = Find(nov["projects"], "ref", b.refs().barriers);
  EXPECT_EQ(Milestone(barriers, 1)["status"], "missed");
  EXPECT_EQ(Milestone(barriers, 2)["status"], "met");  // 75% by 31 Oct
  EXPECT_EQ(barriers["status"], "onSchedule");
}

TEST(ViewsTest, AcceptedProjectsAreDone) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto dec = ProjectsOn(b, "2025-12-10");
  EXPECT_EQ(Find(dec["projects"], "ref", b.refs().canteen)["status"], "done");
  EXPECT_EQ(Find(dec["projects"], "ref", b.refs().kindergarten)["status"],
            "done");
  EXPECT_EQ(Find(dec["projects"], "ref", b.refs().barriers)["status"],
            "onSchedule");
  const auto end = ProjectsOn(b, "2025-12-31");
  for (const auto& p : end["projects"]) EXPECT_EQ(p["status"], "done");
  const auto barriers = Find(end["projects"], "ref", b.refs().barriers);
  EXPECT_EQ(Milestone(barriers, 3)["status"], "met");
  EXPECT_EQ(Milestone(barriers, 3)["judgedEntry"],
            b.refs().acceptances.at(b.refs().barriers));
}

TEST(ViewsTest, AConfiguredScheduleReplacesTheDefault) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kDeployment));
  // A township-style schedule: 30% by 30 June, accepted by 30 November.
  auto cycle = b.Submit(b.keys().office, [](schema::Event::Builder e) {
    auto c = e.initCycleOpened();
    c.setYear(2025);
    c.setLevel(schema::Level::COUNTY);
    c.setTitle("自定进度");
    c.setProjectCount(1);
    CycleBuilder::SetDay(c.initCollectionStart(), 2025, 1, 1);
    CycleBuilder::SetDay(c.initCollectionEnd(), 2025, 1, 31);
    auto s = c.initSchedule(2);
    CycleBuilder::SetDay(s[0].initDue(), 2025, 6, 30);
    s[0].setMinPercentBp(3000);
    s[0].setLabel("过三成");
    CycleBuilder::SetDay(s[1].initDue(), 2025, 11, 30);
    s[1].setMinPercentBp(10000);
    s[1].setMustBeAccepted(true);
    s[1].setLabel("验收");
  });
  ASSERT_OK(cycle);
  const auto c = ViewOf(b.state(), "cycles", {})["cycles"][0];
  EXPECT_EQ(c["ref"], *cycle);
  EXPECT_EQ(c["scheduleIsDefault"], false);
  ASSERT_EQ(c["schedule"].size(), 2u);
  EXPECT_EQ(c["schedule"][0]["due"], "2025-06-30");
  EXPECT_EQ(c["schedule"][0]["minPercentBp"], 3000);
  EXPECT_EQ(c["schedule"][1]["mustBeAccepted"], true);
}

TEST(ViewsTest, ProjectsAreJudgedAgainstTheCyclesOwnSchedule) {
  CycleBuilder b;
  // A stricter schedule: 60% by 31 July, accepted by 30 November.
  b.cycle_tweak = [](schema::CycleOpened::Builder c) {
    auto s = c.initSchedule(2);
    CycleBuilder::SetDay(s[0].initDue(), 2025, 7, 31);
    s[0].setMinPercentBp(6000);
    s[0].setLabel("过六成");
    CycleBuilder::SetDay(s[1].initDue(), 2025, 11, 30);
    s[1].setMinPercentBp(10000);
    s[1].setMustBeAccepted(true);
    s[1].setLabel("验收");
  };
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  // July reports: canteen 60%, kindergarten 55%.
  const auto aug = ProjectsOn(b, "2025-08-05");
  const auto canteen = Find(aug["projects"], "ref", r.canteen);
  ASSERT_EQ(canteen["milestones"].size(), 2u);
  EXPECT_EQ(Milestone(canteen, 0)["label"], "过六成");
  EXPECT_EQ(Milestone(canteen, 0)["status"], "met");
  EXPECT_EQ(canteen["status"], "onSchedule");
  const auto kindergarten = Find(aug["projects"], "ref", r.kindergarten);
  EXPECT_EQ(Milestone(kindergarten, 0)["status"], "missed");
  EXPECT_EQ(kindergarten["status"], "late");
  // Kindergarten was accepted on 5 December, after the 30 November due
  // date: late on 4 December, done once accepted. (The canteen's acceptance
  // of 20 November is recorded with the fixture's acceptances, after the
  // November reports of 3 December.)
  const auto dec4 = ProjectsOn(b, "2025-12-04");
  EXPECT_EQ(Find(dec4["projects"], "ref", r.kindergarten)["status"], "late");
  EXPECT_EQ(Find(dec4["projects"], "ref", r.canteen)["status"], "done");
  const auto dec6 = ProjectsOn(b, "2025-12-06");
  const auto k6 = Find(dec6["projects"], "ref", r.kindergarten);
  EXPECT_EQ(k6["status"], "done");
  EXPECT_EQ(Milestone(k6, 1)["status"], "missed");
}

TEST(ViewsTest, TheDefaultScheduleIsShownWithTheCycle) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kCycleOpened));
  const auto c = ViewOf(b.state(), "cycles", {})["cycles"][0];
  EXPECT_EQ(c["scheduleIsDefault"], true);
  ASSERT_EQ(c["schedule"].size(), 4u);
  const std::vector<std::string> due = {"2025-06-15", "2025-07-31",
                                        "2025-10-31", "2025-12-31"};
  const std::vector<int> bp = {0, 5000, 7500, 10000};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c["schedule"][i]["due"], due[i]);
    EXPECT_EQ(c["schedule"][i]["minPercentBp"], bp[i]);
  }
  EXPECT_EQ(c["schedule"][0]["mustStart"], true);
  EXPECT_EQ(c["schedule"][3]["mustBeAccepted"], true);
}

TEST(ViewsTest, ACorrectedReportShowsTheCorrectionAndKeepsTheOriginal) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const uint64_t target = r.progress.at(r.barriers)[4];  // July, 40%
  auto fix =
      b.Submit(b.keys().agency,
               Correction(target, "7月进度少报", [&](schema::Event::Builder e) {
                 auto p = e.initProgressReported();
                 p.setProject(r.barriers);
                 CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
                 p.setPercentBp(5200);
                 p.setStarted(true);
               }));
  ASSERT_OK(fix);
  ViewQuery q = CycleQuery(b);
  q.as_of = projections::Date{2025, 8, 1};
  const auto v = ViewOf(b.state(), "projects", q);
  const auto barriers = Find(v["projects"], "ref", r.barriers);
  const auto july = Find(barriers["progress"], "entry", target);
  EXPECT_EQ(july["percentBp"], 5200);
  EXPECT_EQ(july["corrections"], nlohmann::json({*fix}));
  // Corrected five months after the due date: the milestone missed on the
  // record stays missed, and says a later correction would have met it.
  EXPECT_EQ(Milestone(barriers, 1)["status"], "missed");
  EXPECT_EQ(Milestone(barriers, 1)["correctedAfterDue"], true);
  EXPECT_EQ(Milestone(barriers, 1)["reportedPercentBp"], 4000);
  // The audit trail of the project shows the original report and the
  // correction that changed it.
  const auto audit = ViewOf(b.state(), "audit", RecordQuery(r.barriers));
  const auto original = Find(audit["entries"], "entry", target);
  EXPECT_EQ(original["relation"], "progress");
  EXPECT_EQ(original["corrections"], nlohmann::json({*fix}));
  const auto correction = Find(audit["entries"], "entry", *fix);
  EXPECT_EQ(correction["relation"], "corrected");
  EXPECT_EQ(correction["target"], target);
  EXPECT_EQ(correction["kind"], "correction");
}

TEST(ViewsTest, AnAdjustedProjectShowsTheDecisionAndItsNewDeadline) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kInspection));
  const auto& r = b.refs();
  b.SetDate(2025, 12, 1);
  ASSERT_OK(b.Submit(b.keys().standing, [&](schema::Event::Builder e) {
    auto a = e.initAdjustmentDecided();
    a.setProject(r.barriers);
    a.setKind(schema::AdjustmentKind::ADJUST);
    a.setForceMajeure("特大暴雨冲毁路基");
    a.setLegalBasis("县人大常委会第十二次会议决定");
    a.setDecision("完工验收顺延至2026年3月31日");
    CycleBuilder::SetDay(a.initDecidedOn(), 2025, 12, 1);
    CycleBuilder::SetDay(a.initNewCompletion(), 2026, 3, 31);
  }));
  ViewQuery q = CycleQuery(b);
  q.as_of = projections::Date{2026, 1, 5};
  const auto v = ViewOf(b.state(), "projects", q);
  const auto barriers = Find(v["projects"], "ref", r.barriers);
  const auto& adj = barriers["supervision"]["adjustments"][0];
  EXPECT_EQ(adj["kind"], "adjust");
  EXPECT_EQ(adj["forceMajeure"], "特大暴雨冲毁路基");
  EXPECT_EQ(adj["newCompletion"], "2026-03-31");
  EXPECT_EQ(Milestone(barriers, 3)["due"], "2026-03-31");
  EXPECT_EQ(Milestone(barriers, 3)["status"], "pending");
  // Not accepted by 31 December, but the deadline moved: not late.
  EXPECT_EQ(barriers["status"], "onSchedule");
  // The canteen was never accepted in this build: late after 31 December.
  EXPECT_EQ(Find(v["projects"], "ref", r.canteen)["status"], "late");
}

TEST(ViewsTest, SupervisionRecordsAppearOnTheirProjects) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const auto v = ViewOf(b.state(), "projects", RecordQuery(r.barriers));
  ASSERT_EQ(v["projects"].size(), 1u);
  const auto& p = v["projects"][0];
  EXPECT_EQ(p["plan"]["entry"], r.plans.at(r.barriers));
  EXPECT_EQ(p["progress"].size(), 9u);
  EXPECT_EQ(p["progress"][0]["evidence"][0]["sha256"].get<std::string>().size(),
            64u);
  EXPECT_EQ(p["supervision"]["inspections"][0]["ref"], r.inspection);
  EXPECT_EQ(p["supervision"]["notices"][0]["dueBy"], "2025-09-15");
  EXPECT_EQ(p["supervision"]["acceptances"][0]["passed"], true);
  EXPECT_EQ(p["evaluation"]["scores"][0]["overall"], 61);
  EXPECT_EQ(p["evaluation"]["satisfaction"], "unsatisfied");
  const auto& order = p["evaluation"]["rectifications"][0];
  EXPECT_EQ(order["deadline"], "2026-03-31");
  EXPECT_EQ(order["status"], "closed");
}

// --- audit
// ---------------------------------------------------------------------------

TEST(ViewsTest, TheAuditTrailListsEveryEntryThatTouchedARecord) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const auto v = ViewOf(b.state(), "audit", RecordQuery(r.canteen));
  EXPECT_EQ(v["kind"], "proposalSubmitted");
  EXPECT_EQ(v["jurisdiction"], kCounty);
  std::vector<std::string> relations;
  for (const auto& e : v["entries"]) relations.push_back(e["relation"]);
  // created, 3 screenings, listed, elected, planned, 9 progress reports,
  // inspected, accepted, evaluated, rated, graded.
  const std::vector<std::string> want = {
      "created",   "screened", "screened", "screened", "listed",    "elected",
      "planned",   "progress", "progress", "progress", "progress",  "progress",
      "progress",  "progress", "progress", "progress", "inspected", "accepted",
      "evaluated", "rated",    "graded"};
  EXPECT_EQ(relations, want);
  const auto& first = v["entries"][0];
  EXPECT_EQ(first["entry"], r.canteen);
  EXPECT_EQ(first["author"]["holder"], "某县民生实事征集平台");
  EXPECT_EQ(first["recordedOn"], "2025-01-06");
  const auto& party = v["entries"][2];
  EXPECT_EQ(party["kind"], "screeningDecided");
  EXPECT_EQ(party["author"]["holder"], "中共某县委员会");
}

// The trail names each entry's author by its key's hex and holder, also in
// a state read back from its snapshot (the state keeps the key's bytes).
TEST(ViewsTest, TheAuditTrailNamesEachAuthorByItsKeysHexAlsoAfterASnapshot) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  auto restored = projections::State::Deserialize(b.state().Serialize());
  ASSERT_OK(restored);
  const projections::State& loaded = *restored;
  for (const projections::State* s : {&b.state(), &loaded}) {
    const auto v = ViewOf(*s, "audit", RecordQuery(r.canteen));
    const auto& party = v["entries"][2]["author"];
    EXPECT_EQ(party["key"],
              crypto::ToHex(crypto::AsBytes(b.keys().party.public_key)));
    EXPECT_EQ(party["holder"], "中共某县委员会");
  }
}

// Each entry's signing time is kept beside the entries' table (a rules-only
// state keeps none): the trail shows it as signed, and a state restored
// from its snapshot shows the same and writes the same bytes again.
TEST(ViewsTest, TheAuditTrailShowsWhenEachEntryWasSignedAlsoAfterASnapshot) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const std::string bytes = b.state().Serialize();
  auto restored = projections::State::Deserialize(bytes);
  ASSERT_OK(restored);
  EXPECT_EQ(restored->Serialize(), bytes);
  const projections::State& copy = *restored;
  for (const projections::State* s : {&b.state(), &copy}) {
    const auto v = ViewOf(*s, "audit", RecordQuery(b.refs().canteen));
    ASSERT_GT(v["entries"].size(), 10u);
    for (const auto& row : v["entries"]) {
      auto raw = b.ledger().ReadEntry(row["entry"].get<uint64_t>());
      ASSERT_OK(raw);
      auto entry = ledger::EntryView::Parse(*raw);
      ASSERT_OK(entry);
      EXPECT_EQ(row["signedAtMs"], entry->authored().getSignedAtMs())
          << "entry " << row["entry"];
      EXPECT_NE(row["signedAtMs"], 0);
    }
  }
}

// A project's trail follows its rectification orders: the reports refer to
// the order, not the project, and are still acts about the project; so is a
// correction of a report (issue 10).
TEST(ViewsTest, AProjectsTrailIncludesItsRectificationReports) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  b.SetDate(2026, 1, 5);
  auto fix = b.Submit(b.keys().agency,
                      Correction(r.rectification_report, "报告日期笔误",
                                 [&](schema::Event::Builder e) {
                                   auto rep = e.initRectificationReported();
                                   rep.setOrder(r.rectification);
                                   CycleBuilder::SetDay(rep.initReportedOn(),
                                                        2025, 12, 31);
                                   rep.setCompleted(true);
                                   rep.setText("缺失路段护栏已全部补齐。");
                                 }));
  ASSERT_OK(fix);
  const auto v = ViewOf(b.state(), "audit", RecordQuery(r.barriers));
  const auto order = Find(v["entries"], "entry", r.rectification);
  EXPECT_EQ(order["relation"], "rectificationOrdered");
  const auto report = Find(v["entries"], "entry", r.rectification_report);
  ASSERT_FALSE(report.is_null()) << v["entries"].dump(1);
  EXPECT_EQ(report["kind"], "rectificationReported");
  EXPECT_EQ(report["about"], r.rectification);
  const auto corrected = Find(v["entries"], "entry", *fix);
  ASSERT_FALSE(corrected.is_null()) << v["entries"].dump(1);
  EXPECT_EQ(corrected["target"], r.rectification_report);
  EXPECT_EQ(corrected["correction"]["reason"], "报告日期笔误");
  // In log order, each entry once.
  uint64_t last = 0;
  for (const auto& e : v["entries"]) {
    EXPECT_GT(e["entry"].get<uint64_t>() + 1, last) << v["entries"].dump(1);
    EXPECT_NE(e["entry"].get<uint64_t>() + 1, last) << v["entries"].dump(1);
    last = e["entry"].get<uint64_t>() + 1;
  }
}

// The list of all corrections: who (key holder and the roles the key holds
// where it signed), when, what (the entry changed, its kind, and the record it
// belongs to) and why, with each changed value before and after (issue 10).
TEST(ViewsTest, TheCorrectionsViewListsWhoWhenWhatAndWhy) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const auto none = ViewOf(b.state(), "corrections", {});
  ASSERT_TRUE(none["corrections"].is_array());
  const size_t before = none["corrections"].size();
  b.SetDate(2026, 1, 5);
  auto fix = b.Submit(b.keys().agency,
                      Correction(r.rectification_report, "报告文字有误",
                                 [&](schema::Event::Builder e) {
                                   auto rep = e.initRectificationReported();
                                   rep.setOrder(r.rectification);
                                   CycleBuilder::SetDay(rep.initReportedOn(),
                                                        2025, 12, 31);
                                   rep.setCompleted(true);
                                   rep.setText("缺失路段护栏已全部补齐。");
                                 }));
  ASSERT_OK(fix);
  const auto v = ViewOf(b.state(), "corrections", {});
  EXPECT_EQ(v["view"], "corrections");
  ASSERT_EQ(v["corrections"].size(), before + 1) << v.dump(1);
  const auto c = Find(v["corrections"], "entry", *fix);
  ASSERT_FALSE(c.is_null()) << v.dump(1);
  EXPECT_EQ(c["target"], r.rectification_report);
  EXPECT_EQ(c["targetKind"], "rectificationReported");
  EXPECT_EQ(c["record"], r.rectification);
  EXPECT_EQ(c["recordKind"], "rectificationOrdered");
  EXPECT_EQ(c["kind"], "replacement");
  EXPECT_EQ(c["reason"], "报告文字有误");
  EXPECT_FALSE(c["by"]["holder"].get<std::string>().empty());
  EXPECT_EQ(c["by"]["roles"], nlohmann::json::array({"implementingAgency"}));
  EXPECT_EQ(c["recordedOn"], "2026-01-05");
  EXPECT_EQ(c["jurisdiction"], kCounty);
  bool text_changed = false;
  for (const auto& ch : c["changes"]) {
    if (ch["field"] == "text") {
      text_changed = true;
      EXPECT_EQ(ch["from"], "缺失路段护栏已补齐。");
      EXPECT_EQ(ch["to"], "缺失路段护栏已全部补齐。");
    }
  }
  EXPECT_TRUE(text_changed) << c.dump(1);
  // In log order.
  for (size_t i = 1; i < v["corrections"].size(); ++i) {
    EXPECT_LT(v["corrections"][i - 1]["entry"], v["corrections"][i]["entry"]);
  }
}

// A merged proposal's trail leads on to what it was merged into: that
// record's screening, listing and the result of its round (issue 10).
TEST(ViewsTest, AMergedProposalsTrailLeadsToTheOutcomeOfTheMerge) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const auto v = ViewOf(b.state(), "audit", RecordQuery(r.lights_east));
  const auto merge = Find(v["entries"], "entry", r.lights);
  ASSERT_FALSE(merge.is_null()) << v["entries"].dump(1);
  EXPECT_EQ(merge["relation"], "merged");
  const auto listed = Find(v["entries"], "entry", r.candidate_list);
  ASSERT_FALSE(listed.is_null()) << v["entries"].dump(1);
  EXPECT_EQ(listed["about"], r.lights);
  // The street lights were not elected: the result that says so is there.
  const auto result = Find(v["entries"], "entry", r.result);
  ASSERT_FALSE(result.is_null()) << v["entries"].dump(1);
  EXPECT_EQ(result["kind"], "resultAnnounced");
}

TEST(ViewsTest, AReportCorrectedTheDayItWasFiledCounts) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kPlanned));
  const auto& r = b.refs();
  // The July report is filed on 3 August, and fixed the same day.
  b.SetDate(2025, 8, 3);
  auto target = b.Submit(b.keys().agency, [&](schema::Event::Builder e) {
    auto p = e.initProgressReported();
    p.setProject(r.barriers);
    CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
    p.setPercentBp(4000);
    p.setStarted(true);
  });
  ASSERT_OK(target);
  b.SetDate(2025, 8, 3, 18);
  ASSERT_OK(b.Submit(
      b.keys().agency,
      Correction(*target, "7月进度录入错误", [&](schema::Event::Builder e) {
        auto p = e.initProgressReported();
        p.setProject(r.barriers);
        CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
        p.setPercentBp(5200);
        p.setStarted(true);
      })));
  ViewQuery q = CycleQuery(b);
  q.as_of = projections::Date{2025, 8, 5};
  const auto v = ViewOf(b.state(), "projects", q);
  const auto barriers = Find(v["projects"], "ref", r.barriers);
  EXPECT_EQ(Milestone(barriers, 1)["status"], "met");
  EXPECT_EQ(Milestone(barriers, 1)["correctedAfterDue"], false);
}

TEST(ViewsTest, AnOverstatedReportCorrectedLaterMakesTheMilestoneMissed) {
  CycleBuilder b;
  ASSERT_OK(b.BuildAll());
  const auto& r = b.refs();
  const uint64_t target = r.progress.at(r.canteen)[4];  // July, 60%
  ASSERT_OK(
      b.Submit(b.keys().agency,
               Correction(target, "7月进度多报", [&](schema::Event::Builder e) {
                 auto p = e.initProgressReported();
                 p.setProject(r.canteen);
                 CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
                 p.setPercentBp(4600);
                 p.setStarted(true);
               })));
  ViewQuery q = CycleQuery(b);
  const auto v = ViewOf(b.state(), "projects", q);
  const auto canteen = Find(v["projects"], "ref", r.canteen);
  EXPECT_EQ(Milestone(canteen, 1)["status"], "missed");
}

TEST(ViewsTest, AnAdjustmentAfterTheDueDateKeepsTheMissedMilestone) {
  CycleBuilder b;
  ASSERT_OK(b.BuildThrough(Stage::kInspection));  // nothing accepted
  const auto& r = b.refs();
  b.SetDate(2026, 1, 10);
  auto adjustment = b.Submit(b.keys().standing, [&](schema::Event::Builder e) {
    auto a = e.initAdjustmentDecided();
    a.setProject(r.barriers);
    a.setKind(schema::AdjustmentKind::ADJUST);
    a.setForceMajeure("特大暴雨冲毁路基");
    a.setLegalBasis("县人大常委会第十三次会议决定");
    a.setDecision("完工验收顺延至2026年6月30日");
    // Dated back to before the deadline; it was recorded after it.
    CycleBuilder::SetDay(a.initDecidedOn(), 2025, 12, 1);
    CycleBuilder::SetDay(a.initNewCompletion(), 2026, 6, 30);
  });
  ASSERT_OK(adjustment);
  ViewQuery q = CycleQuery(b);
  q.as_of = projections::Date{2026, 1, 15};
  const auto v = ViewOf(b.state(), "projects", q);
  const auto barriers = Find(v["projects"], "ref", r.barriers);
  ASSERT_EQ(barriers["milestones"].size(), 5u) << barriers["milestones"].dump();
  EXPECT_EQ(Milestone(barriers, 3)["due"], "2025-12-31");
  EXPECT_EQ(Milestone(barriers, 3)["status"], "missed");
  EXPECT_EQ(Milestone(barriers, 4)["due"], "2026-06-30");
  EXPECT_EQ(Milestone(barriers, 4)["status"], "pending");
  EXPECT_EQ(Milestone(barriers, 4)["adjustment"], *adjustment);
  EXPECT_EQ(barriers["status"], "late");
}

}  // namespace
}  // namespace piaojue::testing
