// State snapshots: the model as deterministic JSON.
//
//   snapshot = {"format": "piaojue-projections-snapshot/2",
//               "size": N, "lastEntryHash": hex(SHA-256 of entry N-1),
//               "model": <every record, maps as [key, value] pairs>}
//
// nlohmann::json objects keep keys sorted, std::map iterates in key order and
// vectors keep log order, so equal states serialize to equal bytes.
#include <nlohmann/json.hpp>

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

// The shared containers serialize as the std containers they replaced did
// (snapshot bytes unchanged): a map keyed by integers as [key, value] pairs
// in key order, the entries as an array.
template <typename T>
void to_json(nlohmann::json& j, const Shared<T>& s) {
  j = *s;
}
template <typename T>
void from_json(const nlohmann::json& j, Shared<T>& s) {
  j.get_to(s.mut());
}
template <typename V>
void to_json(nlohmann::json& j, const IndexMap<V>& m) {
  j = nlohmann::json::array();
  for (const auto& [k, v] : m) j.push_back(nlohmann::json::array({k, v}));
}
template <typename V>
void from_json(const nlohmann::json& j, IndexMap<V>& m) {
  if (!j.is_array()) throw std::invalid_argument("expected an array of pairs");
  for (const nlohmann::json& pair : j) {
    if (!pair.is_array() || pair.size() != 2) {
      throw std::invalid_argument("expected a [key, value] pair");
    }
    m.emplace(pair.at(0).get<uint64_t>(), pair.at(1).get<V>());
  }
}
struct EntryMeta;
void to_json(nlohmann::json& j, const IndexMap<EntryMeta>& m);
void from_json(const nlohmann::json& j, IndexMap<EntryMeta>& m);

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EntryMeta, kind, jurisdiction, author,
                                   signed_at_ms, recorded_at_ms, owner,
                                   retracted, corrections)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Touch, entry, relation)
void to_json(nlohmann::json& j, const IndexMap<EntryMeta>& m) {
  j = nlohmann::json::array();
  for (const auto& [k, v] : m) j.push_back(v);
}
void from_json(const nlohmann::json& j, IndexMap<EntryMeta>& m) {
  if (!j.is_array()) throw std::invalid_argument("expected an array");
  for (const nlohmann::json& e : j) m.push_back(e.get<EntryMeta>());
}

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
                                   receipt_ref, received_on, merge_reason,
                                   sources, merged_into, screening, candidate,
                                   elected_round)
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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Model, size, last_recorded_at_ms,
                                   last_entry_hash, origin, deployment_name,
                                   jurisdictions, authors, key_holders,
                                   key_grants, entries, touches, cycles,
                                   proposals, votes, deliberations, rounds,
                                   boxes, projects, inspections, rectifications,
                                   corrections, retracted_proposals)

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

template <typename Rec>
const Rec* FindEntry(const std::vector<Rec>& v, uint64_t entry) {
  for (const Rec& r : v) {
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
    case Which::SCREENING_DECIDED:
      if (!m.proposals.count(owner)) return nullptr;
      for (const ScreeningRec& r : m.proposals.at(owner).screening) {
        if (r.entry == target) return Without(&r, {"entry"});
      }
      return nullptr;
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

namespace {

constexpr std::string_view kSnapshotFormat = "piaojue-projections-snapshot/2";

using internal::kNoRef;
using internal::Model;

// The fold and the views follow the model's indices and references without
// checking them (the rules guaranteed them when the entries were applied).
// A snapshot is a file anyone with disk access can damage or edit, so before
// it is used every index must be in range and every reference must name a
// record of the right kind: otherwise the snapshot is Corruption and the
// state is rebuilt from the log. (A consistent but false snapshot is not
// detected here: snapshots are a cache; the verifier never reads them.)
Status CheckConsistent(const Model& m) {
  const uint64_t n = m.entries.size();
  std::string why;
  auto fail = [&](std::string what) {
    if (why.empty()) why = std::move(what);
  };
  auto in_log = [&](uint64_t ref, const char* what) {
    if (ref >= n) fail(std::string(what) + " " + std::to_string(ref));
  };
  auto ref_or_none = [&](uint64_t ref, const char* what) {
    if (ref != kNoRef) in_log(ref, what);
  };
  auto names = [&](const auto& records, uint64_t ref, const char* what) {
    if (!records.count(ref)) {
      fail(std::string(what) + " " + std::to_string(ref) + " is missing");
    }
  };
  auto none_or = [&](const auto& records, uint64_t ref, const char* what) {
    if (ref != kNoRef) names(records, ref, what);
  };
  auto keyed = [&](const auto& records, const char* what) {
    for (const auto& [key, rec] : records) {
      if (key >= n || key == kNoRef || rec.ref != key) {
        fail(std::string(what) + " " + std::to_string(key) +
             " is not keyed by its own entry");
      }
    }
  };
  for (uint64_t i = 0; i < n; ++i) {
    const internal::EntryMeta& e = m.entries[i];
    if (e.author >= m.authors.size()) {
      fail("entry " + std::to_string(i) + " names an unknown author");
    }
    in_log(e.owner, "owner");
    for (uint64_t c : e.corrections) {
      if (c <= i || c >= n) fail("entry " + std::to_string(i) + " correction");
    }
  }
  for (const auto& [record, touches] : m.touches) {
    in_log(record, "touched record");
    for (const internal::Touch& t : touches) in_log(t.entry, "touch");
  }
  keyed(m.cycles, "cycle");
  keyed(m.proposals, "proposal");
  keyed(m.votes, "vote");
  keyed(m.deliberations, "deliberation");
  keyed(m.rounds, "round");
  keyed(m.boxes, "box");
  keyed(m.projects, "project");
  keyed(m.inspections, "inspection");
  keyed(m.rectifications, "rectification");
  keyed(m.retracted_proposals, "retracted proposal");
  for (const auto& [entry, c] : m.corrections) {
    if (entry >= n || c.entry != entry || c.target >= entry || c.owner >= n) {
      fail("correction " + std::to_string(entry) + " is out of place");
    }
  }
  for (const auto& [ref, c] : m.cycles) {
    for (uint64_t p : c.proposals) names(m.proposals, p, "cycle proposal");
    for (uint64_t p : c.retracted_proposals) {
      names(m.retracted_proposals, p, "retracted proposal");
    }
    for (const internal::CandidateRec& cand : c.candidates) {
      names(m.proposals, cand.proposal, "candidate");
    }
    ref_or_none(c.candidate_list, "candidate list");
    none_or(m.votes, c.selection_vote, "selection vote");
    for (uint64_t v : c.votes) names(m.votes, v, "cycle vote");
    for (uint64_t d : c.deliberations) {
      names(m.deliberations, d, "deliberation");
    }
    for (uint64_t p : c.projects) names(m.projects, p, "cycle project");
  }
  for (const auto& [ref, p] : m.proposals) {
    names(m.cycles, p.cycle, "proposal cycle");
    for (uint64_t s : p.sources) names(m.proposals, s, "merge source");
    none_or(m.proposals, p.merged_into, "merged into");
    for (const internal::ScreeningRec& r : p.screening) {
      ref_or_none(r.entry, "screening");
    }
    none_or(m.rounds, p.elected_round, "elected round");
  }
  for (const auto& [ref, v] : m.votes) {
    names(m.cycles, v.cycle, "vote cycle");
    for (uint64_t r : v.rounds) names(m.rounds, r, "vote round");
    for (uint64_t item : v.items) names(m.proposals, item, "rated item");
  }
  for (const auto& [ref, d] : m.deliberations) {
    names(m.cycles, d.cycle, "deliberation cycle");
  }
  for (const auto& [ref, r] : m.rounds) {
    names(m.votes, r.vote, "round vote");
    for (uint64_t b : r.boxes) names(m.boxes, b, "round box");
    for (uint64_t item : r.items) names(m.proposals, item, "round item");
    for (uint64_t e : r.elected) names(m.proposals, e, "elected");
    for (const auto& [item, grade] : r.grades) {
      names(m.projects, item, "graded");
    }
    ref_or_none(r.tally, "tally");
    ref_or_none(r.result, "result");
    ref_or_none(r.voided, "void");
  }
  for (const auto& [ref, b] : m.boxes) {
    names(m.rounds, b.round, "box round");
    ref_or_none(b.opened, "box opening");
    for (uint64_t part : b.parts) in_log(part, "ballots");
    if (m.rounds.count(b.round) &&
        b.count.items.size() != m.rounds.at(b.round).items.size()) {
      fail("box " + std::to_string(ref) + " counts the wrong items");
    }
  }
  for (const auto& [ref, p] : m.projects) {
    names(m.proposals, ref, "project proposal");
    names(m.cycles, p.cycle, "project cycle");
    none_or(m.rounds, p.elected_round, "project round");
    ref_or_none(p.plan.entry, "plan");
    for (const auto& r : p.progress) in_log(r.entry, "progress");
    for (uint64_t i : p.inspections) names(m.inspections, i, "inspection");
    for (const auto& r : p.notices) in_log(r.entry, "notice");
    for (const auto& r : p.adjustments) in_log(r.entry, "adjustment");
    for (const auto& r : p.acceptances) in_log(r.entry, "acceptance");
    for (const auto& r : p.evaluations) in_log(r.entry, "evaluation");
    for (uint64_t r : p.rectifications) {
      names(m.rectifications, r, "rectification");
    }
    for (const auto& r : p.reviews) in_log(r.entry, "review");
    for (const auto& g : p.grades) names(m.rounds, g.round, "grade round");
  }
  for (const auto& [ref, i] : m.inspections) {
    for (uint64_t p : i.projects) names(m.projects, p, "inspected project");
  }
  for (const auto& [ref, r] : m.rectifications) {
    names(m.projects, r.project, "rectified project");
    for (const auto& rep : r.reports) in_log(rep.entry, "rectification report");
  }
  if (!why.empty()) return Corruption("inconsistent snapshot: " + why);
  return Status::Ok();
}

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
    RETURN_IF_ERROR(CheckConsistent(m));
    for (uint32_t i = 0; i < m.authors.size(); ++i) {
      m.author_ids.mut().emplace(m.authors[i], i);
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
