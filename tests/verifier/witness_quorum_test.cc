// The "done when", end to end with our witness (witness/witness.h):
// two witnesses cosign the log's checkpoint; the operator then rewrites the
// log or shows a split view, and re-signs it with the log key. Each witness
// refuses to cosign it, so a verifier that requires a quorum refuses it too
// — without any checkpoint kept by hand — while the history the witnesses
// saw verifies with both cosigners listed.
#include <gtest/gtest.h>

#include "ledger/cosignature.h"
#include "tests/cycle_builder.h"
#include "tests/verifier/fake_tile_server.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/monitor.h"
#include "witness/client.h"
#include "witness/witness.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using namespace piaojue::verifier::testing;
using Stage = CycleBuilder::Stage;

constexpr uint64_t kNow = 1767225600;  // 2026-01-01 08:00 CST

struct Log {
  std::vector<std::string> entries;
  std::string checkpoint;
  std::string vkey;
};

Log Build(Stage stage) {
  CycleBuilder builder;
  EXPECT_TRUE(builder.BuildThrough(stage).ok());
  Log log;
  log.entries = ReadEntries(builder.ledger());
  log.checkpoint = SignCheckpoint(log.entries, builder.log_key());
  log.vkey = note::FormatVerifierKey(builder.log_key().name,
                                     builder.log_key().key_pair.public_key);
  return log;
}

// The consistency proof between two sizes of `entries`, as the operator
// computes it from its own tree.
std::vector<crypto::Hash> Proof(const std::vector<std::string>& entries,
                                uint64_t old_size) {
  FakeTileServer tiles;
  tiles.Serve(entries, "");
  TileLog log(tiles.AsFetch());
  auto proof = merkle::ConsistencyProof(log.Nodes(entries.size()), old_size,
                                        entries.size());
  EXPECT_TRUE(proof.ok()) << proof.status().ToString();
  return proof.ok() ? *proof : std::vector<crypto::Hash>{};
}

class WitnessQuorumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    honest_ = Build(Stage::kProposals);
    for (const char* name : {"witness.audit.example", "witness.npc.example"}) {
      const std::string dir = tmp_.Sub(name);
      auto vkey = witness::Init(dir, name);
      ASSERT_TRUE(vkey.ok()) << vkey.status().ToString();
      ASSERT_TRUE(witness::AddLog(dir, honest_.vkey).ok());
      auto w = witness::Witness::Open(dir, [] { return kNow; });
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      vkeys_.push_back(*vkey);
      witnesses_.push_back(std::move(w).value());
    }
    // Both witnesses see the honest log first.
    std::string lines;
    for (auto& w : witnesses_) {
      witness::Reply r = w->AddCheckpoint(
          witness::AddCheckpointBody(0, {}, honest_.checkpoint));
      ASSERT_EQ(r.status, 200) << r.body;
      lines += r.body;
    }
    auto cosigned = cosignature::AppendLines(honest_.checkpoint, lines);
    ASSERT_TRUE(cosigned.ok()) << cosigned.status().ToString();
    honest_cosigned_ = *cosigned;
  }

  // What the witnesses answer to `log`'s checkpoint, sent as the log's
  // client does (from the size they hold, with a proof from the log's own
  // tree); the cosignatures they return are attached.
  std::string SendToWitnesses(const Log& log, std::vector<int>* statuses) {
    const uint64_t held = honest_.entries.size();
    const uint64_t size = log.entries.size();
    std::string lines;
    for (auto& w : witnesses_) {
      witness::Reply r = w->AddCheckpoint(witness::AddCheckpointBody(
          held,
          size > held ? Proof(log.entries, held) : std::vector<crypto::Hash>{},
          log.checkpoint));
      statuses->push_back(r.status);
      if (r.status == 200) lines += r.body;
    }
    if (lines.empty()) return log.checkpoint;
    auto cosigned = cosignature::AppendLines(log.checkpoint, lines);
    EXPECT_TRUE(cosigned.ok());
    return *cosigned;
  }

  VerifyReport VerifyServed(const std::vector<std::string>& entries,
                            const std::string& checkpoint, unsigned quorum) {
    FakeTileServer server;
    server.Serve(entries, checkpoint);
    MonitorOptions o;
    o.verify.path = "https://ledger.qinghe.example/piaojue";
    o.verify.vkey = honest_.vkey;
    o.verify.quiet = true;
    o.verify.fetch = server.AsFetch();
    o.verify.witnesses = vkeys_;
    o.verify.witness_quorum = quorum;
    // What is served does not change: judge at once.
    o.witness_wait = std::chrono::milliseconds(0);
    return MonitorOnce(o);
  }

  TempDir tmp_;
  Log honest_;
  std::string honest_cosigned_;
  std::vector<std::string> vkeys_;
  std::vector<std::unique_ptr<witness::Witness>> witnesses_;
};

TEST_F(WitnessQuorumTest, TheHistoryTheWitnessesSawVerifiesWithBothCosigners) {
  VerifyReport r = VerifyServed(honest_.entries, honest_cosigned_, 2);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  ASSERT_TRUE(r.witnesses);
  ASSERT_EQ(r.witnesses->cosigners.size(), 2u);
  EXPECT_EQ(r.witnesses->cosigners[0].name, "witness.audit.example");
  EXPECT_EQ(r.witnesses->cosigners[1].name, "witness.npc.example");
  EXPECT_EQ(r.witnesses->cosigners[1].timestamp, kNow);
}

TEST_F(WitnessQuorumTest, ASplitViewIsRefusedByEachWitnessAndByTheVerifier) {
  Log other = Build(Stage::kProposals);  // same size, another root
  ASSERT_EQ(other.entries.size(), honest_.entries.size());
  std::vector<int> statuses;
  const std::string shown = SendToWitnesses(other, &statuses);
  EXPECT_EQ(statuses, (std::vector<int>{409, 409}));
  VerifyReport r = VerifyServed(other.entries, shown, 1);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
  EXPECT_NE(r.failure->message.find("signed: none"), std::string::npos);
}

TEST_F(WitnessQuorumTest, ARewriteIsRefusedByEachWitnessAndByTheVerifier) {
  Log rewritten = Build(Stage::kMerged);  // longer, another history
  ASSERT_GT(rewritten.entries.size(), honest_.entries.size());
  std::vector<int> statuses;
  const std::string shown = SendToWitnesses(rewritten, &statuses);
  EXPECT_EQ(statuses, (std::vector<int>{422, 422}));
  VerifyReport r = VerifyServed(rewritten.entries, shown, 1);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->check, "witness");
}

TEST_F(WitnessQuorumTest, AnHonestExtensionIsCosignedAndVerifies) {
  // The same builder's log grown: the witnesses cosign, the verifier
  // accepts with both.
  CycleBuilder builder;
  ASSERT_TRUE(builder.BuildThrough(Stage::kProposals).ok());
  // A fresh fixture has other nonces than honest_: give the witnesses this
  // log from the start, in new directories.
  std::vector<std::unique_ptr<witness::Witness>> ws;
  std::vector<std::string> vkeys;
  const std::string vkey = note::FormatVerifierKey(
      builder.log_key().name, builder.log_key().key_pair.public_key);
  for (const char* name : {"witness.audit.example", "witness.npc.example"}) {
    const std::string dir = tmp_.Sub(std::string("grown-") + name);
    auto v = witness::Init(dir, name);
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(witness::AddLog(dir, vkey).ok());
    auto w = witness::Witness::Open(dir, [] { return kNow; });
    ASSERT_TRUE(w.ok());
    vkeys.push_back(*v);
    ws.push_back(std::move(w).value());
  }
  std::vector<std::string> first = ReadEntries(builder.ledger());
  const std::string first_cp = SignCheckpoint(first, builder.log_key());
  for (auto& w : ws) {
    ASSERT_EQ(
        w->AddCheckpoint(witness::AddCheckpointBody(0, {}, first_cp)).status,
        200);
  }
  ASSERT_TRUE(builder.BuildThrough(Stage::kMerged).ok());
  std::vector<std::string> grown = ReadEntries(builder.ledger());
  const std::string grown_cp = SignCheckpoint(grown, builder.log_key());
  std::string lines;
  for (auto& w : ws) {
    witness::Reply r = w->AddCheckpoint(witness::AddCheckpointBody(
        first.size(), Proof(grown, first.size()), grown_cp));
    ASSERT_EQ(r.status, 200) << r.body;
    lines += r.body;
  }
  auto cosigned = cosignature::AppendLines(grown_cp, lines);
  ASSERT_TRUE(cosigned.ok());
  FakeTileServer server;
  server.Serve(grown, *cosigned);
  MonitorOptions o;
  o.verify.path = "https://ledger.qinghe.example/piaojue";
  o.verify.vkey = vkey;
  o.verify.quiet = true;
  o.verify.fetch = server.AsFetch();
  o.verify.witnesses = vkeys;
  VerifyReport r = MonitorOnce(o);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
}

}  // namespace
}  // namespace piaojue::verifier
