// State: the fold, its dispatch over event kinds, and RulesValidator.
#include "projections/state.h"

#include <algorithm>
#include <cstring>

#include "projections/internal/model.h"
#include "projections/internal/rules.h"

namespace piaojue::projections {

namespace internal {

Status CheckEvent(const Model& m, const Ctx& ctx, schema::Event::Reader e) {
  switch (e.which()) {
    case Which::GENESIS:
    case Which::JURISDICTION_REGISTERED:
    case Which::KEY_REGISTERED:
    case Which::KEY_REVOKED:
      return Status::Ok();  // the registry's rules are ledger::Authority's
    case Which::CYCLE_OPENED:
      return CheckCycleOpened(m, ctx, e.getCycleOpened());
    case Which::PROPOSAL_SUBMITTED:
      return CheckProposalSubmitted(m, ctx, e.getProposalSubmitted());
    case Which::PROPOSALS_MERGED:
      return CheckProposalsMerged(m, ctx, e.getProposalsMerged());
    case Which::SCREENING_DECIDED:
      return CheckScreeningDecided(m, ctx, e.getScreeningDecided());
    case Which::CANDIDATE_LIST_FIXED:
      return CheckCandidateListFixed(m, ctx, e.getCandidateListFixed());
    case Which::VOTING_RULES_ADOPTED:
      return CheckVotingRulesAdopted(m, ctx, e.getVotingRulesAdopted());
    case Which::DELIBERATION_RECORDED:
      return CheckDeliberationRecorded(m, ctx, e.getDeliberationRecorded());
    case Which::ROUND_OPENED:
      return CheckRoundOpened(m, ctx, e.getRoundOpened());
    case Which::BALLOT_BOX_SEALED:
      return CheckBallotBoxSealed(m, ctx, e.getBallotBoxSealed());
    case Which::BALLOT_BOX_OPENED:
      return CheckBallotBoxOpened(m, ctx, e.getBallotBoxOpened());
    case Which::BALLOTS_RECORDED:
      return CheckBallotsRecorded(m, ctx, e.getBallotsRecorded());
    case Which::TALLY_CERTIFIED:
      return CheckTallyCertified(m, ctx, e.getTallyCertified());
    case Which::RESULT_ANNOUNCED:
      return CheckResultAnnounced(m, ctx, e.getResultAnnounced());
    case Which::IMPLEMENTATION_PLANNED:
    case Which::PROGRESS_REPORTED:
    case Which::INSPECTION_RECORDED:
    case Which::SUPERVISION_NOTICE_ISSUED:
    case Which::ADJUSTMENT_DECIDED:
    case Which::ACCEPTANCE_RECORDED:
    case Which::EVALUATION_SCORED:
    case Which::RECTIFICATION_ORDERED:
    case Which::RECTIFICATION_REPORTED:
    case Which::OPERATION_REVIEWED:
      return CheckSupervision(m, ctx, e);
    case Which::CORRECTION:
      if (ctx.replacing) {
        return Malformed("correction.kind",
                         "a correction cannot be replaced by a correction");
      }
      return CheckCorrection(m, ctx, e.getCorrection());
    case Which::ROUND_VOIDED:
      return CheckRoundVoided(m, ctx, e.getRoundVoided());
  }
  return Malformed("event.kind",
                   "event kind " + std::to_string(static_cast<int>(e.which())) +
                       " is unknown to these rules");
}

void ApplyEvent(Model& m, const Ctx& ctx, schema::Event::Reader e) {
  switch (e.which()) {
    case Which::GENESIS: {
      auto g = e.getGenesis();
      m.origin = ledger::TextString(g.getOrigin());
      m.deployment_name = ledger::TextString(g.getDeploymentName());
      return;
    }
    case Which::JURISDICTION_REGISTERED: {
      auto j = e.getJurisdictionRegistered();
      JurisdictionRec rec;
      rec.code = ledger::TextString(j.getCode());
      rec.name = ledger::TextString(j.getName());
      rec.level = static_cast<int>(j.getLevel());
      rec.parent = ledger::TextString(j.getParentCode());
      rec.registered_at = ctx.index;
      m.jurisdictions.mut()[rec.code] = rec;
      return;
    }
    case Which::KEY_REGISTERED: {
      auto k = e.getKeyRegistered();
      // The key's own bytes, not their hex (Model::key_grants). The
      // registry's rules (ledger::Authority) admit keys of 32 bytes only.
      crypto::PublicKey key;
      if (k.getKey().size() != key.size()) return;
      std::memcpy(key.data(), k.getKey().begin(), key.size());
      // Who holds a key only the views show (a rules-only state keeps the
      // grants, which the rules read, not the holder).
      if (m.keep_view_data) {
        m.key_holders.slot(key) = ledger::TextString(k.getHolder());
      }
      m.key_grants.slot(key).push_back(
          KeyGrantRec{static_cast<int>(k.getRole()),
                      ledger::TextString(k.getJurisdiction())});
      return;
    }
    case Which::KEY_REVOKED:
      return;
    case Which::CYCLE_OPENED:
      return ApplyCycleOpened(m, ctx, e.getCycleOpened());
    case Which::PROPOSAL_SUBMITTED:
      return ApplyProposalSubmitted(m, ctx, e.getProposalSubmitted());
    case Which::PROPOSALS_MERGED:
      return ApplyProposalsMerged(m, ctx, e.getProposalsMerged());
    case Which::SCREENING_DECIDED:
      return ApplyScreeningDecided(m, ctx, e.getScreeningDecided());
    case Which::CANDIDATE_LIST_FIXED:
      return ApplyCandidateListFixed(m, ctx, e.getCandidateListFixed());
    case Which::VOTING_RULES_ADOPTED:
      return ApplyVotingRulesAdopted(m, ctx, e.getVotingRulesAdopted());
    case Which::DELIBERATION_RECORDED:
      return ApplyDeliberationRecorded(m, ctx, e.getDeliberationRecorded());
    case Which::ROUND_OPENED:
      return ApplyRoundOpened(m, ctx, e.getRoundOpened());
    case Which::BALLOT_BOX_SEALED:
      return ApplyBallotBoxSealed(m, ctx, e.getBallotBoxSealed());
    case Which::BALLOT_BOX_OPENED:
      return ApplyBallotBoxOpened(m, ctx, e.getBallotBoxOpened());
    case Which::BALLOTS_RECORDED:
      return ApplyBallotsRecorded(m, ctx, e.getBallotsRecorded());
    case Which::TALLY_CERTIFIED:
      return ApplyTallyCertified(m, ctx, e.getTallyCertified());
    case Which::RESULT_ANNOUNCED:
      return ApplyResultAnnounced(m, ctx, e.getResultAnnounced());
    case Which::IMPLEMENTATION_PLANNED:
    case Which::PROGRESS_REPORTED:
    case Which::INSPECTION_RECORDED:
    case Which::SUPERVISION_NOTICE_ISSUED:
    case Which::ADJUSTMENT_DECIDED:
    case Which::ACCEPTANCE_RECORDED:
    case Which::EVALUATION_SCORED:
    case Which::RECTIFICATION_ORDERED:
    case Which::RECTIFICATION_REPORTED:
    case Which::OPERATION_REVIEWED:
      return ApplySupervision(m, ctx, e);
    case Which::CORRECTION:
      return ApplyCorrection(m, ctx, e.getCorrection());
    case Which::ROUND_VOIDED:
      return ApplyRoundVoided(m, ctx, e.getRoundVoided());
  }
}

}  // namespace internal

using internal::Ctx;
using internal::Model;

State::State() : model_(std::make_unique<Model>()) {}
State::~State() = default;
State::State(const State& other)
    : model_(std::make_unique<Model>(*other.model_)) {}
State& State::operator=(const State& other) {
  if (this != &other) model_ = std::make_unique<Model>(*other.model_);
  return *this;
}
State::State(State&&) noexcept = default;
State& State::operator=(State&&) noexcept = default;

uint64_t State::size() const { return model_->size; }
int64_t State::last_recorded_at_ms() const {
  return model_->last_recorded_at_ms;
}

crypto::Hash State::last_entry_hash() const {
  crypto::Hash h{};
  if (!model_->last_entry_hash.empty()) {
    crypto::FromHex(model_->last_entry_hash, h).PermitUncheckedError();
  }
  return h;
}

void State::set_as_of_ms(int64_t ms) { model_->as_of_ms = ms; }
int64_t State::as_of_ms() const { return model_->as_of_ms; }
void State::KeepViewData(bool keep) { model_->keep_view_data = keep; }

std::vector<uint64_t> State::CycleRefs() const {
  std::vector<uint64_t> refs;
  for (const auto& [ref, cycle] : model_->cycles) refs.push_back(ref);
  return refs;
}

std::optional<std::string_view> State::ProposalTitle(uint64_t ref) const {
  const internal::ProposalRec* p = model_->proposals.get(ref);
  if (p == nullptr) p = model_->retracted_proposals.get(ref);
  if (p == nullptr) return std::nullopt;
  return p->details.title();
}

namespace {

Ctx ContextOf(const ledger::EntryView& entry) {
  Ctx ctx;
  ctx.index = entry.index();
  ctx.date = DateFromMs(entry.recorded_at_ms());
  ctx.jurisdiction = ledger::TextString(entry.authored().getJurisdiction());
  ctx.by = entry.index();
  ctx.by_date = ctx.date;
  ctx.author = entry.author_key();
  return ctx;
}

}  // namespace

PreparedEntry::PreparedEntry(ledger::EntryView entry)
    : PreparedEntry(std::move(entry), /*check_texts=*/true) {}
// The rules' text check (event.text_utf8, event.text_control) walks the
// event's texts again only when decoding did not check them already: the
// decoder checked every text of the authored event (a superset of the
// event's) with the same function and the same line rules, so the rules'
// walk could only agree with it (EntryView::texts_checked).
PreparedEntry::PreparedEntry(ledger::EntryView entry, bool check_texts)
    : entry_(std::move(entry)),
      text_(check_texts && !entry_.texts_checked()
                ? internal::CheckEventText(entry_.event())
                : Status::Ok()),
      entry_hash_(entry_.EntryHash()),
      ctx_(ContextOf(entry_)) {}
PreparedEntry::~PreparedEntry() = default;
PreparedEntry::PreparedEntry(PreparedEntry&&) noexcept = default;
PreparedEntry& PreparedEntry::operator=(PreparedEntry&&) noexcept = default;

Status State::Check(const ledger::EntryView& entry) const {
  return Check(PreparedEntry(entry));
}

Status State::Check(const PreparedEntry& prepared) const {
  const ledger::EntryView& entry = prepared.entry();
  if (entry.index() != model_->size) {
    return internal::Refused("state.order",
                             "entry " + std::to_string(entry.index()) +
                                 " cannot follow: the state holds " +
                                 std::to_string(model_->size) + " entries");
  }
  RETURN_IF_ERROR(prepared.text_);
  return internal::CheckEvent(*model_, prepared.ctx_, entry.event());
}

void State::Apply(const ledger::EntryView& entry) {
  Apply(PreparedEntry(entry, /*check_texts=*/false));
}

void State::Apply(const PreparedEntry& prepared) {
  uint32_t author = kUnknownNumber, jurisdiction = kUnknownNumber;
  Apply(prepared, author, jurisdiction);
}

void State::Apply(const PreparedEntry& prepared, uint32_t& author_id,
                  uint32_t& jurisdiction_id) {
  const ledger::EntryView& entry = prepared.entry();
  Model& m = *model_;
  const Ctx& ctx = prepared.ctx_;
  internal::EntryMeta meta;
  meta.kind = static_cast<uint16_t>(entry.event().which());
  if (jurisdiction_id == kUnknownNumber) {
    jurisdiction_id = m.InternJurisdiction(ctx.jurisdiction);
  }
  meta.jurisdiction = jurisdiction_id;
  if (author_id == kUnknownNumber) {
    const crypto::PublicKey& author = ctx.author;
    // Only a new author changes the (shared) author table: looking one up
    // must not copy it.
    if (const uint32_t* found = m.author_ids.get(author); found != nullptr) {
      author_id = *found;
    } else {
      author_id = static_cast<uint32_t>(m.authors.size());
      m.author_ids.emplace(author, author_id);
      m.authors.push_back(author);
    }
  }
  meta.author = author_id;
  meta.recorded_at_ms = entry.recorded_at_ms();
  meta.owner = ctx.index;  // sub-record kinds overwrite it
  m.AddEntry(meta, entry.authored().getSignedAtMs());
  internal::ApplyEvent(m, ctx, entry.event());
  m.size = ctx.index + 1;
  m.last_recorded_at_ms = entry.recorded_at_ms();
  // The hex of the entry's hash, written over the previous entry's (the
  // same 64 digits' room) rather than made as a new string each entry.
  static constexpr char kDigits[] = "0123456789abcdef";
  m.last_entry_hash.resize(2 * prepared.entry_hash_.size());
  char* hex = m.last_entry_hash.data();
  for (uint8_t b : prepared.entry_hash_) {
    *hex++ = kDigits[b >> 4];
    *hex++ = kDigits[b & 0xf];
  }
  m.as_of_ms = 0;  // the state now stands at its last entry
}

Result<RoundRecount> State::Recount(uint64_t round) const {
  const Model& m = *model_;
  auto it = m.rounds.find(round);
  if (it == m.rounds.end()) {
    return NotFound("entry " + std::to_string(round) + " is not a round");
  }
  const internal::RoundRec& r = it->second;
  RoundRecount out;
  out.round = round;
  out.vote = r.vote;
  out.rules = internal::RulesFor(m, r);
  out.items = r.items;
  for (uint64_t b : r.boxes) {
    const internal::BoxRec& box = m.boxes.at(b);
    if (box.opened == internal::kNoRef) continue;
    out.issued += box.issued;
    out.collected += box.collected;
  }
  out.void_round = internal::RoundVoid(m, r);
  out.collected_exceeds_issued = internal::CollectedExceedsIssued(m, r);
  out.complete = internal::RoundFullyRecorded(m, r);
  out.count = internal::RoundCount(m, r);
  out.outcome = Decide(out.rules, out.count);
  return out;
}

Status RulesValidator::Validate(const ledger::EntryView& entry) {
  std::lock_guard<std::mutex> lock(state_mu_);
  return state_.Check(entry);
}

void RulesValidator::Apply(const ledger::EntryView& entry) {
  std::lock_guard<std::mutex> lock(state_mu_);
  state_.Apply(entry);
}

bool RulesValidator::Adopt(const State& state) {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (state_.size() != state.size()) return false;
  state_ = state;
  if (keep_durable_) {
    auto copy = std::make_shared<const State>(state_);
    std::lock_guard<std::mutex> durable(durable_mu_);
    // Only if the last durable state is this size: an older one stays
    // until the next group (Publish never goes back).
    if (durable_ != nullptr && durable_->size() == copy->size()) {
      durable_ = std::move(copy);
    }
  }
  return true;
}

void RulesValidator::Durable(uint64_t size) {
  std::lock_guard<std::mutex> state_lock(state_mu_);
  if (!keep_durable_ || state_.size() != size) return;
  auto copy = std::make_shared<const State>(state_);
  std::lock_guard<std::mutex> lock(durable_mu_);
  durable_ = std::move(copy);
}

void RulesValidator::KeepDurableStates() {
  keep_durable_ = true;
  auto copy = std::make_shared<const State>(state_);
  std::lock_guard<std::mutex> lock(durable_mu_);
  durable_ = std::move(copy);
}

std::shared_ptr<const State> RulesValidator::DurableState() const {
  std::lock_guard<std::mutex> lock(durable_mu_);
  return durable_;
}

}  // namespace piaojue::projections
