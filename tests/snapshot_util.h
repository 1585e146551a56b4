// Forging a projections snapshot the way someone with write access to the
// data directory (but not to the ledger) could: an internally consistent
// edit that keeps the snapshot's size and last entry hash, so only a check
// against the ledger itself can tell.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "projections/internal/model.h"
#include "projections/internal/snapshot_codec.h"

namespace piaojue::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A snapshot's bytes as a source (projections/state.h).
class BytesSource : public projections::SnapshotSource {
 public:
  explicit BytesSource(std::string_view bytes) : rest_(bytes) {}
  Result<size_t> Read(char* out, size_t n) override {
    n = std::min(n, rest_.size());
    rest_.copy(out, n);
    rest_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view rest_;
};

// The records of a snapshot, decoded without the consistency check, edited
// by `edit`, and written back as a snapshot (what a forger with the format's
// spec can do). The edited bytes; "" if `bytes` is not a snapshot.
inline std::string EditSnapshot(
    std::string_view bytes,
    const std::function<void(projections::internal::Model&)>& edit) {
  projections::internal::Model m;
  BytesSource in(bytes);
  if (!projections::internal::ReadModel(in, &m).ok()) return "";
  edit(m);
  std::string out;
  projections::internal::WriteModel(m, [&](std::string_view chunk) {
    out.append(chunk);
    return Status::Ok();
  }).PermitUncheckedError();
  return out;
}

// Rewrites the snapshot at `path` so that every cycle of year `from_year`
// appears to be of `to_year`. Returns how many cycles were moved.
inline int MoveCyclesInSnapshot(const std::string& path, int from_year,
                                int to_year) {
  int moved = 0;
  const std::string edited =
      EditSnapshot(ReadWholeFile(path), [&](projections::internal::Model& m) {
        std::vector<uint64_t> refs;
        for (const auto& [ref, cycle] : m.cycles) {
          if (cycle.year == from_year) refs.push_back(ref);
        }
        for (uint64_t ref : refs) {
          m.cycles.mut(ref).year = static_cast<uint16_t>(to_year);
          ++moved;
        }
      });
  std::ofstream(path, std::ios::binary | std::ios::trunc) << edited;
  return moved;
}

}  // namespace piaojue::testing
