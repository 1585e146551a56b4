// `piaojue tally draft`: the tallyCertified command of a round, pre-filled
// from the recount of its recorded ballots, for the monitors to compare
// with their paper tally and sign. See docs/COMMANDS.md.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/status.h"
#include "projections/state.h"

namespace piaojue::cli {

// The command (JSON text, ending in a newline) certifying `round` as the
// recount counts it, with `certified_by` (the tellers' and monitors' names)
// as given. FailedPrecondition while the round cannot be certified: a box
// not opened or not fully recorded, a box that collected more than it
// issued (the round must be voided), a void or already certified round.
Result<std::string> DraftTally(const projections::State& state, uint64_t round,
                               const std::vector<std::string>& certified_by,
                               bool chinese);

struct TallyDraftOptions {
  std::string data;
  uint64_t round = 0;
  std::vector<std::string> certified_by;
  std::string out_file;  // "" = standard output
  bool chinese = false;
};
Status TallyDraft(const TallyDraftOptions& o, std::ostream& out);

}  // namespace piaojue::cli
