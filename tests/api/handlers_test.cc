// The server's parts that need no socket: request-target parsing, tile
// paths, the Status -> HTTP table, the rate limiter, and handlers called
// directly on a Service.
#include "api/server/internal/handlers.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/cli/commands.h"
#include "api/server/internal/rate_limiter.h"
#include "tests/test_util.h"

namespace piaojue::server {
namespace {

using nlohmann::json;

TEST(ParseTargetTest, DecodesPathAndQuery) {
  HttpRequest r;
  ASSERT_OK(ParseTarget(
      "/v1/cycles/4/funnel?as_of=2025-07-01T09%3A00%3A00%2B08%3A00&limit=5&x",
      &r));
  EXPECT_EQ(r.path, "/v1/cycles/4/funnel");
  EXPECT_EQ(r.query["as_of"], "2025-07-01T09:00:00+08:00");
  EXPECT_EQ(r.query["limit"], "5");
  EXPECT_EQ(r.query["x"], "");
}

TEST(ParseTargetTest, RefusesHostileTargets) {
  HttpRequest r;
  for (const char* bad : {"", "v1/log", "http://host/v1/log", "/v1/%zz",
                          "/v1/%4", "/v1/a%2Fb", "/v1/a%00b", "/v1?x=%"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseTarget(bad, &r).code(), StatusCode::kInvalidArgument);
  }
}

TEST(ParseDecimalTest, AcceptsOnlyCanonicalUint64) {
  EXPECT_EQ(ParseDecimal("0"), 0u);
  EXPECT_EQ(ParseDecimal("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "01", "1.0", " 1",
                          "18446744073709551616", "999999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseDecimal(bad).has_value());
  }
}

Result<TileAddress> Tile(std::string_view path) {
  std::vector<std::string_view> parts = PathSegments(path);
  return ParseTileAddress(parts);
}

TEST(TileAddressTest, ParsesTheTlogTilesEncoding) {
  auto a = Tile("x001/x234/067");
  ASSERT_OK(a);
  EXPECT_EQ(a->index, 1234067u);
  EXPECT_EQ(a->width, 256u);
  auto p = Tile("067.p/5");
  ASSERT_OK(p);
  EXPECT_EQ(p->index, 67u);
  EXPECT_EQ(p->width, 5u);
  auto big = Tile("x018/x446/x744/x073/x709/x551/615");
  ASSERT_OK(big);
  EXPECT_EQ(big->index, UINT64_MAX);
}

TEST(TileAddressTest, RefusesNonCanonicalPaths) {
  for (const char* bad :
       {"67", "0067", "x067", "001/067", "x000/067", "067.p/0", "067.p/256",
        "067.p/05", "067.p/", "067.p", "x018/x446/x744/x073/x709/x551/616",
        "x001/x001/x001/x001/x001/x001/x001/001", "abc"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(Tile(bad).ok());
  }
}

TEST(StatusResponseTest, MapsEveryCodeToItsHttpStatusAndStableName) {
  const std::vector<std::tuple<StatusCode, int, std::string>> table = {
      {StatusCode::kInvalidArgument, 400, "invalid_argument"},
      {StatusCode::kCorruption, 400, "malformed"},
      {StatusCode::kUnauthenticated, 401, "bad_signature"},
      {StatusCode::kPermissionDenied, 403, "forbidden"},
      {StatusCode::kNotFound, 404, "not_found"},
      {StatusCode::kOutOfRange, 404, "out_of_range"},
      {StatusCode::kAlreadyExists, 409, "duplicate"},
      {StatusCode::kFailedPrecondition, 409, "rule_refused"},
      {StatusCode::kUnavailable, 503, "unavailable"},
      {StatusCode::kIOError, 500, "storage_error"},
  };
  for (const auto& [code, http, name] : table) {
    HttpResponse r = StatusResponse(Status(code, "why \xff"));
    EXPECT_EQ(r.status, http) << name;
    json body = json::parse(r.body);
    EXPECT_EQ(body["error"]["code"], name);
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
  }
}

TEST(RateLimiterTest, AllowsABurstThenRefillsAtTheRate) {
  RateLimiter limiter(/*burst=*/2, /*per_minute=*/60);
  int64_t retry = 0;
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 0, &retry));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 0, &retry));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 0, &retry));
  EXPECT_EQ(retry, 1000);
  EXPECT_TRUE(limiter.Allow("10.0.0.2", 0, &retry));  // its own bucket
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 999, &retry));
  EXPECT_TRUE(limiter.Allow("10.0.0.1", 1000, &retry));
  EXPECT_FALSE(limiter.Allow("10.0.0.1", 1000, &retry));
}

class ServiceHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(crypto::InitCrypto());
    std::ostringstream out;
    ASSERT_OK(cli::Init(
        {tmp_.Sub("data"), "piaojue.test/h", "", tmp_.Sub("root.key")}, out));
    ServiceOptions o;
    o.data_dir = tmp_.Sub("data");
    auto s = Service::Open(o);
    ASSERT_OK(s);
    service_ = std::move(s).value();
  }

  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest r;
    r.method = method;
    r.content_type = "application/json";
    r.body = body;
    EXPECT_OK(ParseTarget(target, &r));
    return Handle(*service_, r);
  }

  testing::TempDir tmp_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceHandlersTest, WritesAreRefusedWith503WhileShuttingDown) {
  service_->BeginShutdown();
  HttpResponse w =
      Call("POST", "/v1/entries", R"({"authored":"AAAA","signature":"AAAA"})");
  EXPECT_EQ(w.status, 503);
  EXPECT_EQ(json::parse(w.body)["error"]["code"], "shutting_down");
  // Reads still work.
  HttpResponse r = Call("GET", "/v1/log");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["size"], 1);
}

TEST_F(ServiceHandlersTest, EventStreamStartsAfterLastEventIdOrAtTheHead) {
  HttpRequest r;
  ASSERT_OK(ParseTarget("/v1/events", &r));
  EXPECT_EQ(*EventStreamStart(*service_, r), 1u);  // the head: new ones only
  r.last_event_id = "41";
  EXPECT_EQ(*EventStreamStart(*service_, r), 42u);
  r.last_event_id = "-1";
  EXPECT_FALSE(EventStreamStart(*service_, r).ok());
  r.last_event_id.clear();
  ASSERT_OK(ParseTarget("/v1/events?from=0", &r));
  EXPECT_EQ(*EventStreamStart(*service_, r), 0u);
}

}  // namespace
}  // namespace piaojue::server
