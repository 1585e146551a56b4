// The values docs/API.md and docs/DEMO.md quote from the demo ledger are
// generated from it here, so they cannot go stale: the test builds the demo
// stage by stage, asks the API what the docs show, and compares each
// generated block of the docs with what it got.
//
// A generated block is the fenced block right after a line
//   <!-- generated: NAME; see tests/api/docs_examples_test.cc -->
// After a deliberate change to the demo (or to a response's shape), rewrite
// the blocks with
//   PIAOJUE_REGENERATE_DOCS=1 build/release/bin/docs_examples_test
// from the source tree, and review the diff.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api/demo/demo.h"
#include "api/server/internal/handlers.h"
#include "ledger/entry.h"
#include "projections/dates.h"
#include "tests/test_util.h"

namespace piaojue::server {
namespace {

using nlohmann::json;

constexpr char kMarker[] = "<!-- generated: ";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces (regenerate) or compares the body of every generated block of
// `path` named in `blocks`; fails for a block the docs lack or do not match,
// and for a generated block the test does not know.
void CheckDoc(const std::string& path,
              const std::map<std::string, std::string>& blocks) {
  const std::string text = ReadFile(path);
  ASSERT_FALSE(text.empty()) << path << " (run from the source tree)";
  const bool regenerate = std::getenv("PIAOJUE_REGENERATE_DOCS") != nullptr;
  std::string out;
  std::map<std::string, bool> seen;
  size_t at = 0;
  for (size_t m = text.find(kMarker); m != std::string::npos;
       m = text.find(kMarker, at)) {
    const size_t name_start = m + sizeof(kMarker) - 1;
    const size_t name_end = text.find(';', name_start);
    ASSERT_NE(name_end, std::string::npos) << path;
    const std::string name = text.substr(name_start, name_end - name_start);
    // The block starts on the line after the marker: a fenced block (its
    // body, between the fences) or a Markdown table (its lines).
    const size_t line = text.find('\n', name_end) + 1;
    ASSERT_NE(line, 0u) << path << ": block " << name;
    size_t body = line;
    size_t close = std::string::npos;
    if (text.compare(line, 3, "```") == 0) {
      body = text.find('\n', line) + 1;
      close = text.find("\n```", body - 1);
    } else if (text.compare(line, 1, "|") == 0) {
      close = line;
      while (close < text.size() && text[close] == '|') {
        close = text.find('\n', close);
        if (close == std::string::npos) break;
        ++close;
      }
      if (close != std::string::npos) --close;  // the last row's newline
    }
    ASSERT_NE(close, std::string::npos) << path << ": block " << name;
    const std::string current = text.substr(body, close + 1 - body);
    auto it = blocks.find(name);
    ASSERT_NE(it, blocks.end()) << path << ": unknown generated block " << name;
    seen[name] = true;
    out += text.substr(at, body - at);
    out += regenerate ? it->second : current;
    at = close + 1;
    if (!regenerate) {
      EXPECT_EQ(current, it->second)
          << path << ": generated block \"" << name
          << "\" is stale; rerun with PIAOJUE_REGENERATE_DOCS=1";
    }
  }
  out += text.substr(at);
  for (const auto& [name, value] : blocks) {
    EXPECT_TRUE(seen.count(name)) << path << " lacks generated block " << name;
  }
  if (regenerate && out != text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
  }
}

class DocsExamplesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_OK(crypto::InitCrypto());
    tmp_ = new testing::TempDir();
    const std::string dir = tmp_->Sub("demo");
    // Stage by stage, keeping where each ends.
    for (const char* stage :
         {"collection", "screening", "vote", "supervision", "evaluation"}) {
      std::ostringstream out;
      ASSERT_OK(demo::Run({dir, stage, /*sync=*/false}, out));
      ServiceOptions o;
      o.data_dir = dir;
      auto s = Service::Open(o);
      ASSERT_OK(s);
      stage_end_.push_back({stage, (*s)->ledger().size()});
    }
    ServiceOptions o;
    o.data_dir = dir;
    auto s = Service::Open(o);
    ASSERT_OK(s);
    service_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete service_;
    delete tmp_;
  }

  static std::string Get(const std::string& target) {
    HttpRequest r;
    r.method = "GET";
    EXPECT_OK(ParseTarget(target, &r));
    HttpResponse response = Handle(*service_, r);
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
    return response.body;
  }
  // "$ curl -s 'localhost:8080TARGET'" and the response, JSON one member a
  // line.
  static std::string Curl(const std::string& target) {
    std::string body = Get(target);
    json j = json::parse(body, nullptr, false);
    return "$ curl -s 'localhost:8080" + target + "'\n" +
           (j.is_discarded() ? body : j.dump(1) + "\n");
  }
  static int64_t RecordedAt(uint64_t index) {
    auto bytes = service_->ledger().ReadEntry(index);
    EXPECT_OK(bytes);
    auto view = ledger::EntryView::Parse(*bytes);
    EXPECT_OK(view);
    return view->recorded_at_ms();
  }

  static testing::TempDir* tmp_;
  static Service* service_;
  static std::vector<std::pair<std::string, uint64_t>> stage_end_;
};

testing::TempDir* DocsExamplesTest::tmp_ = nullptr;
Service* DocsExamplesTest::service_ = nullptr;
std::vector<std::pair<std::string, uint64_t>> DocsExamplesTest::stage_end_;

TEST_F(DocsExamplesTest, ApiExamplesAreTheDemosOwn) {
  const uint64_t size = service_->ledger().size();
  // The vote's results and the first act of supervision: what changed in
  // the cycles view.
  const uint64_t vote_end = stage_end_[2].second;
  std::map<std::string, std::string> blocks;
  blocks["api-log"] = Curl("/v1/log");
  blocks["api-checkpoint"] =
      "$ curl -s localhost:8080/tlog/checkpoint\n" + Get("/tlog/checkpoint");
  char tile[64];
  std::snprintf(tile, sizeof tile, "%03llu",
                static_cast<unsigned long long>(size / 256));
  const std::string full = std::to_string(size / 256);
  const std::string partial = std::to_string(size % 256);
  blocks["api-tiles"] =
      "$ curl -s localhost:8080/tlog/tile/0/" + std::string(tile) + ".p/" +
      partial + " | wc -c  # " + std::to_string(size) + " = " + full +
      "·256 + " + partial + "\n" + std::to_string(32 * (size % 256)) +
      "\n$ curl -s localhost:8080/tlog/tile/1/000.p/" + full + " | wc -c  # " +
      full + " full level-0 tiles\n" + std::to_string(32 * (size / 256)) + "\n";
  blocks["api-inclusion"] = Curl("/v1/proof/inclusion?index=6&size=11");
  blocks["api-consistency"] = Curl("/v1/proof/consistency?old=5&new=11");
  blocks["api-diff"] =
      Curl("/v1/diff?view=cycles&from=" + std::to_string(vote_end - 5) +
           "&to=" + std::to_string(vote_end));
  CheckDoc("docs/API.md", blocks);
}

TEST_F(DocsExamplesTest, DemoStageTableIsTheDemosOwn) {
  std::string table = "| stage | entries | story time (CST) |\n|---|---|---|\n";
  uint64_t first = 0;
  for (const auto& [stage, end] : stage_end_) {
    table +=
        "| " + stage + " | " + std::to_string(first) + "–" +
        std::to_string(end - 1) + " | " +
        projections::FormatDate(projections::DateFromMs(RecordedAt(first))) +
        " – " +
        projections::FormatDate(projections::DateFromMs(RecordedAt(end - 1))) +
        " |\n";
    first = end;
  }
  std::map<std::string, std::string> blocks{{"demo-stages", table}};
  CheckDoc("docs/DEMO.md", blocks);
}

// Every member name a view emits for the demo ledger is defined in
// docs/VIEWS.md: it appears there as `name` in prose or a table (not only in
// a JSON example).
TEST_F(DocsExamplesTest, EveryFieldTheViewsEmitIsDefinedInViewsMd) {
  std::string doc = ReadFile("docs/VIEWS.md");
  ASSERT_FALSE(doc.empty());
  // Drop the fenced examples: a field must be defined, not only shown.
  std::string prose;
  bool fenced = false;
  std::istringstream lines(doc);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) prose += line + "\n";
  }
  std::map<std::string, std::string> fields;  // name -> where first seen
  std::function<void(const json&, const std::string&)> collect =
      [&](const json& j, const std::string& where) {
        if (j.is_object()) {
          for (const auto& [k, v] : j.items()) {
            fields.emplace(k, where);
            collect(v, where);
          }
        } else if (j.is_array()) {
          for (const json& v : j) collect(v, where);
        }
      };
  auto view = [&](const std::string& target) {
    json j = json::parse(Get(target));
    collect(j, target);
    return j;
  };
  const json cycles = view("/v1/views/cycles");
  view("/v1/views/corrections");
  for (const json& c : cycles["cycles"]) {
    const std::string ref = std::to_string(c["ref"].get<uint64_t>());
    view("/v1/views/funnel?cycle=" + ref + "&limit=1000");
    view("/v1/views/candidates?cycle=" + ref);
    const json projects =
        view("/v1/views/projects?cycle=" + ref + "&limit=1000");
    for (const json& v : c["votes"]) {
      view("/v1/views/tally?record=" + std::to_string(v.get<uint64_t>()));
    }
    view("/v1/views/audit?record=" + ref);
    for (const json& p : projects["projects"]) {
      view("/v1/views/audit?record=" +
           std::to_string(p["ref"].get<uint64_t>()));
    }
  }
  // Kept in a variable: a range-for over a member of a temporary reads it
  // after it is destroyed (ASan: heap-use-after-free).
  const json corrections = json::parse(Get("/v1/views/corrections"));
  for (const json& c : corrections["corrections"]) {
    view("/v1/views/audit?record=" +
         std::to_string(c["record"].get<uint64_t>()));
  }
  ASSERT_GT(fields.size(), 50u);
  std::string missing;
  for (const auto& [name, where] : fields) {
    if (prose.find("`" + name + "`") == std::string::npos) {
      missing += "  " + name + " (e.g. " + where + ")\n";
    }
  }
  EXPECT_TRUE(missing.empty())
      << "fields the views emit that docs/VIEWS.md does not define:\n"
      << missing;
}

}  // namespace
}  // namespace piaojue::server
