// piaojue-verify: the independent auditor's tool. See docs/VERIFY.md.
//
//   piaojue-verify PATH [--vkey KEY] [--root-key KEY] [--checkpoint FILE]...
//                  [--json] [--as-of N] [--explain RECORD]
//
// Exit 0: valid, pinned with --vkey. Exit 1: invalid. Exit 2: cannot read
// the input, bad usage. Exit 3: valid but unpinned (no --vkey).
#include <kj/exception.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "ledger/crypto.h"
#include "ledger/text_validation.h"
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
  app.add_option("--root-key", options.root_key,
                 "the deployment's root key (64 hex digits, as `piaojue init` "
                 "prints it); pins the authority genesis names");
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
    return app.exit(e) == 0 ? 0 : kExitUnusable;
  }
  if (!piaojue::crypto::InitCrypto().ok()) return kExitUnusable;
  VerifyReport report;
  // Malformed input is reported as a value; an exception here is a bug, and
  // still gets a message and exit 2 rather than an abort.
  try {
    report = LooksLikeProofBundle(options.path) ? VerifyProofBundle(options)
                                                : Verify(options);
  } catch (const kj::Exception& e) {
    std::cerr << "piaojue-verify: internal error (please report it): "
              << piaojue::ledger::DescribeException(e) << "\n";
    return kExitUnusable;
  } catch (const std::exception& e) {
    std::cerr << "piaojue-verify: internal error (please report it): "
              << piaojue::ledger::PrintableAscii(e.what()) << "\n";
    return kExitUnusable;
  }
  if (json) {
    WriteReportJson(report, std::cout);
  } else {
    WriteReportText(report, std::cout);
  }
  std::cout.flush();
  return report.exit_code;
}
