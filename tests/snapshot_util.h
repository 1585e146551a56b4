// Forging a projections snapshot the way someone with write access to the
// data directory (but not to the ledger) could: an internally consistent
// edit that keeps the snapshot's size and last entry hash, so only a check
// against the ledger itself can tell.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace piaojue::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Rewrites the snapshot at `path` so that every cycle of year `from_year`
// appears to be of `to_year`. Returns how many cycles were moved.
inline int MoveCyclesInSnapshot(const std::string& path, int from_year,
                                int to_year) {
  nlohmann::json snapshot = nlohmann::json::parse(ReadWholeFile(path));
  int moved = 0;
  // A cycle record is the object with a ref, a jurisdiction and a year.
  std::function<void(nlohmann::json&)> walk = [&](nlohmann::json& j) {
    if (j.is_object() && j.contains("ref") && j.contains("jurisdiction") &&
        j.contains("year") && j["year"] == from_year) {
      j["year"] = to_year;
      ++moved;
    }
    if (j.is_structured()) {
      for (auto& child : j) walk(child);
    }
  };
  walk(snapshot.at("model").at("cycles"));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << snapshot.dump();
  return moved;
}

}  // namespace piaojue::testing
