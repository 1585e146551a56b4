// The server's own request and response types, and the one table that turns a
// piaojue::Status into an HTTP status and a stable error code.
//
// Handlers are plain functions from HttpRequest to HttpResponse: they know
// nothing of sockets or Boost, so they are testable without a network and the
// heavy Beast headers stay in server.cc. See docs/API.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/crypto.h"
#include "ledger/status.h"

namespace piaojue::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string path;    // percent-decoded path, without the query
  // Percent-decoded query parameters; a repeated name keeps the last value.
  std::map<std::string, std::string> query;
  std::string content_type;     // media type only, lower case, no parameters
  std::string last_event_id;    // the Last-Event-ID header, if any
  std::string accept_encoding;  // the Accept-Encoding header, if any
  std::string client_address;   // the peer's IP address, for rate limits
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string cache_control = "no-store";
  std::string body;
  // Extra headers (e.g. Retry-After, Location).
  std::vector<std::pair<std::string, std::string>> headers;
  // The head of a stream whose length is unknown (HEAD /v1/events): sent
  // without Content-Length, and the connection is closed after it, as the
  // stream's own connection would be.
  bool stream_head = false;
  // Empty, or this response's head exactly as the transport writes it in
  // answer to an HTTP/1.1 keep-alive GET (WireHead): an answer kept and
  // sent many times (a cached view) is serialized once, and the transport
  // writes these bytes and the body as they are. Set only on a response
  // whose other fields no longer change.
  std::string wire_head;
};

// The head (status line, fields, Content-Length, blank line) the transport
// writes before r's body in answer to an HTTP/1.1 keep-alive GET; empty for
// a stream's head. Defined by the transport (server.cc).
std::string WireHead(const HttpResponse& r);

// Stable error codes beyond those derived from a Status.
inline constexpr std::string_view kErrorTooLarge = "too_large";
inline constexpr std::string_view kErrorRateLimited = "rate_limited";
inline constexpr std::string_view kErrorShuttingDown = "shutting_down";
inline constexpr std::string_view kErrorMethodNotAllowed = "method_not_allowed";
inline constexpr std::string_view kErrorUnsupportedMediaType =
    "unsupported_media_type";
inline constexpr std::string_view kErrorMalformedHttp = "malformed_http";

// {"error": {"code": code, "message": message}} with the given HTTP status.
HttpResponse ErrorResponse(int http_status, std::string_view code,
                           std::string_view message);

// The one mapping from Status to HTTP (docs/API.md, "Errors"):
//   InvalidArgument 400 invalid_argument   Corruption 400 malformed
//   Unauthenticated 401 bad_signature      PermissionDenied 403 forbidden
//   NotFound 404 not_found                 OutOfRange 404 out_of_range
//   AlreadyExists 409 duplicate            FailedPrecondition 409 rule_refused
//   Unavailable 503 unavailable            IOError 500 storage_error
// Precondition: !status.ok().
HttpResponse StatusResponse(const Status& status);

// 200 with `json` as the body.
HttpResponse JsonResponse(std::string json, int http_status = 200);

// Splits "/a/b%20c?x=1&y=2" into a decoded path and query. InvalidArgument for
// a target that is not origin-form, bad percent-encoding, a NUL byte, or an
// encoded '/' in the path.
Status ParseTarget(std::string_view target, HttpRequest* request);

// Splits a path into its segments: "/v1/entries/5" -> {"v1","entries","5"}.
std::vector<std::string_view> PathSegments(std::string_view path);

// A decimal uint64 with no sign, no leading zeros (except "0") and at most 20
// digits that fits. nullopt otherwise.
std::optional<uint64_t> ParseDecimal(std::string_view text);

// The query parameter `name` as a uint64: nullopt when absent, InvalidArgument
// naming the parameter when present but not a decimal number.
Result<std::optional<uint64_t>> QueryNumber(const HttpRequest& request,
                                            const std::string& name);

std::string Base64(crypto::Bytes bytes);
template <size_t N>
std::string Base64(const std::array<uint8_t, N>& a) {
  return Base64(crypto::AsBytes(a));
}

}  // namespace piaojue::server
