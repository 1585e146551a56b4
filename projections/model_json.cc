// The model's records as JSON: what a correction shows of its target's
// content before and after (TargetContentJson). Not the snapshot: that is
// binary, projections/snapshot.cc.
//
// nlohmann::json objects keep keys sorted, std::map iterates in key order and
// vectors keep log order, so equal records give equal texts.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <type_traits>

#include "projections/internal/model.h"
#include "projections/internal/rules.h"
#include "projections/state.h"

namespace piaojue::projections {

// Dates as [year, month, day]: exact for the unset date too.
void to_json(nlohmann::json& j, const Date& d) {
  j = nlohmann::json::array({d.year, d.month, d.day});
}
void from_json(const nlohmann::json& j, Date& d) {
  d.year = j.at(0).get<int32_t>();
  d.month = j.at(1).get<int32_t>();
  d.day = j.at(2).get<int32_t>();
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ItemCount, item, approve, oppose, abstain,
                                   satisfaction_abstain)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BallotCount, read, unreadable, valid,
                                   invalid, items)

namespace internal {

void to_json(nlohmann::json& j, const CompactText& t) { j = t.view(); }
void to_json(nlohmann::json& j, const CompactDate& d) { j = d.date(); }
void from_json(const nlohmann::json& j, CompactDate& d) { d = j.get<Date>(); }
void from_json(const nlohmann::json& j, CompactText& t) {
  t = j.get_ref<const std::string&>();
}

// The lists that grow with the log (AppendList) and the short ones
// (CompactList) show as the arrays they are.
template <typename L>
struct IsModelList : std::false_type {};
template <typename T>
struct IsModelList<AppendList<T>> : std::true_type {};
template <typename T>
struct IsModelList<CompactList<T>> : std::true_type {};
template <>
struct IsModelList<VersionList> : std::true_type {};

template <typename L>
requires IsModelList<L>::value void to_json(nlohmann::json& j, const L& l) {
  j = nlohmann::json::array();
  for (const auto& v : l) j.push_back(v);
}
template <typename L>
requires IsModelList<L>::value void from_json(const nlohmann::json& j, L& l) {
  if (!j.is_array()) throw std::invalid_argument("expected an array");
  l.clear();
  for (const nlohmann::json& e : j) {
    l.push_back(e.get<typename L::value_type>());
  }
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Touch, entry, relation)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(JurisdictionRec, code, name, level, parent,
                                   registered_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MilestoneRule, due, min_percent_bp,
                                   must_start, must_be_accepted, label)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CandidateRec, proposal, name, content,
                                   agency, investment_fen, requirements)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CycleRec, ref, jurisdiction, year, level,
                                   title, budget_fen, project_count,
                                   collection_start, collection_end, scope,
                                   backfill, backfill_reason, schedule,
                                   proposals, candidate_list, candidates,
                                   list_sent_on, selection_vote, votes,
                                   deliberations, projects)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Eligibility, own_budget, broad_benefit,
                                   completable_in_year, not_major_engineering,
                                   land_policy_funding_secured)

// A proposal's view texts (ProposalTexts) shown where they always were: in
// its details, among its own fields and in each screening stage.
static nlohmann::json ScreeningJson(const ProposalRec& p, size_t stage) {
  const ScreeningRec& s = p.screening[stage];
  return {{"entry", s.entry},
          {"outcome", s.outcome},
          {"reason_code", s.reason_code},
          {"reason_text", p.texts().reason_text[stage]},
          {"eligibility", s.eligibility}};
}
void to_json(nlohmann::json& j, const ProposalRec& p) {
  const Details& d = p.details;
  const ProposalTexts& t = p.texts();
  nlohmann::json screening = nlohmann::json::array();
  for (size_t i = 0; i < p.screening.size(); ++i) {
    screening.push_back(ScreeningJson(p, i));
  }
  j = {{"ref", p.ref},
       {"cycle", p.cycle},
       {"merged", p.merged},
       {"details",
        {{"title", std::string(d.title())},
         {"description", t.description},
         {"category", d.category},
         {"location", std::string(d.location())},
         {"investment_fen", d.investment_fen},
         {"funding_source", d.funding_source},
         {"funding_note", t.funding_note},
         {"expected_completion", d.expected_completion}}},
       {"proposer_type", p.proposer_type},
       {"proposer_name", t.proposer_name},
       {"channel", p.channel},
       {"receipt_ref", t.receipt_ref},
       {"received_on", p.received_on},
       {"merge_reason", t.merge_reason},
       {"sources", p.sources},
       {"merged_into", p.merged_into},
       {"screening", std::move(screening)},
       {"candidate", p.candidate},
       {"elected_round", p.elected_round}};
}
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VoteRec, ref, cycle, purpose, seats,
                                   extra_candidates, entitled, quorum_num,
                                   quorum_den, pass_base, tie_rule,
                                   shortfall_rule, max_approvals, items,
                                   exactly_half_passes, min_ballots_per_box,
                                   revote_reason, adopted_on, text, rounds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeliberationRec, ref, cycle, session,
                                   held_on, summary)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BoxRec, ref, round, label, monitors, opened,
                                   issued, collected, opened_monitors,
                                   part_count, parts, count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CertifiedTally, issued, collected, valid,
                                   invalid, items, certified_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoundRec, ref, vote, number, items, seats,
                                   present, max_approvals, boxes, tally,
                                   certified, result, elected, tied, vacant,
                                   grades, announced_on, voided, void_reason,
                                   voided_on)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PlanMilestoneRec, due, percent_bp,
                                   description)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PlanRec, entry, agency, leader, plan,
                                   budget_fen, milestones)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AttachmentRec, sha256, name, media_type)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProgressVersion, recorded_on, percent_bp,
                                   started)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProgressRec, entry, as_of, percent_bp,
                                   spent_fen, started, narrative, evidence,
                                   versions)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NoticeRec, entry, issued_on, due_by, text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AdjustmentRec, entry, kind, force_majeure,
                                   legal_basis, decision, decided_on,
                                   new_budget_fen, new_completion)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AcceptanceRec, entry, accepted_on, passed,
                                   notes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EvaluationRec, entry, cost, benefit, overall,
                                   evaluators, notes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ReviewRec, entry, reviewed_on, text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(GradeRec, round, grade)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProjectRec, ref, cycle, elected_round, plan,
                                   progress, inspections, notices, adjustments,
                                   acceptances, evaluations, rectifications,
                                   reviews, grades)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(InspectionRec, ref, projects, inspected_on,
                                   group, findings)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RectReportRec, entry, reported_on, completed,
                                   text)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RectificationRec, ref, project, ordered_on,
                                   deadline, requirements, reports)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(KeyGrantRec, role, jurisdiction)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CorrectionRec, entry, target, owner, reason,
                                   retraction, before, after)
namespace {

// The fields of `j` named in `keys` (those it has).
nlohmann::json Pick(const nlohmann::json& j,
                    std::initializer_list<const char*> keys) {
  nlohmann::json out = nlohmann::json::object();
  for (const char* k : keys) {
    if (j.contains(k)) out[k] = j.at(k);
  }
  return out;
}

template <typename List>  // a std::vector or AppendList of records
const typename List::value_type* FindEntry(const List& v, uint64_t entry) {
  for (const auto& r : v) {
    if (r.entry == entry) return &r;
  }
  return nullptr;
}

template <typename Rec>
nlohmann::json Without(const Rec* rec,
                       std::initializer_list<const char*> keys) {
  if (rec == nullptr) return nullptr;
  nlohmann::json j = *rec;
  for (const char* k : keys) j.erase(k);
  return j;
}

nlohmann::json TargetContent(const Model& m, uint64_t target) {
  using Which = schema::Event::Which;
  if (target >= m.entries.size()) return nullptr;
  const uint64_t owner = m.entries[target].owner;
  auto project = [&]() -> const ProjectRec* {
    auto it = m.projects.find(owner);
    return it == m.projects.end() ? nullptr : &it->second;
  };
  switch (m.entries[target].kind) {
    case Which::CYCLE_OPENED:
      if (!m.cycles.count(target)) return nullptr;
      return Pick(m.cycles.at(target),
                  {"year", "level", "title", "budget_fen", "project_count",
                   "collection_start", "collection_end", "scope", "backfill",
                   "backfill_reason", "schedule"});
    case Which::PROPOSAL_SUBMITTED:
    case Which::PROPOSALS_MERGED:
      if (!m.proposals.count(target)) return nullptr;
      return Pick(m.proposals.at(target),
                  {"cycle", "details", "proposer_type", "proposer_name",
                   "channel", "receipt_ref", "received_on", "merge_reason"});
    case Which::SCREENING_DECIDED: {
      if (!m.proposals.count(owner)) return nullptr;
      const ProposalRec& p = m.proposals.at(owner);
      for (size_t i = 0; i < p.screening.size(); ++i) {
        if (p.screening[i].entry != target) continue;
        nlohmann::json j = ScreeningJson(p, i);
        j.erase("entry");
        return j;
      }
      return nullptr;
    }
    case Which::CANDIDATE_LIST_FIXED:
      for (const auto& [ref, c] : m.cycles) {
        if (c.candidate_list == target) {
          return Pick(c, {"candidates", "list_sent_on"});
        }
      }
      return nullptr;
    case Which::VOTING_RULES_ADOPTED:
      return m.votes.count(target)
                 ? Without(&m.votes.at(target), {"ref", "rounds"})
                 : nullptr;
    case Which::DELIBERATION_RECORDED:
      return m.deliberations.count(target)
                 ? Without(&m.deliberations.at(target), {"ref"})
                 : nullptr;
    case Which::ROUND_OPENED:
      if (!m.rounds.count(target)) return nullptr;
      return Pick(m.rounds.at(target),
                  {"vote", "number", "items", "seats", "present"});
    case Which::BALLOT_BOX_SEALED:
      if (!m.boxes.count(target)) return nullptr;
      return Pick(m.boxes.at(target), {"round", "label", "monitors"});
    case Which::BALLOT_BOX_OPENED:
      if (!m.boxes.count(owner) || m.boxes.at(owner).opened != target) {
        return nullptr;
      }
      return Pick(m.boxes.at(owner),
                  {"issued", "collected", "opened_monitors"});
    case Which::IMPLEMENTATION_PLANNED:
      if (project() == nullptr || project()->plan.entry != target) {
        return nullptr;
      }
      return Without(&project()->plan, {"entry"});
    case Which::PROGRESS_REPORTED:
      return project()
                 ? Without(FindEntry(project()->progress, target), {"entry"})
                 : nullptr;
    case Which::SUPERVISION_NOTICE_ISSUED:
      return project()
                 ? Without(FindEntry(project()->notices, target), {"entry"})
                 : nullptr;
    case Which::ADJUSTMENT_DECIDED:
      return project()
                 ? Without(FindEntry(project()->adjustments, target), {"entry"})
                 : nullptr;
    case Which::ACCEPTANCE_RECORDED:
      return project()
                 ? Without(FindEntry(project()->acceptances, target), {"entry"})
                 : nullptr;
    case Which::EVALUATION_SCORED:
      return project()
                 ? Without(FindEntry(project()->evaluations, target), {"entry"})
                 : nullptr;
    case Which::OPERATION_REVIEWED:
      return project()
                 ? Without(FindEntry(project()->reviews, target), {"entry"})
                 : nullptr;
    case Which::INSPECTION_RECORDED:
      return m.inspections.count(target)
                 ? Without(&m.inspections.at(target), {"ref"})
                 : nullptr;
    case Which::RECTIFICATION_ORDERED:
      return m.rectifications.count(target)
                 ? Without(&m.rectifications.at(target), {"ref", "reports"})
                 : nullptr;
    case Which::RECTIFICATION_REPORTED: {
      auto it = m.rectifications.find(owner);
      if (it == m.rectifications.end()) return nullptr;
      return Without(FindEntry(it->second.reports, target), {"entry"});
    }
    default:
      return nullptr;
  }
}

}  // namespace

std::string TargetContentJson(const Model& m, uint64_t target) {
  return TargetContent(m, target).dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace internal

}  // namespace piaojue::projections
