// `piaojue cycle status`: where a cycle stands, what is still missing, and
// which office must sign the next act — read from the views (docs/VIEWS.md)
// and the key registry, for a clerk who does not know the rules by heart.
// See docs/COMMANDS.md, "piaojue cycle status", and docs/GUIDE.md.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/authority.h"
#include "ledger/status.h"
#include "projections/dates.h"
#include "projections/state.h"

namespace piaojue::cli {

// One office that may sign the next act: its role and, when keys for it
// are registered in the cycle's jurisdiction, their holders.
struct Signer {
  std::string role;                  // schema name, e.g. "partyCommittee"
  std::vector<std::string> holders;  // registered, unrevoked
};

struct CycleStatus {
  uint64_t cycle = 0;
  std::string title;
  std::string jurisdiction;  // code
  // collection | screening | list | vote | supervision | evaluation | closed
  std::string step;
  std::string step_label;            // in the language asked for
  std::vector<std::string> missing;  // "审定: 3 条候选建议尚未经党委审定"
  std::vector<std::string> notes;  // facts that do not block (e.g. late)
  std::string next_act;            // event kind, "" when closed
  std::string next_act_label;      // in the language asked for
  std::string next_hint;           // the command that prepares it, if any
  std::vector<Signer> signers;     // who may sign the next act
};

// The status of `cycle` in `state`, judged on `today` (the collection
// window). `registry` is the ledger's key registry (Ledger::authority()).
// NotFound unless `cycle` is a cycleOpened entry.
Result<CycleStatus> ComputeCycleStatus(const projections::State& state,
                                       const ledger::Authority& registry,
                                       uint64_t cycle, projections::Date today,
                                       bool chinese);

void PrintCycleStatus(const CycleStatus& status, bool chinese,
                      std::ostream& out);

struct CycleStatusOptions {
  std::string data;
  uint64_t cycle = 0;
  bool chinese = false;
};
Status ShowCycleStatus(const CycleStatusOptions& o, std::ostream& out);

}  // namespace piaojue::cli
