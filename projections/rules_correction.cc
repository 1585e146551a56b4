// Corrections: a replacement or retraction of an earlier entry. The original
// stays in the log and in the audit trail; the records show the corrected
// content from the correction on. See docs/RULES.md, "Corrections".
#include <algorithm>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

template <typename T>
void EraseValue(std::vector<T>& v, const T& value) {
  v.erase(std::remove(v.begin(), v.end(), value), v.end());
}
template <typename T>
void EraseValue(AppendList<T>& v, const T& value) {
  v.erase_if([&](const T& x) { return x == value; });
}

template <typename Rec>
void EraseEntry(std::vector<Rec>& v, uint64_t entry) {
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](const Rec& r) { return r.entry == entry; }),
          v.end());
}
template <typename Rec>
void EraseEntry(AppendList<Rec>& v, uint64_t entry) {
  v.erase_if([&](const Rec& r) { return r.entry == entry; });
}

Status InUse(const std::string& what, uint64_t by) {
  return Refused("correction.in_use", what + " (entry " + std::to_string(by) +
                                          "); correct or retract that first");
}

// Whether the record or sub-record written by `target` may be retracted.
Status CheckRetraction(const Model& m, uint64_t target, int kind) {
  const uint64_t owner = OwnerOf(m, target);
  switch (kind) {
    case Which::CYCLE_OPENED: {
      const CycleRec& c = m.cycles.at(target);
      if (!c.proposals.empty()) {
        return InUse("the cycle already has proposals", c.proposals.front());
      }
      if (!c.retracted_proposals.empty()) {
        return InUse("the cycle received proposals, since retracted",
                     c.retracted_proposals.front());
      }
      if (!c.votes.empty())
        return InUse("the cycle has a vote", c.votes.front());
      if (!c.deliberations.empty()) {
        return InUse("the cycle has deliberations", c.deliberations.front());
      }
      return Status::Ok();
    }
    case Which::PROPOSAL_SUBMITTED:
    case Which::PROPOSALS_MERGED: {
      const ProposalRec& p = m.proposals.at(target);
      if (p.merged_into != kNoRef) {
        return InUse("the proposal was merged", p.merged_into);
      }
      if (p.candidate) {
        return InUse("the proposal is on the candidate list",
                     m.cycles.at(p.cycle).candidate_list);
      }
      if (kind == Which::PROPOSALS_MERGED && p.screening[0].entry != kNoRef) {
        return InUse("the merged proposal was already screened",
                     p.screening[0].entry);
      }
      return Status::Ok();
    }
    case Which::SCREENING_DECIDED: {
      const ProposalRec& p = m.proposals.at(owner);
      int stage = 0;
      for (int s = 0; s < kStages; ++s) {
        if (p.screening[s].entry == target) stage = s + 1;
      }
      if (p.merged_into != kNoRef) {
        return InUse("the proposal was merged", p.merged_into);
      }
      if (stage < kStages && p.screening[stage].entry != kNoRef) {
        return InUse("a later screening stage decided on it",
                     p.screening[stage].entry);
      }
      if (p.candidate) {
        return InUse("the proposal is on the candidate list",
                     m.cycles.at(p.cycle).candidate_list);
      }
      return Status::Ok();
    }
    case Which::CANDIDATE_LIST_FIXED: {
      for (const auto& [ref, c] : m.cycles) {
        if (c.candidate_list == target && !c.votes.empty()) {
          return Refused("list.after_rules",
                         "the voting rules of " + Describe(m, ref) +
                             " were already adopted (entry " +
                             std::to_string(c.votes.front()) +
                             "); the candidate list can no longer change");
        }
      }
      return Status::Ok();
    }
    case Which::VOTING_RULES_ADOPTED: {
      const VoteRec& v = m.votes.at(target);
      if (!v.rounds.empty()) return InUse("round 1 was opened", v.rounds[0]);
      return Status::Ok();
    }
    case Which::ROUND_OPENED: {
      const RoundRec& r = m.rounds.at(target);
      if (!r.boxes.empty()) return InUse("a box was sealed", r.boxes[0]);
      return Status::Ok();
    }
    case Which::BALLOT_BOX_SEALED: {
      const BoxRec& b = m.boxes.at(target);
      if (b.opened != kNoRef) return InUse("the box was opened", b.opened);
      return Status::Ok();
    }
    case Which::BALLOT_BOX_OPENED:
      return Refused("box.counts_fixed",
                     "the opening of ballot box entry " +
                         std::to_string(owner) +
                         " recorded its counts; a box's counts are fixed "
                         "when it is opened, so the opening is not "
                         "retracted (a wrong count is answered by voiding "
                         "the round)");
    case Which::IMPLEMENTATION_PLANNED: {
      const ProjectRec& p = m.projects.at(owner);
      if (!p.progress.empty()) {
        return InUse("progress was reported under the plan",
                     p.progress[0].entry);
      }
      if (!p.acceptances.empty()) {
        return InUse("the project was accepted", p.acceptances[0].entry);
      }
      return Status::Ok();
    }
    case Which::ACCEPTANCE_RECORDED: {
      const ProjectRec& p = m.projects.at(owner);
      const bool other_passed =
          std::any_of(p.acceptances.begin(), p.acceptances.end(),
                      [&](const AcceptanceRec& a) {
                        return a.entry != target && a.passed;
                      });
      if (!p.reviews.empty() && !other_passed) {
        return InUse("the project's operation was reviewed",
                     p.reviews[0].entry);
      }
      return Status::Ok();
    }
    case Which::RECTIFICATION_ORDERED: {
      const RectificationRec& r = m.rectifications.at(target);
      if (!r.reports.empty()) {
        return InUse("the order has reports", r.reports[0].entry);
      }
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

void ApplyRetraction(Model& m, uint64_t target, int kind) {
  const uint64_t owner = OwnerOf(m, target);
  switch (kind) {
    case Which::CYCLE_OPENED:
      m.cycles.erase(target);
      return;
    case Which::PROPOSAL_SUBMITTED:
    case Which::PROPOSALS_MERGED: {
      // The proposal leaves the rules' world but not the funnel: it is kept
      // as it stood, shown as retracted, and the counts keep it.
      ProposalRec& p = m.proposals.mut(target);
      for (uint64_t s : p.sources) m.proposals.mut(s).merged_into = kNoRef;
      CycleRec& c = m.cycles.mut(p.cycle);
      EraseValue(c.proposals, target);
      c.retracted_proposals.push_back(target);
      m.retracted_proposals.slot(target) = std::move(p);
      m.proposals.erase(target);
      return;
    }
    case Which::SCREENING_DECIDED: {
      ProposalRec& p = m.proposals.mut(owner);
      for (int i = 0; i < kStages; ++i) {
        if (p.screening[i].entry != target) continue;
        p.screening[i] = ScreeningRec{};
        if (!p.texts().reason_text[i].empty()) {
          p.mut_texts().reason_text[i] = CompactText();
        }
      }
      return;
    }
    case Which::CANDIDATE_LIST_FIXED: {
      // The refs first: changing a record may copy the nodes an iterator
      // walks.
      std::vector<uint64_t> listed;
      for (const auto& [ref, c] : m.cycles) {
        if (c.candidate_list == target) listed.push_back(ref);
      }
      for (uint64_t ref : listed) {
        CycleRec& c = m.cycles.mut(ref);
        for (const CandidateRec& cand : c.candidates) {
          m.proposals.mut(cand.proposal).candidate = false;
        }
        c.candidates.clear();
        c.candidate_list = kNoRef;
        c.list_sent_on = Date{};
      }
      return;
    }
    case Which::VOTING_RULES_ADOPTED: {
      CycleRec& c = m.cycles.mut(m.votes.mut(target).cycle);
      EraseValue(c.votes, target);
      if (c.selection_vote == target) c.selection_vote = kNoRef;
      m.votes.erase(target);
      return;
    }
    case Which::DELIBERATION_RECORDED:
      EraseValue(m.cycles.mut(m.deliberations.mut(target).cycle).deliberations,
                 target);
      m.deliberations.erase(target);
      return;
    case Which::ROUND_OPENED:
      EraseValue(m.votes.mut(m.rounds.mut(target).vote).rounds, target);
      m.rounds.erase(target);
      return;
    case Which::BALLOT_BOX_SEALED:
      EraseValue(m.rounds.mut(m.boxes.mut(target).round).boxes, target);
      m.boxes.erase(target);
      return;
    case Which::BALLOT_BOX_OPENED: {
      BoxRec& b = m.boxes.mut(owner);
      b.opened = kNoRef;
      b.issued = 0;
      b.collected = 0;
      b.opened_monitors.clear();
      return;
    }
    case Which::IMPLEMENTATION_PLANNED:
      m.projects.mut(owner).plan = PlanRec{};
      return;
    case Which::PROGRESS_REPORTED:
      EraseEntry(m.projects.mut(owner).progress, target);
      return;
    case Which::SUPERVISION_NOTICE_ISSUED:
      EraseEntry(m.projects.mut(owner).notices, target);
      return;
    case Which::ADJUSTMENT_DECIDED:
      EraseEntry(m.projects.mut(owner).adjustments, target);
      return;
    case Which::ACCEPTANCE_RECORDED:
      EraseEntry(m.projects.mut(owner).acceptances, target);
      return;
    case Which::EVALUATION_SCORED:
      EraseEntry(m.projects.mut(owner).evaluations, target);
      return;
    case Which::OPERATION_REVIEWED:
      EraseEntry(m.projects.mut(owner).reviews, target);
      return;
    case Which::INSPECTION_RECORDED:
      for (uint64_t p : m.inspections.at(target).projects) {
        EraseValue(m.projects.mut(p).inspections, target);
      }
      m.inspections.erase(target);
      return;
    case Which::RECTIFICATION_ORDERED:
      EraseValue(
          m.projects.mut(m.rectifications.at(target).project).rectifications,
          target);
      m.rectifications.erase(target);
      return;
    case Which::RECTIFICATION_REPORTED:
      EraseEntry(m.rectifications.mut(owner).reports, target);
      return;
    default:
      return;
  }
}

bool IsVoteRecord(int kind) {
  return kind == Which::BALLOTS_RECORDED || kind == Which::TALLY_CERTIFIED ||
         kind == Which::RESULT_ANNOUNCED || kind == Which::ROUND_VOIDED;
}

bool IsCorrectable(int kind) {
  return kind != Which::GENESIS && kind != Which::JURISDICTION_REGISTERED &&
         kind != Which::KEY_REGISTERED && kind != Which::KEY_REVOKED &&
         kind != Which::CORRECTION && kind <= Which::CORRECTION;
}

// The place where the target stood: what its replacement is checked against.
Ctx TargetContext(const Model& m, const Ctx& ctx, uint64_t target) {
  Ctx at;
  at.index = target;
  at.date = DateFromMs(m.entries[target].recorded_at_ms);
  at.jurisdiction = m.JurisdictionOf(m.entries[target]);
  at.replacing = true;
  at.by = ctx.index;
  at.by_date = ctx.date;
  at.author = ctx.author;
  return at;
}

// The record whose existence a sub-record's correction depends on.
Status OwnerAlive(const Model& m, uint64_t target) {
  const EntryMeta& meta = m.entries[target];
  const uint64_t owner = meta.owner;
  if (owner == target) return Status::Ok();
  if (owner < m.entries.size() && m.entries[owner].retracted) {
    return Refused("ref.retracted",
                   "entry " + std::to_string(target) + " belongs to entry " +
                       std::to_string(owner) + ", which was retracted");
  }
  return Status::Ok();
}

// Who may correct what, beyond the authorization (which lets any role that
// may author the target correct it): a proposal on which screening started
// is held by the government office that conducts the preliminary selection,
// so only that office corrects or retracts it from then on (RULES.md "Who
// may correct what").
Status CheckResponsibleOffice(const Model& m, const Ctx& ctx, uint64_t target,
                              int kind) {
  if (kind != Which::PROPOSAL_SUBMITTED && kind != Which::PROPOSALS_MERGED) {
    return Status::Ok();
  }
  const ProposalRec& p = m.proposals.at(target);
  if (p.screening[0].entry == kNoRef) return Status::Ok();
  if (HoldsRole(m, ctx.author, schema::Role::GOVERNMENT_OFFICE,
                ctx.jurisdiction)) {
    return Status::Ok();
  }
  return Refused("correction.responsible_office",
                 "screening of " + Describe(m, target) +
                     " started with entry " +
                     std::to_string(p.screening[0].entry) +
                     "; from then on only the government office "
                     "(governmentOffice) may correct or retract it");
}

}  // namespace

Status CheckCorrection(const Model& m, const Ctx& ctx,
                       schema::Correction::Reader e) {
  const uint64_t target = e.getTarget();
  if (target >= ctx.index || target >= m.entries.size()) {
    return Refused("ref.missing", "the correction targets entry " +
                                      std::to_string(target) +
                                      ", which does not exist");
  }
  if (e.getReason().size() == 0) {
    return Malformed("correction.fields", "a correction must state its reason");
  }
  const EntryMeta& meta = m.entries[target];
  const std::string kind_name =
      ledger::EventKindName(static_cast<schema::Event::Which>(meta.kind));
  if (IsVoteRecord(meta.kind)) {
    return Refused("correction.vote_records_final",
                   "entry " + std::to_string(target) + " is a " + kind_name +
                       ": recorded ballots, certified tallies, announced "
                       "results and voided rounds are final; a vote is "
                       "redone by a further round, never edited");
  }
  if (!IsCorrectable(meta.kind)) {
    return Refused("correction.not_correctable",
                   "entry " + std::to_string(target) + " is a " + kind_name +
                       ", which cannot be corrected");
  }
  if (m.JurisdictionOf(meta) != ctx.jurisdiction) {
    return Refused("ref.other_jurisdiction", "entry " + std::to_string(target) +
                                                 " belongs to jurisdiction " +
                                                 m.JurisdictionOf(meta));
  }
  if (meta.retracted) {
    return Refused("correction.retracted",
                   "entry " + std::to_string(target) +
                       " was already retracted by entry " +
                       std::to_string(m.CorrectionsOf(target).back()));
  }
  RETURN_IF_ERROR(OwnerAlive(m, target));
  RETURN_IF_ERROR(CheckResponsibleOffice(m, ctx, target, meta.kind));
  if (e.isRetraction()) return CheckRetraction(m, target, meta.kind);
  auto replacement = e.getReplacement();
  if (static_cast<int>(replacement.which()) != meta.kind) {
    return Malformed("correction.kind", "a " + kind_name +
                                            " can only be replaced by a " +
                                            kind_name + ", not by a " +
                                            ledger::EventKindName(replacement));
  }
  return CheckEvent(m, TargetContext(m, ctx, target), replacement);
}

void ApplyCorrection(Model& m, const Ctx& ctx, schema::Correction::Reader e) {
  const uint64_t target = e.getTarget();
  const uint64_t owner = OwnerOf(m, target);
  CorrectionRec rec;
  rec.entry = ctx.index;
  rec.target = target;
  rec.owner = owner;
  rec.reason = ledger::TextString(e.getReason());
  rec.retraction = e.isRetraction();
  if (m.keep_view_data) rec.before = TargetContentJson(m, target);
  m.entry_corrections.slot(target).push_back(ctx.index);
  m.entries.mut(ctx.index).owner = owner;
  if (e.isRetraction()) {
    m.Touched(owner, ctx.index, "retracted");
    const int kind = m.entries[target].kind;
    m.entries.mut(target).retracted = true;
    ApplyRetraction(m, target, kind);
    if (m.keep_view_data) rec.after = "null";
  } else {
    m.Touched(owner, ctx.index, "corrected");
    ApplyEvent(m, TargetContext(m, ctx, target), e.getReplacement());
    if (m.keep_view_data) rec.after = TargetContentJson(m, target);
  }
  m.corrections.slot(ctx.index) = std::move(rec);
}

}  // namespace piaojue::projections::internal
