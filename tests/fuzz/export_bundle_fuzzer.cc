// The export bundle reader (ledger/bundle.h) and the verifier's whole run
// over a bundle (verifier/verify.h): framing, entry decoding, the chain, the
// checkpoint, the cycle's rules and the recount, on a hostile file. The
// verdict may be anything; it must be reached without a crash.
#include <cstddef>
#include <cstdint>

#include "ledger/bundle.h"
#include "ledger/entry.h"
#include "tests/fuzz/fuzz_util.h"
#include "verifier/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  static const fuzz::ScratchFile file(".bundle");
  const std::string& path = file.Write(data, size);

  uint64_t declared = 0, seen = 0;
  Status read = ledger::ReadBundle(
      path,
      [&](std::string_view, uint64_t count) {
        declared = count;
        return Status::Ok();
      },
      [&](uint64_t index, std::string_view entry) {
        FUZZ_CHECK(index == seen, "entries are read in order");
        FUZZ_CHECK(!entry.empty() && entry.size() <= size,
                   "an entry lies within the file");
        ++seen;
        return ledger::EntryView::Parse(entry).status();
      });
  if (read.ok()) FUZZ_CHECK(seen == declared, "every declared entry is read");

  verifier::VerifyOptions options;
  options.path = path;
  options.threads = 1;
  options.quiet = true;
  verifier::VerifyReport report = verifier::Verify(options);
  FUZZ_CHECK(report.exit_code != verifier::kExitValid,
             "an unpinned bundle cannot be fully valid");
  (void)verifier::ReportToJson(report);
  return 0;
}
