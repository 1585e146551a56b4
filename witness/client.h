// The log's side of c2sp.org/tlog-witness: sending each new checkpoint to
// the witnesses and gathering their cosignatures (`piaojue serve --witness
// URL=VKEY`). See docs/WITNESS.md and docs/FORMAT.md, "Cosigned
// checkpoints".
//
// A Collector runs one thread per witness, so a witness that is slow or
// down delays neither the others nor the log: the log keeps appending and
// signing, and that witness is retried with backoff, always with the newest
// checkpoint.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/cosignature.h"
#include "ledger/crypto.h"
#include "ledger/status.h"

namespace piaojue::witness {

// One witness as the log knows it: where to post (its submission prefix;
// requests go to <url>/add-checkpoint) and the key its cosignatures must
// verify with.
struct Endpoint {
  std::string url;  // "http://HOST:PORT[/PREFIX]", no trailing '/'
  std::string host;
  std::string port;
  std::string path;  // "<PREFIX>/add-checkpoint"
  cosignature::WitnessKey key;
};
// Parses "URL=VKEY", e.g. "http://127.0.0.1:7001=witness.audit.example+
// 1a2b3c4d+BK…" (the first '=' splits: URLs here carry no '='; a vkey's
// base64 may end in '='). Only http:// (put TLS in front with a proxy).
// InvalidArgument otherwise.
Result<Endpoint> ParseEndpoint(std::string_view flag);

// One HTTP answer.
struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};
// POSTs `body` to the endpoint's add-checkpoint URL. Unavailable when the
// witness cannot be reached, does not answer within `timeout` (per step:
// connect, send, answer), or `cancel` (if given) becomes true meanwhile.
Result<HttpReply> PostAddCheckpoint(const Endpoint& endpoint,
                                    std::string_view body,
                                    std::chrono::milliseconds timeout,
                                    const std::atomic<bool>* cancel = nullptr);

// The add-checkpoint request body: "old <size>\n", the proof hashes in
// base64 one a line, an empty line, the signed checkpoint.
std::string AddCheckpointBody(uint64_t old_size,
                              const std::vector<crypto::Hash>& proof,
                              std::string_view signed_checkpoint);

struct CollectorOptions {
  std::vector<Endpoint> witnesses;
  // An RFC 6962 consistency proof between two sizes of the log (called from
  // the collector's threads; must be thread-safe).
  std::function<Result<std::vector<crypto::Hash>>(uint64_t old_size,
                                                  uint64_t new_size)>
      consistency;
  // Called from a collector thread each time a checkpoint gains a verified
  // cosignature: `note` is the checkpoint as the log signed it followed by
  // every verified cosignature line gathered for it so far.
  std::function<void(const std::string& note)> on_cosigned;
  // Warnings for the operator (a witness down, a witness refusing).
  std::function<void(const std::string& message)> warn;
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{60000};
};

// What the collector knows about one witness (for status pages and tests).
struct WitnessState {
  std::string name;
  uint64_t cosigned_size = 0;  // the size it last cosigned for us
  bool known = false;          // cosigned_size has been learned
  std::string last_error;      // empty after a success
};

class Collector {
 public:
  // Starts one thread per witness. Thread-safe.
  explicit Collector(CollectorOptions options);
  // Stop()s.
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // A new checkpoint (a note signed by the log) to have cosigned. Returns at
  // once; a checkpoint not larger than the last one submitted is ignored.
  void Submit(std::string signed_checkpoint);
  // Waits until every witness has answered for the latest checkpoint (or
  // given up on it), at most `timeout`. True if all have.
  bool WaitIdle(std::chrono::milliseconds timeout);
  // Stops the threads, abandoning any request in flight.
  void Stop();

  std::vector<WitnessState> states() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace piaojue::witness
