// The vote's frame: voting rules (票决办法), deliberation and rounds. See
// docs/RULES.md, "Vote".
#include <algorithm>
#include <set>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

constexpr int kSelection =
    static_cast<int>(schema::VotePurpose::PROJECT_SELECTION);
constexpr int kSatisfaction =
    static_cast<int>(schema::VotePurpose::SATISFACTION);

std::set<uint64_t> SetOf(const std::vector<uint64_t>& v) {
  return std::set<uint64_t>(v.begin(), v.end());
}

std::string ListRefs(const std::set<uint64_t>& refs) {
  std::string out;
  for (uint64_t r : refs) {
    if (!out.empty()) out += ", ";
    out += std::to_string(r);
  }
  return "[" + out + "]";
}

Status CheckSelectionRules(const Model& m, const Ctx& ctx,
                           schema::VotingRulesAdopted::Reader e,
                           const CycleRec& cycle) {
  constexpr std::string_view kFields = "vote.fields";
  if (e.getSeats() < 1) {
    return Malformed(kFields, "the number of seats must be at least 1");
  }
  if (e.getTieRule() != schema::TieRule::FURTHER_ROUND) {
    return Malformed(kFields, "the tie rule is missing or unknown");
  }
  if (e.getShortfallRule() != schema::ShortfallRule::FURTHER_ROUND &&
      e.getShortfallRule() != schema::ShortfallRule::LEAVE_VACANT) {
    return Malformed(kFields, "the shortfall rule is missing or unknown");
  }
  if (e.getMaxApprovals() > e.getSeats()) {
    return Malformed(kFields,
                     "maxApprovals " + std::to_string(e.getMaxApprovals()) +
                         " is more than the " + std::to_string(e.getSeats()) +
                         " seats: a ballot approving more candidates than "
                         "there are seats is invalid");
  }
  if (e.getItems().size() != 0) {
    return Malformed(kFields,
                     "a project selection vote lists its candidates in the "
                     "candidate list, not in items");
  }
  if (e.getRevoteReason().size() != 0) {
    return Malformed(kFields,
                     "revoteReason belongs to satisfaction votes; a selection "
                     "vote continues with further rounds");
  }
  if (cycle.selection_vote != kNoRef && cycle.selection_vote != ctx.index) {
    return Refused("vote.duplicate",
                   Describe(m, cycle.ref) +
                       " already has its project selection vote (entry " +
                       std::to_string(cycle.selection_vote) +
                       "); a vote continues with further rounds");
  }
  if (cycle.candidate_list == kNoRef) {
    return Refused("vote.no_list", "the candidate list of " +
                                       Describe(m, cycle.ref) +
                                       " has not been fixed yet");
  }
  const size_t candidates = cycle.candidates.size();
  const size_t need = size_t{e.getSeats()} + e.getExtraCandidates();
  if (e.getExtraCandidates() < 1) {
    return Refused("vote.margin",
                   "the rules declare no extra candidates (差额): there must "
                   "be more candidates than the " +
                       std::to_string(e.getSeats()) + " seats");
  }
  if (candidates != need) {
    return Refused("vote.margin",
                   std::to_string(candidates) + " candidates for " +
                       std::to_string(e.getSeats()) +
                       " seats, but the rules declare " +
                       std::to_string(e.getExtraCandidates()) +
                       " extra candidates (need " + std::to_string(need) + ")");
  }
  return Status::Ok();
}

// A satisfaction vote whose last round has an announced result.
bool SatisfactionVoteDone(const Model& m, const VoteRec& vote) {
  return !vote.rounds.empty() &&
         m.rounds.at(vote.rounds.back()).result != kNoRef;
}

// One satisfaction vote per project and cycle: a project already rated by
// another vote is rated again only by rules that state why (revoteReason),
// once that vote has its result; the earlier grade stays on the record.
Status CheckRevote(const Model& m, const Ctx& ctx,
                   schema::VotingRulesAdopted::Reader e,
                   const CycleRec& cycle) {
  const bool reason = e.getRevoteReason().size() > 0;
  bool rerated = false;
  for (uint64_t item : e.getItems()) {
    for (uint64_t v : cycle.votes) {
      const VoteRec& other = m.votes.at(v);
      if (v == ctx.index || other.purpose != kSatisfaction ||
          std::find(other.items.begin(), other.items.end(), item) ==
              other.items.end()) {
        continue;
      }
      rerated = true;
      if (!reason) {
        return Refused("vote.satisfaction_twice",
                       Describe(m, item) +
                           " is already rated by the satisfaction vote of "
                           "entry " +
                           std::to_string(v) +
                           "; a second vote is a documented re-vote "
                           "(revoteReason)");
      }
      if (!SatisfactionVoteDone(m, other)) {
        return Refused("vote.satisfaction_twice",
                       Describe(m, item) +
                           " is being rated by the satisfaction vote of "
                           "entry " +
                           std::to_string(v) +
                           ", which has no announced result yet");
      }
    }
  }
  if (reason && !rerated) {
    return Malformed("vote.fields",
                     "revoteReason is given, but none of the items was rated "
                     "by an earlier satisfaction vote");
  }
  return Status::Ok();
}

Status CheckSatisfactionRules(const Model& m, const Ctx& ctx,
                              schema::VotingRulesAdopted::Reader e,
                              const CycleRec& cycle) {
  auto items = e.getItems();
  if (items.size() == 0) {
    return Malformed("vote.fields",
                     "a satisfaction vote must list the projects rated");
  }
  std::set<uint64_t> seen;
  for (uint64_t item : items) {
    if (!seen.insert(item).second) {
      return Malformed("vote.fields",
                       "project " + std::to_string(item) + " is listed twice");
    }
    RETURN_IF_ERROR(CheckRef(m, ctx, item, RefKind::kProposal, "an item"));
    auto p = m.projects.find(item);
    if (p == m.projects.end() || p->second.cycle != cycle.ref) {
      return Refused("vote.satisfaction_items",
                     Describe(m, item) + " is not an elected project of " +
                         Describe(m, cycle.ref));
    }
  }
  return CheckRevote(m, ctx, e, cycle);
}

}  // namespace

// ---------------------------------------------------------------------------
// votingRulesAdopted

Status CheckVotingRulesAdopted(const Model& m, const Ctx& ctx,
                               schema::VotingRulesAdopted::Reader e) {
  constexpr std::string_view kFields = "vote.fields";
  const int purpose = static_cast<int>(e.getPurpose());
  if (purpose != kSelection && purpose != kSatisfaction) {
    return Malformed(kFields, "the purpose of the vote is missing or unknown");
  }
  if (e.getEntitledDeputies() < 1) {
    return Malformed(kFields,
                     "the number of deputies entitled to attend "
                     "(应到) must be at least 1");
  }
  const auto q = e.getQuorum();
  const bool default_quorum = q.getNumerator() == 0 && q.getDenominator() == 0;
  if (!default_quorum &&
      !(q.getNumerator() > 0 && q.getNumerator() < q.getDenominator())) {
    return Malformed(kFields, "the quorum " + std::to_string(q.getNumerator()) +
                                  "/" + std::to_string(q.getDenominator()) +
                                  " is not a fraction between 0 and 1");
  }
  if (static_cast<uint16_t>(e.getPassBase()) >
      static_cast<uint16_t>(schema::PassBase::VALID_BALLOTS)) {
    return Malformed(kFields, "the pass base is unknown");
  }
  RETURN_IF_ERROR(CheckDate(kFields, "adoptedOn", e.getAdoptedOn(), false));
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getCycle(), RefKind::kCycle, "cycle"));
  if (ctx.replacing) {
    const VoteRec& old = m.votes.at(ctx.index);
    if (old.cycle != e.getCycle() || old.purpose != purpose) {
      return Refused("correction.same_subject",
                     "corrected voting rules must keep their cycle and "
                     "purpose");
    }
    if (!old.rounds.empty()) {
      return Refused("correction.in_use",
                     "round 1 of this vote was already opened (entry " +
                         std::to_string(old.rounds.front()) +
                         "); adopted rules cannot change once voting began");
    }
  }
  const CycleRec& cycle = m.cycles.at(e.getCycle());
  return purpose == kSelection ? CheckSelectionRules(m, ctx, e, cycle)
                               : CheckSatisfactionRules(m, ctx, e, cycle);
}

void ApplyVotingRulesAdopted(Model& m, const Ctx& ctx,
                             schema::VotingRulesAdopted::Reader e) {
  VoteRec& v = m.votes.slot(ctx.index);
  v.ref = ctx.index;
  v.cycle = e.getCycle();
  v.purpose = static_cast<int>(e.getPurpose());
  v.seats = e.getSeats();
  v.extra_candidates = e.getExtraCandidates();
  v.entitled = e.getEntitledDeputies();
  v.quorum_num = e.getQuorum().getNumerator();
  v.quorum_den = e.getQuorum().getDenominator();
  if (v.quorum_num == 0 && v.quorum_den == 0) {
    v.quorum_num = 2;  // "more than two thirds" when the rules are silent
    v.quorum_den = 3;
  }
  v.pass_base = static_cast<int>(e.getPassBase());
  if (v.pass_base == 0) v.pass_base = static_cast<int>(PassBase::kEntitled);
  v.tie_rule = static_cast<int>(e.getTieRule());
  v.shortfall_rule = static_cast<int>(e.getShortfallRule());
  v.max_approvals = e.getMaxApprovals();
  v.items = ToVector(e.getItems());
  v.exactly_half_passes = e.getExactlyHalfPasses();
  v.min_ballots_per_box = e.getMinBallotsPerBox();
  v.revote_reason = ledger::TextString(e.getRevoteReason());
  v.adopted_on = FromSchema(e.getAdoptedOn());
  v.text = ledger::TextString(e.getText());
  if (ctx.replacing) return;
  CycleRec& cycle = m.cycles.mut(v.cycle);
  cycle.votes.push_back(v.ref);
  if (v.purpose == kSelection) cycle.selection_vote = v.ref;
  m.Touched(v.ref, ctx.by, "created");
  m.Touched(cycle.ref, ctx.by, "votingRules");
  for (uint64_t item : v.items) m.Touched(item, ctx.by, "rated");
}

// ---------------------------------------------------------------------------
// deliberationRecorded

Status CheckDeliberationRecorded(const Model& m, const Ctx& ctx,
                                 schema::DeliberationRecorded::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("deliberation.fields", "heldOn", e.getHeldOn(), false));
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getCycle(), RefKind::kCycle, "cycle"));
  if (ctx.replacing && m.deliberations.at(ctx.index).cycle != e.getCycle()) {
    return Refused("correction.same_subject",
                   "a corrected deliberation record must keep its cycle");
  }
  return Status::Ok();
}

void ApplyDeliberationRecorded(Model& m, const Ctx& ctx,
                               schema::DeliberationRecorded::Reader e) {
  DeliberationRec& d = m.deliberations.slot(ctx.index);
  d.ref = ctx.index;
  d.cycle = e.getCycle();
  d.session = ledger::TextString(e.getSession());
  d.held_on = FromSchema(e.getHeldOn());
  d.summary = ledger::TextString(e.getSummary());
  if (ctx.replacing) return;
  m.cycles.mut(d.cycle).deliberations.push_back(d.ref);
  m.Touched(d.ref, ctx.by, "created");
  m.Touched(d.cycle, ctx.by, "deliberation");
}

// ---------------------------------------------------------------------------
// roundOpened

namespace {

// What a further round after `prev` must be: its items and seats.
Status ExpectedFurtherRound(const Model& m, const VoteRec& vote,
                            const RoundRec& prev, std::set<uint64_t>* items,
                            uint16_t* seats) {
  if (RoundVoid(m, prev)) {
    // A round declared void (roundVoided) is held again.
    *items = SetOf(prev.items);
    *seats = prev.seats;
    return Status::Ok();
  }
  if (prev.result == kNoRef) {
    return Refused(
        "round.previous_open",
        "round " + std::to_string(prev.number) + " (entry " +
            std::to_string(prev.ref) + ") has no announced result yet" +
            (CollectedExceedsIssued(m, prev)
                 ? " and has not been declared void (a box collected more "
                   "than it issued: the presidium declares the round void "
                   "with roundVoided before it is held again)"
                 : ""));
  }
  if (vote.purpose == kSelection && !prev.tied.empty()) {
    *items = SetOf(prev.tied);
    *seats = static_cast<uint16_t>(prev.seats - prev.elected.size());
    return Status::Ok();
  }
  if (vote.purpose == kSelection && prev.vacant > 0 &&
      vote.shortfall_rule ==
          static_cast<int>(schema::ShortfallRule::FURTHER_ROUND)) {
    *items = SetOf(prev.items);
    for (uint64_t e : prev.elected) items->erase(e);
    *seats = prev.vacant;
    if (!items->empty()) return Status::Ok();
  }
  return Refused("round.no_seats_open",
                 "round " + std::to_string(prev.number) +
                     " settled the vote: no tie at the cut-off and no seat "
                     "left to a further round");
}

}  // namespace

Status CheckRoundOpened(const Model& m, const Ctx& ctx,
                        schema::RoundOpened::Reader e) {
  auto items = e.getItems();
  std::vector<uint64_t> item_list = ToVector(items);
  const std::set<uint64_t> item_set = SetOf(item_list);
  if (item_list.empty() || item_set.size() != item_list.size()) {
    return Malformed("round.fields",
                     "the round must list its items once each, in ballot "
                     "order");
  }
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getVote(), RefKind::kVote, "vote"));
  const VoteRec& vote = m.votes.at(e.getVote());
  size_t position = vote.rounds.size();
  if (ctx.replacing) {
    const RoundRec& old = m.rounds.at(ctx.index);
    if (old.vote != e.getVote() || old.number != e.getRound()) {
      return Refused("correction.same_subject",
                     "a corrected round must keep its vote and number");
    }
    if (!old.boxes.empty()) {
      return Refused("correction.in_use",
                     "a ballot box was already sealed for this round (entry " +
                         std::to_string(old.boxes.front()) + ")");
    }
    position = old.number - 1;
  }
  if (e.getRound() != position + 1) {
    return Refused("round.number",
                   "the next round of vote " + std::to_string(vote.ref) +
                       " is round " + std::to_string(position + 1) +
                       ", not round " + std::to_string(e.getRound()));
  }
  const uint64_t present = e.getPresentDeputies();
  if (present > vote.entitled) {
    return Refused("vote.quorum", std::to_string(present) +
                                      " deputies present (实到), but "
                                      "only " +
                                      std::to_string(vote.entitled) +
                                      " are entitled to attend (应到)");
  }
  if (present * vote.quorum_den <= uint64_t{vote.quorum_num} * vote.entitled) {
    return Refused("vote.quorum", std::to_string(present) +
                                      " deputies present of " +
                                      std::to_string(vote.entitled) +
                                      " entitled is not more than " +
                                      std::to_string(vote.quorum_num) + "/" +
                                      std::to_string(vote.quorum_den) +
                                      " of them; the vote cannot be held");
  }
  std::set<uint64_t> want;
  uint16_t seats = 0;
  if (position == 0) {
    if (vote.purpose == kSelection) {
      const CycleRec& cycle = m.cycles.at(vote.cycle);
      for (const CandidateRec& c : cycle.candidates) want.insert(c.proposal);
      const size_t need = size_t{vote.seats} + vote.extra_candidates;
      if (item_list.size() != need) {
        return Refused(
            "vote.margin",
            std::to_string(item_list.size()) + " candidates for " +
                std::to_string(vote.seats) + " seats, but the rules declare " +
                std::to_string(vote.extra_candidates) +
                " extra candidates (need " + std::to_string(need) + ")");
      }
      seats = vote.seats;
    } else {
      want = SetOf(vote.items);
      seats = e.getSeats();  // not used by a satisfaction vote
    }
  } else {
    RETURN_IF_ERROR(ExpectedFurtherRound(
        m, vote, m.rounds.at(vote.rounds[position - 1]), &want, &seats));
  }
  if (item_set != want) {
    return Refused("round.items", "round " + std::to_string(e.getRound()) +
                                      " must be held on " + ListRefs(want) +
                                      ", not on " + ListRefs(item_set));
  }
  if (e.getSeats() != seats) {
    return Refused("round.seats", "round " + std::to_string(e.getRound()) +
                                      " must fill " + std::to_string(seats) +
                                      " seats, not " +
                                      std::to_string(e.getSeats()));
  }
  const uint16_t max_approvals = RoundMaxApprovals(vote, seats);
  if (e.getMaxApprovals() != max_approvals) {
    return Refused(
        "round.max_approvals",
        "round " + std::to_string(e.getRound()) + " must state maxApprovals " +
            std::to_string(max_approvals) + ", not " +
            std::to_string(e.getMaxApprovals()) +
            (vote.purpose == kSelection
                 ? ": the rules' limit, never more than the " +
                       std::to_string(seats) + " seats this round fills"
                 : ": a satisfaction ballot approves no candidate"));
  }
  return Status::Ok();
}

void ApplyRoundOpened(Model& m, const Ctx& ctx, schema::RoundOpened::Reader e) {
  RoundRec& r = m.rounds.slot(ctx.index);
  r.ref = ctx.index;
  r.vote = e.getVote();
  r.number = e.getRound();
  r.items = ToVector(e.getItems());
  r.seats = e.getSeats();
  r.present = e.getPresentDeputies();
  r.max_approvals = e.getMaxApprovals();
  if (ctx.replacing) return;
  m.votes.mut(r.vote).rounds.push_back(r.ref);
  m.Touched(r.ref, ctx.by, "created");
  m.Touched(r.vote, ctx.by, "round");
}

}  // namespace piaojue::projections::internal
