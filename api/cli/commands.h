// The `piaojue` commands as plain functions: each takes its parsed options,
// writes its human output to `out`, and returns a Status that main() turns
// into one error line and a non-zero exit code. See docs/COMMANDS.md.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/status.h"

namespace piaojue::cli {

struct InitOptions {
  std::string data;
  std::string origin;
  std::string deployment_name;
};
Status Init(const InitOptions& o, std::ostream& out);

struct JurisdictionOptions {
  std::string data;
  std::string code;
  std::string name;
  std::string level;  // county | township
  std::string parent;
};
Status AddJurisdiction(const JurisdictionOptions& o, std::ostream& out);

struct KeyOptions {
  std::string data;
  std::string role;
  std::string jurisdiction;
  std::string holder;
  std::string reason;
};
// Creates DIR/keys/<role>@<jurisdiction>.key and registers its public key.
Status AddKey(const KeyOptions& o, std::ostream& out);
Status RevokeKey(const KeyOptions& o, std::ostream& out);

struct SubmitOptions {
  std::string data;
  std::string as_role;  // a role name, or "root"
  std::string file;     // "-" for standard input
};
Status Submit(const SubmitOptions& o, std::ostream& out);

Status Checkpoint(const std::string& data, std::ostream& out);

// Rebuilds DIR/ledger's side indexes from its entries after re-checking them
// (ledger/repair.h), then opens it to confirm it accepts writes again.
// FailedPrecondition names the first entry that fails; nothing is changed.
Status Reindex(const std::string& data, std::ostream& out);

struct ExportOptions {
  std::string data;
  std::string out_file;
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
