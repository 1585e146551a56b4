// The tally view: boxes, counts, the recount and the result of each round.
// See docs/VIEWS.md, "tally".
#include <algorithm>

#include "ledger/schema/piaojue.capnp.h"
#include "projections/internal/rules.h"
#include "projections/internal/view_util.h"

namespace piaojue::projections::internal {

namespace {

json ItemsJson(const Model& m, const std::vector<ItemCount>& items,
               bool satisfaction) {
  json out = json::array();
  for (const ItemCount& c : items) {
    json row{{"item", c.item}, {"name", ItemName(m, c.item)}};
    if (satisfaction) {
      row["satisfied"] = c.approve;
      row["basicallySatisfied"] = c.oppose;
      row["unsatisfied"] = c.abstain;
      row["abstain"] = c.satisfaction_abstain;
    } else {
      row["approve"] = c.approve;
      row["oppose"] = c.oppose;
      row["abstain"] = c.abstain;
    }
    out.push_back(std::move(row));
  }
  return out;
}

json GradesJson(const std::vector<std::pair<uint64_t, int>>& grades) {
  json out = json::array();
  for (const auto& [item, grade] : grades) {
    out.push_back(
        json{{"item", item}, {"grade", EnumName<schema::Grade>(grade)}});
  }
  return out;
}

// The roundVoided entry of a void round: who declared it void, when, why.
json VoidedJson(const Model& m, const RoundRec& r) {
  if (r.voided == kNoRef) return nullptr;
  const EntryMeta& e = m.entries[r.voided];
  return json{{"entry", r.voided},
              {"reason", r.void_reason},
              {"voidedOn", DateJson(r.voided_on)},
              {"by", AuthorJson(m, r.voided)},
              {"recordedAtMs", e.recorded_at_ms},
              {"recordedOn", FormatDate(DateFromMs(e.recorded_at_ms))}};
}

json RoundJson(const Model& m, const VoteRec& vote, const RoundRec& r) {
  const bool satisfaction =
      vote.purpose == static_cast<int>(schema::VotePurpose::SATISFACTION);
  const TallyRules rules = RulesFor(m, r);
  const BallotCount count = RoundCount(m, r);
  const Outcome outcome = Decide(rules, count);
  uint32_t issued = 0;
  uint32_t collected = 0;
  json boxes = json::array();
  for (uint64_t b : r.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.opened != kNoRef) {
      issued += box.issued;
      collected += box.collected;
    }
    boxes.push_back(
        json{{"ref", box.ref},
             {"label", box.label},
             {"monitors", box.monitors},
             {"opened", box.opened},
             {"openedBy", box.opened_monitors},
             {"issued", box.issued},
             {"collected", box.collected},
             {"collectedExceedsIssued", box.collected > box.issued},
             {"ballots", box.count.read + box.count.unreadable},
             {"valid", box.count.valid},
             {"invalid", box.count.invalid},
             {"unreadable", box.count.unreadable},
             {"partCount", box.part_count},
             {"parts", box.parts},
             {"corrections", CorrectionsJson(m, box.ref)},
             {"correctionHistory", CorrectionHistoryJson(m, box.ref)}});
  }
  json ranking = json::array();
  for (size_t i = 0; i < outcome.ranking.size(); ++i) {
    const uint64_t item = outcome.ranking[i];
    uint32_t approve = 0;
    for (const ItemCount& c : count.items) {
      if (c.item == item) approve = c.approve;
    }
    ranking.push_back(
        json{{"rank", i + 1}, {"item", item}, {"approve", approve}});
  }
  // Why the round is void (the roundVoided entry's reason), or why it must
  // be declared void: every box that collected more than it issued. A void
  // round decides nothing.
  std::string overfull;
  for (uint64_t b : r.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.opened == kNoRef || box.collected <= box.issued) continue;
    if (!overfull.empty()) overfull += "; ";
    overfull += "box " + std::to_string(box.ref) + " \"" + box.label +
                "\" collected " + std::to_string(box.collected) +
                " ballots but issued only " + std::to_string(box.issued);
  }
  const bool is_void = RoundVoid(m, r);
  const bool must_be_voided = !is_void && CollectedExceedsIssued(m, r);
  // A round that is void, or must be, decides nothing.
  const bool decides = !is_void && !must_be_voided;
  if (!decides) ranking = json::array();
  std::vector<std::pair<uint64_t, int>> grades;
  for (const auto& [item, g] : outcome.grades) {
    if (decides) grades.emplace_back(item, static_cast<int>(g));
  }
  const std::vector<uint64_t> none;
  json j{{"ref", r.ref},
         {"round", r.number},
         {"items", r.items},
         {"seats", r.seats},
         {"presentDeputies", r.present},
         {"boxes", std::move(boxes)},
         {"maxApprovals", r.max_approvals},
         {"void", is_void},
         {"voided", VoidedJson(m, r)},
         {"mustBeVoided", must_be_voided},
         {"voidReason", is_void          ? json(r.void_reason)
                        : must_be_voided ? json(overfull)
                                         : json()},
         {"complete", RoundFullyRecorded(m, r)},
         {"recount",
          json{{"issued", issued},
               {"collected", collected},
               {"valid", count.valid},
               {"invalid", count.invalid},
               {"unreadable", count.unreadable},
               {"items", ItemsJson(m, count.items, satisfaction)},
               {"passBase",
                json{{"kind", EnumName<schema::PassBase>(vote.pass_base)},
                     {"value", outcome.base}}},
               {"passThreshold", outcome.pass_threshold},
               {"ranking", std::move(ranking)},
               {"elected", decides ? outcome.elected : none},
               {"tiedAtCutoff", decides ? outcome.tied_at_cutoff : none},
               {"vacantSeats", decides ? json(outcome.vacant_seats) : json()},
               {"grades", GradesJson(grades)}}},
         {"certified", nullptr},
         {"announced", nullptr}};
  if (r.tally != kNoRef) {
    const CertifiedTally& t = r.certified;
    const bool matches = t.issued == issued && t.collected == collected &&
                         t.valid == count.valid && t.invalid == count.invalid &&
                         t.items == count.items;
    j["certified"] = json{{"entry", r.tally},
                          {"issued", t.issued},
                          {"collected", t.collected},
                          {"valid", t.valid},
                          {"invalid", t.invalid},
                          {"items", ItemsJson(m, t.items, satisfaction)},
                          {"certifiedBy", t.certified_by},
                          {"matchesRecount", matches}};
  }
  if (r.result != kNoRef) {
    std::vector<uint64_t> tied = r.tied;
    std::vector<uint64_t> want_tied = outcome.tied_at_cutoff;
    std::sort(tied.begin(), tied.end());
    std::sort(want_tied.begin(), want_tied.end());
    // Grades may be announced in any order (the rule matches them by item).
    std::vector<std::pair<uint64_t, int>> announced_grades = r.grades;
    std::sort(announced_grades.begin(), announced_grades.end());
    std::sort(grades.begin(), grades.end());
    const bool matches = r.elected == outcome.elected && tied == want_tied &&
                         r.vacant == outcome.vacant_seats &&
                         announced_grades == grades;
    j["announced"] = json{{"entry", r.result},
                          {"elected", r.elected},
                          {"tiedAtCutoff", r.tied},
                          {"vacantSeats", r.vacant},
                          {"grades", GradesJson(r.grades)},
                          {"announcedOn", DateJson(r.announced_on)},
                          {"matchesRecount", matches}};
  }
  return j;
}

}  // namespace

Result<json> TallyView(const Model& m, const ViewQuery& q) {
  uint64_t vote_ref = kNoRef;
  uint64_t only_round = kNoRef;
  const std::optional<uint64_t> ref = q.round ? q.round : q.record;
  if (!ref) return InvalidArgument("the tally view needs a vote or a round");
  if (auto r = m.rounds.find(*ref); r != m.rounds.end()) {
    vote_ref = r->second.vote;
    only_round = *ref;
  } else if (m.votes.count(*ref) && !q.round) {
    vote_ref = *ref;
  } else {
    return NotFound("no vote or round was created by entry " +
                    std::to_string(*ref));
  }
  const VoteRec& v = m.votes.at(vote_ref);
  json rounds = json::array();
  for (uint64_t r : v.rounds) {
    if (only_round == kNoRef || r == only_round) {
      rounds.push_back(RoundJson(m, v, m.rounds.at(r)));
    }
  }
  json vote{
      {"ref", v.ref},
      {"cycle", v.cycle},
      {"purpose", EnumName<schema::VotePurpose>(v.purpose)},
      {"seats", v.seats},
      {"extraCandidates", v.extra_candidates},
      {"entitledDeputies", v.entitled},
      {"quorum",
       std::to_string(v.quorum_num) + "/" + std::to_string(v.quorum_den)},
      {"passBase", EnumName<schema::PassBase>(v.pass_base)},
      {"tieRule", EnumName<schema::TieRule>(v.tie_rule)},
      {"shortfallRule", EnumName<schema::ShortfallRule>(v.shortfall_rule)},
      {"maxApprovals", v.max_approvals == 0 ? v.seats : v.max_approvals},
      {"exactlyHalfPasses", v.exactly_half_passes},
      {"minBallotsPerBox", MinBallotsPerBox(v)},
      {"revoteReason", v.revote_reason},
      {"items", v.items},
      {"adoptedOn", DateJson(v.adopted_on)},
      {"text", v.text},
      {"corrections", CorrectionsJson(m, v.ref)},
      {"correctionHistory", CorrectionHistoryJson(m, v.ref)}};
  return json{{"vote", std::move(vote)}, {"rounds", std::move(rounds)}};
}

}  // namespace piaojue::projections::internal
