// The demo's story, in log order: 清河县 and two of its townships, from the
// call for proposals in September 2024 to the rectification report of April
// 2026. docs/DEMO.md tells it in words; content.cc holds its cast and
// proposals, facts.cc its vote tables.
//
// Everything here is a fixed function of the tables below, so the indices
// of the entries are fixed too: the story uses them as references as it
// goes (a merge names its sources by index, a ballot box its round, ...).
#include "api/demo/internal/story.h"

#include <capnp/message.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <numeric>

#include "api/demo/internal/content.h"
#include "ledger/authority.h"
#include "projections/dates.h"
#include "projections/tally.h"

namespace piaojue::demo::internal {

namespace {

using schema::Role;

constexpr int64_t kFenPerWan = 1'000'000;  // 1万元 = 10,000 yuan
constexpr int64_t kMinute = 60 * 1000;

std::string Replace(std::string text, std::string_view key,
                    const std::string& value) {
  for (size_t at = text.find(key); at != std::string::npos;
       at = text.find(key, at + value.size())) {
    text.replace(at, key.size(), value);
  }
  return text;
}

// A deterministic pseudo-random sequence (splitmix64) for laying ballots
// into boxes; the story needs variety, not secrecy.
class Mixer {
 public:
  explicit Mixer(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Next() % i]);
  }

 private:
  uint64_t state_;
};

void SetDate(schema::Date::Builder b, int y, int m, int d) {
  b.setYear(static_cast<uint16_t>(y));
  b.setMonth(static_cast<uint8_t>(m));
  b.setDay(static_cast<uint8_t>(d));
}

void SetTexts(capnp::List<capnp::Text>::Builder list,
              const std::vector<std::string>& texts) {
  for (size_t i = 0; i < texts.size(); ++i) list.set(i, texts[i]);
}

void SetRefs(capnp::List<uint64_t>::Builder list,
             const std::vector<uint64_t>& refs) {
  for (size_t i = 0; i < refs.size(); ++i) list.set(i, refs[i]);
}

void SetAllEligible(schema::Eligibility::Builder e) {
  e.setOwnBudget(true);
  e.setBroadBenefit(true);
  e.setCompletableInYear(true);
  e.setNotMajorEngineering(true);
  e.setLandPolicyFundingSecured(true);
}

// The eligibility a reviewer records with a decision for `reason`.
void SetEligibility(schema::Eligibility::Builder e, ReasonCode reason) {
  SetAllEligible(e);
  switch (reason) {
    case ReasonCode::FUNDED_BY_HIGHER_LEVEL:
      e.setOwnBudget(false);
      break;
    case ReasonCode::NOT_BROAD_BENEFIT:
    case ReasonCode::OUT_OF_SCOPE:
      e.setBroadBenefit(false);
      break;
    case ReasonCode::NOT_COMPLETABLE_IN_YEAR:
      e.setCompletableInYear(false);
      break;
    case ReasonCode::MAJOR_ENGINEERING:
      e.setNotMajorEngineering(false);
      e.setCompletableInYear(false);
      break;
    case ReasonCode::LAND_NOT_SECURED:
    case ReasonCode::POLICY_NOT_SECURED:
    case ReasonCode::FUNDING_NOT_SECURED:
      e.setLandPolicyFundingSecured(false);
      break;
    default:
      break;
  }
}

// The county department that would propose a project of `category`.
std::string DepartmentFor(Category category) {
  switch (category) {
    case Category::EDUCATION:
      return "县教育局";
    case Category::HEALTH:
    case Category::CHILDCARE:
      return "县卫生健康委员会";
    case Category::ELDERLY_CARE:
      return "县民政局";
    case Category::TRANSPORT:
      return "县交通运输局";
    case Category::CULTURE_SPORT:
      return "县文化和旅游体育局";
    case Category::EMPLOYMENT_SOCIAL_SECURITY:
      return "县人力资源和社会保障局";
    case Category::ENVIRONMENT:
      return "县水利局";
    case Category::PUBLIC_FACILITIES:
      return "县住房和城乡建设局";
    default:
      return "县农业农村局";
  }
}

crypto::Hash EvidenceHash(const std::string& what) {
  return crypto::Sha256(crypto::AsBytes("清河县民生实事项目附件/" + what));
}

// ---------------------------------------------------------------------------
// The teller.

class Story {
 public:
  Story(EventSink& w, const Place* places, Landmarks* landmarks)
      : w_(w), places_(places), landmarks_(*landmarks) {}
  Status Tell();

 private:
  // A proposal as it is submitted, in one of the three cycles.
  struct Submission {
    int place = 0;
    int64_t at = 0;
    Source source;
    std::string location;
    Category category = Category::OTHER;
    int64_t fen = 0;
    FundingSource funding = FundingSource::OWN_BUDGET;
    std::string funding_note;
    int core = -1;  // index into cores_[place], or -1 (ordinary)
    const Template* tmpl = nullptr;
    uint64_t ref = 0;
  };
  // What became of a cycle's proposals.
  struct CycleStory {
    uint64_t cycle = 0;
    std::vector<Core> cores;
    std::vector<std::vector<uint64_t>> core_sources;  // per core
    std::vector<uint64_t> core_refs;           // the proposal screened per core
    std::vector<uint64_t> rejected_at_review;  // ordinary, in log order
    std::map<uint64_t, const Template*> templates;
    uint64_t vote = 0;
    uint64_t round = 0;
    uint64_t votes_after = 0;          // the satisfaction vote
    std::vector<uint64_t> candidates;  // ballot order
    std::vector<uint64_t> elected;     // rank order
    std::map<uint64_t, int> core_of;   // project ref -> core index
  };
  std::map<uint64_t, std::string> agency_of_;  // project ref -> its agency

  const crypto::KeyPair& Key(Role role, int place) {
    const std::string name = ledger::RoleName(role) + "@" + places_[place].code;
    auto it = keys_.find(name);
    if (it == keys_.end()) {
      it = keys_.emplace(name, AuthorKey(role, places_[place].code).key_pair)
               .first;
    }
    return it->second;
  }
  uint64_t Emit(Stage stage, int64_t at, Role role, int place,
                const std::function<void(schema::Event::Builder)>& fill) {
    return w_.Emit(stage, at, Key(role, place), places_[place].code, fill);
  }
  // Each implementing agency (承办单位) of a jurisdiction signs with its own
  // key (named "implementingAgency@<code>/<agency>"), so a progress report
  // shows which office reported.
  const crypto::KeyPair& AgencyKey(int place, const std::string& agency) {
    const std::string name = ledger::RoleName(Role::IMPLEMENTING_AGENCY) + "@" +
                             places_[place].code + "/" + agency;
    auto it = keys_.find(name);
    if (it == keys_.end()) it = keys_.emplace(name, DemoKey(name)).first;
    return it->second;
  }
  // Signed by the key of the agency implementing `project`.
  uint64_t EmitAsAgency(
      Stage stage, int64_t at, int place, uint64_t project,
      const std::function<void(schema::Event::Builder)>& fill) {
    return w_.Emit(stage, at, AgencyKey(place, agency_of_.at(project)),
                   places_[place].code, fill);
  }
  uint64_t EmitRoot(Stage stage, int64_t at,
                    const std::function<void(schema::Event::Builder)>& fill) {
    return w_.Emit(stage, at, root_, "", fill);
  }

  void Deployment();
  void OpenCycles();
  void Collection();
  void Merges(int place, int64_t at);
  void GovernmentReview(int place, int64_t from, int days);
  void LaterReview(int place, int stage, int64_t at);
  void CandidateList(int place, int64_t at, int sent_day);
  Status Vote(int place, int64_t day);
  Status RecordBoxes(Stage stage, int place, uint64_t round, int64_t at,
                     const std::vector<BoxFacts>& boxes,
                     std::vector<std::string> valid, size_t width,
                     uint64_t seed, int64_t* t);
  void Supervision();
  Status Evaluation();
  Status SatisfactionVote(int place, int64_t day);

  EventSink& w_;
  const Place* places_;  // the county and its two townships
  Landmarks& landmarks_;
  crypto::KeyPair root_ = RootKey().key_pair;
  std::map<std::string, crypto::KeyPair> keys_;
  CycleStory cycles_[3];
};

void Story::Deployment() {
  const int64_t t0 = CstMs(2024, 8, 20, 9, 0);
  EmitRoot(Stage::kCollection, t0, [&](schema::Event::Builder e) {
    auto g = e.initGenesis();
    g.setOrigin(kOrigin);
    const auto pub = root_.public_key;
    g.setRootKey(capnp::Data::Reader(pub.data(), pub.size()));
    g.setFormatVersion(ledger::kFormatVersion);
    g.setDeploymentName("清河县人大常委会民生实事项目票决账本（演示）");
    g.setCheckpointKey(
        note::FormatVerifierKey(kOrigin, LogKey().key_pair.public_key));
  });
  for (int p = 0; p < 3; ++p) {
    EmitRoot(
        Stage::kCollection, t0 + (p + 1) * kMinute,
        [&](schema::Event::Builder e) {
          auto j = e.initJurisdictionRegistered();
          j.setCode(places_[p].code);
          j.setName(places_[p].name);
          j.setLevel(p == 0 ? schema::Level::COUNTY : schema::Level::TOWNSHIP);
          j.setParentCode(p == 0 ? "" : places_[0].code);
        });
  }
  int64_t t = t0 + 10 * kMinute;
  for (int p = 0; p < 3; ++p) {
    const std::string n = places_[p].name;
    const bool county = p == 0;
    const std::map<Role, std::string> holders = {
        {Role::GOVERNMENT_OFFICE,
         county ? "清河县发展和改革局（民生实事项目票决制协调办公室）"
                : n + "人民政府党政综合办公室"},
        {Role::PARTY_COMMITTEE, "中共" + n + "委员会"},
        {Role::STANDING_COMMITTEE,
         county ? "清河县人大常委会" : n + "人大主席团"},
        {Role::SECRETARIAT, n + "人民代表大会秘书处"},
        {Role::TELLER, n + "人民代表大会计票组"},
        {Role::MONITOR, n + "人民代表大会监票组"},
        {Role::IMPLEMENTING_AGENCY,
         county ? "清河县民生实事项目责任单位（县教育局、县交通运输局等）"
                : n + "民生实事项目责任单位"},
        {Role::INSPECTION_GROUP, n + "人大代表视察组"},
        {Role::EVALUATION_GROUP, n + "民生实事项目评估小组"},
        {Role::PUBLIC_INTAKE,
         county ? "清河县民生实事项目征集平台（政府网站、“清河发布”微信公众号"
                  "、代表联络站）"
                : n + "民生实事项目征集点（便民服务中心、代表联络站）"},
        // Announces the results at the session (大会主席团).
        {Role::PRESIDIUM, n + "人民代表大会主席团"},
    };
    for (const auto& [role, holder] : holders) {
      const crypto::PublicKey key = Key(role, p).public_key;
      // Captured by name: clang before 16 cannot capture a structured
      // binding (the debug preset builds with clang 14).
      EmitRoot(Stage::kCollection, t,
               [&, role = role, holder = holder](schema::Event::Builder e) {
                 auto k = e.initKeyRegistered();
                 k.setKey(capnp::Data::Reader(key.data(), key.size()));
                 k.setRole(role);
                 k.setJurisdiction(places_[p].code);
                 k.setHolder(holder);
               });
      t += kMinute;
    }
  }
}

void Story::OpenCycles() {
  struct Call {
    int year_budget_wan;
    int projects;
    int start_month, start_day, end_month, end_day;
  };
  const Call calls[3] = {{12000, 10, 9, 1, 11, 30},
                         {560, 5, 9, 10, 11, 20},
                         {380, 4, 9, 10, 11, 20}};
  for (int p = 0; p < 3; ++p) {
    const Call& c = calls[p];
    cycles_[p].cycle = Emit(
        Stage::kCollection, CstMs(2024, 8, 28 + p, 10, 0),
        Role::GOVERNMENT_OFFICE, p, [&](schema::Event::Builder e) {
          auto o = e.initCycleOpened();
          o.setYear(2025);
          o.setLevel(p == 0 ? schema::Level::COUNTY : schema::Level::TOWNSHIP);
          o.setTitle(std::string(places_[p].name) + "2025年民生实事项目");
          o.setBudgetFen(int64_t{c.year_budget_wan} * kFenPerWan);
          o.setProjectCount(static_cast<uint16_t>(c.projects));
          SetDate(o.initCollectionStart(), 2024, c.start_month, c.start_day);
          SetDate(o.initCollectionEnd(), 2024, c.end_month, c.end_day);
          o.setScope(
              "以本级财政资金投入为主、普惠性和社会公益性强、年内能够完成"
              "的教育、医疗卫生、养老托育、交通、文化体育、公共设施、就业"
              "和社会保障、生态环境等民生项目；中央和省级资金为主的项目、"
              "重大工程和产业项目、用地政策资金未落实的项目不列入。");
          // Empty schedule: the default milestones (06-15 start, 50% by
          // 07-31, 75% by 10-31, accepted by 12-31).
        });
  }
}

void Story::Collection() {
  std::vector<Submission> all;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    cs.cores = p == 0 ? CountyCores() : TownshipCores(p);
    cs.core_sources.assign(cs.cores.size(), {});
    const int total = p == 0 ? kCountyProposals : kTownshipProposals;
    int core_sources = 0;
    for (const Core& c : cs.cores) core_sources += c.sources.size();
    const int ordinary = total - core_sources;
    // Core sources are spread among the ordinary ones.
    std::vector<std::pair<int, int>> core_slots;  // (core, source)
    for (size_t c = 0; c < cs.cores.size(); ++c) {
      for (size_t s = 0; s < cs.cores[c].sources.size(); ++s) {
        core_slots.emplace_back(static_cast<int>(c), static_cast<int>(s));
      }
    }
    const int64_t start =
        p == 0 ? CstMs(2024, 9, 1, 8, 30) : CstMs(2024, 9, 10, 8, 30);
    const int64_t end =
        p == 0 ? CstMs(2024, 11, 30, 17, 30) : CstMs(2024, 11, 20, 17, 30);
    // Core source j arrives as submission 3 + j * (total - 3) / n.
    const int n = static_cast<int>(core_slots.size());
    size_t next_core = 0;
    int next_ordinary = 0;
    for (int k = 0; k < total; ++k) {
      Submission s;
      s.place = p;
      s.at = start + (end - start) * k / total;
      const int j = static_cast<int>(next_core);
      const bool core_turn =
          j < n && (k == 3 + j * (total - 3) / n || next_ordinary >= ordinary);
      if (core_turn) {
        const auto [c, src] = core_slots[next_core++];
        const Core& core = cs.cores[c];
        s.core = c;
        s.source = core.sources[src];
        s.location = core.location;
        s.category = core.category;
        // Each source asks for its share of what the merged project costs.
        s.fen = int64_t{core.wan} * kFenPerWan /
                static_cast<int64_t>(core.sources.size());
        s.funding = core.reason == ReasonCode::FUNDED_BY_HIGHER_LEVEL
                        ? FundingSource::CENTRAL_OR_PROVINCIAL
                        : FundingSource::OWN_BUDGET;
      } else {
        const int o = next_ordinary++;
        const Template& t = kTemplates[(o * 7 + p) % kTemplateCount];
        std::string town = p == 0 ? kTowns[o % 8] : places_[p].name;
        std::string place;
        switch (t.place_kind) {
          case 'v':
            place = town + kVillages[(o * 11 + p * 5) % 30];
            break;
          case 'c':
            place = p == 0 ? std::string("县城") + kCommunities[o % 8]
                           : town + "集镇社区";
            break;
          default:
            place = town;
        }
        s.tmpl = &t;
        s.location = t.place_kind == 'v' ? place + "村" : place;
        s.category = t.category;
        s.fen = int64_t{t.wan} * (90 + (o * 37) % 21) * (kFenPerWan / 100);
        s.funding = t.funding;
        if (t.funding == FundingSource::CENTRAL_OR_PROVINCIAL) {
          s.funding_note = "拟申请中央、省级补助资金";
        }
        std::string title = Replace(t.title, "{p}", place);
        std::string desc = Replace(t.description, "{p}", place);
        switch (o % 10) {
          case 0:
          case 1:
            s.source = Resident(title, desc, Channel::GOVERNMENT_WEBSITE);
            break;
          case 2:
            s.source = Resident(title, desc, Channel::WECHAT, town + "群众");
            break;
          case 3:
            s.source = Resident(title, desc, Channel::CONTACT_STATION,
                                s.location + "居民");
            break;
          case 4:
            s.source = Resident(title, desc, Channel::DOOR_TO_DOOR,
                                s.location + "群众（入户走访）");
            break;
          case 5:
            s.source =
                Resident(title, desc, Channel::FORUM, town + "群众代表座谈会");
            break;
          case 6:
          case 7:
            s.source = Deputy(title, desc, kDeputies[o % 20],
                              p == 0 ? "县" : std::string(places_[p].name));
            break;
          case 8:
            s.source = p == 0 ? Cppcc(title, desc, kCppcc[o % 8])
                              : Resident(title, desc, Channel::WECHAT);
            break;
          default:
            s.source = (o / 10) % 2 == 0 && p == 0
                           ? Department(title, desc, DepartmentFor(t.category))
                           : Township(title, desc,
                                      p == 0 ? town + "人民政府"
                                             : std::string(kVillages[o % 30]) +
                                                   "村民委员会");
        }
      }
      all.push_back(std::move(s));
    }
  }
  std::stable_sort(
      all.begin(), all.end(),
      [](const Submission& a, const Submission& b) { return a.at < b.at; });
  int receipts[3] = {0, 0, 0};
  for (Submission& s : all) {
    const int p = s.place;
    // Residents' channels come in through the public intake; deputies',
    // CPPCC members', departments' and townships' through the office.
    const bool intake = s.source.proposer == ProposerType::RESIDENT;
    char receipt[32];
    std::snprintf(receipt, sizeof(receipt), "%s2024-%04d",
                  places_[p].receipt_prefix, ++receipts[p]);
    s.ref = Emit(Stage::kCollection, s.at,
                 intake ? Role::PUBLIC_INTAKE : Role::GOVERNMENT_OFFICE, p,
                 [&](schema::Event::Builder e) {
                   auto ps = e.initProposalSubmitted();
                   ps.setCycle(cycles_[p].cycle);
                   auto d = ps.initDetails();
                   d.setTitle(s.source.title);
                   d.setDescription(s.source.description);
                   d.setCategory(s.category);
                   d.setLocation(s.location);
                   d.setEstimatedInvestmentFen(s.fen);
                   d.setFundingSource(s.funding);
                   d.setFundingNote(s.funding_note);
                   SetDate(d.initExpectedCompletion(), 2025, 12, 31);
                   ps.setProposerType(s.source.proposer);
                   ps.setProposerName(s.source.proposer_name);
                   ps.setChannel(s.source.channel);
                   ps.setReceiptRef(receipt);
                   // Online channels are stamped on arrival; the others are
                   // typed in up to three days after they were received
                   // (收件日期), never before the window opened.
                   if (s.source.channel != Channel::WECHAT &&
                       s.source.channel != Channel::GOVERNMENT_WEBSITE) {
                     const int64_t lag = int64_t{receipts[p] % 4} * 86'400'000;
                     const int64_t opened = p == 0 ? CstMs(2024, 9, 1, 0, 0)
                                                   : CstMs(2024, 9, 10, 0, 0);
                     const auto d =
                         projections::DateFromMs(std::max(s.at - lag, opened));
                     SetDate(ps.initReceivedOn(), d.year, d.month, d.day);
                   }
                 });
    CycleStory& cs = cycles_[p];
    if (s.core >= 0) {
      cs.core_sources[s.core].push_back(s.ref);
    } else {
      cs.rejected_at_review.push_back(s.ref);
      cs.templates[s.ref] = s.tmpl;
    }
  }
  for (CycleStory& cs : cycles_) {
    cs.core_refs.resize(cs.cores.size());
    for (size_t c = 0; c < cs.cores.size(); ++c) {
      cs.core_refs[c] = cs.core_sources[c].front();
    }
  }
}

void Story::Merges(int place, int64_t at) {
  CycleStory& cs = cycles_[place];
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    const Core& core = cs.cores[c];
    if (core.sources.size() < 2) continue;
    cs.core_refs[c] = Emit(
        Stage::kScreening, at, Role::GOVERNMENT_OFFICE, place,
        [&](schema::Event::Builder e) {
          auto m = e.initProposalsMerged();
          m.setCycle(cs.cycle);
          SetRefs(m.initSources(cs.core_sources[c].size()), cs.core_sources[c]);
          auto d = m.initDetails();
          d.setTitle(core.name);
          d.setDescription(core.content);
          d.setCategory(core.category);
          d.setLocation(core.location);
          d.setEstimatedInvestmentFen(int64_t{core.wan} * kFenPerWan);
          d.setFundingSource(FundingSource::OWN_BUDGET);
          d.setFundingNote(place == 0 ? "县级财政预算安排"
                                      : "乡镇财政预算安排");
          SetDate(d.initExpectedCompletion(), 2025, 12, 31);
          m.setReason("内容相近的" + std::to_string(core.sources.size()) +
                      "件建议归并为一个项目，各来源建议保留可查");
        });
    at += 20 * kMinute;
  }
}

void Story::GovernmentReview(int place, int64_t from, int days) {
  CycleStory& cs = cycles_[place];
  // Every proposal still standing, in log order.
  std::vector<std::pair<uint64_t, int>> queue;  // (ref, core or -1)
  for (uint64_t r : cs.rejected_at_review) queue.emplace_back(r, -1);
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    queue.emplace_back(cs.core_refs[c], static_cast<int>(c));
  }
  std::sort(queue.begin(), queue.end());
  const int per_day =
      static_cast<int>((queue.size() + static_cast<size_t>(days) - 1) / days);
  for (size_t i = 0; i < queue.size(); ++i) {
    const auto [ref, core] = queue[i];
    const int64_t at = from + static_cast<int64_t>(i / per_day) * 86'400'000 +
                       static_cast<int64_t>(i % per_day) * 8 * kMinute;
    const Template* t = core < 0 ? cs.templates.at(ref) : nullptr;
    Emit(Stage::kScreening, at, Role::GOVERNMENT_OFFICE, place,
         [&, ref = ref](schema::Event::Builder e) {
           auto s = e.initScreeningDecided();
           s.setProposal(ref);
           s.setStage(schema::ScreeningStage::GOVERNMENT_REVIEW);
           if (t == nullptr) {
             s.setOutcome(schema::ScreeningOutcome::ADVANCE);
             s.setReasonCode(ReasonCode::MEETS_CRITERIA);
             s.setReasonText(
                 "群众需求集中，符合民生实事项目征集范围，提交党委审定");
             SetAllEligible(s.initEligibility());
           } else {
             s.setOutcome(schema::ScreeningOutcome::REJECT);
             s.setReasonCode(t->reason);
             s.setReasonText(t->reason_text);
             SetEligibility(s.initEligibility(), t->reason);
           }
         });
  }
}

void Story::LaterReview(int place, int stage, int64_t at) {
  CycleStory& cs = cycles_[place];
  const bool party = stage == 2;
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    const Core& core = cs.cores[c];
    if (!party && core.fate == Fate::kRejectedAtParty) continue;
    const bool reject = party ? core.fate == Fate::kRejectedAtParty
                              : core.fate == Fate::kRejectedAtStanding;
    Emit(Stage::kScreening, at,
         party ? Role::PARTY_COMMITTEE : Role::STANDING_COMMITTEE, place,
         [&](schema::Event::Builder e) {
           auto s = e.initScreeningDecided();
           s.setProposal(cs.core_refs[c]);
           s.setStage(
               party ? schema::ScreeningStage::PARTY_COMMITTEE_APPROVAL
                     : schema::ScreeningStage::STANDING_COMMITTEE_EXAMINATION);
           if (reject) {
             s.setOutcome(schema::ScreeningOutcome::REJECT);
             s.setReasonCode(core.reason);
             s.setReasonText(core.reason_text);
             SetEligibility(s.initEligibility(), core.reason);
           } else {
             s.setOutcome(schema::ScreeningOutcome::ADVANCE);
             s.setReasonCode(ReasonCode::MEETS_CRITERIA);
             s.setReasonText(party ? "经党委会议研究，同意列为候选项目"
                                   : "经审查，同意提请人民代表大会票决");
             SetAllEligible(s.initEligibility());
           }
         });
    at += 6 * kMinute;
  }
}

void Story::CandidateList(int place, int64_t at, int sent_day) {
  CycleStory& cs = cycles_[place];
  std::vector<size_t> list;
  for (size_t c = 0; c < cs.cores.size(); ++c) {
    if (cs.cores[c].fate == Fate::kCandidate) list.push_back(c);
  }
  for (size_t c : list) {
    cs.candidates.push_back(cs.core_refs[c]);
    cs.core_of[cs.core_refs[c]] = static_cast<int>(c);
  }
  Emit(Stage::kScreening, at, Role::STANDING_COMMITTEE, place,
       [&](schema::Event::Builder e) {
         auto l = e.initCandidateListFixed();
         l.setCycle(cs.cycle);
         auto out = l.initCandidates(list.size());
         for (size_t i = 0; i < list.size(); ++i) {
           const Core& core = cs.cores[list[i]];
           out[i].setProposal(cs.core_refs[list[i]]);
           out[i].setName(core.name);
           out[i].setContent(core.content);
           out[i].setImplementingAgency(core.agency);
           out[i].setInvestmentFen(int64_t{core.wan} * kFenPerWan);
           out[i].setRequirements(core.requirements);
         }
         SetDate(l.initSentToDeputiesOn(), 2025, 1, sent_day);
       });
}

}  // namespace

Result<std::vector<std::string>> LayOutSelectionBallots(
    const SelectionFacts& f) {
  uint32_t valid = 0;
  for (const BoxFacts& b : f.boxes) {
    valid += b.collected - b.over_approving - b.unreadable;
  }
  const size_t n = f.candidates.size();
  if (valid == 0 || f.approve.size() != n || f.oppose.size() != n) {
    return InvalidArgument("the ballot design of " + f.jurisdiction +
                           " does not match its candidates");
  }
  std::vector<std::string> ballots(
      valid, std::string(n, static_cast<char>(projections::kMarkAbstain)));
  // Candidate i's approvals fill the next approve[i] ballots round the
  // circle, so that every ballot gets floor or ceil of the mean number of
  // approvals; its oppositions follow its approvals.
  uint32_t offset = 0;
  for (size_t i = 0; i < n; ++i) {
    if (f.approve[i] + f.oppose[i] > valid) {
      return InvalidArgument("candidate " + f.candidates[i] +
                             " has more marks than valid ballots");
    }
    for (uint32_t j = 0; j < f.approve[i]; ++j) {
      ballots[(offset + j) % valid][i] =
          static_cast<char>(projections::kMarkApprove);
    }
    for (uint32_t j = 0; j < f.oppose[i]; ++j) {
      ballots[(offset + f.approve[i] + j) % valid][i] =
          static_cast<char>(projections::kMarkOppose);
    }
    offset = (offset + f.approve[i]) % valid;
  }
  for (const std::string& b : ballots) {
    const auto approvals = std::count(
        b.begin(), b.end(), static_cast<char>(projections::kMarkApprove));
    if (approvals > f.seats) {
      return InvalidArgument("the ballot design of " + f.jurisdiction +
                             " needs a ballot approving more than " +
                             std::to_string(f.seats) + " candidates");
    }
  }
  return ballots;
}

namespace {

// Sorts each box's ballots, splits them into parts and records them.
Status Story::RecordBoxes(Stage stage, int place, uint64_t round, int64_t at,
                          const std::vector<BoxFacts>& boxes,
                          std::vector<std::string> valid, size_t width,
                          uint64_t seed, int64_t* t) {
  Mixer mixer(seed);
  mixer.Shuffle(valid);
  const std::vector<std::string> monitors = {"监票人 张卫东", "监票人 李春燕",
                                             "监票人 王德胜"};
  std::vector<uint64_t> box_refs;
  for (const BoxFacts& b : boxes) {
    box_refs.push_back(
        Emit(stage, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
          auto s = e.initBallotBoxSealed();
          s.setRound(round);
          s.setLabel(b.label);
          SetTexts(s.initMonitors(monitors.size()), monitors);
        }));
    at += kMinute;
  }
  at += 90 * kMinute;  // the vote itself
  size_t next = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    const BoxFacts& b = boxes[i];
    Emit(stage, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
      auto o = e.initBallotBoxOpened();
      o.setBox(box_refs[i]);
      o.setIssued(b.issued);
      o.setCollected(b.collected);
      SetTexts(o.initMonitors(monitors.size()), monitors);
    });
    at += 2 * kMinute;
    const uint32_t readable = b.collected - b.unreadable;
    const uint32_t valid_here = readable - b.over_approving;
    if (next + valid_here > valid.size()) {
      return InvalidArgument("the boxes hold more valid ballots than laid out");
    }
    std::vector<std::string> here(valid.begin() + next,
                                  valid.begin() + next + valid_here);
    next += valid_here;
    for (uint32_t k = 0; k < b.over_approving; ++k) {
      // A ballot that approves every candidate: more than the seats.
      here.emplace_back(width, static_cast<char>(projections::kMarkApprove));
    }
    std::sort(here.begin(), here.end());
    // Every part but the last full, as the rules require for secrecy.
    const size_t parts = PartsFor(here.size(), width);
    const size_t per_part =
        projections::BallotsPerPart(static_cast<uint32_t>(width));
    for (size_t part = 0; part < parts; ++part) {
      const size_t from = std::min(here.size(), part * per_part);
      const size_t to = std::min(here.size(), from + per_part);
      std::string marks;
      for (size_t k = from; k < to; ++k) marks += here[k];
      Emit(stage, at, Role::TELLER, place, [&](schema::Event::Builder e) {
        auto r = e.initBallotsRecorded();
        r.setBox(box_refs[i]);
        r.setPart(static_cast<uint16_t>(part + 1));
        r.setPartCount(static_cast<uint16_t>(parts));
        r.setItemCount(static_cast<uint16_t>(width));
        r.setMarks(capnp::Data::Reader(
            reinterpret_cast<const uint8_t*>(marks.data()), marks.size()));
        r.setUnreadable(part == 0 ? b.unreadable : 0);
      });
      at += kMinute;
    }
  }
  if (next != valid.size()) {
    return InvalidArgument("the boxes hold fewer valid ballots than laid out");
  }
  *t = at;
  return Status::Ok();
}

Status Story::Vote(int place, int64_t day) {
  CycleStory& cs = cycles_[place];
  const SelectionFacts& f = SelectionVotes()[place];
  if (f.candidates.size() != cs.candidates.size()) {
    return InvalidArgument("the vote table of " + f.jurisdiction +
                           " does not match its candidate list");
  }
  const bool county = place == 0;
  int64_t at = day;
  cs.vote = Emit(
      Stage::kVote, at, Role::STANDING_COMMITTEE, place,
      [&](schema::Event::Builder e) {
        auto v = e.initVotingRulesAdopted();
        v.setCycle(cs.cycle);
        v.setPurpose(schema::VotePurpose::PROJECT_SELECTION);
        v.setSeats(f.seats);
        v.setExtraCandidates(
            static_cast<uint16_t>(f.candidates.size() - f.seats));
        v.setEntitledDeputies(f.entitled);
        auto q = v.initQuorum();
        q.setNumerator(2);
        q.setDenominator(3);
        v.setPassBase(schema::PassBase::ENTITLED);
        v.setTieRule(schema::TieRule::FURTHER_ROUND);
        v.setShortfallRule(county ? schema::ShortfallRule::LEAVE_VACANT
                                  : schema::ShortfallRule::FURTHER_ROUND);
        v.setMaxApprovals(f.seats);
        const auto d = projections::DateFromMs(at);
        SetDate(v.initAdoptedOn(), d.year, d.month, d.day);
        v.setText(
            f.congress + "民生实事项目票决办法：候选项目" +
            std::to_string(f.candidates.size()) + "个，差额" +
            std::to_string(f.candidates.size() - f.seats) + "个，票决产生" +
            std::to_string(f.seats) +
            "个；采用无记名投票方式，每张选票赞成的项目不得多于" +
            std::to_string(f.seats) +
            "个，多于的为废票；实到代表须超过应到代表的三分之二；候选项目获得"
            "全体代表过半数赞成票始得通过，按得票多少依次确定；末位得票相等"
            "时，就得票相等的项目再次投票；票决结果当场宣布并由主席团公布。");
      });
  at += 2 * 60 * kMinute;
  Emit(Stage::kVote, at, Role::SECRETARIAT, place,
       [&](schema::Event::Builder e) {
         auto d = e.initDeliberationRecorded();
         d.setCycle(cs.cycle);
         d.setSession(county ? "各代表团分组审议" : "代表分组审议");
         const auto date = projections::DateFromMs(at);
         SetDate(d.initHeldOn(), date.year, date.month, date.day);
         d.setSummary(
             "政府负责同志逐项说明候选项目的建设内容、投资和实施单位；代表分组"
             "审议，相关部门负责人到会听取意见、回答询问。代表重点关注幼儿园学"
             "位、农村公路安全和老年助餐的覆盖范围。");
       });
  // The county votes two days later; a township the same afternoon.
  at = county ? at + 46 * 60 * kMinute : at + 3 * 60 * kMinute;
  cs.round = Emit(Stage::kVote, at, Role::SECRETARIAT, place,
                  [&](schema::Event::Builder e) {
                    auto r = e.initRoundOpened();
                    r.setVote(cs.vote);
                    r.setRound(1);
                    SetRefs(r.initItems(cs.candidates.size()), cs.candidates);
                    r.setSeats(f.seats);
                    r.setPresentDeputies(f.present);
                    // The rules allow as many approvals as seats; round 1
                    // fills every seat (RULES.md round.max_approvals).
                    r.setMaxApprovals(f.seats);
                  });
  at += 5 * kMinute;
  ASSIGN_OR_RETURN(std::vector<std::string> ballots, LayOutSelectionBallots(f));
  RETURN_IF_ERROR(RecordBoxes(Stage::kVote, place, cs.round, at, f.boxes,
                              std::move(ballots), f.candidates.size(),
                              2025'0100 + place, &at));
  uint32_t issued = 0, collected = 0, invalid = 0;
  for (const BoxFacts& b : f.boxes) {
    issued += b.issued;
    collected += b.collected;
    invalid += b.over_approving + b.unreadable;
  }
  const uint32_t valid = collected - invalid;
  at += 10 * kMinute;
  Emit(Stage::kVote, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
    auto t = e.initTallyCertified();
    t.setRound(cs.round);
    t.setIssued(issued);
    t.setCollected(collected);
    t.setValid(valid);
    t.setInvalid(invalid);
    auto items = t.initItems(f.candidates.size());
    for (size_t i = 0; i < f.candidates.size(); ++i) {
      items[i].setItem(cs.candidates[i]);
      items[i].setApprove(f.approve[i]);
      items[i].setOppose(f.oppose[i]);
      items[i].setAbstain(valid - f.approve[i] - f.oppose[i]);
    }
    SetTexts(t.initCertifiedBy(5),
             {"总计票人 周建国", "计票人 林小华", "总监票人 张卫东",
              "监票人 李春燕", "监票人 王德胜"});
  });
  // Passing candidates (more than half of the entitled deputies), most
  // approvals first, fill the seats.
  std::vector<size_t> order(f.candidates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return f.approve[a] > f.approve[b];
  });
  for (size_t i : order) {
    if (uint64_t{f.approve[i]} * 2 > f.entitled &&
        cs.elected.size() < f.seats) {
      cs.elected.push_back(cs.candidates[i]);
    }
  }
  at += 10 * kMinute;
  Emit(Stage::kVote, at, Role::PRESIDIUM, place, [&](schema::Event::Builder e) {
    auto r = e.initResultAnnounced();
    r.setRound(cs.round);
    SetRefs(r.initElected(cs.elected.size()), cs.elected);
    r.setVacantSeats(static_cast<uint16_t>(f.seats - cs.elected.size()));
    const auto d = projections::DateFromMs(at);
    SetDate(r.initAnnouncedOn(), d.year, d.month, d.day);
  });
  return Status::Ok();
}

// --- supervision ------------------------------------------------------------

namespace {

// Monthly progress, basis points, for the reports as of the ends of March
// to December.
using Curve = std::array<uint16_t, 10>;

Curve DefaultCurve(size_t i) {
  Curve c = {0, 900, 2100, 3600, 5600, 6700, 7600, 8300, 9500, 10000};
  const auto lift = static_cast<uint16_t>((i % 4) * 150);
  if (i % 2 == 0) c[0] = 300;
  for (size_t m = 1; m + 1 < c.size(); ++m) c[m] += lift;
  return c;
}

std::string Narrative(const std::string& content, uint16_t bp, bool late) {
  const std::string pct = std::to_string(bp / 100) + "%";
  if (bp == 0) return "已完成立项、设计和招标准备工作，尚未开工。";
  if (bp < 1000)
    return "已完成招标，施工单位进场，实质性开工。累计完成" + pct + "。";
  if (bp >= 10000) return "工程全部完工，" + content + "。累计完成100%。";
  std::string text = "按计划推进：" + content + "。累计完成" + pct + "。";
  if (late) text += "受摊位过渡安置影响进度滞后，已制定赶工计划。";
  return text;
}

}  // namespace

void Story::Supervision() {
  struct Project {
    int place;
    size_t index;  // in the elected order of its cycle
    uint64_t ref;
    const Core* core;
    Curve curve;
    int64_t budget_fen;
  };
  std::vector<Project> projects;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    for (size_t i = 0; i < cs.elected.size(); ++i) {
      const Core& core = cs.cores[cs.core_of.at(cs.elected[i])];
      Curve curve = DefaultCurve(i + static_cast<size_t>(p));
      if (core.name == kLateProject) {
        curve = {0, 0, 300, 1500, 3800, 5200, 6500, 7800, 9200, 10000};
      } else if (core.name == kCorrectedProject) {
        curve = {0,    1000, kCorrectedPercentBp, 4000, 5500, 6800, 7700, 8500,
                 9600, 10000};
      } else if (core.name == kAdjustedProject) {
        curve = {0, 800, 2000, 3500, 5100, 5600, 6500, 7700, 9000, 10000};
      }
      projects.push_back(
          {p, i, cs.elected[i], &core, curve, int64_t{core.wan} * kFenPerWan});
    }
  }
  struct Act {
    int64_t at;
    std::function<void()> run;
  };
  std::vector<Act> acts;
  auto add = [&](int64_t at, std::function<void()> run) {
    acts.push_back({at, std::move(run)});
  };
  const Stage kS = Stage::kSupervision;

  // Before the plans, the root registers one key per implementing agency of
  // each jurisdiction, in the order of the projects it implements.
  for (int p = 0; p < 3; ++p) {
    std::vector<std::string> agencies;
    for (const Project& pr : projects) {
      if (pr.place != p) continue;
      agency_of_[pr.ref] = pr.core->agency;
      if (std::find(agencies.begin(), agencies.end(), pr.core->agency) ==
          agencies.end()) {
        agencies.push_back(pr.core->agency);
      }
    }
    const int64_t first_plan =
        p == 0 ? CstMs(2025, 2, 20, 9, 0) : CstMs(2025, 2, 26, 9 + 3 * p, 0);
    for (size_t k = 0; k < agencies.size(); ++k) {
      const int64_t at =
          first_plan - 30 * kMinute + static_cast<int64_t>(k) * kMinute;
      add(at, [this, p, at, agency = agencies[k]] {
        const crypto::PublicKey key = AgencyKey(p, agency).public_key;
        EmitRoot(Stage::kSupervision, at, [&](schema::Event::Builder e) {
          auto reg = e.initKeyRegistered();
          reg.setKey(capnp::Data::Reader(key.data(), key.size()));
          reg.setRole(Role::IMPLEMENTING_AGENCY);
          reg.setJurisdiction(places_[p].code);
          reg.setHolder(agency);
        });
      });
    }
  }

  for (const Project& pr : projects) {
    const int64_t day = pr.place == 0 ? CstMs(2025, 2, 20, 9, 0)
                                      : CstMs(2025, 2, 26, 9 + 3 * pr.place, 0);
    const int64_t at = day + static_cast<int64_t>(pr.index) * 10 * kMinute;
    add(at, [this, &pr, at] {
      Emit(Stage::kSupervision, at, Role::GOVERNMENT_OFFICE, pr.place,
           [&](schema::Event::Builder e) {
             auto plan = e.initImplementationPlanned();
             plan.setProject(pr.ref);
             plan.setAgency(pr.core->agency);
             plan.setResponsibleLeader(pr.core->leader);
             plan.setPlan("实施方案：" + pr.core->content + "。" +
                          pr.core->requirements +
                          "。每月5日前报送上月进度，每季度向人大常委会报告。");
             plan.setBudgetFen(pr.budget_fen);
             auto ms = plan.initMilestones(4);
             const struct {
               int m, d;
               uint16_t bp;
               const char* what;
             } plan_ms[4] = {{6, 15, 0, "完成招标，实质性开工"},
                             {7, 31, 5000, "完成工程量50%以上"},
                             {10, 31, 7500, "完成工程量75%以上"},
                             {12, 31, 10000, "全面完工并通过验收"}};
             for (int k = 0; k < 4; ++k) {
               SetDate(ms[k].initDue(), 2025, plan_ms[k].m, plan_ms[k].d);
               ms[k].setPercentBp(plan_ms[k].bp);
               ms[k].setDescription(plan_ms[k].what);
             }
           });
    });
  }

  // Monthly reports, filed on the 5th of the next month.
  auto report =
      std::make_shared<std::map<std::pair<uint64_t, int>, uint64_t>>();
  auto fill_report = [](const Project& pr, int month, uint16_t bp,
                        schema::ProgressReported::Builder r) {
    const Curve& c = pr.curve;
    const uint16_t true_bp = c[static_cast<size_t>(month - 3)];
    r.setProject(pr.ref);
    SetDate(
        r.initAsOf(), 2025, month,
        projections::CivilFromDays(
            projections::DaysFromCivil(projections::Date{
                month == 12 ? 2026 : 2025, month == 12 ? 1 : month + 1, 1}) -
            1)
            .day);
    r.setPercentBp(bp);
    // Money follows the true progress (a mistyped percentage does not move
    // the accounts); the adjusted budget applies from September.
    int64_t budget = pr.budget_fen;
    if (pr.core->name == kAdjustedProject && month >= 9) {
      budget = kAdjustedBudgetFen;
    }
    r.setSpentFen(budget / 10000 * true_bp * 92 / 100);
    r.setStarted(true_bp > 0);
    r.setNarrative(
        Narrative(pr.core->content, true_bp,
                  pr.core->name == kLateProject && month >= 6 && month <= 9));
    const std::string month_name = "2025年" + std::to_string(month) + "月";
    const std::string photo =
        pr.core->name + "施工现场照片-" + month_name + ".jpg";
    const std::string sheet = pr.core->name + "进度报表-" + month_name + ".pdf";
    auto ev = r.initEvidence(2);
    const crypto::Hash h1 = EvidenceHash(photo);
    const crypto::Hash h2 = EvidenceHash(sheet);
    ev[0].setSha256(capnp::Data::Reader(h1.data(), h1.size()));
    ev[0].setName(photo);
    ev[0].setMediaType("image/jpeg");
    ev[1].setSha256(capnp::Data::Reader(h2.data(), h2.size()));
    ev[1].setName(sheet);
    ev[1].setMediaType("application/pdf");
  };
  for (int month = 3; month <= 12; ++month) {
    for (const Project& pr : projects) {
      const int64_t day = month == 12 ? CstMs(2026, 1, 5, 9, 0)
                                      : CstMs(2025, month + 1, 5, 9, 0);
      const int64_t at =
          day + (pr.place == 0 ? 0 : 4 * 60 * kMinute) +
          static_cast<int64_t>(pr.index + (pr.place == 2 ? 6 : 0)) * 10 *
              kMinute;
      add(at, [this, &pr, month, at, report, fill_report] {
        uint16_t bp = pr.curve[static_cast<size_t>(month - 3)];
        if (pr.core->name == kCorrectedProject && month == 5) {
          bp = kMistypedPercentBp;  // the slip the correction fixes
        }
        (*report)[{pr.ref, month}] =
            EmitAsAgency(Stage::kSupervision, at, pr.place, pr.ref,
                         [&](schema::Event::Builder e) {
                           fill_report(pr, month, bp, e.initProgressReported());
                         });
      });
    }
  }

  auto find = [&](int place, const char* name) -> const Project& {
    for (const Project& pr : projects) {
      if (pr.place == place && pr.core->name == name) return pr;
    }
    std::abort();  // the story names only its own projects
  };
  const Project& corrected = find(0, kCorrectedProject);
  const Project& late = find(0, kLateProject);
  const Project& adjusted = find(0, kAdjustedProject);
  const Project& kindergarten = find(0, "县城区公办幼儿园扩容工程");

  add(CstMs(2025, 6, 6, 10, 0), [&, report, fill_report] {
    const uint64_t target = report->at({corrected.ref, 5});
    landmarks_.correction = EmitAsAgency(
        kS, CstMs(2025, 6, 6, 10, 0), 0, corrected.ref,
        [&](schema::Event::Builder e) {
          auto c = e.initCorrection();
          c.setTarget(target);
          c.setReason(
              "5月进度数据录入错误：经县住房和城乡建设局核对施工台账，截至5月"
              "31日实际完成26%，误录为62%，予以更正。原记录保留备查。");
          fill_report(corrected, 5, kCorrectedPercentBp,
                      c.initReplacement().initProgressReported());
        });
  });
  add(CstMs(2025, 8, 20, 10, 0), [&] {
    Emit(
        kS, CstMs(2025, 8, 20, 10, 0), Role::INSPECTION_GROUP, 0,
        [&](schema::Event::Builder e) {
          auto in = e.initInspectionRecorded();
          SetRefs(in.initProjects(3),
                  {late.ref, kindergarten.ref, adjusted.ref});
          SetDate(in.initInspectedOn(), 2025, 8, 20);
          in.setGroup(
              "县人大常委会代表视察组（组长：县人大常委会副主任 杨建设，"
              "县人大代表12名）");
          in.setFindings(
              "城东幼儿园主体封顶，预计秋季学期可投入使用；城南农贸市场提升改造"
              "截至7月底仅完成38%，低于“7月底过半”的要求，摊位过渡安置滞后；"
              "雨污分流改造人民路段受7月28日特大暴雨影响塌陷，需调整线路。");
        });
  });
  add(CstMs(2025, 8, 25, 10, 0), [&] {
    landmarks_.late_notice = Emit(
        kS, CstMs(2025, 8, 25, 10, 0), Role::STANDING_COMMITTEE, 0,
        [&](schema::Event::Builder e) {
          auto n = e.initSupervisionNoticeIssued();
          n.setProject(late.ref);
          SetDate(n.initIssuedOn(), 2025, 8, 25);
          SetDate(n.initDueBy(), 2025, 9, 30);
          n.setText(
              "督办通知：城南农贸市场提升改造进度滞后于“7月底完成50%”的节点"
              "要求。请县商务局于9月30日前书面报告滞后原因和赶工措施，确保10月"
              "底完成75%、年底前完工验收。");
        });
  });
  add(CstMs(2025, 8, 28, 15, 0), [&] {
    Emit(kS, CstMs(2025, 8, 28, 15, 0), Role::STANDING_COMMITTEE, 0,
         [&](schema::Event::Builder e) {
           auto a = e.initAdjustmentDecided();
           a.setProject(adjusted.ref);
           a.setKind(schema::AdjustmentKind::ADJUST);
           a.setForceMajeure(
               "2025年7月28日特大暴雨致人民路段路基塌陷，原设计管线路由无法施"
               "工");
           a.setLegalBasis(
               "《清河县民生实事项目人大代表票决制实施办法》第二十二条（因不可"
               "抗力"
               "需调整的，由县人民政府提请县人大常委会决定）；县人大常委会第三"
               "十一"
               "次会议决定");
           a.setDecision(
               "人民路段1."
               "2公里管网改由和平街敷设，投资由2200万元调整为2350万元，"
               "完工时间不变");
           SetDate(a.initDecidedOn(), 2025, 8, 28);
           a.setNewBudgetFen(kAdjustedBudgetFen);
         });
  });
  add(CstMs(2025, 9, 18, 10, 0), [&] {
    const Project& first = find(1, "柳林镇中心幼儿园户外活动场地改造");
    const Project& second = find(1, "村级互助养老幸福院建设");
    Emit(kS, CstMs(2025, 9, 18, 10, 0), Role::INSPECTION_GROUP, 1,
         [&](schema::Event::Builder e) {
           auto in = e.initInspectionRecorded();
           SetRefs(in.initProjects(2), {first.ref, second.ref});
           SetDate(in.initInspectedOn(), 2025, 9, 18);
           in.setGroup("柳林镇人大主席团代表视察组");
           in.setFindings(
               "两个项目均按计划推进，幸福院助餐服务需尽快确定运营主体。");
         });
  });
  // Acceptance (验收) in December; the late project last.
  for (const Project& pr : projects) {
    int day = 15 + static_cast<int>(pr.index);
    if (pr.place == 0 && pr.core->name == kLateProject) day = 26;
    const int64_t at =
        CstMs(2025, 12, day, pr.place == 0 ? 10 : 15, pr.place * 20);
    add(at, [this, &pr, at, day] {
      Emit(Stage::kSupervision, at, Role::GOVERNMENT_OFFICE, pr.place,
           [&](schema::Event::Builder e) {
             auto a = e.initAcceptanceRecorded();
             a.setProject(pr.ref);
             SetDate(a.initAcceptedOn(), 2025, 12, day);
             a.setPassed(true);
             a.setNotes(
                 "由发改、财政、住建、审计和责任单位组成验收组，邀请人大"
                 "代表参加，现场查验工程质量和资料，验收合格。");
           });
    });
  }
  std::stable_sort(acts.begin(), acts.end(),
                   [](const Act& a, const Act& b) { return a.at < b.at; });
  for (const Act& act : acts) act.run();
}

// --- evaluation -------------------------------------------------------------

Status Story::SatisfactionVote(int place, int64_t day) {
  CycleStory& cs = cycles_[place];
  const SatisfactionFacts& f = SatisfactionVotes()[place];
  std::vector<uint64_t> items;
  for (const std::string& name : f.projects) {
    uint64_t ref = 0;
    for (uint64_t e : cs.elected) {
      if (cs.cores[cs.core_of.at(e)].name == name) ref = e;
    }
    if (ref == 0) {
      return InvalidArgument("satisfaction vote of " + f.jurisdiction +
                             " rates " + name + ", which was not elected");
    }
    items.push_back(ref);
  }
  const Stage kE = Stage::kEvaluation;
  int64_t at = day;
  const uint64_t vote = Emit(
      kE, at, Role::STANDING_COMMITTEE, place, [&](schema::Event::Builder e) {
        auto v = e.initVotingRulesAdopted();
        v.setCycle(cs.cycle);
        v.setPurpose(schema::VotePurpose::SATISFACTION);
        v.setEntitledDeputies(f.entitled);
        auto q = v.initQuorum();
        q.setNumerator(2);
        q.setDenominator(3);
        v.setPassBase(schema::PassBase::ENTITLED);
        SetRefs(v.initItems(items.size()), items);
        v.setExactlyHalfPasses(false);
        const auto d = projections::DateFromMs(at);
        SetDate(v.initAdoptedOn(), d.year, d.month, d.day);
        v.setText(
            std::string(places_[place].congress_next) +
            "2025年民生实事项目满意度测评办法：无记名投票，对每个项目选择满"
            "意、基本满意、不满意或弃权；满意票超过全体代表半数的为满意，满"
            "意与基本满意票之和超过半数的为基本满意，其余（含恰好半数）为不"
            "满意；结果当场宣布并公布。");
      });
  cs.votes_after = vote;
  at += place == 0 ? 47 * 60 * kMinute : 3 * 60 * kMinute;
  const uint64_t round =
      Emit(kE, at, Role::SECRETARIAT, place, [&](schema::Event::Builder e) {
        auto r = e.initRoundOpened();
        r.setVote(vote);
        r.setRound(1);
        SetRefs(r.initItems(items.size()), items);
        r.setPresentDeputies(f.present);
      });
  at += 5 * kMinute;
  uint32_t issued = 0, collected = 0, unreadable = 0;
  for (const BoxFacts& b : f.boxes) {
    issued += b.issued;
    collected += b.collected;
    unreadable += b.unreadable;
  }
  const uint32_t valid = collected - unreadable;
  const size_t n = items.size();
  std::vector<std::string> ballots(
      valid,
      std::string(n, static_cast<char>(projections::kMarkSatisfactionAbstain)));
  for (size_t i = 0; i < n; ++i) {
    const uint32_t offset = static_cast<uint32_t>(i * 53) % valid;
    uint32_t k = 0;
    auto mark = [&](uint32_t count, uint8_t m) {
      for (uint32_t j = 0; j < count; ++j, ++k) {
        ballots[(offset + k) % valid][i] = static_cast<char>(m);
      }
    };
    if (f.satisfied[i] + f.basically_satisfied[i] + f.unsatisfied[i] > valid) {
      return InvalidArgument("satisfaction table of " + f.jurisdiction +
                             " has more marks than valid ballots");
    }
    mark(f.satisfied[i], projections::kMarkSatisfied);
    mark(f.basically_satisfied[i], projections::kMarkBasicallySatisfied);
    mark(f.unsatisfied[i], projections::kMarkUnsatisfied);
  }
  RETURN_IF_ERROR(RecordBoxes(kE, place, round, at, f.boxes, std::move(ballots),
                              n, 2026'0100 + place, &at));
  at += 10 * kMinute;
  Emit(kE, at, Role::MONITOR, place, [&](schema::Event::Builder e) {
    auto t = e.initTallyCertified();
    t.setRound(round);
    t.setIssued(issued);
    t.setCollected(collected);
    t.setValid(valid);
    t.setInvalid(unreadable);
    auto out = t.initItems(n);
    for (size_t i = 0; i < n; ++i) {
      out[i].setItem(items[i]);
      out[i].setApprove(f.satisfied[i]);
      out[i].setOppose(f.basically_satisfied[i]);
      out[i].setAbstain(f.unsatisfied[i]);
      out[i].setSatisfactionAbstain(
          valid - f.satisfied[i] - f.basically_satisfied[i] - f.unsatisfied[i]);
    }
    SetTexts(t.initCertifiedBy(3),
             {"总计票人 周建国", "总监票人 张卫东", "监票人 李春燕"});
  });
  at += 10 * kMinute;
  Emit(kE, at, Role::PRESIDIUM, place, [&](schema::Event::Builder e) {
    auto r = e.initResultAnnounced();
    r.setRound(round);
    auto grades = r.initGrades(n);
    for (size_t i = 0; i < n; ++i) {
      // More than half of the entitled deputies; exactly half is not enough.
      schema::Grade g = schema::Grade::UNSATISFIED;
      if (uint64_t{f.satisfied[i]} * 2 > f.entitled) {
        g = schema::Grade::SATISFIED;
      } else if ((uint64_t{f.satisfied[i]} + f.basically_satisfied[i]) * 2 >
                 f.entitled) {
        g = schema::Grade::BASICALLY_SATISFIED;
      }
      grades[i].setItem(items[i]);
      grades[i].setGrade(g);
    }
    const auto d = projections::DateFromMs(at);
    SetDate(r.initAnnouncedOn(), d.year, d.month, d.day);
  });
  return Status::Ok();
}

Status Story::Evaluation() {
  const Stage kE = Stage::kEvaluation;
  for (int p = 0; p < 3; ++p) {
    CycleStory& cs = cycles_[p];
    for (size_t i = 0; i < cs.elected.size(); ++i) {
      const Core& core = cs.cores[cs.core_of.at(cs.elected[i])];
      const bool late = core.name == kLateProject;
      const auto cost = static_cast<uint16_t>(late ? 76 : 84 + (i * 3) % 9);
      const auto benefit = static_cast<uint16_t>(late ? 79 : 86 + (i * 5) % 11);
      Emit(kE,
           CstMs(2026, 1, 7 + p, 9, 0) + static_cast<int64_t>(i) * 10 * kMinute,
           Role::EVALUATION_GROUP, p, [&](schema::Event::Builder e) {
             auto s = e.initEvaluationScored();
             s.setProject(cs.elected[i]);
             s.setCostScore(cost);
             s.setBenefitScore(benefit);
             s.setOverallScore(
                 static_cast<uint16_t>((cost * 4 + benefit * 6) / 10));
             SetTexts(s.initEvaluators(4),
                      {"人大代表 " + std::string(kDeputies[i % 20]),
                       "人大代表 " + std::string(kDeputies[(i + 7) % 20]),
                       "第三方评估机构 清河县工程咨询中心", "群众代表 2名"});
             s.setNotes(late ? "项目建成后市场环境明显改善，但工期滞后、排水沟"
                               "盖板和摊位分配仍有群众意见。"
                             : "项目按期完成，资金使用规范，群众受益面广。");
           });
    }
  }
  RETURN_IF_ERROR(SatisfactionVote(0, CstMs(2026, 1, 13, 10, 0)));
  RETURN_IF_ERROR(SatisfactionVote(1, CstMs(2026, 1, 20, 9, 0)));
  RETURN_IF_ERROR(SatisfactionVote(2, CstMs(2026, 1, 21, 9, 0)));

  CycleStory& county = cycles_[0];
  landmarks_.county_satisfaction_vote = county.votes_after;
  uint64_t project = 0;
  for (uint64_t e : county.elected) {
    if (county.cores[county.core_of.at(e)].name == kRectifiedProject) {
      project = e;
    }
  }
  const uint64_t order = Emit(
      kE, CstMs(2026, 1, 23, 10, 0), Role::STANDING_COMMITTEE, 0,
      [&](schema::Event::Builder e) {
        auto r = e.initRectificationOrdered();
        r.setProject(project);
        SetDate(r.initOrderedOn(), 2026, 1, 23);
        SetDate(r.initDeadline(), 2026, 4, 30);
        r.setRequirements(
            "满意度测评为基本满意。请县商务局于4月30日前完成整改：更换破损排水"
            "沟盖板，公开摊位分配规则并重新公示，延长公厕开放时间，书面报告县人"
            "大常委会。");
      });
  // "回头看": the government reports on how a delivered project runs.
  uint64_t canteens = 0;
  for (uint64_t e : county.elected) {
    if (county.cores[county.core_of.at(e)].name == kReviewedProject) {
      canteens = e;
    }
  }
  Emit(kE, CstMs(2026, 3, 20, 10, 0), Role::GOVERNMENT_OFFICE, 0,
       [&](schema::Event::Builder e) {
         auto r = e.initOperationReviewed();
         r.setProject(canteens);
         SetDate(r.initReviewedOn(), 2026, 3, 20);
         r.setText(
             "28个老年助餐点全部正常运营，日均就餐老人2160人次，其中农村助餐点"
             "11个由村集体与志愿者共同运营；3个山区助餐点就餐人数偏少，拟调整为"
             "送餐上门。");
       });
  EmitAsAgency(
      kE, CstMs(2026, 4, 24, 10, 0), 0, project, [&](schema::Event::Builder e) {
        auto r = e.initRectificationReported();
        r.setOrder(order);
        SetDate(r.initReportedOn(), 2026, 4, 24);
        r.setCompleted(true);
        r.setText(
            "已更换排水沟盖板420米；摊位分配规则经商户大会讨论后公示7天，无异"
            "议；公厕开放时间延长至晚8时。整改完成，请县人大常委会审议。");
      });
  return Status::Ok();
}

Status Story::Tell() {
  Deployment();
  OpenCycles();
  landmarks_.county_cycle = cycles_[0].cycle;
  Collection();
  Merges(0, CstMs(2024, 12, 2, 9, 0));
  Merges(1, CstMs(2024, 12, 3, 9, 0));
  Merges(2, CstMs(2024, 12, 3, 14, 0));
  GovernmentReview(0, CstMs(2024, 12, 9, 9, 0), 5);
  GovernmentReview(1, CstMs(2024, 12, 16, 9, 0), 1);
  GovernmentReview(2, CstMs(2024, 12, 17, 9, 0), 1);
  LaterReview(0, 2, CstMs(2024, 12, 27, 15, 0));
  LaterReview(1, 2, CstMs(2024, 12, 30, 9, 0));
  LaterReview(2, 2, CstMs(2024, 12, 30, 15, 0));
  LaterReview(0, 3, CstMs(2025, 1, 7, 9, 30));
  LaterReview(1, 3, CstMs(2025, 1, 8, 9, 0));
  LaterReview(2, 3, CstMs(2025, 1, 8, 15, 0));
  CandidateList(0, CstMs(2025, 1, 9, 10, 0), 10);
  CandidateList(1, CstMs(2025, 1, 10, 9, 0), 12);
  CandidateList(2, CstMs(2025, 1, 10, 10, 0), 12);
  RETURN_IF_ERROR(Vote(0, CstMs(2025, 1, 17, 9, 0)));
  landmarks_.county_selection_vote = cycles_[0].vote;
  RETURN_IF_ERROR(Vote(1, CstMs(2025, 1, 22, 9, 0)));
  RETURN_IF_ERROR(Vote(2, CstMs(2025, 1, 23, 9, 0)));
  Supervision();
  return Evaluation();
}

}  // namespace

Status TellStory(EventSink& sink, const Place (&places)[3],
                 Landmarks* landmarks) {
  Story story(sink, places, landmarks);
  return story.Tell();
}

Status TellStory(Writer& writer, Landmarks* landmarks) {
  return TellStory(writer, kPlaces, landmarks);
}

}  // namespace piaojue::demo::internal
