// The `piaojue` commands as plain functions: each takes its parsed options,
// writes its human output to `out`, and returns a Status that main() turns
// into one error line and a non-zero exit code. See docs/COMMANDS.md.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "api/cli/messages.h"
#include "ledger/status.h"

namespace piaojue::cli {

struct InitOptions {
  std::string data;
  std::string origin;
  std::string deployment_name;
  // Where the new root key is written (mode 0600): required, and refused
  // inside the data directory. The data directory keeps only the log key.
  std::string root_key_out;
};
Status Init(const InitOptions& o, std::ostream& out);

struct JurisdictionOptions {
  std::string data;
  std::string code;
  std::string name;
  std::string level;  // county | township
  std::string parent;
  std::string root_key;  // the root key file
};
Status AddJurisdiction(const JurisdictionOptions& o, std::ostream& out);

// `piaojue key new`: a new Ed25519 key written to `out_file` (mode 0600,
// never overwritten), named after its holder. Prints only the public key
// (64 hex digits): that line is what the holder hands to the root.
struct KeyNewOptions {
  std::string out_file;
  std::string holder;
};
Status NewKey(const KeyNewOptions& o, std::ostream& out);

struct KeyOptions {
  std::string data;
  std::string role;
  std::string jurisdiction;
  std::string holder;
  std::string reason;
  std::string root_key;    // the root key file (signs registry events)
  std::string public_key;  // register / revoke: 64 hex digits
};
// `piaojue key register`: the root grants (role, jurisdiction) to a public
// key it was given. Any number of keys may hold the same role in the same
// jurisdiction (one per agency, one per teller).
Status RegisterKey(const KeyOptions& o, std::ostream& out);
// `piaojue key add`: only for the public intake, whose private key the
// server itself uses: creates DIR/keys/publicIntake@<jurisdiction>.key and
// registers it. Any other role is refused (InvalidArgument): its key is
// created with `key new` on its holder's machine and registered.
Status AddKey(const KeyOptions& o, std::ostream& out);
// `piaojue key revoke`: revokes `public_key` (or, without it, the intake
// key DIR/keys/<role>@<jurisdiction>.key) from this entry on.
Status RevokeKey(const KeyOptions& o, std::ostream& out);

struct SubmitOptions {
  std::string data;
  // Exactly one of these says who signs:
  std::string as_role;         // a key in DIR/keys (the public intake)
  std::string key_file;        // a key file (an office's key, the root key)
  std::string signed_file;     // an envelope signed elsewhere (`piaojue sign`)
  std::string file;            // the command; "-" for standard input
  Lang lang = Lang::kEnglish;  // of input errors
};
Status Submit(const SubmitOptions& o, std::ostream& out);

// `piaojue sign`: signs a command on the office's own machine, without a
// data directory, into a signed envelope file (ledger/envelope.h) that
// `piaojue submit --signed` or POST /v1/entries accepts. With `dry_run` it
// only shows what would be signed (in `lang`) and writes nothing.
struct SignOptions {
  std::string key_file;
  std::string origin;    // the log the act is meant for (its checkpoint origin)
  std::string file;      // the command; "-" for standard input
  std::string out_file;  // the envelope (not overwritten)
  bool dry_run = false;
  Lang lang = Lang::kEnglish;
};
Status Sign(const SignOptions& o, std::ostream& out);

Status Checkpoint(const std::string& data, std::ostream& out);

// Rebuilds DIR/ledger's side indexes from its entries after re-checking them
// (ledger/repair.h), when they disagree with the head, then opens it to
// confirm it accepts writes again. FailedPrecondition names the first entry
// that fails; nothing is changed. Then folds the whole log and rewrites
// every projection snapshot (at multiples of `snapshot_every`, and any
// other stored) that differs from the fold (projections/replay.h,
// RecheckProjectionSnapshots); 0 skips that.
Status Reindex(const std::string& data, std::ostream& out,
               uint64_t snapshot_every = 0);

struct ExportOptions {
  std::string data;
  std::string out_file;
  // Export up to the head with a checkpoint signed now, even when the latest
  // checkpoint the witnesses cosigned is smaller. By default an export stops
  // at the latest cosigned checkpoint (when there is one), so that it
  // carries the witnesses' cosignatures (docs/WITNESS.md).
  bool head = false;
};
Status Export(const ExportOptions& o, std::ostream& out);

Status PrintEntry(const std::string& data, uint64_t index, std::ostream& out);

struct ProveOptions {
  std::string data;
  uint64_t record = 0;
  std::string out_file;
  // Checkpoint files an auditor kept: the bundle then holds a consistency
  // proof from each one's size to the fresh checkpoint. A file that is not
  // a checkpoint of this log (other origin, larger, another root) is refused.
  std::vector<std::string> since_checkpoints;
  // As ExportOptions::head: prove against a checkpoint of the head signed
  // now rather than the latest cosigned one that covers the record.
  bool head = false;
};
// Writes an offline proof bundle for one record (verifier/proof_bundle.h),
// streamed to a temporary file that is renamed into place.
Status Prove(const ProveOptions& o, std::ostream& out);

struct ShowOptions {
  std::string data;
  std::string view;
  std::optional<uint64_t> cycle, record, round;
  std::string as_of;      // "" = now; an entry count N, or an RFC 3339 time
  std::string diff_from;  // with --diff: show what changed since this point
  bool json = false;
};
Status Show(const ShowOptions& o, std::ostream& out);

}  // namespace piaojue::cli
