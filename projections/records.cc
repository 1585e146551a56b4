#include "projections/records.h"

#include "projections/internal/model.h"

namespace piaojue::projections {

std::optional<uint64_t> ProposalCycle(const State& state, uint64_t ref) {
  const internal::Model& m = state.model();
  const internal::ProposalRec* p = m.proposals.get(ref);
  if (p == nullptr) p = m.retracted_proposals.get(ref);
  if (p == nullptr) return std::nullopt;
  return static_cast<uint64_t>(p->cycle);
}

}  // namespace piaojue::projections
