// The demo ledger (1,124 entries: level-1 hash tiles, partial tiles at both
// levels) followed live across its stages through a real `piaojue serve`:
// the consistency proof from the remembered checkpoint is computed from the
// tiles of a grown log and verifies.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "api/cli/data_dir.h"
#include "api/demo/demo.h"
#include "api/server/server.h"
#include "tests/verifier/fake_tile_server.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/http_fetch.h"
#include "verifier/monitor.h"

namespace piaojue::verifier {
namespace {

using namespace piaojue::verifier::testing;

// Builds (or resumes) the demo in `data` through `until` ("" = to the end);
// returns its verifier key.
std::string RunDemo(const std::string& data, const std::string& until) {
  std::ostringstream out;
  Status s = demo::Run({data, until, /*sync=*/false}, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  const std::string text = out.str();
  const std::string marker = "verifier key: ";
  const size_t at = text.rfind(marker);
  EXPECT_NE(at, std::string::npos) << text;
  if (at == std::string::npos) return "";
  std::string key = text.substr(at + marker.size());
  return key.substr(0, key.find('\n'));
}

struct Served {
  std::unique_ptr<server::Server> server;
  std::string url;
};

// Serves `data` on a free loopback port once it publishes a checkpoint of
// `size` entries.
Served Serve(const std::string& data, uint64_t size) {
  Served out;
  server::ServerOptions options;
  options.data_dir = data;
  options.port = 0;
  auto s = server::Server::Start(options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return out;
  out.server = std::move(*s);
  out.url = "http://127.0.0.1:" + std::to_string(out.server->port()) + "/tlog";
  auto fetcher = HttpFetcher::Create(out.url);
  EXPECT_TRUE(fetcher.ok());
  for (int i = 0; i < 400; ++i) {
    auto r = (*fetcher)->Get("checkpoint", 1 << 20);
    if (r.ok() && r->status == 200 &&
        r->body.find("\n" + std::to_string(size) + "\n") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return out;
}

uint64_t LedgerSize(const std::string& data) {
  auto ledger = ledger::Ledger::Open(data + "/ledger", {}, /*read_only=*/true);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  return ledger.ok() ? (*ledger)->size() : 0;
}

TEST(LiveDemoTest, TheDemoFollowedAcrossItsStagesStaysConsistent) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  const std::string data = tmp.Sub("demo");
  const std::string state = tmp.Sub("auditor.state");
  const std::string vkey = RunDemo(data, "collection");
  const uint64_t first = LedgerSize(data);
  {
    Served s = Serve(data, first);
    ASSERT_TRUE(s.server);
    RunResult r =
        RunVerifyBinary({s.url, "--vkey", vkey, "--state", state}, tmp);
    EXPECT_EQ(r.exit_code, kExitValid) << r.out << r.err;
    s.server->Shutdown();
  }
  ASSERT_EQ(RunDemo(data, ""), vkey);
  const uint64_t whole = LedgerSize(data);
  ASSERT_GT(whole, 256u * 4) << "the test needs level-1 tiles";
  ASSERT_GT(whole, first);
  {
    Served s = Serve(data, whole);
    ASSERT_TRUE(s.server);
    RunResult r = RunVerifyBinary(
        {s.url, "--vkey", vkey, "--state", state, "--json"}, tmp);
    EXPECT_EQ(r.exit_code, kExitValid) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.out;
    EXPECT_EQ(j["entries"], whole);
    EXPECT_EQ(j["state"]["rememberedSize"], first);
    EXPECT_EQ(j["state"]["updated"], true);
    // The next round of --follow finds the same checkpoint and reads
    // nothing else.
    MonitorOptions o;
    o.verify.path = s.url;
    o.verify.vkey = vkey;
    o.verify.quiet = true;
    o.state_file = state;
    VerifyReport next = MonitorOnce(o, /*skip_if_unchanged=*/true);
    EXPECT_EQ(next.exit_code, kExitValid) << Describe(next);
    EXPECT_TRUE(next.unchanged);
    s.server->Shutdown();
  }
  EXPECT_NE(ReadFile(state).find("\"size\": " + std::to_string(whole)),
            std::string::npos)
      << ReadFile(state);
}

TEST(LiveDemoTest, APartialTileGoneAfterTheLogGrewIsReadFromTheFullTile) {
  // The auditor holds a checkpoint of 1000 entries (tile 3 partial, 232
  // entries); the log has grown to 1,124 and serves tile 3 only in full.
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  const std::string data = tmp.Sub("demo");
  const std::string vkey = RunDemo(data, "");
  auto key = cli::ReadKeyFile(cli::DataDir(data).log_key_path());
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  std::vector<std::string> entries;
  {
    auto ledger = ledger::Ledger::Open(data + "/ledger", {}, true);
    ASSERT_TRUE(ledger.ok());
    entries = ReadEntries(**ledger);
  }
  ASSERT_GT(entries.size(), 1024u);
  FakeTileServer server;
  server.Serve(entries, SignCheckpoint(entries, *key, 1000));
  server.DropPartialTilesOnceFull();
  MonitorOptions o;
  o.verify.path = "http://log.example/tlog";
  o.verify.vkey = vkey;
  o.verify.quiet = true;
  o.verify.fetch = server.AsFetch();
  o.state_file = tmp.Sub("auditor.state");
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  EXPECT_EQ(r.entries, 1000u);
  EXPECT_GE(server.partials_refused, 2) << "tile/0/003.p/232 and its bundle";
  // And the log at its whole size extends it (a consistency proof from the
  // tiles, across level-1 tiles).
  server.Serve(entries, SignCheckpoint(entries, *key));
  VerifyReport grown = MonitorOnce(o);
  EXPECT_EQ(grown.exit_code, kExitValid) << Describe(grown);
  EXPECT_EQ(grown.remembered_size, 1000u);
  // The checks continue from the state saved at 1000 entries: only bundle
  // 3 (now full, holding entries 768 to 1023) and the partial bundle 4 are
  // read, and fetched.
  EXPECT_EQ(grown.from_saved_state, 1000u);
  EXPECT_EQ(grown.bundles, 2u);
  EXPECT_EQ(grown.bundles_fetched, 2u);

  // Without the saved state every entry is read again, bundles 0 to 3 from
  // the entry cache. A cache file changed on the auditor's disk is not
  // believed: its entries do not match the log's hash tile, so the bundle
  // is fetched again.
  std::filesystem::remove(o.state_file + ".replay");
  const std::string cached = o.state_file + ".tiles/entries-1";
  std::string bytes = ReadFile(cached);
  ASSERT_FALSE(bytes.empty()) << "the first run cached bundle 1";
  bytes[bytes.size() - 1] ^= 1;
  WriteFile(cached, bytes);
  VerifyReport again = MonitorOnce(o);
  EXPECT_EQ(again.exit_code, kExitValid) << Describe(again);
  EXPECT_EQ(again.from_saved_state, 0u);
  EXPECT_EQ(again.bundles, 5u);
  EXPECT_EQ(again.bundles_fetched, 2u) << "bundle 1 again, and bundle 4";
  EXPECT_NE(ReadFile(cached), bytes) << "the cache was repaired";
}

}  // namespace
}  // namespace piaojue::verifier
