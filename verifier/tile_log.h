// Reading a live log from its C2SP tlog-tiles alone (c2sp.org/tlog-tiles):
// the signed checkpoint, hash tiles and entry bundles under the log's prefix.
// See docs/VERIFY.md, "Live logs", and docs/API.md, "Transparency log".
//
//   <prefix>/checkpoint                 the signed checkpoint note
//   <prefix>/tile/<L>/<N>[.p/<W>]        hashes of tree level 8·L, nodes
//                                       N·256 … N·256+W−1 (W = 256 if absent)
//   <prefix>/tile/entries/<N>[.p/<W>]    be16(length) || entry, W times
//   <N> = ("x" 3DIGIT "/")* 3DIGIT      1234067 → x001/x234/067
//
// A partial tile that is gone (the log grew and serves only the full one) is
// read from the full tile, whose first W hashes or entries it must be.
//
// Errors: NotFound / Unavailable when the log cannot be read (a network
// error, a tile the checkpoint implies but the log does not serve) — the
// verdict is then "cannot verify"; Corruption when what the log serves
// contradicts itself (a tile of the wrong length, a malformed entry bundle,
// an entry whose hash is not the hash its tile holds, tiles whose root is not
// the checkpoint's) — the log is then invalid.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/status.h"
#include "verifier/http_fetch.h"
#include "verifier/source.h"

namespace piaojue::verifier {

inline constexpr unsigned kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;
// What a reader accepts before reading further.
inline constexpr size_t kMaxCheckpointBytes = 1 << 20;

// "x001/x234/067" for 1234067, "005" for 5.
std::string TileIndexPath(uint64_t n);
// "tile/<level>/<N>" or "tile/<level>/<N>.p/<width>" (width < 256).
std::string HashTilePath(unsigned level, uint64_t n, uint64_t width);
// "tile/entries/<N>" or "tile/entries/<N>.p/<width>".
std::string EntryBundlePath(uint64_t n, uint64_t width);

class TileLog {
 public:
  // `fetch` reads paths under the log's prefix; it must outlive this.
  explicit TileLog(Fetch fetch) : fetch_(std::move(fetch)) {}

  // The checkpoint note as served. NotFound when the log has none yet.
  Result<std::string> FetchCheckpoint();

  // The hashes of hash tile (level, n) as it is in the tree of `tree_size`
  // leaves (its width there). OutOfRange if that tree has no such tile.
  Result<std::vector<merkle::Hash>> HashTile(unsigned level, uint64_t n,
                                             uint64_t tree_size);

  // The entries of entry bundle `n` in the tree of `tree_size` leaves. A
  // full bundle is taken from the entry cache when there is one and it holds
  // it (then *from_cache is set), unless `use_cache` is false.
  Result<std::vector<std::string>> EntryBundle(uint64_t n, uint64_t tree_size,
                                               bool use_cache = true,
                                               bool* from_cache = nullptr);

  // Keeps full entry bundles (immutable by tlog-tiles) in `dir`, created if
  // missing, so that a later run fetches only bundles it has not seen. The
  // cache is not trusted: ReadTileLog compares every cached entry with the
  // log's own level-0 hash tile, and fetches the bundle again on any
  // difference. Writing to it is best effort.
  void SetEntryCache(std::string dir) { cache_dir_ = std::move(dir); }
  void CacheEntryBundle(uint64_t n, const std::vector<std::string>& entries);
  // Entry bundles fetched from the log so far (for tests and the report).
  // The bundle fetched last is kept in memory and served again like a
  // cached one (from_cache set), so reading it twice fetches it once.
  uint64_t bundles_fetched() const { return bundles_fetched_; }

  // The tree of `tree_size` leaves as stored nodes, read from hash tiles
  // (nodes between tile levels are hashed from the tile below), for
  // merkle::RootAt and merkle::ConsistencyProof. The tiles read are kept
  // for the TileLog's lifetime (O(log n) of them for a root or a proof).
  merkle::NodeReader Nodes(uint64_t tree_size);

 private:
  Result<std::string> FetchTile(const std::string& partial_path,
                                const std::string& full_path, bool partial,
                                size_t max_bytes, bool* read_full);

  std::string CachePath(uint64_t n) const;

  Fetch fetch_;
  std::string cache_dir_;
  uint64_t bundles_fetched_ = 0;
  // The last bundle fetched: its index, width and entries.
  uint64_t last_n_ = UINT64_MAX, last_width_ = 0;
  std::vector<std::string> last_entries_;
  std::map<std::tuple<unsigned, uint64_t, uint64_t>, std::vector<merkle::Hash>>
      cache_;
};

// Reads the live log that the signed checkpoint `checkpoint_note` (as the
// log served it) describes: hands the note to on_checkpoint, then every entry
// 0 … size−1 to on_entry, checking that each entry bundle agrees with the
// level-0 hash tile and, at the end, that the hash tiles give the
// checkpoint's root (so a tlog-tiles client sees the same log as this
// verifier). Full bundles come from the TileLog's entry cache when it has
// them (checked against the level-0 tiles like fetched ones) and are added to
// it. Errors as above; otherwise the first non-OK callback status.
// With `first` > 0 the entries before it are not handed over (a verifier
// continuing from a saved state): reading starts at the bundle that holds
// entry `first`.
Status ReadTileLog(TileLog& log, std::string_view checkpoint_note,
                   const SourceCallbacks& callbacks, uint64_t first = 0);

}  // namespace piaojue::verifier
