// `piaojue publish` (publish.h, docs/DEPLOY.md): the server's own handlers
// answer the same GETs a reader would send, and their bodies are written as
// files, so a published file holds exactly the bytes `piaojue serve` sends.
#include "api/server/publish.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "api/cli/data_dir.h"
#include "api/cli/session.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/portal_assets.h"
#include "api/server/internal/service.h"
#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "verifier/explain.h"
#include "verifier/proof_bundle.h"

namespace piaojue::server {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// "x001/x234/067" for 1234067 (tlog-tiles).
std::string TileIndex(uint64_t n) {
  std::string out;
  char group[8];
  std::snprintf(group, sizeof group, "%03llu",
                static_cast<unsigned long long>(n % 1000));
  out = group;
  for (n /= 1000; n > 0; n /= 1000) {
    std::snprintf(group, sizeof group, "x%03llu/",
                  static_cast<unsigned long long>(n % 1000));
    out = group + out;
  }
  return out;
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("write: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// The files of OUT, written through temporary names and renames. Not
// thread-safe.
class OutputTree {
 public:
  OutputTree(fs::path root, PublishReport* report)
      : root_(std::move(root)), report_(report) {}

  bool Exists(const std::string& rel) const {
    std::error_code ec;
    return fs::is_regular_file(root_ / rel, ec);
  }

  // Writes `bytes` at `rel` (and `gz` at `rel`.gz when given) unless the
  // file already holds exactly these bytes.
  Status Put(const std::string& rel, std::string_view bytes,
             std::optional<std::string_view> gz = std::nullopt) {
    std::optional<std::string> old = ReadFile(root_ / rel);
    if (old && *old == bytes && (!gz || Exists(rel + ".gz"))) {
      ++report_->unchanged;
      return Status::Ok();
    }
    RETURN_IF_ERROR(Replace(rel, bytes, /*sync=*/false));
    if (gz) RETURN_IF_ERROR(Replace(rel + ".gz", *gz, /*sync=*/false));
    return Status::Ok();
  }

  // As Put, with a gzip sibling made here when gzip makes it smaller.
  Status PutCompressible(const std::string& rel, std::string_view bytes) {
    std::string gz = Gzip(bytes);
    if (gz.empty() || gz.size() >= bytes.size()) return Put(rel, bytes);
    return Put(rel, bytes, gz);
  }

  // As PutCompressible, for a view: left as it is when only its `size` and
  // `asOf` (the log's size and day when it was computed) would change. The
  // file then still tells the truth (the view as of that size, identical
  // to the view now), and a new entry does not rewrite the view of every
  // record it does not touch.
  Status PutView(const std::string& rel, std::string_view bytes) {
    if (std::optional<std::string> old = ReadFile(root_ / rel)) {
      json before = json::parse(*old, nullptr, false);
      json now = json::parse(bytes, nullptr, false);
      if (before.is_object() && now.is_object()) {
        for (json* j : {&before, &now}) {
          j->erase("size");
          j->erase("asOf");
        }
        if (before == now) {
          ++report_->unchanged;
          return Status::Ok();
        }
      }
    }
    return PutCompressible(rel, bytes);
  }

  // Writes `bytes` at `rel` through a temporary file and a rename; with
  // `sync`, the file and then its directory reach the disk first.
  Status Replace(const std::string& rel, std::string_view bytes, bool sync) {
    const fs::path path = root_ / rel;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return IOError("creating " + path.parent_path().string() + ": " +
                     ec.message());
    }
    const fs::path tmp =
        path.parent_path() / ("." + path.filename().string() + ".publish-tmp");
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
      return IOError("creating " + tmp.string() + ": " + std::strerror(errno));
    }
    Status s = WriteAll(fd, bytes);
    if (s.ok() && sync && ::fsync(fd) != 0) {
      s = IOError("fsync " + tmp.string() + ": " + std::strerror(errno));
    }
    if (::close(fd) != 0 && s.ok()) {
      s = IOError("closing " + tmp.string() + ": " + std::strerror(errno));
    }
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
      s = IOError("renaming " + tmp.string() + ": " + std::strerror(errno));
    }
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    if (sync) {
      const int dir =
          ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
      if (dir >= 0) {
        const int rc = ::fsync(dir);
        ::close(dir);
        if (rc != 0) {
          return IOError("fsync " + path.parent_path().string() + ": " +
                         std::strerror(errno));
        }
      }
    }
    report_->written.push_back(rel);
    return Status::Ok();
  }

  // Every file written so far reaches the disk.
  Status SyncAll() {
    const int fd = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
      return IOError("opening " + root_.string() + ": " + std::strerror(errno));
    }
    const int rc = ::syncfs(fd);
    ::close(fd);
    if (rc != 0) {
      return IOError("syncfs " + root_.string() + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }

  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  PublishReport* report_;
};

HttpResponse Get(Service& service, const std::string& path,
                 std::map<std::string, std::string> query = {}) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.query = std::move(query);
  return Handle(service, r);
}

Status NotServed(const std::string& path, const HttpResponse& r) {
  return Internal("GET " + path + " answered " + std::to_string(r.status) +
                  ": " + r.body);
}

// A paged view read whole: its pages joined into one document whose `page`
// says there is no next page (what the portal's getList expects of a
// file). nullopt for a 404.
Result<std::optional<std::string>> WholeView(Service& service,
                                             const std::string& path) {
  HttpResponse r =
      Get(service, path, {{"limit", std::to_string(kMaxPageLimit)}});
  if (r.status == 404) return std::optional<std::string>();
  if (r.status != 200) return NotServed(path, r);
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_discarded()) return NotServed(path, r);
  if (!doc.contains("page") || !doc["page"].is_object()) {
    return std::optional<std::string>(r.body);
  }
  const std::string list = doc["page"].value("list", "");
  if (list.empty() || !doc[list].is_array()) return NotServed(path, r);
  json next = doc["page"]["next"];
  while (next.is_number_unsigned()) {
    HttpResponse more = Get(service, path,
                            {{"limit", std::to_string(kMaxPageLimit)},
                             {"offset", std::to_string(next.get<uint64_t>())}});
    if (more.status != 200) return NotServed(path, more);
    json page = json::parse(more.body, nullptr, false);
    if (page.is_discarded() || !page[list].is_array()) {
      return NotServed(path, more);
    }
    for (json& item : page[list]) doc[list].push_back(std::move(item));
    next = page["page"]["next"];
  }
  // The limit of a page that holds the whole list: as the server's default
  // page when the list fits one (the same bytes as GET path), else its
  // length.
  const uint64_t n = doc[list].size();
  doc["page"] = json{{"offset", 0},
                     {"limit", std::max<uint64_t>(n, kDefaultPageLimit)},
                     {"list", list},
                     {"total", n},
                     {"next", nullptr}};
  return std::optional<std::string>(DumpJson(doc) + "\n");
}

// The checkpoint OUT already publishes, if any: it must be this log's, of a
// tree no larger than `now`, and this log's tree of its size must have its
// root (else OUT holds another log or a fork, and nothing is written).
Result<uint64_t> PreviousSize(const OutputTree& out, Service& service,
                              const note::Checkpoint& now) {
  std::optional<std::string> text = ReadFile(out.root() / "tlog/checkpoint");
  if (!text) return uint64_t{0};
  const std::string where = (out.root() / "tlog/checkpoint").string();
  auto parsed = note::ParseNote(*text);
  if (!parsed.ok()) {
    return FailedPrecondition(
        where + " is not a signed note: " + parsed.status().ToString());
  }
  auto old = note::ParseCheckpoint(parsed->text);
  if (!old.ok()) {
    return FailedPrecondition(
        where + " is not a checkpoint: " + old.status().ToString());
  }
  if (old->origin != now.origin) {
    return FailedPrecondition(where + " is a checkpoint of another log (" +
                              old->origin + ", not " + now.origin +
                              "); publish into an empty directory");
  }
  if (old->size > now.size) {
    return FailedPrecondition(
        where + " publishes a tree of " + std::to_string(old->size) +
        " entries, larger than this log's checkpoint of " +
        std::to_string(now.size) + ": refusing to go back");
  }
  auto root = service.ledger().RootAt(old->size);
  if (!root.ok()) return root.status();
  if (*root != old->root) {
    return FailedPrecondition(
        where + " has another root at tree size " + std::to_string(old->size) +
        " than this log: it was published from a fork; refusing to mix them");
  }
  return old->size;
}

// The tiles of the tree of `size` leaves. A full tile already covered by
// the checkpoint OUT published (of `previous` leaves) is left alone: its
// bytes never change, and it reached the disk before that checkpoint did.
Status PublishTiles(OutputTree& out, Service& service, uint64_t size,
                    uint64_t previous, PublishReport* report) {
  auto tile = [&](const std::string& rel, bool entries) -> Status {
    std::vector<std::string_view> segments;
    std::string_view rest(rel);
    rest.remove_prefix(std::string_view("tlog/tile/").size());
    for (size_t at; (at = rest.find('/')) != std::string_view::npos;) {
      segments.push_back(rest.substr(0, at));
      rest.remove_prefix(at + 1);
    }
    segments.push_back(rest);
    HttpRequest none;
    HttpResponse r = HandleTile(service, none, segments);
    if (r.status != 200) return NotServed("/" + rel, r);
    // Entry bundles compress; hash tiles (SHA-256 output) do not.
    return entries ? out.PutCompressible(rel, r.body) : out.Put(rel, r.body);
  };
  for (const bool entries : {false, true}) {
    for (unsigned level = 0; level < 8; ++level) {
      if (entries && level > 0) break;
      const uint64_t count = size >> (8 * level);
      const uint64_t covered = (previous >> (8 * level)) / kTileWidth;
      if (count == 0) break;
      const std::string base = entries
                                   ? std::string("tlog/tile/entries/")
                                   : "tlog/tile/" + std::to_string(level) + "/";
      for (uint64_t n = 0; n < count / kTileWidth; ++n) {
        const std::string rel = base + TileIndex(n);
        if (n < covered && out.Exists(rel)) {
          ++report->unchanged;
          continue;
        }
        RETURN_IF_ERROR(tile(rel, entries));
      }
      if (const uint64_t width = count % kTileWidth; width > 0) {
        RETURN_IF_ERROR(tile(base + TileIndex(count / kTileWidth) + ".p/" +
                                 std::to_string(width),
                             entries));
      }
    }
  }
  return Status::Ok();
}

// index.html as `piaojue serve` sends it for "/" (the cycles view in its
// data block), marked static for the portal (portal/src/api.js) and with
// the server's Content-Security-Policy as a <meta> element, since a static
// host sends no such header unless configured to (docs/DEPLOY.md).
Result<std::string> StaticIndex(Service& service,
                                const std::string& dynamic_url) {
  HttpResponse home = Get(service, "/");
  if (home.status != 200) return NotServed("/", home);
  std::string csp;
  for (const auto& [name, value] : home.headers) {
    if (name == "Content-Security-Policy") csp = value;
  }
  // frame-ancestors is ignored in a <meta> policy (and warned about).
  if (size_t at = csp.find("; frame-ancestors"); at != std::string::npos) {
    csp.erase(at, csp.find(';', at + 1) == std::string::npos
                      ? std::string::npos
                      : csp.find(';', at + 1) - at);
  }
  json marker{{"static", true}};
  if (!dynamic_url.empty()) marker["dynamicUrl"] = dynamic_url;
  const std::string head =
      "\n<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp +
      "\">\n<script type=\"application/json\" id=\"piaojue-static\">" +
      ScriptSafeJson(marker.dump()) + "</script>";
  std::string html = home.body;
  // After the charset declaration, which must come first; the policy is
  // ASCII without double quotes.
  constexpr std::string_view kCharset = "<meta charset=\"utf-8\">";
  const size_t at = html.find(kCharset);
  if (at == std::string::npos) {
    return Internal("index.html has no <meta charset=\"utf-8\">");
  }
  html.insert(at + kCharset.size(), head);
  return html;
}

// The highest entry index a record's audit trail (GET /v1/audit/<record>,
// docs/VIEWS.md "audit": the chain proof bundles follow) names, as a row or
// as a correction of a row; nullopt when the text names none.
std::optional<uint64_t> TrailEnd(const std::string& trail_text) {
  const json trail = json::parse(trail_text, nullptr, false);
  if (!trail.is_object() || !trail["entries"].is_array()) return std::nullopt;
  std::optional<uint64_t> end;
  auto see = [&end](const json& v) {
    if (v.is_number_unsigned()) {
      end = std::max(end.value_or(0), v.get<uint64_t>());
    }
  };
  for (const json& row : trail["entries"]) {
    if (!row.is_object()) continue;
    see(row["entry"]);
    if (row["corrections"].is_array()) {
      for (const json& c : row["corrections"]) see(c);
    }
  }
  return end;
}

// The tree size of the checkpoint a published proof bundle proves against,
// read from the start of the file (format, record and checkpoint come
// before everything else, docs/FORMAT.md "Proof bundle"; the entries are
// never read). nullopt unless the file is a piaojue-proof/2 bundle of
// `record` against a checkpoint of this log no larger than `now`, whose root
// is this log's root at its size, with its .gz sibling.
std::optional<uint64_t> PublishedBundleSize(const fs::path& file,
                                            uint64_t record, Service& service,
                                            const note::Checkpoint& now) {
  std::error_code ec;
  if (!fs::is_regular_file(file.string() + ".gz", ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  // The header is a few hundred bytes, a cosigned checkpoint a few more.
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const size_t at = head.find(",\n \"consistency\"");
  if (at == std::string::npos) return std::nullopt;
  const json j = json::parse(head.substr(0, at) + "}", nullptr, false);
  if (!j.is_object() || j.value("format", "") != "piaojue-proof/2" ||
      j.value("record", UINT64_MAX) != record || !j["checkpoint"].is_string()) {
    return std::nullopt;
  }
  auto parsed = note::ParseNote(j["checkpoint"].get<std::string>());
  if (!parsed.ok()) return std::nullopt;
  auto cp = note::ParseCheckpoint(parsed->text);
  if (!cp.ok() || cp->origin != now.origin || cp->size > now.size) {
    return std::nullopt;
  }
  auto root = service.ledger().RootAt(cp->size);
  if (!root.ok() || *root != cp->root) return std::nullopt;
  return cp->size;
}

// True when another process holds the store's lock (a running `piaojue
// serve`): RocksDB locks LOCK with a POSIX record lock, which F_GETLK
// reports without taking it. Trying to open the store for writing would
// fail the same way, but with a warning from RocksDB on stderr.
bool HeldByAnotherProcess(const std::string& ledger_path) {
  const int fd = ::open((ledger_path + "/LOCK").c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace

Result<PublishReport> Publish(const PublishOptions& o) {
  PublishReport report;
  if (!o.dynamic_url.empty() && !o.dynamic_url.starts_with("https://") &&
      !o.dynamic_url.starts_with("http://")) {
    return InvalidArgument("--dynamic-url must be an http:// or https:// URL");
  }
  const cli::DataDir dir(o.data_dir);
  // With no server holding the ledger, bring its checkpoint up to the head
  // first (a server running beside us signs its own).
  if (!HeldByAnotherProcess(dir.ledger_path())) {
    auto session = cli::Session::Open(dir);
    if (session.ok()) {
      ledger::Ledger& ledger = (*session)->ledger();
      uint64_t signed_size = 0;
      if (auto latest = ledger.LatestCheckpoint(); latest.ok()) {
        auto parsed = note::ParseNote(*latest);
        auto cp = parsed.ok() ? note::ParseCheckpoint(parsed->text)
                              : Result<note::Checkpoint>(parsed.status());
        if (cp.ok()) signed_size = cp->size;
      }
      if (signed_size < ledger.size()) {
        auto fresh = ledger.SignCheckpoint();
        // Without the log key (kept elsewhere) the stored one is published.
        if (!fresh.ok() && fresh.status().code() != StatusCode::kNotFound &&
            fresh.status().code() != StatusCode::kFailedPrecondition) {
          return fresh.status();
        }
      }
    } else if (session.status().code() != StatusCode::kUnavailable) {
      return session.status();
    }
  }

  ServiceOptions so;
  so.data_dir = o.data_dir;
  so.read_only = true;
  ASSIGN_OR_RETURN(std::unique_ptr<Service> service, Service::Open(so));
  ASSIGN_OR_RETURN(std::string note_text, service->Checkpoint());
  ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(note_text));
  ASSIGN_OR_RETURN(note::Checkpoint cp, note::ParseCheckpoint(parsed.text));
  if (cp.size > service->ledger().size()) {
    return Corruption("the stored checkpoint covers " +
                      std::to_string(cp.size) + " entries, the store holds " +
                      std::to_string(service->ledger().size()));
  }
  report.tree_size = cp.size;

  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) return IOError("creating " + o.out_dir + ": " + ec.message());
  OutputTree out(o.out_dir, &report);
  ASSIGN_OR_RETURN(report.previous_tree_size, PreviousSize(out, *service, cp));
  const uint64_t previous = report.previous_tree_size;

  // 1. The tlog: tiles and entry bundles of the checkpoint's tree.
  RETURN_IF_ERROR(PublishTiles(out, *service, cp.size, previous, &report));

  // 2. Each entry as /v1/entries/<i> (immutable, like the tiles).
  for (uint64_t i = 0; i < cp.size; ++i) {
    const std::string rel = "v1/entries/" + std::to_string(i) + ".json";
    if (i < previous && out.Exists(rel)) {
      ++report.unchanged;
      continue;
    }
    HttpResponse r = Get(*service, "/v1/entries/" + std::to_string(i));
    if (r.status != 200) return NotServed("/" + rel, r);
    RETURN_IF_ERROR(out.PutCompressible(rel, r.body));
  }

  // 3. The views and records the portal reads (docs/PORTAL.md, "Pages":
  // the reads marked *file*), each at its server path + ".json".
  auto put_view = [&](const std::string& path) -> Result<std::string> {
    ASSIGN_OR_RETURN(std::optional<std::string> body,
                     WholeView(*service, path));
    if (!body) return std::string();
    RETURN_IF_ERROR(out.PutView(path.substr(1) + ".json", *body));
    return *body;
  };
  {
    HttpResponse log = Get(*service, "/v1/log");
    if (log.status != 200) return NotServed("/v1/log", log);
    RETURN_IF_ERROR(out.PutCompressible("v1/log.json", log.body));
  }
  RETURN_IF_ERROR(put_view("/v1/corrections").status());
  ASSIGN_OR_RETURN(std::string cycles_text, put_view("/v1/cycles"));
  const json cycles = json::parse(cycles_text, nullptr, false);
  std::set<uint64_t> bundles;  // records whose proof bundle is published
  if (cycles.is_object() && cycles["cycles"].is_array()) {
    for (const json& c : cycles["cycles"]) {
      const std::string base =
          "/v1/cycles/" + std::to_string(c.value("ref", 0));
      RETURN_IF_ERROR(put_view(base + "/summary").status());
      RETURN_IF_ERROR(put_view(base + "/candidates").status());
      RETURN_IF_ERROR(put_view(base + "/projects").status());
      ASSIGN_OR_RETURN(std::string funnel_text, put_view(base + "/funnel"));
      const json funnel = json::parse(funnel_text, nullptr, false);
      if (funnel.is_object() && funnel["proposals"].is_array()) {
        for (const json& p : funnel["proposals"]) {
          const uint64_t ref = p.value("ref", uint64_t{0});
          RETURN_IF_ERROR(
              put_view("/v1/proposals/" + std::to_string(ref) + "/story")
                  .status());
        }
      }
      if (!c.contains("votes") || !c["votes"].is_array()) continue;
      for (const json& v : c["votes"]) {
        const uint64_t vote = v.get<uint64_t>();
        bundles.insert(vote);
        ASSIGN_OR_RETURN(std::string tally_text,
                         put_view("/v1/tally/" + std::to_string(vote)));
        // The recount proves the round and every box from their bundles.
        const json tally = json::parse(tally_text, nullptr, false);
        if (!tally.is_object() || !tally["rounds"].is_array()) continue;
        for (const json& round : tally["rounds"]) {
          bundles.insert(round.value("ref", uint64_t{0}));
          if (!round["boxes"].is_array()) continue;
          for (const json& box : round["boxes"]) {
            bundles.insert(box.value("ref", uint64_t{0}));
          }
        }
      }
    }
  }
  // Every record's trail (a record is an entry with one) and its proof.
  std::map<uint64_t, uint64_t> trail_end;  // record -> last entry of its trail
  for (uint64_t i = 0; i < cp.size; ++i) {
    ASSIGN_OR_RETURN(std::string trail,
                     put_view("/v1/audit/" + std::to_string(i)));
    if (trail.empty()) continue;
    bundles.insert(i);
    if (std::optional<uint64_t> end = TrailEnd(trail)) trail_end[i] = *end;
  }
  // Every record's trail and the registry, from one pass over the log: a
  // bundle built from them reads only its own entries, where `piaojue
  // prove` (and GET /v1/proof/bundle/R) passes over the whole log for each
  // (docs/PERFORMANCE.md, "Publishing a province: proof bundles").
  verifier::TrailIndex trails;
  ledger::Authority registry;
  const ledger::Ledger& ledger = service->ledger();
  RETURN_IF_ERROR(ledger.ForEachEntry(
      0, cp.size, [&](uint64_t index, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView view,
                         ledger::EntryView::Parse(bytes));
        if (index == 0 || ledger::IsRegistryEvent(view.event().which())) {
          registry.Apply(index, view.authored());
        }
        trails.Add(index, view.event());
        return Status::Ok();
      }));
  for (uint64_t record : bundles) {
    // A bundle proves its record's trail against the checkpoint it names:
    // it stays true when the log grows, so one already published is kept
    // while its trail has no entry at or beyond that checkpoint's size
    // (the trail it holds is then the whole trail now). Only the bundles
    // of records the new entries touched are written again, not every
    // bundle at every checkpoint (docs/DEPLOY.md, "What a publish
    // writes"). The portal completes an older bundle's proofs to the
    // published checkpoint from the tiles (portal/src/verify/tiles.js).
    const std::string path = "/v1/proof/bundle/" + std::to_string(record);
    const std::string rel = path.substr(1) + ".json";
    auto end = trail_end.find(record);
    if (end != trail_end.end()) {
      const std::optional<uint64_t> kept =
          PublishedBundleSize(out.root() / rel, record, *service, cp);
      if (kept && record < *kept && end->second < *kept) {
        ++report.unchanged;
        continue;
      }
    }
    // What GET /v1/proof/bundle/R answers, built from the index.
    auto note = service->ProofCheckpoint(record + 1, 0);
    if (!note.ok() && note.status().code() == StatusCode::kNotFound) continue;
    if (!note.ok()) return note.status();
    ASSIGN_OR_RETURN(note::ParsedNote parsed, note::ParseNote(*note));
    ASSIGN_OR_RETURN(note::Checkpoint bundle_cp,
                     note::ParseCheckpoint(parsed.text));
    verifier::ProofSource src;
    src.size = bundle_cp.size;
    src.checkpoint = *note;
    src.read_entry = [&](uint64_t index) { return ledger.ReadEntry(index); };
    src.inclusion = [&](uint64_t index) {
      return ledger.InclusionProof(index, bundle_cp.size);
    };
    std::ostringstream bundle;
    Status written = verifier::WriteProofBundleOfTrail(
        record, trails.TrailOf(record), registry, src, bundle);
    if (written.code() == StatusCode::kNotFound) continue;  // not covered yet
    RETURN_IF_ERROR(written);
    bundle << '\n';  // as the API ends every JSON answer
    RETURN_IF_ERROR(out.PutCompressible(rel, bundle.str()));
  }

  // 4. Consistency proofs to this tree from every tree size published
  // before, so that a returning visitor's browser can check that the log
  // only grew since its last visit (the static form of ?since=M).
  std::set<uint64_t> earlier;
  if (previous > 0 && previous < cp.size) earlier.insert(previous);
  for (const auto& e :
       fs::directory_iterator(out.root() / "v1/proof/consistency", ec)) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(".json")) continue;
    std::optional<uint64_t> m =
        ParseDecimal(std::string_view(name).substr(0, name.size() - 5));
    if (m && *m > 0 && *m < cp.size) earlier.insert(*m);
  }
  for (uint64_t m : earlier) {
    const std::string path = "/v1/proof/consistency";
    HttpResponse r =
        Get(*service, path,
            {{"old", std::to_string(m)}, {"new", std::to_string(cp.size)}});
    if (r.status != 200) return NotServed(path, r);
    RETURN_IF_ERROR(out.PutCompressible(
        "v1/proof/consistency/" + std::to_string(m) + ".json", r.body));
  }

  // 5. The portal, in static mode.
  for (const PortalAsset& a : PortalAssets()) {
    if (a.path == "/index.html") continue;
    const std::string rel(a.path.substr(1));
    if (a.gzip.empty()) {
      RETURN_IF_ERROR(out.Put(rel, a.data));
    } else {
      RETURN_IF_ERROR(out.Put(rel, a.data, a.gzip));
    }
  }
  ASSIGN_OR_RETURN(std::string index, StaticIndex(*service, o.dynamic_url));
  RETURN_IF_ERROR(out.PutCompressible("index.html", index));
  {
    HttpResponse r = Get(*service, "/portal-config.json");
    if (r.status != 200) return NotServed("/portal-config.json", r);
    json config = json::parse(r.body, nullptr, false);
    if (!config.is_object()) return NotServed("/portal-config.json", r);
    config["static"] = true;
    if (!o.dynamic_url.empty()) config["dynamicUrl"] = o.dynamic_url;
    RETURN_IF_ERROR(out.Put("portal-config.json", config.dump() + "\n"));
  }

  // 6. Last, once everything it implies is on disk: the checkpoint.
  RETURN_IF_ERROR(out.SyncAll());
  if (ReadFile(out.root() / "tlog/checkpoint") == note_text) {
    ++report.unchanged;
  } else {
    RETURN_IF_ERROR(out.Replace("tlog/checkpoint", note_text, /*sync=*/true));
  }
  return report;
}

}  // namespace piaojue::server
