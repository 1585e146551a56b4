// Derived facts the views show: milestone status of a project as of a date,
// whether a vote is settled, which stage a cycle has reached. See
// docs/RULES.md, "Milestones" and "Cycle stage".
#pragma once

#include <string>
#include <vector>

#include "projections/internal/model.h"

namespace piaojue::projections::internal {

struct MilestoneCheck {
  MilestoneRule rule;        // due date already moved for an adjusted project
  std::string status;        // "met", "missed" or "pending"
  uint64_t report = kNoRef;  // the report (or acceptance) judged
  uint16_t percent_bp = 0;   // reported progress judged
  // A correction recorded after the due date would change the status; it
  // does not: the milestone is judged on what was on record then.
  bool corrected_after_due = false;
  // The adjustment that set this milestone's due date after the original
  // one had passed (the original stays in the list, judged as it was).
  uint64_t adjustment = kNoRef;
};

struct ProjectStatus {
  // "notPlanned", "onSchedule", "late", "done", "suspended", "terminated".
  // "late": the milestone most recently due (on or before the as-of date)
  // was missed.
  std::string state;
  std::vector<MilestoneCheck> milestones;
};

// The cycle's schedule, or the default one for its year when it declared
// none: start by 06-15, 50% by 07-31, 75% by 10-31, accepted by 12-31.
std::vector<MilestoneRule> ScheduleFor(const CycleRec& cycle);

ProjectStatus EvaluateProject(const Model& m, const ProjectRec& p, Date as_of);

// The selection vote has its final result: no tie left to a further round
// and no seat left to one.
bool VoteSettled(const Model& m, const VoteRec& vote);

// "collection", "screening", "vote", "supervision", "evaluation", "closed".
std::string CycleStage(const Model& m, const CycleRec& cycle);

// CycleStage(m, cycle) == "closed", in time proportional to the cycle's
// elected projects (never to its proposals): the rules ask it for every
// proposal submitted.
bool CycleClosed(const Model& m, const CycleRec& cycle);

}  // namespace piaojue::projections::internal
