// A piaojue data directory, as the CLI and the server use it:
//
//   DIR/ledger/          the RocksDB store (ledger/ledger.h)
//   DIR/keys/log.key     the log's checkpoint signing key (mode 0600)
//   DIR/keys/publicIntake@<jurisdiction>.key   the public intake's key, with
//                        which the server signs residents' proposals (0600)
//   DIR/state.snapshot   the projections' snapshot (rebuildable; sealed in
//                        the ledger, ignored if it does not match the seal)
//
// No other private key belongs here: the root key and every office's key
// are kept by their holders, on their own machines (docs/KEYS.md).
//
// Every key file holds one line: a C2SP signed-note signer key
// ("PRIVATE+KEY+<name>+<id>+<base64>"), so standard note tooling can use it.
// See docs/COMMANDS.md.
#pragma once

#include <string>
#include <string_view>

#include "ledger/note.h"
#include "ledger/schema/piaojue.capnp.h"
#include "ledger/status.h"

namespace piaojue::cli {

class DataDir {
 public:
  explicit DataDir(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string ledger_path() const { return root_ + "/ledger"; }
  std::string keys_path() const { return root_ + "/keys"; }
  std::string snapshot_path() const { return root_ + "/state.snapshot"; }
  std::string log_key_path() const { return keys_path() + "/log.key"; }
  // DIR/keys/<role>@<jurisdiction>.key, e.g. "publicIntake@610524.key".
  // Only the public intake's keys are kept in a data directory.
  std::string author_key_path(std::string_view role,
                              std::string_view jurisdiction) const;

 private:
  std::string root_;
};

// "<role>@<jurisdiction>.key": the conventional name of a role's key file in
// a folder of keys (the data directory's keys/, the demo's keys folder).
std::string RoleKeyFileName(std::string_view role,
                            std::string_view jurisdiction);

// True if `path` is `dir` itself or lies inside it (after making both
// absolute and normal; symbolic links are not resolved).
bool IsInside(const std::string& path, const std::string& dir);

// Writes a new key file with mode 0600. AlreadyExists if the file exists
// (keys are never overwritten).
Status WriteKeyFile(const std::string& path, const note::SignerKey& key);
// NotFound if missing; InvalidArgument if the file is not a signer key;
// PermissionDenied if the file is readable by group or others.
Result<note::SignerKey> ReadKeyFile(const std::string& path);

// Role names as in the schema ("governmentOffice", "teller", …).
Result<schema::Role> ParseRole(std::string_view name);

}  // namespace piaojue::cli
