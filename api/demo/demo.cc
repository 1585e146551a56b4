#include "api/demo/demo.h"

#include "api/demo/internal/story.h"
#include "api/demo/internal/writer.h"
#include "ledger/crypto.h"
#include "ledger/note.h"

namespace piaojue::demo {

Status Run(const Options& options, std::ostream& out) {
  RETURN_IF_ERROR(crypto::InitCrypto());
  if (options.data.empty()) return InvalidArgument("--data is required");
  Stage until = Stage::kEvaluation;
  if (!options.until.empty()) {
    ASSIGN_OR_RETURN(until, ParseStage(options.until));
  }
  const cli::DataDir dir(options.data);
  internal::Writer writer(dir, until, options.sync);
  internal::Landmarks landmarks;
  RETURN_IF_ERROR(internal::TellStory(writer, &landmarks));
  RETURN_IF_ERROR(writer.Finish());

  const uint64_t size = writer.existing() + writer.appended();
  const std::string reached =
      writer.last_stage() ? std::string(StageName(*writer.last_stage())) : "";
  if (writer.appended() == 0) {
    if (size == writer.story_size()) {
      out << "the demo ledger in " << options.data << " is complete (" << size
          << " entries); nothing to do\n";
    } else if (size > writer.story_size()) {
      const uint64_t more = size - writer.story_size();
      out << "the demo ledger in " << options.data << " is complete and holds "
          << more << (more == 1 ? " entry" : " entries")
          << " more, appended since; nothing to do\n";
    } else {
      out << "the demo ledger in " << options.data << " already holds " << size
          << " entries, through stage " << reached
          << "; nothing to do until a later stage is asked for\n";
    }
  } else {
    out << "appended entries " << writer.existing() << ".." << size - 1
        << " to the demo ledger in " << options.data << "\n";
    if (size == writer.story_size()) {
      out << "the demo ledger is complete: " << size
          << " entries, from the call for proposals (2024-09) to the "
             "rectification report (2026-04)\n";
    } else {
      out << "stopped after stage " << reached << " (" << size << " of "
          << writer.story_size()
          << " entries); run again without --until to finish\n";
    }
  }
  // What to look at, among what the ledger holds so far. Each line is a
  // command followed by a shell comment, so it can be pasted as it is.
  const std::string show = "  piaojue show --data " + options.data + " ";
  const std::string cycle = std::to_string(landmarks.county_cycle);
  auto has = [&](uint64_t ref) { return ref > 0 && ref < size; };
  out << "views to look at (records are named by entry index):\n";
  out << show << "cycles  # the three cycles and the stage each has reached\n";
  if (has(landmarks.county_cycle)) {
    out << show << "funnel --cycle " << cycle
        << "  # where each county proposal dropped out, by whom, why\n";
  }
  if (has(landmarks.county_selection_vote)) {
    out << show << "tally --record " << landmarks.county_selection_vote
        << "  # the county vote: boxes, certified tally, recount\n";
    out << show << "projects --cycle " << cycle
        << "  # plans, progress, milestones, acceptance, grades\n";
  }
  if (has(landmarks.late_notice)) {
    out << show << "projects --cycle " << cycle
        << " --as-of 2025-08-31T23:59:59+08:00  # one project late\n";
  }
  if (has(landmarks.county_satisfaction_vote)) {
    out << show << "tally --record " << landmarks.county_satisfaction_vote
        << "  # the satisfaction vote of January 2026\n";
  }
  out << "office keys (demo only, public knowledge): " << KeysDir(options.data)
      << "\n";
  out << "verifier key: "
      << note::FormatVerifierKey(kOrigin,
                                 internal::LogKey().key_pair.public_key)
      << "\n";
  return Status::Ok();
}

std::string KeysDir(std::string_view data) {
  std::string d(data);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d + "-keys";
}

}  // namespace piaojue::demo
