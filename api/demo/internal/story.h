// The story itself: every event of the demo, in log order. Private to
// api/demo/.
#pragma once

#include <string>
#include <vector>

#include "api/demo/internal/writer.h"
#include "ledger/status.h"

namespace piaojue::demo::internal {

// Tells the whole story through `writer` (which appends, checks or skips
// each event). Returns an error only for a flaw in the story's own inputs
// (a ballot design that cannot be laid out); append errors stay in the
// writer.
Status TellStory(Writer& writer);

// The valid project-selection ballots the facts describe, one string of
// candidates.size() marks each, before they are shuffled into boxes.
// InvalidArgument if a ballot would approve more candidates than seats.
Result<std::vector<std::string>> LayOutSelectionBallots(
    const SelectionFacts& facts);

}  // namespace piaojue::demo::internal
