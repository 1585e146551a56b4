// The events of GET /v1/events (docs/API.md, "Live updates"), formatted once
// and shared by every stream.
//
// Each published entry becomes one Server-Sent Event, framed as one HTTP/1.1
// chunk. The feed keeps the chunks of the most recent entries (a window of
// `window` entries ending at the furthest entry any stream has asked for);
// a stream reading inside the window gets pointers to the same immutable
// bytes as every other stream, so with N listeners an entry is read from
// the store and formatted once, not N times. A stream that asks for entries
// older than the window (a client resuming with an old Last-Event-ID) gets
// them read and formatted for itself alone, at its own pace, until it
// reaches the window.
//
// Thread-safety: safe to call from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace piaojue::server {

class EventFeed {
 public:
  // One event on the wire: "<hex length>\r\n" event text "\r\n". Never
  // changes once made.
  using Chunk = std::shared_ptr<const std::string>;

  // `ledger` must outlive the feed. `window` >= 1.
  EventFeed(const ledger::Ledger& ledger, size_t window);

  // Appends to `out` the events of entries [from, end) and returns end:
  // at most `max` entries (1 <= max <= window), none at or past
  // `published` (from < published). An error is the store's (the entries
  // are durable, so it is a failing disk or a bug).
  Result<uint64_t> Read(uint64_t from, uint64_t published, size_t max,
                        std::vector<Chunk>* out);

  // Entries formatted so far (shared and private).
  uint64_t formatted() const;

  // Frames `text` as one HTTP/1.1 chunk.
  static Chunk MakeChunk(const std::string& text);

 private:
  const ledger::Ledger& ledger_;
  const size_t window_size_;

  mutable std::mutex mu_;
  // Guarded by mu_: the chunks of entries [base_, base_ + window_.size()).
  std::deque<Chunk> window_;
  uint64_t base_ = 0;
  uint64_t formatted_ = 0;
};

}  // namespace piaojue::server
