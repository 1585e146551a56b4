// CycleBuilder: a reusable test fixture that drives one small but complete
// livelihood-project cycle (county 610102, year 2025) through a real
// ledger::Ledger with the cycle's rules (projections::RulesValidator)
// installed.
//
// Every stage is its own method, so a test can stop at any point and submit
// its own (possibly bad) event next with Submit(). The refs (log indices) of
// everything created are in refs(), the role keys in keys().
//
// Determinism: keys come from TestKey(n); the log's clock is the builder's
// own (now_ms()), which only moves forward: each stage first moves it to a
// fixed CST date of 2025 (SetDate) and every append then advances it by one
// second, so recordedAtMs walks through the year and the whole ledger is the
// same bytes except for the random nonces. Sync is off for speed.
//
// The fixture's story (hand-computed; tests rely on these numbers):
//  - 8 proposals; the two street-light proposals are merged;
//  - government review rejects the industrial park (major engineering), the
//    party committee rejects the stadium (lower priority), the standing
//    committee rejects the clinic (mainly provincial money);
//  - candidates, in ballot order: canteen, kindergarten, barriers, lights;
//  - voting rules: 3 seats, 1 extra candidate, 30 deputies entitled, default
//    quorum (more than 2/3) and pass base (more than half of the entitled,
//    i.e. at least 16 approvals); round 1 with 27 present;
//  - box "第1票箱" issued 14, collected 14; box "第2票箱" issued 13,
//    collected 13, each recorded in one part (as full as an entry allows);
//    one ballot approves all 4 candidates
//    and is invalid: valid 26, invalid 1; approvals canteen 24,
//    kindergarten 22, barriers 21, lights 8: elected canteen, kindergarten,
//    barriers (in that order); lights fails (8 < 16);
//  - plans in March; monthly progress as of each month end, March to
//    November, reported on the 3rd of the next month; the barriers project
//    reports only 40% as of 31 July (late against ">= 50% by 31 July");
//  - inspection and a supervision notice to the barriers project in August;
//  - acceptance dated canteen 2025-11-20 (recorded after the November
//    reports, on 3 December), kindergarten 2025-12-05, barriers 2025-12-26;
//    evaluation scores on 2025-12-27;
//  - satisfaction vote 2025-12-29 (30 entitled, 28 present, one box, 28
//    ballots): canteen 20 satisfied -> satisfied; kindergarten 12 + 8
//    basically -> basically satisfied; barriers 0 + 15 = exactly half of 30
//    -> unsatisfied (the default rule); a rectification order for barriers
//    (deadline 2026-03-31) and its completed report on 2025-12-31.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/note.h"
#include "projections/dates.h"
#include "projections/state.h"
#include "tests/test_util.h"

namespace piaojue::testing {

// The signing key of every role, all deterministic (TestKey).
struct CycleKeys {
  crypto::KeyPair root = TestKey(1);
  crypto::KeyPair office = TestKey(2);  // governmentOffice (发改局)
  crypto::KeyPair teller = TestKey(3);
  crypto::KeyPair party = TestKey(4);        // partyCommittee
  crypto::KeyPair standing = TestKey(5);     // standingCommittee
  crypto::KeyPair secretariat = TestKey(6);  // congress secretariat
  crypto::KeyPair monitor = TestKey(7);
  crypto::KeyPair agency = TestKey(8);  // implementingAgency
  crypto::KeyPair log = TestKey(9);     // the log's checkpoint signer
  crypto::KeyPair inspection = TestKey(10);
  crypto::KeyPair evaluation = TestKey(11);
  crypto::KeyPair intake = TestKey(12);     // publicIntake (portal)
  crypto::KeyPair presidium = TestKey(13);  // 大会主席团: announces results
};

// One ballot box of a round as the fixture fills it. Ballots are written as
// patterns, one letter per item in ballot order: A/S = 1 (approve /
// satisfied), O/B = 2 (oppose / basically satisfied), X/U = 3 (abstain /
// unsatisfied), N = 4 (satisfaction abstain); a digit stands for that byte
// (e.g. '7', an unknown mark).
struct BoxPlan {
  std::string label;
  uint32_t issued = 0;
  uint32_t collected = 0;
  std::vector<std::pair<std::string, uint32_t>> ballots;  // pattern, count
  uint32_t unreadable = 0;
  // The parts RecordBox records the ballots in: the fewest the entry limit
  // allows (projections::BallotsPerPart), or, when this asks for more, this
  // many parts of even size (which the rules refuse: a test of that).
  uint16_t parts = 1;
};

// The bytes of a box's ballots, in canonical (ascending) order.
inline std::string BallotBytes(const BoxPlan& box) {
  std::vector<std::string> ballots;
  for (const auto& [pattern, count] : box.ballots) {
    std::string b;
    for (char c : pattern) {
      switch (c) {
        case 'A':
        case 'S':
          b.push_back(1);
          break;
        case 'O':
        case 'B':
          b.push_back(2);
          break;
        case 'X':
        case 'U':
          b.push_back(3);
          break;
        case 'N':
          b.push_back(4);
          break;
        default:
          b.push_back(static_cast<char>(c - '0'));
      }
    }
    for (uint32_t i = 0; i < count; ++i) ballots.push_back(b);
  }
  std::sort(ballots.begin(), ballots.end());
  std::string out;
  for (const auto& b : ballots) out += b;
  return out;
}

// A plain, independent count of planned boxes (the test oracle the fixture
// certifies with; it shares no code with projections/tally.cc).
struct PlannedCount {
  uint32_t issued = 0;
  uint32_t collected = 0;
  uint32_t valid = 0;
  uint32_t invalid = 0;
  std::vector<std::array<uint32_t, 4>> marks;  // per item: counts of 1..4
};

inline PlannedCount CountPlannedBoxes(const std::vector<BoxPlan>& boxes,
                                      size_t items, bool satisfaction,
                                      uint32_t max_approvals) {
  PlannedCount out;
  out.marks.assign(items, {0, 0, 0, 0});
  for (const BoxPlan& box : boxes) {
    out.issued += box.issued;
    out.collected += box.collected;
    out.invalid += box.unreadable;
    const std::string bytes = BallotBytes(box);
    for (size_t at = 0; at + items <= bytes.size(); at += items) {
      const std::string ballot = bytes.substr(at, items);
      bool valid = true;
      uint32_t approvals = 0;
      for (char c : ballot) {
        const int mark = static_cast<unsigned char>(c);
        if (mark < 1 || mark > (satisfaction ? 4 : 3)) valid = false;
        if (mark == 1) ++approvals;
      }
      if (!satisfaction && approvals > max_approvals) valid = false;
      if (!valid) {
        ++out.invalid;
        continue;
      }
      ++out.valid;
      for (size_t i = 0; i < items; ++i) {
        ++out.marks[i][static_cast<unsigned char>(ballot[i]) - 1];
      }
    }
  }
  return out;
}

// The refs (entry indices) of everything the fixture created. 0 = not yet.
struct CycleRefs {
  uint64_t county = 0;                                // jurisdictionRegistered
  std::map<std::string, uint64_t> key_registrations;  // role name -> entry
  uint64_t cycle = 0;
  // Proposals by what they are about.
  uint64_t canteen = 0;             // elderly canteen 老年食堂
  uint64_t kindergarten = 0;        // public kindergarten 公办幼儿园
  uint64_t barriers = 0;            // road-safety barriers 道路安全护栏
  uint64_t clinic = 0;              // clinic upgrade; rejected at stage 3
  uint64_t lights_east = 0;         // street lights, east; merged
  uint64_t lights_west = 0;         // street lights, west; merged
  uint64_t industrial_park = 0;     // rejected at stage 1
  uint64_t stadium = 0;             // rejected at stage 2
  uint64_t lights = 0;              // the proposalsMerged entry
  std::vector<uint64_t> submitted;  // every proposalSubmitted, log order
  std::vector<uint64_t> government_review;  // screeningDecided entries
  std::vector<uint64_t> party_committee;
  std::vector<uint64_t> standing_committee;
  std::map<uint64_t, std::array<uint64_t, 3>> screening;  // proposal -> stage
  uint64_t candidate_list = 0;
  std::vector<uint64_t> candidates;  // ballot order
  uint64_t vote = 0;                 // selection votingRulesAdopted
  uint64_t deliberation = 0;
  uint64_t round = 0;
  std::vector<uint64_t> boxes;         // ballotBoxSealed
  std::vector<uint64_t> box_openings;  // ballotBoxOpened
  std::vector<uint64_t> ballots;       // ballotsRecorded, all parts
  uint64_t tally = 0;
  uint64_t result = 0;
  std::vector<uint64_t> projects;      // elected, rank order
  std::map<uint64_t, uint64_t> plans;  // project -> implementationPlanned
  std::map<uint64_t, std::vector<uint64_t>> progress;  // project -> reports
  uint64_t inspection = 0;
  uint64_t notice = 0;
  std::map<uint64_t, uint64_t> acceptances;  // project -> acceptance
  std::map<uint64_t, uint64_t> evaluations;  // project -> evaluationScored
  uint64_t satisfaction_vote = 0;
  uint64_t satisfaction_round = 0;
  uint64_t satisfaction_box = 0;
  uint64_t satisfaction_opening = 0;
  uint64_t satisfaction_ballots = 0;
  uint64_t satisfaction_tally = 0;
  uint64_t satisfaction_result = 0;
  uint64_t rectification = 0;
  uint64_t rectification_report = 0;
};

class CycleBuilder {
 public:
  // The stages, in the order BuildThrough runs them.
  enum class Stage {
    kNone,
    kDeployment,  // genesis, county, one key per role
    kCycleOpened,
    kProposals,
    kMerged,
    kGovernmentReview,
    kPartyCommittee,
    kStandingCommittee,
    kCandidateList,
    kVotingRules,
    kDeliberation,
    kRoundOpened,
    kBoxesSealed,
    kBoxesOpened,
    kBallotsRecorded,
    kTallyCertified,
    kResultAnnounced,
    kPlanned,
    kProgress,
    kInspection,
    kAccepted,
    kEvaluated,
    kSatisfactionVote,
    kRectification,
    kAll = kRectification,
  };

  // The ledger lives in `dir` (created) or, when empty, in a temporary
  // directory owned by the builder.
  explicit CycleBuilder(std::string dir = "")
      : dir_(dir.empty() ? tmp_.Sub("ledger") : std::move(dir)) {
    SetDate(2025, 1, 1);
    selection_boxes = {
        BoxPlan{"第1票箱",
                14,
                14,
                {{"AAAO", 10}, {"AAOA", 2}, {"AAAA", 1}, {"AOXA", 1}},
                0,
                1},
        BoxPlan{
            "第2票箱", 13, 13, {{"AAAO", 8}, {"AOAA", 3}, {"OAOA", 2}}, 0, 1},
    };
    satisfaction_boxes = {
        BoxPlan{"测评票箱",
                28,
                28,
                {{"SSB", 10},
                 {"SSU", 2},
                 {"SBB", 5},
                 {"SBU", 3},
                 {"BUU", 5},
                 {"UUU", 2},
                 {"NNN", 1}},
                0,
                1},
    };
  }

  CycleBuilder(const CycleBuilder&) = delete;
  CycleBuilder& operator=(const CycleBuilder&) = delete;

  // ------------------------------------------------------------------
  // Access

  ledger::Ledger& ledger() { return *ledger_; }
  bool has_ledger() const { return ledger_ != nullptr; }
  // The rules' state, kept in step with the ledger by the validator.
  const projections::State& state() const { return state_; }
  projections::RulesValidator& validator() { return validator_; }
  const CycleKeys& keys() const { return keys_; }
  const CycleRefs& refs() const { return refs_; }
  const std::string& dir() const { return dir_; }
  Stage stage() const { return stage_; }
  uint64_t size() const { return ledger_ ? ledger_->size() : 0; }
  // The log's clock (ms since the epoch); the next entry's recordedAtMs.
  int64_t now_ms() const { return now_ms_; }
  const note::SignerKey& log_key() const { return log_key_; }

  // Closes the ledger (so another reader may open the directory) and
  // reopens it with the same options; the rules state is kept, so appends
  // can continue after Reopen().
  void Close() { ledger_.reset(); }
  Status Reopen() {
    ledger_.reset();
    auto opened = ledger::Ledger::Open(dir_, Options());
    if (!opened.ok()) return opened.status();
    ledger_ = std::move(opened).value();
    return Status::Ok();
  }

  // Moves the clock to 09:00 CST of the given day, unless it is already
  // later (the clock never goes back).
  void SetDate(int year, int month, int day, int hour = 9) {
    const int64_t at = projections::MsAtStartOfDay({year, month, day}) +
                       int64_t{hour} * 3600 * 1000;
    now_ms_ = std::max(now_ms_, at);
  }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }

  // ------------------------------------------------------------------
  // Submitting events

  // Builds an event with `fill`, signed by `author` at the clock's time.
  ledger::SignedEvent Sign(
      const crypto::KeyPair& author,
      const std::function<void(schema::Event::Builder)>& fill,
      std::string jurisdiction = kCounty) const {
    return MakeEvent(author, jurisdiction, fill, now_ms_);
  }

  // Appends an event; on success returns its index and advances the clock
  // by one second. On refusal the ledger is unchanged and the status is the
  // ledger's (e.g. FailedPrecondition "rule <id>: ...").
  Result<uint64_t> Submit(
      const crypto::KeyPair& author,
      const std::function<void(schema::Event::Builder)>& fill,
      std::string jurisdiction = kCounty) {
    return Append(Sign(author, fill, std::move(jurisdiction)));
  }
  Result<uint64_t> Append(const ledger::SignedEvent& event) {
    if (!ledger_) return FailedPrecondition("the ledger is not open");
    auto r = ledger_->Append(event);
    if (!r.ok()) return r.status();
    now_ms_ = std::max(now_ms_, r->recorded_at_ms) + 1000;
    return r->index;
  }

  // Sets a schema Date.
  static void SetDay(schema::Date::Builder d, int year, int month, int day) {
    d.setYear(static_cast<uint16_t>(year));
    d.setMonth(static_cast<uint8_t>(month));
    d.setDay(static_cast<uint8_t>(day));
  }

  // ------------------------------------------------------------------
  // The stages. Each returns the first failure (with the stage's name);
  // each may be called once, in order (BuildThrough calls the missing ones).

  Status BuildThrough(Stage last) {
    while (stage_ < last) {
      const Stage next = static_cast<Stage>(static_cast<int>(stage_) + 1);
      RETURN_IF_ERROR(Run(next));
    }
    return Status::Ok();
  }
  Status BuildAll() { return BuildThrough(Stage::kAll); }

  Status CreateDeployment() {
    SetDate(2025, 1, 1);
    log_key_.name = kOrigin;
    log_key_.key_pair = keys_.log;
    const crypto::KeyPair root = keys_.root;
    const std::string checkpoint_key =
        note::FormatVerifierKey(kOrigin, keys_.log.public_key);
    auto genesis = MakeEvent(
        root, "",
        [&](schema::Event::Builder e) {
          auto g = e.initGenesis();
          g.setOrigin(kOrigin);
          g.setRootKey(capnp::Data::Reader(root.public_key.data(), 32));
          g.setFormatVersion(ledger::kFormatVersion);
          g.setDeploymentName("某市人大常委会民生实事票决账本（测试）");
          g.setCheckpointKey(checkpoint_key);
        },
        now_ms_);
    auto created = ledger::Ledger::Create(dir_, genesis, Options());
    if (!created.ok()) return Annotate("deployment", created.status());
    ledger_ = std::move(created).value();
    now_ms_ += 1000;
    auto county = Submit(
        root,
        [](schema::Event::Builder e) {
          auto j = e.initJurisdictionRegistered();
          j.setCode(kCounty);
          j.setName("某县");
          j.setLevel(schema::Level::COUNTY);
        },
        "");
    if (!county.ok()) return Annotate("deployment", county.status());
    refs_.county = *county;
    const std::vector<std::tuple<const crypto::KeyPair*, schema::Role,
                                 const char*, const char*>>
        grants = {
            {&keys_.office, schema::Role::GOVERNMENT_OFFICE, "governmentOffice",
             "某县发展和改革局"},
            {&keys_.party, schema::Role::PARTY_COMMITTEE, "partyCommittee",
             "中共某县委员会"},
            {&keys_.standing, schema::Role::STANDING_COMMITTEE,
             "standingCommittee", "某县人大常委会"},
            {&keys_.secretariat, schema::Role::SECRETARIAT, "secretariat",
             "某县人民代表大会秘书处"},
            {&keys_.presidium, schema::Role::PRESIDIUM, "presidium",
             "某县人民代表大会主席团"},
            {&keys_.teller, schema::Role::TELLER, "teller", "计票人"},
            {&keys_.monitor, schema::Role::MONITOR, "monitor", "监票人"},
            {&keys_.agency, schema::Role::IMPLEMENTING_AGENCY,
             "implementingAgency", "某县住房和城乡建设局"},
            {&keys_.inspection, schema::Role::INSPECTION_GROUP,
             "inspectionGroup", "某县人大代表视察组"},
            {&keys_.evaluation, schema::Role::EVALUATION_GROUP,
             "evaluationGroup", "某县民生实事评估小组"},
            {&keys_.intake, schema::Role::PUBLIC_INTAKE, "publicIntake",
             "某县民生实事征集平台"},
        };
    for (const auto& [key, role, name, holder] : grants) {
      // Captured by name: clang 14 (the debug preset) cannot capture a
      // structured binding.
      auto r = Submit(
          root,
          [&, key = key, role = role,
           holder = holder](schema::Event::Builder e) {
            auto k = e.initKeyRegistered();
            k.setKey(capnp::Data::Reader(key->public_key.data(), 32));
            k.setRole(role);
            k.setJurisdiction(kCounty);
            k.setHolder(holder);
          },
          "");
      if (!r.ok()) return Annotate("deployment", r.status());
      refs_.key_registrations[name] = *r;
    }
    stage_ = Stage::kDeployment;
    return Status::Ok();
  }

  // Applied to the cycleOpened event after the fixture's own fields (e.g. to
  // declare a schedule); null = none.
  std::function<void(schema::CycleOpened::Builder)> cycle_tweak;
  // Applied to the selection vote's rules after the fixture's own fields.
  std::function<void(schema::VotingRulesAdopted::Builder)> voting_rules_tweak;

  Status OpenCycle() {
    SetDate(2025, 1, 2);
    auto r = Submit(keys_.office, [this](schema::Event::Builder e) {
      auto c = e.initCycleOpened();
      c.setYear(2025);
      c.setLevel(schema::Level::COUNTY);
      c.setTitle("某县2025年民生实事项目");
      c.setBudgetFen(12'000'000'000);  // 1.2亿元
      c.setProjectCount(3);
      SetDay(c.initCollectionStart(), 2025, 1, 2);
      SetDay(c.initCollectionEnd(), 2025, 1, 31);
      c.setScope("本级财政为主、普惠性、当年可完成的民生项目");
      if (cycle_tweak) cycle_tweak(c);
    });
    if (!r.ok()) return Annotate("open cycle", r.status());
    refs_.cycle = *r;
    stage_ = Stage::kCycleOpened;
    return Status::Ok();
  }

  Status SubmitProposals() {
    struct P {
      uint64_t* ref;
      int day;
      const char* title;
      schema::Category category;
      const char* location;
      int64_t fen;
      schema::FundingSource funding;
      schema::ProposerType proposer;
      const char* name;
      schema::Channel channel;
    };
    const std::vector<P> proposals = {
        {&refs_.canteen, 6, "城东老年助餐食堂", schema::Category::ELDERLY_CARE,
         "城东街道", 3'000'000'00, schema::FundingSource::OWN_BUDGET,
         schema::ProposerType::RESIDENT, "", schema::Channel::WECHAT},
        {&refs_.kindergarten, 7, "新建城南公办幼儿园",
         schema::Category::EDUCATION, "城南新区", 18'000'000'00,
         schema::FundingSource::OWN_BUDGET, schema::ProposerType::DEPUTY,
         "王代表", schema::Channel::DEPUTY_SUGGESTION},
        {&refs_.barriers, 8, "县道安全护栏改造", schema::Category::TRANSPORT,
         "县道X101线", 6'500'000'00, schema::FundingSource::OWN_BUDGET,
         schema::ProposerType::DEPARTMENT, "县交通运输局",
         schema::Channel::DEPARTMENT},
        {&refs_.clinic, 9, "乡镇卫生院设备升级", schema::Category::HEALTH,
         "各乡镇", 9'000'000'00, schema::FundingSource::CENTRAL_OR_PROVINCIAL,
         schema::ProposerType::CPPCC_MEMBER, "李委员",
         schema::Channel::CPPCC_PROPOSAL},
        {&refs_.lights_east, 10, "城东背街小巷路灯",
         schema::Category::PUBLIC_FACILITIES, "城东街道", 1'200'000'00,
         schema::FundingSource::OWN_BUDGET, schema::ProposerType::RESIDENT,
         "张女士", schema::Channel::CONTACT_STATION},
        {&refs_.lights_west, 13, "城西老旧小区路灯",
         schema::Category::PUBLIC_FACILITIES, "城西街道", 900'000'00,
         schema::FundingSource::OWN_BUDGET, schema::ProposerType::RESIDENT, "",
         schema::Channel::GOVERNMENT_WEBSITE},
        {&refs_.industrial_park, 14, "新建产业园区标准厂房",
         schema::Category::OTHER, "经开区", 500'000'000'00,
         schema::FundingSource::MIXED, schema::ProposerType::DEPARTMENT,
         "县工信局", schema::Channel::DEPARTMENT},
        {&refs_.stadium, 15, "县体育馆改扩建", schema::Category::CULTURE_SPORT,
         "县城", 40'000'000'00, schema::FundingSource::OWN_BUDGET,
         schema::ProposerType::TOWNSHIP, "城关镇", schema::Channel::TOWNSHIP},
    };
    for (const P& p : proposals) {
      SetDate(2025, 1, p.day);
      const bool via_portal = p.channel == schema::Channel::WECHAT ||
                              p.channel == schema::Channel::GOVERNMENT_WEBSITE;
      auto r =
          Submit(via_portal ? keys_.intake : keys_.office,
                 [&](schema::Event::Builder e) {
                   auto s = e.initProposalSubmitted();
                   s.setCycle(refs_.cycle);
                   auto d = s.initDetails();
                   d.setTitle(p.title);
                   d.setDescription(std::string(p.title) + "：群众呼声较高。");
                   d.setCategory(p.category);
                   d.setLocation(p.location);
                   d.setEstimatedInvestmentFen(p.fen);
                   d.setFundingSource(p.funding);
                   SetDay(d.initExpectedCompletion(), 2025, 12, 31);
                   s.setProposerType(p.proposer);
                   s.setProposerName(p.name);
                   s.setChannel(p.channel);
                   s.setReceiptRef("ZJ2025-" + std::to_string(p.day));
                   // Paper channels give the day received (收件日期): the
                   // day before it was typed in.
                   if (!via_portal) {
                     SetDay(s.initReceivedOn(), 2025, 1, p.day - 1);
                   }
                 });
      if (!r.ok()) return Annotate("submit proposals", r.status());
      *p.ref = *r;
      refs_.submitted.push_back(*r);
    }
    stage_ = Stage::kProposals;
    return Status::Ok();
  }

  Status MergeProposals() {
    SetDate(2025, 2, 3);
    auto r = Submit(keys_.office, [&](schema::Event::Builder e) {
      auto m = e.initProposalsMerged();
      m.setCycle(refs_.cycle);
      auto s = m.initSources(2);
      s.set(0, refs_.lights_east);
      s.set(1, refs_.lights_west);
      auto d = m.initDetails();
      d.setTitle("城区背街小巷及老旧小区路灯亮化");
      d.setDescription("归并城东、城西两件路灯建议。");
      d.setCategory(schema::Category::PUBLIC_FACILITIES);
      d.setLocation("城东街道、城西街道");
      d.setEstimatedInvestmentFen(2'100'000'00);
      d.setFundingSource(schema::FundingSource::OWN_BUDGET);
      SetDay(d.initExpectedCompletion(), 2025, 10, 31);
      m.setReason("两件建议内容相近，归并为一个项目");
    });
    if (!r.ok()) return Annotate("merge proposals", r.status());
    refs_.lights = *r;
    stage_ = Stage::kMerged;
    return Status::Ok();
  }

  // One screening decision; returns its ref. For tests that screen their
  // own proposals.
  Result<uint64_t> Screen(uint64_t proposal, schema::ScreeningStage stage,
                          schema::ScreeningOutcome outcome,
                          schema::ReasonCode reason, std::string reason_text) {
    const crypto::KeyPair& key =
        stage == schema::ScreeningStage::GOVERNMENT_REVIEW ? keys_.office
        : stage == schema::ScreeningStage::PARTY_COMMITTEE_APPROVAL
            ? keys_.party
            : keys_.standing;
    const bool advance = outcome == schema::ScreeningOutcome::ADVANCE;
    auto r = Submit(key, [&](schema::Event::Builder e) {
      auto s = e.initScreeningDecided();
      s.setProposal(proposal);
      s.setStage(stage);
      s.setOutcome(outcome);
      s.setReasonCode(reason);
      s.setReasonText(reason_text);
      auto el = s.initEligibility();
      el.setOwnBudget(reason != schema::ReasonCode::FUNDED_BY_HIGHER_LEVEL);
      el.setBroadBenefit(advance ||
                         reason != schema::ReasonCode::NOT_BROAD_BENEFIT);
      el.setCompletableInYear(true);
      el.setNotMajorEngineering(reason !=
                                schema::ReasonCode::MAJOR_ENGINEERING);
      el.setLandPolicyFundingSecured(true);
    });
    if (r.ok()) {
      refs_.screening[proposal][static_cast<int>(stage) - 1] = *r;
    }
    return r;
  }

  Status ScreenGovernmentReview() {
    SetDate(2025, 2, 5);
    const auto stage = schema::ScreeningStage::GOVERNMENT_REVIEW;
    for (uint64_t p : {refs_.canteen, refs_.kindergarten, refs_.barriers,
                       refs_.clinic, refs_.lights, refs_.stadium}) {
      auto r = Screen(p, stage, schema::ScreeningOutcome::ADVANCE,
                      schema::ReasonCode::MEETS_CRITERIA, "符合征集范围和条件");
      if (!r.ok()) return Annotate("government review", r.status());
      refs_.government_review.push_back(*r);
    }
    auto r =
        Screen(refs_.industrial_park, stage, schema::ScreeningOutcome::REJECT,
               schema::ReasonCode::MAJOR_ENGINEERING,
               "属于重大产业项目，不纳入民生实事");
    if (!r.ok()) return Annotate("government review", r.status());
    refs_.government_review.push_back(*r);
    stage_ = Stage::kGovernmentReview;
    return Status::Ok();
  }

  Status ScreenPartyCommittee() {
    SetDate(2025, 2, 10);
    const auto stage = schema::ScreeningStage::PARTY_COMMITTEE_APPROVAL;
    for (uint64_t p : {refs_.canteen, refs_.kindergarten, refs_.barriers,
                       refs_.clinic, refs_.lights}) {
      auto r = Screen(p, stage, schema::ScreeningOutcome::ADVANCE,
                      schema::ReasonCode::MEETS_CRITERIA, "同意列入候选");
      if (!r.ok()) return Annotate("party committee", r.status());
      refs_.party_committee.push_back(*r);
    }
    auto r = Screen(refs_.stadium, stage, schema::ScreeningOutcome::REJECT,
                    schema::ReasonCode::LOWER_PRIORITY,
                    "投资较大，群众需求相对不迫切，列入以后年度考虑");
    if (!r.ok()) return Annotate("party committee", r.status());
    refs_.party_committee.push_back(*r);
    stage_ = Stage::kPartyCommittee;
    return Status::Ok();
  }

  Status ScreenStandingCommittee() {
    SetDate(2025, 2, 14);
    const auto stage = schema::ScreeningStage::STANDING_COMMITTEE_EXAMINATION;
    for (uint64_t p :
         {refs_.canteen, refs_.kindergarten, refs_.barriers, refs_.lights}) {
      auto r = Screen(p, stage, schema::ScreeningOutcome::ADVANCE,
                      schema::ReasonCode::MEETS_CRITERIA, "审查通过");
      if (!r.ok()) return Annotate("standing committee", r.status());
      refs_.standing_committee.push_back(*r);
    }
    auto r = Screen(refs_.clinic, stage, schema::ScreeningOutcome::REJECT,
                    schema::ReasonCode::FUNDED_BY_HIGHER_LEVEL,
                    "主要依靠省级专项资金，不符合本级财政为主的要求");
    if (!r.ok()) return Annotate("standing committee", r.status());
    refs_.standing_committee.push_back(*r);
    stage_ = Stage::kStandingCommittee;
    return Status::Ok();
  }

  Status FixCandidateList() {
    SetDate(2025, 2, 17);
    const std::vector<std::pair<uint64_t, const char*>> list = {
        {refs_.canteen, "城东老年助餐食堂"},
        {refs_.kindergarten, "新建城南公办幼儿园"},
        {refs_.barriers, "县道安全护栏改造"},
        {refs_.lights, "城区路灯亮化"},
    };
    auto r = Submit(keys_.standing, [&](schema::Event::Builder e) {
      auto l = e.initCandidateListFixed();
      l.setCycle(refs_.cycle);
      auto c = l.initCandidates(static_cast<unsigned>(list.size()));
      for (unsigned i = 0; i < list.size(); ++i) {
        c[i].setProposal(list[i].first);
        c[i].setName(list[i].second);
        c[i].setContent(std::string(list[i].second) + "，年内完成。");
        c[i].setImplementingAgency("某县住房和城乡建设局");
        c[i].setInvestmentFen(int64_t{1'000'000'00} * (i + 1));
        c[i].setRequirements("年底前完工并验收");
      }
      SetDay(l.initSentToDeputiesOn(), 2025, 2, 17);
    });
    if (!r.ok()) return Annotate("candidate list", r.status());
    refs_.candidate_list = *r;
    refs_.candidates.clear();
    for (const auto& [ref, name] : list) refs_.candidates.push_back(ref);
    stage_ = Stage::kCandidateList;
    return Status::Ok();
  }

  // The selection vote's rules as the fixture adopts them.
  uint16_t seats = 3;
  uint16_t extra_candidates = 1;
  uint32_t entitled_deputies = 30;
  uint32_t present_deputies = 27;
  // The selection rules' maxApprovals (0 = as many as seats).
  uint16_t max_approvals = 0;

  // A selection round's limit (docs/RULES.md, round.max_approvals): the
  // rules' maxApprovals (seats when 0), never more than the round's seats.
  uint16_t RoundMaxApprovals(uint16_t round_seats) const {
    const uint16_t limit = max_approvals == 0 ? seats : max_approvals;
    return std::min(limit, round_seats);
  }
  schema::PassBase pass_base = schema::PassBase::ENTITLED;
  schema::ShortfallRule shortfall_rule = schema::ShortfallRule::LEAVE_VACANT;

  Status AdoptVotingRules() {
    SetDate(2025, 2, 24);
    auto r = Submit(keys_.standing, [&](schema::Event::Builder e) {
      auto v = e.initVotingRulesAdopted();
      v.setCycle(refs_.cycle);
      v.setPurpose(schema::VotePurpose::PROJECT_SELECTION);
      v.setSeats(seats);
      v.setExtraCandidates(extra_candidates);
      v.setEntitledDeputies(entitled_deputies);
      v.setPassBase(pass_base);
      v.setTieRule(schema::TieRule::FURTHER_ROUND);
      v.setShortfallRule(shortfall_rule);
      v.setMaxApprovals(max_approvals);
      SetDay(v.initAdoptedOn(), 2025, 2, 24);
      v.setText("某县2025年民生实事项目人大代表票决办法");
      if (voting_rules_tweak) voting_rules_tweak(v);
    });
    if (!r.ok()) return Annotate("voting rules", r.status());
    refs_.vote = *r;
    stage_ = Stage::kVotingRules;
    return Status::Ok();
  }

  Status RecordDeliberation() {
    SetDate(2025, 2, 24, 14);
    auto r = Submit(keys_.secretariat, [&](schema::Event::Builder e) {
      auto d = e.initDeliberationRecorded();
      d.setCycle(refs_.cycle);
      d.setSession("县十八届人大五次会议");
      SetDay(d.initHeldOn(), 2025, 2, 24);
      d.setSummary("各代表团分组审议候选项目，相关部门负责人到会答疑。");
    });
    if (!r.ok()) return Annotate("deliberation", r.status());
    refs_.deliberation = *r;
    stage_ = Stage::kDeliberation;
    return Status::Ok();
  }

  Status OpenRound() {
    SetDate(2025, 2, 25);
    auto r = Submit(keys_.secretariat, [&](schema::Event::Builder e) {
      auto o = e.initRoundOpened();
      o.setVote(refs_.vote);
      o.setRound(1);
      auto items = o.initItems(static_cast<unsigned>(refs_.candidates.size()));
      for (unsigned i = 0; i < refs_.candidates.size(); ++i) {
        items.set(i, refs_.candidates[i]);
      }
      o.setSeats(seats);
      o.setPresentDeputies(present_deputies);
      o.setMaxApprovals(RoundMaxApprovals(seats));
    });
    if (!r.ok()) return Annotate("open round", r.status());
    refs_.round = *r;
    stage_ = Stage::kRoundOpened;
    return Status::Ok();
  }

  // The selection round's boxes (tests may change them before SealBoxes).
  std::vector<BoxPlan> selection_boxes;
  // The satisfaction vote's box (one item per project, rank order).
  std::vector<BoxPlan> satisfaction_boxes;

  Status SealBoxes() {
    SetDate(2025, 2, 25, 10);
    refs_.boxes.clear();
    for (const BoxPlan& box : selection_boxes) {
      auto r = SealBox(refs_.round, box.label);
      if (!r.ok()) return Annotate("seal boxes", r.status());
      refs_.boxes.push_back(*r);
    }
    stage_ = Stage::kBoxesSealed;
    return Status::Ok();
  }

  Status OpenBoxes() {
    SetDate(2025, 2, 25, 11);
    refs_.box_openings.clear();
    for (size_t i = 0; i < selection_boxes.size(); ++i) {
      auto r = OpenBox(refs_.boxes[i], selection_boxes[i]);
      if (!r.ok()) return Annotate("open boxes", r.status());
      refs_.box_openings.push_back(*r);
    }
    stage_ = Stage::kBoxesOpened;
    return Status::Ok();
  }

  Status RecordBallots() {
    for (size_t i = 0; i < selection_boxes.size(); ++i) {
      auto parts = RecordBox(refs_.boxes[i], selection_boxes[i]);
      if (!parts.ok()) return Annotate("record ballots", parts.status());
      refs_.ballots.insert(refs_.ballots.end(), parts->begin(), parts->end());
    }
    stage_ = Stage::kBallotsRecorded;
    return Status::Ok();
  }

  Status CertifyTally() {
    auto r =
        Certify(refs_.round, refs_.candidates, selection_boxes, false, seats);
    if (!r.ok()) return Annotate("certify tally", r.status());
    refs_.tally = *r;
    stage_ = Stage::kTallyCertified;
    return Status::Ok();
  }

  // The fixture's hand-computed result: canteen 24, kindergarten 22,
  // barriers 21 approvals pass (>= 16) and fill the 3 seats; lights (8)
  // fails. Tests that change the ballots announce their own result.
  Status AnnounceResult() {
    SetDate(2025, 2, 25, 12);
    const std::vector<uint64_t> elected = {refs_.canteen, refs_.kindergarten,
                                           refs_.barriers};
    auto r = Submit(keys_.presidium, [&](schema::Event::Builder e) {
      auto a = e.initResultAnnounced();
      a.setRound(refs_.round);
      auto list = a.initElected(static_cast<unsigned>(elected.size()));
      for (unsigned i = 0; i < elected.size(); ++i) list.set(i, elected[i]);
      SetDay(a.initAnnouncedOn(), 2025, 2, 25);
    });
    if (!r.ok()) return Annotate("announce result", r.status());
    refs_.result = *r;
    refs_.projects = elected;
    stage_ = Stage::kResultAnnounced;
    return Status::Ok();
  }

  Status PlanImplementation() {
    SetDate(2025, 3, 5);
    for (uint64_t p : refs_.projects) {
      auto r = Submit(keys_.agency, [&](schema::Event::Builder e) {
        auto pl = e.initImplementationPlanned();
        pl.setProject(p);
        pl.setAgency("某县住房和城乡建设局");
        pl.setResponsibleLeader("赵副局长");
        pl.setPlan("3月设计，5月开工，10月主体完工，12月验收");
        pl.setBudgetFen(3'000'000'00);
        auto ms = pl.initMilestones(2);
        SetDay(ms[0].initDue(), 2025, 5, 31);
        ms[0].setPercentBp(1000);
        ms[0].setDescription("开工");
        SetDay(ms[1].initDue(), 2025, 11, 30);
        ms[1].setPercentBp(10000);
        ms[1].setDescription("完工");
      });
      if (!r.ok()) return Annotate("plan", r.status());
      refs_.plans[p] = *r;
    }
    stage_ = Stage::kPlanned;
    return Status::Ok();
  }

  // Percent (basis points) reported as of the end of months 3..11, per
  // project in rank order. The barriers project is behind in July (40%).
  std::vector<std::array<uint16_t, 9>> progress_bp = {
      {500, 1500, 3000, 4500, 6000, 7000, 8000, 9000, 10000},  // canteen
      {300, 1000, 2500, 4000, 5500, 6500, 7600, 9000, 10000},  // kindergarten
      {0, 500, 1500, 2500, 4000, 6000, 7500, 9000, 10000},     // barriers
  };

  Status ReportProgress() {
    static constexpr int kMonthEnd[] = {31, 30, 31, 30, 31, 31, 30, 31, 30};
    for (int i = 0; i < 9; ++i) {
      const int month = 3 + i;
      SetDate(2025, month + 1, 3);
      for (size_t k = 0; k < refs_.projects.size(); ++k) {
        const uint64_t p = refs_.projects[k];
        const uint16_t bp = progress_bp.at(k)[i];
        auto r = Submit(keys_.agency, [&](schema::Event::Builder e) {
          auto pr = e.initProgressReported();
          pr.setProject(p);
          SetDay(pr.initAsOf(), 2025, month, kMonthEnd[i]);
          pr.setPercentBp(bp);
          pr.setSpentFen(int64_t{bp} * 30'000);
          pr.setStarted(bp > 0);
          pr.setNarrative(std::to_string(month) + "月进展");
          auto ev = pr.initEvidence(1);
          std::array<uint8_t, 32> hash{};
          hash.fill(static_cast<uint8_t>(month * 16 + k));
          ev[0].setSha256(capnp::Data::Reader(hash.data(), hash.size()));
          ev[0].setName(std::to_string(month) + "月施工照片.jpg");
          ev[0].setMediaType("image/jpeg");
        });
        if (!r.ok()) return Annotate("progress", r.status());
        refs_.progress[p].push_back(*r);
      }
    }
    stage_ = Stage::kProgress;
    return Status::Ok();
  }

  // An inspection of all projects on 2025-08-12 and a supervision notice to
  // the barriers project (behind schedule in July), recorded then too.
  Status RecordInspection() {
    SetDate(2025, 8, 12);
    auto r = Submit(keys_.inspection, [&](schema::Event::Builder e) {
      auto in = e.initInspectionRecorded();
      auto list = in.initProjects(static_cast<unsigned>(refs_.projects.size()));
      for (unsigned i = 0; i < refs_.projects.size(); ++i) {
        list.set(i, refs_.projects[i]);
      }
      SetDay(in.initInspectedOn(), 2025, 8, 12);
      in.setGroup("县人大代表第一视察组");
      in.setFindings("护栏项目进度滞后，需加快推进。");
    });
    if (!r.ok()) return Annotate("inspection", r.status());
    refs_.inspection = *r;
    auto n = Submit(keys_.standing, [&](schema::Event::Builder e) {
      auto no = e.initSupervisionNoticeIssued();
      no.setProject(refs_.barriers);
      SetDay(no.initIssuedOn(), 2025, 8, 12);
      SetDay(no.initDueBy(), 2025, 9, 15);
      no.setText("请于9月15日前报送整改推进计划。");
    });
    if (!n.ok()) return Annotate("notice", n.status());
    refs_.notice = *n;
    stage_ = Stage::kInspection;
    return Status::Ok();
  }

  Status RecordAcceptance() {
    const std::vector<std::pair<uint64_t, std::array<int, 2>>> dates = {
        {refs_.canteen, {11, 20}},
        {refs_.kindergarten, {12, 5}},
        {refs_.barriers, {12, 26}},
    };
    for (const auto& [p, md] : dates) {
      SetDate(2025, md[0], md[1]);
      auto r =
          Submit(keys_.office, [&, p = p, md = md](schema::Event::Builder e) {
            auto a = e.initAcceptanceRecorded();
            a.setProject(p);
            SetDay(a.initAcceptedOn(), 2025, md[0], md[1]);
            a.setPassed(true);
            a.setNotes("验收合格");
          });
      if (!r.ok()) return Annotate("acceptance", r.status());
      refs_.acceptances[p] = *r;
    }
    stage_ = Stage::kAccepted;
    return Status::Ok();
  }

  Status ScoreEvaluations() {
    SetDate(2025, 12, 27);
    const uint16_t scores[] = {92, 85, 61};
    for (size_t k = 0; k < refs_.projects.size(); ++k) {
      auto r = Submit(keys_.evaluation, [&](schema::Event::Builder e) {
        auto s = e.initEvaluationScored();
        s.setProject(refs_.projects[k]);
        s.setCostScore(scores[k]);
        s.setBenefitScore(scores[k]);
        s.setOverallScore(scores[k]);
        auto who = s.initEvaluators(2);
        who.set(0, "代表甲");
        who.set(1, "专家乙");
        s.setNotes("绩效评估");
      });
      if (!r.ok()) return Annotate("evaluation", r.status());
      refs_.evaluations[refs_.projects[k]] = *r;
    }
    stage_ = Stage::kEvaluated;
    return Status::Ok();
  }

  // The hand-computed grades of the fixture's satisfaction ballots (default
  // rule: exactly half is not enough): canteen satisfied, kindergarten
  // basically satisfied, barriers unsatisfied.
  Status HoldSatisfactionVote() {
    SetDate(2025, 12, 29);
    auto v = Submit(keys_.standing, [&](schema::Event::Builder e) {
      auto r = e.initVotingRulesAdopted();
      r.setCycle(refs_.cycle);
      r.setPurpose(schema::VotePurpose::SATISFACTION);
      r.setEntitledDeputies(entitled_deputies);
      auto items = r.initItems(static_cast<unsigned>(refs_.projects.size()));
      for (unsigned i = 0; i < refs_.projects.size(); ++i) {
        items.set(i, refs_.projects[i]);
      }
      SetDay(r.initAdoptedOn(), 2025, 12, 29);
      r.setText("某县2025年民生实事项目满意度测评办法");
    });
    if (!v.ok()) return Annotate("satisfaction rules", v.status());
    refs_.satisfaction_vote = *v;
    auto round = Submit(keys_.secretariat, [&](schema::Event::Builder e) {
      auto o = e.initRoundOpened();
      o.setVote(refs_.satisfaction_vote);
      o.setRound(1);
      auto items = o.initItems(static_cast<unsigned>(refs_.projects.size()));
      for (unsigned i = 0; i < refs_.projects.size(); ++i) {
        items.set(i, refs_.projects[i]);
      }
      o.setPresentDeputies(28);
    });
    if (!round.ok()) return Annotate("satisfaction round", round.status());
    refs_.satisfaction_round = *round;
    const BoxPlan& plan = satisfaction_boxes.at(0);
    auto box = SealBox(refs_.satisfaction_round, plan.label);
    if (!box.ok()) return Annotate("satisfaction box", box.status());
    refs_.satisfaction_box = *box;
    auto opened = OpenBox(refs_.satisfaction_box, plan);
    if (!opened.ok()) return Annotate("satisfaction box", opened.status());
    refs_.satisfaction_opening = *opened;
    auto parts = RecordBox(refs_.satisfaction_box, plan);
    if (!parts.ok()) return Annotate("satisfaction ballots", parts.status());
    refs_.satisfaction_ballots = parts->front();
    auto tally = Certify(refs_.satisfaction_round, refs_.projects,
                         satisfaction_boxes, true, 0);
    if (!tally.ok()) return Annotate("satisfaction tally", tally.status());
    refs_.satisfaction_tally = *tally;
    const std::vector<std::pair<uint64_t, schema::Grade>> grades = {
        {refs_.canteen, schema::Grade::SATISFIED},
        {refs_.kindergarten, schema::Grade::BASICALLY_SATISFIED},
        {refs_.barriers, schema::Grade::UNSATISFIED},
    };
    auto result = Submit(keys_.presidium, [&](schema::Event::Builder e) {
      auto a = e.initResultAnnounced();
      a.setRound(refs_.satisfaction_round);
      auto g = a.initGrades(static_cast<unsigned>(grades.size()));
      for (unsigned i = 0; i < grades.size(); ++i) {
        g[i].setItem(grades[i].first);
        g[i].setGrade(grades[i].second);
      }
      SetDay(a.initAnnouncedOn(), 2025, 12, 29);
    });
    if (!result.ok()) return Annotate("satisfaction result", result.status());
    refs_.satisfaction_result = *result;
    stage_ = Stage::kSatisfactionVote;
    return Status::Ok();
  }

  Status OrderRectification() {
    SetDate(2025, 12, 30);
    auto o = Submit(keys_.standing, [&](schema::Event::Builder e) {
      auto r = e.initRectificationOrdered();
      r.setProject(refs_.barriers);
      SetDay(r.initOrderedOn(), 2025, 12, 30);
      SetDay(r.initDeadline(), 2026, 3, 31);
      r.setRequirements(
          "测评不满意：补齐缺失护栏路段，2026年3月底前完成整改。");
    });
    if (!o.ok()) return Annotate("rectification", o.status());
    refs_.rectification = *o;
    SetDate(2025, 12, 31);
    auto rep = Submit(keys_.agency, [&](schema::Event::Builder e) {
      auto r = e.initRectificationReported();
      r.setOrder(refs_.rectification);
      SetDay(r.initReportedOn(), 2025, 12, 31);
      r.setCompleted(true);
      r.setText("缺失路段护栏已补齐。");
    });
    if (!rep.ok()) return Annotate("rectification report", rep.status());
    refs_.rectification_report = *rep;
    stage_ = Stage::kRectification;
    return Status::Ok();
  }

  // ------------------------------------------------------------------
  // Building blocks of the vote, for tests that hold their own rounds.

  Result<uint64_t> SealBox(uint64_t round, const std::string& label) {
    return Submit(keys_.monitor, [&](schema::Event::Builder e) {
      auto b = e.initBallotBoxSealed();
      b.setRound(round);
      b.setLabel(label);
      auto m = b.initMonitors(2);
      m.set(0, "监票人甲");
      m.set(1, "监票人乙");
    });
  }

  Result<uint64_t> OpenBox(uint64_t box, const BoxPlan& plan) {
    return Submit(keys_.monitor, [&](schema::Event::Builder e) {
      auto o = e.initBallotBoxOpened();
      o.setBox(box);
      o.setIssued(plan.issued);
      o.setCollected(plan.collected);
      auto m = o.initMonitors(1);
      m.set(0, "监票人甲");
    });
  }

  // Records the plan's ballots (sorted), every part but the last full to
  // the entry limit, or in plan.parts even parts if that asks for more (see
  // BoxPlan::parts); the unreadable ballots go with the last part. Returns
  // the part entries.
  Result<std::vector<uint64_t>> RecordBox(uint64_t box, const BoxPlan& plan) {
    const std::string bytes = BallotBytes(plan);
    const size_t width =
        plan.ballots.empty() ? 1 : plan.ballots[0].first.size();
    const size_t n = bytes.size() / width;
    const size_t full =
        projections::BallotsPerPart(static_cast<uint32_t>(width));
    const size_t needed = std::max<size_t>(1, (n + full - 1) / full);
    const bool even = plan.parts > needed;
    std::vector<uint64_t> out;
    const uint16_t parts = static_cast<uint16_t>(even ? plan.parts : needed);
    for (uint16_t part = 1; part <= parts; ++part) {
      const size_t begin = even ? n * (part - 1) / parts : (part - 1) * full;
      const size_t end = even ? n * part / parts : std::min(n, part * full);
      const std::string slice =
          bytes.substr(begin * width, (end - begin) * width);
      auto r = Submit(keys_.teller, [&](schema::Event::Builder e) {
        auto b = e.initBallotsRecorded();
        b.setBox(box);
        b.setPart(part);
        b.setPartCount(parts);
        b.setItemCount(static_cast<uint16_t>(width));
        b.setMarks(capnp::Data::Reader(
            reinterpret_cast<const uint8_t*>(slice.data()), slice.size()));
        b.setUnreadable(part == parts ? plan.unreadable : 0);
      });
      if (!r.ok()) return r.status();
      out.push_back(*r);
    }
    return out;
  }

  // Opens round `number` of `vote` on `items` (ballot order) for `seats`,
  // with the limit the rules require for the selection vote unless given.
  Result<uint64_t> OpenRoundOf(
      uint64_t vote, uint16_t number, const std::vector<uint64_t>& items,
      uint16_t seats, uint32_t present,
      std::optional<uint16_t> max_approvals_of_round = std::nullopt) {
    return Submit(keys_.secretariat, [&](schema::Event::Builder e) {
      auto o = e.initRoundOpened();
      o.setVote(vote);
      o.setRound(number);
      auto list = o.initItems(static_cast<unsigned>(items.size()));
      for (unsigned i = 0; i < items.size(); ++i) list.set(i, items[i]);
      o.setSeats(seats);
      o.setPresentDeputies(present);
      o.setMaxApprovals(
          max_approvals_of_round.value_or(RoundMaxApprovals(seats)));
    });
  }

  // Announces a selection round's result.
  Result<uint64_t> Announce(uint64_t round,
                            const std::vector<uint64_t>& elected,
                            const std::vector<uint64_t>& tied = {},
                            uint16_t vacant = 0) {
    return Submit(keys_.presidium, [&](schema::Event::Builder e) {
      auto a = e.initResultAnnounced();
      a.setRound(round);
      auto el = a.initElected(static_cast<unsigned>(elected.size()));
      for (unsigned i = 0; i < elected.size(); ++i) el.set(i, elected[i]);
      auto ti = a.initTiedAtCutoff(static_cast<unsigned>(tied.size()));
      for (unsigned i = 0; i < tied.size(); ++i) ti.set(i, tied[i]);
      a.setVacantSeats(vacant);
    });
  }

  // Seals, opens and records `boxes` for `round`, then certifies them.
  // Returns the tallyCertified entry.
  Result<uint64_t> HoldBallot(uint64_t round,
                              const std::vector<uint64_t>& items,
                              const std::vector<BoxPlan>& boxes,
                              bool satisfaction, uint32_t max_approvals) {
    std::vector<uint64_t> sealed;
    for (const BoxPlan& box : boxes) {
      auto r = SealBox(round, box.label);
      if (!r.ok()) return r.status();
      sealed.push_back(*r);
    }
    for (size_t i = 0; i < boxes.size(); ++i) {
      auto r = OpenBox(sealed[i], boxes[i]);
      if (!r.ok()) return r.status();
    }
    for (size_t i = 0; i < boxes.size(); ++i) {
      auto r = RecordBox(sealed[i], boxes[i]);
      if (!r.ok()) return r.status();
    }
    return Certify(round, items, boxes, satisfaction, max_approvals);
  }

  // Certifies the planned boxes' independent count (CountPlannedBoxes).
  Result<uint64_t> Certify(uint64_t round, const std::vector<uint64_t>& items,
                           const std::vector<BoxPlan>& boxes, bool satisfaction,
                           uint32_t max_approvals) {
    const PlannedCount c =
        CountPlannedBoxes(boxes, items.size(), satisfaction, max_approvals);
    return Submit(keys_.monitor, [&](schema::Event::Builder e) {
      auto t = e.initTallyCertified();
      t.setRound(round);
      t.setIssued(c.issued);
      t.setCollected(c.collected);
      t.setValid(c.valid);
      t.setInvalid(c.invalid);
      auto list = t.initItems(static_cast<unsigned>(items.size()));
      for (unsigned i = 0; i < items.size(); ++i) {
        list[i].setItem(items[i]);
        list[i].setApprove(c.marks[i][0]);
        list[i].setOppose(c.marks[i][1]);
        list[i].setAbstain(c.marks[i][2]);
        list[i].setSatisfactionAbstain(c.marks[i][3]);
      }
      auto by = t.initCertifiedBy(2);
      by.set(0, "计票人丙");
      by.set(1, "监票人甲");
    });
  }

 private:
  ledger::LedgerOptions Options() {
    ledger::LedgerOptions o;
    o.clock = [this] { return now_ms_; };
    o.checkpoint_key = log_key_;
    o.validator = &validator_;
    o.sync = false;
    return o;
  }

  static Status Annotate(const std::string& stage, const Status& s) {
    return Status(s.code(), "fixture stage \"" + stage + "\": " + s.message());
  }

  Status Run(Stage stage) {
    switch (stage) {
      case Stage::kNone:
        return Status::Ok();
      case Stage::kDeployment:
        return CreateDeployment();
      case Stage::kCycleOpened:
        return OpenCycle();
      case Stage::kProposals:
        return SubmitProposals();
      case Stage::kMerged:
        return MergeProposals();
      case Stage::kGovernmentReview:
        return ScreenGovernmentReview();
      case Stage::kPartyCommittee:
        return ScreenPartyCommittee();
      case Stage::kStandingCommittee:
        return ScreenStandingCommittee();
      case Stage::kCandidateList:
        return FixCandidateList();
      case Stage::kVotingRules:
        return AdoptVotingRules();
      case Stage::kDeliberation:
        return RecordDeliberation();
      case Stage::kRoundOpened:
        return OpenRound();
      case Stage::kBoxesSealed:
        return SealBoxes();
      case Stage::kBoxesOpened:
        return OpenBoxes();
      case Stage::kBallotsRecorded:
        return RecordBallots();
      case Stage::kTallyCertified:
        return CertifyTally();
      case Stage::kResultAnnounced:
        return AnnounceResult();
      case Stage::kPlanned:
        return PlanImplementation();
      case Stage::kProgress:
        return ReportProgress();
      case Stage::kInspection:
        return RecordInspection();
      case Stage::kAccepted:
        return RecordAcceptance();
      case Stage::kEvaluated:
        return ScoreEvaluations();
      case Stage::kSatisfactionVote:
        return HoldSatisfactionVote();
      case Stage::kRectification:
        return OrderRectification();
    }
    return InvalidArgument("unknown fixture stage");
  }

  // Declaration order matters: the ledger (declared last) is destroyed
  // first, before the validator and state it points to.
  TempDir tmp_;
  std::string dir_;
  CycleKeys keys_;
  note::SignerKey log_key_;
  int64_t now_ms_ = 0;
  projections::State state_;
  projections::RulesValidator validator_{state_};
  CycleRefs refs_;
  Stage stage_ = Stage::kNone;
  std::unique_ptr<ledger::Ledger> ledger_;
};

}  // namespace piaojue::testing
