// `piaojue publish` (api/server/publish.h): the files are what the server
// serves, the checkpoint comes last, a second run writes only what changed
// and never a full tile, and a directory holding another log or a fork is
// refused without writing anything.
#include "api/server/publish.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api/cli/commands.h"
#include "api/demo/demo.h"
#include "api/server/internal/handlers.h"
#include "api/server/internal/service.h"
#include "ledger/authority.h"
#include "ledger/entry.h"
#include "ledger/note.h"
#include "tests/test_util.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

namespace piaojue::server {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A ledger in `dir` of origin `origin`, served by a Service (the writer
// `piaojue serve` would be), grown with jurisdictionRegistered entries.
class Log {
 public:
  Log(const std::string& dir, const std::string& origin,
      const std::string& root_file, int seed) {
    std::ostringstream out;
    EXPECT_OK(cli::Init({dir, origin, "", root_file}, out));
    auto root = cli::ReadKeyFile(root_file);
    EXPECT_OK(root);
    root_ = root->key_pair;
    seed_ = seed;
    Open(dir);
  }

  void Open(const std::string& dir) {
    ServiceOptions o;
    o.data_dir = dir;
    o.checkpoint_delay = std::chrono::milliseconds(10);
    auto s = Service::Open(o);
    EXPECT_OK(s);
    service_ = std::move(s).value();
  }
  void Close() { service_.reset(); }
  Service& service() { return *service_; }

  // Appends `n` entries and waits for the checkpoint to cover them.
  void Grow(int n) {
    for (int i = 0; i < n; ++i) {
      capnp::MallocMessageBuilder m;
      auto j = m.initRoot<schema::Event>().initJurisdictionRegistered();
      const int k = next_++;
      j.setCode(std::to_string(seed_ * 10000 + k));
      j.setName("第" + std::to_string(k) + "县");
      j.setLevel(schema::Level::COUNTY);
      const int64_t now =
          std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
      auto e = ledger::SignEvent(root_, service_->origin(), "", now,
                                 m.getRoot<schema::Event>().asReader());
      ASSERT_OK(e);
      ASSERT_OK(service_->Append(*e));
    }
    for (int tries = 0; tries < 500 && CheckpointSize() < Size(); ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(CheckpointSize(), Size());
  }

  uint64_t Size() { return service_->ledger().size(); }
  uint64_t CheckpointSize() {
    auto note = service_->Checkpoint();
    if (!note.ok()) return 0;
    auto parsed = note::ParseNote(*note);
    auto cp = note::ParseCheckpoint(parsed->text);
    return cp.ok() ? cp->size : 0;
  }

  HttpResponse Get(const std::string& path) {
    HttpRequest r;
    r.method = "GET";
    r.path = path;
    return Handle(*service_, r);
  }

 private:
  crypto::KeyPair root_;
  int seed_ = 0;
  int next_ = 1;
  std::unique_ptr<Service> service_;
};

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(crypto::InitCrypto()); }

  Result<PublishReport> PublishTo(const std::string& data,
                                  const std::string& www) {
    PublishOptions o;
    o.data_dir = data;
    o.out_dir = www;
    return Publish(o);
  }

  testing::TempDir tmp_;
};

TEST_F(PublishTest, FilesAreWhatTheServerServesWithTheCheckpointWrittenLast) {
  Log log(tmp_.Sub("a"), "piaojue.test/a", tmp_.Sub("a-root.key"), 1);
  log.Grow(260);  // a full tile and bundle, and partial ones
  const fs::path www = tmp_.Sub("www");
  // Beside the running writer: the store is opened read-only.
  auto report = PublishTo(tmp_.Sub("a"), www);
  ASSERT_OK(report);
  const uint64_t size = log.Size();
  EXPECT_EQ(report->tree_size, size);
  EXPECT_EQ(report->previous_tree_size, 0u);
  ASSERT_FALSE(report->written.empty());
  EXPECT_EQ(report->written.back(), "tlog/checkpoint");

  EXPECT_EQ(Read(www / "tlog/checkpoint"), *log.service().Checkpoint());
  const std::string w = std::to_string(size % 256);
  for (const std::string& path : std::vector<std::string>{
           "/tlog/tile/0/000", "/tlog/tile/entries/000",
           "/tlog/tile/0/001.p/" + w, "/tlog/tile/entries/001.p/" + w,
           "/tlog/tile/1/000.p/1"}) {
    EXPECT_EQ(Read(www / path.substr(1)), log.Get(path).body) << path;
  }
  for (const std::string& path : std::vector<std::string>{
           "/v1/log", "/v1/entries/5", "/v1/corrections", "/v1/cycles"}) {
    EXPECT_EQ(Read(www / (path.substr(1) + ".json")), log.Get(path).body)
        << path;
  }
  // What the server answers 404 for has no file (entry 0 is no record).
  EXPECT_EQ(log.Get("/v1/audit/0").status, 404);
  EXPECT_FALSE(fs::exists(www / "v1/audit/0.json"));
  // gzip siblings where they help: entry bundles and JSON, not hash tiles.
  EXPECT_TRUE(fs::exists(www / "tlog/tile/entries/000.gz"));
  EXPECT_TRUE(fs::exists(www / "v1/entries/5.json.gz"));
  EXPECT_FALSE(fs::exists(www / "tlog/tile/0/000.gz"));
  // The portal, in static mode.
  const std::string index = Read(www / "index.html");
  EXPECT_NE(
      index.find(
          R"(<script type="application/json" id="piaojue-static">{"static":true}</script>)"),
      std::string::npos);
  EXPECT_NE(index.find("<meta http-equiv=\"Content-Security-Policy\""),
            std::string::npos);
  EXPECT_NE(Read(www / "portal-config.json").find("\"static\":true"),
            std::string::npos);
  // No temporary file is left behind.
  for (const auto& e : fs::recursive_directory_iterator(www)) {
    EXPECT_EQ(e.path().filename().string().find(".publish-tmp"),
              std::string::npos)
        << e.path();
  }
}

TEST_F(PublishTest, ASecondRunWritesOnlyWhatChangedAndNeverAFullTile) {
  Log log(tmp_.Sub("a"), "piaojue.test/a", tmp_.Sub("a-root.key"), 1);
  log.Grow(260);
  const fs::path www = tmp_.Sub("www");
  ASSERT_OK(PublishTo(tmp_.Sub("a"), www));
  const uint64_t old_size = log.Size();
  const auto tile_time = fs::last_write_time(www / "tlog/tile/0/000");

  // Nothing new: nothing written.
  auto again = PublishTo(tmp_.Sub("a"), www);
  ASSERT_OK(again);
  EXPECT_EQ(again->written, std::vector<std::string>{});

  log.Grow(3);
  auto grown = PublishTo(tmp_.Sub("a"), www);
  ASSERT_OK(grown);
  EXPECT_EQ(grown->previous_tree_size, old_size);
  EXPECT_EQ(grown->tree_size, old_size + 3);
  EXPECT_EQ(grown->written.back(), "tlog/checkpoint");
  EXPECT_FALSE(Has(grown->written, "tlog/tile/0/000"));
  EXPECT_FALSE(Has(grown->written, "tlog/tile/entries/000"));
  EXPECT_FALSE(Has(grown->written, "v1/entries/5.json"));
  EXPECT_EQ(fs::last_write_time(www / "tlog/tile/0/000"), tile_time);
  EXPECT_TRUE(
      Has(grown->written, "v1/entries/" + std::to_string(old_size) + ".json"));
  const std::string from =
      "v1/proof/consistency/" + std::to_string(old_size) + ".json";
  ASSERT_TRUE(Has(grown->written, from));
  const auto proof = nlohmann::json::parse(Read(www / from));
  EXPECT_EQ(proof["old"], old_size);
  EXPECT_EQ(proof["new"], old_size + 3);
  // The portal's files did not change.
  for (const std::string& p : grown->written) {
    EXPECT_FALSE(p.starts_with("assets/")) << p;
  }
}

TEST_F(PublishTest, RefusesAnotherLogOrAForkAndWritesNothing) {
  Log a(tmp_.Sub("a"), "piaojue.test/a", tmp_.Sub("a-root.key"), 1);
  a.Grow(5);
  const fs::path www = tmp_.Sub("www");
  ASSERT_OK(PublishTo(tmp_.Sub("a"), www));
  const std::string published = Read(www / "tlog/checkpoint");

  // Another log (another origin).
  Log b(tmp_.Sub("b"), "piaojue.test/b", tmp_.Sub("b-root.key"), 2);
  b.Grow(5);
  b.Close();  // publish then signs its own checkpoint, no server running
  auto other = PublishTo(tmp_.Sub("b"), www);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("another log"), std::string::npos)
      << other.status().ToString();

  // The same origin with another history: a fork.
  Log fork(tmp_.Sub("fork"), "piaojue.test/a", tmp_.Sub("fork-root.key"), 3);
  fork.Grow(8);
  auto forked = PublishTo(tmp_.Sub("fork"), www);
  ASSERT_FALSE(forked.ok());
  EXPECT_EQ(forked.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(forked.status().message().find("fork"), std::string::npos)
      << forked.status().ToString();

  EXPECT_EQ(Read(www / "tlog/checkpoint"), published);
  EXPECT_FALSE(
      fs::exists(www / ("v1/entries/" + std::to_string(a.Size()) + ".json")));
}

TEST_F(PublishTest, TheLiveServersUrlIsAnHttpUrlCarriedInTheStaticMarker) {
  Log log(tmp_.Sub("a"), "piaojue.test/a", tmp_.Sub("a-root.key"), 1);
  log.Grow(2);
  PublishOptions o;
  o.data_dir = tmp_.Sub("a");
  o.out_dir = tmp_.Sub("www");
  // A URL the portal would put in links must not be a script.
  o.dynamic_url = "javascript:alert(1)";
  auto refused = Publish(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp_.Sub("www") + "/tlog/checkpoint"));

  o.dynamic_url = "https://live.example/</script><b>";
  ASSERT_OK(Publish(o));
  const std::string index = Read(fs::path(o.out_dir) / "index.html");
  // In the JSON block, with '<' and '>' escaped: it cannot end the element.
  EXPECT_NE(
      index.find(
          R"("dynamicUrl":"https://live.example/\u003c/script\u003e\u003cb\u003e")"),
      std::string::npos)
      << index.substr(0, 800);
  EXPECT_EQ(index.find("live.example/</script>"), std::string::npos);
  const auto config =
      nlohmann::json::parse(Read(fs::path(o.out_dir) / "portal-config.json"));
  EXPECT_EQ(config["dynamicUrl"], o.dynamic_url);
  EXPECT_EQ(config["static"], true);
}

}  // namespace
}  // namespace piaojue::server

namespace piaojue::server {
namespace {

bool IsBundle(const std::string& rel) {
  return rel.starts_with("v1/proof/bundle/") && rel.ends_with(".json");
}

// The entries of a bundle that are not registry entries (a bundle holds
// the registry entries its trail needs besides its record's trail).
std::set<uint64_t> TrailOf(const nlohmann::json& bundle) {
  std::set<uint64_t> out;
  for (const auto& e : bundle["entries"]) {
    auto bytes = crypto::Base64Decode(e["entry"].get<std::string>());
    EXPECT_OK(bytes);
    if (!bytes.ok()) continue;
    auto view = ledger::EntryView::Parse(*bytes);
    EXPECT_OK(view);
    if (view.ok() && !ledger::IsRegistryEvent(view->event().which())) {
      out.insert(e["index"].get<uint64_t>());
    }
  }
  return out;
}

// Issue 15: publishing used to rewrite every proof bundle at every new
// checkpoint (they prove against it), so each publish wrote as many
// bundles as the log has records. A bundle stays true as the log grows;
// now only those of new records and of records whose trail gained an entry
// are written, and every bundle kept still holds its record's whole trail.
TEST_F(PublishTest, ARepublishWritesOnlyTheBundlesOfRecordsTheNewEntriesTouch) {
  const std::string data = tmp_.Sub("demo");
  std::ostringstream out;
  ASSERT_OK(demo::Run({data, "supervision", /*sync=*/false}, out));
  const fs::path www = tmp_.Sub("www");
  auto first = PublishTo(data, www);
  ASSERT_OK(first);
  const uint64_t old_size = first->tree_size;
  std::set<std::string> all_bundles;
  for (const std::string& p : first->written) {
    if (IsBundle(p)) all_bundles.insert(p);
  }
  ASSERT_GT(all_bundles.size(), 100u);

  // The rest of the story: the evaluation stage.
  ASSERT_OK(demo::Run({data, "", /*sync=*/false}, out));
  auto second = PublishTo(data, www);
  ASSERT_OK(second);
  const uint64_t added = second->tree_size - old_size;
  ASSERT_GT(added, 0u);
  std::set<std::string> rewritten;
  uint64_t bytes_written = 0, bundle_bytes_written = 0;
  for (const std::string& p : second->written) {
    bytes_written += fs::file_size(www / p);
    if (IsBundle(p)) {
      rewritten.insert(p);
      bundle_bytes_written += fs::file_size(www / p);
    }
  }
  uint64_t bytes_published = 0, bundle_bytes_published = 0;
  for (const auto& e : fs::recursive_directory_iterator(www)) {
    if (!e.is_regular_file()) continue;
    bytes_published += e.file_size();
    if (IsBundle(fs::relative(e.path(), www).string())) {
      bundle_bytes_published += e.file_size();
    }
  }

  // Which bundles had to change, from bundles made now (the server's, which
  // follow the trail as piaojue-verify does): a new record's, or one whose
  // trail reaches the entries added.
  ServiceOptions so;
  so.data_dir = data;
  so.read_only = true;
  auto service = Service::Open(so);
  ASSERT_OK(service);
  const std::string vkey = (*service)->verifier_key();
  std::set<std::string> expected;
  int verified = 0;
  for (const auto& e : fs::directory_iterator(www / "v1/proof/bundle")) {
    const std::string name = e.path().filename().string();
    if (!name.ends_with(".json")) continue;
    const std::string rel = "v1/proof/bundle/" + name;
    const uint64_t record = std::stoull(name);
    HttpRequest r;
    r.method = "GET";
    r.path = "/v1/proof/bundle/" + std::to_string(record);
    const HttpResponse now = Handle(**service, r);
    ASSERT_EQ(now.status, 200) << now.body;
    const std::set<uint64_t> trail = TrailOf(nlohmann::json::parse(now.body));
    if (record >= old_size || *trail.rbegin() >= old_size) expected.insert(rel);
    // Whether written again or kept: the file holds the whole trail.
    const nlohmann::json file = nlohmann::json::parse(Read(e.path()));
    EXPECT_EQ(TrailOf(file), trail) << rel;
    if (!rewritten.contains(rel) && verified < 5) {
      // A kept bundle (of the older checkpoint) is still a valid proof.
      ++verified;
      verifier::VerifyOptions v;
      v.path = e.path().string();
      v.vkey = vkey;
      v.quiet = true;
      const verifier::VerifyReport report = verifier::VerifyProofBundle(v);
      EXPECT_EQ(report.exit_code, verifier::kExitValid)
          << rel << ": " << verifier::ReportToText(report);
    }
  }
  EXPECT_EQ(rewritten, expected);
  EXPECT_EQ(verified, 5);
  // Proportional to the change: here a fraction of the bundles and of the
  // bytes, where every bundle used to be written again.
  std::cout << "added " << added << " entries; bundles written "
            << rewritten.size() << " of " << all_bundles.size()
            << "; their bytes " << bundle_bytes_written << " of "
            << bundle_bytes_published << "; all bytes " << bytes_written
            << " of " << bytes_published << "\n";
  EXPECT_LT(rewritten.size(), all_bundles.size() / 2);
  EXPECT_LT(bundle_bytes_written, bundle_bytes_published / 2);
}

}  // namespace
}  // namespace piaojue::server
