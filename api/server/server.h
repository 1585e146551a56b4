// `piaojue serve`: the HTTP API of one data directory, on Boost.Beast.
// Endpoints, wire forms and error codes: docs/API.md.
//
// One Server owns the data directory's ledger for its lifetime (another
// process opening it gets "in use"). Requests are read by a small pool of I/O
// threads; handlers run on two worker pools, one for reads and one for
// writes, so reads never queue behind appends. No thread waits for an
// append's sync: the ledger's writer answers each append once its group is
// durable.
//
// Thread-safety: Start, port and Shutdown may be called from any thread;
// Shutdown is idempotent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace rocksdb {
class Env;
}  // namespace rocksdb

namespace piaojue::ledger {
struct GroupStats;
}  // namespace piaojue::ledger

namespace piaojue::server {

struct ServerOptions {
  std::string data_dir;
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port())

  int io_threads = 2;
  int read_threads = 2;
  // The write pool parses each POST and checks its author's signature,
  // then hands the event to the ledger's queue and takes the next request:
  // no thread waits for a group's sync (the ledger's writer thread answers
  // every member of a group once it is durable), so the pool is sized for
  // the CPU work. 0: one thread per core. (It used to hold a thread per
  // append in flight, 64 by default: docs/PERFORMANCE.md, "HTTP appends".)
  int write_threads = 0;

  // Refused with 413: a request head or body larger than these.
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 256 * 1024;
  // A connection that sends no complete request, or does not take its
  // response, within these is closed.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};

  // Connections open at once (event streams included). Beyond it a new
  // connection is answered 503 and closed, so idle sockets cannot take every
  // file descriptor. 0: three quarters of the process's open-file limit
  // (RLIMIT_NOFILE) and at least 128 below it (but at least 16), the rest
  // left for the store's files.
  size_t max_connections = 0;

  // Server-Sent Events: a comment line this often keeps proxies from closing
  // an idle stream; at most this many streams at once (then 503).
  std::chrono::seconds event_heartbeat{15};
  size_t max_event_streams = 256;
  // A live stream whose client has not taken this many published events
  // (its send backlog) is closed instead of being waited for; the client
  // reconnects with Last-Event-ID. Also the number of recent events kept
  // formatted and shared by every stream (docs/API.md, "Live updates").
  size_t event_backlog = 4096;
  // The kernel send buffer of an event stream's socket (SO_SNDBUF), so a
  // client that stops reading holds little memory and is noticed soon.
  size_t event_send_buffer = 64 * 1024;
  // Streams are woken at most this often: with many listeners each write
  // then carries every event published since the last (fewer, larger
  // writes); an event waits at most this long before it is sent.
  std::chrono::milliseconds event_flush_interval{20};

  // Public intake rate limit per client address (token bucket).
  double intake_burst = 5;
  double intake_per_minute = 2;
  // And for all addresses together, so a machine with many addresses cannot
  // post freely.
  double intake_global_burst = 60;
  double intake_global_per_minute = 30;

  // Past states (docs/API.md, "Past states"): a request whose as_of (or
  // diff from/to) names a state neither published nor cached is answered
  // by a pool of replay_threads low-priority threads, apart from the read
  // pool, with at most replay_queue such requests waiting (then 503); each
  // client address may start replay_burst of them at once, refilled at
  // replay_per_minute (then 429).
  int replay_threads = 1;
  size_t replay_queue = 8;
  double replay_burst = 10;
  double replay_per_minute = 60;
  // A projection snapshot is kept every this many entries, so that one
  // replay folds at most this many (0: none written).
  uint64_t snapshot_every = 0;  // off by default (service.h says why)
  // A view of "now" shows a state published at most this long before the
  // request (docs/API.md "Views").
  std::chrono::milliseconds view_max_age{5000};
  // Past states kept in memory at every multiple of this many entries (0:
  // none), thinned while the server's memory (its heap plus the room its
  // caches and tree may still take) is above past_states_budget_mib
  // (api/server/internal/service.h and docs/VIEWS.md say how).
  uint64_t past_states_every = 1024;
  uint64_t past_states_budget_mib = 880;
  // The past states rebuilt for readers are cached up to about this many
  // MiB (each charged for the entries it folded; 0: none cached).
  uint64_t as_of_cache_mib = 32;

  // A new checkpoint is signed at most this long after an append.
  std::chrono::milliseconds checkpoint_delay{200};
  // C2SP witnesses, each "URL=VKEY" (`serve --witness`): every new
  // checkpoint is sent to each, and /tlog/checkpoint carries the verified
  // cosignatures gathered for it (docs/WITNESS.md). InvalidArgument from
  // Start for a malformed one.
  std::vector<std::string> witnesses;
  // On shutdown, how long to wait for them to cosign the last checkpoint.
  std::chrono::milliseconds witness_grace{3000};
  // On shutdown, how long requests already being handled may take to finish
  // before their connections are closed (appends still complete).
  std::chrono::seconds shutdown_grace{20};

  // Tests and measurements only: the store's environment (storage faults
  // injected by tests; null = RocksDB's default) and an observer of the
  // ledger writer's groups (ledger::LedgerOptions::on_group).
  rocksdb::Env* store_env = nullptr;
  std::function<void(const ledger::GroupStats&)> on_group;
};

// Parses "HOST:PORT" ("127.0.0.1:8080", "[::1]:8080", "0.0.0.0:80",
// "localhost:8080" = 127.0.0.1) into options->address and options->port.
// HOST is an IP address (no name lookup). InvalidArgument otherwise.
Status ParseListenAddress(std::string_view text, ServerOptions* options);

class Server {
 public:
  // Opens the data directory and starts listening. NotFound without a
  // ledger; Unavailable when the ledger is in use or the address is taken.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options);
  // Shuts down (see Shutdown) if that has not happened yet.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // The connection cap in force (ServerOptions::max_connections resolved).
  size_t max_connections() const;

  // Counters of the event streams, for tests and operators.
  struct Stats {
    size_t event_streams = 0;  // open now
    // Entries turned into event text since the start: with the shared
    // formatting, once per entry however many streams send it (plus once
    // per stream for entries older than the shared window, on resume).
    uint64_t events_formatted = 0;
    // Streams closed because their backlog exceeded event_backlog.
    uint64_t event_streams_dropped = 0;
  };
  Stats stats() const;
  const std::string& origin() const;
  const std::string& verifier_key() const;

  // Past states rebuilt on the replay pool so far (tests, the benchmark).
  struct ReplayStats {
    uint64_t accepted = 0;     // requests run on the replay pool
    uint64_t refused = 0;      // answered 503 (pool and queue full)
    size_t max_running = 0;    // the most replays ever running at once
    uint64_t max_entries = 0;  // the most entries folded for one past state
  };
  ReplayStats replay_stats() const;

  // Graceful shutdown: stops accepting, answers 503 shutting_down to new
  // requests, lets requests already being handled finish and their responses
  // be written (appends always finish), ends event streams, signs a last
  // checkpoint, saves the projections' snapshot and closes the ledger.
  void Shutdown();

  // Blocks until SIGINT or SIGTERM arrives, then calls Shutdown().
  // `on_ready` runs once the signals are caught (so a message printed there
  // is never followed by a signal that kills the process).
  void WaitForSignal(const std::function<void()>& on_ready = nullptr);

  // Opaque outside server.cc (public so the transport's classes can name
  // it).
  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The `serve` command: Start, print the address, the origin and the
// verifier key to `out`, run until SIGINT/SIGTERM, shut down.
Status Serve(const ServerOptions& options, std::ostream& out);

}  // namespace piaojue::server
