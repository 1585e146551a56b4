// The HTTP request handler (api/server/internal/handlers.h): a request read
// from hostile bytes by Beast's parser, with the limits `piaojue serve`
// uses, turned into an HttpRequest as the transport does (server.cc,
// HttpSession::OnRead), then routed and handled against a real Service on a
// small demo ledger (the demo's collection stage) in a temporary directory.
// Every request gets a response with a real HTTP status; none throws.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <sstream>

#include "api/demo/demo.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/http_message.h"
#include "api/server/internal/service.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace piaojue;
namespace http = boost::beast::http;

// The ledger and its Service, for the whole run. Removed at exit.
class Fixture {
 public:
  Fixture() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "piaojue-fuzz-http-XXXXXX")
            .string();
    root_ = mkdtemp(tmpl.data());
    demo::Options demo_options;
    demo_options.data = root_ + "/data";
    demo_options.until = "collection";
    demo_options.sync = false;
    std::ostringstream out;
    Status s = demo::Run(demo_options, out);
    FUZZ_CHECK(s.ok(), "demo ledger: " + s.ToString());
    server::ServiceOptions options;
    options.data_dir = demo_options.data;
    auto service = server::Service::Open(options);
    FUZZ_CHECK(service.ok(), "service: " + service.status().ToString());
    service_ = std::move(*service);
  }
  ~Fixture() {
    service_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  server::Service& service() { return *service_; }

 private:
  std::string root_;
  std::unique_ptr<server::Service> service_;
};

Fixture* fixture = nullptr;

std::string_view Std(boost::beast::string_view v) {
  return {v.data(), v.size()};
}

// As server.cc: the media type without parameters, lower case.
std::string LowerMediaType(std::string_view v) {
  std::string out(v.substr(0, v.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    out.pop_back();
  }
  for (char& c : out) c = static_cast<char>(std::tolower(c));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::InitOnce();
  static Fixture f;
  fixture = &f;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The limits of ServerOptions' defaults.
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(256 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (!parser.is_done() && used < size) {
    size_t n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;  // answered 400 malformed_http or 413 by the transport
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done()) {
    // The connection closed: as Beast's read does, nothing read is the end
    // of the stream, anything else is told the message ended here.
    if (!parser.got_some()) return 0;
    ec = {};
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  http::request<http::string_body> req = parser.release();

  server::HttpRequest request;
  request.method = std::string(req.method_string());
  request.content_type = LowerMediaType(Std(req[http::field::content_type]));
  request.last_event_id = std::string(Std(req["Last-Event-ID"]));
  request.accept_encoding = std::string(Std(req[http::field::accept_encoding]));
  request.client_address = "192.0.2.1";
  request.body = std::move(req.body());
  Status target = server::ParseTarget(Std(req.target()), &request);
  server::HttpResponse response;
  if (!target.ok()) {
    FUZZ_CHECK(target.code() == StatusCode::kInvalidArgument,
               "a bad target is invalid: " + target.ToString());
    response = server::StatusResponse(target);
  } else if (server::Classify(request) == server::RouteKind::kEventStream) {
    // The stream itself is the transport's; its start and its events are
    // handled here.
    auto start = server::EventStreamStart(fixture->service(), request);
    if (start.ok()) {
      const uint64_t end = fixture->service().published_size();
      for (uint64_t i = *start; i < end && i < *start + 4; ++i) {
        auto entry = fixture->service().ledger().ReadEntry(i);
        FUZZ_CHECK(entry.ok(), "a published entry reads");
        (void)server::FormatEntryEvent(i, *entry);
      }
    }
    response = server::HandleEventStreamHead(fixture->service(), request);
  } else {
    response = server::Handle(fixture->service(), request);
  }
  FUZZ_CHECK(
      response.status >= 200 && response.status < 600,
      "a response has a real status: " + std::to_string(response.status));
  FUZZ_CHECK(response.status < 500 || response.status == 503,
             "no request is an internal error: " +
                 std::to_string(response.status) + " " + response.body);
  return 0;
}
