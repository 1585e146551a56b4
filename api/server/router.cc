// The route table of docs/API.md.
#include <functional>
#include <memory>
#include <string>

#include "api/server/internal/handlers.h"

namespace piaojue::server {

namespace {

using Segments = std::vector<std::string_view>;

bool Is(const Segments& s, std::initializer_list<std::string_view> want) {
  if (s.size() != want.size()) return false;
  size_t i = 0;
  for (std::string_view w : want) {
    if (w != "*" && s[i] != w) return false;
    ++i;
  }
  return true;
}

HttpResponse MethodNotAllowed(std::string_view allow) {
  HttpResponse r = ErrorResponse(405, kErrorMethodNotAllowed,
                                 "this path accepts " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

// A record reference in a path: NotFound-style 404 for a non-number keeps
// the URL space simple (there is no record named "abc").
std::optional<uint64_t> Ref(std::string_view s) { return ParseDecimal(s); }

HttpResponse BadRef(std::string_view s) {
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "…" + string.
  std::string message = "\"";
  message.append(s);
  message.append("\" is not a record reference (an entry index)");
  return ErrorResponse(404, "not_found", message);
}

// /tlog/… and /v<N>/… (this and future API versions) answer JSON errors;
// every other path belongs to the portal.
bool IsApiNamespace(const Segments& s) {
  if (s.empty()) return false;
  if (s[0] == "tlog") return true;
  return s[0].size() >= 2 && s[0][0] == 'v' &&
         s[0].find_first_not_of("0123456789", 1) == std::string_view::npos;
}

// A matched read: the handler to run. Empty when no GET route has the
// path's shape (so the path is unknown for every method).
using Route = std::function<HttpResponse()>;

// The GET/HEAD routes. Only matches the path's shape; the handler runs
// later (never for a method the path does not take).
Route FindGet(Service& service, const HttpRequest& request, const Segments& s) {
  Service* sv = &service;
  const HttpRequest* rq = &request;
  if (s.size() >= 1 && s[0] == "tlog") {
    if (Is(s, {"tlog", "checkpoint"})) {
      return [=] { return HandleCheckpoint(*sv, *rq); };
    }
    if (s.size() >= 3 && s[1] == "tile") {
      return [=] {
        return HandleTile(*sv, *rq, Segments(s.begin() + 2, s.end()));
      };
    }
  } else if (s.size() >= 1 && s[0] == "v1") {
    if (Is(s, {"v1", "log"})) return [=] { return HandleLogInfo(*sv); };
    if (Is(s, {"v1", "entries"})) {
      return [=] { return HandleEntryList(*sv, *rq); };
    }
    if (Is(s, {"v1", "entries", "*"})) {
      return [=] { return HandleEntry(*sv, s[2]); };
    }
    if (Is(s, {"v1", "events"})) {
      // GET streams (server.cc); this answers HEAD, and GET called without
      // the transport.
      return [=] { return HandleEventStreamHead(*sv, *rq); };
    }
    if (Is(s, {"v1", "proof", "inclusion"})) {
      return [=] { return HandleInclusionProof(*sv, *rq); };
    }
    if (Is(s, {"v1", "proof", "consistency"})) {
      return [=] { return HandleConsistencyProof(*sv, *rq); };
    }
    if (Is(s, {"v1", "diff"})) return [=] { return HandleDiff(*sv, *rq); };
    if (Is(s, {"v1", "proof", "bundle", "*"})) {
      return [=] {
        auto ref = Ref(s[3]);
        if (!ref) return BadRef(s[3]);
        return HandleProofBundle(*sv, *rq, *ref);
      };
    }
    if (Is(s, {"v1", "search"})) return [=] { return HandleSearch(*sv, *rq); };
    if (Is(s, {"v1", "corrections"})) {
      return [=] { return HandleCorrections(*sv, *rq); };
    }
    if (Is(s, {"v1", "proposals", "*", "story"})) {
      return [=] {
        auto ref = Ref(s[2]);
        if (!ref) return BadRef(s[2]);
        return HandleProposalStory(*sv, *rq, *ref);
      };
    }
    if (Is(s, {"v1", "views", "*"})) {
      return [=] { return HandleView(*sv, *rq, s[2], {}); };
    }
    if (Is(s, {"v1", "cycles"})) {
      return [=] { return HandleView(*sv, *rq, "cycles", {}); };
    }
    if (Is(s, {"v1", "cycles", "*", "*"}) &&
        (s[3] == "summary" || s[3] == "funnel" || s[3] == "candidates" ||
         s[3] == "projects")) {
      return [=] {
        auto ref = Ref(s[2]);
        if (!ref) return BadRef(s[2]);
        if (s[3] == "summary") return HandleCycleSummary(*sv, *rq, *ref);
        return HandleView(*sv, *rq, s[3], PathRefs{ref, {}, {}});
      };
    }
    for (std::string_view name : {"tally", "projects", "audit"}) {
      if (Is(s, {"v1", name, "*"})) {
        return [=] {
          auto ref = Ref(s[2]);
          if (!ref) return BadRef(s[2]);
          return HandleView(*sv, *rq, name, PathRefs{{}, ref, {}});
        };
      }
    }
  } else if (!IsApiNamespace(s)) {
    return [=] { return HandlePortal(*sv, *rq); };
  }
  return nullptr;
}

// A read of the state now published whose answer depends on nothing but
// that state and the URL: kept in the service's view cache. Not: a moment
// in the past (as_of, which the replay path answers), search (free text: a
// key space without bound), the log's own resources (tiles, entries,
// proofs: cheap and cached by clients) or the portal's pages.
bool IsCachedView(const Segments& s, const HttpRequest& request) {
  if (s.size() < 2 || s[0] != "v1") return false;
  if (request.query.count("as_of") != 0) return false;
  const std::string_view kind = s[1];
  return kind == "views" || kind == "cycles" || kind == "tally" ||
         kind == "projects" || kind == "audit" || kind == "corrections" ||
         (kind == "proposals" && s.size() == 4 && s[3] == "story");
}

// The cache key: the path and every query parameter (in name order, as the
// map keeps them), each length-prefixed so no two requests share a key.
std::string CacheKey(const HttpRequest& request) {
  // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "…" + string.
  std::string key;
  auto add = [&key](std::string_view part) {
    key.append(std::to_string(part.size()));
    key.push_back(':');
    key.append(part);
  };
  add(request.path);
  for (const auto& [name, value] : request.query) {
    key.push_back('&');
    add(name);
    key.push_back('=');
    add(value);
  }
  return key;
}

HttpResponse UnknownPath(const HttpRequest& request) {
  return ErrorResponse(
      404, "not_found",
      "no such resource: " + request.path + " (see /v1/log and docs/API.md)");
}

// The cache key of a request's answer in the coding it accepts.
std::string CodedKey(const HttpRequest& request) {
  std::string key = CacheKey(request);
  // '\0' cannot occur in a key made by CacheKey (lengths are decimal).
  if (AcceptsGzip(request.accept_encoding))
    key += std::string(1, '\0') + "gzip";
  return key;
}

// The plain answer of a cached view for the state published when it runs
// (pinned, so the answer is exactly that state's view).
ViewCache::Answer ComputePlain(Service& service, const HttpRequest& request) {
  ViewCache::Answer a;
  a.valid_at = service.view_cache().now();
  std::shared_ptr<const projections::State> state = service.Snapshot();
  a.size = state->size();
  Service::PinNow pin(std::move(state));
  const Segments s = PathSegments(request.path);
  Route route = FindGet(service, request, s);
  HttpResponse r = route ? route() : UnknownPath(request);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  // Kept and sent to many readers: its head is serialized once.
  r.wire_head = WireHead(r);
  a.response = std::make_shared<const HttpResponse>(std::move(r));
  return a;
}

// A view of the state now published, from the view cache (docs/API.md
// "Views": computed at most once per state, and within a freshness bound).
// When the request accepts gzip, the compressed answer, itself computed
// from the plain one (of the same state) and kept beside it; both name
// Accept-Encoding in Vary, since they differ by it.
std::shared_ptr<const HttpResponse> CachedView(Service& service,
                                               const HttpRequest& request) {
  ViewCache& cache = service.view_cache();
  // The computation may run after this request is gone (in the
  // background): it owns a copy.
  auto owned = std::make_shared<const HttpRequest>(request);
  ViewCache::Compute plain = [&service, owned] {
    return ComputePlain(service, *owned);
  };
  if (!AcceptsGzip(request.accept_encoding)) {
    return cache.Get(CacheKey(request), plain).response;
  }
  return cache
      .Get(CodedKey(request),
           [&service, owned, plain] {
             ViewCache::Answer a =
                 service.view_cache().Get(CacheKey(*owned), plain, false);
             const HttpResponse& p = *a.response;
             if (p.status != 200 || p.body.size() < kMinGzipBytes) return a;
             std::string gz = Gzip(p.body);
             if (gz.empty() || gz.size() >= p.body.size()) return a;
             HttpResponse r = p;
             r.body = std::move(gz);
             r.headers.emplace_back("Content-Encoding", "gzip");
             r.wire_head = WireHead(r);
             a.response = std::make_shared<const HttpResponse>(std::move(r));
             return a;
           })
      .response;
}

}  // namespace

RouteKind Classify(const HttpRequest& request) {
  if (request.method == "POST") return RouteKind::kWrite;
  if (request.method == "GET" && request.path == "/v1/events") {
    return RouteKind::kEventStream;
  }
  return RouteKind::kRead;
}

bool NeedsReplay(Service& service, const HttpRequest& request) {
  // Every past moment a read can name: as_of (views, portal reads, the
  // portal's first page), and a diff's from and to (elsewhere from and to
  // are entry indexes or tree sizes, e.g. of a consistency proof).
  if (service.NeedsReplay(MomentParam(request, "as_of"))) return true;
  return request.path == "/v1/diff" &&
         (service.NeedsReplay(MomentParam(request, "from")) ||
          service.NeedsReplay(MomentParam(request, "to")));
}

HttpResponse Handle(Service& service, const HttpRequest& request) {
  const Segments s = PathSegments(request.path);
  const bool is_get = request.method == "GET" || request.method == "HEAD";
  if (request.method == "OPTIONS") {
    // CORS preflight: everything is public, so any page may call the API
    // (e.g. a portal's proposal form posting JSON to /v1/proposals).
    HttpResponse r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST");
    r.headers.emplace_back("Access-Control-Allow-Headers",
                           "Content-Type, Last-Event-ID");
    r.headers.emplace_back("Access-Control-Max-Age", "86400");
    return r;
  }
  // The two write paths.
  if (Is(s, {"v1", "entries"}) && request.method == "POST") {
    return HandleAppend(service, request);
  }
  if (Is(s, {"v1", "proposals"})) {
    if (request.method == "POST") return HandleProposal(service, request);
    return MethodNotAllowed("POST");
  }
  // GET /v1/proposals/<ref>/story is a read (FindGet).
  Route route = FindGet(service, request, s);
  if (!route) return UnknownPath(request);
  if (is_get && IsCachedView(s, request)) {
    return *CachedView(service, request);
  }
  if (is_get) return route();
  // A known path with another method: 405 (404 is for unknown paths,
  // whatever the method).
  return MethodNotAllowed(Is(s, {"v1", "entries"}) ? "GET, HEAD, POST"
                                                   : "GET, HEAD");
}

void HandleWriteAsync(Service& service, const HttpRequest& request,
                      Respond respond) {
  const Segments s = PathSegments(request.path);
  if (request.method == "POST" && Is(s, {"v1", "entries"})) {
    return HandleAppendAsync(service, request, std::move(respond));
  }
  if (request.method == "POST" && Is(s, {"v1", "proposals"})) {
    return HandleProposalAsync(service, request, std::move(respond));
  }
  respond(Handle(service, request));
}

std::shared_ptr<const HttpResponse> HandleShared(Service& service,
                                                 const HttpRequest& request) {
  if (request.method == "GET" || request.method == "HEAD") {
    const Segments s = PathSegments(request.path);
    if (IsCachedView(s, request) && FindGet(service, request, s)) {
      return CachedView(service, request);
    }
  }
  return std::make_shared<const HttpResponse>(Handle(service, request));
}

std::shared_ptr<const HttpResponse> FastRead(Service& service,
                                             const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") return nullptr;
  if (request.path == "/tlog/checkpoint") {
    return std::make_shared<const HttpResponse>(
        HandleCheckpoint(service, request));
  }
  if (request.path == "/v1/proof/inclusion") {
    return FastInclusionProof(service, request);
  }
  const Segments s = PathSegments(request.path);
  if (!IsCachedView(s, request)) return nullptr;
  return service.view_cache().Peek(CodedKey(request)).response;
}

}  // namespace piaojue::server
