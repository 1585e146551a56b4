// piaojue-verify as an auditor meets it: the binary's exit codes and
// summaries, --json, --explain with inclusion proofs, damaged bundles, and
// offline proof bundles (piaojue-proof/2).
#include <nlohmann/json.hpp>

#include "ledger/merkle.h"
#include "tests/cycle_builder.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/proof_bundle.h"
#include "verifier/verify.h"

namespace piaojue::verifier {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using piaojue::testing::CycleBuilder;
using piaojue::testing::TestKey;
using Stage = CycleBuilder::Stage;
using namespace piaojue::verifier::testing;

crypto::Hash HashFromHex(const std::string& hex) {
  crypto::Hash h{};
  EXPECT_TRUE(crypto::FromHex(hex, h).ok()) << hex;
  return h;
}

class VerifyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto().ok());
    builder_ = std::make_unique<CycleBuilder>(tmp_.Sub("data"));
    Status s = builder_->BuildThrough(Stage::kResultAnnounced);
    ASSERT_TRUE(s.ok()) << s.ToString();
    entries_ = ReadEntries(builder_->ledger());
    vkey_ = note::FormatVerifierKey(builder_->log_key().name,
                                    builder_->log_key().key_pair.public_key);
    honest_ = tmp_.Sub("honest.bundle");
    WriteBundleFile(honest_, entries_,
                    SignCheckpoint(entries_, builder_->log_key()));
  }

  RunResult Run(std::vector<std::string> args) {
    return RunVerifyBinary(args, tmp_);
  }

  // A bundle whose entry `k` was re-signed by an unregistered key.
  std::string Forged(uint64_t k) {
    std::vector<std::string> forged = entries_;
    forged[k] = Resign(forged[k], TestKey(77));
    const std::string path = tmp_.Sub("forged.bundle");
    forged = Rechain(forged, k);
    WriteBundleFile(path, forged, SignCheckpoint(forged, builder_->log_key()));
    return path;
  }

  // The proof bundle of `record` against a fresh checkpoint of the ledger,
  // as `piaojue prove` writes it.
  std::string ProofBundle(uint64_t record) {
    ledger::Ledger& ledger = builder_->ledger();
    auto note_text = ledger.SignCheckpoint();
    EXPECT_TRUE(note_text.ok());
    ProofSource src;
    src.size = ledger.size();
    src.checkpoint = *note_text;
    src.for_each_entry = [&](const auto& fn) {
      return ledger.ForEachEntry(0, src.size, fn);
    };
    src.read_entry = [&](uint64_t index) { return ledger.ReadEntry(index); };
    src.inclusion = [&](uint64_t index) {
      return ledger.InclusionProof(index, src.size);
    };
    auto bundle = BuildProofBundle(record, src);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    return bundle.ok() ? *bundle : "";
  }

  TempDir tmp_;
  std::unique_ptr<CycleBuilder> builder_;
  std::vector<std::string> entries_;
  std::string vkey_;
  std::string honest_;
};

// ---------------------------------------------------------------------------
// Exit codes and summaries

TEST_F(VerifyCliTest, HonestBundleExitsZeroAndSaysValid) {
  RunResult r = Run({honest_, "--vkey", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("VALID: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("[pinned with --vkey]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("RECOUNT"), std::string::npos) << r.out;
  // stderr is not a terminal here: no progress line, nothing at all.
  EXPECT_EQ(r.err, "");
}

TEST_F(VerifyCliTest, HonestStoreExitsZero) {
  ASSERT_TRUE(builder_->ledger().SignCheckpoint().ok());
  builder_->Close();
  RunResult r = Run({builder_->dir(), "--vkey", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("checkpoint  store size " +
                       std::to_string(entries_.size()) + ": ok"),
            std::string::npos)
      << r.out;
}

TEST_F(VerifyCliTest, ForgeryExitsOneAndNamesTheEntry) {
  const uint64_t k = builder_->refs().tally;
  RunResult r = Run({Forged(k), "--vkey", vkey_});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("INVALID: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("FIRST FAILURE at entry " + std::to_string(k) +
                       " [authorization]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("result: INVALID"), std::string::npos) << r.out;
}

TEST_F(VerifyCliTest, JsonHasTheFullReport) {
  const uint64_t k = builder_->refs().tally;
  RunResult bad = Run({Forged(k), "--vkey", vkey_, "--json"});
  EXPECT_EQ(bad.exit_code, 1);
  json j = json::parse(bad.out);
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["exitCode"], 1);
  EXPECT_EQ(j["failure"]["index"], k);
  EXPECT_EQ(j["failure"]["check"], "authorization");
  EXPECT_FALSE(j["failure"]["message"].get<std::string>().empty());

  RunResult good = Run({honest_, "--vkey", vkey_, "--json"});
  EXPECT_EQ(good.exit_code, 0);
  j = json::parse(good.out);
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["pinned"], true);
  EXPECT_EQ(j["checkpointKey"], vkey_);
  EXPECT_EQ(j["entries"], entries_.size());
  EXPECT_EQ(j["origin"], piaojue::testing::kOrigin);
  EXPECT_EQ(j["root"],
            crypto::ToHex(crypto::AsBytes(RootOf(entries_, entries_.size()))));
  ASSERT_EQ(j["checkpoints"].size(), 1u);
  EXPECT_EQ(j["checkpoints"][0]["ok"], true);
  EXPECT_EQ(j["checkpoints"][0]["source"], "bundle");
  EXPECT_FALSE(j.contains("failure"));
  ASSERT_EQ(j["recount"].size(), 1u);
  EXPECT_EQ(j["recount"][0]["round"], builder_->refs().round);
  EXPECT_EQ(j["recount"][0]["matchesPublished"], true);
}

TEST_F(VerifyCliTest, UnreadableInputOrBadUsageExitsTwo) {
  const std::string garbage = tmp_.Sub("garbage.bin");
  WriteFile(garbage, "this is not a ledger\n");
  const std::string empty = tmp_.Sub("empty.bin");
  WriteFile(empty, "");
  const std::vector<std::vector<std::string>> cases = {
      {},                                             // no PATH
      {tmp_.Sub("no-such-file")},                     // missing
      {garbage},                                      // not a bundle
      {empty},                                        // empty file
      {tmp_.path()},                                  // a directory, no ledger
      {honest_, "--no-such-flag"},                    // unknown option
      {honest_, "--vkey", "not a key"},               // malformed key
      {honest_, "--checkpoint", tmp_.Sub("nofile")},  // missing checkpoint
      {honest_, "--as-of", "many"},                   // not a number
  };
  for (const auto& args : cases) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  }
  RunResult missing = Run({tmp_.Sub("no-such-file")});
  EXPECT_EQ(missing.out.rfind("CANNOT VERIFY ", 0), 0u) << missing.out;
  EXPECT_EQ(Run({"--help"}).exit_code, 0);
}

// ---------------------------------------------------------------------------
// Damaged bundles: the magic is right, the body is not.

TEST_F(VerifyCliTest, BundleCutInsideAnEntryIsInvalidAtThatEntry) {
  const std::string bytes = ReadFile(honest_);
  // Where entry k starts: after the header and the entries before it.
  const uint64_t k = 20;
  size_t at = ledger::kBundleMagic.size();
  at += 4 + SignCheckpoint(entries_, builder_->log_key()).size() + 8;
  for (uint64_t i = 0; i < k; ++i) at += 2 + entries_[i].size();
  const std::string cut = tmp_.Sub("cut.bundle");
  WriteFile(cut, bytes.substr(0, at + 2 + 10));
  VerifyReport report = VerifyPath(cut, vkey_);
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->check, "bundle");
  EXPECT_EQ(report.failure->index, k);
  // Where the file ends, and in which entry.
  EXPECT_NE(report.failure->message.find("bundle truncated at byte " +
                                         std::to_string(at + 2) +
                                         " while reading entry 20"),
            std::string::npos)
      << Describe(report);
  EXPECT_EQ(Run({cut, "--vkey", vkey_}).exit_code, 1);

  const std::string trailing = tmp_.Sub("trailing.bundle");
  WriteFile(trailing, bytes + "x");
  VerifyReport extra = VerifyPath(trailing, vkey_);
  EXPECT_EQ(extra.exit_code, 1) << Describe(extra);
  ASSERT_TRUE(extra.failure.has_value());
  EXPECT_EQ(extra.failure->check, "bundle");
  EXPECT_EQ(extra.failure->index, entries_.size());
}

// ---------------------------------------------------------------------------
// --explain

TEST_F(VerifyCliTest, ExplainPrintsTheAuditTrailWithInclusionProofs) {
  const auto& refs = builder_->refs();
  RunResult r = Run({honest_, "--vkey", vkey_, "--json", "--explain",
                     std::to_string(refs.canteen)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json explain = json::parse(r.out)["explain"];
  EXPECT_EQ(explain["record"], refs.canteen);
  EXPECT_EQ(explain["treeSize"], entries_.size());
  const crypto::Hash root = HashFromHex(explain["root"]);
  EXPECT_EQ(root, RootOf(entries_, entries_.size()));
  std::set<uint64_t> indices;
  for (const json& e : explain["entries"]) {
    const uint64_t index = e["index"].get<uint64_t>();
    indices.insert(index);
    EXPECT_EQ(e["inclusionVerified"], true);
    // Check each proof here too, from the JSON alone.
    std::vector<crypto::Hash> proof;
    for (const json& h : e["inclusionProof"]) proof.push_back(HashFromHex(h));
    EXPECT_TRUE(merkle::VerifyInclusion(HashFromHex(e["leafHash"]), index,
                                        entries_.size(), proof, root)
                    .ok())
        << index;
    EXPECT_EQ(e["leafHash"], crypto::ToHex(crypto::AsBytes(merkle::LeafHash(
                                 crypto::AsBytes(entries_[index])))));
  }
  // The proposal itself, each screening stage that decided on it, the
  // candidate list, the round, the tally and the result name it.
  EXPECT_TRUE(indices.count(refs.canteen));
  EXPECT_EQ(explain["entries"][0]["relation"], "created");
  for (uint64_t s : refs.screening.at(refs.canteen)) {
    if (s) {
      EXPECT_TRUE(indices.count(s)) << s;
    }
  }
  EXPECT_TRUE(indices.count(refs.candidate_list));
  EXPECT_TRUE(indices.count(refs.round));
  EXPECT_TRUE(indices.count(refs.tally));
  EXPECT_TRUE(indices.count(refs.result));
  EXPECT_FALSE(indices.count(refs.stadium));

  RunResult text = Run(
      {honest_, "--vkey", vkey_, "--explain", std::to_string(refs.canteen)});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(
      text.out.find("AUDIT TRAIL of record " + std::to_string(refs.canteen)),
      std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("entry " + std::to_string(refs.canteen) +
                          " proposalSubmitted (created)"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("inclusion proof (verified):"), std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("NOT verified"), std::string::npos) << text.out;
}

// A project's trail follows the reference chain: its rectification order and
// the reports on that order (which name the order, not the project); a
// merged proposal's trail leads to what it was merged into and that record's
// outcome (issue 10). Checked for --explain and for a proof bundle.
TEST_F(VerifyCliTest, TrailsFollowRectificationOrdersAndMerges) {
  // The whole cycle, through the rectification.
  builder_ = std::make_unique<CycleBuilder>(tmp_.Sub("all"));
  ASSERT_OK(builder_->BuildAll());
  entries_ = ReadEntries(builder_->ledger());
  vkey_ = note::FormatVerifierKey(builder_->log_key().name,
                                  builder_->log_key().key_pair.public_key);
  honest_ = tmp_.Sub("all.bundle");
  WriteBundleFile(honest_, entries_,
                  SignCheckpoint(entries_, builder_->log_key()));
  const auto& refs = builder_->refs();
  auto trail_of = [&](uint64_t record) {
    RunResult r = Run({honest_, "--vkey", vkey_, "--json", "--explain",
                       std::to_string(record)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::set<uint64_t> indices;
    const json report = json::parse(r.out);
    for (const json& e : report["explain"]["entries"]) {
      indices.insert(e["index"].get<uint64_t>());
    }
    return indices;
  };
  const auto project = trail_of(refs.barriers);

  EXPECT_TRUE(project.count(refs.rectification));
  EXPECT_TRUE(project.count(refs.rectification_report));

  const auto merged = trail_of(refs.lights_east);
  EXPECT_TRUE(merged.count(refs.lights));
  EXPECT_TRUE(merged.count(refs.candidate_list));
  EXPECT_TRUE(merged.count(refs.result)) << "the outcome of the merged record";
  EXPECT_FALSE(merged.count(refs.canteen));  // not another proposal

  const std::string path = tmp_.Sub("barriers.proof");
  WriteFile(path, ProofBundle(refs.barriers));
  VerifyReport report = VerifyProofPath(path, vkey_);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
  std::set<uint64_t> bundled;
  const json bundle_report = json::parse(ReportToJson(report));
  for (const json& e : bundle_report["explain"]["entries"]) {
    bundled.insert(e["index"].get<uint64_t>());
  }
  EXPECT_TRUE(bundled.count(refs.rectification_report));
  EXPECT_EQ(bundled, project);
}

// ---------------------------------------------------------------------------
// Offline proof bundles

TEST_F(VerifyCliTest, ProofBundleVerifiesOfflineWithThePinnedKey) {
  const auto& refs = builder_->refs();
  const std::string path = tmp_.Sub("canteen.proof");
  WriteFile(path, ProofBundle(refs.canteen));

  VerifyReport report = VerifyProofPath(path, vkey_);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
  EXPECT_TRUE(report.pinned);
  EXPECT_EQ(report.entries, builder_->ledger().size());
  json trail = json::parse(ReportToJson(report))["explain"]["entries"];
  std::set<uint64_t> indices;
  for (const json& e : trail) indices.insert(e["index"].get<uint64_t>());
  EXPECT_TRUE(indices.count(refs.canteen));
  EXPECT_TRUE(indices.count(refs.tally));

  RunResult r = Run({path, "--vkey", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("VALID: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("the checkpoint covers (inclusion, signatures"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("entry " + std::to_string(refs.canteen) +
                       " proposalSubmitted (created)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("inclusion proof (verified):"), std::string::npos)
      << r.out;

  // Another key: the checkpoint is not the congress's.
  const std::string other =
      note::FormatVerifierKey(builder_->log_key().name, TestKey(99).public_key);
  RunResult wrong = Run({path, "--vkey", other});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
}

TEST_F(VerifyCliTest, ProofBundleWithAnAlteredEntryOrProofFails) {
  const auto& refs = builder_->refs();
  // Edited with its members kept in order (the format fixes the order).
  const ordered_json bundle = ordered_json::parse(ProofBundle(refs.canteen));
  // The bundle entry that holds the tally.
  size_t n = 0;
  while (bundle["entries"][n]["index"] != refs.tally) ++n;

  {  // One byte of the tally entry changed.
    ordered_json altered = bundle;
    auto bytes =
        crypto::Base64Decode(altered["entries"][n]["entry"].get<std::string>());
    ASSERT_TRUE(bytes.ok());
    std::string b = *bytes;
    b[b.size() - 30] ^= 0x01;
    altered["entries"][n]["entry"] = crypto::Base64Encode(crypto::AsBytes(b));
    const std::string path = tmp_.Sub("altered-entry.proof");
    WriteFile(path, altered.dump());
    VerifyReport report = VerifyProofPath(path, vkey_);
    EXPECT_EQ(report.exit_code, 1) << Describe(report);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->index, refs.tally);
    EXPECT_EQ(Run({path, "--vkey", vkey_}).exit_code, 1);
  }
  {  // One hash of its inclusion proof changed.
    ordered_json altered = bundle;
    auto hash = crypto::Base64Decode(
        altered["entries"][n]["proof"][0].get<std::string>());
    ASSERT_TRUE(hash.ok());
    std::string h = *hash;
    h[0] ^= 0x01;
    altered["entries"][n]["proof"][0] =
        crypto::Base64Encode(crypto::AsBytes(h));
    const std::string path = tmp_.Sub("altered-proof.proof");
    WriteFile(path, altered.dump());
    VerifyReport report = VerifyProofPath(path, vkey_);
    EXPECT_EQ(report.exit_code, 1) << Describe(report);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->index, refs.tally);
    EXPECT_EQ(report.failure->check, "inclusion");
  }
  {  // The record's own entry left out.
    ordered_json altered = bundle;
    auto& list = altered["entries"];
    for (size_t i = 0; i < list.size(); ++i) {
      if (list[i]["index"] == refs.canteen) {
        list.erase(i);
        break;
      }
    }
    const std::string path = tmp_.Sub("no-record.proof");
    WriteFile(path, altered.dump());
    VerifyReport report = VerifyProofPath(path, vkey_);
    EXPECT_EQ(report.exit_code, 1) << Describe(report);
  }
  {  // Not JSON of the right format at all: cannot verify.
    const std::string path = tmp_.Sub("other.json");
    WriteFile(path, R"({"format": "something-else/1"})");
    EXPECT_EQ(VerifyProofPath(path, vkey_).exit_code, 2);
    EXPECT_EQ(Run({path, "--vkey", vkey_}).exit_code, 2);
  }
}

}  // namespace
}  // namespace piaojue::verifier
