// piaojue-verify: the independent auditor's tool. See docs/VERIFY.md.
//
//   piaojue-verify PATH|URL [--vkey KEY] [--root-key KEY] [--checkpoint
//   FILE]...
//                  [--witness VKEY]... [--witness-quorum K] [--witness-wait S]
//                  [--state FILE [--follow [--interval S]]]
//                  [--json] [--as-of N] [--explain RECORD]
//
// Exit 0: valid, pinned with --vkey. Exit 1: invalid. Exit 2: cannot read
// the input, bad usage. Exit 3: valid but unpinned (no --vkey). Exit 4: a
// live log's checkpoint is inconsistent with the one the --state file
// remembers (truncation, rewrite, split view).
#include <kj/exception.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <CLI/CLI.hpp>
#include <chrono>
#include <exception>
#include <iostream>

#include "ledger/crypto.h"
#include "ledger/text_validation.h"
#include "verifier/monitor.h"
#include "verifier/prefault.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Every thread allocates from one malloc arena (the small blocks still
  // from each thread's cache, off the arena's lock). With an arena a
  // thread, the rules' state grew in its thread's arena and the batches in
  // the in-order thread's, neither reusing the other's free memory: the
  // peak at 1,000,000 entries rose from ~248 to 255-264 MiB (docs/
  // PERFORMANCE.md, "The cycle's rules on a thread of their own").
  mallopt(M_ARENA_MAX, 1);
#endif
  using namespace piaojue::verifier;
  CLI::App app{
      "piaojue-verify: checks a piaojue ledger or export bundle from its "
      "entries alone and recounts every vote"};
  VerifyOptions options;
  bool json = false;
  app.add_option("path", options.path,
                 "ledger data directory, export bundle, proof bundle, or a "
                 "live log's tlog-tiles prefix (http://HOST/PREFIX or "
                 "https://…)")
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
                 "signature-checking threads, the one of the in-order checks "
                 "among them (default: all cores)");
  app.add_option("--witness", options.witnesses,
                 "a witness's cosignature verifier key (name+id+base64); "
                 "repeatable");
  app.add_option("--witness-quorum", options.witness_quorum,
                 "how many of the --witness keys must have cosigned the "
                 "checkpoint that covers the log (default: all)");
  MonitorOptions monitor;
  double interval_s = 60;
  app.add_option("--state", monitor.state_file,
                 "live log: remember the last verified checkpoint in FILE, "
                 "and require the next one to be consistent with it");
  app.add_flag("--follow", monitor.follow,
               "live log: keep polling (needs --state)");
  app.add_option("--interval", interval_s,
                 "--follow: seconds between polls (default 60)")
      ->check(CLI::Range(0.1, 86400.0));
  double witness_wait_s = 10;
  app.add_option("--witness-wait", witness_wait_s,
                 "live log with --witness: when its newest checkpoint lacks "
                 "the quorum, seconds to wait for the witnesses' "
                 "cosignatures before verifying it (default 10, 0: none)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_flag("--json", json, "full machine-readable report");
  app.add_flag("--quiet", options.quiet, "no progress on the terminal");
  bool no_signatures = false;
  app.add_flag("--no-signatures", no_signatures,
               "skip the authors' signatures on the entries (every other "
               "check runs): for measuring, not an audit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitUnusable;
  }
  if (!piaojue::crypto::InitCrypto().ok()) return kExitUnusable;
  // The heap's new pages made present ahead of malloc's first write to
  // them, for a fraction of the faults' cost on a virtual machine; the heap
  // grown 1 MiB ahead: ~2 MiB more at the peak (docs/PERFORMANCE.md,
  // "Province scale"). Not for --follow: a process that runs for days
  // should give the top of its heap back between rounds, which this stops.
  if (!monitor.follow) (void)PrefaultHeap(1 << 20);
  options.check_signatures = !no_signatures;
  auto print = [&](const VerifyReport& r) {
    if (json) {
      WriteReportJson(r, std::cout);
    } else if (monitor.follow) {
      // A follower's log: each round dated; an unchanged round in one line.
      const int64_t now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
      std::cout << "--- " << FormatCst(now_ms) << "\n";
      if (r.unchanged) {
        std::cout << Verdict(r.exit_code) << ": " << r.input
                  << " unchanged at size " << r.entries << "\n";
      } else {
        WriteReportText(r, std::cout);
      }
    } else {
      WriteReportText(r, std::cout);
    }
    std::cout.flush();
  };
  const bool live = IsLogUrl(options.path);
  if ((!monitor.state_file.empty() || monitor.follow) && !live) {
    std::cerr << "piaojue-verify: --state and --follow are for a live log "
                 "(http://… or https://…)\n";
    return kExitUnusable;
  }
  if (monitor.follow && monitor.state_file.empty()) {
    std::cerr << "piaojue-verify: --follow needs --state FILE (what it "
                 "remembers between polls)\n";
    return kExitUnusable;
  }
  if (live && (options.as_of || options.explain)) {
    std::cerr << "piaojue-verify: --as-of and --explain read a bundle or a "
                 "data directory, not a live log\n";
    return kExitUnusable;
  }
  VerifyReport report;
  // Malformed input is reported as a value; an exception here is a bug, and
  // still gets a message and exit 2 rather than an abort.
  try {
    if (live) {
      monitor.verify = options;
      monitor.interval =
          std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000));
      monitor.witness_wait = std::chrono::milliseconds(
          static_cast<int64_t>(witness_wait_s * 1000));
      if (monitor.follow) return Follow(monitor, print);
      report = MonitorOnce(monitor);
    } else {
      report = LooksLikeProofBundle(options.path) ? VerifyProofBundle(options)
                                                  : Verify(options);
    }
  } catch (const kj::Exception& e) {
    std::cerr << "piaojue-verify: internal error (please report it): "
              << piaojue::ledger::DescribeException(e) << "\n";
    return kExitUnusable;
  } catch (const std::exception& e) {
    std::cerr << "piaojue-verify: internal error (please report it): "
              << piaojue::ledger::PrintableAscii(e.what()) << "\n";
    return kExitUnusable;
  }
  print(report);
  return report.exit_code;
}
