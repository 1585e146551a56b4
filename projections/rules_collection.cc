// Stage 1 rules: opening a cycle, collecting proposals, merging them.
// See docs/RULES.md, "Collection".
#include <algorithm>
#include <set>

#include "projections/internal/milestones.h"
#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

const char* LevelWord(int level) {
  switch (level) {
    case static_cast<int>(schema::Level::COUNTY):
      return "county";
    case static_cast<int>(schema::Level::TOWNSHIP):
      return "township";
    default:
      return "unspecified level";
  }
}

Status CheckDetails(std::string_view rule, schema::ProposalDetails::Reader d) {
  if (d.getTitle().size() == 0) return Malformed(rule, "the title is empty");
  if (d.getDescription().size() == 0) {
    return Malformed(rule, "the description is empty");
  }
  const auto category = static_cast<uint16_t>(d.getCategory());
  if (category == 0 ||
      category > static_cast<uint16_t>(schema::Category::OTHER)) {
    return Malformed(rule, "the category is missing or unknown");
  }
  if (d.getLocation().size() == 0) {
    return Malformed(rule, "the location is empty");
  }
  if (d.getEstimatedInvestmentFen() < 0) {
    return Malformed(rule, "the estimated investment " +
                               YuanString(d.getEstimatedInvestmentFen()) +
                               " yuan is negative");
  }
  return CheckDate(rule, "expectedCompletion", d.getExpectedCompletion(),
                   false);
}

// Once the first screening decision was made on a proposal, what the
// reviewers judged is fixed: a correction may fix errata in the description,
// the funding note, the expected completion or the proposer's particulars,
// never change what the proposal is (RULES.md "Corrections").
Status CheckSubstanceKept(const Model& m, const Ctx& ctx,
                          schema::ProposalDetails::Reader d) {
  const ProposalRec& old = m.proposals.at(ctx.index);
  if (old.screening[0].entry == kNoRef) return Status::Ok();
  const Details now = DetailsFrom(d);
  const char* field = nullptr;
  if (now.title != old.details.title) {
    field = "title";
  } else if (now.category != old.details.category) {
    field = "category";
  } else if (now.location != old.details.location) {
    field = "location";
  } else if (now.investment_fen != old.details.investment_fen) {
    field = "estimated investment";
  } else if (now.funding_source != old.details.funding_source) {
    field = "funding source";
  }
  if (field == nullptr) return Status::Ok();
  return Refused("correction.substance_frozen",
                 std::string("the ") + field + " of " + Describe(m, ctx.index) +
                     " cannot change: screening started on it with entry " +
                     std::to_string(old.screening[0].entry) +
                     "; only errata that keep its title, category, location, "
                     "estimated investment and funding source are allowed");
}

bool SameMilestone(const MilestoneRule& a, const MilestoneRule& b) {
  return a.due == b.due && a.min_percent_bp == b.min_percent_bp &&
         a.must_start == b.must_start &&
         a.must_be_accepted == b.must_be_accepted && a.label == b.label;
}

// The milestones of `schedule` due on or before `day`.
std::vector<MilestoneRule> DueBy(const std::vector<MilestoneRule>& schedule,
                                 Date day) {
  std::vector<MilestoneRule> out;
  for (const MilestoneRule& r : schedule) {
    if (r.due <= day) out.push_back(r);
  }
  return out;
}

// A corrected schedule keeps every milestone that has fallen due by the day
// of the correction, unchanged, and adds none there: projects were judged
// against those, and a correction never erases a missed milestone.
Status CheckScheduleHistory(const Model& m, const Ctx& ctx,
                            schema::CycleOpened::Reader e) {
  const CycleRec& old = m.cycles.at(ctx.index);
  CycleRec corrected;
  corrected.year = e.getYear();
  for (auto ms : e.getSchedule()) {
    MilestoneRule r;
    r.due = FromSchema(ms.getDue());
    r.min_percent_bp = ms.getMinPercentBp();
    r.must_start = ms.getMustStart();
    r.must_be_accepted = ms.getMustBeAccepted();
    r.label = ledger::TextString(ms.getLabel());
    corrected.schedule.push_back(std::move(r));
  }
  const std::vector<MilestoneRule> before =
      DueBy(ScheduleFor(old), ctx.by_date);
  const std::vector<MilestoneRule> after =
      DueBy(ScheduleFor(corrected), ctx.by_date);
  for (const MilestoneRule& r : before) {
    if (std::none_of(after.begin(), after.end(), [&](const MilestoneRule& a) {
          return SameMilestone(r, a);
        })) {
      return Refused("correction.schedule_history",
                     "milestone \"" + r.label + "\" fell due on " +
                         FormatDate(r.due) + ", before this correction (" +
                         FormatDate(ctx.by_date) +
                         "); it must stay in the schedule unchanged");
    }
  }
  for (const MilestoneRule& r : after) {
    if (std::none_of(before.begin(), before.end(), [&](const MilestoneRule& b) {
          return SameMilestone(r, b);
        })) {
      return Refused("correction.schedule_history",
                     "milestone \"" + r.label + "\" would be due on " +
                         FormatDate(r.due) +
                         ", a day already past when the correction is made (" +
                         FormatDate(ctx.by_date) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Details DetailsFrom(schema::ProposalDetails::Reader d) {
  Details out;
  out.title = ledger::TextString(d.getTitle());
  out.description = ledger::TextString(d.getDescription());
  out.category = static_cast<int>(d.getCategory());
  out.location = ledger::TextString(d.getLocation());
  out.investment_fen = d.getEstimatedInvestmentFen();
  out.funding_source = static_cast<int>(d.getFundingSource());
  out.funding_note = ledger::TextString(d.getFundingNote());
  out.expected_completion = FromSchema(d.getExpectedCompletion());
  return out;
}

// ---------------------------------------------------------------------------
// cycleOpened

Status CheckCycleOpened(const Model& m, const Ctx& ctx,
                        schema::CycleOpened::Reader e) {
  constexpr std::string_view kFields = "cycle.fields";
  if (e.getYear() == 0) return Malformed(kFields, "the year is required");
  if (e.getTitle().size() == 0) return Malformed(kFields, "the title is empty");
  if (e.getBudgetFen() < 0) {
    return Malformed(kFields, "the budget " + YuanString(e.getBudgetFen()) +
                                  " yuan is negative");
  }
  if (e.getProjectCount() < 1) {
    return Malformed(kFields, "the number of projects must be at least 1");
  }
  RETURN_IF_ERROR(
      CheckDate(kFields, "collectionStart", e.getCollectionStart(), true));
  RETURN_IF_ERROR(
      CheckDate(kFields, "collectionEnd", e.getCollectionEnd(), true));
  const Date start = FromSchema(e.getCollectionStart());
  const Date end = FromSchema(e.getCollectionEnd());
  if (end < start) {
    return Malformed(kFields, "the collection window ends (" + FormatDate(end) +
                                  ") before it starts (" + FormatDate(start) +
                                  ")");
  }
  for (auto ms : e.getSchedule()) {
    RETURN_IF_ERROR(CheckDate(kFields, "schedule due date", ms.getDue(), true));
    if (ms.getMinPercentBp() > 10000) {
      return Malformed(kFields, "a schedule milestone asks for more than 100%");
    }
  }
  auto j = m.jurisdictions.find(ctx.jurisdiction);
  if (j == m.jurisdictions.end()) {
    return Refused("cycle.level",
                   "jurisdiction " + ctx.jurisdiction + " is not registered");
  }
  const int level = static_cast<int>(e.getLevel());
  if (level != j->second.level) {
    return Refused("cycle.level", std::string("the cycle is declared for a ") +
                                      LevelWord(level) + ", but jurisdiction " +
                                      ctx.jurisdiction + " (" + j->second.name +
                                      ") is registered as a " +
                                      LevelWord(j->second.level));
  }
  if (ctx.replacing) {
    // A corrected window must still hold every proposal already received
    // into the cycle (judged, like the proposals, on their entries' days).
    for (uint64_t ref : m.cycles.at(ctx.index).proposals) {
      const ProposalRec& p = m.proposals.at(ref);
      if (p.merged) continue;  // merges are not bound to the window
      const Date received = DateFromMs(m.entries[ref].recorded_at_ms);
      if (received < start || end < received) {
        return Refused("correction.conflicts",
                       Describe(m, ref) + " was received on " +
                           FormatDate(received) +
                           ", outside the corrected collection window " +
                           FormatDate(start) + " to " + FormatDate(end));
      }
    }
    if (m.cycles.at(ctx.index).year != e.getYear() &&
        !m.cycles.at(ctx.index).projects.empty()) {
      return Refused("correction.conflicts",
                     "the cycle already has elected projects; its year (and "
                     "so its default schedule) cannot change");
    }
    RETURN_IF_ERROR(CheckScheduleHistory(m, ctx, e));
  }
  for (const auto& [ref, c] : m.cycles) {
    if (ref != ctx.index && c.jurisdiction == ctx.jurisdiction &&
        c.year == e.getYear()) {
      return Refused("cycle.duplicate", "jurisdiction " + ctx.jurisdiction +
                                            " already has a " +
                                            std::to_string(c.year) +
                                            " cycle: " + Describe(m, ref));
    }
  }
  return Status::Ok();
}

void ApplyCycleOpened(Model& m, const Ctx& ctx, schema::CycleOpened::Reader e) {
  CycleRec& c = m.cycles[ctx.index];
  c.ref = ctx.index;
  c.jurisdiction = ctx.jurisdiction;
  c.year = e.getYear();
  c.level = static_cast<int>(e.getLevel());
  c.title = ledger::TextString(e.getTitle());
  c.budget_fen = e.getBudgetFen();
  c.project_count = e.getProjectCount();
  c.collection_start = FromSchema(e.getCollectionStart());
  c.collection_end = FromSchema(e.getCollectionEnd());
  c.scope = ledger::TextString(e.getScope());
  c.schedule.clear();
  for (auto ms : e.getSchedule()) {
    MilestoneRule r;
    r.due = FromSchema(ms.getDue());
    r.min_percent_bp = ms.getMinPercentBp();
    r.must_start = ms.getMustStart();
    r.must_be_accepted = ms.getMustBeAccepted();
    r.label = ledger::TextString(ms.getLabel());
    c.schedule.push_back(std::move(r));
  }
  if (!ctx.replacing) m.Touched(ctx.index, ctx.by, "created");
}

// ---------------------------------------------------------------------------
// proposalSubmitted

Status CheckProposalSubmitted(const Model& m, const Ctx& ctx,
                              schema::ProposalSubmitted::Reader e) {
  constexpr std::string_view kFields = "proposal.fields";
  RETURN_IF_ERROR(CheckDetails(kFields, e.getDetails()));
  const auto proposer = static_cast<uint16_t>(e.getProposerType());
  if (proposer == 0 ||
      proposer > static_cast<uint16_t>(schema::ProposerType::OTHER)) {
    return Malformed(kFields, "the proposer type is missing or unknown");
  }
  const auto channel = static_cast<uint16_t>(e.getChannel());
  if (channel == 0 || channel > static_cast<uint16_t>(schema::Channel::OTHER)) {
    return Malformed(kFields, "the channel is missing or unknown");
  }
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getCycle(), RefKind::kCycle, "cycle"));
  if (ctx.replacing && m.proposals.at(ctx.index).cycle != e.getCycle()) {
    return Refused("correction.same_subject",
                   "a corrected proposal must stay in its cycle " +
                       std::to_string(m.proposals.at(ctx.index).cycle));
  }
  if (ctx.replacing)
    RETURN_IF_ERROR(CheckSubstanceKept(m, ctx, e.getDetails()));
  const CycleRec& c = m.cycles.at(e.getCycle());
  if (ctx.date < c.collection_start || c.collection_end < ctx.date) {
    return Refused("proposal.window",
                   "the proposal was received on " + FormatDate(ctx.date) +
                       ", outside the collection window " +
                       FormatDate(c.collection_start) + " to " +
                       FormatDate(c.collection_end) + " of " +
                       Describe(m, c.ref));
  }
  return Status::Ok();
}

void ApplyProposalSubmitted(Model& m, const Ctx& ctx,
                            schema::ProposalSubmitted::Reader e) {
  ProposalRec& p = m.proposals[ctx.index];
  p.ref = ctx.index;
  p.cycle = e.getCycle();
  p.details = DetailsFrom(e.getDetails());
  p.proposer_type = static_cast<int>(e.getProposerType());
  p.proposer_name = ledger::TextString(e.getProposerName());
  p.channel = static_cast<int>(e.getChannel());
  p.receipt_ref = ledger::TextString(e.getReceiptRef());
  if (ctx.replacing) return;
  m.cycles.at(p.cycle).proposals.push_back(p.ref);
  m.Touched(p.ref, ctx.by, "created");
  m.Touched(p.cycle, ctx.by, "proposal");
}

// ---------------------------------------------------------------------------
// proposalsMerged

Status CheckProposalsMerged(const Model& m, const Ctx& ctx,
                            schema::ProposalsMerged::Reader e) {
  RETURN_IF_ERROR(CheckDetails("merge.fields", e.getDetails()));
  auto sources = e.getSources();
  if (sources.size() < 2) {
    return Malformed("merge.sources",
                     "a merge needs at least 2 source proposals, got " +
                         std::to_string(sources.size()));
  }
  std::set<uint64_t> seen;
  for (uint64_t s : sources) {
    if (!seen.insert(s).second) {
      return Malformed("merge.sources",
                       "proposal " + std::to_string(s) + " is listed twice");
    }
  }
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getCycle(), RefKind::kCycle, "cycle"));
  if (ctx.replacing) {
    const ProposalRec& old = m.proposals.at(ctx.index);
    std::set<uint64_t> before(old.sources.begin(), old.sources.end());
    if (old.cycle != e.getCycle() || before != seen) {
      return Refused("correction.same_subject",
                     "a corrected merge must keep its cycle and its sources; "
                     "retract it and merge again instead");
    }
    return CheckSubstanceKept(m, ctx, e.getDetails());
  }
  const CycleRec& c = m.cycles.at(e.getCycle());
  if (c.candidate_list != kNoRef) {
    return Refused("merge.after_list", "the candidate list of " +
                                           Describe(m, c.ref) +
                                           " was already fixed by entry " +
                                           std::to_string(c.candidate_list));
  }
  for (uint64_t s : sources) {
    RETURN_IF_ERROR(CheckRef(m, ctx, s, RefKind::kProposal, "a source"));
    const ProposalRec& p = m.proposals.at(s);
    if (p.cycle != e.getCycle()) {
      return Refused("merge.same_cycle", Describe(m, s) + " belongs to cycle " +
                                             std::to_string(p.cycle) +
                                             ", not to cycle " +
                                             std::to_string(e.getCycle()));
    }
    if (p.merged_into != kNoRef) {
      return Refused("merge.source_state",
                     Describe(m, s) + " was already merged into proposal " +
                         std::to_string(p.merged_into));
    }
    if (int stage = RejectedAt(p); stage != 0) {
      return Refused("merge.source_state",
                     Describe(m, s) + " was rejected at " + StageName(stage));
    }
  }
  return Status::Ok();
}

void ApplyProposalsMerged(Model& m, const Ctx& ctx,
                          schema::ProposalsMerged::Reader e) {
  ProposalRec& p = m.proposals[ctx.index];
  p.ref = ctx.index;
  p.cycle = e.getCycle();
  p.merged = true;
  p.details = DetailsFrom(e.getDetails());
  p.merge_reason = ledger::TextString(e.getReason());
  if (ctx.replacing) return;
  // The merged record's own proposer and channel: those of its sources when
  // they all agree, else "other" (the funnel lists every source anyway).
  p.sources = ToVector(e.getSources());
  int proposer = -1;
  int channel = -1;
  for (uint64_t s : p.sources) {
    ProposalRec& src = m.proposals.at(s);
    src.merged_into = p.ref;
    proposer = proposer == -1 || proposer == src.proposer_type
                   ? src.proposer_type
                   : static_cast<int>(schema::ProposerType::OTHER);
    channel = channel == -1 || channel == src.channel
                  ? src.channel
                  : static_cast<int>(schema::Channel::OTHER);
    m.Touched(s, ctx.by, "merged");
  }
  p.proposer_type = proposer;
  p.channel = channel;
  m.cycles.at(p.cycle).proposals.push_back(p.ref);
  m.Touched(p.ref, ctx.by, "created");
  m.Touched(p.cycle, ctx.by, "proposal");
}

}  // namespace piaojue::projections::internal
