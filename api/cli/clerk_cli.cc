#include "api/cli/clerk_cli.h"

#include "api/cli/messages.h"

namespace piaojue::cli {

ClerkCommands::ClerkCommands(CLI::App& app, std::string& data) : data_(data) {
  ballots_cmd_ = app.add_subcommand(
      "ballots",
      "read a ballot box's paper ballots from a CSV sheet, show the totals "
      "and write (or submit) the ballotsRecorded commands");
  ballots_cmd_->add_option("--data", data_, "data directory")->required();
  ballots_cmd_->add_option("--round", ballots_.round, "round ref")->required();
  ballots_cmd_->add_option("--box", ballots_.box, "ballot box ref")->required();
  ballots_cmd_->add_option("--from", ballots_.from, "the CSV sheet")
      ->required();
  ballots_cmd_->add_option("--key", ballots_.key_file,
                           "the teller's key file (signs the commands)");
  ballots_cmd_->add_option("--out", ballots_.out_dir,
                           "write one command file per part into this "
                           "directory");
  ballots_cmd_->add_flag("--submit", ballots_.submit,
                         "append the parts to the ledger in --data");

  auto* tally = app.add_subcommand("tally", "the tally of a round");
  tally->require_subcommand(1);
  tally_draft_cmd_ = tally->add_subcommand(
      "draft",
      "write the tallyCertified command pre-filled from the recorded ballots");
  tally_draft_cmd_->add_option("--data", data_, "data directory")->required();
  tally_draft_cmd_->add_option("--round", tally_draft_.round, "round ref")
      ->required();
  tally_draft_cmd_->add_option("--certified-by", tally_draft_.certified_by,
                               "a teller's or monitor's name (repeatable)");
  tally_draft_cmd_->add_option("--out", tally_draft_.out_file,
                               "command file (default: standard output)");

  auto* cycle = app.add_subcommand("cycle", "a cycle's progress");
  cycle->require_subcommand(1);
  cycle_status_cmd_ = cycle->add_subcommand(
      "status", "which step the cycle is at, what is missing, who signs next");
  cycle_status_cmd_->add_option("--data", data_, "data directory")->required();
  cycle_status_cmd_->add_option("--cycle", cycle_status_.cycle, "cycle ref")
      ->required();
}

std::optional<Status> ClerkCommands::Run(std::ostream& out) {
  const bool zh = LangFromEnvironment() == Lang::kChinese;
  if (*ballots_cmd_) {
    ballots_.data = data_;
    ballots_.chinese = zh;
    return RecordBallotsFromSheet(ballots_, out);
  }
  if (*tally_draft_cmd_) {
    tally_draft_.data = data_;
    tally_draft_.chinese = zh;
    return TallyDraft(tally_draft_, out);
  }
  if (*cycle_status_cmd_) {
    cycle_status_.data = data_;
    cycle_status_.chinese = zh;
    return ShowCycleStatus(cycle_status_, out);
  }
  return std::nullopt;
}

}  // namespace piaojue::cli
