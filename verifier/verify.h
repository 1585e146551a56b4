// The verifier's whole run: read a ledger or bundle, check every entry from
// first principles, replay the cycle's rules, recount every vote, check the
// checkpoints, and produce a report. See docs/VERIFY.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/log_checker.h"

namespace piaojue::verifier {

class TrailSpool;

// The exit status of piaojue-verify (docs/VERIFY.md, "Exit status").
inline constexpr int kExitValid = 0;     // every check passed, key pinned
inline constexpr int kExitInvalid = 1;   // a check failed
inline constexpr int kExitUnusable = 2;  // unreadable input, bad usage
// Every check passed, but no --vkey: the log is consistent with itself,
// which a log rebuilt under someone else's keys is too.
inline constexpr int kExitValidUnpinned = 3;

struct VerifyOptions {
  std::string path;
  std::string vkey;  // pinned checkpoint verifier key; "" = unpinned
  // Pinned root key of genesis (64 hex digits, or base64 of the 32 bytes);
  // "" = not pinned.
  std::string root_key;
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
  int exit_code = kExitUnusable;  // one of kExit*
  std::string input;
  std::string origin;
  uint64_t entries = 0;  // entries checked (a proof bundle: its tree size)
  // A proof bundle's report: how many of the tree's entries it holds.
  bool proof_bundle = false;
  uint64_t proved_entries = 0;
  std::string root;  // hex, of the entries checked
  bool pinned = false;
  std::string checkpoint_key;  // the verifier key actually used
  std::string root_key;        // genesis's root key, hex ("" if none read)
  bool root_key_pinned = false;
  std::vector<CheckpointResult> checkpoints;
  std::optional<Failure> failure;
  std::string read_error;  // exit 2
  // A proof bundle's checkpoint is dated by the recording time of its last
  // entry (ms since the Unix epoch).
  std::optional<int64_t> checkpoint_time_ms;
  // The recount report and --explain output, as JSON text.
  std::string recount_json;
  std::string explain_json;
  // A proof bundle's trail entries (explain_json then has no "entries"),
  // kept out of memory.
  std::shared_ptr<TrailSpool> trail;
  double seconds = 0;
};

VerifyReport Verify(const VerifyOptions& options);

// The verdict's words for an exit code: "VALID", "VALID (UNPINNED)",
// "INVALID", "CANNOT VERIFY".
std::string Verdict(int exit_code);

// Parses a --root-key argument: 64 hex digits (either case), as `piaojue
// init` prints it and as entries show it in JSON, or base64 (RFC 4648) of the
// 32 bytes. InvalidArgument otherwise.
Result<crypto::PublicKey> ParseRootKey(std::string_view text);

// The report for a person (text) or a program (JSON), written as it is
// produced (a proof bundle's trail is streamed from its spool).
void WriteReportText(const VerifyReport& report, std::ostream& out);
void WriteReportJson(const VerifyReport& report, std::ostream& out);
std::string ReportToText(const VerifyReport& report);
std::string ReportToJson(const VerifyReport& report);

// An instant (ms since the Unix epoch) in China Standard Time:
// "2025-07-01 09:30:00 CST (UTC+08:00)", or with `rfc3339`
// "2025-07-01T09:30:00+08:00".
std::string FormatCst(int64_t ms, bool rfc3339 = false);

// What no proof bundle can show, said in every proof bundle verdict.
inline constexpr char kProofBundleCaveat[] =
    "a proof bundle shows only that its entries are in the log the checkpoint "
    "commits to; it cannot show acts left out of it (a later correction, "
    "adjustment, revocation or other entry about this record, or anything "
    "recorded after the checkpoint): verify the whole log for that";

}  // namespace piaojue::verifier
