// The transparency-log endpoints: C2SP tlog-checkpoint and tlog-tiles
// (c2sp.org/tlog-tiles), entries and RFC 6962 proofs. See docs/API.md,
// "Transparency log", and docs/FORMAT.md, "Merkle tree".
//
// Tile grammar (tlog-tiles):
//   tile/<L>/<N>[.p/<W>]        L = 0..63, hashes at tree level 8*L
//   tile/entries/<N>[.p/<W>]    be16(length) || entry, repeated
//   <N> = ("x" 3DIGIT "/")* 3DIGIT     e.g. 1234067 = x001/x234/067
//   <W> = 1..255, no leading zeros; absent = a full tile of 256
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/server/internal/handlers.h"
#include "ledger/entry.h"
#include "ledger/event_json.h"
#include "ledger/merkle.h"
#include "ledger/note.h"
#include "projections/views.h"

namespace piaojue::server {

namespace {

using nlohmann::json;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
// A partial tile's bytes never change either, but tlog-tiles lets a log stop
// serving it once the full tile exists, so caches keep it only briefly.
constexpr std::string_view kPartialTile = "public, max-age=60";

// Full tiles and entry bundles as served, plain and gzip-compressed, read
// and compressed once per process: their bytes never change, and a hash
// tile costs 256 node reads to build. The key names the content, not a log:
// the kind and level and the Merkle node that commits to every hash or entry
// of the tile (level 8·(L+1), index N for hash tile L/N; level 8, index N
// for entry bundle N), so two logs in one process (tests, forks) never share
// a tile they should not, and a hit costs one node read. Bounded (oldest
// evicted first). Thread-safe.
class FullTileCache {
 public:
  static constexpr size_t kMaxBytes = 64 << 20;

  struct Tile {
    std::string body;
    std::string gzip;  // empty when gzip does not make the body smaller
  };

  std::shared_ptr<const Tile> Find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : it->second;
  }

  void Insert(const std::string& key, std::shared_ptr<const Tile> tile) {
    const size_t cost = tile->body.size() + tile->gzip.size() + key.size();
    std::lock_guard lock(mu_);
    if (cost > kMaxBytes || map_.contains(key)) return;
    bytes_ += cost;
    map_.emplace(key, std::move(tile));
    order_.push_back(key);
    while (bytes_ > kMaxBytes && !order_.empty()) {
      auto it = map_.find(order_.front());
      bytes_ -=
          it->second->body.size() + it->second->gzip.size() + it->first.size();
      map_.erase(it);
      order_.pop_front();
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Tile>> map_;
  std::deque<std::string> order_;
  size_t bytes_ = 0;
};

FullTileCache& TileCache() {
  static FullTileCache* cache = new FullTileCache;
  return *cache;
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool IsDigits(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// The latest checkpoint's size and root: what a proof is made against by
// default, so that it checks against what /tlog/checkpoint serves. Parsed
// once per note and thread (the note changes at most once per
// checkpoint_delay; a proof is asked for far more often).
struct CheckpointHead {
  uint64_t size = 0;
  crypto::Hash root{};
};
Result<CheckpointHead> LatestCheckpoint(Service& service) {
  thread_local std::string last_note;
  thread_local CheckpointHead last;
  ASSIGN_OR_RETURN(std::string note_text, service.Checkpoint());
  if (note_text != last_note) {
    ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note_text));
    ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed.text));
    last = CheckpointHead{cp.size, cp.root};
    last_note = std::move(note_text);
  }
  return last;
}

Result<uint64_t> CheckpointSize(Service& service) {
  ASSIGN_OR_RETURN(CheckpointHead head, LatestCheckpoint(service));
  return head.size;
}

HttpResponse Binary(std::string body, std::string_view cache_control) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.cache_control = std::string(cache_control);
  r.body = std::move(body);
  return r;
}

json HashList(const std::vector<crypto::Hash>& hashes) {
  json out = json::array();
  for (const crypto::Hash& h : hashes) out.push_back(Base64(h));
  return out;
}

}  // namespace

Result<TileAddress> ParseTileAddress(
    const std::vector<std::string_view>& segments) {
  TileAddress a;
  std::vector<std::string_view> parts = segments;
  if (parts.size() >= 2 && parts[parts.size() - 2].size() > 2 &&
      parts[parts.size() - 2].ends_with(".p")) {
    std::optional<uint64_t> w = ParseDecimal(parts.back());
    if (!w || *w < 1 || *w >= kTileWidth) {
      return InvalidArgument("a partial tile width is 1 to 255, not \"" +
                             std::string(parts.back()) + "\"");
    }
    a.width = *w;
    parts.pop_back();
    parts.back().remove_suffix(2);
  }
  if (parts.empty() || parts.size() > 7) {
    return InvalidArgument("a tile index is 1 to 7 path elements");
  }
  unsigned __int128 n = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    const bool last = i + 1 == parts.size();
    if (!last) {
      if (!p.starts_with("x")) {
        return InvalidArgument("tile index elements but the last start with x");
      }
      p.remove_prefix(1);
    }
    if (!IsDigits(p, 3)) {
      return InvalidArgument("tile index elements are 3 digits, not \"" +
                             std::string(parts[i]) + "\"");
    }
    // Canonical form only: no leading all-zero group.
    if (i == 0 && parts.size() > 1 && p == "000") {
      return InvalidArgument("a tile index has no leading x000 element");
    }
    n = n * 1000 + static_cast<unsigned>((p[0] - '0') * 100 +
                                         (p[1] - '0') * 10 + (p[2] - '0'));
  }
  if (n > UINT64_MAX) return InvalidArgument("tile index out of range");
  a.index = static_cast<uint64_t>(n);
  return a;
}

HttpResponse HandleCheckpoint(Service& service, const HttpRequest&) {
  auto note_text = service.Checkpoint();
  if (!note_text.ok()) return StatusResponse(note_text.status());
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  // Mutable: tlog-tiles asks that it not be cached beyond a few seconds.
  r.cache_control = "no-cache";
  r.body = *note_text;
  return r;
}

HttpResponse HandleTile(Service& service, const HttpRequest& request,
                        const std::vector<std::string_view>& segments) {
  const bool entries = segments[0] == "entries";
  uint64_t level = 0;
  if (!entries) {
    std::optional<uint64_t> l = ParseDecimal(segments[0]);
    if (!l || *l > 63) {
      return ErrorResponse(
          400, "invalid_argument",
          "a tile level is 0 to 63, not \"" + std::string(segments[0]) + "\"");
    }
    level = *l;
  }
  auto address = ParseTileAddress(
      std::vector<std::string_view>(segments.begin() + 1, segments.end()));
  if (!address.ok()) return StatusResponse(address.status());
  const uint64_t size = service.ledger().size();
  // Hashes stored at tree level 8*level: floor(size / 256^level) of them.
  // Sizes are below 2^64, so from level 8 up there are none.
  const uint64_t available = level >= 8 ? 0 : size >> (8 * level);
  const uint64_t tiles_before = available / kTileWidth;
  if (address->index > tiles_before ||
      address->index * kTileWidth + address->width > available) {
    return ErrorResponse(
        404, "not_found",
        "the log (size " + std::to_string(size) + ") has no such tile yet");
  }
  const bool full = address->width == kTileWidth;
  const bool gzip = AcceptsGzip(request.accept_encoding);
  HttpResponse r = Binary("", full ? kImmutable : kPartialTile);
  // Caches must keep the two codings apart.
  r.headers.emplace_back("Vary", "Accept-Encoding");

  // Sent compressed only when asked and when that is smaller: hash tiles
  // are SHA-256 output, which gzip only makes longer.
  auto send = [&](const std::string& body, const std::string& gz) {
    if (gzip && !gz.empty()) {
      r.headers.emplace_back("Content-Encoding", "gzip");
      r.body = gz;
    } else {
      r.body = body;
    }
    return r;
  };

  // A full tile: from the cache when it is there.
  std::string cache_key;
  if (full) {
    // The node above the tile (see FullTileCache). A full tile at level L
    // means the tree has at least 256^(L+1) leaves, so the node exists.
    auto top = service.ledger().ReadNode(
        static_cast<uint8_t>(entries ? 8 : 8 * (level + 1)), address->index);
    if (!top.ok()) return StatusResponse(top.status());
    cache_key.push_back(entries ? 'e' : 'h');
    cache_key.push_back(static_cast<char>(level));
    cache_key.append(reinterpret_cast<const char*>(top->data()), top->size());
    if (std::shared_ptr<const FullTileCache::Tile> hit =
            TileCache().Find(cache_key)) {
      return send(hit->body, hit->gzip);
    }
  }

  const uint64_t begin = address->index * kTileWidth;
  const uint64_t end = begin + address->width;
  std::string body;
  if (entries) {
    Status s = service.ledger().ForEachEntry(
        begin, end, [&](uint64_t, std::string_view entry) {
          // kMaxEntrySize keeps every entry within a be16 length.
          body.push_back(static_cast<char>(entry.size() >> 8));
          body.push_back(static_cast<char>(entry.size() & 0xff));
          body.append(entry);
          return Status::Ok();
        });
    if (!s.ok()) return StatusResponse(s);
  } else {
    body.reserve(address->width * crypto::kHashSize);
    for (uint64_t i = begin; i < end; ++i) {
      auto h = service.ledger().ReadNode(static_cast<uint8_t>(8 * level), i);
      if (!h.ok()) return StatusResponse(h.status());
      body.append(reinterpret_cast<const char*>(h->data()), h->size());
    }
  }
  std::string gz;
  if (gzip || full) {  // a full tile is compressed once, for later readers
    gz = Gzip(body);
    if (gz.size() >= body.size()) gz.clear();
  }
  if (full) {
    auto tile = std::make_shared<FullTileCache::Tile>(
        FullTileCache::Tile{std::move(body), std::move(gz)});
    TileCache().Insert(cache_key, tile);
    return send(tile->body, tile->gzip);
  }
  return send(body, gz);
}

HttpResponse HandleEntry(Service& service, std::string_view index_text) {
  std::optional<uint64_t> index = ParseDecimal(index_text);
  if (!index) {
    return ErrorResponse(
        404, "not_found",
        "\"" + std::string(index_text) + "\" is not an entry index");
  }
  auto bytes = service.ledger().ReadEntry(*index);
  if (!bytes.ok()) return StatusResponse(bytes.status());
  auto view = ledger::EntryView::Parse(*bytes);
  if (!view.ok()) return StatusResponse(view.status());
  json decoded = json::parse(ledger::EntryToJson(*view), nullptr, false);
  json out{{"index", *index},
           {"entry", Base64(crypto::AsBytes(*bytes))},
           {"leafHash", Base64(view->LeafHash())},
           {"decoded", std::move(decoded)}};
  HttpResponse r = JsonResponse(Dump(out));
  r.cache_control = std::string(kImmutable);
  return r;
}

HttpResponse HandleEntryList(Service& service, const HttpRequest& request) {
  auto offset = QueryNumber(request, "offset");
  auto limit = PageLimit(request);
  if (!offset.ok()) return StatusResponse(offset.status());
  if (!limit.ok()) return StatusResponse(limit.status());
  const uint64_t size = service.published_size();
  const uint64_t begin = std::min(offset->value_or(0), size);
  const uint64_t count = *limit;
  const uint64_t end = begin + std::min(count, size - begin);
  json entries = json::array();
  Status s = service.ledger().ForEachEntry(
      begin, end, [&](uint64_t index, std::string_view bytes) {
        ASSIGN_OR_RETURN(ledger::EntryView view,
                         ledger::EntryView::Parse(bytes));
        entries.push_back(
            json{{"index", index},
                 {"leafHash", Base64(view.LeafHash())},
                 {"decoded",
                  json::parse(ledger::EntryToJson(view), nullptr, false)}});
        return Status::Ok();
      });
  if (!s.ok()) return StatusResponse(s);
  json out{{"size", size},
           {"entries", std::move(entries)},
           {"page",
            {{"offset", begin},
             {"limit", count},
             {"total", size},
             {"next", end < size ? json(end) : json(nullptr)}}}};
  return JsonResponse(Dump(out));
}

namespace {

// Base64 (RFC 4648, padded) of a hash, appended to `out`: a proof holds
// about 22 of them, and libsodium's constant-time encoder and a string per
// hash cost a tenth of a proof's CPU (docs/PERFORMANCE.md, "HTTP reads").
// Hashes are public: no need for constant time.
void AppendBase64(std::string* out, const crypto::Hash& h) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static_assert(std::tuple_size_v<crypto::Hash> == 32);
  char buf[44];
  char* o = buf;
  size_t i = 0;
  for (; i + 3 <= h.size(); i += 3) {
    const uint32_t v =
        (uint32_t{h[i]} << 16) | (uint32_t{h[i + 1]} << 8) | uint32_t{h[i + 2]};
    *o++ = kAlphabet[(v >> 18) & 63];
    *o++ = kAlphabet[(v >> 12) & 63];
    *o++ = kAlphabet[(v >> 6) & 63];
    *o++ = kAlphabet[v & 63];
  }
  // 32 = 30 + 2: two bytes left, one '='.
  const uint32_t v = (uint32_t{h[i]} << 16) | (uint32_t{h[i + 1]} << 8);
  *o++ = kAlphabet[(v >> 18) & 63];
  *o++ = kAlphabet[(v >> 12) & 63];
  *o++ = kAlphabet[(v >> 6) & 63];
  *o++ = '=';
  out->append(buf, sizeof buf);
}

}  // namespace

std::string InclusionProofJson(uint64_t index, uint64_t size,
                               const crypto::Hash& leaf,
                               const crypto::Hash& root,
                               const std::vector<crypto::Hash>& proof) {
  std::string out;
  out.reserve(96 + 48 * (proof.size() + 2));
  out.append("{\"index\":");
  out.append(std::to_string(index));
  out.append(",\"leafHash\":\"");
  AppendBase64(&out, leaf);
  out.append("\",\"proof\":[");
  for (size_t i = 0; i < proof.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    AppendBase64(&out, proof[i]);
    out.push_back('"');
  }
  out.append("],\"rootHash\":\"");
  AppendBase64(&out, root);
  out.append("\",\"size\":");
  out.append(std::to_string(size));
  out.push_back('}');
  return out;
}

namespace {

// The root of the first `size` leaves. A root never changes once its
// leaves exist, and readers ask for the same size (the latest checkpoint's)
// again and again: each thread remembers the last one it computed, by the
// cache it came from (a NodeCache's id is never reused), which saves the
// hashes of an unaligned tree's right edge (about one per set bit of size).
Result<crypto::Hash> RootOfSize(const NodeCache& nodes,
                                const merkle::NodeReader& read, uint64_t size) {
  struct Memo {
    uint64_t cache = 0;  // NodeCache::id(); 0: none
    uint64_t size = 0;
    crypto::Hash root{};
  };
  thread_local Memo memo;
  if (memo.cache == nodes.id() && memo.size == size) return memo.root;
  ASSIGN_OR_RETURN(crypto::Hash root, merkle::RootAt(read, size));
  memo = Memo{nodes.id(), size, root};
  return root;
}

// An inclusion proof's answer. The tree's nodes come from memory
// (node_cache.h); with `memory_only`, nullopt when one is not loaded yet
// (the caller then asks again with the store behind). The checkpoint's root
// is the one its note signs, computed from the same nodes when it was
// signed.
std::optional<HttpResponse> InclusionProofAnswer(Service& service,
                                                 const HttpRequest& request,
                                                 bool memory_only) {
  auto index = QueryNumber(request, "index");
  auto size = QueryNumber(request, "size");
  if (!index.ok()) return StatusResponse(index.status());
  if (!size.ok()) return StatusResponse(size.status());
  if (!*index) {
    return ErrorResponse(400, "invalid_argument",
                         "query parameter index is required");
  }
  uint64_t tree_size;
  std::optional<crypto::Hash> checkpoint_root;
  if (*size) {
    tree_size = **size;
  } else {
    auto cp = LatestCheckpoint(service);
    if (!cp.ok()) return StatusResponse(cp.status());
    tree_size = cp->size;
    checkpoint_root = cp->root;
  }
  if (**index >= tree_size) {
    return ErrorResponse(400, "invalid_argument",
                         "index " + std::to_string(**index) +
                             " is not in a tree of size " +
                             std::to_string(tree_size));
  }
  const uint64_t log_size = service.ledger().size();
  if (tree_size > log_size) {
    return ErrorResponse(
        404, "out_of_range",
        "the log has only " + std::to_string(log_size) + " entries");
  }
  const NodeCache& nodes = service.node_cache();
  const merkle::NodeReader read =
      memory_only ? nodes.MemoryReader() : nodes.Reader(service.ledger());
  nodes.PrefetchProof(**index, tree_size);
  auto proof = merkle::InclusionProof(read, **index, tree_size);
  auto root = checkpoint_root ? Result<crypto::Hash>(*checkpoint_root)
                              : RootOfSize(nodes, read, tree_size);
  auto leaf = read(0, **index);
  if (memory_only && (!proof.ok() || !root.ok() || !leaf.ok())) {
    return std::nullopt;
  }
  if (!proof.ok()) return StatusResponse(proof.status());
  if (!root.ok()) return StatusResponse(root.status());
  if (!leaf.ok()) return StatusResponse(leaf.status());
  return JsonResponse(
      InclusionProofJson(**index, tree_size, *leaf, *root, *proof));
}

}  // namespace

HttpResponse HandleInclusionProof(Service& service,
                                  const HttpRequest& request) {
  return *InclusionProofAnswer(service, request, /*memory_only=*/false);
}

std::shared_ptr<const HttpResponse> FastInclusionProof(
    Service& service, const HttpRequest& request) {
  std::optional<HttpResponse> r =
      InclusionProofAnswer(service, request, /*memory_only=*/true);
  if (!r) return nullptr;
  return std::make_shared<const HttpResponse>(std::move(*r));
}

HttpResponse HandleConsistencyProof(Service& service,
                                    const HttpRequest& request) {
  auto old_size = QueryNumber(request, "old");
  auto new_size = QueryNumber(request, "new");
  if (!old_size.ok()) return StatusResponse(old_size.status());
  if (!new_size.ok()) return StatusResponse(new_size.status());
  if (!*old_size) {
    return ErrorResponse(400, "invalid_argument",
                         "query parameter old is required");
  }
  uint64_t to;
  if (*new_size) {
    to = **new_size;
  } else {
    auto cp = CheckpointSize(service);
    if (!cp.ok()) return StatusResponse(cp.status());
    to = *cp;
  }
  if (**old_size > to) {
    return ErrorResponse(400, "invalid_argument",
                         "old (" + std::to_string(**old_size) +
                             ") must not exceed new (" + std::to_string(to) +
                             ")");
  }
  if (to > service.ledger().size()) {
    return ErrorResponse(404, "out_of_range",
                         "the log has only " +
                             std::to_string(service.ledger().size()) +
                             " entries");
  }
  auto proof = service.ledger().ConsistencyProof(**old_size, to);
  auto old_root = service.ledger().RootAt(**old_size);
  auto new_root = service.ledger().RootAt(to);
  if (!proof.ok()) return StatusResponse(proof.status());
  if (!old_root.ok()) return StatusResponse(old_root.status());
  if (!new_root.ok()) return StatusResponse(new_root.status());
  json out{{"old", **old_size},
           {"new", to},
           {"oldRoot", Base64(*old_root)},
           {"newRoot", Base64(*new_root)},
           {"proof", HashList(*proof)}};
  return JsonResponse(Dump(out));
}

HttpResponse HandleLogInfo(Service& service) {
  json checkpoint = nullptr;
  if (auto cp = CheckpointSize(service); cp.ok()) {
    checkpoint = json{{"size", *cp}};
  }
  json out{{"origin", service.origin()},
           {"verifierKey", service.verifier_key()},
           {"size", service.published_size()},
           {"checkpoint", std::move(checkpoint)},
           {"views", projections::ViewNames()}};
  return JsonResponse(Dump(out));
}

Result<uint64_t> EventStreamStart(const Service& service,
                                  const HttpRequest& request) {
  if (!request.last_event_id.empty()) {
    std::optional<uint64_t> id = ParseDecimal(request.last_event_id);
    if (!id || *id == UINT64_MAX) {
      return InvalidArgument("Last-Event-ID must be an entry index, not \"" +
                             request.last_event_id + "\"");
    }
    return *id + 1;
  }
  ASSIGN_OR_RETURN(std::optional<uint64_t> from, QueryNumber(request, "from"));
  if (from) return *from;
  return service.published_size();
}

HttpResponse HandleEventStreamHead(const Service& service,
                                   const HttpRequest& request) {
  auto start = EventStreamStart(service, request);
  if (!start.ok()) return StatusResponse(start.status());
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("X-Accel-Buffering", "no");
  r.stream_head = true;
  return r;
}

std::string FormatEntryEvent(uint64_t index, std::string_view entry_bytes) {
  json data{{"index", index}};
  auto view = ledger::EntryView::Parse(entry_bytes);
  if (view.ok()) {
    data["kind"] = ledger::EventKindName(view->event());
    data["leafHash"] = Base64(view->LeafHash());
    data["decoded"] = json::parse(ledger::EntryToJson(*view), nullptr, false);
  } else {
    data["error"] = view.status().ToString();
  }
  // A compact dump has no raw newline: one data line per event.
  return "id: " + std::to_string(index) +
         "\nevent: entry\ndata: " + Dump(data) + "\n\n";
}

}  // namespace piaojue::server
