// The proof bundle reader (verifier/proof_bundle.h): a hostile
// piaojue-proof/2 file checked as `piaojue-verify` checks one, and its
// report written as text and JSON.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace piaojue;
  fuzz::InitOnce();
  static const fuzz::ScratchFile file(".proof.json");
  const std::string& path = file.Write(data, size);

  verifier::VerifyOptions options;
  options.path = path;
  options.threads = 1;
  options.quiet = true;
  verifier::VerifyReport report = verifier::VerifyProofBundle(options);
  FUZZ_CHECK(report.exit_code != verifier::kExitValid,
             "an unpinned proof bundle cannot be fully valid");
  (void)verifier::ReportToText(report);
  (void)verifier::ReportToJson(report);
  return 0;
}
