// `piaojue witness serve`: the witness's HTTP interface on Boost.Beast
// (c2sp.org/tlog-witness): POST /add-checkpoint, and GET / naming the
// witness and its verifier key. See docs/WITNESS.md.
//
// Thread-safety: Start, port and Shutdown may be called from any thread;
// Shutdown is idempotent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "ledger/status.h"
#include "witness/witness.h"

namespace piaojue::witness {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see Server::port())
  // 63 proof lines and a note of 100 signature lines fit well within this.
  size_t max_body_bytes = 64 * 1024;
  // A connection that sends no complete request within this is closed.
  std::chrono::seconds read_timeout{30};
};

class Server {
 public:
  // Starts serving `witness` (not owned; it must outlive the Server).
  // Unavailable if the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(Witness& witness,
                                               ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const;
  // Stops accepting, closes connections and joins the I/O threads. A
  // request being handled finishes first (its state change is durable).
  void Shutdown();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The `witness serve` command: opens DIR, serves on address:port, prints
// the witness's name, address and verifier key to `out`, runs until SIGINT
// or SIGTERM.
Status Serve(const std::string& dir, const ServerOptions& options,
             std::ostream& out);

}  // namespace piaojue::witness
