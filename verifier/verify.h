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

#include "ledger/cosignature.h"
#include "verifier/http_fetch.h"
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
// A live log's checkpoint is not consistent with the one remembered in the
// --state file: the log was rewritten, truncated or shows a split view.
inline constexpr int kExitInconsistent = 4;

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
  // false (--no-signatures): every check but the authors' signatures on the
  // entries (checkpoint signatures are still checked). Not an audit: the
  // report says so. For measuring and diagnosing.
  bool check_signatures = true;
  // The cycle's rules and the collectors on a thread of their own, behind
  // the in-order checks (docs/VERIFY.md, "Speed"), for a bundle or a store
  // without --explain, with --no-signatures; false: on the in-order thread,
  // as every other run. The answers are the same (tests compare the two).
  bool rules_thread = true;

  // Earlier checkpoints held in memory, checked like --checkpoint files:
  // (source name for the report, signed note).
  std::vector<std::pair<std::string, std::string>> checkpoint_notes;

  // A live log (`path` is an http:// or https:// prefix, docs/VERIFY.md,
  // "Live logs"). `fetch` reads paths under the prefix (null: an HTTP
  // client for `path`); `live_checkpoint` is the checkpoint note to verify
  // the log at, as already fetched (empty: fetched here).
  Fetch fetch;
  std::string live_checkpoint;
  // A directory for the live log's full entry bundles (TileLog's entry
  // cache; "" = none): a later run fetches only the bundles it lacks.
  std::string entry_cache;

  // A live log only: a replay state an earlier run saved
  // (VerifyReport::saved_state). When it proves to be the state of a prefix
  // of this log (its tree root equals the root of the log's tiles at its
  // size, its parts agree with each other and with the pins), the checks
  // continue from it and only the entries after it are read and checked;
  // otherwise the whole log is checked from entry 0 and
  // report.saved_state_ignored_because says why. The caller must have
  // proved that the log extends the checkpoint it was saved at.
  std::string resume_state;
  // Fill report.saved_state after a run with no failure.
  bool save_state = false;

  // Witnesses (C2SP tlog-cosignature verifier keys) and how many of them
  // must have cosigned a checkpoint that covers every entry checked. A
  // quorum of 0 with witnesses given means all of them.
  std::vector<std::string> witnesses;
  unsigned witness_quorum = 0;
};

// A witness's cosignature found on the checkpoint that covers the log.
struct Cosigner {
  std::string name;
  std::string key_id;      // 8 hex digits
  uint64_t timestamp = 0;  // POSIX seconds, as the witness signed it
};

// The witness check (--witness): who cosigned which checkpoint.
struct WitnessReport {
  unsigned quorum = 0;
  std::vector<std::string> names;  // the witnesses given, in order
  std::string checkpoint_source;   // the checkpoint their cosignatures are on
  uint64_t checkpoint_size = 0;
  std::vector<Cosigner> cosigners;   // valid cosignatures, in witness order
  std::vector<std::string> missing;  // names of those that did not cosign
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
  bool signatures_checked = true;  // false with --no-signatures
  // A proof bundle's report: how many of the tree's entries it holds.
  bool proof_bundle = false;
  uint64_t proved_entries = 0;
  std::string root;  // hex, of the entries checked
  bool pinned = false;
  std::string checkpoint_key;  // the verifier key actually used
  std::string root_key;        // genesis's root key, hex ("" if none read)
  bool root_key_pinned = false;
  std::vector<CheckpointResult> checkpoints;
  std::optional<WitnessReport> witnesses;
  std::optional<Failure> failure;
  std::string read_error;  // exit 2
  // A live log followed with --state (docs/VERIFY.md, "Following a live
  // log"): the checkpoint remembered before this run, the evidence files
  // written for an inconsistency, whether the state file was updated, and
  // whether the log's checkpoint had not changed since (nothing verified).
  std::string state_file;
  std::optional<uint64_t> remembered_size;
  std::string remembered_root;  // hex
  std::vector<std::string> evidence;
  bool state_updated = false;
  bool unchanged = false;
  // A live log: its entry bundles, and how many were fetched (the others
  // came from the entry cache, checked against the log's hash tiles).
  uint64_t bundles = 0;
  uint64_t bundles_fetched = 0;
  // Entries whose checks were continued from a saved replay state instead
  // of being re-checked (0: every entry was checked by this run), why a
  // saved state given was not used, and the state after this run
  // (VerifyOptions::save_state).
  // A live log with --witness whose checkpoint lacked the quorum when first
  // fetched: how long this run waited for the witnesses, and whether the
  // checkpoint verified then had it.
  std::optional<double> witness_wait_seconds;
  bool witness_wait_met = false;
  uint64_t from_saved_state = 0;
  std::string saved_state_ignored_because;
  std::string saved_state;
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

// The format name of VerifyReport::saved_state.
inline constexpr char kReplayStateFormat[] = "piaojue-verify-replay/2";

// The verdict's words for an exit code: "VALID", "VALID (UNPINNED)",
// "INVALID", "CANNOT VERIFY", "INCONSISTENT".
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

// Parses --witness keys and checks --witness-quorum: InvalidArgument for a
// malformed or repeated key, or a quorum above the number of keys. A quorum
// of 0 becomes the number of keys.
struct WitnessPolicy {
  std::vector<cosignature::WitnessKey> keys;
  unsigned quorum = 0;
};
Result<WitnessPolicy> ParseWitnessPolicy(const std::vector<std::string>& keys,
                                         unsigned quorum);

// Checks the cosignatures of `checkpoint_note` (a signed checkpoint) against
// `policy`: fills `report` (cosigners and missing witnesses) and returns
// whether at least `policy.quorum` witnesses cosigned.
bool CheckCosignatures(std::string_view checkpoint_note,
                       const WitnessPolicy& policy, WitnessReport* report);

// The failure (check "witness", at the checkpoint's size) for a report whose
// quorum is not met: it names who signed and who did not.
Failure QuorumFailure(const WitnessReport& report);

// What no proof bundle can show, said in every proof bundle verdict.
inline constexpr char kProofBundleCaveat[] =
    "a proof bundle shows only that its entries are in the log the checkpoint "
    "commits to; it cannot show acts left out of it (a later correction, "
    "adjustment, revocation or other entry about this record, or anything "
    "recorded after the checkpoint): verify the whole log for that";

}  // namespace piaojue::verifier
