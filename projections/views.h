// The views people read: deterministic JSON documents computed from a State.
// Shapes and examples: docs/VIEWS.md.
//
// Conventions: object keys sorted (nlohmann::json's default), so equal states
// give equal bytes; money as {"fen": integer, "yuan": "1,234.56"}; dates as
// "YYYY-MM-DD" (null when not given); references as integer log indices;
// enumerations by their schema names; text as UTF-8. Every view carries
// "view", "size" (the entries folded) and "asOf".
//
// Thread-safety: View only reads the State; concurrent calls on the same
// unchanging State are safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"
#include "projections/dates.h"
#include "projections/state.h"

namespace piaojue::projections {

struct ViewQuery {
  std::optional<uint64_t> cycle;   // funnel, candidates, projects
  std::optional<uint64_t> record;  // audit (any record); tally (a vote or
                                   // round); projects (one project)
  std::optional<uint64_t> round;   // tally: one round
  // The date milestone status is judged on; default: the CST date of the
  // state's as_of_ms() when set (ReplayAsOf), else of the last entry folded.
  std::optional<Date> as_of;
  // Only this window of the view's list is wanted (the API sends one page).
  // The funnel then renders just the proposals in it, at a cost of the page
  // plus one walk of the cycle's proposals without JSON (its totals), and
  // the cycle list just the cycles in it (plus a walk of the cycles'
  // references); both add the "page" object themselves: {"list", "offset"
  // (clamped to the list's length), "limit", "total", "next" (null on the
  // last page)}, as docs/VIEWS.md describes. The other views ignore it (the
  // API cuts their page from the whole list). Unset: every item.
  struct Page {
    uint64_t offset = 0;
    uint64_t limit = 0;
  };
  std::optional<Page> page;
};

// "cycles", "funnel", "candidates", "tally", "projects", "audit".
std::vector<std::string> ViewNames();

// The view `name` of `state`. NotFound for an unknown view or a reference
// that names no record of the kind the view needs; InvalidArgument when a
// required query field is missing. Never throws.
Result<nlohmann::json> View(const State& state, std::string_view name,
                            const ViewQuery& query);

}  // namespace piaojue::projections
