// State snapshots: the model as deterministic JSON.
//
//   snapshot = {"format": "piaojue-projections-snapshot/1",
//               "size": N, "lastEntryHash": hex(SHA-256 of entry N-1),
//               "model": <every record, maps as [key, value] pairs>}
//
// nlohmann::json objects keep keys sorted, std::map iterates in key order and
// vectors keep log order, so equal states serialize to equal bytes.
#include <nlohmann/json.hpp>

#include "projections/internal/model.h"
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

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EntryMeta, kind, jurisdiction, author,
                                   signed_at_ms, recorded_at_ms, owner,
                                   retracted, corrections)
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
                                   schedule, proposals, candidate_list,
                                   candidates, list_sent_on, selection_vote,
                                   votes, deliberations, projects)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Details, title, description, category,
                                   location, investment_fen, funding_source,
                                   funding_note, expected_completion)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Eligibility, own_budget, broad_benefit,
                                   completable_in_year, not_major_engineering,
                                   land_policy_funding_secured)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScreeningRec, entry, outcome, reason_code,
                                   reason_text, eligibility)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProposalRec, ref, cycle, merged, details,
                                   proposer_type, proposer_name, channel,
                                   receipt_ref, merge_reason, sources,
                                   merged_into, screening, candidate,
                                   elected_round)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VoteRec, ref, cycle, purpose, seats,
                                   extra_candidates, entitled, quorum_num,
                                   quorum_den, pass_base, tie_rule,
                                   shortfall_rule, max_approvals, items,
                                   exactly_half_passes, adopted_on, text,
                                   rounds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DeliberationRec, ref, cycle, session,
                                   held_on, summary)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(BoxRec, ref, round, label, monitors, opened,
                                   issued, collected, opened_monitors,
                                   part_count, parts, count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CertifiedTally, issued, collected, valid,
                                   invalid, items, certified_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RoundRec, ref, vote, number, items, seats,
                                   present, boxes, tally, certified, result,
                                   elected, tied, vacant, grades, announced_on)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PlanMilestoneRec, due, percent_bp,
                                   description)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PlanRec, entry, agency, leader, plan,
                                   budget_fen, milestones)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(AttachmentRec, sha256, name, media_type)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProgressRec, entry, as_of, percent_bp,
                                   spent_fen, started, narrative, evidence)
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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Model, size, last_recorded_at_ms,
                                   last_entry_hash, origin, deployment_name,
                                   jurisdictions, authors, key_holders, entries,
                                   touches, cycles, proposals, votes,
                                   deliberations, rounds, boxes, projects,
                                   inspections, rectifications)

}  // namespace internal

namespace {
constexpr std::string_view kSnapshotFormat = "piaojue-projections-snapshot/1";
}  // namespace

std::string State::Serialize() const {
  nlohmann::json j;
  j["format"] = kSnapshotFormat;
  j["size"] = model_->size;
  j["lastEntryHash"] = model_->last_entry_hash;
  j["model"] = *model_;
  // Text was checked to be UTF-8 when its entry was accepted (rule
  // event.text_utf8); `replace` only keeps a state built without the rules
  // from throwing here.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<State> State::Deserialize(std::string_view bytes) {
  State state;
  try {
    const nlohmann::json j = nlohmann::json::parse(bytes);
    if (j.at("format").get<std::string>() != kSnapshotFormat) {
      return Corruption("not a piaojue projections snapshot (format " +
                        j.at("format").dump() + ")");
    }
    internal::Model m = j.at("model").get<internal::Model>();
    if (j.at("size").get<uint64_t>() != m.size || m.entries.size() != m.size ||
        j.at("lastEntryHash").get<std::string>() != m.last_entry_hash) {
      return Corruption("snapshot header disagrees with its contents");
    }
    for (uint32_t i = 0; i < m.authors.size(); ++i) {
      m.author_ids.emplace(m.authors[i], i);
    }
    *state.model_ = std::move(m);
  } catch (const std::exception& e) {
    // nlohmann::json reports malformed input by throwing; this is the
    // boundary where that becomes a value.
    return Corruption(std::string("malformed snapshot: ") + e.what());
  }
  return state;
}

}  // namespace piaojue::projections
