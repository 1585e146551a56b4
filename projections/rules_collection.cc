// Stage 1 rules: opening a cycle, collecting proposals, merging them.
// See docs/RULES.md, "Collection".
#include <algorithm>
#include <set>

#include "projections/internal/milestones.h"
#include "projections/internal/rules.h"
#include "projections/internal/view_util.h"

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
  if (now.title() != old.details.title()) {
    field = "title";
  } else if (now.category != old.details.category) {
    field = "category";
  } else if (now.location() != old.details.location()) {
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

// Channels where a person takes the proposal in by hand, on paper or by
// phone and someone types it in later: the day it was received (收件日期)
// is required, since the recording day may be days after it. Online
// channels (government website, WeChat) are stamped on arrival, and "other"
// says nothing of the form: there the day is optional (RULES.md,
// "Collection").
bool NeedsReceivedOn(schema::Channel channel) {
  using C = schema::Channel;
  switch (channel) {
    case C::CONTACT_STATION:
    case C::FORUM:
    case C::DOOR_TO_DOOR:
    case C::DEPUTY_SUGGESTION:
    case C::CPPCC_PROPOSAL:
    case C::DEPARTMENT:
    case C::TOWNSHIP:
    case C::MAIL:
    case C::HOTLINE:
      return true;
    default:
      return false;
  }
}

// The day a proposal counts as received: the channel's receivedOn when
// given, else the CST day its entry was recorded.
Date ReceivedDay(const Model& m, const ProposalRec& p) {
  return p.received_on.unset() ? DateFromMs(m.entries[p.ref].recorded_at_ms)
                               : p.received_on.date();
}

}  // namespace

Details DetailsFrom(schema::ProposalDetails::Reader d) {
  Details out;
  out.names = TitleAndLocation(ledger::TextView(d.getTitle()),
                               ledger::TextView(d.getLocation()));
  out.category = static_cast<int8_t>(d.getCategory());
  out.investment_fen = d.getEstimatedInvestmentFen();
  out.funding_source = static_cast<int8_t>(d.getFundingSource());
  out.expected_completion = FromSchema(d.getExpectedCompletion());
  return out;
}

namespace {

// A proposal's details, and their view texts unless the state keeps none.
void SetDetails(const Model& m, ProposalRec& p,
                schema::ProposalDetails::Reader d) {
  p.details = DetailsFrom(d);
  if (!m.keep_view_data) return;
  ProposalTexts& t = p.mut_texts();
  t.description = ledger::TextView(d.getDescription());
  t.funding_note = ledger::TextView(d.getFundingNote());
}

}  // namespace

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
  if (e.getBackfill() && e.getBackfillReason().size() == 0) {
    return Malformed("cycle.backfill",
                     "a backfilled cycle (补录) needs a backfillReason saying "
                     "why it is recorded after the fact");
  }
  if (!e.getBackfill() && e.getBackfillReason().size() != 0) {
    return Malformed("cycle.backfill",
                     "backfillReason is given but backfill is not set");
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
      const Date received = ReceivedDay(m, p);
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
    if (m.cycles.at(ctx.index).backfill != e.getBackfill()) {
      return Refused("cycle.backfill",
                     "a correction cannot change whether " +
                         Describe(m, ctx.index) +
                         " is a backfill (补录); retract it and open it again");
    }
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
  // Judged on the day the cycle was opened (for a correction, the day of
  // the entry it replaces): a live cycle is opened before its window ends; a
  // backfill records a cycle whose window had ended.
  if (!e.getBackfill() && end < ctx.date) {
    return Refused("cycle.window_past",
                   "the collection window " + FormatDate(start) + " to " +
                       FormatDate(end) + " ended before the cycle is opened (" +
                       FormatDate(ctx.date) +
                       ", CST); record a past cycle as a backfill (补录) with "
                       "its reason");
  }
  if (e.getBackfill() && !(end < ctx.date)) {
    return Refused("cycle.backfill",
                   "a backfill (补录) records a past cycle, but the collection "
                   "window " +
                       FormatDate(start) + " to " + FormatDate(end) +
                       " has not ended on the day it is recorded (" +
                       FormatDate(ctx.date) + ", CST)");
  }
  return Status::Ok();
}

void ApplyCycleOpened(Model& m, const Ctx& ctx, schema::CycleOpened::Reader e) {
  CycleRec& c = m.cycles.slot(ctx.index);
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
  c.backfill = e.getBackfill();
  c.backfill_reason = ledger::TextString(e.getBackfillReason());
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
  if (channel == 0 ||
      channel > static_cast<uint16_t>(schema::Channel::HOTLINE)) {
    return Malformed(kFields, "the channel is missing or unknown");
  }
  constexpr std::string_view kReceived = "proposal.received_on";
  RETURN_IF_ERROR(CheckDate(kReceived, "receivedOn", e.getReceivedOn(), false));
  const Date received_on = FromSchema(e.getReceivedOn());
  if (received_on.unset() && NeedsReceivedOn(e.getChannel())) {
    return Malformed(kReceived,
                     "a proposal taken in by " +
                         EnumName<schema::Channel>(channel) +
                         " gives the day it was received (receivedOn, "
                         "收件日期)");
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
  if (!ctx.replacing) {
    // Nothing enters a cycle whose proposals were already judged, however
    // early the proposal says it was received.
    if (CycleClosed(m, c)) {
      return Refused("proposal.cycle_closed",
                     Describe(m, c.ref) +
                         " is closed: its projects were delivered and rated");
    }
    if (c.candidate_list != kNoRef) {
      return Refused("proposal.after_list",
                     "the candidate list of " + Describe(m, c.ref) +
                         " was already fixed by entry " +
                         std::to_string(c.candidate_list));
    }
  }
  if (!received_on.unset() && ctx.date < received_on) {
    return Refused("proposal.received_future",
                   "the proposal is said to be received on " +
                       FormatDate(received_on) +
                       ", after the day it is "
                       "recorded (" +
                       FormatDate(ctx.date) + ", CST)");
  }
  const Date received = received_on.unset() ? ctx.date : received_on;
  if (received < c.collection_start || c.collection_end < received) {
    return Refused("proposal.window",
                   "the proposal was received on " + FormatDate(received) +
                       ", outside the collection window " +
                       FormatDate(c.collection_start) + " to " +
                       FormatDate(c.collection_end) + " of " +
                       Describe(m, c.ref));
  }
  return Status::Ok();
}

void ApplyProposalSubmitted(Model& m, const Ctx& ctx,
                            schema::ProposalSubmitted::Reader e) {
  ProposalRec& p = m.proposals.slot(ctx.index);
  p.ref = ctx.index;
  p.cycle = e.getCycle();
  SetDetails(m, p, e.getDetails());
  p.proposer_type = static_cast<int8_t>(e.getProposerType());
  p.channel = static_cast<int8_t>(e.getChannel());
  if (m.keep_view_data) {
    ProposalTexts& t = p.mut_texts();
    t.proposer_name = ledger::TextString(e.getProposerName());
    t.receipt_ref = ledger::TextString(e.getReceiptRef());
  }
  p.received_on = FromSchema(e.getReceivedOn());
  if (ctx.replacing) return;
  m.cycles.mut(p.cycle).proposals.push_back(p.ref);
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
  ProposalRec& p = m.proposals.slot(ctx.index);
  p.ref = ctx.index;
  p.cycle = e.getCycle();
  p.merged = true;
  SetDetails(m, p, e.getDetails());
  if (m.keep_view_data) {
    p.mut_texts().merge_reason = ledger::TextString(e.getReason());
  }
  if (ctx.replacing) return;
  // The merged record's own proposer and channel: those of its sources when
  // they all agree, else "other" (the funnel lists every source anyway).
  p.sources = ToVector(e.getSources());
  int proposer = -1;
  int channel = -1;
  for (uint64_t s : p.sources) {
    ProposalRec& src = m.proposals.mut(s);
    src.merged_into = p.ref;
    proposer = proposer == -1 || proposer == src.proposer_type
                   ? src.proposer_type
                   : static_cast<int>(schema::ProposerType::OTHER);
    channel = channel == -1 || channel == src.channel
                  ? src.channel
                  : static_cast<int>(schema::Channel::OTHER);
    m.Touched(s, ctx.by, "merged");
  }
  p.proposer_type = static_cast<int8_t>(proposer);
  p.channel = static_cast<int8_t>(channel);
  m.cycles.mut(p.cycle).proposals.push_back(p.ref);
  m.Touched(p.ref, ctx.by, "created");
  m.Touched(p.cycle, ctx.by, "proposal");
}

}  // namespace piaojue::projections::internal
