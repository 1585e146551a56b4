// Live logs (docs/VERIFY.md, "Live logs" and "Following a live log"): a log
// verified over HTTP from its C2SP tlog-tiles gets the verdict its export
// bundle gets; a follower with a state file catches a rewrite, a truncation
// and a split view between two runs (exit 4, evidence kept); a verifier that
// requires a quorum of witnesses refuses a checkpoint they did not cosign.
//
// Most cases serve crafted logs from memory (what a dishonest server shows);
// two run the real `piaojue serve` on a loopback port.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "api/cli/commands.h"
#include "api/cli/data_dir.h"
#include "api/server/server.h"
#include "ledger/cosignature.h"
#include "tests/cycle_builder.h"
#include "tests/verifier/fake_tile_server.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/http_fetch.h"
#include "verifier/monitor.h"
#include "verifier/proof_bundle.h"
#include "verifier/tile_log.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using piaojue::testing::TestKey;
using namespace piaojue::verifier::testing;
using Stage = CycleBuilder::Stage;

// The entries of a fresh fixture cycle built through `stage` (fresh nonces:
// two builds of one stage are two different logs of one size), and more
// entries of the same log through `later` if given.
struct BuiltLog {
  std::vector<std::string> entries;   // through `stage`
  std::vector<std::string> extended;  // through `later`
  note::SignerKey log_key;
};
BuiltLog Build(Stage stage, std::optional<Stage> later = std::nullopt) {
  CycleBuilder builder;
  BuiltLog out;
  EXPECT_TRUE(builder.BuildThrough(stage).ok());
  out.entries = ReadEntries(builder.ledger());
  if (later) {
    EXPECT_TRUE(builder.BuildThrough(*later).ok());
    out.extended = ReadEntries(builder.ledger());
  }
  out.log_key = builder.log_key();
  return out;
}

std::string VkeyOf(const note::SignerKey& key) {
  return note::FormatVerifierKey(key.name, key.key_pair.public_key);
}

// A witness: its signer and its verifier key.
struct Witness {
  note::SignerKey signer;
  std::string vkey;
};
Witness MakeWitness(const std::string& name, uint8_t seed) {
  Witness w;
  w.signer.name = name;
  w.signer.key_pair = TestKey(seed);
  w.vkey = cosignature::FormatVerifierKey(name, w.signer.key_pair.public_key);
  return w;
}

// `note_text` with the cosignatures of `witnesses` appended.
std::string Cosign(const std::string& note_text,
                   const std::vector<const Witness*>& witnesses,
                   uint64_t timestamp = 1767225600) {
  auto parsed = note::ParseNote(note_text);
  EXPECT_TRUE(parsed.ok());
  std::string out = note_text;
  for (const Witness* w : witnesses) {
    auto line = cosignature::Sign(parsed->text, timestamp, w->signer);
    EXPECT_TRUE(line.ok()) << line.status().ToString();
    auto appended = cosignature::AppendLines(out, *line);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    out = *appended;
  }
  return out;
}

MonitorOptions LiveOptions(FakeTileServer& server, const std::string& vkey,
                           const std::string& state_file = "") {
  MonitorOptions o;
  o.verify.path = "http://log.example/tlog";
  o.verify.vkey = vkey;
  o.verify.quiet = true;
  o.verify.fetch = server.AsFetch();
  o.state_file = state_file;
  o.interval = std::chrono::milliseconds(0);
  // A quorum missing is judged at once (the tests of the wait set it).
  o.witness_wait = std::chrono::milliseconds(0);
  return o;
}

std::vector<std::string> EvidenceFiles(const std::string& state_file) {
  std::vector<std::string> out;
  const auto dir = std::filesystem::path(state_file).parent_path();
  const std::string stem =
      std::filesystem::path(state_file).filename().string() + ".inconsistent-";
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().filename().string().starts_with(stem)) {
      out.push_back(f.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

class LiveTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }
  TempDir tmp_;
};

// ---------------------------------------------------------------------------
// Live verification from tiles.

TEST_F(LiveTest, ATileLogVerifiesLikeItsBundle) {
  BuiltLog log = Build(Stage::kProposals);
  const std::string cp = SignCheckpoint(log.entries, log.log_key);
  FakeTileServer server;
  server.Serve(log.entries, cp);
  VerifyReport live = MonitorOnce(LiveOptions(server, VkeyOf(log.log_key)));
  EXPECT_EQ(live.exit_code, kExitValid) << Describe(live);
  EXPECT_EQ(live.entries, log.entries.size());

  const std::string bundle = tmp_.Sub("log.bundle");
  WriteBundleFile(bundle, log.entries, cp);
  VerifyReport offline = VerifyPath(bundle, VkeyOf(log.log_key));
  EXPECT_EQ(offline.exit_code, kExitValid) << Describe(offline);
  EXPECT_EQ(live.root, offline.root);
  EXPECT_EQ(live.recount_json, offline.recount_json);
}

TEST_F(LiveTest, TilePathsFollowTheSpec) {
  EXPECT_EQ(TileIndexPath(5), "005");
  EXPECT_EQ(TileIndexPath(1234067), "x001/x234/067");
  EXPECT_EQ(TileIndexPath(1000), "x001/000");
  EXPECT_EQ(HashTilePath(0, 4, 85), "tile/0/004.p/85");
  EXPECT_EQ(HashTilePath(1, 0, 256), "tile/1/000");
  EXPECT_EQ(EntryBundlePath(1234067, 3), "tile/entries/x001/x234/067.p/3");
}

TEST_F(LiveTest, AnEntryThatDisagreesWithItsHashTileIsInvalidAtThatEntry) {
  BuiltLog log = Build(Stage::kProposals);
  FakeTileServer server;
  server.Serve(log.entries, SignCheckpoint(log.entries, log.log_key));
  server.CorruptLeafTile(3);
  VerifyReport r = MonitorOnce(LiveOptions(server, VkeyOf(log.log_key)));
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "tiles");
  EXPECT_EQ(r.failure->index, 3u);
}

TEST_F(LiveTest, AnEntryRewrittenUnderAFreshCheckpointIsInvalid) {
  // The server serves consistent tiles of a log whose entry 2 was edited
  // and re-signed by the log key: the entries' own checks catch it.
  BuiltLog log = Build(Stage::kProposals);
  std::vector<std::string> forged = log.entries;
  forged[2][forged[2].size() - 1] ^= 1;
  FakeTileServer server;
  server.Serve(forged, SignCheckpoint(forged, log.log_key));
  VerifyReport r = MonitorOnce(LiveOptions(server, VkeyOf(log.log_key)));
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
}

// ---------------------------------------------------------------------------
// Following with a state file.

TEST_F(LiveTest, FollowDetectsARewriteBetweenTwoRuns) {
  BuiltLog honest = Build(Stage::kProposals, Stage::kMerged);
  BuiltLog rewritten = Build(Stage::kMerged);  // same keys, other history
  ASSERT_EQ(rewritten.entries.size(), honest.extended.size());
  const std::string vkey = VkeyOf(honest.log_key);
  const std::string state = tmp_.Sub("monitor.state");
  const std::string first = SignCheckpoint(honest.entries, honest.log_key);
  const std::string grown = SignCheckpoint(honest.extended, honest.log_key);
  const std::string forged =
      SignCheckpoint(rewritten.entries, rewritten.log_key);

  FakeTileServer server;
  server.Serve(honest.entries, first);
  MonitorOptions o = LiveOptions(server, vkey, state);
  o.follow = true;
  o.max_rounds = 5;
  std::vector<VerifyReport> rounds;
  const int code = Follow(o, [&](const VerifyReport& r) {
    rounds.push_back(r);
    // Round 1 sees the log, round 2 the same checkpoint, round 3 the log
    // grown honestly, round 4 a rewritten history under a new checkpoint.
    if (rounds.size() == 2) server.Serve(honest.extended, grown);
    if (rounds.size() == 3) server.Serve(rewritten.entries, forged);
  });
  EXPECT_EQ(code, kExitInconsistent);
  ASSERT_EQ(rounds.size(), 4u);
  EXPECT_EQ(rounds[0].exit_code, kExitValid) << Describe(rounds[0]);
  EXPECT_TRUE(rounds[0].state_updated);
  EXPECT_TRUE(rounds[1].unchanged) << Describe(rounds[1]);
  EXPECT_EQ(rounds[2].exit_code, kExitValid) << Describe(rounds[2]);
  EXPECT_EQ(rounds[2].remembered_size, honest.entries.size());
  EXPECT_EQ(rounds[3].exit_code, kExitInconsistent) << Describe(rounds[3]);
  ASSERT_TRUE(rounds[3].failure);
  EXPECT_EQ(rounds[3].failure->check, "consistency");
  EXPECT_NE(ReportToText(rounds[3]).find("INCONSISTENT"), std::string::npos);

  // Both checkpoints are kept, and the state still remembers the honest one.
  ASSERT_EQ(rounds[3].evidence.size(), 2u);
  EXPECT_EQ(ReadFile(rounds[3].evidence[0]), grown);
  EXPECT_EQ(ReadFile(rounds[3].evidence[1]), forged);
  EXPECT_EQ(EvidenceFiles(state).size(), 2u);
  EXPECT_NE(ReadFile(state).find(std::to_string(honest.extended.size())),
            std::string::npos);
  // A later run is still inconsistent: the rewrite is not forgotten.
  VerifyReport again = MonitorOnce(o);
  EXPECT_EQ(again.exit_code, kExitInconsistent) << Describe(again);
}

TEST_F(LiveTest, ATruncationIsInconsistent) {
  BuiltLog log = Build(Stage::kProposals, Stage::kMerged);
  const std::string vkey = VkeyOf(log.log_key);
  const std::string state = tmp_.Sub("monitor.state");
  FakeTileServer server;
  server.Serve(log.extended, SignCheckpoint(log.extended, log.log_key));
  ASSERT_EQ(MonitorOnce(LiveOptions(server, vkey, state)).exit_code,
            kExitValid);
  // The operator cuts the log back and signs a checkpoint of the prefix.
  server.Serve(log.entries, SignCheckpoint(log.entries, log.log_key));
  VerifyReport r = MonitorOnce(LiveOptions(server, vkey, state));
  EXPECT_EQ(r.exit_code, kExitInconsistent) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_NE(r.failure->message.find("truncated"), std::string::npos)
      << r.failure->message;
  EXPECT_EQ(r.evidence.size(), 2u);
  // A fresh verifier without the state sees nothing wrong: that is what
  // the state is for.
  EXPECT_EQ(MonitorOnce(LiveOptions(server, vkey)).exit_code, kExitValid);
}

TEST_F(LiveTest, ASplitViewIsInconsistentForTheFollower) {
  BuiltLog a = Build(Stage::kProposals);
  BuiltLog b = Build(Stage::kProposals);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  const std::string vkey = VkeyOf(a.log_key);
  const std::string state = tmp_.Sub("monitor.state");
  FakeTileServer server;
  server.Serve(a.entries, SignCheckpoint(a.entries, a.log_key));
  ASSERT_EQ(MonitorOnce(LiveOptions(server, vkey, state)).exit_code,
            kExitValid);
  server.Serve(b.entries, SignCheckpoint(b.entries, b.log_key));
  VerifyReport r = MonitorOnce(LiveOptions(server, vkey, state));
  EXPECT_EQ(r.exit_code, kExitInconsistent) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_NE(r.failure->message.find("split view"), std::string::npos);
}

TEST_F(LiveTest, ACheckpointNotSignedByTheLogKeyIsNotEvidence) {
  BuiltLog a = Build(Stage::kProposals);
  BuiltLog b = Build(Stage::kProposals);
  const std::string vkey = VkeyOf(a.log_key);
  const std::string state = tmp_.Sub("monitor.state");
  FakeTileServer server;
  server.Serve(a.entries, SignCheckpoint(a.entries, a.log_key));
  ASSERT_EQ(MonitorOnce(LiveOptions(server, vkey, state)).exit_code,
            kExitValid);
  note::SignerKey other = a.log_key;
  other.key_pair = TestKey(77);
  server.Serve(b.entries, SignCheckpoint(b.entries, other));
  VerifyReport r = MonitorOnce(LiveOptions(server, vkey, state));
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  EXPECT_TRUE(r.evidence.empty());
}

TEST_F(LiveTest, AMalformedStateFileIsRefusedNotOverwritten) {
  BuiltLog log = Build(Stage::kProposals);
  const std::string state = tmp_.Sub("monitor.state");
  WriteFile(state, "{\"format\": \"something else\"}");
  FakeTileServer server;
  server.Serve(log.entries, SignCheckpoint(log.entries, log.log_key));
  VerifyReport r = MonitorOnce(LiveOptions(server, VkeyOf(log.log_key), state));
  EXPECT_EQ(r.exit_code, kExitUnusable) << Describe(r);
  EXPECT_EQ(ReadFile(state), "{\"format\": \"something else\"}");
}

// ---------------------------------------------------------------------------
// Witness quorum.

TEST_F(LiveTest, QuorumMetListsTheCosigners) {
  BuiltLog log = Build(Stage::kProposals);
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  FakeTileServer server;
  server.Serve(log.entries, Cosign(SignCheckpoint(log.entries, log.log_key),
                                   {&audit, &renda}));
  MonitorOptions o = LiveOptions(server, VkeyOf(log.log_key));
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 2;
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  ASSERT_TRUE(r.witnesses);
  ASSERT_EQ(r.witnesses->cosigners.size(), 2u);
  EXPECT_EQ(r.witnesses->cosigners[0].name, "sjj.qinghe.example/witness");
  EXPECT_EQ(r.witnesses->cosigners[0].timestamp, 1767225600u);
  EXPECT_EQ(r.witnesses->cosigners[1].name, "rd.shi.example/witness");
  const std::string text = ReportToText(r);
  EXPECT_NE(text.find("2 of 2 cosigned"), std::string::npos) << text;
  EXPECT_NE(text.find("2026-01-01 08:00:00 CST"), std::string::npos) << text;
  auto j = nlohmann::json::parse(ReportToJson(r));
  EXPECT_EQ(j["witnesses"]["cosigners"][1]["name"], "rd.shi.example/witness");
  EXPECT_EQ(j["witnesses"]["cosigners"][0]["keyId"].get<std::string>().size(),
            8u);
}

TEST_F(LiveTest, QuorumNotMetIsInvalidAndNamesWhoSigned) {
  BuiltLog log = Build(Stage::kProposals);
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  const std::string cosigned =
      Cosign(SignCheckpoint(log.entries, log.log_key), {&audit});
  FakeTileServer server;
  server.Serve(log.entries, cosigned);
  MonitorOptions o = LiveOptions(server, VkeyOf(log.log_key));
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 2;
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
  EXPECT_NE(r.failure->message.find("signed: sjj.qinghe.example/witness"),
            std::string::npos)
      << r.failure->message;
  EXPECT_NE(r.failure->message.find("not signed: rd.shi.example/witness"),
            std::string::npos)
      << r.failure->message;
  // One of the two is enough when the quorum is 1.
  o.verify.witness_quorum = 1;
  EXPECT_EQ(MonitorOnce(o).exit_code, kExitValid);

  // The same for an export bundle carrying the cosigned checkpoint.
  const std::string bundle = tmp_.Sub("log.bundle");
  WriteBundleFile(bundle, log.entries, cosigned);
  VerifyOptions v;
  v.path = bundle;
  v.vkey = VkeyOf(log.log_key);
  v.quiet = true;
  v.witnesses = {audit.vkey, renda.vkey};
  v.witness_quorum = 2;
  VerifyReport offline = Verify(v);
  EXPECT_EQ(offline.exit_code, kExitInvalid) << Describe(offline);
  ASSERT_TRUE(offline.failure);
  EXPECT_EQ(offline.failure->check, "witness");
  v.witness_quorum = 1;
  EXPECT_EQ(Verify(v).exit_code, kExitValid);
}

// Right after a new checkpoint its cosignatures are still on the way: a
// verifier requiring a quorum asks again (bounded) before judging.
TEST_F(LiveTest, AQuorumIsAwaitedBrieflyAfterANewCheckpoint) {
  BuiltLog log = Build(Stage::kProposals);
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  const std::string plain = SignCheckpoint(log.entries, log.log_key);
  FakeTileServer server;
  server.Serve(log.entries, plain);
  int fetches = 0;
  MonitorOptions o = LiveOptions(server, VkeyOf(log.log_key));
  // The witnesses answer between the second and the third fetch.
  o.verify.fetch = [&](const std::string& path, size_t) -> Result<FetchReply> {
    if (path == "checkpoint" && ++fetches == 3) {
      server.Serve(log.entries, Cosign(plain, {&audit, &renda}));
    }
    return server.Get(path);
  };
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 2;
  o.witness_wait = std::chrono::seconds(20);
  o.witness_poll = std::chrono::milliseconds(10);
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  EXPECT_EQ(fetches, 3);
  ASSERT_TRUE(r.witness_wait_seconds);
  EXPECT_TRUE(r.witness_wait_met);
  ASSERT_TRUE(r.witnesses);
  EXPECT_EQ(r.witnesses->cosigners.size(), 2u);
  EXPECT_NE(ReportToText(r).find("for the witnesses to cosign the log's "
                                 "newest checkpoint (the quorum came)"),
            std::string::npos)
      << ReportToText(r);
  EXPECT_TRUE(nlohmann::json::parse(ReportToJson(r))["witnessWait"]["met"]);
}

TEST_F(LiveTest, AQuorumStillMissingAfterTheWaitIsInvalidAndSaysSo) {
  BuiltLog log = Build(Stage::kProposals);
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  FakeTileServer server;
  server.Serve(log.entries,
               Cosign(SignCheckpoint(log.entries, log.log_key), {&audit}));
  MonitorOptions o = LiveOptions(server, VkeyOf(log.log_key));
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 2;
  o.witness_wait = std::chrono::milliseconds(300);
  o.witness_poll = std::chrono::milliseconds(20);
  const auto start = std::chrono::steady_clock::now();
  VerifyReport r = MonitorOnce(o);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(10)) << "the wait is bounded";
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
  EXPECT_NE(r.failure->message.find("waited 0.3 s for more cosignatures"),
            std::string::npos)
      << r.failure->message;
  EXPECT_NE(ReportToText(r).find("the quorum did not come in that time"),
            std::string::npos);
  // No wait asked for: judged at once.
  o.witness_wait = std::chrono::milliseconds(0);
  VerifyReport at_once = MonitorOnce(o);
  EXPECT_EQ(at_once.exit_code, kExitInvalid);
  EXPECT_FALSE(at_once.witness_wait_seconds);
}

TEST_F(LiveTest, ASplitViewIsRefusedByAQuorumRequiringVerifier) {
  // The witnesses saw and cosigned log A. The operator shows another
  // verifier log B of the same size, signed by the log key, with A's
  // cosignature lines copied onto it: they do not verify for B.
  BuiltLog a = Build(Stage::kProposals);
  BuiltLog b = Build(Stage::kProposals);
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  const std::string a_note =
      Cosign(SignCheckpoint(a.entries, a.log_key), {&audit, &renda});
  const std::string b_plain = SignCheckpoint(b.entries, b.log_key);
  std::string copied_lines;
  std::stringstream lines(a_note.substr(a_note.find("\n\n") + 2));
  for (std::string line; std::getline(lines, line);) {
    if (line.find("witness") != std::string::npos) copied_lines += line + "\n";
  }
  auto b_note = cosignature::AppendLines(b_plain, copied_lines);
  ASSERT_TRUE(b_note.ok()) << b_note.status().ToString();

  FakeTileServer server;
  server.Serve(b.entries, *b_note);
  MonitorOptions o = LiveOptions(server, VkeyOf(a.log_key));
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 1;
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
  // Without a quorum the split view verifies: the log key alone vouches.
  o.verify.witnesses.clear();
  o.verify.witness_quorum = 0;
  EXPECT_EQ(MonitorOnce(o).exit_code, kExitValid);
  // And the log the witnesses saw verifies with the quorum.
  server.Serve(a.entries, a_note);
  o.verify.witnesses = {audit.vkey, renda.vkey};
  o.verify.witness_quorum = 2;
  EXPECT_EQ(MonitorOnce(o).exit_code, kExitValid);
}

TEST_F(LiveTest, AProofBundleCarriesItsCheckpointsCosignatures) {
  const std::string data = tmp_.Sub("data");
  cli::DataDir dir(data);
  std::string vkey;
  uint64_t record = 0;
  {
    CycleBuilder builder(dir.ledger_path());
    ASSERT_TRUE(builder.BuildThrough(Stage::kProposals).ok());
    record = builder.refs().barriers;
    vkey = VkeyOf(builder.log_key());
    std::filesystem::create_directories(dir.keys_path());
    ASSERT_TRUE(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()).ok());
  }
  const std::string plain = tmp_.Sub("plain.proof");
  std::ostringstream out;
  ASSERT_TRUE(cli::Prove({data, record, plain, {}}, out).ok());
  // The proof's checkpoint as a witness cosigned it (members keep their
  // order: the format fixes it).
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  Witness renda = MakeWitness("rd.shi.example/witness", 42);
  auto j = nlohmann::ordered_json::parse(ReadFile(plain));
  j["checkpoint"] = Cosign(j["checkpoint"].get<std::string>(), {&audit});
  const std::string proof = tmp_.Sub("cosigned.proof");
  WriteFile(proof, j.dump());

  VerifyOptions v;
  v.path = proof;
  v.vkey = vkey;
  v.quiet = true;
  v.witnesses = {audit.vkey, renda.vkey};
  v.witness_quorum = 2;
  VerifyReport r = VerifyProofBundle(v);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
  v.witness_quorum = 1;
  r = VerifyProofBundle(v);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  ASSERT_TRUE(r.witnesses);
  ASSERT_EQ(r.witnesses->cosigners.size(), 1u);
  EXPECT_EQ(r.witnesses->cosigners[0].name, "sjj.qinghe.example/witness");
  // The plain proof has no cosignature at all.
  v.path = plain;
  EXPECT_EQ(VerifyProofBundle(v).exit_code, kExitInvalid);
}

TEST_F(LiveTest, ADataDirectorysCosignedCheckpointCountsForTheQuorum) {
  const std::string ledger_dir = tmp_.Sub("ledger");
  std::string vkey;
  std::string plain;
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  {
    CycleBuilder builder(ledger_dir);
    ASSERT_TRUE(builder.BuildThrough(Stage::kProposals).ok());
    vkey = VkeyOf(builder.log_key());
    auto signed_note = builder.ledger().SignCheckpoint();
    ASSERT_TRUE(signed_note.ok());
    plain = *signed_note;
  }
  VerifyOptions v;
  v.path = ledger_dir;
  v.vkey = vkey;
  v.quiet = true;
  v.witnesses = {audit.vkey};
  VerifyReport before = Verify(v);
  EXPECT_EQ(before.exit_code, kExitInvalid) << Describe(before);
  // What the server stores once a witness has cosigned ("c/cosigned").
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), ledger_dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), "c/cosigned", Cosign(plain, {&audit}))
            .ok());
  }
  VerifyReport after = Verify(v);
  EXPECT_EQ(after.exit_code, kExitValid) << Describe(after);
  ASSERT_TRUE(after.witnesses);
  EXPECT_EQ(after.witnesses->cosigners.size(), 1u);
}

TEST_F(LiveTest, WitnessOptionsAreChecked) {
  Witness audit = MakeWitness("sjj.qinghe.example/witness", 41);
  EXPECT_FALSE(ParseWitnessPolicy({audit.vkey, audit.vkey}, 2).ok());
  EXPECT_FALSE(ParseWitnessPolicy({audit.vkey}, 2).ok());
  EXPECT_FALSE(ParseWitnessPolicy({}, 1).ok());
  BuiltLog log = Build(Stage::kDeployment);
  // A log's own key (type 0x01) is not a witness key.
  EXPECT_FALSE(ParseWitnessPolicy({VkeyOf(log.log_key)}, 1).ok());
  auto all = ParseWitnessPolicy({audit.vkey}, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->quorum, 1u);
}

// ---------------------------------------------------------------------------
// A real `piaojue serve` on a loopback port.

// A CLI data directory holding the fixture's cycle through `stage`, with the
// log key where the server finds it. Returns the verifier key.
std::string MakeDataDir(const std::string& data, Stage stage) {
  cli::DataDir dir(data);
  CycleBuilder builder(dir.ledger_path());
  EXPECT_TRUE(builder.BuildThrough(stage).ok());
  std::filesystem::create_directories(dir.keys_path());
  EXPECT_TRUE(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()).ok());
  return VkeyOf(builder.log_key());
}

// Starts a server on `data` and waits until it serves a checkpoint of its
// whole log.
std::unique_ptr<server::Server> StartServer(const std::string& data,
                                            std::string* url) {
  server::ServerOptions options;
  options.data_dir = data;
  options.port = 0;
  auto s = server::Server::Start(options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  *url = "http://127.0.0.1:" + std::to_string((*s)->port()) + "/tlog";
  auto fetcher = HttpFetcher::Create(*url);
  EXPECT_TRUE(fetcher.ok());
  for (int i = 0; i < 200; ++i) {
    auto r = (*fetcher)->Get("checkpoint", 1 << 20);
    if (r.ok() && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return std::move(*s);
}

TEST_F(LiveTest, LiveVerdictOverHttpEqualsTheExportedBundleVerdict) {
  const std::string data = tmp_.Sub("data");
  const std::string vkey = MakeDataDir(data, Stage::kProgress);
  std::string url;
  auto server = StartServer(data, &url);
  ASSERT_TRUE(server);

  RunResult live = RunVerifyBinary({url, "--vkey", vkey, "--json"}, tmp_);
  EXPECT_EQ(live.exit_code, kExitValid) << live.out << live.err;

  // `piaojue export` while the server holds the store.
  const std::string bundle = tmp_.Sub("live.bundle");
  std::ostringstream out;
  Status exported = cli::Export({data, bundle}, out);
  ASSERT_TRUE(exported.ok()) << exported.ToString();
  RunResult offline = RunVerifyBinary({bundle, "--vkey", vkey, "--json"}, tmp_);
  EXPECT_EQ(offline.exit_code, kExitValid) << offline.out;

  auto lj = nlohmann::json::parse(live.out, nullptr, false);
  auto oj = nlohmann::json::parse(offline.out, nullptr, false);
  ASSERT_TRUE(lj.is_object()) << live.out;
  ASSERT_TRUE(oj.is_object()) << offline.out;
  EXPECT_EQ(lj["verdict"], oj["verdict"]);
  EXPECT_EQ(lj["entries"], oj["entries"]);
  EXPECT_EQ(lj["root"], oj["root"]);
  EXPECT_EQ(lj["origin"], oj["origin"]);
  EXPECT_EQ(lj["recount"], oj["recount"]);
  server->Shutdown();
}

TEST_F(LiveTest, ExportWhileTheWriterAppendsIsAlwaysAValidBundle) {
  // The writer (here in-process, holding the store's lock like `piaojue
  // serve`) keeps appending and signing checkpoints while exports run.
  const std::string data = tmp_.Sub("data");
  cli::DataDir dir(data);
  CycleBuilder builder(dir.ledger_path());
  ASSERT_TRUE(builder.BuildThrough(Stage::kProposals).ok());
  ASSERT_TRUE(builder.ledger().SignCheckpoint().ok());
  std::filesystem::create_directories(dir.keys_path());
  ASSERT_TRUE(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()).ok());
  const std::string vkey = VkeyOf(builder.log_key());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (Stage s : {Stage::kMerged, Stage::kGovernmentReview,
                    Stage::kPartyCommittee, Stage::kStandingCommittee,
                    Stage::kCandidateList, Stage::kVotingRules}) {
      EXPECT_TRUE(builder.BuildThrough(s).ok());
      EXPECT_TRUE(builder.ledger().SignCheckpoint().ok());
    }
    done = true;
  });
  std::set<uint64_t> sizes;
  for (int i = 0; i < 50 && (i < 3 || !done); ++i) {
    const std::string bundle = tmp_.Sub("export-" + std::to_string(i));
    std::ostringstream out;
    Status exported = cli::Export({data, bundle}, out);
    ASSERT_TRUE(exported.ok()) << exported.ToString();
    VerifyReport r = VerifyPath(bundle, vkey);
    EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
    sizes.insert(r.entries);
  }
  writer.join();
  EXPECT_GE(sizes.size(), 1u);
}

TEST_F(LiveTest, TheBinaryReportsARewriteBetweenTwoRunsWithExitFour) {
  const std::string honest = tmp_.Sub("honest");
  const std::string rewritten = tmp_.Sub("rewritten");
  const std::string vkey = MakeDataDir(honest, Stage::kProposals);
  ASSERT_EQ(MakeDataDir(rewritten, Stage::kMerged), vkey);
  const std::string state = tmp_.Sub("auditor.state");
  {
    std::string url;
    auto server = StartServer(honest, &url);
    ASSERT_TRUE(server);
    RunResult first =
        RunVerifyBinary({url, "--vkey", vkey, "--state", state}, tmp_);
    EXPECT_EQ(first.exit_code, kExitValid) << first.out << first.err;
    server->Shutdown();
  }
  const std::string remembered = ReadFile(state);
  {
    // The operator replaces the log with another history under the same
    // key and serves it at a new address.
    std::string url;
    auto server = StartServer(rewritten, &url);
    ASSERT_TRUE(server);
    RunResult second =
        RunVerifyBinary({url, "--vkey", vkey, "--state", state}, tmp_);
    EXPECT_EQ(second.exit_code, kExitInconsistent) << second.out << second.err;
    EXPECT_EQ(second.out.rfind("INCONSISTENT: " + url, 0), 0u) << second.out;
    EXPECT_NE(second.out.find("evidence"), std::string::npos) << second.out;
    server->Shutdown();
  }
  EXPECT_EQ(ReadFile(state), remembered);
  EXPECT_EQ(EvidenceFiles(state).size(), 2u);
}

TEST_F(LiveTest, HttpsWithoutTlsServerFailsToConnectAsUnusable) {
  // Plain HTTP on the port: a TLS client must not fall back to it.
  const std::string data = tmp_.Sub("data");
  const std::string vkey = MakeDataDir(data, Stage::kDeployment);
  std::string url;
  auto server = StartServer(data, &url);
  ASSERT_TRUE(server);
  const std::string https = "https" + url.substr(4);
  RunResult r = RunVerifyBinary({https, "--vkey", vkey}, tmp_);
  EXPECT_EQ(r.exit_code, kExitUnusable) << r.out;
  EXPECT_NE(r.out.find("CANNOT VERIFY"), std::string::npos) << r.out;
  server->Shutdown();
}

}  // namespace
}  // namespace piaojue::verifier
