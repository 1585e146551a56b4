// Screening (审核 → 审定 → 审查) and the candidate list. See docs/RULES.md,
// "Screening" and "Candidate list".
#include <set>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

constexpr int kAdvance = static_cast<int>(schema::ScreeningOutcome::ADVANCE);
constexpr int kReject = static_cast<int>(schema::ScreeningOutcome::REJECT);

// The stage (1..3) whose decision entry `entry` wrote, or 0.
int StageWrittenBy(const ProposalRec& p, uint64_t entry) {
  for (int s = 0; s < kStages; ++s) {
    if (p.screening[s].entry == entry) return s + 1;
  }
  return 0;
}

}  // namespace

std::string StageName(int stage) {
  switch (stage) {
    case 1:
      return "government review (审核)";
    case 2:
      return "party committee approval (审定)";
    case 3:
      return "standing committee examination (审查)";
  }
  return "an unspecified stage";
}

bool PassedAllStages(const ProposalRec& p) {
  for (const ScreeningRec& s : p.screening) {
    if (s.entry == kNoRef || s.outcome != kAdvance) return false;
  }
  return true;
}

int RejectedAt(const ProposalRec& p) {
  for (int s = 0; s < kStages; ++s) {
    if (p.screening[s].entry != kNoRef && p.screening[s].outcome == kReject) {
      return s + 1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------
// screeningDecided

Status CheckScreeningDecided(const Model& m, const Ctx& ctx,
                             schema::ScreeningDecided::Reader e) {
  constexpr std::string_view kFields = "screening.fields";
  const int stage = static_cast<int>(e.getStage());
  if (stage < 1 || stage > kStages) {
    return Malformed(kFields, "the screening stage is missing or unknown");
  }
  const int outcome = static_cast<int>(e.getOutcome());
  if (outcome != kAdvance && outcome != kReject) {
    return Malformed(kFields, "the outcome (advance or reject) is missing");
  }
  const auto reason = static_cast<uint16_t>(e.getReasonCode());
  if (reason == 0 ||
      reason > static_cast<uint16_t>(schema::ReasonCode::OTHER)) {
    return Malformed(kFields, "the reason code is missing or unknown");
  }
  if (e.getReasonText().size() == 0) {
    return Malformed(kFields, "the reason must be written out (reasonText)");
  }
  const uint64_t ref = e.getProposal();
  RETURN_IF_ERROR(CheckRef(m, ctx, ref, RefKind::kProposal, "proposal"));
  const ProposalRec& p = m.proposals.at(ref);
  if (ctx.replacing) {
    const uint64_t owner = OwnerOf(m, ctx.index);
    if (owner != ref ||
        StageWrittenBy(m.proposals.at(owner), ctx.index) != stage) {
      return Refused("correction.same_subject",
                     "a corrected screening decision must concern the same "
                     "proposal and stage as entry " +
                         std::to_string(ctx.index));
    }
  }
  if (p.merged_into != kNoRef) {
    return Refused("screening.retired",
                   Describe(m, ref) + " was merged into proposal " +
                       std::to_string(p.merged_into) +
                       "; screen the merged proposal instead");
  }
  const int rejected = RejectedAt(p);
  if (rejected != 0 && rejected < stage) {
    return Refused("screening.stopped",
                   Describe(m, ref) + " was rejected at " +
                       StageName(rejected) + " by entry " +
                       std::to_string(p.screening[rejected - 1].entry) +
                       "; a rejected proposal goes no further");
  }
  if (stage > 1 && p.screening[stage - 2].entry == kNoRef) {
    return Refused("screening.order", Describe(m, ref) + " cannot go to " +
                                          StageName(stage) + " before " +
                                          StageName(stage - 1));
  }
  const ScreeningRec& here = p.screening[stage - 1];
  if (here.entry != kNoRef && here.entry != ctx.index) {
    return Refused("screening.twice",
                   StageName(stage) + " of " + Describe(m, ref) +
                       " was already decided by entry " +
                       std::to_string(here.entry) +
                       "; change a decision with a correction");
  }
  if (ctx.replacing && outcome == kReject) {
    for (int later = stage + 1; later <= kStages; ++later) {
      if (p.screening[later - 1].entry != kNoRef) {
        return Refused("correction.conflicts",
                       "cannot turn this decision into a rejection: " +
                           StageName(later) + " already decided on it (entry " +
                           std::to_string(p.screening[later - 1].entry) +
                           "); correct the later decision first");
      }
    }
    if (p.candidate) {
      return Refused("correction.conflicts",
                     "cannot turn this decision into a rejection: " +
                         Describe(m, ref) + " is on the candidate list");
    }
  }
  return Status::Ok();
}

void ApplyScreeningDecided(Model& m, const Ctx& ctx,
                           schema::ScreeningDecided::Reader e) {
  ProposalRec& p = m.proposals.mut(e.getProposal());
  ScreeningRec& s = p.screening.at(static_cast<size_t>(e.getStage()) - 1);
  s.entry = ctx.index;
  s.outcome = static_cast<int8_t>(e.getOutcome());
  s.reason_code = static_cast<int8_t>(e.getReasonCode());
  // The reason's words are only shown (views); no rule reads them, so a
  // rules-only state (the verifier's: a third of a province's entries are
  // screening decisions) does not keep them.
  if (m.keep_view_data) {
    p.mut_texts().reason_text.at(static_cast<size_t>(e.getStage()) - 1) =
        ledger::TextString(e.getReasonText());
  }
  auto el = e.getEligibility();
  s.eligibility.own_budget = el.getOwnBudget();
  s.eligibility.broad_benefit = el.getBroadBenefit();
  s.eligibility.completable_in_year = el.getCompletableInYear();
  s.eligibility.not_major_engineering = el.getNotMajorEngineering();
  s.eligibility.land_policy_funding_secured = el.getLandPolicyFundingSecured();
  if (ctx.replacing) return;
  m.entries.mut(ctx.index).owner = p.ref;
  m.Touched(p.ref, ctx.by, "screened");
}

// ---------------------------------------------------------------------------
// candidateListFixed

Status CheckCandidateListFixed(const Model& m, const Ctx& ctx,
                               schema::CandidateListFixed::Reader e) {
  auto list = e.getCandidates();
  if (list.size() == 0) {
    return Malformed("list.fields", "the candidate list is empty");
  }
  RETURN_IF_ERROR(CheckDate("list.fields", "sentToDeputiesOn",
                            e.getSentToDeputiesOn(), false));
  std::set<uint64_t> seen;
  for (auto c : list) {
    if (c.getName().size() == 0) {
      return Malformed(
          "list.fields",
          "candidate " + std::to_string(c.getProposal()) + " has no name");
    }
    if (c.getInvestmentFen() < 0) {
      return Malformed("list.fields", "candidate " +
                                          std::to_string(c.getProposal()) +
                                          " has a negative investment");
    }
    if (!seen.insert(c.getProposal()).second) {
      return Malformed("list.duplicate", "proposal " +
                                             std::to_string(c.getProposal()) +
                                             " is on the list twice");
    }
  }
  const uint64_t cycle_ref = e.getCycle();
  RETURN_IF_ERROR(CheckRef(m, ctx, cycle_ref, RefKind::kCycle, "cycle"));
  const CycleRec& cycle = m.cycles.at(cycle_ref);
  if (ctx.replacing) {
    if (cycle.candidate_list != ctx.index) {
      return Refused("correction.same_subject",
                     "a corrected candidate list must stay in cycle " +
                         std::to_string(cycle_ref));
    }
  } else if (cycle.candidate_list != kNoRef) {
    return Refused("list.fixed_once",
                   "the candidate list of " + Describe(m, cycle_ref) +
                       " was already fixed by entry " +
                       std::to_string(cycle.candidate_list) +
                       "; it can only be replaced by a correction before the "
                       "voting rules are adopted");
  }
  if (!cycle.votes.empty()) {
    return Refused("list.after_rules",
                   "the voting rules of " + Describe(m, cycle_ref) +
                       " were already adopted (entry " +
                       std::to_string(cycle.votes.front()) +
                       "); the candidate list can no longer change");
  }
  for (auto c : list) {
    const uint64_t ref = c.getProposal();
    RETURN_IF_ERROR(CheckRef(m, ctx, ref, RefKind::kProposal, "a candidate"));
    const ProposalRec& p = m.proposals.at(ref);
    if (p.cycle != cycle_ref) {
      return Refused("list.not_passed",
                     Describe(m, ref) + " belongs to cycle " +
                         std::to_string(p.cycle) + ", not to this cycle");
    }
    if (p.merged_into != kNoRef) {
      return Refused("list.not_passed", Describe(m, ref) +
                                            " was merged into proposal " +
                                            std::to_string(p.merged_into));
    }
    if (!PassedAllStages(p)) {
      int stage = 1;
      while (stage <= kStages && p.screening[stage - 1].entry != kNoRef &&
             p.screening[stage - 1].outcome == kAdvance) {
        ++stage;
      }
      const bool rejected = p.screening[stage - 1].entry != kNoRef;
      return Refused("list.not_passed",
                     Describe(m, ref) +
                         (rejected ? " was rejected at " : " has not passed ") +
                         StageName(stage) +
                         "; only proposals that passed all three screening "
                         "stages can be candidates");
    }
  }
  return Status::Ok();
}

void ApplyCandidateListFixed(Model& m, const Ctx& ctx,
                             schema::CandidateListFixed::Reader e) {
  CycleRec& cycle = m.cycles.mut(e.getCycle());
  for (const CandidateRec& old : cycle.candidates) {
    m.proposals.mut(old.proposal).candidate = false;
  }
  cycle.candidates.clear();
  for (auto c : e.getCandidates()) {
    CandidateRec r;
    r.proposal = c.getProposal();
    r.investment_fen = c.getInvestmentFen();
    // Only the views show a candidate's texts: a rules-only state keeps
    // none (Model::keep_view_data).
    if (m.keep_view_data) {
      r.name = ledger::TextView(c.getName());
      r.content = ledger::TextView(c.getContent());
      r.agency = ledger::TextView(c.getImplementingAgency());
      r.requirements = ledger::TextView(c.getRequirements());
    }
    m.proposals.mut(r.proposal).candidate = true;
    m.Touched(r.proposal, ctx.by, "listed");
    cycle.candidates.push_back(std::move(r));
  }
  cycle.list_sent_on = FromSchema(e.getSentToDeputiesOn());
  if (ctx.replacing) return;
  cycle.candidate_list = ctx.index;
  m.Touched(ctx.index, ctx.by, "created");
  m.Touched(cycle.ref, ctx.by, "candidateList");
}

}  // namespace piaojue::projections::internal
