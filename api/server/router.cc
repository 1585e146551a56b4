// The route table of docs/API.md.
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

HttpResponse HandleGet(Service& service, const HttpRequest& request,
                       const Segments& s) {
  if (s.size() >= 1 && s[0] == "tlog") {
    if (Is(s, {"tlog", "checkpoint"})) {
      return HandleCheckpoint(service, request);
    }
    if (s.size() >= 3 && s[1] == "tile") {
      return HandleTile(service, Segments(s.begin() + 2, s.end()));
    }
  } else if (s.size() >= 1 && s[0] == "v1") {
    if (Is(s, {"v1", "log"})) return HandleLogInfo(service);
    if (Is(s, {"v1", "entries"})) return HandleEntryList(service, request);
    if (Is(s, {"v1", "entries", "*"})) return HandleEntry(service, s[2]);
    if (Is(s, {"v1", "proof", "inclusion"})) {
      return HandleInclusionProof(service, request);
    }
    if (Is(s, {"v1", "proof", "consistency"})) {
      return HandleConsistencyProof(service, request);
    }
    if (Is(s, {"v1", "diff"})) return HandleDiff(service, request);
    if (Is(s, {"v1", "proof", "bundle", "*"})) {
      auto ref = Ref(s[3]);
      if (!ref) return BadRef(s[3]);
      return HandleProofBundle(service, request, *ref);
    }
    if (Is(s, {"v1", "search"})) return HandleSearch(service, request);
    if (Is(s, {"v1", "corrections"})) {
      return HandleCorrections(service, request);
    }
    if (Is(s, {"v1", "proposals", "*", "story"})) {
      auto ref = Ref(s[2]);
      if (!ref) return BadRef(s[2]);
      return HandleProposalStory(service, request, *ref);
    }
    if (Is(s, {"v1", "views", "*"})) {
      return HandleView(service, request, s[2], {});
    }
    if (Is(s, {"v1", "cycles"})) {
      return HandleView(service, request, "cycles", {});
    }
    if (Is(s, {"v1", "cycles", "*", "*"})) {
      auto ref = Ref(s[2]);
      if (!ref) return BadRef(s[2]);
      if (s[3] == "summary") return HandleCycleSummary(service, request, *ref);
      if (s[3] == "funnel" || s[3] == "candidates" || s[3] == "projects") {
        return HandleView(service, request, s[3], PathRefs{ref, {}, {}});
      }
    }
    for (std::string_view name : {"tally", "projects", "audit"}) {
      if (Is(s, {"v1", name, "*"})) {
        auto ref = Ref(s[2]);
        if (!ref) return BadRef(s[2]);
        return HandleView(service, request, name, PathRefs{{}, ref, {}});
      }
    }
  } else if (!IsApiNamespace(s)) {
    return HandlePortal(service, request);
  }
  return ErrorResponse(
      404, "not_found",
      "no such resource: " + request.path + " (see /v1/log and docs/API.md)");
}

}  // namespace

RouteKind Classify(const HttpRequest& request) {
  if (request.method == "POST") return RouteKind::kWrite;
  if (request.method == "GET" && request.path == "/v1/events") {
    return RouteKind::kEventStream;
  }
  return RouteKind::kRead;
}

HttpResponse Handle(Service& service, const HttpRequest& request) {
  const Segments s = PathSegments(request.path);
  const bool post_path = Is(s, {"v1", "entries"}) || Is(s, {"v1", "proposals"});
  if (request.method == "POST") {
    if (Is(s, {"v1", "entries"})) return HandleAppend(service, request);
    if (Is(s, {"v1", "proposals"})) return HandleProposal(service, request);
    return MethodNotAllowed("GET, HEAD");
  }
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
  if (request.method == "GET" || request.method == "HEAD") {
    if (Is(s, {"v1", "proposals"})) return MethodNotAllowed("POST");
    // GET /v1/proposals/<ref>/story is a read (below).
    return HandleGet(service, request, s);
  }
  return MethodNotAllowed(post_path ? "GET, HEAD, POST" : "GET, HEAD");
}

}  // namespace piaojue::server
