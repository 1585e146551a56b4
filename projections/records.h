// Single records of a State, found without rendering a view: for a caller
// that needs one record's rows (a proposal's story) and would otherwise
// render a whole list to find them.
//
// Thread-safety: as the views (read only; safe on an unchanging State).
#pragma once

#include <cstdint>
#include <optional>

#include "projections/state.h"

namespace piaojue::projections {

// Where proposal `ref` stands in the views, so that a page of one item
// renders just its rows (ViewQuery::page): the cycle it was made in (for a
// merged proposal, the cycle of its merge), that cycle's position in the
// "cycles" view's list, and the proposal's position in that cycle's
// "funnel" list. Live, merged and retracted proposals alike; nullopt if no
// proposal was ever made at `ref`. Costs a walk of the cycles' and the
// cycle's references, no JSON.
struct ProposalPlace {
  uint64_t cycle = 0;
  uint64_t cycle_index = 0;   // in "cycles"
  uint64_t funnel_index = 0;  // in the cycle's "funnel"
};
std::optional<ProposalPlace> PlaceOfProposal(const State& state, uint64_t ref);

}  // namespace piaojue::projections
