#include "api/server/internal/event_feed.h"

#include <algorithm>
#include <cstdio>

#include "api/server/internal/handlers.h"

namespace piaojue::server {

EventFeed::EventFeed(const ledger::Ledger& ledger, size_t window)
    : ledger_(ledger), window_size_(std::max<size_t>(1, window)) {}

EventFeed::Chunk EventFeed::MakeChunk(const std::string& text) {
  char size[20];
  const int n = std::snprintf(size, sizeof(size), "%zx\r\n", text.size());
  auto chunk = std::make_shared<std::string>();
  chunk->reserve(static_cast<size_t>(n) + text.size() + 2);
  chunk->append(size, static_cast<size_t>(n));
  chunk->append(text);
  chunk->append("\r\n");
  return chunk;
}

uint64_t EventFeed::formatted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return formatted_;
}

Result<uint64_t> EventFeed::Read(uint64_t from, uint64_t published, size_t max,
                                 std::vector<Chunk>* out) {
  max = std::clamp<size_t>(max, 1, window_size_);
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t end = base_ + window_.size();
  // Nothing shared yet, or the streams went quiet while the log grew far
  // past the window: start the window where this stream stands.
  if (window_.empty() || (from > end && from - end > window_size_)) {
    window_.clear();
    base_ = end = from;
  }
  if (from >= base_) {
    const uint64_t want = std::min(published, from + max);
    if (want > end) {
      // The first stream to get here formats the new entries, holding the
      // lock: every other stream needs the same ones and waits for them
      // rather than formatting its own.
      Status s = ledger_.ForEachEntry(
          end, want, [&](uint64_t index, std::string_view bytes) {
            window_.push_back(MakeChunk(FormatEntryEvent(index, bytes)));
            ++formatted_;
            return Status::Ok();
          });
      while (window_.size() > window_size_) {
        window_.pop_front();
        ++base_;
      }
      RETURN_IF_ERROR(s);
    }
    // max <= window_size_, so [from, want) is still in the window.
    for (uint64_t i = from; i < want; ++i) out->push_back(window_[i - base_]);
    return want;
  }
  // Behind the window: read and format for this stream alone, without the
  // lock, so live streams never wait for a client catching up.
  const uint64_t stop = std::min({base_, published, from + max});
  lock.unlock();
  uint64_t count = 0;
  Status s = ledger_.ForEachEntry(
      from, stop, [&](uint64_t index, std::string_view bytes) {
        out->push_back(MakeChunk(FormatEntryEvent(index, bytes)));
        ++count;
        return Status::Ok();
      });
  lock.lock();
  formatted_ += count;
  RETURN_IF_ERROR(s);
  return stop;
}

}  // namespace piaojue::server
