// The verifier's whole run: read a ledger or bundle, check every entry from
// first principles, replay the cycle's rules, recount every vote, check the
// checkpoints, and produce a report. See docs/VERIFY.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verifier/log_checker.h"

namespace piaojue::verifier {

struct VerifyOptions {
  std::string path;
  std::string vkey;  // pinned checkpoint verifier key; "" = unpinned
  std::vector<std::string> extra_checkpoints;  // files with signed notes
  std::optional<uint64_t> as_of;               // verify the first N entries
  std::optional<uint64_t> explain;             // a record ref
  unsigned threads = 0;                        // 0 = all cores
  bool quiet = false;                          // no progress line
};

struct CheckpointResult {
  std::string source;  // "store", "bundle" or a file name
  uint64_t size = 0;
  std::string root;  // hex
  bool ok = false;
  std::string message;
};

struct VerifyReport {
  int exit_code = 2;  // 0 valid, 1 invalid, 2 unreadable / usage
  std::string input;
  std::string origin;
  uint64_t entries = 0;  // entries checked (a proof bundle: its tree size)
  // A proof bundle's report: how many of the tree's entries it holds.
  bool proof_bundle = false;
  uint64_t proved_entries = 0;
  std::string root;  // hex, of the entries checked
  bool pinned = false;
  std::string checkpoint_key;  // the verifier key actually used
  std::vector<CheckpointResult> checkpoints;
  std::optional<Failure> failure;
  std::string read_error;  // exit 2
  // The recount report and --explain output, as JSON text.
  std::string recount_json;
  std::string explain_json;
  double seconds = 0;
};

VerifyReport Verify(const VerifyOptions& options);

std::string ReportToText(const VerifyReport& report);
std::string ReportToJson(const VerifyReport& report);

}  // namespace piaojue::verifier
