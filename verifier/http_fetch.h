// A small HTTP/1.1 GET client for reading a live log's C2SP tlog-tiles
// (docs/VERIFY.md, "Live logs"). Plain http:// always; https:// when the
// verifier was built with OpenSSL (the server's certificate and host name are
// checked against the system's trust store).
//
// Not thread-safe: one HttpFetcher per thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace piaojue::verifier {

// One answer: the status code and the body (any status; the caller decides
// what a 404 means).
struct FetchReply {
  int status = 0;
  std::string body;
};

// Fetches `path` (relative to a log's prefix, e.g. "checkpoint" or
// "tile/0/000.p/5"), refusing bodies over `max_bytes`. Unavailable for
// network errors, a body over the limit, or a malformed response.
using Fetch = std::function<Result<FetchReply>(const std::string& path,
                                               size_t max_bytes)>;

// True for "http://…" and "https://…": what piaojue-verify reads as a live
// log rather than a file or a directory.
bool IsLogUrl(std::string_view path);

// Whether this build can fetch https:// URLs.
bool HttpsSupported();

class HttpFetcher {
 public:
  // `prefix` is "http://HOST[:PORT][/PATH]" or "https://…" (a trailing '/'
  // is optional). InvalidArgument for anything else; Unimplemented-style
  // InvalidArgument for https in a build without OpenSSL. Does not connect
  // yet.
  static Result<std::unique_ptr<HttpFetcher>> Create(std::string_view prefix);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // GET prefix + "/" + path on a kept-alive connection (reconnecting once if
  // the server closed it). Each request must complete within 60 seconds.
  Result<FetchReply> Get(const std::string& path, size_t max_bytes);

  // The fetcher as a Fetch function (the fetcher must outlive it).
  Fetch AsFetch();

  class Impl;

 private:
  explicit HttpFetcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace piaojue::verifier
