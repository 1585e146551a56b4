#include "projections/records.h"

#include "projections/internal/model.h"

namespace piaojue::projections {

std::optional<ProposalPlace> PlaceOfProposal(const State& state, uint64_t ref) {
  const internal::Model& m = state.model();
  const internal::ProposalRec* p = m.proposals.get(ref);
  if (p == nullptr) p = m.retracted_proposals.get(ref);
  if (p == nullptr) return std::nullopt;
  const internal::CycleRec* cycle = m.cycles.get(p->cycle);
  if (cycle == nullptr) return std::nullopt;
  ProposalPlace place;
  place.cycle = p->cycle;
  // Both lists are in key order (the views' order).
  for (const auto& c : m.cycles) {
    if (c.first == place.cycle) break;
    ++place.cycle_index;
  }
  // The funnel lists the cycle's live and retracted proposals by ref.
  for (uint64_t r : cycle->proposals) place.funnel_index += r < ref;
  for (uint64_t r : cycle->retracted_proposals) place.funnel_index += r < ref;
  return place;
}

}  // namespace piaojue::projections
