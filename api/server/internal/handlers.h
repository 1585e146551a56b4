// Routing and the handlers of every endpoint in docs/API.md. Each handler is
// a plain function of the Service and the request; none throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/server/internal/http_message.h"
#include "api/server/internal/service.h"
#include "projections/views.h"

namespace piaojue::server {

// Which pool a request runs on: reads never queue behind writes, and the
// event stream is served by the transport itself.
enum class RouteKind { kRead, kWrite, kEventStream };
RouteKind Classify(const HttpRequest& request);

// Whether answering `request` rebuilds a past state (Service::NeedsReplay
// of its as_of, from or to): such requests run on the replay pool.
bool NeedsReplay(Service& service, const HttpRequest& request);

// Dispatches to the handler for the request's method and path: 404 for an
// unknown path, 405 for a known path with another method.
HttpResponse Handle(Service& service, const HttpRequest& request);
// The same answer, shared rather than copied when it is a cached one (a
// view of the state now published): what the transport sends.
std::shared_ptr<const HttpResponse> HandleShared(Service& service,
                                                 const HttpRequest& request);
// The answer to a read that costs no computation and cannot block — the
// checkpoint, a view already in the view cache (within its freshness bound),
// an inclusion proof whose nodes are all in memory — so the transport can send
// it from its I/O thread without handing the request to the read pool; nullptr
// for every other request. The same bytes and headers as HandleShared would
// give.
std::shared_ptr<const HttpResponse> FastRead(Service& service,
                                             const HttpRequest& request);

// Views smaller than this are sent as they are even when gzip is accepted.
inline constexpr size_t kMinGzipBytes = 1024;

// Limits of the JSON endpoints.
inline constexpr uint64_t kDefaultPageLimit = 100;
inline constexpr uint64_t kMaxPageLimit = 1000;
inline constexpr uint64_t kTileWidth = 256;

// The `limit` query parameter of a paged list: kDefaultPageLimit when absent,
// at most kMaxPageLimit. InvalidArgument for 0 (a page of nothing would name
// its own offset as `next`, and a client following it would never end) or a
// malformed number.
Result<uint64_t> PageLimit(const HttpRequest& request);

// Content coding (handlers_portal.cc). True when an Accept-Encoding header
// lists gzip and does not refuse it with q=0.
bool AcceptsGzip(std::string_view accept_encoding);
// gzip (RFC 1952) of `data`; empty if zlib fails (the caller then sends the
// bytes as they are).
std::string Gzip(std::string_view data);

// Transparency log (handlers_tlog.cc).
HttpResponse HandleCheckpoint(Service& service, const HttpRequest& request);
// `segments` are the path segments after "tile". A full tile or entry bundle
// is immutable (cached for a year); a partial one is cached for a minute
// (tlog-tiles lets a log stop serving it once the full tile exists). Both
// are gzip-compressed when the request accepts gzip and compression makes
// them smaller (entry bundles: yes; hash tiles, random SHA-256 output: no);
// a full tile's bytes, plain and compressed, are built once per process and
// cached (docs/API.md, "Transparency log").
HttpResponse HandleTile(Service& service, const HttpRequest& request,
                        const std::vector<std::string_view>& segments);
HttpResponse HandleEntry(Service& service, std::string_view index);
HttpResponse HandleEntryList(Service& service, const HttpRequest& request);
HttpResponse HandleInclusionProof(Service& service, const HttpRequest& request);
// The same answer when every node it needs is in memory (nothing read from
// the store: no blocking), else nullptr.
std::shared_ptr<const HttpResponse> FastInclusionProof(
    Service& service, const HttpRequest& request);
// An inclusion proof's JSON: {"index","leafHash","proof","rootHash","size"}
// compact, keys in that (sorted) order, hashes in padded base64 — the bytes
// the JSON library's compact dump gives, written without building a document.
std::string InclusionProofJson(uint64_t index, uint64_t size,
                               const crypto::Hash& leaf,
                               const crypto::Hash& root,
                               const std::vector<crypto::Hash>& proof);
HttpResponse HandleConsistencyProof(Service& service,
                                    const HttpRequest& request);
HttpResponse HandleLogInfo(Service& service);

// A tile path's index and width, from the segments after "tile/<L>" or
// "tile/entries": "x001/x234/067" or ".../067.p/<W>". Width 256 for a full
// tile. InvalidArgument for anything not in tlog-tiles' canonical form.
struct TileAddress {
  uint64_t index = 0;
  uint64_t width = kTileWidth;
};
Result<TileAddress> ParseTileAddress(
    const std::vector<std::string_view>& segments);

// Views (handlers_views.cc). `name` is a projections view; query fields
// given by the path override the query string.
struct PathRefs {
  std::optional<uint64_t> cycle, record, round;
};
HttpResponse HandleView(Service& service, const HttpRequest& request,
                        std::string_view name, const PathRefs& refs);
HttpResponse HandleDiff(Service& service, const HttpRequest& request);

// Shared by the view handlers.
std::string DumpJson(const nlohmann::json& j);
std::string QueryValue(const HttpRequest& request, const std::string& name);
// The query parameter `name` as an as_of moment ('+' restored).
std::string MomentParam(const HttpRequest& request, const std::string& name);
Result<nlohmann::json> ViewAt(const Moment& m, std::string_view name,
                              projections::ViewQuery q);
Result<nlohmann::json> ViewAt(Service& service, std::string_view name,
                              projections::ViewQuery q, std::string_view as_of);

// The portal's composite reads (handlers_portal_api.cc, docs/API.md
// "Portal reads"): search, a proposal's story, the corrections, a cycle's
// summary.
HttpResponse HandleSearch(Service& service, const HttpRequest& request);
HttpResponse HandleProposalStory(Service& service, const HttpRequest& request,
                                 uint64_t ref);
HttpResponse HandleCorrections(Service& service, const HttpRequest& request);
// GET /v1/proof/bundle/<record>[?since=M]: what `piaojue prove` writes,
// against the latest checkpoint (docs/FORMAT.md, "Proof bundle"); with
// since, also the consistency proof from tree size M (as
// --since-checkpoint).
HttpResponse HandleProofBundle(Service& service, const HttpRequest& request,
                               uint64_t record);
HttpResponse HandleCycleSummary(Service& service, const HttpRequest& request,
                                uint64_t cycle);

// The public portal's embedded files (handlers_portal.cc): GET/HEAD of any
// path outside /v1/ and /tlog/.
// /portal-config.json is DIR/portal.json (the deployment's name and pinned
// verifier key). "/" gets index.html with the cycles view in a JSON data
// block (`<script type="application/json" id="piaojue-data">`).
HttpResponse HandlePortal(Service& service, const HttpRequest& request);
// JSON text made safe inside an HTML <script> element: '<', '>' and '&'
// written as \u escapes (the same JSON value).
std::string ScriptSafeJson(std::string_view json);

// Writes (handlers_write.cc). The transport uses the asynchronous forms:
// `respond` is called exactly once with the answer — on the calling thread
// for a request refused before the ledger's queue, else on the ledger's
// writer thread once the append's group is durable and published (or has
// failed). It must be quick and must not throw. The synchronous forms wait
// for that answer (Handle, tests).
using Respond = std::function<void(HttpResponse)>;
void HandleAppendAsync(Service& service, const HttpRequest& request,
                       Respond respond);
void HandleProposalAsync(Service& service, const HttpRequest& request,
                         Respond respond);
HttpResponse HandleAppend(Service& service, const HttpRequest& request);
HttpResponse HandleProposal(Service& service, const HttpRequest& request);
// A request the router classifies kWrite (every POST), answered through
// `respond` as above: the two writes asynchronously, anything else (an
// unknown path, a method not allowed) at once.
void HandleWriteAsync(Service& service, const HttpRequest& request,
                      Respond respond);

// Server-Sent Events (formatting here, streaming in server.cc).
// The first entry index to send: Last-Event-ID + 1, else ?from=N, else the
// published size (only new entries). InvalidArgument for a malformed value.
Result<uint64_t> EventStreamStart(const Service& service,
                                  const HttpRequest& request);
// HEAD /v1/events: the stream's head (200, text/event-stream, no body) once
// its parameters check as for GET; 400 otherwise.
HttpResponse HandleEventStreamHead(const Service& service,
                                   const HttpRequest& request);
// "id: <index>\nevent: entry\ndata: <one-line JSON>\n\n".
std::string FormatEntryEvent(uint64_t index, std::string_view entry_bytes);

}  // namespace piaojue::server
