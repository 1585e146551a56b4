// Single records of a State, found without rendering a view: for a caller
// that needs one record's rows (a proposal's story) and would otherwise
// render a whole list to find them.
//
// Thread-safety: as the views (read only; safe on an unchanging State).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "projections/state.h"

namespace piaojue::projections {

// Where cycle `cycle` stands in the "cycles" view's list, so that a page of
// one renders just its row; nullopt if no cycle was opened at `cycle`.
// Costs a walk of the cycles' references, no JSON.
std::optional<uint64_t> CycleIndex(const State& state, uint64_t cycle);

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

// A proposal's searchable texts, as its funnel row shows them ("title",
// "description", "location", "receiptRef"). Valid during the call only.
struct ProposalSearchTexts {
  uint64_t ref = 0;
  uint64_t cycle = 0;
  std::string_view title;
  std::string_view description;
  std::string_view location;
  std::string_view receipt_ref;
};

// Calls `visit` for each proposal of every cycle, or of `cycle` only (none
// if no cycle was opened there): live, merged and retracted, in the order
// of the cycle list and then of each cycle's funnel. What a search over
// the funnels' rows reads, without rendering any row: its cost is a walk
// of the proposals' texts.
void ForEachProposalTexts(
    const State& state, std::optional<uint64_t> cycle,
    const std::function<void(const ProposalSearchTexts&)>& visit);

}  // namespace piaojue::projections
