// Single records of a State, found without rendering a view: for a caller
// that needs one fact about one record (which cycle a proposal belongs to)
// and would otherwise render every cycle's funnel to find it.
//
// Thread-safety: as the views (read only; safe on an unchanging State).
#pragma once

#include <cstdint>
#include <optional>

#include "projections/state.h"

namespace piaojue::projections {

// The cycle proposal `ref` was made in (or, for a merged proposal, the
// cycle of its merge): live, merged and retracted proposals alike. nullopt
// if no proposal was ever made at `ref`.
std::optional<uint64_t> ProposalCycle(const State& state, uint64_t ref);

}  // namespace piaojue::projections
