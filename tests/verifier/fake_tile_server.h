// A log served from memory as C2SP tlog-tiles (c2sp.org/tlog-tiles), for
// tests that need what a dishonest or unusual server shows: any entries
// under any checkpoint, a tile that disagrees with its entries, partial
// tiles dropped once full. Hashes are computed from scratch here (RFC 6962
// MTH), independently of the code under test.
#pragma once

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/merkle.h"
#include "verifier/http_fetch.h"
#include "verifier/tile_log.h"

namespace piaojue::verifier::testing {

inline merkle::Hash Mth(const std::vector<merkle::Hash>& leaves, uint64_t begin,
                        uint64_t end) {
  if (end - begin == 1) return leaves[begin];
  uint64_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return merkle::NodeHash(Mth(leaves, begin, begin + k),
                          Mth(leaves, begin + k, end));
}

class FakeTileServer {
 public:
  void Serve(std::vector<std::string> entries, std::string checkpoint) {
    entries_ = std::move(entries);
    checkpoint_ = std::move(checkpoint);
    leaves_.clear();
    for (const std::string& e : entries_) {
      leaves_.push_back(merkle::LeafHash(crypto::AsBytes(e)));
    }
  }
  // Serve a different level-0 hash for leaf `index` than its entry's.
  void CorruptLeafTile(uint64_t index) { corrupt_leaf_ = index; }
  // Answer 404 for a partial tile once the full one exists (a log that
  // keeps only full tiles, as tlog-tiles allows).
  void DropPartialTilesOnceFull() { drop_partials_ = true; }

  Fetch AsFetch() {
    return [this](const std::string& path, size_t) { return Get(path); };
  }

  Result<FetchReply> Get(const std::string& path) {
    if (path == "checkpoint") return FetchReply{200, checkpoint_};
    std::vector<std::string> parts;
    std::stringstream ss(path);
    for (std::string p; std::getline(ss, p, '/');) parts.push_back(p);
    if (parts.size() < 3 || parts[0] != "tile") return FetchReply{404, ""};
    uint64_t width = kTileWidth;
    if (parts.size() >= 4 && parts[parts.size() - 2].ends_with(".p")) {
      width = std::stoull(parts.back());
      parts.pop_back();
      parts.back().resize(parts.back().size() - 2);
    }
    uint64_t n = 0;
    for (size_t i = 2; i < parts.size(); ++i) {
      std::string g = parts[i];
      if (g.starts_with("x")) g = g.substr(1);
      n = n * 1000 + std::stoull(g);
    }
    if (drop_partials_ && width < kTileWidth) {
      const uint64_t span =
          parts[1] == "entries" ? 1 : uint64_t{1} << (8 * std::stoul(parts[1]));
      if ((n + 1) * kTileWidth * span <= entries_.size()) {
        ++partials_refused;
        return FetchReply{404, ""};
      }
    }
    if (parts[1] == "entries") {
      if ((n * kTileWidth + width) > entries_.size())
        return FetchReply{404, ""};
      std::string body;
      for (uint64_t i = n * kTileWidth; i < n * kTileWidth + width; ++i) {
        body.push_back(static_cast<char>(entries_[i].size() >> 8));
        body.push_back(static_cast<char>(entries_[i].size() & 0xff));
        body += entries_[i];
      }
      return FetchReply{200, body};
    }
    const unsigned level = std::stoul(parts[1]);
    const uint64_t span = uint64_t{1} << (8 * level);
    std::string body;
    for (uint64_t i = n * kTileWidth; i < n * kTileWidth + width; ++i) {
      if ((i + 1) * span > leaves_.size()) return FetchReply{404, ""};
      merkle::Hash h = Mth(leaves_, i * span, (i + 1) * span);
      if (level == 0 && corrupt_leaf_ && i == *corrupt_leaf_) h[0] ^= 1;
      body.append(reinterpret_cast<const char*>(h.data()), h.size());
    }
    return FetchReply{200, body};
  }

 private:
  std::vector<std::string> entries_;
  std::vector<merkle::Hash> leaves_;
  std::string checkpoint_;
  std::optional<uint64_t> corrupt_leaf_;
  bool drop_partials_ = false;

 public:
  int partials_refused = 0;
};

}  // namespace piaojue::verifier::testing
