// The auditor's real inputs: what `piaojue export` and `piaojue prove`
// write (api/cli/commands.h) must verify with piaojue-verify, pinned to the
// log's key, and a forgery of the exported bundle must not.
#include <filesystem>
#include <sstream>

#include "api/cli/commands.h"
#include "api/cli/data_dir.h"
#include "tests/cycle_builder.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/proof_bundle.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using piaojue::testing::CycleRefs;
using piaojue::testing::TestKey;
using namespace piaojue::verifier::testing;

TEST(CliFlowTest, ExportedBundleAndProofVerifyPinned) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  const std::string data = tmp.Sub("data");
  cli::DataDir dir(data);
  std::string vkey;
  CycleRefs refs;
  {
    // The fixture's cycle in a CLI data directory, with its log key where
    // the CLI keeps it.
    CycleBuilder builder(dir.ledger_path());
    ASSERT_TRUE(builder.BuildThrough(CycleBuilder::Stage::kProgress).ok());
    refs = builder.refs();
    vkey = note::FormatVerifierKey(builder.log_key().name,
                                   builder.log_key().key_pair.public_key);
    std::filesystem::create_directories(dir.keys_path());
    ASSERT_TRUE(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()).ok());
  }
  std::ostringstream out;
  const std::string bundle = tmp.Sub("ledger.bundle");
  Status exported = cli::Export({data, bundle}, out);
  ASSERT_TRUE(exported.ok()) << exported.ToString();
  VerifyReport report = VerifyPath(bundle, vkey);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
  ASSERT_EQ(report.checkpoints.size(), 1u);
  EXPECT_TRUE(report.checkpoints[0].ok);
  EXPECT_EQ(RunVerifyBinary({bundle, "--vkey", vkey}, tmp).exit_code, 0);

  const std::string proof = tmp.Sub("barriers.proof");
  Status proved = cli::Prove({data, refs.barriers, proof, {}}, out);
  ASSERT_TRUE(proved.ok()) << proved.ToString();
  VerifyReport offline = VerifyProofPath(proof, vkey);
  EXPECT_EQ(offline.exit_code, 0) << Describe(offline);
  EXPECT_EQ(RunVerifyBinary({proof, "--vkey", vkey}, tmp).exit_code, 0);

  // The exported bundle with one progress report's entry dropped.
  std::vector<std::string> entries;
  std::string checkpoint;
  ASSERT_TRUE(ledger::ReadBundle(
                  bundle,
                  [&](std::string_view cp, uint64_t) {
                    checkpoint = cp;
                    return Status::Ok();
                  },
                  [&](uint64_t, std::string_view e) {
                    entries.emplace_back(e);
                    return Status::Ok();
                  })
                  .ok());
  const uint64_t k = refs.progress.at(refs.canteen).front();
  entries.erase(entries.begin() + k);
  const std::string forged = tmp.Sub("forged.bundle");
  WriteBundleFile(forged, entries, checkpoint);
  RunResult r = RunVerifyBinary({forged, "--vkey", vkey}, tmp);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FIRST FAILURE at entry " + std::to_string(k)),
            std::string::npos)
      << r.out;
}

// An auditor saved a checkpoint; later the operator proves a record with
// `piaojue prove --since-checkpoint` (a consistency proof from the saved
// checkpoint to the new one), and the auditor checks it with --checkpoint.
TEST(CliFlowTest, ProofSinceACheckpointTheAuditorKept) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  const std::string data = tmp.Sub("data");
  cli::DataDir dir(data);
  const std::string kept = tmp.Sub("kept.checkpoint");
  std::string vkey;
  CycleRefs refs;
  {
    CycleBuilder builder(dir.ledger_path());
    ASSERT_TRUE(builder.BuildThrough(CycleBuilder::Stage::kProposals).ok());
    auto note_text = builder.ledger().SignCheckpoint();
    ASSERT_TRUE(note_text.ok());
    WriteFile(kept, *note_text);
    ASSERT_TRUE(builder.BuildThrough(CycleBuilder::Stage::kProgress).ok());
    refs = builder.refs();
    vkey = note::FormatVerifierKey(builder.log_key().name,
                                   builder.log_key().key_pair.public_key);
    std::filesystem::create_directories(dir.keys_path());
    ASSERT_TRUE(cli::WriteKeyFile(dir.log_key_path(), builder.log_key()).ok());
  }
  std::ostringstream out;
  const std::string plain = tmp.Sub("plain.proof");
  ASSERT_TRUE(cli::Prove({data, refs.barriers, plain, {}}, out).ok());
  // Without the consistency proof the kept checkpoint cannot be used.
  EXPECT_EQ(RunVerifyBinary({plain, "--vkey", vkey, "--checkpoint", kept}, tmp)
                .exit_code,
            kExitUnusable);

  const std::string proof = tmp.Sub("since.proof");
  cli::ProveOptions options{data, refs.barriers, proof, {kept}};
  Status proved = cli::Prove(options, out);
  ASSERT_TRUE(proved.ok()) << proved.ToString();
  EXPECT_NE(out.str().find("consistent with the checkpoint of size"),
            std::string::npos)
      << out.str();
  RunResult r =
      RunVerifyBinary({proof, "--vkey", vkey, "--checkpoint", kept}, tmp);
  EXPECT_EQ(r.exit_code, kExitValid) << r.out;
  EXPECT_NE(r.out.find("ok (consistency proof from"), std::string::npos)
      << r.out;

  // A checkpoint of another log is refused by `prove` itself.
  const std::string foreign = tmp.Sub("foreign.checkpoint");
  note::SignerKey other{"other.example/log", TestKey(99)};
  WriteFile(foreign, SignCheckpoint({"x"}, other));
  cli::ProveOptions bad{data, refs.barriers, tmp.Sub("bad.proof"), {foreign}};
  EXPECT_FALSE(cli::Prove(bad, out).ok());
}

}  // namespace
}  // namespace piaojue::verifier
