// Following a live log: piaojue-verify URL --state FILE [--follow]. Each run
// fetches the log's checkpoint, proves it consistent with the checkpoint the
// state file remembers (an RFC 6962 consistency proof computed from the log's
// hash tiles), verifies the log at the new checkpoint exactly as Verify()
// does — continuing from the replay state saved at the remembered
// checkpoint (FILE.replay) so that only the new entries are read and
// checked, or from entry 0 when there is no good one (full entry bundles
// seen before come from FILE.tiles/, still checked against the log's hash
// tiles) — and only then remembers the new checkpoint and its replay state.
// See docs/VERIFY.md, "Following a live log".
//
// State file (JSON, written atomically: temporary file, fsync, rename):
//   {"format": "piaojue-monitor-state/1", "log": URL, "origin": ORIGIN,
//    "checkpointKey": VKEY, "pinned": BOOL, "size": N, "root": HEX,
//    "checkpoint": NOTE, "verifiedAt": RFC3339,
//    "replay": {"sha256": HEX, "size": N, "root": HEX}}
// FILE.replay (VerifyReport::saved_state) is written durably before it.
//
// A checkpoint that is not consistent with the remembered one (smaller: the
// log was truncated; same size, other root: a split view or a rewrite;
// larger, but no valid consistency proof: a rewrite) is a verdict of its own,
// INCONSISTENT (kExitInconsistent); both checkpoints are then written as
// evidence files next to the state file, and the state is left unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "verifier/verify.h"

namespace piaojue::verifier {

struct MonitorOptions {
  VerifyOptions verify;    // verify.path: the log's prefix URL
  std::string state_file;  // "" = remember nothing
  bool follow = false;
  std::chrono::milliseconds interval{std::chrono::seconds(60)};
  // Follow: stop after this many rounds (0 = never); for tests.
  uint64_t max_rounds = 0;
  // With --witness: when the log's checkpoint lacks the quorum (the
  // witnesses cosign within seconds of a new checkpoint), fetch it again
  // every `witness_poll` for at most `witness_wait` before verifying it.
  std::chrono::milliseconds witness_wait{std::chrono::seconds(10)};
  std::chrono::milliseconds witness_poll{std::chrono::milliseconds(500)};
};

// The state file's name for `format`.
inline constexpr char kMonitorStateFormat[] = "piaojue-monitor-state/1";

// One round: fetch, check consistency with the state, verify, remember.
// `skip_if_unchanged`: when the log serves exactly the remembered
// checkpoint, return at once with report.unchanged (follow mode).
VerifyReport MonitorOnce(const MonitorOptions& options,
                         bool skip_if_unchanged = false);

// --follow: MonitorOnce every `interval` until a round is INVALID or
// INCONSISTENT (whose exit code is returned) or max_rounds have run (then
// the last round's). A round that cannot read the log (exit 2: the network,
// the server down) is reported and retried at the next interval.
// `on_report` receives every round's report.
int Follow(const MonitorOptions& options,
           const std::function<void(const VerifyReport&)>& on_report);

}  // namespace piaojue::verifier
