#include "api/cli/publish_cli.h"

namespace piaojue::cli {

PublishCommand::PublishCommand(CLI::App& app, std::string& data) : data_(data) {
  cmd_ = app.add_subcommand(
      "publish",
      "write the checkpoint, tiles, views and portal as plain files for any "
      "web server, object store or CDN (docs/DEPLOY.md)");
  cmd_->add_option("--data", data_, "data directory")->required();
  cmd_->add_option("--out", options_.out_dir,
                   "the directory to publish into (created if missing)")
      ->required();
  cmd_->add_option("--dynamic-url", options_.dynamic_url,
                   "public URL of a live `piaojue serve` for time travel, "
                   "search, the proposal form and live updates");
  cmd_->add_flag("--list", list_, "print every file written");
}

std::optional<Status> PublishCommand::Run(std::ostream& out) {
  if (!*cmd_) return std::nullopt;
  options_.data_dir = data_;
  auto report = server::Publish(options_);
  if (!report.ok()) return report.status();
  if (list_) {
    for (const std::string& path : report->written) out << path << "\n";
  }
  out << "published the checkpoint of " << report->tree_size << " entries";
  if (report->previous_tree_size > 0) {
    out << " (previously " << report->previous_tree_size << ")";
  }
  out << " to " << options_.out_dir << ": " << report->written.size()
      << " files written, " << report->unchanged << " unchanged\n";
  return Status::Ok();
}

}  // namespace piaojue::cli
