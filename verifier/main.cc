// piaojue-verify: the independent auditor's tool. See docs/VERIFY.md.
//
//   piaojue-verify PATH [--vkey KEY] [--json] [--as-of N] [--explain RECORD]
//
// Exit 0: valid. Exit 1: invalid. Exit 2: cannot read the input, bad usage.
#include <CLI/CLI.hpp>
#include <iostream>

#include "ledger/crypto.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

int main(int argc, char** argv) {
  using namespace piaojue::verifier;
  CLI::App app{
      "piaojue-verify: checks a piaojue ledger or export bundle from its "
      "entries alone and recounts every vote"};
  VerifyOptions options;
  bool json = false;
  app.add_option("path", options.path, "ledger data directory or export bundle")
      ->required();
  app.add_option("--vkey", options.vkey,
                 "the log's checkpoint verifier key (name+id+base64); pins "
                 "who signed the checkpoints");
  app.add_option("--checkpoint", options.extra_checkpoints,
                 "an earlier signed checkpoint file to check against the log "
                 "(repeatable)");
  app.add_option("--as-of", options.as_of,
                 "verify and report only the first N entries");
  app.add_option("--explain", options.explain,
                 "print the audit trail of one record (entry index) with "
                 "inclusion proofs");
  app.add_option("--threads", options.threads,
                 "signature-checking threads (default: all cores)");
  app.add_flag("--json", json, "full machine-readable report");
  app.add_flag("--quiet", options.quiet, "no progress on the terminal");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!piaojue::crypto::InitCrypto().ok()) return 2;
  VerifyReport report = LooksLikeProofBundle(options.path)
                            ? VerifyProofBundle(options.path, options.vkey)
                            : Verify(options);
  if (json) {
    std::cout << ReportToJson(report) << "\n";
  } else {
    std::cout << ReportToText(report);
  }
  return report.exit_code;
}
