// The clerk's commands on the command line: `piaojue ballots`, `piaojue
// tally draft` and `piaojue cycle status` (docs/COMMANDS.md, docs/GUIDE.md).
// Kept apart from main.cc so the option wiring of these commands lives with
// them.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "api/cli/ballots_csv.h"
#include "api/cli/cycle_status.h"
#include "api/cli/tally_draft.h"
#include "ledger/status.h"

namespace piaojue::cli {

class ClerkCommands {
 public:
  // Adds the subcommands to `app`; `data` receives --data.
  ClerkCommands(CLI::App& app, std::string& data);

  // After parsing: the chosen command's status, or nullopt when none of
  // these commands was chosen.
  std::optional<Status> Run(std::ostream& out);

 private:
  std::string& data_;
  CLI::App* ballots_cmd_ = nullptr;
  CLI::App* tally_draft_cmd_ = nullptr;
  CLI::App* cycle_status_cmd_ = nullptr;
  BallotsOptions ballots_;
  TallyDraftOptions tally_draft_;
  CycleStatusOptions cycle_status_;
};

}  // namespace piaojue::cli
