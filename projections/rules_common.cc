// Helpers shared by the rules files: refusals, dates, references, rounds.
#include <algorithm>
#include <cstdio>

#include "ledger/entry.h"
#include "projections/internal/rules.h"

namespace piaojue::projections::internal {

Status Refused(std::string_view rule, const std::string& message) {
  return FailedPrecondition("rule " + std::string(rule) + ": " + message);
}

Status Malformed(std::string_view rule, const std::string& message) {
  return InvalidArgument("rule " + std::string(rule) + ": " + message);
}

Date FromSchema(schema::Date::Reader d) {
  return Date{d.getYear(), d.getMonth(), d.getDay()};
}

Status CheckDate(std::string_view rule, std::string_view field,
                 schema::Date::Reader d, bool required) {
  const Date date = FromSchema(d);
  if (date.unset()) {
    if (!required) return Status::Ok();
    return Malformed(rule, std::string(field) + " is required");
  }
  if (!IsValidDate(date)) {
    return Malformed(
        rule, std::string(field) + " " + std::to_string(date.year) + "-" +
                  std::to_string(date.month) + "-" + std::to_string(date.day) +
                  " is not a calendar date");
  }
  return Status::Ok();
}

std::string YuanString(int64_t fen) {
  const bool negative = fen < 0;
  // Work in unsigned so INT64_MIN does not overflow.
  uint64_t abs =
      negative ? 0 - static_cast<uint64_t>(fen) : static_cast<uint64_t>(fen);
  std::string digits = std::to_string(abs / 100);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  char cents[8];
  std::snprintf(cents, sizeof(cents), ".%02u",
                static_cast<unsigned>(abs % 100));
  return (negative ? "-" : "") + grouped + cents;
}

std::string Describe(const Model& m, uint64_t ref) {
  if (auto it = m.proposals.find(ref); it != m.proposals.end()) {
    return "proposal " + std::to_string(ref) + " \"" +
           std::string(it->second.details.title()) + "\"";
  }
  if (auto it = m.cycles.find(ref); it != m.cycles.end()) {
    return "cycle " + std::to_string(ref) + " \"" + it->second.title.str() +
           "\"";
  }
  if (auto it = m.boxes.find(ref); it != m.boxes.end()) {
    return "ballot box " + std::to_string(ref) + " \"" + it->second.label +
           "\"";
  }
  if (auto it = m.rounds.find(ref); it != m.rounds.end()) {
    return "round " + std::to_string(it->second.number) + " (entry " +
           std::to_string(ref) + ")";
  }
  return "entry " + std::to_string(ref);
}

namespace {

const char* KindWord(RefKind kind) {
  switch (kind) {
    case RefKind::kCycle:
      return "cycle";
    case RefKind::kProposal:
      return "proposal";
    case RefKind::kVote:
      return "vote (votingRulesAdopted)";
    case RefKind::kRound:
      return "round (roundOpened)";
    case RefKind::kBox:
      return "ballot box (ballotBoxSealed)";
    case RefKind::kRectification:
      return "rectification order";
  }
  return "record";
}

bool KindMatches(RefKind kind, int which) {
  switch (kind) {
    case RefKind::kCycle:
      return which == Which::CYCLE_OPENED;
    case RefKind::kProposal:
      return which == Which::PROPOSAL_SUBMITTED ||
             which == Which::PROPOSALS_MERGED;
    case RefKind::kVote:
      return which == Which::VOTING_RULES_ADOPTED;
    case RefKind::kRound:
      return which == Which::ROUND_OPENED;
    case RefKind::kBox:
      return which == Which::BALLOT_BOX_SEALED;
    case RefKind::kRectification:
      return which == Which::RECTIFICATION_ORDERED;
  }
  return false;
}

bool RecordExists(const Model& m, RefKind kind, uint64_t ref) {
  switch (kind) {
    case RefKind::kCycle:
      return m.cycles.count(ref) > 0;
    case RefKind::kProposal:
      return m.proposals.count(ref) > 0;
    case RefKind::kVote:
      return m.votes.count(ref) > 0;
    case RefKind::kRound:
      return m.rounds.count(ref) > 0;
    case RefKind::kBox:
      return m.boxes.count(ref) > 0;
    case RefKind::kRectification:
      return m.rectifications.count(ref) > 0;
  }
  return false;
}

}  // namespace

Status CheckRef(const Model& m, const Ctx& ctx, uint64_t ref, RefKind kind,
                std::string_view field) {
  // Built only for a refusal: CheckRef runs several times an entry.
  auto what = [&] {
    return std::string(field) + " refers to entry " + std::to_string(ref);
  };
  if (ref == kNoRef || ref >= ctx.index || ref >= m.entries.size()) {
    return Refused("ref.missing", what() + ", but no " + KindWord(kind) +
                                      " was created by such an entry before");
  }
  const EntryMeta& meta = m.entries[ref];
  if (!KindMatches(kind, meta.kind)) {
    return Refused("ref.wrong_kind",
                   what() + ", which is a " +
                       ledger::EventKindName(
                           static_cast<schema::Event::Which>(meta.kind)) +
                       ", not a " + KindWord(kind));
  }
  if (m.JurisdictionOf(meta) != ctx.jurisdiction) {
    return Refused("ref.other_jurisdiction",
                   what() + " of jurisdiction " + m.JurisdictionOf(meta) +
                       ", but this act belongs to jurisdiction " +
                       ctx.jurisdiction);
  }
  if (meta.retracted) {
    return Refused("ref.retracted",
                   what() + ", which was retracted by correction entry " +
                       std::to_string(m.CorrectionsOf(ref).empty()
                                          ? 0
                                          : m.CorrectionsOf(ref).back()));
  }
  if (!RecordExists(m, kind, ref)) {
    return Refused("ref.missing", what() + ", which no longer exists");
  }
  return Status::Ok();
}

Status CheckProject(const Model& m, const Ctx& ctx, uint64_t ref,
                    std::string_view field) {
  RETURN_IF_ERROR(CheckRef(m, ctx, ref, RefKind::kProposal, field));
  if (!m.projects.count(ref)) {
    return Refused("supervision.not_elected",
                   Describe(m, ref) +
                       " was not elected by the deputies' vote, so it is not "
                       "a project of its cycle");
  }
  return Status::Ok();
}

TallyRules RulesFor(const Model& m, const RoundRec& round) {
  const VoteRec& vote = m.votes.at(round.vote);
  TallyRules r;
  r.purpose = static_cast<VotePurpose>(vote.purpose);
  r.seats = round.seats;
  r.max_approvals = round.max_approvals;
  r.pass_base = static_cast<PassBase>(vote.pass_base);
  r.entitled = vote.entitled;
  r.present = round.present;
  r.exactly_half_passes = vote.exactly_half_passes;
  return r;
}

uint32_t MinBallotsPerBox(const VoteRec& vote) {
  return vote.min_ballots_per_box == 0 ? kDefaultMinBallotsPerBox
                                       : vote.min_ballots_per_box;
}

uint16_t RoundMaxApprovals(const VoteRec& vote, uint16_t round_seats) {
  if (vote.purpose != static_cast<int>(VotePurpose::kProjectSelection)) {
    return 0;
  }
  const uint16_t limit =
      vote.max_approvals == 0 ? vote.seats : vote.max_approvals;
  return std::min(limit, round_seats);
}

bool RoundVoid(const Model&, const RoundRec& round) {
  return round.voided != kNoRef;
}

bool CollectedExceedsIssued(const Model& m, const RoundRec& round) {
  for (uint64_t b : round.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.opened != kNoRef && box.collected > box.issued) return true;
  }
  return false;
}

bool RoundFullyRecorded(const Model& m, const RoundRec& round) {
  if (round.boxes.empty()) return false;
  for (uint64_t b : round.boxes) {
    const BoxRec& box = m.boxes.at(b);
    if (box.opened == kNoRef || box.part_count == 0 ||
        box.parts.size() != box.part_count) {
      return false;
    }
  }
  return true;
}

BallotCount RoundCount(const Model& m, const RoundRec& round) {
  BallotCount total = EmptyCount(round.items);
  for (uint64_t b : round.boxes) AddCount(m.boxes.at(b).count, &total);
  return total;
}

int LatestAdjustmentKind(const ProjectRec& p, uint64_t except) {
  int kind = 0;
  for (const AdjustmentRec& a : p.adjustments) {
    if (a.entry != except) kind = a.kind;
  }
  return kind;
}

bool HoldsRole(const Model& m, const crypto::PublicKey& author,
               schema::Role role, const std::string& jurisdiction) {
  const std::vector<KeyGrantRec>* grants = m.key_grants.get(author);
  if (grants == nullptr) return false;
  return std::any_of(grants->begin(), grants->end(), [&](const KeyGrantRec& g) {
    return g.role == static_cast<int>(role) && g.jurisdiction == jurisdiction;
  });
}

uint64_t OwnerOf(const Model& m, uint64_t entry) {
  return entry < m.entries.size() ? m.entries[entry].owner : kNoRef;
}

}  // namespace piaojue::projections::internal
