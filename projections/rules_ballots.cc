// Ballot boxes, ballots, the certified tally and the announced result. See
// docs/RULES.md, "Vote" and "The recount".
#include <algorithm>
#include <set>

#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

namespace {

std::string RefList(const std::vector<uint64_t>& refs) {
  std::string out;
  for (uint64_t r : refs) {
    if (!out.empty()) out += ", ";
    out += std::to_string(r);
  }
  return "[" + out + "]";
}

std::string BoxName(const BoxRec& box) {
  return "ballot box \"" + box.label + "\" (entry " + std::to_string(box.ref) +
         ")";
}

// Nothing is recorded in a round declared void: it is held again.
Status NotVoid(const RoundRec& round) {
  if (round.voided == kNoRef) return Status::Ok();
  return Refused("vote.round_void", "round " + std::to_string(round.number) +
                                        " (entry " + std::to_string(round.ref) +
                                        ") was declared void by entry " +
                                        std::to_string(round.voided) + " (\"" +
                                        round.void_reason.str() +
                                        "\"); nothing more is recorded in it");
}

}  // namespace

// ---------------------------------------------------------------------------
// ballotBoxSealed

Status CheckBallotBoxSealed(const Model& m, const Ctx& ctx,
                            schema::BallotBoxSealed::Reader e) {
  if (e.getLabel().size() == 0) {
    return Malformed("box.fields", "the ballot box has no label");
  }
  bool monitor = false;
  for (auto name : e.getMonitors()) monitor |= name.size() > 0;
  if (!monitor) {
    return Malformed("box.monitors",
                     "a ballot box must be sealed before at least one monitor "
                     "(监票人), named in monitors");
  }
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getRound(), RefKind::kRound, "round"));
  const RoundRec& round = m.rounds.at(e.getRound());
  RETURN_IF_ERROR(NotVoid(round));
  if (ctx.replacing) {
    const BoxRec& old = m.boxes.at(ctx.index);
    if (old.round != e.getRound()) {
      return Refused("correction.same_subject",
                     "a corrected ballot box must stay in its round");
    }
    if (old.opened != kNoRef) {
      return Refused("correction.in_use", BoxName(old) +
                                              " was already opened (entry " +
                                              std::to_string(old.opened) + ")");
    }
  }
  if (round.tally != kNoRef) {
    return Refused("box.round_closed", "the tally of round " +
                                           std::to_string(round.number) +
                                           " was already certified (entry " +
                                           std::to_string(round.tally) + ")");
  }
  for (uint64_t b : round.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (!ctx.replacing && box.opened != kNoRef) {
      return Refused(
          "box.round_closed",
          BoxName(box) + " of round " + std::to_string(round.number) +
              " was already opened (entry " + std::to_string(box.opened) +
              "); every box is sealed before the first is opened");
    }
    if (!box.parts.empty()) {
      return Refused("box.round_closed",
                     "ballots of round " + std::to_string(round.number) +
                         " are already being recorded (entry " +
                         std::to_string(box.parts.front()) +
                         "); every box is sealed before counting starts");
    }
    if (b != ctx.index && box.label == ledger::TextView(e.getLabel())) {
      return Refused("box.label", "round " + std::to_string(round.number) +
                                      " already has a box labelled \"" +
                                      box.label + "\" (entry " +
                                      std::to_string(b) + ")");
    }
  }
  return Status::Ok();
}

void ApplyBallotBoxSealed(Model& m, const Ctx& ctx,
                          schema::BallotBoxSealed::Reader e) {
  BoxRec& box = m.boxes.slot(ctx.index);
  box.ref = ctx.index;
  box.round = e.getRound();
  box.label = ledger::TextString(e.getLabel());
  box.monitors.clear();
  for (auto name : e.getMonitors())
    box.monitors.emplace_back(ledger::TextString(name));
  if (ctx.replacing) return;
  RoundRec& round = m.rounds.mut(box.round);
  box.count = EmptyCount(round.items);
  round.boxes.push_back(box.ref);
  m.Touched(box.ref, ctx.by, "created");
  m.Touched(round.ref, ctx.by, "box");
}

// ---------------------------------------------------------------------------
// ballotBoxOpened

Status CheckBallotBoxOpened(const Model& m, const Ctx& ctx,
                            schema::BallotBoxOpened::Reader e) {
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getBox(), RefKind::kBox, "box"));
  const BoxRec& box = m.boxes.at(e.getBox());
  RETURN_IF_ERROR(NotVoid(m.rounds.at(box.round)));
  if (ctx.replacing) {
    if (OwnerOf(m, ctx.index) != box.ref) {
      return Refused("correction.same_subject",
                     "a corrected opening must concern the same box");
    }
    // What the monitors counted before everyone is final: a mistake there
    // is answered by declaring the round void, never by new numbers.
    if (e.getIssued() != box.issued || e.getCollected() != box.collected) {
      return Refused("box.counts_fixed",
                     BoxName(box) + " was opened with " +
                         std::to_string(box.issued) + " issued and " +
                         std::to_string(box.collected) +
                         " collected; a box's counts are fixed when it is "
                         "opened");
    }
    if (!box.parts.empty()) {
      return Refused("correction.in_use",
                     "ballots of " + BoxName(box) +
                         " were already recorded (entry " +
                         std::to_string(box.parts.front()) + ")");
    }
  } else if (box.opened != kNoRef) {
    return Refused("box.opened_twice", BoxName(box) +
                                           " was already opened (entry " +
                                           std::to_string(box.opened) + ")");
  }
  const RoundRec& round = m.rounds.at(box.round);
  uint64_t issued = e.getIssued();
  for (uint64_t b : round.boxes) {
    const BoxRec& other = m.boxes.at(b);
    if (b != box.ref && other.opened != kNoRef) issued += other.issued;
  }
  // Secrecy: a box of a few ballots is merged into another before it is
  // opened (its sealing retracted with the reason), unless it is the
  // round's only box. An empty box reveals nothing.
  const uint32_t min_ballots = MinBallotsPerBox(m.votes.at(round.vote));
  if (e.getCollected() > 0 && e.getCollected() < min_ballots &&
      round.boxes.size() > 1) {
    return Refused(
        "box.too_small",
        BoxName(box) + " collected " + std::to_string(e.getCollected()) +
            " ballots, fewer than the " + std::to_string(min_ballots) +
            " per box the voting rules require; merge it into "
            "another box of round " +
            std::to_string(round.number) +
            " before opening (retract its sealing)");
  }
  if (issued > round.present) {
    return Refused(
        "box.issued_exceeds_present",
        std::to_string(issued) + " ballots issued over the boxes of round " +
            std::to_string(round.number) + ", but only " +
            std::to_string(round.present) + " deputies are present (实到)");
  }
  return Status::Ok();
}

void ApplyBallotBoxOpened(Model& m, const Ctx& ctx,
                          schema::BallotBoxOpened::Reader e) {
  BoxRec& box = m.boxes.mut(e.getBox());
  box.opened = ctx.index;
  box.issued = e.getIssued();
  box.collected = e.getCollected();
  box.opened_monitors.clear();
  for (auto name : e.getMonitors()) {
    box.opened_monitors.emplace_back(ledger::TextString(name));
  }
  if (ctx.replacing) return;
  m.entries.mut(ctx.index).owner = box.ref;
  m.Touched(box.ref, ctx.by, "opened");
}

// ---------------------------------------------------------------------------
// ballotsRecorded

Status CheckBallotsRecorded(const Model& m, const Ctx& ctx,
                            schema::BallotsRecorded::Reader e) {
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getBox(), RefKind::kBox, "box"));
  const BoxRec& box = m.boxes.at(e.getBox());
  if (box.opened == kNoRef) {
    return Refused("ballots.box_not_opened",
                   BoxName(box) + " has not been opened");
  }
  const RoundRec& round = m.rounds.at(box.round);
  RETURN_IF_ERROR(NotVoid(round));
  if (round.tally != kNoRef) {
    return Refused("ballots.round_certified", "the tally of round " +
                                                  std::to_string(round.number) +
                                                  " was already certified");
  }
  const size_t width = round.items.size();
  if (e.getItemCount() != width) {
    return Refused("ballots.item_count", "each ballot of round " +
                                             std::to_string(round.number) +
                                             " has " + std::to_string(width) +
                                             " marks (one per item), not " +
                                             std::to_string(e.getItemCount()));
  }
  auto marks = e.getMarks();
  if (marks.size() % width != 0) {
    return Malformed("ballots.marks_length",
                     std::to_string(marks.size()) +
                         " mark bytes is not a whole number of ballots of " +
                         std::to_string(width) + " marks");
  }
  const std::string_view bytes(reinterpret_cast<const char*>(marks.begin()),
                               marks.size());
  const size_t n = bytes.size() / width;
  for (size_t i = 1; i < n; ++i) {
    if (bytes.substr(i * width, width) < bytes.substr((i - 1) * width, width)) {
      return Malformed("ballots.order",
                       "ballots must be in canonical (ascending) order so "
                       "that their order reveals nothing; ballot " +
                           std::to_string(i + 1) + " sorts before ballot " +
                           std::to_string(i));
    }
  }
  const uint16_t part = e.getPart();
  const uint16_t parts = e.getPartCount();
  if (parts < 1 || part < 1 || part > parts) {
    return Malformed("ballots.parts", "part " + std::to_string(part) + " of " +
                                          std::to_string(parts) +
                                          " is not a valid part number");
  }
  if (box.part_count != 0 && parts != box.part_count) {
    return Refused("ballots.parts", BoxName(box) + " is recorded in " +
                                        std::to_string(box.part_count) +
                                        " parts, not " + std::to_string(parts));
  }
  if (part <= box.parts.size()) {
    return Refused("ballots.parts",
                   "part " + std::to_string(part) + " of " + BoxName(box) +
                       " was already recorded (entry " +
                       std::to_string(box.parts[part - 1]) + ")");
  }
  if (part != box.parts.size() + 1) {
    return Refused("ballots.parts", "the next part of " + BoxName(box) +
                                        " is part " +
                                        std::to_string(box.parts.size() + 1) +
                                        ", not part " + std::to_string(part));
  }
  // Secrecy: the fewer ballots a part holds, the more a part narrows down
  // who cast them; so parts are as full as an entry allows.
  const uint32_t full = BallotsPerPart(static_cast<uint32_t>(width));
  if (n > full) {
    return Refused("ballots.parts_full",
                   "part " + std::to_string(part) + " of " + BoxName(box) +
                       " holds " + std::to_string(n) +
                       " ballots; a part holds at most " +
                       std::to_string(full) + " ballots of " +
                       std::to_string(width) + " marks");
  }
  if (part < parts && n != full) {
    return Refused("ballots.parts_full",
                   "part " + std::to_string(part) + " of " +
                       std::to_string(parts) + " of " + BoxName(box) +
                       " holds " + std::to_string(n) +
                       " ballots; every part but the last must be full (" +
                       std::to_string(full) + " ballots of " +
                       std::to_string(width) + " marks)");
  }
  if (part == parts && parts > 1 && n == 0) {
    return Refused("ballots.parts_full",
                   "the last part of " + BoxName(box) +
                       " holds no ballot: record the box in " +
                       std::to_string(parts - 1) + " parts");
  }
  const uint64_t total =
      uint64_t{box.count.read} + box.count.unreadable + n + e.getUnreadable();
  if (total > box.collected) {
    return Refused("ballots.count", BoxName(box) + " collected " +
                                        std::to_string(box.collected) +
                                        " ballots, but its parts so far hold " +
                                        std::to_string(total));
  }
  if (part == parts && total != box.collected) {
    return Refused("ballots.count",
                   BoxName(box) + " collected " +
                       std::to_string(box.collected) +
                       " ballots, but its recorded parts hold " +
                       std::to_string(total) + " (ballots and unreadable)");
  }
  return Status::Ok();
}

void ApplyBallotsRecorded(Model& m, const Ctx& ctx,
                          schema::BallotsRecorded::Reader e) {
  BoxRec& box = m.boxes.mut(e.getBox());
  const RoundRec& round = m.rounds.at(box.round);
  box.part_count = e.getPartCount();
  box.parts.push_back(ctx.index);
  auto marks = e.getMarks();
  CountBallots(RulesFor(m, round),
               RecordedBallots{std::string_view(
                                   reinterpret_cast<const char*>(marks.begin()),
                                   marks.size()),
                               e.getUnreadable()},
               &box.count);
  m.entries.mut(ctx.index).owner = box.ref;
  m.Touched(box.ref, ctx.by, "ballots");
}

// ---------------------------------------------------------------------------
// tallyCertified

namespace {

Status Mismatch(const std::string& what, uint64_t certified, uint64_t recount) {
  return Refused("vote.tally_mismatch",
                 what + ": the certified tally says " +
                     std::to_string(certified) +
                     ", the recount of the recorded ballots gives " +
                     std::to_string(recount));
}

}  // namespace

Status CheckTallyCertified(const Model& m, const Ctx& ctx,
                           schema::TallyCertified::Reader e) {
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getRound(), RefKind::kRound, "round"));
  const RoundRec& round = m.rounds.at(e.getRound());
  const std::string rn = "round " + std::to_string(round.number);
  RETURN_IF_ERROR(NotVoid(round));
  if (round.tally != kNoRef) {
    return Refused("vote.tally_twice", "the tally of " + rn +
                                           " was already certified (entry " +
                                           std::to_string(round.tally) + ")");
  }
  if (round.boxes.empty()) {
    return Refused("vote.tally_incomplete", rn + " has no ballot box");
  }
  for (uint64_t b : round.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.opened == kNoRef) {
      return Refused("vote.tally_incomplete",
                     BoxName(box) + " has not been opened");
    }
    if (box.part_count == 0 || box.parts.size() != box.part_count) {
      return Refused("vote.tally_incomplete", "the ballots of " + BoxName(box) +
                                                  " are not all recorded yet");
    }
  }
  uint64_t issued = 0;
  uint64_t collected = 0;
  for (uint64_t b : round.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.collected > box.issued) {
      return Refused("vote.collected_exceeds_issued",
                     BoxName(box) + " collected " +
                         std::to_string(box.collected) +
                         " ballots but issued only " +
                         std::to_string(box.issued) + ": " + rn +
                         " cannot be certified; the presidium declares it void "
                         "(roundVoided) and it is held again");
    }
    issued += box.issued;
    collected += box.collected;
  }
  auto items = e.getItems();
  if (items.size() != round.items.size()) {
    return Refused("vote.tally_mismatch",
                   "the certified tally lists " + std::to_string(items.size()) +
                       " items, the ballot of " + rn + " has " +
                       std::to_string(round.items.size()));
  }
  for (size_t i = 0; i < items.size(); ++i) {
    auto c = items[i];
    if (c.getItem() != round.items[i]) {
      return Refused(
          "vote.tally_mismatch",
          "item " + std::to_string(i + 1) + " of the certified tally is " +
              std::to_string(c.getItem()) + ", but the ballot's item " +
              std::to_string(i + 1) + " is " + std::to_string(round.items[i]));
    }
    const uint64_t sum = uint64_t{c.getApprove()} + c.getOppose() +
                         c.getAbstain() + c.getSatisfactionAbstain();
    if (sum != e.getValid()) {
      return Refused("vote.tally_sum",
                     "item " + std::to_string(c.getItem()) + ": " +
                         std::to_string(sum) +
                         " marks certified, but there are " +
                         std::to_string(e.getValid()) +
                         " valid ballots (each valid ballot marks every item "
                         "once)");
    }
  }
  const BallotCount count = RoundCount(m, round);
  if (e.getIssued() != issued)
    return Mismatch("ballots issued", e.getIssued(), issued);
  if (e.getCollected() != collected) {
    return Mismatch("ballots collected", e.getCollected(), collected);
  }
  if (e.getValid() != count.valid) {
    return Mismatch("valid ballots", e.getValid(), count.valid);
  }
  if (e.getInvalid() != count.invalid) {
    return Mismatch("invalid ballots", e.getInvalid(), count.invalid);
  }
  const bool satisfaction = m.votes.at(round.vote).purpose ==
                            static_cast<int>(schema::VotePurpose::SATISFACTION);
  for (size_t i = 0; i < items.size(); ++i) {
    auto c = items[i];
    const ItemCount& r = count.items[i];
    const std::string item = "item " + std::to_string(r.item) + " ";
    if (c.getApprove() != r.approve) {
      return Mismatch(item + (satisfaction ? "satisfied" : "approve"),
                      c.getApprove(), r.approve);
    }
    if (c.getOppose() != r.oppose) {
      return Mismatch(item + (satisfaction ? "basically satisfied" : "oppose"),
                      c.getOppose(), r.oppose);
    }
    if (c.getAbstain() != r.abstain) {
      return Mismatch(item + (satisfaction ? "unsatisfied" : "abstain"),
                      c.getAbstain(), r.abstain);
    }
    if (c.getSatisfactionAbstain() != r.satisfaction_abstain) {
      return Mismatch(item + "abstain", c.getSatisfactionAbstain(),
                      r.satisfaction_abstain);
    }
  }
  return Status::Ok();
}

void ApplyTallyCertified(Model& m, const Ctx& ctx,
                         schema::TallyCertified::Reader e) {
  RoundRec& round = m.rounds.mut(e.getRound());
  round.tally = ctx.index;
  CertifiedTally& t = round.certified;
  t.issued = e.getIssued();
  t.collected = e.getCollected();
  t.valid = e.getValid();
  t.invalid = e.getInvalid();
  t.items.clear();
  for (auto c : e.getItems()) {
    t.items.push_back(ItemCount{c.getItem(), c.getApprove(), c.getOppose(),
                                c.getAbstain(), c.getSatisfactionAbstain()});
  }
  t.certified_by.clear();
  for (auto name : e.getCertifiedBy())
    t.certified_by.emplace_back(ledger::TextString(name));
  m.entries.mut(ctx.index).owner = round.ref;
  m.Touched(round.ref, ctx.by, "tally");
}

// ---------------------------------------------------------------------------
// resultAnnounced

Status CheckResultAnnounced(const Model& m, const Ctx& ctx,
                            schema::ResultAnnounced::Reader e) {
  RETURN_IF_ERROR(
      CheckDate("result.fields", "announcedOn", e.getAnnouncedOn(), false));
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getRound(), RefKind::kRound, "round"));
  const RoundRec& round = m.rounds.at(e.getRound());
  const std::string rn = "round " + std::to_string(round.number);
  RETURN_IF_ERROR(NotVoid(round));
  if (round.result != kNoRef) {
    return Refused("vote.result_twice", "the result of " + rn +
                                            " was already announced (entry " +
                                            std::to_string(round.result) + ")");
  }
  if (round.tally == kNoRef) {
    return Refused("vote.result_before_tally",
                   "the tally of " + rn + " has not been certified");
  }
  const TallyRules rules = RulesFor(m, round);
  const Outcome want = Decide(rules, RoundCount(m, round));
  constexpr std::string_view kRule = "vote.result_mismatch";
  const std::vector<uint64_t> elected(ToVector(e.getElected()));
  const std::vector<uint64_t> tied(ToVector(e.getTiedAtCutoff()));
  if (elected != want.elected) {
    return Refused(kRule, "the announcement elects " + RefList(elected) +
                              ", but the certified ballots elect " +
                              RefList(want.elected) +
                              " (ranked by approvals, highest first)");
  }
  if (std::set<uint64_t>(tied.begin(), tied.end()) !=
          std::set<uint64_t>(want.tied_at_cutoff.begin(),
                             want.tied_at_cutoff.end()) ||
      tied.size() != want.tied_at_cutoff.size()) {
    return Refused(kRule, "the announcement names " + RefList(tied) +
                              " as tied at the cut-off, but the certified "
                              "ballots tie " +
                              RefList(want.tied_at_cutoff));
  }
  if (e.getVacantSeats() != want.vacant_seats) {
    return Refused(
        kRule, "the announcement leaves " + std::to_string(e.getVacantSeats()) +
                   " seats vacant, but the certified ballots leave " +
                   std::to_string(want.vacant_seats));
  }
  auto grades = e.getGrades();
  if (grades.size() != want.grades.size()) {
    return Refused(kRule, "the announcement grades " +
                              std::to_string(grades.size()) +
                              " items, the vote rated " +
                              std::to_string(want.grades.size()));
  }
  std::set<uint64_t> graded;
  for (auto g : grades) {
    auto it =
        std::find_if(want.grades.begin(), want.grades.end(),
                     [&](const auto& w) { return w.first == g.getItem(); });
    if (it == want.grades.end() || !graded.insert(g.getItem()).second) {
      return Refused(kRule, "item " + std::to_string(g.getItem()) +
                                " is not rated once in this round");
    }
    if (static_cast<int>(g.getGrade()) != static_cast<int>(it->second)) {
      return Refused(kRule, "item " + std::to_string(g.getItem()) +
                                " is announced as grade " +
                                std::to_string(static_cast<int>(g.getGrade())) +
                                ", but the certified ballots give " +
                                GradeName(it->second));
    }
  }
  return Status::Ok();
}

void ApplyResultAnnounced(Model& m, const Ctx& ctx,
                          schema::ResultAnnounced::Reader e) {
  RoundRec& round = m.rounds.mut(e.getRound());
  round.result = ctx.index;
  round.elected = ToVector(e.getElected());
  round.tied = ToVector(e.getTiedAtCutoff());
  round.vacant = e.getVacantSeats();
  round.grades.clear();
  for (auto g : e.getGrades()) {
    round.grades.emplace_back(g.getItem(), static_cast<int>(g.getGrade()));
  }
  round.announced_on = FromSchema(e.getAnnouncedOn());
  const VoteRec& vote = m.votes.at(round.vote);
  for (uint64_t ref : round.elected) {
    m.proposals.mut(ref).elected_round = round.ref;
    ProjectRec& p = m.projects.slot(ref);
    p.ref = ref;
    p.cycle = vote.cycle;
    p.elected_round = round.ref;
    m.cycles.mut(vote.cycle).projects.push_back(ref);
    m.Touched(ref, ctx.by, "elected");
  }
  for (const auto& [item, grade] : round.grades) {
    m.projects.mut(item).grades.push_back(GradeRec{round.ref, grade});
    m.Touched(item, ctx.by, "graded");
  }
  m.entries.mut(ctx.index).owner = round.ref;
  m.Touched(round.ref, ctx.by, "result");
}

// ---------------------------------------------------------------------------
// roundVoided

Status CheckRoundVoided(const Model& m, const Ctx& ctx,
                        schema::RoundVoided::Reader e) {
  if (e.getReason().size() == 0) {
    return Malformed("void.fields",
                     "a round is declared void with its reason stated");
  }
  RETURN_IF_ERROR(CheckDate("void.fields", "voidedOn", e.getVoidedOn(), false));
  RETURN_IF_ERROR(CheckRef(m, ctx, e.getRound(), RefKind::kRound, "round"));
  const RoundRec& round = m.rounds.at(e.getRound());
  const std::string rn = "round " + std::to_string(round.number);
  if (round.voided != kNoRef) {
    return Refused("void.twice", rn + " was already declared void by entry " +
                                     std::to_string(round.voided));
  }
  // Once the monitors certified the tally the count is settled: the round
  // has its result, and a vote the presidium dislikes is not redone.
  if (round.tally != kNoRef) {
    return Refused("void.after_tally",
                   "the tally of " + rn + " was certified (entry " +
                       std::to_string(round.tally) +
                       "); a certified round cannot be declared void");
  }
  return Status::Ok();
}

void ApplyRoundVoided(Model& m, const Ctx& ctx, schema::RoundVoided::Reader e) {
  RoundRec& round = m.rounds.mut(e.getRound());
  round.voided = ctx.index;
  round.void_reason = ledger::TextString(e.getReason());
  round.voided_on = FromSchema(e.getVoidedOn());
  m.entries.mut(ctx.index).owner = round.ref;
  m.Touched(round.ref, ctx.by, "voided");
}

}  // namespace piaojue::projections::internal
