#include "api/server/internal/http_message.h"

#include <nlohmann/json.hpp>

namespace piaojue::server {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; '+' means a space only in a query.
Result<std::string> Decode(std::string_view in, bool query) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return InvalidArgument("truncated percent-encoding in the target");
      }
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return InvalidArgument("bad percent-encoding in the target");
      }
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return InvalidArgument("NUL byte in the target");
      if (c == '/' && !query) {
        return InvalidArgument("an encoded '/' in the path is not allowed");
      }
      i += 2;
    } else if (c == '+' && query) {
      c = ' ';
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

HttpResponse ErrorResponse(int http_status, std::string_view code,
                           std::string_view message) {
  HttpResponse r;
  r.status = http_status;
  nlohmann::json body{
      {"error",
       {{"code", std::string(code)}, {"message", std::string(message)}}}};
  // Messages may quote hostile input; replace invalid UTF-8 instead of
  // throwing.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.body.push_back('\n');
  return r;
}

HttpResponse StatusResponse(const Status& status) {
  struct Row {
    int http;
    std::string_view code;
  };
  Row row{500, "internal"};
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      row = {400, "invalid_argument"};
      break;
    case StatusCode::kCorruption:
      row = {400, "malformed"};
      break;
    case StatusCode::kUnauthenticated:
      row = {401, "bad_signature"};
      break;
    case StatusCode::kPermissionDenied:
      row = {403, "forbidden"};
      break;
    case StatusCode::kNotFound:
      row = {404, "not_found"};
      break;
    case StatusCode::kOutOfRange:
      row = {404, "out_of_range"};
      break;
    case StatusCode::kAlreadyExists:
      row = {409, "duplicate"};
      break;
    case StatusCode::kFailedPrecondition:
      row = {409, "rule_refused"};
      break;
    case StatusCode::kUnavailable:
      row = {503, "unavailable"};
      break;
    case StatusCode::kIOError:
      row = {500, "storage_error"};
      break;
    case StatusCode::kInternal:
      row = {500, "internal"};
      break;
    case StatusCode::kOk:
      break;
  }
  return ErrorResponse(row.http, row.code, status.message());
}

HttpResponse JsonResponse(std::string json, int http_status) {
  HttpResponse r;
  r.status = http_status;
  r.body = std::move(json);
  r.body.push_back('\n');
  return r;
}

Status ParseTarget(std::string_view target, HttpRequest* request) {
  if (target.empty() || target[0] != '/') {
    return InvalidArgument("the request target must start with '/'");
  }
  const size_t q = target.find('?');
  ASSIGN_OR_RETURN(request->path, Decode(target.substr(0, q), false));
  request->query.clear();
  if (q == std::string_view::npos) return Status::Ok();
  std::string_view rest = target.substr(q + 1);
  // A fragment never reaches a server, but tolerate one.
  rest = rest.substr(0, rest.find('#'));
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view()
                                         : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    ASSIGN_OR_RETURN(std::string name, Decode(pair.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      ASSIGN_OR_RETURN(value, Decode(pair.substr(eq + 1), true));
    }
    request->query[std::move(name)] = std::move(value);
  }
  return Status::Ok();
}

std::vector<std::string_view> PathSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = path.find('/', i);
    const size_t end = j == std::string_view::npos ? path.size() : j;
    out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

std::optional<uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

Result<std::optional<uint64_t>> QueryNumber(const HttpRequest& request,
                                            const std::string& name) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return std::optional<uint64_t>();
  std::optional<uint64_t> v = ParseDecimal(it->second);
  if (!v) {
    return InvalidArgument("query parameter " + name +
                           " must be a non-negative decimal integer, not \"" +
                           it->second + "\"");
  }
  return v;
}

std::string Base64(crypto::Bytes bytes) { return crypto::Base64Encode(bytes); }

}  // namespace piaojue::server
