// What a pinned verdict means (issue 9, items 1, 2 and 7): pinning the
// checkpoint key with --vkey must mean that a checkpoint signed by that key
// covers every entry checked (or the --as-of prefix, by consistency); a
// verdict without --vkey is "VALID (UNPINNED)" with its own exit code; the
// root of authority is reported and can be pinned with --root-key; and no
// byte in a message can make the JSON report abort.
#include <rocksdb/db.h>

#include <nlohmann/json.hpp>

#include "tests/cycle_builder.h"
#include "tests/failing_reads_fs.h"
#include "tests/full_disk_fs.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/source.h"
#include "verifier/verify.h"

namespace piaojue::verifier {
namespace {

using nlohmann::json;
using piaojue::testing::TestKey;
using namespace piaojue::verifier::testing;

class TrustTest : public ForgeryTest {
 protected:
  VerifyReport VerifyWith(const std::string& path, const std::string& vkey,
                          const std::string& root_key,
                          std::optional<uint64_t> as_of = std::nullopt) {
    VerifyOptions options;
    options.path = path;
    options.vkey = vkey;
    options.root_key = root_key;
    options.as_of = as_of;
    options.quiet = true;
    return Verify(options);
  }

  std::string RootKeyHex() const {
    return crypto::ToHex(crypto::AsBytes(builder_->keys().root.public_key));
  }

  RunResult Run(std::vector<std::string> args) {
    return RunVerifyBinary(args, tmp_);
  }
};

// ---------------------------------------------------------------------------
// 1. --vkey means: covered by a checkpoint signed by the pinned key

TEST_F(TrustTest, PinnedLogWithNoCheckpointIsInvalid) {
  Build(Stage::kProposals);
  const std::string path = tmp_.Sub("no-checkpoint.bundle");
  WriteBundleFile(path, entries_, "");
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, 0, "checkpoint");
  EXPECT_NE(report.failure->message.find("no checkpoint signed by the pinned"),
            std::string::npos)
      << Describe(report);
}

// The attack of issue 9: a log rebuilt under someone else's root and office
// keys, whose genesis names the congress's published checkpoint key (it is
// public), published without a checkpoint (none can be signed without the
// log key). Every entry is consistent with itself.
TEST_F(TrustTest, RebuiltLogWithoutCheckpointIsInvalidWhenPinned) {
  Build(Stage::kProposals);
  const std::string path = tmp_.Sub("rebuilt.bundle");
  WriteBundleFile(path, Rekeyed(vkey_), "");
  ExpectInvalidAt(VerifyPath(path, vkey_), 0, "checkpoint");
  // The same log with the congress's real checkpoint: its root is not the
  // rebuilt log's.
  WriteBundleFile(path, Rekeyed(vkey_),
                  SignCheckpoint(entries_, builder_->log_key()));
  ExpectInvalidAt(VerifyPath(path, vkey_), entries_.size(), "checkpoint");
}

// ... and the real checkpoint declared "beyond --as-of" no longer helps: it
// is checked against the log's later entries (hashed, not checked).
TEST_F(TrustTest, AsOfCannotHideTheRealCheckpointOfARebuiltLog) {
  Build(Stage::kProposals);
  std::vector<std::string> rebuilt = Rekeyed(vkey_);
  // One entry more than the real log, so the real checkpoint is "beyond".
  rebuilt.push_back(rebuilt.back());
  rebuilt = Rechain(rebuilt);
  const std::string path = tmp_.Sub("rebuilt.bundle");
  WriteBundleFile(path, rebuilt, SignCheckpoint(entries_, builder_->log_key()));
  VerifyReport report = VerifyPath(path, vkey_, {}, entries_.size() - 1);
  ExpectInvalidAt(report, entries_.size(), "checkpoint");
}

// The operator deletes the store's checkpoint (c/latest): the entries are
// intact and consistent, but nothing the pinned key signed covers them.
TEST_F(TrustTest, StoreWhoseCheckpointWasDeletedIsInvalidWhenPinned) {
  Build(Stage::kProposals);
  ASSERT_TRUE(builder_->ledger().SignCheckpoint().ok());
  builder_->Close();
  EXPECT_EQ(VerifyPath(builder_->dir(), vkey_).exit_code, kExitValid);
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::Options(), builder_->dir(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), "c/latest").ok());
  }
  ExpectInvalidAt(VerifyPath(builder_->dir(), vkey_), 0, "checkpoint");
  // Unpinned it stays consistent with itself, and says only that.
  EXPECT_EQ(VerifyPath(builder_->dir()).exit_code, kExitValidUnpinned);
}

// A stored checkpoint the disk cannot read is an error of the run, never
// taken for "no checkpoint stored" (then a checkpoint that would have
// refused the log could go unchecked while the run passed).
TEST_F(TrustTest, AStoredCheckpointTheDiskCannotReadIsAnErrorNotAbsence) {
  Build(Stage::kProposals);
  ASSERT_TRUE(builder_->ledger().SignCheckpoint().ok());
  builder_->Close();
  {
    // A writable open moves what the write-ahead log holds into a table
    // file, so the reads below go to the disk, not to a memtable.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::Open(rocksdb::Options(), builder_->dir(), &raw).ok());
    delete raw;
  }
  auto fs = std::make_shared<piaojue::testing::FailingReadsFileSystem>();
  std::unique_ptr<rocksdb::Env> env = piaojue::testing::EnvOn(fs);
  SourceOptions options;
  options.env = env.get();
  int checkpoints = 0;
  SourceCallbacks callbacks;
  callbacks.on_checkpoint = [&](std::string_view) {
    ++checkpoints;
    return Status::Ok();
  };
  callbacks.on_entry = [](uint64_t, std::string_view) { return Status::Ok(); };
  // The head is read first; the disk fails from then on.
  callbacks.on_size_hint = [&](uint64_t) { fs->set_failing(true); };
  const Status s = ReadSource(builder_->dir(), callbacks, options);
  ASSERT_GT(fs->failed_reads(), 0) << "no read reached the disk";
  EXPECT_EQ(s.code(), StatusCode::kIOError) << s.ToString();
  EXPECT_NE(s.message().find("c/latest"), std::string::npos) << s.ToString();
  EXPECT_EQ(checkpoints, 0);

  // Read again with a working disk, the same store has its checkpoint.
  fs->set_failing(false);
  callbacks.on_size_hint = nullptr;
  ASSERT_TRUE(ReadSource(builder_->dir(), callbacks, options).ok());
  EXPECT_EQ(checkpoints, 1);
}

TEST_F(TrustTest, EntriesAfterTheNewestCheckpointAreNotCovered) {
  Build(Stage::kProposals);
  const uint64_t covered = entries_.size() - 3;
  const std::string path = tmp_.Sub("lagging.bundle");
  WriteBundleFile(path, entries_,
                  SignCheckpoint(entries_, builder_->log_key(), covered));
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, covered, "checkpoint");
  EXPECT_NE(report.failure->message.find("--as-of " + std::to_string(covered)),
            std::string::npos)
      << Describe(report);
  // The covered prefix is valid, pinned.
  VerifyReport prefix = VerifyPath(path, vkey_, {}, covered);
  EXPECT_EQ(prefix.exit_code, 0) << Describe(prefix);
}

TEST_F(TrustTest, CheckpointNotSignedByThePinnedKeyDoesNotCover) {
  Build(Stage::kProposals);
  // A rebuilt log naming the congress's key, with a checkpoint by another
  // key: only a checkpoint by the pinned key covers.
  const std::string path = tmp_.Sub("other.bundle");
  note::SignerKey other{builder_->log_key().name, TestKey(99)};
  WriteBundleFile(path, Rekeyed(vkey_), SignCheckpoint(Rekeyed(vkey_), other));
  VerifyReport report = VerifyPath(path, vkey_);
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
}

TEST_F(TrustTest, AsOfPrefixIsCoveredByALargerConsistentCheckpoint) {
  Build(Stage::kProposals);
  const std::string path = Publish(entries_, "honest.bundle");
  const uint64_t prefix = entries_.size() - 4;
  VerifyReport report = VerifyPath(path, vkey_, {}, prefix);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
  EXPECT_EQ(report.entries, prefix);
  ASSERT_EQ(report.checkpoints.size(), 1u);
  EXPECT_TRUE(report.checkpoints[0].ok);
  EXPECT_EQ(report.checkpoints[0].size, entries_.size());
  EXPECT_NE(report.checkpoints[0].message.find("consistent"), std::string::npos)
      << Describe(report);
}

TEST_F(TrustTest, AsOfPrefixWithALaterEntryAlteredIsInvalidAtTheCheckpoint) {
  Build(Stage::kProposals);
  std::vector<std::string> altered = entries_;
  const uint64_t k = entries_.size() - 2;
  altered[k] = Resign(altered[k], TestKey(77));
  altered = Rechain(altered, k);
  const std::string path = tmp_.Sub("altered.bundle");
  // The honest checkpoint, kept by the operator; the entry after --as-of was
  // replaced.
  WriteBundleFile(path, altered, SignCheckpoint(entries_, builder_->log_key()));
  ExpectInvalidAt(VerifyPath(path, vkey_, {}, k), entries_.size(),
                  "checkpoint");
}

TEST_F(TrustTest, UnpinnedValidLogExitsThreeAndSaysSo) {
  Build(Stage::kProposals);
  const std::string path = Publish(entries_, "honest.bundle");
  VerifyReport report = VerifyPath(path);
  EXPECT_EQ(report.exit_code, 3) << Describe(report);
  EXPECT_FALSE(report.failure.has_value());

  RunResult text = Run({path});
  EXPECT_EQ(text.exit_code, 3) << text.out << text.err;
  EXPECT_EQ(text.out.rfind("VALID (UNPINNED): ", 0), 0u) << text.out;
  EXPECT_NE(text.out.find("result: valid, UNPINNED"), std::string::npos)
      << text.out;

  RunResult j = Run({path, "--json"});
  EXPECT_EQ(j.exit_code, 3);
  json report_json = json::parse(j.out);
  EXPECT_EQ(report_json["exitCode"], 3);
  EXPECT_EQ(report_json["verdict"], "VALID (UNPINNED)");
  // A script testing "valid" alone cannot mistake it for a pinned result.
  EXPECT_EQ(report_json["valid"], false);
  EXPECT_EQ(report_json["pinned"], false);

  RunResult pinned = Run({path, "--vkey", vkey_, "--json"});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.out;
  json pinned_json = json::parse(pinned.out);
  EXPECT_EQ(pinned_json["verdict"], "VALID");
  EXPECT_EQ(pinned_json["valid"], true);
}

// ---------------------------------------------------------------------------
// 2. The root of authority: reported, and pinned with --root-key

TEST_F(TrustTest, GenesisRootKeyIsReportedInTextAndJson) {
  Build(Stage::kProposals);
  const std::string path = Publish(entries_, "honest.bundle");
  VerifyReport report = VerifyPath(path, vkey_);
  EXPECT_EQ(report.root_key, RootKeyHex());
  EXPECT_NE(Describe(report).find("root key    " + RootKeyHex()),
            std::string::npos)
      << Describe(report);
  RunResult j = Run({path, "--vkey", vkey_, "--json"});
  json report_json = json::parse(j.out);
  EXPECT_EQ(report_json["rootKey"], RootKeyHex());
  EXPECT_EQ(report_json["rootKeyPinned"], false);
}

TEST_F(TrustTest, PinnedRootKeyIsAcceptedAsHexOrBase64) {
  Build(Stage::kProposals);
  const std::string path = Publish(entries_, "honest.bundle");
  std::string upper = RootKeyHex();
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  const std::string base64 =
      crypto::Base64Encode(crypto::AsBytes(builder_->keys().root.public_key));
  for (const std::string& form : {RootKeyHex(), upper, base64}) {
    SCOPED_TRACE(form);
    VerifyReport report = VerifyWith(path, vkey_, form);
    EXPECT_EQ(report.exit_code, 0) << Describe(report);
    EXPECT_TRUE(report.root_key_pinned);
    EXPECT_NE(Describe(report).find("[pinned with --root-key]"),
              std::string::npos);
  }
  EXPECT_EQ(Run({path, "--vkey", vkey_, "--root-key", RootKeyHex()}).exit_code,
            0);
  // Malformed: a usage error, not a verdict.
  for (const std::string& bad : {std::string("abc"), RootKeyHex().substr(2),
                                 RootKeyHex() + "00", std::string(64, 'g')}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(VerifyWith(path, vkey_, bad).exit_code, 2);
    EXPECT_EQ(Run({path, "--root-key", bad}).exit_code, 2);
  }
}

TEST_F(TrustTest, AnotherRootKeyIsInvalidAtGenesis) {
  Build(Stage::kProposals);
  // A log rebuilt under other keys, with a checkpoint by its own log key:
  // pinning the root key alone catches it at entry 0.
  note::SignerKey forged_log{builder_->log_key().name, TestKey(109)};
  const std::string forged_vkey =
      note::FormatVerifierKey(forged_log.name, forged_log.key_pair.public_key);
  std::vector<std::string> forged = Rekeyed(forged_vkey);
  const std::string path = tmp_.Sub("rekeyed.bundle");
  WriteBundleFile(path, forged, SignCheckpoint(forged, forged_log));
  VerifyReport report = VerifyWith(path, "", RootKeyHex());
  ExpectInvalidAt(report, 0, "root key");
  EXPECT_EQ(report.failure->expected, RootKeyHex());
  EXPECT_EQ(report.failure->found,
            crypto::ToHex(crypto::AsBytes(TestKey(101).public_key)));
  RunResult r = Run({path, "--root-key", RootKeyHex()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FIRST FAILURE at entry 0 [root key]"),
            std::string::npos)
      << r.out;
}

// ---------------------------------------------------------------------------
// 7. --json never aborts, whatever bytes a message carries

TEST_F(TrustTest, JsonReportSurvivesInvalidUtf8InMessages) {
  Build(Stage::kProposals);
  // An entry by a registered key in a jurisdiction whose name is not UTF-8
  // (signed as raw bytes: SignEvent refuses such text): refused at decode.
  std::vector<std::string> forged = entries_;
  const uint64_t k = forged.size();
  forged.push_back(forged.back());
  {
    ledger::EntryView last = Parse(entries_.back());
    capnp::MallocMessageBuilder message;
    auto a = message.initRoot<schema::AuthoredEvent>();
    const auto& office = builder_->keys().office;
    a.setAuthorKey(capnp::Data::Reader(office.public_key.data(), 32));
    std::array<uint8_t, ledger::kNonceSize> nonce;
    nonce.fill(0xee);
    a.setNonce(capnp::Data::Reader(nonce.data(), nonce.size()));
    a.setSignedAtMs(last.recorded_at_ms());
    const std::string jurisdiction = "\xff\xfe\x80县";
    a.setJurisdiction(
        capnp::Text::Reader(jurisdiction.data(), jurisdiction.size()));
    a.setEvent(last.event());
    // Chained to the entry before it: Rechain would have to decode it.
    auto bytes =
        ledger::EncodeEntry(k, crypto::Sha256(crypto::AsBytes(forged[k - 1])),
                            last.recorded_at_ms(),
                            piaojue::testing::SignRaw(
                                office, ledger::CanonicalBytes(a.asReader())));
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    forged[k] = *bytes;
  }
  const std::string path = Publish(forged, "utf8.bundle");
  RunResult r = Run({path, "--vkey", vkey_, "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json report_json;
  ASSERT_NO_THROW(report_json = json::parse(r.out)) << r.out << r.err;
  EXPECT_EQ(report_json["failure"]["index"], k);
  // The message quotes the name, its bad bytes replaced by U+FFFD (unless
  // decoding itself refuses such a name).
  if (report_json["failure"]["check"] != "decode") {
    EXPECT_NE(report_json["failure"]["message"].get<std::string>().find(
                  "\xef\xbf\xbd"),
              std::string::npos)
        << r.out;
  }
  EXPECT_EQ(r.err, "");

  // A file name that is not UTF-8: every message carries it.
  const std::string odd = tmp_.Sub("\xff\xfe.bundle");
  WriteFile(odd, ReadFile(path));
  RunResult named = Run({odd, "--vkey", vkey_, "--json"});
  EXPECT_EQ(named.exit_code, 1) << named.out << named.err;
  ASSERT_NO_THROW(report_json = json::parse(named.out)) << named.out;
  EXPECT_NE(report_json["input"].get<std::string>().find("\xef\xbf\xbd"),
            std::string::npos);
  RunResult missing =
      Run({tmp_.Sub("\xff-missing.bundle"), "--vkey", vkey_, "--json"});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  ASSERT_NO_THROW(report_json = json::parse(missing.out)) << missing.out;
  EXPECT_NE(report_json["error"].get<std::string>().find("\xef\xbf\xbd"),
            std::string::npos);

  // A proof bundle whose JSON breaks on a byte that is not UTF-8: the parse
  // error quotes it.
  const std::string proof = tmp_.Sub("bad.proof");
  WriteFile(proof, "{\"format\": \"piaojue-proof/2\", \"record\": \xff\xfe}");
  RunResult bad = Run({proof, "--vkey", vkey_, "--json"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  ASSERT_NO_THROW(report_json = json::parse(bad.out)) << bad.out << bad.err;
  EXPECT_EQ(report_json["exitCode"], 2);

  // The text report shows such bytes replaced, and no control character.
  RunResult text = Run({odd, "--vkey", vkey_});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find("\xef\xbf\xbd"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("\xff"), std::string::npos);
}

}  // namespace
}  // namespace piaojue::verifier
