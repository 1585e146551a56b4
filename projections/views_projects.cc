// The projects view: each elected project's implementation, supervision and
// evaluation, with milestone status as of the view's date. See
// docs/VIEWS.md, "projects".
#include "ledger/schema/piaojue.capnp.h"
#include "projections/internal/milestones.h"
#include "projections/internal/rules.h"
#include "projections/internal/view_util.h"

namespace piaojue::projections::internal {

namespace {

json PlanJson(const Model& m, const PlanRec& plan) {
  if (plan.entry == kNoRef) return nullptr;
  json milestones = json::array();
  for (const PlanMilestoneRec& ms : plan.milestones) {
    milestones.push_back(json{{"due", DateJson(ms.due)},
                              {"percentBp", ms.percent_bp},
                              {"description", ms.description}});
  }
  return json{{"entry", plan.entry},
              {"agency", plan.agency},
              {"responsibleLeader", plan.leader},
              {"plan", plan.plan},
              {"budget", MoneyJson(plan.budget_fen)},
              {"milestones", std::move(milestones)},
              {"corrections", CorrectionsJson(m, plan.entry)},
              {"correctionHistory", CorrectionHistoryJson(m, plan.entry)}};
}

json ProgressJson(const Model& m, const ProjectRec& p) {
  json out = json::array();
  for (const ProgressRec& r : p.progress) {
    json evidence = json::array();
    for (const AttachmentRec& a : r.evidence) {
      evidence.push_back(json{
          {"sha256", a.sha256}, {"name", a.name}, {"mediaType", a.media_type}});
    }
    out.push_back(
        json{{"entry", r.entry},
             {"asOf", DateJson(r.as_of)},
             {"percentBp", r.percent_bp},
             {"spent", MoneyJson(r.spent_fen)},
             {"started", r.started},
             {"narrative", r.narrative},
             {"evidence", std::move(evidence)},
             // Which office reported: the signing key and its holder.
             {"reportedBy", AuthorJson(m, r.entry)},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  return out;
}

json MilestonesJson(const ProjectStatus& status) {
  json out = json::array();
  for (const MilestoneCheck& c : status.milestones) {
    out.push_back(json{{"label", c.rule.label},
                       {"due", DateJson(c.rule.due)},
                       {"minPercentBp", c.rule.min_percent_bp},
                       {"mustStart", c.rule.must_start},
                       {"mustBeAccepted", c.rule.must_be_accepted},
                       {"status", c.status},
                       {"judgedEntry", c.report},
                       {"reportedPercentBp", c.percent_bp},
                       {"correctedAfterDue", c.corrected_after_due},
                       {"adjustment", c.adjustment}});
  }
  return out;
}

json SupervisionJson(const Model& m, const ProjectRec& p) {
  json inspections = json::array();
  for (uint64_t ref : p.inspections) {
    const InspectionRec& r = m.inspections.at(ref);
    inspections.push_back(
        json{{"ref", ref},
             {"inspectedOn", DateJson(r.inspected_on)},
             {"group", r.group},
             {"findings", r.findings},
             {"projects", r.projects},
             {"corrections", CorrectionsJson(m, ref)},
             {"correctionHistory", CorrectionHistoryJson(m, ref)}});
  }
  json notices = json::array();
  for (const NoticeRec& r : p.notices) {
    notices.push_back(
        json{{"entry", r.entry},
             {"issuedOn", DateJson(r.issued_on)},
             {"dueBy", DateJson(r.due_by)},
             {"text", r.text},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  json adjustments = json::array();
  for (const AdjustmentRec& r : p.adjustments) {
    adjustments.push_back(
        json{{"entry", r.entry},
             {"kind", EnumName<schema::AdjustmentKind>(r.kind)},
             {"forceMajeure", r.force_majeure},
             {"legalBasis", r.legal_basis},
             {"decision", r.decision},
             {"decidedOn", DateJson(r.decided_on)},
             {"newBudget", r.new_budget_fen == 0 ? json(nullptr)
                                                 : MoneyJson(r.new_budget_fen)},
             {"newCompletion", DateJson(r.new_completion)},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  json acceptances = json::array();
  for (const AcceptanceRec& r : p.acceptances) {
    acceptances.push_back(
        json{{"entry", r.entry},
             {"acceptedOn", DateJson(r.accepted_on)},
             {"passed", r.passed},
             {"notes", r.notes},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  return json{{"inspections", std::move(inspections)},
              {"notices", std::move(notices)},
              {"adjustments", std::move(adjustments)},
              {"acceptances", std::move(acceptances)}};
}

json EvaluationJson(const Model& m, const ProjectRec& p) {
  json scores = json::array();
  for (const EvaluationRec& r : p.evaluations) {
    scores.push_back(
        json{{"entry", r.entry},
             {"cost", r.cost},
             {"benefit", r.benefit},
             {"overall", r.overall},
             {"evaluators", r.evaluators},
             {"notes", r.notes},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  json grades = json::array();
  for (const GradeRec& g : p.grades) {
    // Each satisfaction vote's grade stays; a re-vote says why it was held.
    const VoteRec& vote = m.votes.at(m.rounds.at(g.round).vote);
    grades.push_back(json{{"round", g.round},
                          {"vote", vote.ref},
                          {"grade", EnumName<schema::Grade>(g.grade)},
                          {"revoteReason", vote.revote_reason}});
  }
  json orders = json::array();
  for (uint64_t ref : p.rectifications) {
    const RectificationRec& r = m.rectifications.at(ref);
    json reports = json::array();
    bool closed = false;
    for (const RectReportRec& rep : r.reports) {
      closed |= rep.completed;
      reports.push_back(
          json{{"entry", rep.entry},
               {"reportedOn", DateJson(rep.reported_on)},
               {"completed", rep.completed},
               {"text", rep.text},
               {"reportedBy", AuthorJson(m, rep.entry)},
               {"corrections", CorrectionsJson(m, rep.entry)},
               {"correctionHistory", CorrectionHistoryJson(m, rep.entry)}});
    }
    orders.push_back(
        json{{"ref", ref},
             {"orderedOn", DateJson(r.ordered_on)},
             {"deadline", DateJson(r.deadline)},
             {"requirements", r.requirements},
             {"status", closed ? "closed" : "open"},
             {"reports", std::move(reports)},
             {"corrections", CorrectionsJson(m, ref)},
             {"correctionHistory", CorrectionHistoryJson(m, ref)}});
  }
  json reviews = json::array();
  for (const ReviewRec& r : p.reviews) {
    reviews.push_back(
        json{{"entry", r.entry},
             {"reviewedOn", DateJson(r.reviewed_on)},
             {"text", r.text},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  json satisfaction = nullptr;
  if (!p.grades.empty()) {
    satisfaction = EnumName<schema::Grade>(p.grades.back().grade);
  }
  return json{{"scores", std::move(scores)},
              {"satisfactionGrades", std::move(grades)},
              {"satisfaction", std::move(satisfaction)},
              {"rectifications", std::move(orders)},
              {"operationReviews", std::move(reviews)}};
}

json ProjectJson(const Model& m, const ProjectRec& p, Date as_of) {
  const ProposalRec& proposal = m.proposals.at(p.ref);
  const ProjectStatus status = EvaluateProject(m, p, as_of);
  return json{
      {"ref", p.ref},
      {"cycle", p.cycle},
      {"name", ItemName(m, p.ref)},
      {"title", std::string(proposal.details.title())},
      {"category", EnumName<schema::Category>(proposal.details.category)},
      {"location", std::string(proposal.details.location())},
      {"proposalCorrections", CorrectionHistoryJson(m, p.ref)},
      {"retractedReports", RetractedPartsJson(m, p.ref)},
      {"electedRound", p.elected_round},
      {"plan", PlanJson(m, p.plan)},
      {"status", status.state},
      {"milestones", MilestonesJson(status)},
      {"progress", ProgressJson(m, p)},
      {"supervision", SupervisionJson(m, p)},
      {"evaluation", EvaluationJson(m, p)}};
}

}  // namespace

Result<json> ProjectsView(const Model& m, const ViewQuery& q, Date as_of) {
  json projects = json::array();
  uint64_t cycle = kNoRef;
  if (q.record) {
    auto it = m.projects.find(*q.record);
    if (it == m.projects.end()) {
      return NotFound("entry " + std::to_string(*q.record) +
                      " is not an elected project");
    }
    cycle = it->second.cycle;
    projects.push_back(ProjectJson(m, it->second, as_of));
  } else {
    if (!q.cycle) return InvalidArgument("the projects view needs a cycle");
    auto c = m.cycles.find(*q.cycle);
    if (c == m.cycles.end()) {
      return NotFound("no cycle was opened by entry " +
                      std::to_string(*q.cycle));
    }
    cycle = c->first;
    for (uint64_t ref : c->second.projects) {
      projects.push_back(ProjectJson(m, m.projects.at(ref), as_of));
    }
  }
  return json{{"cycle", cycle}, {"projects", std::move(projects)}};
}

}  // namespace piaojue::projections::internal
