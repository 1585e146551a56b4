// A piaojue data directory, as the CLI and the server use it:
//
//   DIR/ledger/          the RocksDB store (ledger/ledger.h)
//   DIR/keys/root.key    the deployment's root key        (mode 0600)
//   DIR/keys/log.key     the log's checkpoint signing key (mode 0600)
//   DIR/keys/<role>@<jurisdiction>.key   one author key per role and
//                        jurisdiction held on this machine (mode 0600)
//   DIR/state.snapshot   the projections' snapshot (rebuildable; sealed in
//                        the ledger, ignored if it does not match the seal)
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
  std::string root_key_path() const { return keys_path() + "/root.key"; }
  std::string log_key_path() const { return keys_path() + "/log.key"; }
  // "<role>@<jurisdiction>.key", e.g. "teller@610524.key".
  std::string author_key_path(std::string_view role,
                              std::string_view jurisdiction) const;

 private:
  std::string root_;
};

// Writes a new key file with mode 0600. AlreadyExists if the file exists
// (keys are never overwritten).
Status WriteKeyFile(const std::string& path, const note::SignerKey& key);
// NotFound if missing; InvalidArgument if the file is not a signer key;
// PermissionDenied if the file is readable by group or others.
Result<note::SignerKey> ReadKeyFile(const std::string& path);

// Role names as in the schema ("governmentOffice", "teller", …).
Result<schema::Role> ParseRole(std::string_view name);

}  // namespace piaojue::cli
