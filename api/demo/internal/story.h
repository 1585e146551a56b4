// The story itself: every event of the demo, in log order. Private to
// api/demo/.
#pragma once

#include <string>
#include <vector>

#include "api/demo/internal/content.h"
#include "api/demo/internal/writer.h"
#include "ledger/status.h"

namespace piaojue::demo::internal {

// Entries worth a look, for the guide `piaojue demo` prints.
struct Landmarks {
  uint64_t county_cycle = 0;
  uint64_t county_selection_vote = 0;
  uint64_t county_satisfaction_vote = 0;
  uint64_t correction = 0;
  uint64_t late_notice = 0;  // the supervision notice to the late project
};

// Tells the whole story through `writer` (which appends, checks or skips
// each event). Returns an error only for a flaw in the story's own inputs
// (a ballot design that cannot be laid out); append errors stay in the
// writer. Fills `landmarks` with the indices of a few entries.
Status TellStory(Writer& writer, Landmarks* landmarks);

// The same story told by the jurisdictions `places` (a county, then two of
// its townships) instead of 清河县's, into any sink (the province generator
// tells it once per county; see demo.h, TellProvince).
Status TellStory(EventSink& sink, const Place (&places)[3],
                 Landmarks* landmarks);

// The valid project-selection ballots the facts describe, one string of
// candidates.size() marks each, before they are shuffled into boxes.
// InvalidArgument if a ballot would approve more candidates than seats.
Result<std::vector<std::string>> LayOutSelectionBallots(
    const SelectionFacts& facts);

}  // namespace piaojue::demo::internal
