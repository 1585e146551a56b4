// The portal's server side (docs/API.md "Portal reads", docs/PORTAL.md):
// the embedded files with their headers, and the composite reads (search, a
// proposal's story, corrections, a cycle's summary, proof bundles) on the
// demo ledger, called on a Service without a socket.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "api/cli/commands.h"
#include "api/demo/demo.h"
#include "api/server/internal/handlers.h"
#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "tests/sanitizers.h"
#include "tests/test_util.h"
#include "verifier/explain.h"
#include "verifier/proof_bundle.h"

namespace piaojue::server {
namespace {

using nlohmann::json;

class PortalApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_OK(crypto::InitCrypto());
    tmp_ = new testing::TempDir();
    std::ostringstream out;
    ASSERT_OK(demo::Run({tmp_->Sub("demo"), "", /*sync=*/false}, out));
    ServiceOptions o;
    o.data_dir = tmp_->Sub("demo");
    auto s = Service::Open(o);
    ASSERT_OK(s);
    service_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete service_;
    delete tmp_;
  }

  static HttpResponse Get(const std::string& target,
                          const std::string& accept_encoding = "") {
    HttpRequest r;
    r.method = "GET";
    r.accept_encoding = accept_encoding;
    EXPECT_OK(ParseTarget(target, &r));
    return Handle(*service_, r);
  }
  static json GetJson(const std::string& target, int status = 200) {
    HttpResponse r = Get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    return json::parse(r.body);
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  static json County() {
    const json cycles = GetJson("/v1/cycles");
    for (const json& c : cycles["cycles"]) {
      if (c["jurisdiction"]["level"] == "county") return c;
    }
    return nullptr;
  }

  static testing::TempDir* tmp_;
  static Service* service_;
};

testing::TempDir* PortalApiTest::tmp_ = nullptr;
Service* PortalApiTest::service_ = nullptr;

// The funnel renders only the page asked for (docs/PERFORMANCE.md, "Reads
// while 16 writers post"); through the API every page must still be exactly
// that window of the whole list, with the same totals, at the edges too,
// now and as of a past size; a malformed page is still refused; and a
// cycle's summary (which renders no proposal) shows the same totals.
TEST_F(PortalApiTest, AFunnelPageIsThatWindowOfTheWholeFunnel) {
  const std::string ref = std::to_string(County()["ref"].get<uint64_t>());
  const std::string size =
      std::to_string(GetJson("/v1/log")["size"].get<uint64_t>());
  for (const std::string& funnel :
       {"/v1/cycles/" + ref + "/funnel?", "/v1/views/funnel?cycle=" + ref + "&",
        "/v1/cycles/" + ref + "/funnel?as_of=" + size + "&"}) {
    const json whole = GetJson(funnel + "limit=1000");
    const json& all = whole["proposals"];
    const uint64_t n = all.size();
    ASSERT_GT(n, 20u) << funnel;
    ASSERT_EQ(whole["page"]["total"], n);
    const std::vector<std::pair<uint64_t, uint64_t>> pages = {
        {0, 1}, {0, 100}, {5, 7}, {n - 3, 10}, {n, 5}, {n + 5, 3}, {1, n}};
    for (const auto& [offset, limit] : pages) {
      const json page = GetJson(funnel + "offset=" + std::to_string(offset) +
                                "&limit=" + std::to_string(limit));
      json expected = json::array();
      for (uint64_t i = offset; i < std::min(n, offset + limit); ++i) {
        expected.push_back(all[i]);
      }
      EXPECT_EQ(page["proposals"], expected) << offset << "+" << limit;
      EXPECT_EQ(page["totals"], whole["totals"]);
      const uint64_t begin = std::min(offset, n);
      const uint64_t end = begin + std::min(limit, n - begin);
      EXPECT_EQ(page["page"],
                (json{{"list", "proposals"},
                      {"offset", begin},
                      {"limit", limit},
                      {"total", n},
                      {"next", end < n ? json(end) : json(nullptr)}}));
    }
    // Without offset or limit: the first page of the default size.
    const json first = GetJson(funnel.substr(0, funnel.size() - 1));
    ASSERT_EQ(first["proposals"].size(), std::min<uint64_t>(n, 100));
    EXPECT_EQ(first["proposals"][0], all[0]);
    EXPECT_EQ(GetJson(funnel + "offset=x", 400)["error"]["code"],
              "invalid_argument");
    EXPECT_EQ(GetJson(funnel + "limit=0", 400)["error"]["code"],
              "invalid_argument");
  }
  const json summary = GetJson("/v1/cycles/" + ref + "/summary");
  EXPECT_EQ(summary["funnel"],
            GetJson("/v1/cycles/" + ref + "/funnel")["totals"]);
}

TEST_F(PortalApiTest, ServesThePortalAtEveryPagePathWithItsHeaders) {
  HttpResponse home = Get("/");
  ASSERT_EQ(home.status, 200);
  EXPECT_EQ(home.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(home.cache_control, "no-cache");
  // The page may load nothing from elsewhere, and run no inline script but
  // its own: the CSP names the inline shell script by its hash.
  const std::string csp = Header(home, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("http"), std::string::npos);
  const std::string script_src = csp.substr(
      csp.find("script-src "),
      csp.find(';', csp.find("script-src ")) - csp.find("script-src "));
  EXPECT_EQ(script_src.find("unsafe"), std::string::npos) << script_src;
  const std::string open = "<script type=\"module\">";
  const size_t at = home.body.find(open);
  ASSERT_NE(at, std::string::npos);
  const size_t end = home.body.find("</script>", at);
  const std::string script =
      home.body.substr(at + open.size(), end - at - open.size());
  EXPECT_GT(script.size(), 1000u);
  const std::string hash =
      crypto::Base64Encode(crypto::Sha256(crypto::AsBytes(script)));
  EXPECT_EQ(script_src, "script-src 'self' 'sha256-" + hash + "'");

  // Client-side routes get the same page, without the first page's data.
  HttpResponse deep = Get("/cycles/34/proposals?as_of=2025-01-01");
  EXPECT_EQ(deep.status, 200);
  EXPECT_NE(deep.body.find(open + script + "</script>"), std::string::npos);
  EXPECT_EQ(deep.body.find("id=\"piaojue-data\""), std::string::npos);
  EXPECT_EQ(Header(deep, "Content-Security-Policy"), csp);

  // The API keeps its JSON 404s, for this and later versions.
  for (const char* api : {"/v1/nothing", "/v2/nothing", "/tlog/nothing"}) {
    SCOPED_TRACE(api);
    HttpResponse r = Get(api);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "application/json");
  }
  EXPECT_EQ(Get("/assets/missing-XXXX.js").status, 404);
}

// The data block of the first page: {"<the URL the portal would read>":
// <that view>}.
json DataBlock(const std::string& html) {
  const std::string open =
      "<script type=\"application/json\" id=\"piaojue-data\">";
  const size_t at = html.find(open);
  if (at == std::string::npos) return nullptr;
  const size_t end = html.find("</script>", at);
  return json::parse(html.substr(at + open.size(), end - at - open.size()));
}

TEST_F(PortalApiTest, TheFirstPageCarriesTheCyclesViewSoItNeedsOneRoundTrip) {
  HttpResponse home = Get("/");
  ASSERT_EQ(home.status, 200);
  // Everything the first page needs is in it: no stylesheet, script or
  // data to fetch before it can show the cycles.
  EXPECT_EQ(home.body.find("<link rel=\"stylesheet\""), std::string::npos);
  EXPECT_EQ(home.body.find("<script type=\"module\" src="), std::string::npos);
  EXPECT_NE(home.body.find("<style>"), std::string::npos);
  const json data = DataBlock(home.body);
  ASSERT_TRUE(data.is_object()) << home.body.substr(0, 2000);
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data["/v1/cycles"], GetJson("/v1/cycles"));
  // The page's moment is the data's moment (the key is the URL the portal
  // reads, as encodeURIComponent writes it).
  const json past = DataBlock(Get("/?as_of=2024-12-15").body);
  EXPECT_EQ(past["/v1/cycles?as_of=2024-12-15"],
            GetJson("/v1/cycles?as_of=2024-12-15"));
  // A moment the view refuses: no data, the page reads it and shows why.
  EXPECT_TRUE(DataBlock(Get("/?as_of=yesterday").body).is_null());
  // Compressed for clients that accept gzip.
  HttpResponse gz = Get("/", "gzip");
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(gz.body[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(gz.body[1]), 0x8b);
  EXPECT_LT(gz.body.size(), home.body.size() / 2);
}

TEST_F(PortalApiTest, DataBlockTextCannotEndTheScriptElement) {
  const std::string hostile =
      R"({"title":"</script><script>alert(1)</script><!-- & </SCRIPT>"})";
  const std::string safe = ScriptSafeJson(hostile);
  EXPECT_EQ(safe.find('<'), std::string::npos) << safe;
  EXPECT_EQ(safe.find('>'), std::string::npos) << safe;
  EXPECT_EQ(safe.find('&'), std::string::npos) << safe;
  EXPECT_EQ(json::parse(safe), json::parse(hostile));
}

TEST_F(PortalApiTest, AssetsAreImmutableTypedAndGzippedOnRequest) {
  HttpResponse home = Get("/");
  // The page chunks the inline shell script loads.
  const size_t at = home.body.find("\"/assets/") + 1;
  ASSERT_NE(at, std::string::npos + 1);
  const std::string js = home.body.substr(at, home.body.find('"', at) - at);
  ASSERT_TRUE(js.ends_with(".js")) << js;
  HttpResponse plain = Get(js);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(plain.cache_control, "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(plain, "Content-Encoding"), "");
  HttpResponse gz = Get(js, "br, gzip, deflate");
  EXPECT_EQ(Header(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), plain.body.size());
  ASSERT_GE(gz.body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(gz.body[0]), 0x1f);  // gzip magic
  EXPECT_EQ(static_cast<uint8_t>(gz.body[1]), 0x8b);
  EXPECT_EQ(Header(Get(js, "gzip;q=0"), "Content-Encoding"), "");
}

TEST_F(PortalApiTest, PortalConfigIsTheDeploymentsFileOrEmpty) {
  EXPECT_EQ(GetJson("/portal-config.json"), json::object());
  {
    std::ofstream f(tmp_->Sub("demo") + "/portal.json");
    f << R"({"name": "清河县人大常委会", "verifierKey": "k+00000000+AQ==",
             "other": 1})";
  }
  json cfg = GetJson("/portal-config.json");
  EXPECT_EQ(cfg["name"], "清河县人大常委会");
  EXPECT_EQ(cfg["verifierKey"], "k+00000000+AQ==");
  EXPECT_FALSE(cfg.contains("other"));
  std::remove((tmp_->Sub("demo") + "/portal.json").c_str());
}

TEST_F(PortalApiTest, PortalConfigCarriesTheDeploymentsWitnessesAndQuorum) {
  {
    std::ofstream f(tmp_->Sub("demo") + "/portal.json");
    f << R"({"witnesses": ["a.example+00000000+BA==",
                           {"vkey": "b.example+00000000+BA==",
                            "label": "某县审计局", "x": 1},
                           {"label": "no key"}, 7],
             "witnessQuorum": 2})";
  }
  json cfg = GetJson("/portal-config.json");
  // Keys are passed on as written (the browser refuses a bad one as a
  // failed verification); entries of another shape are dropped.
  EXPECT_EQ(cfg["witnesses"], json::parse(R"(["a.example+00000000+BA==",
                            {"vkey": "b.example+00000000+BA==",
                             "label": "某县审计局"}])"));
  EXPECT_EQ(cfg["witnessQuorum"], 2);
  std::remove((tmp_->Sub("demo") + "/portal.json").c_str());
  EXPECT_FALSE(GetJson("/portal-config.json").contains("witnesses"));
}

TEST_F(PortalApiTest, SearchFindsByReceiptNumberRecordNumberAndTitleWords) {
  json county = County();
  json funnel =
      GetJson("/v1/cycles/" + to_string(county["ref"]) + "/funnel?limit=1000");
  const json& p = funnel["proposals"][3];
  const std::string receipt = p["receiptRef"];
  ASSERT_FALSE(receipt.empty());

  json by_receipt = GetJson("/v1/search?q=" + receipt);
  ASSERT_FALSE(by_receipt["results"].empty());
  EXPECT_EQ(by_receipt["results"][0]["ref"], p["ref"]);
  EXPECT_EQ(by_receipt["results"][0]["status"], p["fate"]["status"]);

  json by_ref = GetJson("/v1/search?q=" + to_string(p["ref"]));
  EXPECT_EQ(by_ref["results"][0]["ref"], p["ref"]);

  // Two words of the title, percent-encoded, in any order: every result
  // contains both.
  json words = GetJson("/v1/search?q=%E5%B9%BC%E5%84%BF%E5%9B%AD%20%E5%BB%BA");
  ASSERT_FALSE(words["results"].empty());
  // Words of one proposal's title, in another order, find it.
  const std::string title = p["title"];
  bool found = false;
  const json by_title = GetJson("/v1/search?q=" + title);
  for (const json& r : by_title["results"]) {
    if (r["ref"] == p["ref"]) found = true;
  }
  EXPECT_TRUE(found) << title;
  EXPECT_EQ(words["total"].get<size_t>() >= words["results"].size(), true);

  EXPECT_EQ(
      GetJson(
          "/v1/"
          "search?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84%E5%BB%BA%E8%AE%AEzzz")
          ["results"]
              .size(),
      0u);
  EXPECT_EQ(Get("/v1/search").status, 400);
  EXPECT_EQ(Get("/v1/search?q=" + std::string(201, 'a')).status, 400);
}

// Search matches the texts where the state keeps them and renders only the
// rows it returns; its answers must be what a search over every cycle's
// whole funnel gives (the rules of docs/API.md "GET /v1/search", applied
// here to the funnels' rows): the same rows in the same order, the same
// total, with and without a cycle, past 50 results too.
TEST_F(PortalApiTest, SearchAnswersWhatTheWholeFunnelsShow) {
  struct Row {
    json cycle;
    json proposal;
  };
  std::vector<Row> rows;
  const json cycles = GetJson("/v1/cycles?limit=1000");
  for (const json& c : cycles["cycles"]) {
    const json funnel =
        GetJson("/v1/cycles/" + to_string(c["ref"]) + "/funnel?limit=1000");
    for (const json& p : funnel["proposals"]) rows.push_back({c, p});
  }
  ASSERT_GT(rows.size(), 50u);
  auto has = [](const json& p, const char* key, const std::string& w) {
    return p[key].get<std::string>().find(w) != std::string::npos;
  };
  auto expected = [&](const std::string& q, std::optional<uint64_t> cycle) {
    std::vector<std::string> words;
    std::istringstream in(q);
    for (std::string w; in >> w;) words.push_back(w);
    const std::string trimmed = words.size() == 1 ? words[0] : q;
    json exact = json::array(), by_words = json::array();
    size_t total = 0;
    for (const Row& r : rows) {
      if (cycle && r.cycle["ref"].get<uint64_t>() != *cycle) continue;
      const json& p = r.proposal;
      const bool is_exact = to_string(p["ref"]) == trimmed ||
                            (!p["receiptRef"].get<std::string>().empty() &&
                             p["receiptRef"] == trimmed);
      bool all_words = !words.empty();
      for (const std::string& w : words) {
        all_words =
            all_words && (has(p, "title", w) || has(p, "description", w) ||
                          has(p, "location", w));
      }
      if (!is_exact && !all_words) continue;
      ++total;
      if (exact.size() + by_words.size() >= 50) continue;
      (is_exact ? exact : by_words)
          .push_back(json{{"ref", p["ref"]},
                          {"cycle", r.cycle["ref"]},
                          {"cycleTitle", r.cycle["title"]},
                          {"backfill", r.cycle["backfill"]},
                          {"title", p["title"]},
                          {"receiptRef", p["receiptRef"]},
                          {"channel", p["channel"]},
                          {"merged", p["merged"]},
                          {"status", p["fate"]["status"]}});
    }
    for (json& r : by_words) exact.push_back(std::move(r));
    return std::make_pair(total, exact);
  };
  const json& some = rows[rows.size() / 2].proposal;
  // A record number that other proposals' texts also hold: exact and word
  // matches in one answer, the exact one first.
  std::string both;
  for (const Row& r : rows) {
    const std::string n = to_string(r.proposal["ref"]);
    for (const Row& o : rows) {
      if (&o != &r &&
          (has(o.proposal, "title", n) || has(o.proposal, "description", n) ||
           has(o.proposal, "location", n))) {
        both = n;
      }
    }
    if (!both.empty()) break;
  }
  ASSERT_FALSE(both.empty());
  const uint64_t county = County()["ref"].get<uint64_t>();
  const std::vector<std::string> queries = {
      some["receiptRef"].get<std::string>(),
      to_string(some["ref"]),
      "QH",  // many receipt numbers hold it
      to_string(rows[3].proposal["ref"]) + " QH",  // a number among words
      "2024",
      both,
      "建",       // in most titles: more than 50 results
      "改造 路",  // two words
  };
  size_t over_50 = 0;
  for (const std::string& q : queries) {
    for (std::optional<uint64_t> cycle :
         {std::optional<uint64_t>(), std::optional<uint64_t>(county)}) {
      std::string target = "/v1/search?q=";
      for (unsigned char ch : q) {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        target += std::isalnum(ch) || ch == '-' ? std::string(1, ch) : hex;
      }
      if (cycle) target += "&cycle=" + std::to_string(*cycle);
      const json got = GetJson(target);
      const auto [total, results] = expected(q, cycle);
      EXPECT_EQ(got["total"], total) << target;
      EXPECT_EQ(got["results"], results) << target;
      over_50 += total > 50;
    }
  }
  EXPECT_GT(over_50, 0u) << "no query found more than 50 proposals";
}

TEST_F(PortalApiTest, StoryFollowsAMergedProposalToTheProjectItBecame) {
  json county = County();
  json funnel =
      GetJson("/v1/cycles/" + to_string(county["ref"]) + "/funnel?limit=1000");
  // A submitted proposal merged into a record that was elected.
  json merged_source = nullptr;
  for (const json& p : funnel["proposals"]) {
    if (p["fate"]["status"] != "merged") continue;
    for (const json& q : funnel["proposals"]) {
      if (q["ref"] == p["fate"]["into"] && q["fate"]["status"] == "elected") {
        merged_source = p;
      }
    }
  }
  ASSERT_FALSE(merged_source.is_null());
  json s =
      GetJson("/v1/proposals/" + to_string(merged_source["ref"]) + "/story");
  EXPECT_EQ(s["proposal"]["ref"], merged_source["ref"]);
  ASSERT_EQ(s["mergedInto"].size(), 1u);
  EXPECT_EQ(s["record"], merged_source["fate"]["into"]);
  EXPECT_EQ(s["mergedInto"][0]["fate"]["status"], "elected");
  ASSERT_TRUE(s["candidate"].is_object());
  EXPECT_EQ(s["candidate"]["proposal"], s["record"]);
  ASSERT_TRUE(s["project"].is_object());
  EXPECT_EQ(s["project"]["ref"], s["record"]);
  EXPECT_FALSE(s["project"]["progress"].empty());
  EXPECT_EQ(s["trail"][0]["entry"], merged_source["ref"]);
  EXPECT_EQ(s["cycle"]["ref"], county["ref"]);

  // As of before the merge, the same proposal was not merged yet.
  json early = GetJson(
      "/v1/proposals/" + to_string(merged_source["ref"]) + "/story?as_of=" +
      std::to_string(s["trail"][0]["entry"].get<uint64_t>() + 1));
  EXPECT_NE(early["proposal"]["fate"]["status"], "merged");
  EXPECT_TRUE(early["project"].is_null());

  EXPECT_EQ(Get("/v1/proposals/0/story").status, 404);
  EXPECT_EQ(Get("/v1/proposals/abc/story").status, 404);
}

// The story renders a proposal's row and its cycle's row alone, found by
// their places in the lists (projections::PlaceOfProposal): for every
// proposal of every cycle (merged ones too), they must be the very rows the
// whole funnel and the whole cycle list show. (The demo retracts no
// proposal:
// RetractionHistoryTest.ARetractedProposalIsPlacedWhereTheFunnelShowsIt places
// retracted ones.)
TEST_F(PortalApiTest, EveryStoryShowsTheProposalsFunnelRowAndItsCyclesRow) {
  const json cycles = GetJson("/v1/cycles?limit=1000");
  ASSERT_GE(cycles["cycles"].size(), 2u);
  size_t stories = 0, merged = 0;
  for (const json& c : cycles["cycles"]) {
    const json funnel =
        GetJson("/v1/cycles/" + to_string(c["ref"]) + "/funnel?limit=1000");
    for (const json& p : funnel["proposals"]) {
      const json s = GetJson("/v1/proposals/" + to_string(p["ref"]) + "/story");
      EXPECT_EQ(s["proposal"], p) << "proposal " << p["ref"];
      EXPECT_EQ(s["cycle"], c) << "proposal " << p["ref"];
      ++stories;
      merged += p["merged"].get<bool>();
    }
  }
  EXPECT_GT(stories, 20u);
  EXPECT_GT(merged, 0u);
}

TEST_F(PortalApiTest, CorrectionsListReasonTargetAndTheValueBeforeAndAfter) {
  // A past moment first: the list is built incrementally, and a later
  // request must still see every correction after it.
  const json early = GetJson("/v1/corrections?as_of=1000");
  json c = GetJson("/v1/corrections");
  size_t below_1000 = 0;
  for (const json& row : c["corrections"]) {
    if (row["entry"].get<uint64_t>() < 1000) ++below_1000;
  }
  EXPECT_EQ(early["corrections"].size(), below_1000);
  ASSERT_FALSE(c["corrections"].empty());
  for (const json& row : c["corrections"]) {
    SCOPED_TRACE(row.dump());
    EXPECT_LT(row["target"], row["entry"]);
    EXPECT_FALSE(row["reason"].get<std::string>().empty());
    EXPECT_FALSE(row["author"]["holder"].get<std::string>().empty());
    ASSERT_TRUE(row["before"].is_object());
    EXPECT_TRUE(row["before"].contains(row["targetKind"].get<std::string>()));
    if (row["kind"] == "replacement") {
      EXPECT_NE(row["before"], row["after"]);
    }
  }
  // Who (holder and roles), what (the record the changed entry belongs to)
  // and each changed value before and after: the corrections view's rows
  // (issue 10), so the API and `piaojue show corrections` agree.
  json view = GetJson("/v1/views/corrections");
  ASSERT_EQ(view["corrections"].size(), c["corrections"].size());
  for (size_t i = 0; i < c["corrections"].size(); ++i) {
    const json& row = c["corrections"][i];
    SCOPED_TRACE(row.dump());
    EXPECT_EQ(row["entry"], view["corrections"][i]["entry"]);
    EXPECT_FALSE(row["by"]["roles"].empty());
    EXPECT_EQ(row["by"], view["corrections"][i]["by"]);
    EXPECT_EQ(row["by"]["holder"], row["author"]["holder"]);
    EXPECT_TRUE(row["record"].is_number());
    EXPECT_TRUE(row["recordKind"].is_string());
    EXPECT_EQ(row["changes"], view["corrections"][i]["changes"]);
    EXPECT_FALSE(row["recordedOn"].get<std::string>().empty());
    if (row["kind"] == "replacement") {
      EXPECT_FALSE(row["changes"].empty());
    }
  }
  // Before the first correction was recorded there were none.
  const uint64_t first = c["corrections"][0]["entry"];
  json before = GetJson("/v1/corrections?as_of=" + std::to_string(first));
  EXPECT_TRUE(before["corrections"].empty());
  EXPECT_EQ(before["size"], first);
}

TEST_F(PortalApiTest, CycleSummaryAgreesWithTheViews) {
  json county = County();
  const std::string ref = to_string(county["ref"]);
  json s = GetJson("/v1/cycles/" + ref + "/summary");
  json funnel = GetJson("/v1/cycles/" + ref + "/funnel?limit=1");
  EXPECT_EQ(s["funnel"], funnel["totals"]);
  EXPECT_EQ(s["cycle"]["ref"], county["ref"]);
  EXPECT_EQ(s["projects"]["count"], county["projectCount"]);
  ASSERT_EQ(s["votes"].size(), county["votes"].size());
  EXPECT_EQ(s["votes"][0]["purpose"], "projectSelection");
  EXPECT_EQ(s["votes"][0]["rounds"][0]["elected"].size(),
            county["counts"]["elected"]);
  EXPECT_EQ(Get("/v1/cycles/1/summary").status, 404);
  // Every cycle's summary shows its row of the whole cycle list (rendered
  // alone, at the place projections::CycleIndex gives).
  const json cycles = GetJson("/v1/cycles?limit=1000");
  ASSERT_GE(cycles["cycles"].size(), 2u);
  for (const json& c : cycles["cycles"]) {
    EXPECT_EQ(
        GetJson("/v1/cycles/" + to_string(c["ref"]) + "/summary")["cycle"], c);
  }
}

TEST_F(PortalApiTest, ProofBundleIsWhatPiaojueProveWritesAndVerifies) {
  json county = County();
  const uint64_t vote = county["selectionVote"];
  HttpResponse r = Get("/v1/proof/bundle/" + std::to_string(vote));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(Header(r, "Content-Disposition").find("attachment"),
            std::string::npos);
  json b = json::parse(r.body);
  EXPECT_EQ(b["format"], "piaojue-proof/2");
  EXPECT_EQ(b["record"], vote);
  const std::string path = tmp_->Sub("proof.json");
  std::ofstream(path) << r.body;
  const std::string vkey = GetJson("/v1/log")["verifierKey"];
  verifier::VerifyOptions options;
  options.path = path;
  options.vkey = vkey;
  verifier::VerifyReport report = verifier::VerifyProofBundle(options);
  EXPECT_EQ(report.exit_code, verifier::kExitValid)
      << verifier::ReportToText(report);
  EXPECT_TRUE(report.pinned);
  EXPECT_EQ(Get("/v1/proof/bundle/99999999").status, 404);
}

// The server builds a record's bundle from the audit view's entries and
// the ledger's registry, reading only those; `piaojue prove` streams every
// entry and replays the registry. For every record of the demo, both must
// write the same bytes, every bundle must verify, and no bundle may hold a
// key registration, revocation or jurisdiction its trail does not need: a
// township's proposal carries no other county's keys (docs/FORMAT.md,
// "Proof bundle").
TEST_F(PortalApiTest,
       EveryBundleIsPiaojueProvesAndHoldsOnlyTheRegistryItNeeds) {
  const ledger::Ledger& ledger = service_->ledger();
  const std::string vkey = GetJson("/v1/log")["verifierKey"];
  size_t registry_in_log = 0;
  verifier::TrailIndex trails;
  ledger::Authority registry;
  ASSERT_OK(ledger.ForEachEntry(
      0, ledger.size(), [&](uint64_t i, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView v, ledger::EntryView::Parse(bytes));
        const bool in_registry = ledger::IsRegistryEvent(v.event().which());
        registry_in_log += in_registry;
        if (i == 0 || in_registry) registry.Apply(i, v.authored());
        trails.Add(i, v.event());
        return Status::Ok();
      }));
  size_t bundles = 0, verified = 0, smaller = 0;
  // Each bundle is a pass over the log, twice a record here: every fifth
  // record under AddressSanitizer, where a pass costs many times as much.
  const uint64_t step = testing::kUnderAddressSanitizer ? 5 : 1;
  for (uint64_t record = 1; record < ledger.size(); record += step) {
    const HttpResponse r = Get("/v1/proof/bundle/" + std::to_string(record));
    if (r.status == 404) continue;
    ASSERT_EQ(r.status, 200) << record << ": " << r.body;
    ++bundles;
    const json b = json::parse(r.body);
    // The same bundle from every entry, against the same checkpoint.
    auto parsed = note::ParseNote(b["checkpoint"].get<std::string>());
    ASSERT_OK(parsed);
    auto cp = note::ParseCheckpoint(parsed->text);
    ASSERT_OK(cp);
    verifier::ProofSource src;
    src.size = cp->size;
    src.checkpoint = b["checkpoint"];
    src.for_each_entry = [&](const auto& fn) {
      return ledger.ForEachEntry(0, cp->size, fn);
    };
    src.read_entry = [&](uint64_t i) { return ledger.ReadEntry(i); };
    src.inclusion = [&](uint64_t i) {
      return ledger.InclusionProof(i, cp->size);
    };
    auto scanned = verifier::BuildProofBundle(record, src);
    ASSERT_OK(scanned);
    auto indices = [](const json& bundle) {
      std::vector<uint64_t> out;
      for (const json& e : bundle["entries"]) out.push_back(e["index"]);
      return out;
    };
    EXPECT_EQ(indices(b), indices(json::parse(*scanned)))
        << "record " << record;
    // (Every JSON answer of the API ends with one more newline.)
    EXPECT_EQ(r.body, *scanned + "\n") << "record " << record;
    // And from the one-pass index `piaojue publish` uses.
    verifier::TrailFollower follower(record);
    std::vector<uint64_t> followed;
    ASSERT_OK(ledger.ForEachEntry(
        0, cp->size, [&](uint64_t i, std::string_view bytes) -> Status {
          ASSIGN_OR_RETURN(ledger::EntryView v,
                           ledger::EntryView::Parse(bytes));
          if (follower.Take(i, v.event())) followed.push_back(i);
          return Status::Ok();
        }));
    EXPECT_EQ(trails.TrailOf(record), followed) << "record " << record;
    std::ostringstream from_index;
    ASSERT_OK(verifier::WriteProofBundleOfTrail(record, trails.TrailOf(record),
                                                registry, src, from_index));
    EXPECT_EQ(from_index.str(), *scanned) << "record " << record;
    // Which registry entries it holds: only those of its authors' keys and
    // of the jurisdictions they, or the trail, name (with their parents).
    auto hex = [](capnp::Data::Reader d) {
      return crypto::ToHex(crypto::Bytes(d.begin(), d.size()));
    };
    std::set<std::string> author_keys;
    std::vector<std::string> registered_keys;  // of keyRegistered/Revoked
    size_t registry_held = 0;
    for (const json& e : b["entries"]) {
      auto bytes = ledger.ReadEntry(e["index"].get<uint64_t>());
      ASSERT_OK(bytes);
      auto v = ledger::EntryView::Parse(*bytes);
      ASSERT_OK(v);
      const auto event = v->event();
      if (ledger::IsRegistryEvent(event.which())) {
        ++registry_held;
        // A key's own record names its key: its registrations belong.
        if (e["index"] == record && event.isKeyRegistered()) {
          author_keys.insert(hex(event.getKeyRegistered().getKey()));
        }
        if (e["index"] == record && event.isKeyRevoked()) {
          author_keys.insert(hex(event.getKeyRevoked().getKey()));
        }
        if (event.isKeyRegistered()) {
          registered_keys.push_back(hex(event.getKeyRegistered().getKey()));
        }
        if (event.isKeyRevoked()) {
          registered_keys.push_back(hex(event.getKeyRevoked().getKey()));
        }
        continue;
      }
      author_keys.insert(hex(v->authored().getAuthorKey()));
    }
    for (const std::string& key : registered_keys) {
      EXPECT_TRUE(author_keys.contains(key))
          << "record " << record << " holds the registry entries of key " << key
          << ", which signed none of its trail";
    }
    smaller += registry_held < registry_in_log;
    if (verified < 40 && bundles % (step == 1 ? 7 : 2) == 1) {
      ++verified;
      const std::string path = tmp_->Sub("every-bundle.json");
      std::ofstream(path) << r.body;
      verifier::VerifyOptions options;
      options.path = path;
      options.vkey = vkey;
      options.quiet = true;
      const verifier::VerifyReport report =
          verifier::VerifyProofBundle(options);
      EXPECT_EQ(report.exit_code, verifier::kExitValid)
          << "record " << record << ": " << verifier::ReportToText(report);
    }
  }
  EXPECT_GT(bundles, 200u / step);
  EXPECT_GE(verified, 30u);
  EXPECT_EQ(smaller, bundles) << "every bundle leaves some registry entry out";
}

TEST_F(PortalApiTest, ProofBundleSinceAnEarlierSizeHoldsItsConsistencyProof) {
  const uint64_t vote = County()["selectionVote"];
  const std::string path = "/v1/proof/bundle/" + std::to_string(vote);
  const json plain = GetJson(path);
  EXPECT_EQ(plain["consistency"], json::array());
  const json since = GetJson(path + "?since=500");
  ASSERT_EQ(since["consistency"].size(), 1u);
  EXPECT_EQ(since["consistency"][0]["oldSize"], 500);
  const json expected = GetJson("/v1/proof/consistency?old=500");
  EXPECT_EQ(since["consistency"][0]["proof"], expected["proof"]);
  EXPECT_EQ(since["entries"], plain["entries"]);
  // Nothing to prove from 0 or from the checkpoint's own size, nothing this
  // server can prove from a larger one: no proof (the portal says why).
  const uint64_t size = GetJson("/v1/log")["size"];
  for (uint64_t m : {uint64_t{0}, size, size + 10}) {
    EXPECT_EQ(GetJson(path + "?since=" + std::to_string(m))["consistency"],
              json::array())
        << m;
  }
  EXPECT_EQ(Get(path + "?since=abc").status, 400);
}

}  // namespace
}  // namespace piaojue::server
