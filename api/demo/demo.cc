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
  RETURN_IF_ERROR(internal::TellStory(writer));
  RETURN_IF_ERROR(writer.Finish());

  const uint64_t size = writer.existing() + writer.appended();
  const std::string reached =
      writer.last_stage() ? std::string(StageName(*writer.last_stage())) : "";
  if (writer.appended() == 0) {
    if (size == writer.story_size()) {
      out << "the demo ledger in " << options.data << " is complete (" << size
          << " entries); nothing to do\n";
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
  out << "verifier key: "
      << note::FormatVerifierKey(kOrigin,
                                 internal::LogKey().key_pair.public_key)
      << "\n";
  return Status::Ok();
}

}  // namespace piaojue::demo
