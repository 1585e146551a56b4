#include "projections/records.h"

#include <algorithm>

#include "projections/internal/model.h"
#include "projections/internal/view_util.h"

namespace piaojue::projections {

std::optional<uint64_t> CycleIndex(const State& state, uint64_t cycle) {
  const internal::Model& m = state.model();
  if (m.cycles.get(cycle) == nullptr) return std::nullopt;
  // The cycle list is in key order, as the map iterates.
  uint64_t index = 0;
  for (const auto& c : m.cycles) {
    if (c.first == cycle) break;
    ++index;
  }
  return index;
}

std::optional<ProposalPlace> PlaceOfProposal(const State& state, uint64_t ref) {
  const internal::Model& m = state.model();
  const internal::ProposalRec* p = m.proposals.get(ref);
  if (p == nullptr) p = m.retracted_proposals.get(ref);
  if (p == nullptr) return std::nullopt;
  const internal::CycleRec* cycle = m.cycles.get(p->cycle);
  if (cycle == nullptr) return std::nullopt;
  ProposalPlace place;
  place.cycle = p->cycle;
  place.cycle_index = *CycleIndex(state, place.cycle);
  const std::vector<uint64_t> refs = internal::FunnelRefs(*cycle);
  place.funnel_index = static_cast<uint64_t>(
      std::lower_bound(refs.begin(), refs.end(), ref) - refs.begin());
  return place;
}

void ForEachProposalTexts(
    const State& state, std::optional<uint64_t> cycle,
    const std::function<void(const ProposalSearchTexts&)>& visit) {
  const internal::Model& m = state.model();
  auto visit_cycle = [&](uint64_t cycle_ref, const internal::CycleRec& c) {
    for (uint64_t ref : internal::FunnelRefs(c)) {
      const internal::ProposalRec& p = internal::AnyProposal(m, ref);
      const internal::ProposalTexts& t = p.texts();
      visit(ProposalSearchTexts{ref, cycle_ref, p.details.title(),
                                t.description.view(), p.details.location(),
                                t.receipt_ref.view()});
    }
  };
  if (cycle) {
    if (const internal::CycleRec* c = m.cycles.get(*cycle)) {
      visit_cycle(*cycle, *c);
    }
    return;
  }
  for (const auto& c : m.cycles) visit_cycle(c.first, c.second);
}

}  // namespace piaojue::projections
