// Shared declarations of the rules engine: the context an event is checked
// in, refusal helpers, reference lookups and the per-kind Check/Apply pairs.
// Private to projections/. Every rule id used here is listed in
// docs/RULES.md.
//
// Convention: CheckX never changes the model and returns the first rule the
// event breaks; ApplyX assumes CheckX returned OK for the same model and
// context. With ctx.replacing, both act on the record created (or the
// sub-record written) by entry ctx.index, which a correction replaces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/entry.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"
#include "ledger/text_validation.h"
#include "projections/internal/ctx.h"
#include "projections/internal/model.h"

namespace piaojue::projections::internal {

using Which = schema::Event::Which;

// FailedPrecondition("rule <id>: <message>").
Status Refused(std::string_view rule, const std::string& message);
// InvalidArgument("rule <id>: <message>") for malformed content.
Status Malformed(std::string_view rule, const std::string& message);

Date FromSchema(schema::Date::Reader d);
// Cap'n Proto list iterators are not standard iterators; copy by index.
inline std::vector<uint64_t> ToVector(capnp::List<uint64_t>::Reader list) {
  std::vector<uint64_t> out;
  out.reserve(list.size());
  for (uint64_t v : list) out.push_back(v);
  return out;
}
// OK if the field is a valid date (or unset and not required).
Status CheckDate(std::string_view rule, std::string_view field,
                 schema::Date::Reader d, bool required);

// "entry 12" plus the record's name where one is known, for messages.
std::string Describe(const Model& m, uint64_t ref);
std::string YuanString(int64_t fen);  // "1,234.56"

enum class RefKind {
  kCycle,
  kProposal,
  kVote,
  kRound,
  kBox,
  kRectification,
};

// OK when `ref` names, before ctx.index, a live (not retracted) record of
// `kind` in ctx.jurisdiction. Rules ref.missing, ref.wrong_kind,
// ref.retracted, ref.other_jurisdiction.
Status CheckRef(const Model& m, const Ctx& ctx, uint64_t ref, RefKind kind,
                std::string_view field);
// CheckRef(kProposal) and the proposal was elected: a project. Rule
// supervision.not_elected.
Status CheckProject(const Model& m, const Ctx& ctx, uint64_t ref,
                    std::string_view field);

// Every text of the event is readable, valid UTF-8 (rule event.text_utf8)
// and free of forbidden characters (rule event.text_control): see
// docs/FORMAT.md, "Text fields".
Status CheckEventText(schema::Event::Reader event);

// The fewest ballots a box of the vote may be opened with (box.too_small).
uint32_t MinBallotsPerBox(const VoteRec& vote);

// The recount inputs of a round.
TallyRules RulesFor(const Model& m, const RoundRec& round);
// The maxApprovals a round of `vote` filling `round_seats` must state
// (round.max_approvals): the rules' maxApprovals (their seats when 0), never
// more than the round's seats; 0 for a satisfaction vote.
uint16_t RoundMaxApprovals(const VoteRec& vote, uint16_t round_seats);
// The round was declared void by a roundVoided entry.
bool RoundVoid(const Model& m, const RoundRec& round);
// Some box of the round was opened with collected > issued: no tally, and
// the round must be declared void.
bool CollectedExceedsIssued(const Model& m, const RoundRec& round);
// Every box opened and all parts of every box recorded (and >= 1 box).
bool RoundFullyRecorded(const Model& m, const RoundRec& round);
// Sum of the counts of every box of the round.
BallotCount RoundCount(const Model& m, const RoundRec& round);

// The latest effective kind among the project's adjustments
// (AdjustmentKind), ignoring the adjustment written by entry `except`.
int LatestAdjustmentKind(const ProjectRec& p, uint64_t except = kNoRef);

// Dispatch over every event kind (state.cc).
Status CheckEvent(const Model& m, const Ctx& ctx, schema::Event::Reader e);
void ApplyEvent(Model& m, const Ctx& ctx, schema::Event::Reader e);

// rules_collection.cc
Status CheckCycleOpened(const Model& m, const Ctx& ctx,
                        schema::CycleOpened::Reader e);
void ApplyCycleOpened(Model& m, const Ctx& ctx, schema::CycleOpened::Reader e);
Status CheckProposalSubmitted(const Model& m, const Ctx& ctx,
                              schema::ProposalSubmitted::Reader e);
void ApplyProposalSubmitted(Model& m, const Ctx& ctx,
                            schema::ProposalSubmitted::Reader e);
Status CheckProposalsMerged(const Model& m, const Ctx& ctx,
                            schema::ProposalsMerged::Reader e);
void ApplyProposalsMerged(Model& m, const Ctx& ctx,
                          schema::ProposalsMerged::Reader e);
// The details as the model keeps them: without the description and funding
// note, which are the proposal's view texts (ProposalTexts).
Details DetailsFrom(schema::ProposalDetails::Reader d);

// rules_screening.cc
Status CheckScreeningDecided(const Model& m, const Ctx& ctx,
                             schema::ScreeningDecided::Reader e);
void ApplyScreeningDecided(Model& m, const Ctx& ctx,
                           schema::ScreeningDecided::Reader e);
Status CheckCandidateListFixed(const Model& m, const Ctx& ctx,
                               schema::CandidateListFixed::Reader e);
void ApplyCandidateListFixed(Model& m, const Ctx& ctx,
                             schema::CandidateListFixed::Reader e);
// True when the proposal passed all three stages.
bool PassedAllStages(const ProposalRec& p);
// The stage (1..3) at which the proposal was rejected, or 0.
int RejectedAt(const ProposalRec& p);
// "government review (审核)", ... for stage 1..3.
std::string StageName(int stage);

// rules_vote.cc
Status CheckVotingRulesAdopted(const Model& m, const Ctx& ctx,
                               schema::VotingRulesAdopted::Reader e);
void ApplyVotingRulesAdopted(Model& m, const Ctx& ctx,
                             schema::VotingRulesAdopted::Reader e);
Status CheckDeliberationRecorded(const Model& m, const Ctx& ctx,
                                 schema::DeliberationRecorded::Reader e);
void ApplyDeliberationRecorded(Model& m, const Ctx& ctx,
                               schema::DeliberationRecorded::Reader e);
Status CheckRoundOpened(const Model& m, const Ctx& ctx,
                        schema::RoundOpened::Reader e);
void ApplyRoundOpened(Model& m, const Ctx& ctx, schema::RoundOpened::Reader e);

// rules_ballots.cc
Status CheckBallotBoxSealed(const Model& m, const Ctx& ctx,
                            schema::BallotBoxSealed::Reader e);
void ApplyBallotBoxSealed(Model& m, const Ctx& ctx,
                          schema::BallotBoxSealed::Reader e);
Status CheckBallotBoxOpened(const Model& m, const Ctx& ctx,
                            schema::BallotBoxOpened::Reader e);
void ApplyBallotBoxOpened(Model& m, const Ctx& ctx,
                          schema::BallotBoxOpened::Reader e);
Status CheckBallotsRecorded(const Model& m, const Ctx& ctx,
                            schema::BallotsRecorded::Reader e);
void ApplyBallotsRecorded(Model& m, const Ctx& ctx,
                          schema::BallotsRecorded::Reader e);
Status CheckTallyCertified(const Model& m, const Ctx& ctx,
                           schema::TallyCertified::Reader e);
void ApplyTallyCertified(Model& m, const Ctx& ctx,
                         schema::TallyCertified::Reader e);
Status CheckResultAnnounced(const Model& m, const Ctx& ctx,
                            schema::ResultAnnounced::Reader e);
void ApplyResultAnnounced(Model& m, const Ctx& ctx,
                          schema::ResultAnnounced::Reader e);
Status CheckRoundVoided(const Model& m, const Ctx& ctx,
                        schema::RoundVoided::Reader e);
void ApplyRoundVoided(Model& m, const Ctx& ctx, schema::RoundVoided::Reader e);

// rules_supervision.cc
Status CheckSupervision(const Model& m, const Ctx& ctx,
                        schema::Event::Reader e);
void ApplySupervision(Model& m, const Ctx& ctx, schema::Event::Reader e);

// rules_correction.cc
Status CheckCorrection(const Model& m, const Ctx& ctx,
                       schema::Correction::Reader e);
void ApplyCorrection(Model& m, const Ctx& ctx, schema::Correction::Reader e);

// The record an entry belongs to (itself for record-creating entries).
uint64_t OwnerOf(const Model& m, uint64_t entry);

// Whether the key `author` (its bytes) was registered with `role` in
// `jurisdiction`.
bool HoldsRole(const Model& m, const crypto::PublicKey& author,
               schema::Role role, const std::string& jurisdiction);

// model_json.cc: the content entry `target` wrote, as the model holds it now
// (a JSON text; "null" when it no longer exists), for CorrectionRec.
std::string TargetContentJson(const Model& m, uint64_t target);

}  // namespace piaojue::projections::internal
