// Stage 3 rules: implementation, progress, inspections, notices, adjustments,
// acceptance, evaluation, rectification and the "回头看" review. See
// docs/RULES.md, "Supervision" and "Evaluation".
#include <algorithm>
#include <set>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

constexpr int kTerminate = static_cast<int>(schema::AdjustmentKind::TERMINATE);

// For a replacement, the project must stay the same.
Status SameProject(const Model& m, const Ctx& ctx, uint64_t project) {
  if (ctx.replacing && OwnerOf(m, ctx.index) != project) {
    return Refused("correction.same_subject",
                   "a correction must concern the same project as entry " +
                       std::to_string(ctx.index) + " (project " +
                       std::to_string(OwnerOf(m, ctx.index)) + ")");
  }
  return Status::Ok();
}

// Terminated by an adjustment placed before `index`.
Status NotTerminated(const Model& m, const ProjectRec& p, uint64_t index) {
  int kind = 0;
  uint64_t by = kNoRef;
  for (const AdjustmentRec& a : p.adjustments) {
    if (a.entry < index) {
      kind = a.kind;
      by = a.entry;
    }
  }
  if (kind == kTerminate) {
    return Refused("supervision.terminated",
                   Describe(m, p.ref) + " was terminated by entry " +
                       std::to_string(by) + "; it accepts no further records");
  }
  return Status::Ok();
}

// By iterator, not by index: an AppendList's v[i] walks its chunks back
// from the newest for every i, and a project's progress reports are
// searched at each new one.
template <typename List>  // a std::vector or AppendList of records
size_t PositionOf(const List& v, uint64_t entry) {
  size_t i = 0;
  for (const auto& r : v) {
    if (r.entry == entry) return i;
    ++i;
  }
  return i;
}

template <typename Rec>
Rec& NewOrReplaced(std::vector<Rec>& v, const Ctx& ctx) {
  size_t at = PositionOf(v, ctx.index);
  if (at == v.size()) v.emplace_back();
  v[at].entry = ctx.index;
  return v[at];
}
// A new element is appended in place; a replaced one is copied first if
// another copy of the list can see it.
template <typename Rec>
Rec& NewOrReplaced(AppendList<Rec>& v, const Ctx& ctx) {
  const size_t at = PositionOf(v, ctx.index);
  Rec& r = at == v.size() ? v.emplace_back() : v.mut(at);
  r.entry = ctx.index;
  return r;
}

void Own(Model& m, const Ctx& ctx, uint64_t owner, const char* relation) {
  if (ctx.replacing) return;
  m.entries.mut(ctx.index).owner = owner;
  m.Touched(owner, ctx.by, relation);
}

// --- implementationPlanned --------------------------------------------------

Status CheckPlan(const Model& m, const Ctx& ctx,
                 schema::ImplementationPlanned::Reader e) {
  constexpr std::string_view kFields = "plan.fields";
  if (e.getAgency().size() == 0) {
    return Malformed(kFields, "the implementing agency is missing");
  }
  if (e.getBudgetFen() < 0) {
    return Malformed(kFields, "the budget is negative");
  }
  for (auto ms : e.getMilestones()) {
    RETURN_IF_ERROR(
        CheckDate(kFields, "milestone due date", ms.getDue(), true));
    if (ms.getPercentBp() > 10000) {
      return Malformed(kFields, "a milestone asks for more than 100%");
    }
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  RETURN_IF_ERROR(SameProject(m, ctx, e.getProject()));
  const ProjectRec& p = m.projects.at(e.getProject());
  if (!ctx.replacing && p.plan.entry != kNoRef) {
    return Refused("supervision.planned_twice",
                   Describe(m, p.ref) + " already has its plan (entry " +
                       std::to_string(p.plan.entry) +
                       "); change it with a correction");
  }
  return Status::Ok();
}

void ApplyPlan(Model& m, const Ctx& ctx,
               schema::ImplementationPlanned::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  PlanRec& plan = p.plan;
  plan.entry = ctx.index;
  // The plan's texts are only shown by the views: a rules-only state keeps
  // none (Model::keep_view_data); the milestones' dates and percentages
  // are judged.
  const bool texts = m.keep_view_data;
  plan.agency =
      texts ? CompactText(ledger::TextView(e.getAgency())) : CompactText();
  plan.leader = texts ? CompactText(ledger::TextView(e.getResponsibleLeader()))
                      : CompactText();
  plan.plan =
      texts ? CompactText(ledger::TextView(e.getPlan())) : CompactText();
  plan.budget_fen = e.getBudgetFen();
  plan.milestones.clear();
  for (auto ms : e.getMilestones()) {
    plan.milestones.push_back(PlanMilestoneRec{
        FromSchema(ms.getDue()), ms.getPercentBp(),
        texts ? CompactText(ledger::TextView(ms.getDescription()))
              : CompactText()});
  }
  Own(m, ctx, p.ref, "planned");
}

// --- progressReported -------------------------------------------------------

Status CheckProgress(const Model& m, const Ctx& ctx,
                     schema::ProgressReported::Reader e) {
  RETURN_IF_ERROR(CheckDate("supervision.as_of", "asOf", e.getAsOf(), true));
  if (e.getPercentBp() > 10000) {
    return Malformed("supervision.percent_range",
                     "progress " + std::to_string(e.getPercentBp()) +
                         " basis points is more than 100%");
  }
  if (e.getSpentFen() < 0) {
    return Malformed("supervision.spent_negative",
                     "the amount spent " + YuanString(e.getSpentFen()) +
                         " yuan is negative");
  }
  for (auto a : e.getEvidence()) {
    if (a.getSha256().size() != 32) {
      return Malformed("supervision.evidence_hash",
                       "evidence \"" + ledger::TextString(a.getName()) +
                           "\" must be pinned by a 32-byte SHA-256, not " +
                           std::to_string(a.getSha256().size()) + " bytes");
    }
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  RETURN_IF_ERROR(SameProject(m, ctx, e.getProject()));
  const ProjectRec& p = m.projects.at(e.getProject());
  if (p.plan.entry == kNoRef) {
    return Refused("supervision.not_planned",
                   Describe(m, p.ref) + " has no implementation plan yet");
  }
  RETURN_IF_ERROR(NotTerminated(m, p, ctx.index));
  const Date as_of = FromSchema(e.getAsOf());
  // A report describes a day that has passed: otherwise a project could
  // meet a milestone in advance with a figure nobody could have observed.
  if (ctx.date < as_of) {
    return Refused("supervision.as_of_future",
                   "the report is as of " + FormatDate(as_of) +
                       ", after the day it was recorded (" +
                       FormatDate(ctx.date) + ", CST)");
  }
  const size_t at = PositionOf(p.progress, ctx.index);  // size() if new
  if (at > 0 && as_of <= p.progress[at - 1].as_of) {
    const ProgressRec& prev = p.progress[at - 1];
    return Refused("supervision.backdated",
                   "the report is as of " + FormatDate(as_of) + ", but entry " +
                       std::to_string(prev.entry) + " already reported as of " +
                       FormatDate(prev.as_of) +
                       "; each report must describe a later date");
  }
  if (at + 1 < p.progress.size() && p.progress[at + 1].as_of <= as_of) {
    const ProgressRec& next = p.progress[at + 1];
    return Refused("supervision.backdated",
                   "the corrected report is as of " + FormatDate(as_of) +
                       ", not before the next report (entry " +
                       std::to_string(next.entry) + ", as of " +
                       FormatDate(next.as_of) + ")");
  }
  // Only a correction may lower the reported progress.
  if (!ctx.replacing && at > 0 &&
      e.getPercentBp() < p.progress[at - 1].percent_bp) {
    const ProgressRec& prev = p.progress[at - 1];
    return Refused("supervision.percent_decreased",
                   "progress fell from " + std::to_string(prev.percent_bp) +
                       " to " + std::to_string(e.getPercentBp()) +
                       " basis points; a lower figure needs a correction of "
                       "entry " +
                       std::to_string(prev.entry));
  }
  return Status::Ok();
}

void ApplyProgress(Model& m, const Ctx& ctx,
                   schema::ProgressReported::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  ProgressRec& r = NewOrReplaced(p.progress, ctx);
  r.as_of = FromSchema(e.getAsOf());
  r.percent_bp = e.getPercentBp();
  r.spent_fen = e.getSpentFen();
  r.started = e.getStarted();
  r.versions.push_back(ProgressVersion{ctx.by_date, r.percent_bp, r.started});
  r.evidence.clear();
  if (!m.keep_view_data) {
    Own(m, ctx, p.ref, "progress");
    return;
  }
  r.narrative = ledger::TextString(e.getNarrative());
  for (auto a : e.getEvidence()) {
    r.evidence.push_back(AttachmentRec{
        crypto::ToHex(
            crypto::Bytes(a.getSha256().begin(), a.getSha256().size())),
        ledger::TextString(a.getName()), ledger::TextString(a.getMediaType())});
  }
  Own(m, ctx, p.ref, "progress");
}

// --- inspectionRecorded -----------------------------------------------------

Status CheckInspection(const Model& m, const Ctx& ctx,
                       schema::InspectionRecorded::Reader e) {
  RETURN_IF_ERROR(CheckDate("supervision.fields", "inspectedOn",
                            e.getInspectedOn(), false));
  std::set<uint64_t> seen;
  for (uint64_t ref : e.getProjects()) {
    if (!seen.insert(ref).second) {
      return Malformed("supervision.inspection_projects",
                       "project " + std::to_string(ref) + " is listed twice");
    }
    RETURN_IF_ERROR(CheckProject(m, ctx, ref, "an inspected project"));
  }
  if (seen.empty()) {
    return Malformed("supervision.inspection_projects",
                     "an inspection names at least one project");
  }
  return Status::Ok();
}

void ApplyInspection(Model& m, const Ctx& ctx,
                     schema::InspectionRecorded::Reader e) {
  InspectionRec& r = m.inspections.slot(ctx.index);
  for (uint64_t old : r.projects) {
    auto& list = m.projects.mut(old).inspections;
    list.erase(std::remove(list.begin(), list.end(), ctx.index), list.end());
  }
  r.ref = ctx.index;
  r.projects = ToVector(e.getProjects());
  r.inspected_on = FromSchema(e.getInspectedOn());
  r.group = ledger::TextString(e.getGroup());
  r.findings = ledger::TextString(e.getFindings());
  for (uint64_t ref : r.projects) {
    auto& list = m.projects.mut(ref).inspections;
    list.insert(std::upper_bound(list.begin(), list.end(), ctx.index),
                ctx.index);
    if (!ctx.replacing) m.Touched(ref, ctx.by, "inspected");
  }
  if (!ctx.replacing) m.Touched(r.ref, ctx.by, "created");
}

// --- supervisionNoticeIssued ------------------------------------------------

Status CheckNotice(const Model& m, const Ctx& ctx,
                   schema::SupervisionNoticeIssued::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("supervision.fields", "issuedOn", e.getIssuedOn(), true));
  RETURN_IF_ERROR(CheckDate("supervision.fields", "dueBy", e.getDueBy(), true));
  if (FromSchema(e.getDueBy()) < FromSchema(e.getIssuedOn())) {
    return Malformed("supervision.notice_due",
                     "the notice is due by " +
                         FormatDate(FromSchema(e.getDueBy())) +
                         ", before it was issued on " +
                         FormatDate(FromSchema(e.getIssuedOn())));
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  return SameProject(m, ctx, e.getProject());
}

void ApplyNotice(Model& m, const Ctx& ctx,
                 schema::SupervisionNoticeIssued::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  NoticeRec& r = NewOrReplaced(p.notices, ctx);
  r.issued_on = FromSchema(e.getIssuedOn());
  r.due_by = FromSchema(e.getDueBy());
  r.text = ledger::TextString(e.getText());
  Own(m, ctx, p.ref, "notice");
}

// --- adjustmentDecided ------------------------------------------------------

Status CheckAdjustment(const Model& m, const Ctx& ctx,
                       schema::AdjustmentDecided::Reader e) {
  const auto kind = static_cast<uint16_t>(e.getKind());
  if (kind == 0 || kind > static_cast<uint16_t>(kTerminate)) {
    return Malformed("supervision.adjustment_kind",
                     "the kind of change (adjust, suspend, terminate) is "
                     "missing or unknown");
  }
  if (e.getNewBudgetFen() < 0) {
    return Malformed("supervision.fields", "the new budget is negative");
  }
  RETURN_IF_ERROR(
      CheckDate("supervision.fields", "decidedOn", e.getDecidedOn(), false));
  RETURN_IF_ERROR(CheckDate("supervision.fields", "newCompletion",
                            e.getNewCompletion(), false));
  if (e.getForceMajeure().size() == 0 || e.getLegalBasis().size() == 0) {
    return Refused("supervision.force_majeure_required",
                   "a voted project may be changed only for force majeure by "
                   "a recorded standing committee decision: state the "
                   "force-majeure circumstance and the legal basis");
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  RETURN_IF_ERROR(SameProject(m, ctx, e.getProject()));
  return NotTerminated(m, m.projects.at(e.getProject()), ctx.index);
}

void ApplyAdjustment(Model& m, const Ctx& ctx,
                     schema::AdjustmentDecided::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  AdjustmentRec& r = NewOrReplaced(p.adjustments, ctx);
  r.kind = static_cast<int>(e.getKind());
  r.force_majeure = ledger::TextString(e.getForceMajeure());
  r.legal_basis = ledger::TextString(e.getLegalBasis());
  r.decision = ledger::TextString(e.getDecision());
  r.decided_on = FromSchema(e.getDecidedOn());
  r.new_budget_fen = e.getNewBudgetFen();
  r.new_completion = FromSchema(e.getNewCompletion());
  Own(m, ctx, p.ref, "adjusted");
}

// --- acceptanceRecorded -----------------------------------------------------

Status CheckAcceptance(const Model& m, const Ctx& ctx,
                       schema::AcceptanceRecorded::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("supervision.fields", "acceptedOn", e.getAcceptedOn(), true));
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  RETURN_IF_ERROR(SameProject(m, ctx, e.getProject()));
  const ProjectRec& p = m.projects.at(e.getProject());
  if (p.plan.entry == kNoRef) {
    return Refused("supervision.not_planned",
                   Describe(m, p.ref) + " has no implementation plan yet");
  }
  if (ctx.date < FromSchema(e.getAcceptedOn())) {
    return Refused("supervision.acceptance_future",
                   "the acceptance is dated " +
                       FormatDate(FromSchema(e.getAcceptedOn())) +
                       ", after the day it was recorded (" +
                       FormatDate(ctx.date) + ", CST)");
  }
  RETURN_IF_ERROR(NotTerminated(m, p, ctx.index));
  // Acceptance (验收) inspects delivered work: the implementing agency has
  // reported on the project first (judged among the entries before this
  // one's place, so a correction is judged where its original stands).
  if (std::none_of(p.progress.begin(), p.progress.end(),
                   [&](const ProgressRec& r) { return r.entry < ctx.index; })) {
    return Refused("supervision.acceptance_no_progress",
                   Describe(m, p.ref) +
                       " has no progress report; the implementing agency "
                       "reports on the work before it is accepted");
  }
  // A project passes acceptance once. A failed acceptance may be followed by
  // another; nothing follows a passed one (a correction replaces it).
  for (const AcceptanceRec& a : p.acceptances) {
    if (a.passed && a.entry != ctx.index) {
      return Refused("supervision.accepted_twice",
                     Describe(m, p.ref) +
                         " already passed acceptance in entry " +
                         std::to_string(a.entry));
    }
  }
  return Status::Ok();
}

void ApplyAcceptance(Model& m, const Ctx& ctx,
                     schema::AcceptanceRecorded::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  AcceptanceRec& r = NewOrReplaced(p.acceptances, ctx);
  r.accepted_on = FromSchema(e.getAcceptedOn());
  r.passed = e.getPassed();
  r.notes = ledger::TextString(e.getNotes());
  Own(m, ctx, p.ref, "accepted");
}

// --- evaluationScored -------------------------------------------------------

Status CheckEvaluation(const Model& m, const Ctx& ctx,
                       schema::EvaluationScored::Reader e) {
  if (e.getCostScore() > 100 || e.getBenefitScore() > 100 ||
      e.getOverallScore() > 100) {
    return Malformed("evaluation.scores", "scores run from 0 to 100");
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  return SameProject(m, ctx, e.getProject());
}

void ApplyEvaluation(Model& m, const Ctx& ctx,
                     schema::EvaluationScored::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  EvaluationRec& r = NewOrReplaced(p.evaluations, ctx);
  r.cost = e.getCostScore();
  r.benefit = e.getBenefitScore();
  r.overall = e.getOverallScore();
  r.evaluators.clear();
  for (auto name : e.getEvaluators())
    r.evaluators.emplace_back(ledger::TextString(name));
  r.notes = ledger::TextString(e.getNotes());
  Own(m, ctx, p.ref, "evaluated");
}

// --- rectificationOrdered / rectificationReported ---------------------------

Status CheckRectOrder(const Model& m, const Ctx& ctx,
                      schema::RectificationOrdered::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("rectification.fields", "orderedOn", e.getOrderedOn(), true));
  RETURN_IF_ERROR(
      CheckDate("rectification.fields", "deadline", e.getDeadline(), true));
  if (FromSchema(e.getDeadline()) < FromSchema(e.getOrderedOn())) {
    return Malformed("rectification.deadline",
                     "the deadline " + FormatDate(FromSchema(e.getDeadline())) +
                         " is before the order date " +
                         FormatDate(FromSchema(e.getOrderedOn())));
  }
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  if (ctx.replacing &&
      m.rectifications.at(ctx.index).project != e.getProject()) {
    return Refused("correction.same_subject",
                   "a corrected rectification order must keep its project");
  }
  return Status::Ok();
}

void ApplyRectOrder(Model& m, const Ctx& ctx,
                    schema::RectificationOrdered::Reader e) {
  RectificationRec& r = m.rectifications.slot(ctx.index);
  r.ref = ctx.index;
  r.project = e.getProject();
  r.ordered_on = FromSchema(e.getOrderedOn());
  r.deadline = FromSchema(e.getDeadline());
  r.requirements = ledger::TextString(e.getRequirements());
  if (ctx.replacing) return;
  m.projects.mut(r.project).rectifications.push_back(r.ref);
  m.Touched(r.ref, ctx.by, "created");
  m.Touched(r.project, ctx.by, "rectificationOrdered");
}

Status CheckRectReport(const Model& m, const Ctx& ctx,
                       schema::RectificationReported::Reader e) {
  RETURN_IF_ERROR(CheckDate("rectification.fields", "reportedOn",
                            e.getReportedOn(), false));
  RETURN_IF_ERROR(
      CheckRef(m, ctx, e.getOrder(), RefKind::kRectification, "order"));
  if (ctx.replacing && OwnerOf(m, ctx.index) != e.getOrder()) {
    return Refused("correction.same_subject",
                   "a corrected report must concern the same order");
  }
  const RectificationRec& order = m.rectifications.at(e.getOrder());
  const size_t at = PositionOf(order.reports, ctx.index);
  for (size_t i = 0; i < at; ++i) {
    if (order.reports[i].completed) {
      return Refused("rectification.closed",
                     "rectification order " + std::to_string(order.ref) +
                         " was closed by the completed report in entry " +
                         std::to_string(order.reports[i].entry));
    }
  }
  if (e.getCompleted() && at + 1 < order.reports.size()) {
    return Refused("correction.conflicts",
                   "a report followed by later reports (entry " +
                       std::to_string(order.reports[at + 1].entry) +
                       ") cannot become the completing one");
  }
  return Status::Ok();
}

void ApplyRectReport(Model& m, const Ctx& ctx,
                     schema::RectificationReported::Reader e) {
  RectificationRec& order = m.rectifications.mut(e.getOrder());
  RectReportRec& r = NewOrReplaced(order.reports, ctx);
  r.reported_on = FromSchema(e.getReportedOn());
  r.completed = e.getCompleted();
  r.text = ledger::TextString(e.getText());
  Own(m, ctx, order.ref, "reported");
}

// --- operationReviewed ------------------------------------------------------

Status CheckReview(const Model& m, const Ctx& ctx,
                   schema::OperationReviewed::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("supervision.fields", "reviewedOn", e.getReviewedOn(), false));
  RETURN_IF_ERROR(CheckProject(m, ctx, e.getProject(), "project"));
  RETURN_IF_ERROR(SameProject(m, ctx, e.getProject()));
  const ProjectRec& p = m.projects.at(e.getProject());
  const bool accepted =
      std::any_of(p.acceptances.begin(), p.acceptances.end(),
                  [](const AcceptanceRec& a) { return a.passed; });
  if (!accepted) {
    return Refused("operation.not_accepted",
                   Describe(m, p.ref) +
                       " has not passed acceptance (验收); its operation "
                       "cannot be reviewed yet");
  }
  return Status::Ok();
}

void ApplyReview(Model& m, const Ctx& ctx,
                 schema::OperationReviewed::Reader e) {
  ProjectRec& p = m.projects.mut(e.getProject());
  ReviewRec& r = NewOrReplaced(p.reviews, ctx);
  r.reviewed_on = FromSchema(e.getReviewedOn());
  r.text = ledger::TextString(e.getText());
  Own(m, ctx, p.ref, "reviewed");
}

}  // namespace

Status CheckSupervision(const Model& m, const Ctx& ctx,
                        schema::Event::Reader e) {
  switch (e.which()) {
    case Which::IMPLEMENTATION_PLANNED:
      return CheckPlan(m, ctx, e.getImplementationPlanned());
    case Which::PROGRESS_REPORTED:
      return CheckProgress(m, ctx, e.getProgressReported());
    case Which::INSPECTION_RECORDED:
      return CheckInspection(m, ctx, e.getInspectionRecorded());
    case Which::SUPERVISION_NOTICE_ISSUED:
      return CheckNotice(m, ctx, e.getSupervisionNoticeIssued());
    case Which::ADJUSTMENT_DECIDED:
      return CheckAdjustment(m, ctx, e.getAdjustmentDecided());
    case Which::ACCEPTANCE_RECORDED:
      return CheckAcceptance(m, ctx, e.getAcceptanceRecorded());
    case Which::EVALUATION_SCORED:
      return CheckEvaluation(m, ctx, e.getEvaluationScored());
    case Which::RECTIFICATION_ORDERED:
      return CheckRectOrder(m, ctx, e.getRectificationOrdered());
    case Which::RECTIFICATION_REPORTED:
      return CheckRectReport(m, ctx, e.getRectificationReported());
    case Which::OPERATION_REVIEWED:
      return CheckReview(m, ctx, e.getOperationReviewed());
    default:
      return Malformed("event.kind", "not a supervision event");
  }
}

void ApplySupervision(Model& m, const Ctx& ctx, schema::Event::Reader e) {
  switch (e.which()) {
    case Which::IMPLEMENTATION_PLANNED:
      return ApplyPlan(m, ctx, e.getImplementationPlanned());
    case Which::PROGRESS_REPORTED:
      return ApplyProgress(m, ctx, e.getProgressReported());
    case Which::INSPECTION_RECORDED:
      return ApplyInspection(m, ctx, e.getInspectionRecorded());
    case Which::SUPERVISION_NOTICE_ISSUED:
      return ApplyNotice(m, ctx, e.getSupervisionNoticeIssued());
    case Which::ADJUSTMENT_DECIDED:
      return ApplyAdjustment(m, ctx, e.getAdjustmentDecided());
    case Which::ACCEPTANCE_RECORDED:
      return ApplyAcceptance(m, ctx, e.getAcceptanceRecorded());
    case Which::EVALUATION_SCORED:
      return ApplyEvaluation(m, ctx, e.getEvaluationScored());
    case Which::RECTIFICATION_ORDERED:
      return ApplyRectOrder(m, ctx, e.getRectificationOrdered());
    case Which::RECTIFICATION_REPORTED:
      return ApplyRectReport(m, ctx, e.getRectificationReported());
    case Which::OPERATION_REVIEWED:
      return ApplyReview(m, ctx, e.getOperationReviewed());
    default:
      return;
  }
}

}  // namespace piaojue::projections::internal
