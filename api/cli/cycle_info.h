// What the clerk's commands (`piaojue ballots`, `tally draft`, `cycle
// status`) read about a round from the projections, through the public
// views (projections/views.h) and the recount (projections/state.h), and
// how they write the commands they prepare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/cli/ballots_csv.h"
#include "ledger/status.h"
#include "projections/state.h"

namespace piaojue::cli {

struct BoxInfo {
  uint64_t ref = 0;
  std::string label;
  bool opened = false;
  uint32_t issued = 0;
  uint32_t collected = 0;
  uint16_t parts_recorded = 0;
};

struct RoundInfo {
  uint64_t ref = 0;
  uint64_t vote = 0;
  uint64_t cycle = 0;
  uint16_t number = 0;
  std::string jurisdiction;  // the cycle's
  SheetRound sheet;          // rules and items (ballot order, with names)
  std::vector<BoxInfo> boxes;
  bool certified = false;
};

// NotFound (naming what `round` is instead) unless `round` is a roundOpened
// entry of `state`.
Result<RoundInfo> ReadRoundInfo(const projections::State& state,
                                uint64_t round);

// "; boxes of round R: 45 第1票箱, 46 第2票箱" (for error messages).
std::string BoxList(const RoundInfo& round, bool chinese);

// Writes one prepared command to `path` (never overwriting a file). With
// an empty `key_file` the command is written as is, for its signer to sign
// with `piaojue sign` on their own machine; otherwise it is signed with the
// key in `key_file` for the log `origin` and written as a signed envelope.
Status WriteCommandFile(const std::string& path, const std::string& command,
                        const std::string& key_file, const std::string& origin);

}  // namespace piaojue::cli
