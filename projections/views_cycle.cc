// The cycles, funnel and candidates views. See docs/VIEWS.md.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "ledger/schema/piaojue.capnp.h"
#include "projections/internal/milestones.h"
#include "projections/internal/rules.h"
#include "projections/internal/view_util.h"

namespace piaojue::projections::internal {

const ProposalRec& AnyProposal(const Model& m, uint64_t ref) {
  auto it = m.proposals.find(ref);
  return it != m.proposals.end() ? it->second : m.retracted_proposals.at(ref);
}

std::vector<uint64_t> FunnelRefs(const CycleRec& c) {
  std::vector<uint64_t> refs(c.proposals.begin(), c.proposals.end());
  refs.insert(refs.end(), c.retracted_proposals.begin(),
              c.retracted_proposals.end());
  std::sort(refs.begin(), refs.end());
  return refs;
}

namespace {

constexpr int kAdvance = static_cast<int>(schema::ScreeningOutcome::ADVANCE);

Result<const CycleRec*> FindCycle(const Model& m, const ViewQuery& q) {
  if (!q.cycle) return InvalidArgument("this view needs a cycle");
  auto it = m.cycles.find(*q.cycle);
  if (it == m.cycles.end()) {
    return NotFound("no cycle was opened by entry " + std::to_string(*q.cycle));
  }
  return &it->second;
}

std::string StageKey(int stage) {
  return EnumName<schema::ScreeningStage>(stage);
}

void Origins(const Model& m, uint64_t ref, std::set<uint64_t>* out) {
  const ProposalRec& p = AnyProposal(m, ref);
  if (!p.merged) {
    out->insert(ref);
    return;
  }
  for (uint64_t s : p.sources) Origins(m, s, out);
}

// Where a retired proposal ended up: follow the merges.
uint64_t Final(const Model& m, uint64_t ref) {
  while (m.proposals.at(ref).merged_into != kNoRef) {
    ref = m.proposals.at(ref).merged_into;
  }
  return ref;
}

bool Settled(const Model& m, const CycleRec& c) {
  return c.selection_vote != kNoRef &&
         VoteSettled(m, m.votes.at(c.selection_vote));
}

json EligibilityJson(const Eligibility& e) {
  return json{{"ownBudget", e.own_budget},
              {"broadBenefit", e.broad_benefit},
              {"completableInYear", e.completable_in_year},
              {"notMajorEngineering", e.not_major_engineering},
              {"landPolicyFundingSecured", e.land_policy_funding_secured}};
}

json FateJson(const Model& m, const CycleRec& c, const ProposalRec& p) {
  if (m.entries[p.ref].retracted) {
    // Shown as a retraction, with what the proposal had reached.
    const uint64_t by = m.CorrectionsOf(p.ref).back();
    json fate = CorrectionJson(m, by);
    fate.erase("changes");
    fate["status"] = "retracted";
    if (int stage = RejectedAt(p); stage != 0) {
      fate["rejectedAt"] = StageKey(stage);
    }
    return fate;
  }
  if (p.merged_into != kNoRef) {
    return json{{"status", "merged"}, {"into", p.merged_into}};
  }
  if (int stage = RejectedAt(p); stage != 0) {
    const ScreeningRec& s = p.screening[stage - 1];
    return json{{"status", "rejected"},
                {"stage", StageKey(stage)},
                {"entry", s.entry},
                {"reasonCode", EnumName<schema::ReasonCode>(s.reason_code)},
                {"reasonText", p.texts().reason_text[stage - 1].str()},
                {"eligibility", EligibilityJson(s.eligibility)},
                {"decidedBy", AuthorJson(m, s.entry)}};
  }
  if (p.elected_round != kNoRef) {
    return json{{"status", "elected"}, {"round", p.elected_round}};
  }
  if (p.candidate) {
    return json{{"status", Settled(m, c) ? "notElected" : "candidate"}};
  }
  if (PassedAllStages(p)) {
    return json{{"status",
                 c.candidate_list != kNoRef ? "notListed" : "passedScreening"}};
  }
  int next = 1;
  while (next <= kStages && p.screening[next - 1].entry != kNoRef) ++next;
  return json{{"status", "inScreening"}, {"nextStage", StageKey(next)}};
}

json ProposalJson(const Model& m, const CycleRec& c, const ProposalRec& p) {
  const Details& d = p.details;
  const ProposalTexts& t = p.texts();
  json screening = json::array();
  for (int s = 0; s < kStages; ++s) {
    const ScreeningRec& r = p.screening[s];
    if (r.entry == kNoRef) continue;
    screening.push_back(
        json{{"stage", StageKey(s + 1)},
             {"entry", r.entry},
             {"outcome", EnumName<schema::ScreeningOutcome>(r.outcome)},
             {"reasonCode", EnumName<schema::ReasonCode>(r.reason_code)},
             {"reasonText", t.reason_text[s].str()},
             {"eligibility", EligibilityJson(r.eligibility)},
             {"decidedBy", AuthorJson(m, r.entry)},
             {"corrections", CorrectionsJson(m, r.entry)},
             {"correctionHistory", CorrectionHistoryJson(m, r.entry)}});
  }
  std::set<uint64_t> origins;
  Origins(m, p.ref, &origins);
  // 收件日期 as the channel gave it (null if not given), beside the CST day
  // the entry was recorded (typed in).
  const Date recorded_on = DateFromMs(m.entries[p.ref].recorded_at_ms);
  json j{{"ref", p.ref},
         {"title", std::string(d.title())},
         {"description", t.description.str()},
         {"category", EnumName<schema::Category>(d.category)},
         {"location", std::string(d.location())},
         {"estimatedInvestment", MoneyJson(d.investment_fen)},
         {"fundingSource", EnumName<schema::FundingSource>(d.funding_source)},
         {"fundingNote", t.funding_note.str()},
         {"expectedCompletion", DateJson(d.expected_completion)},
         {"proposerType", EnumName<schema::ProposerType>(p.proposer_type)},
         {"proposerName", t.proposer_name.str()},
         {"channel", EnumName<schema::Channel>(p.channel)},
         {"receiptRef", t.receipt_ref.str()},
         {"receivedOn", DateJson(p.received_on)},
         {"recordedOn", DateJson(recorded_on)},
         {"merged", p.merged},
         {"sources", p.sources},
         {"origins", std::vector<uint64_t>(origins.begin(), origins.end())},
         {"screening", std::move(screening)},
         {"fate", FateJson(m, c, p)},
         {"retracted", m.entries[p.ref].retracted},
         {"retractedDecisions", RetractedPartsJson(m, p.ref)},
         {"corrections", CorrectionsJson(m, p.ref)},
         {"correctionHistory", CorrectionHistoryJson(m, p.ref)}};
  if (p.merged) j["mergeReason"] = t.merge_reason.str();
  return j;
}

// One row of the cycle list.
json CycleJson(const Model& m, uint64_t ref, const CycleRec& c) {
  // The milestone schedule projects are judged against: the cycle's own,
  // or the default one for its year.
  json schedule = json::array();
  for (const MilestoneRule& rule : ScheduleFor(c)) {
    schedule.push_back(json{{"label", rule.label},
                            {"due", DateJson(rule.due)},
                            {"minPercentBp", rule.min_percent_bp},
                            {"mustStart", rule.must_start},
                            {"mustBeAccepted", rule.must_be_accepted}});
  }
  size_t submitted = 0, merges = 0, rejected = 0, elected = 0;
  for (uint64_t p : FunnelRefs(c)) {
    const ProposalRec& rec = AnyProposal(m, p);
    (rec.merged ? merges : submitted) += 1;
    rejected += RejectedAt(rec) != 0;
    elected += rec.elected_round != kNoRef;
  }
  const Date opened_on = DateFromMs(m.entries[ref].recorded_at_ms);
  return json{{"ref", ref},
              {"jurisdiction", JurisdictionJson(m, c.jurisdiction)},
              {"year", c.year},
              {"title", c.title},
              {"budget", MoneyJson(c.budget_fen)},
              {"projectCount", c.project_count},
              {"collection", json{{"start", DateJson(c.collection_start)},
                                  {"end", DateJson(c.collection_end)}}},
              {"scope", c.scope},
              {"openedOn", DateJson(opened_on)},
              {"backfill", c.backfill},
              {"backfillReason", c.backfill_reason},
              {"schedule", std::move(schedule)},
              {"scheduleIsDefault", c.schedule.empty()},
              {"stage", CycleStage(m, c)},
              {"counts", json{{"proposals", submitted},
                              {"merges", merges},
                              {"rejected", rejected},
                              {"retracted", c.retracted_proposals.size()},
                              {"candidates", c.candidates.size()},
                              {"elected", elected},
                              {"votes", c.votes.size()}}},
              {"candidateList", c.candidate_list},
              {"selectionVote", c.selection_vote},
              {"votes", c.votes},
              {"corrections", CorrectionsJson(m, ref)},
              {"correctionHistory", CorrectionHistoryJson(m, ref)}};
}

// The "page" object of a paged list (docs/VIEWS.md): where the
// window [begin, end) of `total` items starts, and where the next begins.
json PageJson(const char* list, uint64_t begin, uint64_t end, uint64_t limit,
              uint64_t total) {
  return json{{"list", list},
              {"offset", begin},
              {"limit", limit},
              {"total", total},
              {"next", end < total ? json(end) : json(nullptr)}};
}

}  // namespace

Result<json> CyclesView(const Model& m, const ViewQuery& q) {
  // Only the rows of the page asked for are rendered: a province's list
  // (2,673 cycles at 1,000,000 entries, each row counting its proposals)
  // cost a past state's as_of read most of its time when it was rendered
  // whole and then cut (docs/PERFORMANCE.md, "as_of over HTTP").
  const uint64_t total = m.cycles.size();
  uint64_t begin = 0, end = total;
  if (q.page) {
    begin = std::min(q.page->offset, total);
    end = begin + std::min(q.page->limit, total - begin);
  }
  json cycles = json::array();
  uint64_t i = 0;
  for (const auto& [ref, c] : m.cycles) {
    if (i >= end) break;
    if (i++ >= begin) cycles.push_back(CycleJson(m, ref, c));
  }
  json out{{"cycles", std::move(cycles)}};
  if (q.page) {
    out["page"] = PageJson("cycles", begin, end, q.page->limit, total);
  }
  return out;
}

Result<json> FunnelView(const Model& m, const ViewQuery& q) {
  ASSIGN_OR_RETURN(const CycleRec* c, FindCycle(m, q));
  const std::vector<uint64_t> refs = FunnelRefs(*c);
  // The totals are counted over every proposal of the cycle without
  // building any JSON per proposal; only the proposals of the page asked
  // for are rendered (below), so a page costs the page plus this walk.
  struct StageRow {
    int advanced = 0, rejected = 0, pending = 0;
  };
  struct ChannelRow {
    int submitted = 0, candidates = 0, elected = 0;
  };
  std::array<StageRow, kStages> stages{};
  std::map<int, ChannelRow> channels;  // by schema::Channel
  size_t submitted = 0, merges = 0, retired = 0, candidates = 0, elected = 0;
  for (uint64_t ref : refs) {
    // A retracted proposal stays in the funnel and in every count it was
    // in (its screening decisions were made); it ends nowhere.
    const ProposalRec& p = AnyProposal(m, ref);
    const bool retracted = m.entries[ref].retracted;
    (p.merged ? merges : submitted) += 1;
    retired += p.merged_into != kNoRef;
    candidates += p.candidate;
    elected += p.elected_round != kNoRef;
    if (p.merged_into == kNoRef) {
      // Each live proposal is counted at every stage it reached.
      for (int s = 0; s < kStages; ++s) {
        const ScreeningRec& r = p.screening[s];
        if (r.entry == kNoRef) {
          if (!retracted) ++stages[s].pending;
          break;
        }
        ++(r.outcome == kAdvance ? stages[s].advanced : stages[s].rejected);
        if (r.outcome != kAdvance) break;
      }
    }
    if (!p.merged) {
      // Channels are credited through merges: where did proposals received
      // through each channel end up?
      const ProposalRec& fin = retracted ? p : m.proposals.at(Final(m, ref));
      ChannelRow& row = channels[p.channel];
      ++row.submitted;
      if (fin.candidate && !retracted) ++row.candidates;
      if (fin.elected_round != kNoRef && !retracted) ++row.elected;
    }
  }
  json by_stage = json::object();
  for (int s = 0; s < kStages; ++s) {
    by_stage[StageKey(s + 1)] = json{{"advanced", stages[s].advanced},
                                     {"rejected", stages[s].rejected},
                                     {"pending", stages[s].pending}};
  }
  json by_channel = json::object();
  for (const auto& [channel, row] : channels) {
    // Two values outside the schema are two distinct "unknown(N)" names.
    by_channel[EnumName<schema::Channel>(channel)] =
        json{{"submitted", row.submitted},
             {"candidates", row.candidates},
             {"elected", row.elected}};
  }
  const uint64_t total = refs.size();
  uint64_t begin = 0, end = total;
  if (q.page) {
    begin = std::min(q.page->offset, total);
    end = begin + std::min(q.page->limit, total - begin);
  }
  json proposals = json::array();
  for (uint64_t i = begin; i < end; ++i) {
    proposals.push_back(ProposalJson(m, *c, AnyProposal(m, refs[i])));
  }
  json out{{"cycle", c->ref},
           {"title", c->title},
           {"backfill", c->backfill},
           {"backfillReason", c->backfill_reason},
           {"proposals", std::move(proposals)},
           {"totals", json{{"submitted", submitted},
                           {"merges", merges},
                           {"retiredByMerge", retired},
                           {"retracted", c->retracted_proposals.size()},
                           {"byStage", std::move(by_stage)},
                           {"candidates", candidates},
                           {"elected", elected},
                           {"byChannel", std::move(by_channel)}}}};
  if (q.page) {
    out["page"] = PageJson("proposals", begin, end, q.page->limit, total);
  }
  return out;
}

Result<json> CandidatesView(const Model& m, const ViewQuery& q) {
  ASSIGN_OR_RETURN(const CycleRec* c, FindCycle(m, q));
  json list = json::array();
  int position = 0;
  for (const CandidateRec& cand : c->candidates) {
    const ProposalRec& p = m.proposals.at(cand.proposal);
    list.push_back(
        json{{"position", ++position},
             {"proposal", cand.proposal},
             {"name", cand.name},
             {"content", cand.content},
             {"implementingAgency", cand.agency},
             {"investment", MoneyJson(cand.investment_fen)},
             {"requirements", cand.requirements},
             {"category", EnumName<schema::Category>(p.details.category)},
             {"location", std::string(p.details.location())},
             {"channel", EnumName<schema::Channel>(p.channel)},
             {"elected", p.elected_round != kNoRef},
             {"electedRound", p.elected_round},
             {"proposalCorrections", CorrectionHistoryJson(m, cand.proposal)}});
  }
  return json{
      {"cycle", c->ref},
      {"listEntry", c->candidate_list},
      {"sentToDeputiesOn", DateJson(c->list_sent_on)},
      {"candidates", std::move(list)},
      {"corrections", CorrectionsJson(m, c->candidate_list)},
      {"correctionHistory", CorrectionHistoryJson(m, c->candidate_list)}};
}

}  // namespace piaojue::projections::internal
