// A C2SP transparency-log witness (c2sp.org/tlog-witness): it cosigns a
// log's checkpoint (c2sp.org/tlog-cosignature, ledger/cosignature.h) only if
// it is signed by a log key it trusts and extends, by an RFC 6962
// consistency proof, the last checkpoint it cosigned for that log. It never
// rolls back, and it keeps every checkpoint that proves the log inconsistent.
// See docs/WITNESS.md (deployment) and docs/FORMAT.md, "Cosigned
// checkpoints" (bytes).
//
// A witness directory:
//   DIR/witness.key            the witness's signing key, a note signer key
//                              "PRIVATE+KEY+<name>+<id>+<base64>" (mode 0600)
//   DIR/logs/<H>/keys          the trusted log verifier keys of one origin,
//                              one a line (H = hex SHA-256 of the origin)
//   DIR/logs/<H>/checkpoint    the latest checkpoint cosigned for it, as the
//                              log signed it (absent: never cosigned)
//   DIR/evidence/*.txt         requests that proved a log inconsistent
//   DIR/lock                   serializes writers across processes (flock)
// Every state change is written to a temporary file, synced, renamed over
// the old file and the directory synced, before it is acknowledged.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::witness {

// Creates a witness in `dir` (created if missing) with a fresh Ed25519 key
// named `name` and returns its verifier key "<name>+<id>+<base64(0x04 ||
// key)>". InvalidArgument for a name that is not a note key name;
// AlreadyExists if `dir` already holds a witness key.
Result<std::string> Init(const std::string& dir, const std::string& name);

// Trusts the log whose checkpoint key is `log_vkey` (a note verifier key,
// type 0x01; its name is the log's origin). Returns the origin. Adding the
// same key twice is OK; a second key for an origin is trusted too (key
// rotation). NotFound if `dir` holds no witness.
Result<std::string> AddLog(const std::string& dir, std::string_view log_vkey);

// What the witness answers to one add-checkpoint request.
struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  // Opens the witness in `dir`. `clock` gives POSIX seconds for the
  // cosignatures' timestamps (default: the system clock). NotFound if `dir`
  // holds no witness; PermissionDenied if its key file is readable by
  // others.
  static Result<std::unique_ptr<Witness>> Open(
      const std::string& dir, std::function<uint64_t()> clock = nullptr);
  ~Witness();

  const std::string& name() const;
  // "<name>+<id>+<base64(0x04 || key)>".
  const std::string& verifier_key() const;

  // Handles the body of `POST <prefix>/add-checkpoint` exactly as
  // c2sp.org/tlog-witness says:
  //   400 malformed body, or old size > checkpoint size
  //   404 unknown origin
  //   403 no signature by a trusted key of the origin verifies
  //   409 old size is not the size last cosigned (body: that size and "\n",
  //       Content-Type text/x.tlog.size), or the same size with another root
  //   422 the consistency proof does not verify
  //   200 the cosignature line (state durably updated first)
  //   500 the state could not be read or written (nothing cosigned)
  // Thread-safe; checking and updating a log's state is one atomic step
  // (also across processes sharing `dir`).
  Reply AddCheckpoint(std::string_view request_body);

  class Impl;

 private:
  explicit Witness(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace piaojue::witness
