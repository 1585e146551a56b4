#include "projections/internal/milestones.h"

#include <algorithm>

#include "ledger/schema/piaojue.capnp.h"

namespace piaojue::projections::internal {

namespace {

MilestoneRule Rule(int year, int month, int day, uint16_t bp, bool start,
                   bool accepted, const char* label) {
  MilestoneRule r;
  r.due = Date{year, month, day};
  r.min_percent_bp = bp;
  r.must_start = start;
  r.must_be_accepted = accepted;
  r.label = label;
  return r;
}

// The date an adjustment took effect: its decision date, else the day it was
// recorded.
Date EffectiveOn(const Model& m, const AdjustmentRec& a) {
  if (!a.decided_on.unset()) return a.decided_on;
  return DateFromMs(m.entries[a.entry].recorded_at_ms);
}

}  // namespace

std::vector<MilestoneRule> ScheduleFor(const CycleRec& cycle) {
  if (!cycle.schedule.empty()) return cycle.schedule;
  const int y = cycle.year;
  return {
      Rule(y, 6, 15, 0, true, false, "substantive start (实质性开工)"),
      Rule(y, 7, 31, 5000, false, false, "at least 50% (过半)"),
      Rule(y, 10, 31, 7500, false, false, "at least 75%"),
      Rule(y, 12, 31, 10000, false, true, "completed and accepted (完工验收)"),
  };
}

ProjectStatus EvaluateProject(const Model& m, const ProjectRec& p, Date as_of) {
  ProjectStatus out;
  // Adjustments in force on the as-of date; the latest one sets the state,
  // the latest new completion date moves the acceptance milestone.
  int kind = 0;
  Date new_completion;
  for (const AdjustmentRec& a : p.adjustments) {
    if (as_of < EffectiveOn(m, a)) continue;
    kind = a.kind;
    if (!a.new_completion.unset()) new_completion = a.new_completion;
  }
  bool done = false;
  for (const AcceptanceRec& a : p.acceptances) {
    done |= a.passed && a.accepted_on <= as_of;
  }
  // Late means behind schedule now: the milestone most recently due (on or
  // before as_of) was missed. An earlier missed milestone stays "missed" in
  // the list (the record of the delay) but a project that has since met a
  // later milestone is on schedule again.
  bool late = false;
  Date latest_due;
  for (MilestoneRule rule : ScheduleFor(m.cycles.at(p.cycle))) {
    if (rule.must_be_accepted && !new_completion.unset()) {
      rule.due = new_completion;
    }
    MilestoneCheck check;
    const Date judged_on = std::min(rule.due, as_of);
    bool met = false;
    if (rule.must_be_accepted) {
      for (const AcceptanceRec& a : p.acceptances) {
        if (a.passed && a.accepted_on <= judged_on) {
          met = true;
          check.report = a.entry;
          break;
        }
      }
    } else {
      // The latest report describing a date on or before the due date.
      const ProgressRec* latest = nullptr;
      for (const ProgressRec& r : p.progress) {
        if (r.as_of <= judged_on) latest = &r;
      }
      if (latest != nullptr) {
        check.report = latest->entry;
        check.percent_bp = latest->percent_bp;
        met = latest->percent_bp >= rule.min_percent_bp &&
              (!rule.must_start || latest->started || latest->percent_bp > 0);
      }
    }
    check.status = met ? "met" : (rule.due <= as_of ? "missed" : "pending");
    if (rule.due <= as_of) {
      if (latest_due < rule.due) {
        latest_due = rule.due;
        late = false;
      }
      // Milestones due the same day: any one missed makes the project late.
      if (rule.due == latest_due) late |= check.status == "missed";
    }
    check.rule = std::move(rule);
    out.milestones.push_back(std::move(check));
  }
  if (kind == static_cast<int>(schema::AdjustmentKind::TERMINATE)) {
    out.state = "terminated";
  } else if (kind == static_cast<int>(schema::AdjustmentKind::SUSPEND)) {
    out.state = "suspended";
  } else if (done) {
    out.state = "done";
  } else if (p.plan.entry == kNoRef) {
    out.state = late ? "late" : "notPlanned";
  } else {
    out.state = late ? "late" : "onSchedule";
  }
  return out;
}

bool VoteSettled(const Model& m, const VoteRec& vote) {
  if (vote.rounds.empty()) return false;
  const RoundRec& last = m.rounds.at(vote.rounds.back());
  if (last.result == kNoRef) return false;
  if (!last.tied.empty()) return false;
  if (last.vacant > 0 &&
      vote.shortfall_rule ==
          static_cast<int>(schema::ShortfallRule::FURTHER_ROUND) &&
      last.items.size() > last.elected.size()) {
    return false;
  }
  return true;
}

std::string CycleStage(const Model& m, const CycleRec& c) {
  bool evaluation = false;
  bool closed = !c.projects.empty();
  for (uint64_t ref : c.projects) {
    const ProjectRec& p = m.projects.at(ref);
    evaluation |= !p.grades.empty() || !p.evaluations.empty();
    const bool delivered =
        std::any_of(p.acceptances.begin(), p.acceptances.end(),
                    [](const AcceptanceRec& a) { return a.passed; }) ||
        std::any_of(p.adjustments.begin(), p.adjustments.end(),
                    [](const AdjustmentRec& a) {
                      return a.kind == static_cast<int>(
                                           schema::AdjustmentKind::TERMINATE);
                    });
    bool open_order = false;
    for (uint64_t r : p.rectifications) {
      const auto& reports = m.rectifications.at(r).reports;
      open_order |= reports.empty() || !reports.back().completed;
    }
    // A project last rated unsatisfied waits for its rectification order
    // (限期整改) and that order's completion.
    const bool needs_order =
        !p.grades.empty() &&
        p.grades.back().grade == static_cast<int>(schema::Grade::UNSATISFIED) &&
        p.rectifications.empty();
    closed &= delivered && !p.grades.empty() && !open_order && !needs_order;
  }
  if (evaluation && closed) return "closed";
  if (evaluation) return "evaluation";
  if (c.selection_vote != kNoRef &&
      VoteSettled(m, m.votes.at(c.selection_vote))) {
    return "supervision";
  }
  if (c.candidate_list != kNoRef) return "vote";
  for (uint64_t ref : c.proposals) {
    const ProposalRec& p = m.proposals.at(ref);
    if (p.merged || p.screening[0].entry != kNoRef) return "screening";
  }
  return "collection";
}

}  // namespace piaojue::projections::internal
