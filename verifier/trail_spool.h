// An audit trail too long to keep in memory: one compact JSON object per
// entry, one per line, in an unnamed temporary file that disappears when
// the spool is destroyed. Used for proof bundles, whose trail can be as
// large as the bundle (docs/VERIFY.md, section 8).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::verifier {

class TrailSpool {
 public:
  // IOError when no temporary file can be created.
  static Result<std::shared_ptr<TrailSpool>> Create();
  ~TrailSpool();
  TrailSpool(const TrailSpool&) = delete;
  TrailSpool& operator=(const TrailSpool&) = delete;

  // Appends one line; `line` must not contain '\n'.
  Status Append(std::string_view line);
  uint64_t count() const { return count_; }
  // Calls `fn` with each line in order (without its '\n'). Reads one line
  // at a time.
  Status ForEach(const std::function<void(std::string_view)>& fn) const;

 private:
  explicit TrailSpool(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  uint64_t count_ = 0;
};

}  // namespace piaojue::verifier
