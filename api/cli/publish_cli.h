// `piaojue publish --data DIR --out WWW`: the static publication of a ledger
// (api/server/publish.h, docs/DEPLOY.md), wired to the command line.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "api/server/publish.h"
#include "ledger/status.h"

namespace piaojue::cli {

class PublishCommand {
 public:
  // Adds the subcommand to `app`; `data` receives --data.
  PublishCommand(CLI::App& app, std::string& data);

  // After parsing: the command's status, or nullopt when it was not chosen.
  // Prints what was published, and with --list every file written.
  std::optional<Status> Run(std::ostream& out);

 private:
  std::string& data_;
  CLI::App* cmd_ = nullptr;
  server::PublishOptions options_;
  bool list_ = false;
};

}  // namespace piaojue::cli
