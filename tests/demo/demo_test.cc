#include "api/demo/demo.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/cli/data_dir.h"
#include "ledger/entry.h"
#include "ledger/ledger.h"
#include "projections/dates.h"
#include "projections/replay.h"
#include "projections/state.h"
#include "projections/views.h"
#include "tests/test_util.h"
#include "verifier/verify.h"

// The demo's full-cycle test. The ledger is built once per suite, in stages
// (--until each stage, with a repeated and a backwards request in between);
// every test then reads the result, and one test builds it again in one go.
// Builds run with sync off (demo::Options::sync) to keep the suite fast; the
// bytes written are the same either way.
//
// Expected results are computed here, by hand, from the story's inputs in
// demo.h (the vote tables): the winners from the approval counts, the
// grades from the satisfaction counts. The ballots are recounted here from
// the raw ballotsRecorded entries, without the projections' tally code.

namespace piaojue::demo {
namespace {

using nlohmann::json;

ledger::LedgerOptions ReadOptions() { return ledger::LedgerOptions{}; }

std::unique_ptr<ledger::Ledger> OpenLedger(const std::string& data) {
  auto l = ledger::Ledger::Open(data + "/ledger", ReadOptions(), true);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return l.ok() ? std::move(*l) : nullptr;
}

// What one run of the demo printed and left behind.
struct RunRecord {
  std::string until;
  Status status;
  std::string output;
  uint64_t size = 0;
  std::string county_stage;  // the cycles view's stage of the county cycle
};

std::string CountyStage(const std::string& data) {
  auto l = OpenLedger(data);
  if (l == nullptr) return "";
  auto state = projections::ReplayTo(*l, l->size());
  if (!state.ok()) return "";
  auto view = projections::View(*state, "cycles", {});
  if (!view.ok()) return "";
  for (const json& c : (*view)["cycles"]) {
    if (c["jurisdiction"]["code"] == kCountyCode) return c["stage"];
  }
  return "";
}

// The ledger read directly, entry by entry, without the projections.
struct Scan {
  struct Round {
    uint64_t vote = 0;
    std::vector<uint64_t> items;
    uint16_t seats = 0;
  };
  struct Recount {
    std::vector<std::array<uint32_t, 5>> marks;  // per item, per mark 1..4
    uint32_t read = 0;
    uint32_t over_approving = 0;
    uint32_t unreadable = 0;
  };
  std::map<uint64_t, std::string> titles;  // proposal ref -> title
  std::map<uint64_t, std::string> jurisdiction_of_vote;
  std::map<uint64_t, int> purpose_of_vote;
  std::map<uint64_t, Round> rounds;
  std::map<uint64_t, uint64_t> round_of_box;
  std::map<uint64_t, Recount> recounts;                // per round
  std::map<uint64_t, std::vector<uint64_t>> elected;   // per round
  std::map<uint64_t, std::map<uint64_t, int>> grades;  // per round
  std::map<uint64_t, uint32_t> certified_invalid;      // per round
  std::map<int, int> rejections_per_stage;             // county only
  std::vector<uint64_t> corrections;
  std::map<uint64_t, uint64_t> correction_target;
};

Scan ScanLedger(const ledger::Ledger& l) {
  Scan s;
  Status st = l.ForEachEntry(
      0, l.size(), [&](uint64_t index, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView v, ledger::EntryView::Parse(bytes));
        auto e = v.event();
        const std::string jur = v.authored().getJurisdiction().cStr();
        switch (e.which()) {
          case schema::Event::PROPOSAL_SUBMITTED:
            s.titles[index] =
                e.getProposalSubmitted().getDetails().getTitle().cStr();
            break;
          case schema::Event::PROPOSALS_MERGED:
            s.titles[index] =
                e.getProposalsMerged().getDetails().getTitle().cStr();
            break;
          case schema::Event::SCREENING_DECIDED: {
            auto d = e.getScreeningDecided();
            if (jur == kCountyCode &&
                d.getOutcome() == schema::ScreeningOutcome::REJECT) {
              EXPECT_GT(d.getReasonText().size(), 0u);
              ++s.rejections_per_stage[static_cast<int>(d.getStage())];
            }
            break;
          }
          case schema::Event::VOTING_RULES_ADOPTED:
            s.jurisdiction_of_vote[index] = jur;
            s.purpose_of_vote[index] =
                static_cast<int>(e.getVotingRulesAdopted().getPurpose());
            break;
          case schema::Event::ROUND_OPENED: {
            auto r = e.getRoundOpened();
            Scan::Round& round = s.rounds[index];
            round.vote = r.getVote();
            for (uint64_t item : r.getItems()) round.items.push_back(item);
            round.seats = r.getSeats();
            s.recounts[index].marks.assign(round.items.size(), {});
            break;
          }
          case schema::Event::BALLOT_BOX_SEALED:
            s.round_of_box[index] = e.getBallotBoxSealed().getRound();
            break;
          case schema::Event::BALLOTS_RECORDED: {
            auto b = e.getBallotsRecorded();
            const uint64_t round = s.round_of_box.at(b.getBox());
            const Scan::Round& r = s.rounds.at(round);
            Scan::Recount& rc = s.recounts[round];
            const bool selection =
                s.purpose_of_vote.at(r.vote) ==
                static_cast<int>(schema::VotePurpose::PROJECT_SELECTION);
            const size_t n = r.items.size();
            auto marks = b.getMarks();
            rc.unreadable += b.getUnreadable();
            for (size_t at = 0; at + n <= marks.size(); at += n) {
              ++rc.read;
              size_t approvals = 0;
              for (size_t i = 0; i < n; ++i) approvals += marks[at + i] == 1;
              // A selection ballot approving more than the seats is void.
              if (selection && approvals > r.seats) {
                ++rc.over_approving;
                continue;
              }
              for (size_t i = 0; i < n; ++i) ++rc.marks[i][marks[at + i]];
            }
            break;
          }
          case schema::Event::TALLY_CERTIFIED:
            s.certified_invalid[e.getTallyCertified().getRound()] =
                e.getTallyCertified().getInvalid();
            break;
          case schema::Event::RESULT_ANNOUNCED: {
            auto r = e.getResultAnnounced();
            for (uint64_t ref : r.getElected()) {
              s.elected[r.getRound()].push_back(ref);
            }
            for (auto g : r.getGrades()) {
              s.grades[r.getRound()][g.getItem()] =
                  static_cast<int>(g.getGrade());
            }
            break;
          }
          case schema::Event::CORRECTION:
            s.corrections.push_back(index);
            s.correction_target[index] = e.getCorrection().getTarget();
            break;
          default:
            break;
        }
        return Status::Ok();
      });
  EXPECT_OK(st);
  return s;
}

// The round of `jurisdiction`'s vote with `purpose`.
uint64_t RoundOf(const Scan& s, const std::string& jurisdiction,
                 schema::VotePurpose purpose) {
  for (const auto& [ref, round] : s.rounds) {
    if (s.jurisdiction_of_vote.at(round.vote) == jurisdiction &&
        s.purpose_of_vote.at(round.vote) == static_cast<int>(purpose)) {
      return ref;
    }
  }
  ADD_FAILURE() << "no round for " << jurisdiction;
  return 0;
}

class DemoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dirs_ = new testing::TempDir();
    staged_ = dirs_->Sub("staged");
    one_shot_ = dirs_->Sub("one-shot");
    runs_ = new std::vector<RunRecord>();
    for (const char* until : {"collection", "collection", "screening", "vote",
                              "screening", "supervision", "", ""}) {
      RunRecord r;
      r.until = until;
      std::ostringstream out;
      r.status = demo::Run(Options{staged_, until, false}, out);
      r.output = out.str();
      if (auto l = OpenLedger(staged_)) r.size = l->size();
      r.county_stage = CountyStage(staged_);
      runs_->push_back(std::move(r));
    }
  }
  static void TearDownTestSuite() {
    delete runs_;
    delete dirs_;
  }

  void SetUp() override {
    for (const RunRecord& r : *runs_) ASSERT_OK(r.status);
    ledger_ = OpenLedger(staged_);
    ASSERT_NE(ledger_, nullptr);
    scan_ = ScanLedger(*ledger_);
    auto state = projections::ReplayTo(*ledger_, ledger_->size());
    ASSERT_OK(state);
    state_ = std::move(*state);
  }

  // The view `name` of the county cycle (or `cycle_of` jurisdiction).
  json CycleView(const projections::State& state, const std::string& name,
                 const std::string& jurisdiction = kCountyCode) {
    auto cycles = projections::View(state, "cycles", {});
    EXPECT_OK(cycles);
    projections::ViewQuery q;
    for (const json& c : (*cycles)["cycles"]) {
      if (c["jurisdiction"]["code"] == jurisdiction) {
        q.cycle = c["ref"].get<uint64_t>();
      }
    }
    auto view = projections::View(state, name, q);
    EXPECT_OK(view);
    return view.ok() ? *view : json();
  }

  static json ProjectNamed(const json& projects, const std::string& name) {
    for (const json& p : projects["projects"]) {
      if (p["name"] == name) return p;
    }
    ADD_FAILURE() << "no project " << name;
    return json();
  }

  static testing::TempDir* dirs_;
  static std::string staged_;
  static std::string one_shot_;
  static std::vector<RunRecord>* runs_;

  std::unique_ptr<ledger::Ledger> ledger_;
  Scan scan_;
  projections::State state_;
};

testing::TempDir* DemoTest::dirs_ = nullptr;
std::string DemoTest::staged_;
std::string DemoTest::one_shot_;
std::vector<RunRecord>* DemoTest::runs_ = nullptr;

TEST_F(DemoTest, EachRunStopsAfterTheStageAskedForAndResumes) {
  const std::vector<RunRecord>& r = *runs_;
  // The cycles view names the stage a cycle is in: once its candidate list
  // is fixed it is in "vote", once the vote is settled in "supervision".
  EXPECT_EQ(r[0].county_stage, "collection");
  EXPECT_EQ(r[2].county_stage, "vote");
  EXPECT_EQ(r[3].county_stage, "supervision");
  EXPECT_EQ(r[5].county_stage, "supervision");
  EXPECT_EQ(r[6].county_stage, "closed");
  EXPECT_LT(0u, r[0].size);
  EXPECT_LT(r[0].size, r[2].size);
  EXPECT_LT(r[2].size, r[3].size);
  EXPECT_LT(r[3].size, r[5].size);
  EXPECT_LT(r[5].size, r[6].size);
  EXPECT_NE(r[0].output.find("stopped after stage collection"),
            std::string::npos)
      << r[0].output;
  // Asking again for a stage already reached, or an earlier one, changes
  // nothing.
  EXPECT_EQ(r[1].size, r[0].size);
  EXPECT_NE(r[1].output.find("nothing to do"), std::string::npos);
  EXPECT_EQ(r[4].size, r[3].size);
  EXPECT_NE(r[4].output.find("nothing to do"), std::string::npos);
  // The complete ledger says so and stays as it is.
  EXPECT_NE(r[6].output.find("complete"), std::string::npos);
  EXPECT_EQ(r[7].size, r[6].size);
  EXPECT_NE(r[7].output.find("is complete"), std::string::npos) << r[7].output;
  for (const RunRecord& run : r) {
    EXPECT_NE(run.output.find("verifier key: " + std::string(kOrigin) + "+"),
              std::string::npos)
        << run.output;
  }
}

TEST_F(DemoTest, StagedBuildWritesTheSameBytesAsOneShotBuild) {
  std::ostringstream out;
  ASSERT_OK(demo::Run(Options{one_shot_, "", false}, out));
  auto one_shot = OpenLedger(one_shot_);
  ASSERT_NE(one_shot, nullptr);
  ASSERT_EQ(one_shot->size(), ledger_->size());
  EXPECT_EQ(one_shot->head().root, ledger_->head().root);
  EXPECT_EQ(one_shot->head().last_entry_hash, ledger_->head().last_entry_hash);
}

TEST_F(DemoTest, IndependentVerifierFindsTheLedgerValid) {
  // The verifier key the demo printed pins who signed the checkpoints.
  const std::string& output = runs_->back().output;
  const std::string prefix = "verifier key: ";
  const size_t at = output.find(prefix);
  ASSERT_NE(at, std::string::npos);
  verifier::VerifyOptions options;
  options.path = staged_;
  options.vkey = output.substr(at + prefix.size(),
                               output.find('\n', at) - at - prefix.size());
  options.quiet = true;
  options.threads = 1;
  const verifier::VerifyReport report = verifier::Verify(options);
  EXPECT_EQ(report.exit_code, 0) << verifier::ReportToText(report);
  EXPECT_EQ(report.entries, ledger_->size());
  EXPECT_TRUE(report.pinned);
}

TEST_F(DemoTest, ReplayFromScratchEqualsIncrementalState) {
  // The snapshot the last run saved was built incrementally over the runs.
  projections::LoadInfo info;
  auto incremental =
      projections::LoadOrRebuild(*ledger_, staged_ + "/state.snapshot", &info);
  ASSERT_OK(incremental);
  EXPECT_TRUE(info.from_snapshot) << info.ignored_because;
  EXPECT_EQ(info.snapshot_size, ledger_->size());
  EXPECT_EQ(incremental->Serialize(), state_.Serialize());
}

TEST_F(DemoTest, CyclesHaveTheProposalsOfTheStory) {
  auto cycles = projections::View(state_, "cycles", {});
  ASSERT_OK(cycles);
  std::map<std::string, int> proposals;
  for (const json& c : (*cycles)["cycles"]) {
    proposals[c["jurisdiction"]["code"]] = c["counts"]["proposals"];
  }
  EXPECT_EQ(proposals[kCountyCode], kCountyProposals);
  EXPECT_EQ(proposals[kLiulinCode], kTownshipProposals);
  EXPECT_EQ(proposals[kShimenCode], kTownshipProposals);
  // Proposals drop out, with a written reason, at each of the three reviews.
  EXPECT_GT(scan_.rejections_per_stage[1], 0);
  EXPECT_GT(scan_.rejections_per_stage[2], 0);
  EXPECT_GT(scan_.rejections_per_stage[3], 0);
}

TEST_F(DemoTest, WinnersAreTheMostApprovedPassingCandidatesInOrder) {
  for (const SelectionFacts& f : SelectionVotes()) {
    SCOPED_TRACE(f.jurisdiction);
    // By hand: a candidate passes with more than half of the entitled
    // deputies' approvals; passing candidates fill the seats by approvals.
    std::vector<size_t> order;
    for (size_t i = 0; i < f.candidates.size(); ++i) {
      if (2 * f.approve[i] > f.entitled) order.push_back(i);
    }
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return f.approve[a] > f.approve[b]; });
    if (order.size() > f.seats) order.resize(f.seats);
    std::vector<std::string> expected;
    for (size_t i : order) expected.push_back(f.candidates[i]);

    const uint64_t round =
        RoundOf(scan_, f.jurisdiction, schema::VotePurpose::PROJECT_SELECTION);
    std::vector<std::string> announced;
    for (uint64_t ref : scan_.elected[round]) {
      announced.push_back(scan_.titles.at(ref));
    }
    EXPECT_EQ(announced, expected);
  }
  // The county's 11th candidate passed the threshold but found no seat; the
  // 12th did not pass.
  const SelectionFacts& county = SelectionVotes()[0];
  EXPECT_EQ(scan_
                .elected[RoundOf(scan_, kCountyCode,
                                 schema::VotePurpose::PROJECT_SELECTION)]
                .size(),
            county.seats);
}

TEST_F(DemoTest, RecountOfTheRecordedBallotsGivesTheStoryCounts) {
  for (const SelectionFacts& f : SelectionVotes()) {
    SCOPED_TRACE(f.jurisdiction);
    const uint64_t round =
        RoundOf(scan_, f.jurisdiction, schema::VotePurpose::PROJECT_SELECTION);
    const Scan::Recount& rc = scan_.recounts[round];
    uint32_t collected = 0, over = 0, unreadable = 0;
    for (const BoxFacts& b : f.boxes) {
      collected += b.collected;
      over += b.over_approving;
      unreadable += b.unreadable;
    }
    const uint32_t valid = collected - over - unreadable;
    EXPECT_EQ(rc.read + rc.unreadable, collected);
    EXPECT_EQ(rc.over_approving, over);
    EXPECT_EQ(rc.unreadable, unreadable);
    // The certified (published) number of invalid ballots.
    EXPECT_EQ(scan_.certified_invalid[round], over + unreadable);
    for (size_t i = 0; i < f.candidates.size(); ++i) {
      EXPECT_EQ(scan_.titles.at(scan_.rounds[round].items[i]), f.candidates[i]);
      EXPECT_EQ(rc.marks[i][1], f.approve[i]) << f.candidates[i];
      EXPECT_EQ(rc.marks[i][2], f.oppose[i]) << f.candidates[i];
      EXPECT_EQ(rc.marks[i][3], valid - f.approve[i] - f.oppose[i]);
    }
  }
}

TEST_F(DemoTest, PublishedTallyShowsTheStoryApprovals) {
  const SelectionFacts& f = SelectionVotes()[0];
  const uint64_t round =
      RoundOf(scan_, kCountyCode, schema::VotePurpose::PROJECT_SELECTION);
  projections::ViewQuery q;
  q.record = round;
  auto tally = projections::View(state_, "tally", q);
  ASSERT_OK(tally);
  const json& r = (*tally)["rounds"][0];
  EXPECT_TRUE(r["certified"]["matchesRecount"].get<bool>());
  uint32_t invalid = 0;
  for (const BoxFacts& b : f.boxes) invalid += b.over_approving + b.unreadable;
  EXPECT_EQ(r["certified"]["invalid"], invalid);
  std::map<std::string, uint32_t> approvals;
  for (const json& item : r["certified"]["items"]) {
    approvals[item["name"]] = item["approve"];
  }
  for (size_t i : {size_t{0}, size_t{1}, size_t{6}, size_t{8}, size_t{9}}) {
    EXPECT_EQ(approvals[f.candidates[i]], f.approve[i]) << f.candidates[i];
  }
}

TEST_F(DemoTest, SatisfactionGradesFollowTheConfiguredRule) {
  for (size_t v = 0; v < SatisfactionVotes().size(); ++v) {
    const SatisfactionFacts& f = SatisfactionVotes()[v];
    SCOPED_TRACE(f.jurisdiction);
    const json projects = CycleView(state_, "projects", f.jurisdiction);
    const uint64_t round =
        RoundOf(scan_, f.jurisdiction, schema::VotePurpose::SATISFACTION);
    const Scan::Recount& rc = scan_.recounts[round];
    for (size_t i = 0; i < f.projects.size(); ++i) {
      // By hand: satisfied above half of the entitled deputies; else
      // satisfied + basically satisfied above half; else (exactly half
      // included) unsatisfied.
      std::string expected = "unsatisfied";
      int grade = 3;
      if (2 * f.satisfied[i] > f.entitled) {
        expected = "satisfied";
        grade = 1;
      } else if (2 * (f.satisfied[i] + f.basically_satisfied[i]) > f.entitled) {
        expected = "basicallySatisfied";
        grade = 2;
      }
      const json p = ProjectNamed(projects, f.projects[i]);
      EXPECT_EQ(p["evaluation"]["satisfaction"], expected) << f.projects[i];
      const uint64_t item = scan_.rounds[round].items[i];
      EXPECT_EQ(scan_.titles.at(item), f.projects[i]);
      EXPECT_EQ(scan_.grades[round][item], grade);
      EXPECT_EQ(rc.marks[i][1], f.satisfied[i]);
      EXPECT_EQ(rc.marks[i][2], f.basically_satisfied[i]);
      EXPECT_EQ(rc.marks[i][3], f.unsatisfied[i]);
    }
  }
  // The story's one "basically satisfied" project got a rectification order
  // and closed it with a completed report.
  const json rectified =
      ProjectNamed(CycleView(state_, "projects"), kRectifiedProject);
  EXPECT_EQ(rectified["evaluation"]["satisfaction"], "basicallySatisfied");
  ASSERT_EQ(rectified["evaluation"]["rectifications"].size(), 1u);
  EXPECT_EQ(rectified["evaluation"]["rectifications"][0]["status"], "closed");
}

TEST_F(DemoTest, LateProjectIsReportedLate) {
  // As the record stood at the end of August 2025.
  auto august = projections::ReplayAsOf(
      *ledger_, projections::MsAtStartOfDay(projections::Date{2025, 9, 1}) - 1);
  ASSERT_OK(august);
  const json projects = CycleView(*august, "projects");
  ASSERT_FALSE(projects["projects"].empty());
  for (const json& p : projects["projects"]) {
    EXPECT_EQ(p["status"], p["name"] == kLateProject ? "late" : "onSchedule")
        << p["name"];
  }
  // At the end it was accepted, and the missed 50% milestone stays on record.
  const json late = ProjectNamed(CycleView(state_, "projects"), kLateProject);
  EXPECT_EQ(late["status"], "done");
  std::vector<std::string> statuses;
  for (const json& m : late["milestones"]) statuses.push_back(m["status"]);
  EXPECT_EQ(statuses,
            (std::vector<std::string>{"met", "missed", "met", "met"}));
  EXPECT_EQ(late["supervision"]["notices"].size(), 1u);
  EXPECT_EQ(late["supervision"]["inspections"].size(), 1u);
}

// Issue 10: each implementing agency signs with its own key, so a progress
// report shows which office reported: the holder of the signing key is the
// agency the project's plan names.
TEST_F(DemoTest, ProgressReportsShowWhichAgencyReported) {
  std::set<std::string> holders;
  for (const char* code : {kCountyCode, kLiulinCode, kShimenCode}) {
    const json projects = CycleView(state_, "projects", code);
    ASSERT_FALSE(projects["projects"].empty());
    for (const json& p : projects["projects"]) {
      const std::string agency = p["plan"]["agency"];
      ASSERT_FALSE(p["progress"].empty()) << p["name"];
      for (const json& r : p["progress"]) {
        EXPECT_EQ(r["reportedBy"]["holder"], agency) << p["name"];
        holders.insert(r["reportedBy"]["holder"]);
      }
    }
  }
  // The county's ten projects are run by several offices.
  EXPECT_GE(holders.size(), 5u);
}

// Issue 10, item 6: the presidium (大会主席团) announces every result.
TEST_F(DemoTest, ResultsAreAnnouncedByThePresidium) {
  size_t announced = 0;
  for (uint64_t i = 0; i < ledger_->size(); ++i) {
    auto bytes = ledger_->ReadEntry(i);
    ASSERT_OK(bytes);
    auto e = ledger::EntryView::Parse(*bytes);
    ASSERT_OK(e);
    if (e->event().which() != schema::Event::ROUND_OPENED) continue;
    projections::ViewQuery q;
    q.record = i;
    auto audit = projections::View(state_, "audit", q);
    ASSERT_OK(audit);
    for (const json& row : (*audit)["entries"]) {
      if (row["kind"] != "resultAnnounced") continue;
      ++announced;
      EXPECT_NE(
          row["author"]["holder"].get<std::string>().find("人民代表大会主席团"),
          std::string::npos)
          << row["entry"];
    }
  }
  EXPECT_GE(announced, 6u);  // selection and satisfaction, three places
}

// Issue 10, item 5: paper channels carry the day received beside the day
// typed in; online channels are stamped on arrival.
TEST_F(DemoTest, PaperProposalsCarryTheDayTheyWereReceived) {
  const json funnel = CycleView(state_, "funnel");
  size_t paper = 0;
  for (const json& p : funnel["proposals"]) {
    if (p["merged"] == true) continue;
    const std::string channel = p["channel"];
    if (channel == "wechat" || channel == "governmentWebsite") {
      EXPECT_TRUE(p["receivedOn"].is_null()) << p["ref"];
      continue;
    }
    ++paper;
    ASSERT_TRUE(p["receivedOn"].is_string()) << p["ref"];
    EXPECT_LE(p["receivedOn"].get<std::string>(),
              p["recordedOn"].get<std::string>());
    EXPECT_GE(p["receivedOn"].get<std::string>(), "2024-09-01");
  }
  EXPECT_GT(paper, 10u);
}

TEST_F(DemoTest, OperationIsReviewedTheNextSpring) {
  const json p = ProjectNamed(CycleView(state_, "projects"), kReviewedProject);
  ASSERT_EQ(p["evaluation"]["operationReviews"].size(), 1u);
  EXPECT_EQ(p["evaluation"]["operationReviews"][0]["reviewedOn"], "2026-03-20");
}

TEST_F(DemoTest, AdjustmentForForceMajeureIsOnRecord) {
  const json p = ProjectNamed(CycleView(state_, "projects"), kAdjustedProject);
  ASSERT_EQ(p["supervision"]["adjustments"].size(), 1u);
  const json& a = p["supervision"]["adjustments"][0];
  EXPECT_FALSE(a["forceMajeure"].get<std::string>().empty());
  EXPECT_EQ(a["newBudget"]["fen"], kAdjustedBudgetFen);
}

TEST_F(DemoTest, CorrectionIsAppliedAndTheOriginalStaysVisible) {
  ASSERT_EQ(scan_.corrections.size(), 1u);
  const uint64_t correction = scan_.corrections[0];
  const uint64_t target = scan_.correction_target[correction];
  // The original entry still says what was first reported.
  auto bytes = ledger_->ReadEntry(target);
  ASSERT_OK(bytes);
  auto original = ledger::EntryView::Parse(*bytes);
  ASSERT_OK(original);
  EXPECT_EQ(original->event().getProgressReported().getPercentBp(),
            kMistypedPercentBp);
  // The views show the corrected figure and name the correction.
  const json p = ProjectNamed(CycleView(state_, "projects"), kCorrectedProject);
  bool seen = false;
  for (const json& r : p["progress"]) {
    if (r["entry"] != target) continue;
    seen = true;
    EXPECT_EQ(r["percentBp"], kCorrectedPercentBp);
    EXPECT_EQ(r["corrections"], json::array({correction}));
  }
  EXPECT_TRUE(seen);
  // Before the correction, the record showed the original figure.
  auto before = projections::ReplayTo(*ledger_, correction);
  ASSERT_OK(before);
  const json then =
      ProjectNamed(CycleView(*before, "projects"), kCorrectedProject);
  EXPECT_EQ(then["progress"].back()["percentBp"], kMistypedPercentBp);
  // The audit trail of the report lists both entries.
  projections::ViewQuery q;
  q.record = p["ref"].get<uint64_t>();
  auto audit = projections::View(state_, "audit", q);
  ASSERT_OK(audit);
  bool original_listed = false;
  bool correction_listed = false;
  for (const json& e : (*audit)["entries"]) {
    if (e["entry"] == target) {
      original_listed = true;
      EXPECT_EQ(e["corrections"], json::array({correction}));
    }
    if (e["entry"] == correction) {
      correction_listed = true;
      EXPECT_EQ(e["kind"], "correction");
      EXPECT_EQ(e["target"], target);
    }
  }
  EXPECT_TRUE(original_listed);
  EXPECT_TRUE(correction_listed);
}

TEST(DemoRunTest, RefusesALedgerThatIsNotTheDemos) {
  testing::TempDir dir;
  const crypto::KeyPair root = testing::TestKey(7);
  ledger::LedgerOptions options;
  options.sync = false;
  // The test events' signing time (test_util.h).
  options.clock = [] { return int64_t{1700000000000}; };
  ASSERT_OK(ledger::Ledger::Create(dir.Sub("data/ledger"),
                                   testing::Genesis(root), options));
  std::ostringstream out;
  const Status s = demo::Run(Options{dir.Sub("data"), "", false}, out);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("not the demo's"), std::string::npos);
  // Nothing of the demo's is left in someone else's data directory.
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data/keys")));
  EXPECT_FALSE(std::filesystem::exists(demo::KeysDir(dir.Sub("data"))));
  auto l = ledger::Ledger::Open(dir.Sub("data/ledger"), options, true);
  ASSERT_OK(l);
  EXPECT_EQ((*l)->size(), 1u);
}

// Issue 13: the data directory holds what a server holds (the log key and
// the public intake's keys); the root's and the offices' keys are in the
// demo's keys folder beside it, from which an office can sign.
TEST(DemoRunTest, TheOfficesKeysAreKeptBesideTheDataDirectory) {
  testing::TempDir dir;
  std::ostringstream out;
  ASSERT_OK(demo::Run(Options{dir.Sub("data"), "collection", false}, out));
  std::set<std::string> in_data;
  for (const auto& f :
       std::filesystem::directory_iterator(dir.Sub("data/keys"))) {
    in_data.insert(f.path().filename().string());
  }
  EXPECT_EQ(in_data,
            (std::set<std::string>{
                "log.key", std::string("publicIntake@") + kCountyCode + ".key",
                std::string("publicIntake@") + kLiulinCode + ".key",
                std::string("publicIntake@") + kShimenCode + ".key"}));
  const std::string keys = demo::KeysDir(dir.Sub("data"));
  EXPECT_EQ(keys, dir.Sub("data") + "-keys");
  size_t office_keys = 0;
  for (const auto& f : std::filesystem::directory_iterator(keys)) {
    (void)f;
    ++office_keys;
  }
  EXPECT_EQ(office_keys, 31u);  // root + 10 roles x 3 jurisdictions
  EXPECT_OK(cli::ReadKeyFile(keys + "/root.key").status());
  EXPECT_OK(cli::ReadKeyFile(keys + "/governmentOffice@" +
                             std::string(kCountyCode) + ".key")
                .status());
  EXPECT_NE(
      out.str().find("office keys (demo only, public knowledge): " + keys),
      std::string::npos)
      << out.str();
}

TEST(DemoRunTest, LargeBoxesAreSplitIntoPartsThatFitAnEntry) {
  // 5,000 ballots of 13 marks: 65,000 bytes, more than one part can hold: a
  // full part of 4,615 ballots and the remaining 385.
  EXPECT_EQ(PartsFor(5000, 13), 2u);
  EXPECT_EQ(projections::BallotsPerPart(13) * 13, 59'995u);
  EXPECT_LT(kMaxMarksPerPart, ledger::kMaxEntrySize);
  // Every box of the demo fits one part: none is split (secrecy).
  EXPECT_EQ(PartsFor(80, 12), 1u);
  EXPECT_EQ(PartsFor(0, 12), 1u);  // an empty box: one part
}

TEST(DemoRunTest, RejectsAnUnknownStage) {
  testing::TempDir dir;
  std::ostringstream out;
  const Status s = demo::Run(Options{dir.Sub("data"), "counting", false}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data/ledger")));
}

}  // namespace
}  // namespace piaojue::demo
