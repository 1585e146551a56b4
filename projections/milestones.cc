#include "projections/internal/milestones.h"

#include <algorithm>
#include <optional>

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

namespace {

// What the report said at the end of day `on`: the latest version recorded
// by then (the report as filed if every correction came later).
std::optional<ProgressVersion> VersionOn(const ProgressRec& r, Date on) {
  std::optional<ProgressVersion> v;
  for (const ProgressVersion& version : r.versions) {
    if (version.recorded_on <= on || !v) v = version;
  }
  return v;
}

bool Meets(const MilestoneRule& rule, uint16_t percent_bp, bool started) {
  return percent_bp >= rule.min_percent_bp &&
         (!rule.must_start || started || percent_bp > 0);
}

MilestoneCheck Judge(const ProjectRec& p, const MilestoneRule& rule,
                     Date as_of) {
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
      // Judged twice: on the report as it reads now, and as it read at the
      // end of the due date (or of the day it was filed, if later). Only
      // what holds both ways is met: a correction may lower progress at
      // any time, but one recorded after the due date cannot turn a
      // missed milestone into a met one.
      const bool met_now = Meets(rule, latest->percent_bp, latest->started);
      const std::optional<ProgressVersion> then = VersionOn(
          *latest, std::max(rule.due, latest->versions.empty()
                                          ? rule.due
                                          : latest->versions[0].recorded_on));
      const bool met_then =
          !then || Meets(rule, then->percent_bp, then->started);
      met = met_now && met_then;
      check.corrected_after_due = met_now && !met_then;
      check.percent_bp =
          check.corrected_after_due ? then->percent_bp : latest->percent_bp;
    }
  }
  check.status = met ? "met" : (rule.due <= as_of ? "missed" : "pending");
  check.rule = rule;
  return check;
}

}  // namespace

ProjectStatus EvaluateProject(const Model& m, const ProjectRec& p, Date as_of) {
  ProjectStatus out;
  // Adjustments in force on the as-of date; the latest one sets the state.
  int kind = 0;
  std::vector<const AdjustmentRec*> extensions;  // with a new completion
  for (const AdjustmentRec& a : p.adjustments) {
    if (as_of < EffectiveOn(m, a)) continue;
    kind = a.kind;
    if (!a.new_completion.unset()) extensions.push_back(&a);
  }
  bool done = false;
  for (const AcceptanceRec& a : p.acceptances) {
    done |= a.passed && a.accepted_on <= as_of;
  }
  std::vector<MilestoneRule> rules;
  std::vector<uint64_t> set_by;  // the late adjustment that added a rule
  for (MilestoneRule rule : ScheduleFor(m.cycles.at(p.cycle))) {
    if (!rule.must_be_accepted) {
      rules.push_back(std::move(rule));
      set_by.push_back(kNoRef);
      continue;
    }
    // An adjustment recorded before the deadline moves it; one recorded
    // after it had passed cannot undo the miss: the deadline stays, judged
    // as it was, and the new date is a milestone of its own.
    MilestoneRule added;
    uint64_t added_by = kNoRef;
    for (const AdjustmentRec* a : extensions) {
      const Date recorded = DateFromMs(m.entries[a->entry].recorded_at_ms);
      if (added_by == kNoRef && recorded <= rule.due) {
        rule.due = a->new_completion;
      } else {
        added = rule;
        added.due = a->new_completion;
        added_by = a->entry;
      }
    }
    rules.push_back(rule);
    set_by.push_back(kNoRef);
    if (added_by != kNoRef) {
      rules.push_back(std::move(added));
      set_by.push_back(added_by);
    }
  }
  // Late means behind schedule now: the milestone most recently due (on or
  // before as_of) was missed. An earlier missed milestone stays "missed" in
  // the list (the record of the delay) but a project that has since met a
  // later milestone is on schedule again.
  bool late = false;
  Date latest_due;
  for (size_t i = 0; i < rules.size(); ++i) {
    MilestoneCheck check = Judge(p, rules[i], as_of);
    check.adjustment = set_by[i];
    const Date due = check.rule.due;
    if (due <= as_of) {
      if (latest_due < due) {
        latest_due = due;
        late = false;
      }
      // Milestones due the same day: any one missed makes the project late.
      if (due == latest_due) late |= check.status == "missed";
    }
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

namespace {

// What the elected projects say about the cycle: whether any was rated
// (evaluation) and whether all are delivered, rated and without an open
// rectification (closed).
struct ProjectsStage {
  bool evaluation = false;
  bool closed = false;
};

ProjectsStage StageOfProjects(const Model& m, const CycleRec& c) {
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
  return ProjectsStage{evaluation, closed};
}

}  // namespace

bool CycleClosed(const Model& m, const CycleRec& c) {
  const ProjectsStage s = StageOfProjects(m, c);
  return s.evaluation && s.closed;
}

std::string CycleStage(const Model& m, const CycleRec& c) {
  const auto [evaluation, closed] = StageOfProjects(m, c);
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
