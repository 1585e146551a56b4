// See c2sp.org/tlog-tiles and docs/API.md, "Transparency log".
#include "verifier/tile_log.h"

#include <cstring>
#include <filesystem>
#include <fstream>

#include "ledger/note.h"

namespace piaojue::verifier {

namespace {

constexpr size_t kHashSize = 32;
// 256 entries of at most 65535 bytes, each with its 2-byte length.
constexpr size_t kMaxEntryBundleBytes = kTileWidth * (2 + 65535);

std::string Hex(const merkle::Hash& h) {
  return crypto::ToHex(crypto::AsBytes(h));
}

// The number of hashes stored at tree level 8·level in a tree of `size`.
uint64_t StoredAt(unsigned level, uint64_t size) {
  return level * kTileHeight >= 64 ? 0 : size >> (level * kTileHeight);
}

// Width of tile `n` among `count` hashes (or entries); 0 if none.
uint64_t TileWidth(uint64_t n, uint64_t count) {
  const uint64_t full = count / kTileWidth;
  if (n < full) return kTileWidth;
  if (n == full) return count % kTileWidth;
  return 0;
}

// Parses entry bundle `n` (`path`) of `width` entries from `body`; a full
// bundle read in place of a partial one (`read_full`) may hold more.
Result<std::vector<std::string>> ParseEntryBundle(const std::string& path,
                                                  uint64_t n, uint64_t width,
                                                  const std::string& body,
                                                  bool read_full) {
  std::vector<std::string> entries;
  entries.reserve(width);
  size_t at = 0;
  while (entries.size() < width) {
    if (body.size() - at < 2) {
      return Corruption(path + " ends after " + std::to_string(entries.size()) +
                        " of its " + std::to_string(width) + " entries");
    }
    const size_t len = static_cast<uint8_t>(body[at]) << 8 |
                       static_cast<uint8_t>(body[at + 1]);
    at += 2;
    if (len == 0 || body.size() - at < len) {
      return Corruption(path + ": entry " +
                        std::to_string(n * kTileWidth + entries.size()) +
                        (len == 0 ? " has length 0" : " is cut short"));
    }
    entries.emplace_back(body.substr(at, len));
    at += len;
  }
  // A full bundle read in place of a partial one goes on; a bundle of the
  // requested width must end here.
  if (at != body.size() && !read_full) {
    return Corruption(path + " has " + std::to_string(body.size() - at) +
                      " bytes after its " + std::to_string(width) + " entries");
  }
  return entries;
}

}  // namespace

std::string TileIndexPath(uint64_t n) {
  std::string groups;
  // The last group is plain, each earlier one is prefixed with 'x'.
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(n % 1000));
  groups = buf;
  n /= 1000;
  while (n > 0) {
    std::snprintf(buf, sizeof buf, "x%03u/", static_cast<unsigned>(n % 1000));
    groups = buf + groups;
    n /= 1000;
  }
  return groups;
}

std::string HashTilePath(unsigned level, uint64_t n, uint64_t width) {
  std::string p = "tile/" + std::to_string(level) + "/" + TileIndexPath(n);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

std::string EntryBundlePath(uint64_t n, uint64_t width) {
  std::string p = "tile/entries/" + TileIndexPath(n);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

Result<std::string> TileLog::FetchCheckpoint() {
  ASSIGN_OR_RETURN(FetchReply reply, fetch_("checkpoint", kMaxCheckpointBytes));
  if (reply.status == 404) {
    return NotFound("the log serves no checkpoint yet (404 for checkpoint)");
  }
  if (reply.status != 200) {
    return Unavailable("the log answered " + std::to_string(reply.status) +
                       " for its checkpoint");
  }
  return std::move(reply.body);
}

Result<std::string> TileLog::FetchTile(const std::string& partial_path,
                                       const std::string& full_path,
                                       bool partial, size_t max_bytes,
                                       bool* read_full) {
  *read_full = !partial;
  ASSIGN_OR_RETURN(FetchReply reply, fetch_(partial_path, max_bytes));
  if (reply.status == 404 && partial) {
    *read_full = true;
    // The log grew past this tile: the partial one may be gone, and the
    // full one starts with the same bytes.
    ASSIGN_OR_RETURN(reply, fetch_(full_path, max_bytes));
  }
  if (reply.status == 404) {
    return NotFound("the log does not serve " + partial_path +
                    ", which its checkpoint implies (404)");
  }
  if (reply.status != 200) {
    return Unavailable("the log answered " + std::to_string(reply.status) +
                       " for " + partial_path);
  }
  return std::move(reply.body);
}

Result<std::vector<merkle::Hash>> TileLog::HashTile(unsigned level, uint64_t n,
                                                    uint64_t tree_size) {
  const uint64_t width = TileWidth(n, StoredAt(level, tree_size));
  if (width == 0) {
    return OutOfRange("the tree of " + std::to_string(tree_size) +
                      " leaves has no tile " + HashTilePath(level, n, 256));
  }
  const std::string path = HashTilePath(level, n, width);
  bool read_full = false;
  ASSIGN_OR_RETURN(
      std::string body,
      FetchTile(path, HashTilePath(level, n, kTileWidth), width < kTileWidth,
                kTileWidth * kHashSize, &read_full));
  // A full tile read in place of a partial one holds more: keep the prefix.
  const uint64_t expected = (read_full ? kTileWidth : width) * kHashSize;
  if (body.size() != expected) {
    return Corruption((read_full ? HashTilePath(level, n, kTileWidth) : path) +
                      " is " + std::to_string(body.size()) + " bytes, not " +
                      std::to_string(expected) + " (" +
                      std::to_string(expected / 32) + " hashes)");
  }
  std::vector<merkle::Hash> hashes(width);
  for (uint64_t i = 0; i < width; ++i) {
    std::memcpy(hashes[i].data(), body.data() + i * kHashSize, kHashSize);
  }
  return hashes;
}

std::string TileLog::CachePath(uint64_t n) const {
  return cache_dir_ + "/entries-" + std::to_string(n);
}

void TileLog::CacheEntryBundle(uint64_t n,
                               const std::vector<std::string>& entries) {
  if (cache_dir_.empty() || entries.size() != kTileWidth) return;
  std::error_code ec;
  std::filesystem::create_directories(cache_dir_, ec);
  std::string body;
  for (const std::string& e : entries) {
    body.push_back(static_cast<char>(e.size() >> 8));
    body.push_back(static_cast<char>(e.size() & 0xff));
    body += e;
  }
  // A cache: a torn or stale file is caught by the comparison with the
  // log's hash tile, so no fsync; the rename keeps readers from half files.
  const std::string tmp = CachePath(n) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) return;
  }
  std::filesystem::rename(tmp, CachePath(n), ec);
}

Result<std::vector<std::string>> TileLog::EntryBundle(uint64_t n,
                                                      uint64_t tree_size,
                                                      bool use_cache,
                                                      bool* from_cache) {
  if (from_cache) *from_cache = false;
  const uint64_t width = TileWidth(n, tree_size);
  if (width == 0) {
    return OutOfRange("the tree of " + std::to_string(tree_size) +
                      " leaves has no entry bundle " + EntryBundlePath(n, 256));
  }
  const std::string path = EntryBundlePath(n, width);
  if (use_cache && !cache_dir_.empty() && width == kTileWidth) {
    std::ifstream in(CachePath(n), std::ios::binary);
    if (in) {
      std::string body(kMaxEntryBundleBytes + 1, '\0');
      in.read(body.data(), static_cast<std::streamsize>(body.size()));
      body.resize(static_cast<size_t>(in.gcount()));
      auto cached = ParseEntryBundle(path, n, width, body, false);
      // A damaged cache file is only a miss.
      if (cached.ok()) {
        if (from_cache) *from_cache = true;
        return cached;
      }
    }
  }
  if (use_cache && n == last_n_ && width == last_width_) {
    if (from_cache) *from_cache = true;
    return last_entries_;
  }
  bool read_full = false;
  ++bundles_fetched_;
  ASSIGN_OR_RETURN(
      std::string body,
      FetchTile(path, EntryBundlePath(n, kTileWidth), width < kTileWidth,
                kMaxEntryBundleBytes, &read_full));
  ASSIGN_OR_RETURN(std::vector<std::string> entries,
                   ParseEntryBundle(path, n, width, body, read_full));
  last_n_ = n;
  last_width_ = width;
  last_entries_ = entries;
  return entries;
}

merkle::NodeReader TileLog::Nodes(uint64_t tree_size) {
  return
      [this, tree_size](uint8_t level, uint64_t index) -> Result<merkle::Hash> {
        const unsigned tile_level = level / kTileHeight;
        const unsigned below = level % kTileHeight;  // levels inside the tile
        // The node covers 2^below hashes of the tile's level, all in one tile.
        const uint64_t first = index << below;
        const uint64_t count = uint64_t{1} << below;
        const uint64_t n = first / kTileWidth;
        const auto key = std::make_tuple(
            tile_level, n, TileWidth(n, StoredAt(tile_level, tree_size)));
        auto it = cache_.find(key);
        if (it == cache_.end()) {
          ASSIGN_OR_RETURN(std::vector<merkle::Hash> hashes,
                           HashTile(tile_level, n, tree_size));
          it = cache_.emplace(key, std::move(hashes)).first;
        }
        const std::vector<merkle::Hash>& tile = it->second;
        const uint64_t offset = first % kTileWidth;
        if (offset + count > tile.size()) {
          return NotFound("node (" + std::to_string(level) + ", " +
                          std::to_string(index) + ") is not in the tree of " +
                          std::to_string(tree_size));
        }
        std::vector<merkle::Hash> row(tile.begin() + offset,
                                      tile.begin() + offset + count);
        while (row.size() > 1) {
          for (size_t i = 0; i < row.size() / 2; ++i) {
            row[i] = merkle::NodeHash(row[2 * i], row[2 * i + 1]);
          }
          row.resize(row.size() / 2);
        }
        return row[0];
      };
}

Status ReadTileLog(TileLog& log, std::string_view checkpoint_note,
                   const SourceCallbacks& cb, uint64_t first) {
  auto parsed = note::ParseNote(checkpoint_note);
  if (!parsed.ok()) {
    return InvalidArgument("the log's checkpoint is not a signed note: " +
                           parsed.status().message());
  }
  auto cp = note::ParseCheckpoint(parsed->text);
  if (!cp.ok()) {
    return InvalidArgument("the log's checkpoint is not a checkpoint: " +
                           cp.status().message());
  }
  const uint64_t size = cp->size;
  if (cb.on_size_hint) cb.on_size_hint(size);
  RETURN_IF_ERROR(cb.on_checkpoint(checkpoint_note));
  for (uint64_t n = first / kTileWidth; n * kTileWidth < size; ++n) {
    bool cached = false;
    ASSIGN_OR_RETURN(std::vector<std::string> entries,
                     log.EntryBundle(n, size, true, &cached));
    ASSIGN_OR_RETURN(std::vector<merkle::Hash> leaves,
                     log.HashTile(0, n, size));
    if (cached) {
      for (size_t i = 0; i < entries.size(); ++i) {
        if (merkle::LeafHash(crypto::AsBytes(entries[i])) != leaves[i]) {
          // The cache is stale or damaged: the log's word counts.
          ASSIGN_OR_RETURN(entries, log.EntryBundle(n, size, false, &cached));
          break;
        }
      }
    }
    for (size_t i = 0; i < entries.size(); ++i) {
      const uint64_t index = n * kTileWidth + i;
      const merkle::Hash leaf = merkle::LeafHash(crypto::AsBytes(entries[i]));
      if (leaf != leaves[i]) {
        return Corruption("entry " + std::to_string(index) + " of " +
                          EntryBundlePath(n, entries.size()) + " hashes to " +
                          Hex(leaf) + ", but " +
                          HashTilePath(0, n, entries.size()) + " holds " +
                          Hex(leaves[i]));
      }
      if (index >= first) RETURN_IF_ERROR(cb.on_entry(index, entries[i]));
    }
    if (!cached) log.CacheEntryBundle(n, entries);
  }
  // The entries' root is checked against the checkpoint by the caller; the
  // tiles above level 0 are what other tlog-tiles clients read, so they must
  // give the same root.
  ASSIGN_OR_RETURN(merkle::Hash tiles_root,
                   merkle::RootAt(log.Nodes(size), size));
  if (size > 0 && tiles_root != cp->root) {
    return Corruption("the log's hash tiles give the root " + Hex(tiles_root) +
                      " for size " + std::to_string(size) +
                      ", not the checkpoint's " + Hex(cp->root));
  }
  return Status::Ok();
}

}  // namespace piaojue::verifier
