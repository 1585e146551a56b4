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
  Status proved = cli::Prove({data, refs.barriers, proof}, out);
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

}  // namespace
}  // namespace piaojue::verifier
