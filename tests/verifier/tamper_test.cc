// The tamper suite: for an honest ledger piaojue-verify says valid; every
// forgery below must be reported as invalid, naming the entry at fault.
// Forgeries are made "consistent" where the case calls for it (entries
// re-signed with the keys an insider would have, the chain rebuilt, a fresh
// checkpoint signed), so that only the check under test can catch them.
#include <rocksdb/db.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "ledger/authority.h"
#include "ledger/text_validation.h"
#include "tests/cycle_builder.h"
#include "tests/message_util.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/verify.h"

namespace piaojue::verifier {
namespace {

using piaojue::testing::CycleBuilder;
using piaojue::testing::TestKey;
using namespace piaojue::verifier::testing;

class TamperTest : public ForgeryTest {};

// ---------------------------------------------------------------------------
// Honest ledgers

TEST_F(TamperTest, HonestBundleIsValidPinnedAndUnpinned) {
  Build(Stage::kProposals);
  const std::string path = Publish(entries_, "honest.bundle");

  VerifyReport pinned = VerifyPath(path, vkey_);
  EXPECT_EQ(pinned.exit_code, 0) << Describe(pinned);
  EXPECT_FALSE(pinned.failure.has_value());
  EXPECT_TRUE(pinned.pinned);
  EXPECT_EQ(pinned.entries, entries_.size());
  EXPECT_EQ(pinned.origin, piaojue::testing::kOrigin);
  ASSERT_EQ(pinned.checkpoints.size(), 1u);
  EXPECT_TRUE(pinned.checkpoints[0].ok);
  EXPECT_EQ(pinned.checkpoints[0].size, entries_.size());

  VerifyReport unpinned = VerifyPath(path);
  EXPECT_EQ(unpinned.exit_code, kExitValidUnpinned) << Describe(unpinned);
  EXPECT_FALSE(unpinned.pinned);
  // The key it used is the one genesis names, and the summary says so.
  EXPECT_EQ(unpinned.checkpoint_key, vkey_);
  EXPECT_NE(Describe(unpinned).find("UNPINNED"), std::string::npos);
}

TEST_F(TamperTest, HonestStoreIsValidAndIsOnlyRead) {
  Build(Stage::kProposals);
  ASSERT_TRUE(builder_->ledger().SignCheckpoint().ok());
  // While the ledger is open (as beside a live server) ...
  VerifyReport live = VerifyPath(builder_->dir(), vkey_);
  EXPECT_EQ(live.exit_code, 0) << Describe(live);
  EXPECT_EQ(live.entries, entries_.size());
  ASSERT_EQ(live.checkpoints.size(), 1u);
  EXPECT_EQ(live.checkpoints[0].source, "store");
  EXPECT_TRUE(live.checkpoints[0].ok);

  // ... and closed: nothing in the directory changes.
  builder_->Close();
  std::map<std::string, std::filesystem::file_time_type> before;
  for (const auto& f : std::filesystem::directory_iterator(builder_->dir())) {
    before[f.path().string()] = f.last_write_time();
  }
  VerifyReport closed = VerifyPath(builder_->dir(), vkey_);
  EXPECT_EQ(closed.exit_code, 0) << Describe(closed);
  std::map<std::string, std::filesystem::file_time_type> after;
  for (const auto& f : std::filesystem::directory_iterator(builder_->dir())) {
    after[f.path().string()] = f.last_write_time();
  }
  EXPECT_EQ(before, after);
}

// ---------------------------------------------------------------------------
// Damaged or edited bytes

// --no-signatures (VerifyOptions::check_signatures) skips the authors'
// signatures and nothing else, and the report says they were not checked.
TEST_F(TamperTest, NoSignaturesSkipsOnlyTheAuthorsSignaturesAndSaysSo) {
  Build(Stage::kProposals);
  // A forged signature on entry 3, the chain and checkpoint rebuilt over it.
  std::vector<std::string> forged = entries_;
  {
    ledger::EntryView view = Parse(forged[3]);
    ledger::SignedEvent signed_event;
    signed_event.authored = view.authored_event().bytes();
    signed_event.signature = view.signature();
    signed_event.signature[5] ^= 0x01;
    auto bytes = ledger::EncodeEntry(3, view.prev_hash(), view.recorded_at_ms(),
                                     signed_event);
    ASSERT_TRUE(bytes.ok());
    forged[3] = *bytes;
  }
  const std::string path = Publish(Rechain(forged, 3));
  ExpectInvalidAt(VerifyPath(path, vkey_), 3, "signature");

  VerifyOptions options;
  options.path = path;
  options.vkey = vkey_;
  options.quiet = true;
  options.check_signatures = false;
  VerifyReport skipped = Verify(options);
  EXPECT_EQ(skipped.exit_code, kExitValid) << Describe(skipped);
  EXPECT_FALSE(skipped.signatures_checked);
  EXPECT_NE(Describe(skipped).find("signatures NOT checked"), std::string::npos)
      << Describe(skipped);
  EXPECT_EQ(nlohmann::json::parse(ReportToJson(skipped))["signaturesChecked"],
            false);

  // Every other check still runs: a broken chain is still caught.
  forged = entries_;
  forged[4][forged[4].size() - 9] ^= 0x10;
  options.path = Publish(forged, "chain.bundle");
  VerifyReport chain = Verify(options);
  EXPECT_EQ(chain.exit_code, 1) << Describe(chain);
}

// The report of `path` verified on `threads` threads.
VerifyReport VerifyOn(const std::string& path, const std::string& vkey,
                      unsigned threads) {
  VerifyOptions options;
  options.path = path;
  options.vkey = vkey;
  options.quiet = true;
  options.threads = threads;
  return Verify(options);
}

// The JSON report but its "seconds".
nlohmann::json ReportWithoutSeconds(const VerifyReport& report) {
  nlohmann::json j = nlohmann::json::parse(ReportToJson(report));
  j.erase("seconds");
  return j;
}

// Entry `index`'s bytes again with one bit of its author's signature
// flipped (`mask` at byte `at`): its signature no longer verifies.
void FlipSignatureBit(std::string* entry, uint64_t index, size_t at,
                      uint8_t mask) {
  ledger::EntryView view = Parse(*entry);
  ledger::SignedEvent signed_event;
  signed_event.authored = view.authored_event().bytes();
  signed_event.signature = view.signature();
  signed_event.signature[at] ^= mask;
  auto bytes = ledger::EncodeEntry(index, view.prev_hash(),
                                   view.recorded_at_ms(), signed_event);
  ASSERT_TRUE(bytes.ok());
  *entry = *bytes;
}

// An entry whose signature no longer verifies, early or among the last
// entries: the same report on however many threads the signatures are
// verified (they are verified ahead of the in-order checks).
TEST_F(TamperTest, ABadSignatureAmongTheLastEntriesIsReportedAtItsEntry) {
  Build(Stage::kProposals);
  const uint64_t last = entries_.size() - 1;
  for (uint64_t e : {uint64_t{3}, last - 1, last}) {
    SCOPED_TRACE("entry " + std::to_string(e));
    std::vector<std::string> forged = entries_;
    ASSERT_NO_FATAL_FAILURE(FlipSignatureBit(&forged[e], e, 7, 0x20));
    const std::string path = Publish(Rechain(forged, e));
    const VerifyReport first = VerifyOn(path, vkey_, 1);
    ExpectInvalidAt(first, e, "signature");
    for (unsigned threads : {2u, 3u}) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      const VerifyReport report = VerifyOn(path, vkey_, threads);
      ExpectInvalidAt(report, e, "signature");
      EXPECT_EQ(report.failure->message, first.failure->message);
      EXPECT_EQ(ReportWithoutSeconds(report), ReportWithoutSeconds(first));
    }
  }
}

// A bad signature with a broken chain after it: the signature's entry is the
// first failure, on any number of threads.
TEST_F(TamperTest, ABadSignatureBeforeABrokenChainIsTheFirstFailure) {
  Build(Stage::kProposals);
  const uint64_t e = entries_.size() - 4;
  std::vector<std::string> forged = entries_;
  ASSERT_NO_FATAL_FAILURE(FlipSignatureBit(&forged[e], e, 40, 0x01));
  forged = Rechain(forged, e);
  // Entry e + 2's previous-hash no longer names entry e + 1.
  {
    ledger::EntryView next = Parse(forged[e + 2]);
    ledger::SignedEvent same;
    same.authored = next.authored_event().bytes();
    same.signature = next.signature();
    crypto::Hash wrong = next.prev_hash();
    wrong[0] ^= 0x01;
    auto rebuilt =
        ledger::EncodeEntry(e + 2, wrong, next.recorded_at_ms(), same);
    ASSERT_TRUE(rebuilt.ok());
    forged[e + 2] = *rebuilt;
  }
  const std::string path = Publish(forged);
  const VerifyReport first = VerifyOn(path, vkey_, 1);
  ExpectInvalidAt(first, e, "signature");
  for (unsigned threads : {2u, 3u}) {
    const VerifyReport report = VerifyOn(path, vkey_, threads);
    ExpectInvalidAt(report, e, "signature");
    EXPECT_EQ(ReportWithoutSeconds(report), ReportWithoutSeconds(first));
  }
}

// Where the fields of an entry are in its bytes (found by content).
struct EntryLayout {
  size_t index_at = 8;  // data section: index, recordedAtMs
  size_t recorded_at_at = 16;
  size_t prev_hash_at = 0;
  size_t authored_at = 0, authored_size = 0;
  size_t signature_at = 0;
};

EntryLayout LayoutOf(const std::string& bytes) {
  ledger::EntryView view = Parse(bytes);
  EntryLayout l;
  const auto prev = view.prev_hash();
  const auto sig = view.signature();
  const std::string authored(view.authored_event().bytes());
  l.prev_hash_at =
      bytes.find(std::string(reinterpret_cast<const char*>(prev.data()), 32));
  l.signature_at =
      bytes.find(std::string(reinterpret_cast<const char*>(sig.data()), 64));
  l.authored_at = bytes.find(authored);
  l.authored_size = authored.size();
  EXPECT_NE(l.prev_hash_at, std::string::npos);
  EXPECT_NE(l.signature_at, std::string::npos);
  EXPECT_NE(l.authored_at, std::string::npos);
  return l;
}

// Flips one bit of entry `e` at byte `at`, keeps the honest checkpoint (the
// bundle as exported, then edited) and verifies it.
VerifyReport VerifyFlipped(const TempDir& tmp,
                           const std::vector<std::string>& entries,
                           const note::SignerKey& log_key,
                           const std::string& vkey, uint64_t e, size_t at) {
  std::vector<std::string> tampered = entries;
  tampered[e][at] ^= 0x10;
  const std::string path = tmp.Sub("flipped.bundle");
  WriteBundleFile(path, tampered, SignCheckpoint(entries, log_key));
  return VerifyPath(path, vkey);
}

std::vector<std::pair<std::string, size_t>> FieldPositions(
    const std::string& entry) {
  const EntryLayout l = LayoutOf(entry);
  return {
      {"index", l.index_at},
      {"recordedAtMs", l.recorded_at_at + 1},
      {"prevHash", l.prev_hash_at + 7},
      {"authored header", l.authored_at + 3},
      {"authorKey", l.authored_at + 40},
      {"event start", l.authored_at + l.authored_size / 2},
      {"event end", l.authored_at + l.authored_size - 9},
      {"signature start", l.signature_at},
      {"signature end", l.signature_at + 63},
  };
}

TEST_F(TamperTest, FlippedByteInAnyFieldIsReportedAtThatEntry) {
  Build(Stage::kProposals);
  // All but the last two entries: for those see the next test.
  for (uint64_t e = 0; e + 2 < entries_.size(); ++e) {
    for (const auto& [field, at] : FieldPositions(entries_[e])) {
      SCOPED_TRACE("entry " + std::to_string(e) + ", " + field);
      VerifyReport report =
          VerifyFlipped(tmp_, entries_, builder_->log_key(), vkey_, e, at);
      EXPECT_EQ(report.exit_code, 1) << Describe(report);
      ASSERT_TRUE(report.failure.has_value());
      EXPECT_EQ(report.failure->index, e) << Describe(report);
    }
  }
}

// At the end of the log less can be told apart. The last entry's
// recordedAtMs is covered by no signature and no later entry: only the
// checkpoint catches it. And when the last entry does not link to the one
// before it, either of the two may have been altered: the failure names the
// last entry and says so.
TEST_F(TamperTest, FlippedByteInTheLastTwoEntriesIsCaught) {
  Build(Stage::kProposals);
  const uint64_t last = entries_.size() - 1;
  for (uint64_t e : {last - 1, last}) {
    for (const auto& [field, at] : FieldPositions(entries_[e])) {
      SCOPED_TRACE("entry " + std::to_string(e) + ", " + field);
      VerifyReport report =
          VerifyFlipped(tmp_, entries_, builder_->log_key(), vkey_, e, at);
      EXPECT_EQ(report.exit_code, 1) << Describe(report);
      ASSERT_TRUE(report.failure.has_value());
      if (field != "recordedAtMs") {
        EXPECT_EQ(report.failure->index, e) << Describe(report);
      } else if (e == last) {
        EXPECT_EQ(report.failure->check, "checkpoint") << Describe(report);
      } else {
        EXPECT_EQ(report.failure->check, "chain") << Describe(report);
        EXPECT_EQ(report.failure->index, last) << Describe(report);
        EXPECT_NE(report.failure->message.find("entry " + std::to_string(e) +
                                               " was altered"),
                  std::string::npos)
            << Describe(report);
      }
    }
  }
}

TEST_F(TamperTest, FlippedByteAnywhereInAnEntryIsReportedAtThatEntry) {
  Build(Stage::kCycleOpened);
  // Every byte of an entry in the middle of the log.
  const uint64_t e = builder_->refs().county + 3;
  ASSERT_LT(e + 2, entries_.size());
  for (size_t at = 0; at < entries_[e].size(); ++at) {
    SCOPED_TRACE("entry " + std::to_string(e) + " byte " + std::to_string(at));
    std::vector<std::string> tampered = entries_;
    tampered[e][at] ^= 0x01;
    const std::string path = tmp_.Sub("flipped.bundle");
    WriteBundleFile(path, tampered,
                    SignCheckpoint(entries_, builder_->log_key()));
    VerifyReport report = VerifyPath(path, vkey_);
    ASSERT_EQ(report.exit_code, 1) << Describe(report);
    ASSERT_TRUE(report.failure.has_value());
    EXPECT_EQ(report.failure->index, e) << Describe(report);
  }
}

// Hostile bytes anywhere in the file: the header, the checkpoint, the
// lengths, the entries. No change may go unnoticed, and none may crash.
TEST_F(TamperTest, EveryByteOfABundleMatters) {
  Build(Stage::kDeployment);
  const std::string honest = Publish(entries_, "honest.bundle");
  const std::string bytes = ReadFile(honest);
  const std::string path = tmp_.Sub("mutated.bundle");
  // Every byte of the header and checkpoint, then every third byte of the
  // entries (every byte of an entry is covered by FlippedByteAnywhere...).
  const size_t header = ledger::kBundleMagic.size() + 4 +
                        SignCheckpoint(entries_, builder_->log_key()).size() +
                        8 + 2;
  for (size_t at = 0; at < bytes.size(); at += at < header ? 1 : 3) {
    SCOPED_TRACE("byte " + std::to_string(at));
    std::string mutated = bytes;
    mutated[at] ^= 0x20;
    WriteFile(path, mutated);
    VerifyReport report = VerifyPath(path, vkey_);
    ASSERT_NE(report.exit_code, 0) << Describe(report);
    // Unreadable only when the magic itself was hit.
    EXPECT_EQ(report.exit_code == 2, at < ledger::kBundleMagic.size())
        << Describe(report);
  }
}

TEST_F(TamperTest, DeletedEntryIsReportedMissing) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().canteen;
  std::vector<std::string> tampered = entries_;
  tampered.erase(tampered.begin() + k);
  const std::string path = tmp_.Sub("deleted.bundle");
  WriteBundleFile(path, tampered,
                  SignCheckpoint(entries_, builder_->log_key()));
  ExpectInvalidAt(VerifyPath(path, vkey_), k, "index");
}

TEST_F(TamperTest, EmptyLogIsInvalid) {
  Build(Stage::kDeployment);
  const std::string path = tmp_.Sub("empty.bundle");
  WriteBundleFile(path, {}, SignCheckpoint(entries_, builder_->log_key(), 0));
  ExpectInvalidAt(VerifyPath(path, vkey_), 0, "index");
}

TEST_F(TamperTest, DeletedLastEntryIsCaughtByTheCheckpoint) {
  Build(Stage::kProposals);
  std::vector<std::string> tampered = entries_;
  tampered.pop_back();
  const std::string path = tmp_.Sub("deleted.bundle");
  WriteBundleFile(path, tampered,
                  SignCheckpoint(entries_, builder_->log_key()));
  // The first entry the checkpoint has and the log does not.
  ExpectInvalidAt(VerifyPath(path, vkey_), entries_.size() - 1, "checkpoint");
}

TEST_F(TamperTest, DeletedAndRenumberedEntryIsCaughtByASavedCheckpoint) {
  Build(Stage::kProposals);
  const std::string saved = tmp_.Sub("saved.checkpoint");
  WriteFile(saved, SignCheckpoint(entries_, builder_->log_key()));
  // The last proposal removed and everything after it renumbered and
  // rechained, with a new checkpoint: consistent in itself.
  std::vector<std::string> tampered = entries_;
  const uint64_t k = builder_->refs().submitted.back();
  tampered.erase(tampered.begin() + k);
  const std::string path = Publish(Rechain(tampered, k));
  EXPECT_EQ(VerifyPath(path, vkey_).exit_code, 0);
  VerifyReport report = VerifyPath(path, vkey_, {saved});
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->check, "checkpoint");
}

TEST_F(TamperTest, SwappedEntriesAreReportedAtTheFirst) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().submitted[2];
  std::vector<std::string> tampered = entries_;
  std::swap(tampered[k], tampered[k + 1]);
  const std::string path = tmp_.Sub("swapped.bundle");
  WriteBundleFile(path, tampered,
                  SignCheckpoint(entries_, builder_->log_key()));
  ExpectInvalidAt(VerifyPath(path, vkey_), k, "index");
}

// An earlier signed event placed again at the end of the log, in a
// well-formed entry of its own (index, chain and time right): only its
// nonce, already used by its author, shows the replay. The bundle's count
// is the real one, so the nonces' table is the one sized from it.
TEST_F(TamperTest, ReplayedEventIsRefusedAsAReusedNonce) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().submitted[1];
  std::vector<std::string> forged = entries_;
  const ledger::EntryView last = Parse(forged.back());
  const ledger::EntryView like = Parse(forged[k]);
  ledger::SignedEvent replayed;
  replayed.authored = like.authored_event().bytes();
  replayed.signature = like.signature();
  auto bytes = ledger::EncodeEntry(
      forged.size(), crypto::Sha256(crypto::AsBytes(forged.back())),
      last.recorded_at_ms() + 1000, replayed);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  forged.push_back(*bytes);
  const VerifyReport report = VerifyPath(Publish(forged), vkey_);
  ExpectInvalidAt(report, entries_.size(), "nonce");
  VerifyOptions fast;
  fast.path = tmp_.Sub("forged.bundle");
  fast.vkey = vkey_;
  fast.quiet = true;
  fast.check_signatures = false;
  ExpectInvalidAt(Verify(fast), entries_.size(), "nonce");
}

TEST_F(TamperTest, SwappedAndRechainedEntriesAreCaughtByTheirTimes) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().submitted[2];
  std::vector<std::string> tampered = entries_;
  std::swap(tampered[k], tampered[k + 1]);
  // Renumbered and rechained: only the recording times still tell.
  ExpectInvalidAt(VerifyPath(Publish(Rechain(tampered, k)), vkey_), k + 1,
                  "time");
}

TEST_F(TamperTest, TruncatedTailBehindANewerCheckpointIsCaught) {
  Build(Stage::kProposals);
  // The auditor saved a checkpoint of the whole log ...
  const std::string saved = tmp_.Sub("saved.checkpoint");
  WriteFile(saved, SignCheckpoint(entries_, builder_->log_key()));
  // ... later the operator cut the tail and signed a newer, smaller one.
  const uint64_t kept = entries_.size() - 3;
  std::vector<std::string> truncated(entries_.begin(), entries_.begin() + kept);
  const std::string path = Publish(truncated, "truncated.bundle");
  VerifyReport alone = VerifyPath(path, vkey_);
  EXPECT_EQ(alone.exit_code, 0) << Describe(alone);

  VerifyReport report = VerifyPath(path, vkey_, {saved});
  // The first entry the saved checkpoint has and the log lost.
  ExpectInvalidAt(report, kept, "checkpoint");
  EXPECT_NE(report.failure->message.find("truncated"), std::string::npos);
}

TEST_F(TamperTest, ForkedLogIsCaughtByASavedCheckpoint) {
  Build(Stage::kProposals);
  const std::string saved = tmp_.Sub("saved.checkpoint");
  WriteFile(saved, SignCheckpoint(entries_, builder_->log_key()));
  // The same number of entries, one proposal's title edited by the intake
  // key's holder and re-signed: a consistent fork of the same size.
  const uint64_t k = builder_->refs().stadium;
  const std::string path =
      ForgeEntry(k, builder_->keys().intake, [](schema::Event::Builder e) {
        e.getProposalSubmitted().getDetails().setTitle("县体育馆（修改）");
      });
  EXPECT_EQ(VerifyPath(path, vkey_).exit_code, 0);
  VerifyReport report = VerifyPath(path, vkey_, {saved});
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->check, "checkpoint");
}

// ---------------------------------------------------------------------------
// Keys

TEST_F(TamperTest, EntryResignedByAnUnregisteredKeyIsUnauthorized) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  ExpectInvalidAt(VerifyPath(ForgeEntry(k, TestKey(77), {}), vkey_), k,
                  "authorization");
}

TEST_F(TamperTest, EntryResignedByAKeyWithAnotherRoleIsUnauthorized) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  // The teller may record ballots, not submit proposals.
  ExpectInvalidAt(VerifyPath(ForgeEntry(k, builder_->keys().teller, {}), vkey_),
                  k, "authorization");
}

// Entry `bytes` with its authored event rebuilt around the same event, but
// with a jurisdiction text ("6101027") that lacks its NUL terminator (still
// canonical), signed by `author` and placed at the same index, prevHash and
// time.
std::string WithUnterminatedJurisdiction(const std::string& bytes,
                                         const crypto::KeyPair& author) {
  ledger::EntryView view = Parse(bytes);
  constexpr std::string_view kJurisdiction = "6101027";
  std::string authored = piaojue::testing::RawAuthored(
      author, kJurisdiction,
      [&](schema::Event::Builder e) {
        capnp::MallocMessageBuilder copy;
        copy.setRoot(view.event());
        auto original = copy.getRoot<schema::Event>().asReader();
        e.initProposalSubmitted();
        e.setProposalSubmitted(original.getProposalSubmitted());
      },
      view.authored().getSignedAtMs());
  auto out =
      ledger::EncodeEntry(view.index(), view.prev_hash(), view.recorded_at_ms(),
                          piaojue::testing::SignRaw(
                              author, piaojue::testing::DropNulTerminator(
                                          std::move(authored), kJurisdiction)));
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return *out;
}

TEST_F(TamperTest, UnreadableTextIsInvalidAtThatEntryAndNeverAborts) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  ASSERT_TRUE(Parse(entries_[k]).event().isProposalSubmitted());
  std::vector<std::string> forged = entries_;
  forged[k] = WithUnterminatedJurisdiction(forged[k], TestKey(77));
  // Not rechained: the entry cannot be decoded, and nothing after it is
  // looked at.
  const std::string path = Publish(forged);
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, k, "decode");
  EXPECT_NE(report.failure->message.find("jurisdiction"), std::string::npos)
      << Describe(report);

  // The binary reports it too, in text and JSON, and exits 1 (no abort).
  RunResult text = RunVerifyBinary({path, "--vkey", vkey_}, tmp_);
  EXPECT_EQ(text.exit_code, 1) << text.out << text.err;
  EXPECT_NE(text.out.find("FIRST FAILURE at entry " + std::to_string(k) +
                          " [decode]"),
            std::string::npos)
      << text.out << text.err;
  RunResult as_json = RunVerifyBinary({path, "--vkey", vkey_, "--json"}, tmp_);
  EXPECT_EQ(as_json.exit_code, 1) << as_json.out << as_json.err;
  auto parsed = nlohmann::json::parse(as_json.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << as_json.out;
  EXPECT_EQ(parsed["failure"]["index"], k) << as_json.out;
  EXPECT_EQ(parsed["failure"]["check"], "decode") << as_json.out;
}

TEST_F(TamperTest, TextWithAHiddenPartIsInvalidAtThatEntry) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  using namespace std::string_literals;
  const std::string title = "\0隐藏的标题"s;
  // Signed by the entry's real author: only the text rule can catch it.
  std::vector<std::string> forged = entries_;
  const ledger::EntryView view = Parse(forged[k]);
  std::optional<crypto::KeyPair> author;
  for (uint8_t n = 1; n <= 12; ++n) {  // the fixture's keys (CycleKeys)
    if (TestKey(n).public_key == view.author_key()) author = TestKey(n);
  }
  ASSERT_TRUE(author.has_value());
  std::string authored = piaojue::testing::RawAuthored(
      *author, ledger::TextView(view.authored().getJurisdiction()),
      [&](schema::Event::Builder e) {
        capnp::MallocMessageBuilder copy;
        copy.setRoot(view.event());
        e.setProposalSubmitted(
            copy.getRoot<schema::Event>().asReader().getProposalSubmitted());
        e.getProposalSubmitted().getDetails().setTitle(
            capnp::Text::Reader(title.data(), title.size()));
      },
      view.authored().getSignedAtMs());
  auto bytes = ledger::EncodeEntry(
      k, view.prev_hash(), view.recorded_at_ms(),
      piaojue::testing::SignRaw(*author, std::move(authored)));
  ASSERT_TRUE(bytes.ok());
  forged[k] = *bytes;
  VerifyReport report = VerifyPath(Publish(forged), vkey_);
  ExpectInvalidAt(report, k, "decode");
  EXPECT_NE(report.failure->message.find("U+0000"), std::string::npos)
      << Describe(report);
}

// docs/FORMAT.md, "Canonical Cap'n Proto", rule 3. The real author signs
// the entry's own event with bits no field occupies set beside the event
// kind (the authored_event fuzz target's finding); the chain is rebuilt and
// the checkpoint re-signed, so only the decoder's rule can catch it. Every
// view would show it exactly as the clean entry.
TEST_F(TamperTest, HiddenBitsInAnEventAreInvalidAtThatEntry) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  std::vector<std::string> forged = entries_;
  const ledger::EntryView view = Parse(forged[k]);
  std::optional<crypto::KeyPair> author;
  for (uint8_t n = 1; n <= 12; ++n) {  // the fixture's keys (CycleKeys)
    if (TestKey(n).public_key == view.author_key()) author = TestKey(n);
  }
  ASSERT_TRUE(author.has_value());
  auto reauthor = [&](bool hidden_bits) {
    std::string authored = piaojue::testing::RawAuthored(
        *author, ledger::TextView(view.authored().getJurisdiction()),
        [&](schema::Event::Builder e) {
          capnp::MallocMessageBuilder copy;
          copy.setRoot(view.event());
          e.setProposalSubmitted(
              copy.getRoot<schema::Event>().asReader().getProposalSubmitted());
          if (hidden_bits) capnp::toAny(e).getDataSection()[2] = 0x03;
        },
        view.authored().getSignedAtMs(),
        ledger::TextView(view.authored().getOrigin()));
    auto bytes = ledger::EncodeEntry(
        k, view.prev_hash(), view.recorded_at_ms(),
        piaojue::testing::SignRaw(*author, std::move(authored)));
    EXPECT_TRUE(bytes.ok());
    return *bytes;
  };
  // Re-authored cleanly (a new nonce), the log still verifies...
  forged[k] = reauthor(false);
  VerifyReport clean =
      VerifyPath(Publish(Rechain(forged, k), "clean.bundle"), vkey_);
  EXPECT_EQ(clean.exit_code, 0) << Describe(clean);
  // ...with the hidden bits it does not, at that entry.
  forged[k] = reauthor(true);
  // Entry k is encoded over the same prevHash; what follows is rechained.
  const std::string path = Publish(Rechain(forged, k + 1));
  VerifyReport report = VerifyPath(path, vkey_);
  ExpectInvalidAt(report, k, "decode");
  EXPECT_NE(report.failure->message.find(
                "field event: bits 16-17 of data word 0 are not zero"),
            std::string::npos)
      << Describe(report);

  // piaojue-verify says so too, and so does a run without signatures.
  for (bool signatures : {true, false}) {
    std::vector<std::string> args = {path, "--vkey", vkey_};
    if (!signatures) args.push_back("--no-signatures");
    RunResult run = RunVerifyBinary(args, tmp_);
    EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
    EXPECT_NE(run.out.find("FIRST FAILURE at entry " + std::to_string(k) +
                           " [decode]"),
              std::string::npos)
        << run.out << run.err;
    EXPECT_NE(run.out.find("field event: bits 16-17"), std::string::npos)
        << run.out;
  }
}

// The entry envelope is held to the same rule: an Entry whose root carries a
// pointer no field of this version occupies (a later schema's field, or
// hidden data), chain and checkpoint rebuilt over it.
TEST_F(TamperTest, AnEntryEnvelopeWithAPointerNoFieldUsesIsInvalid) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  std::vector<std::string> forged = entries_;
  forged[k] = piaojue::testing::WithRootWidened(forged[k], 0, 1);
  // Rechain only what follows: the widened entry cannot be re-encoded.
  forged = Rechain(forged, k + 1);
  VerifyReport report = VerifyPath(Publish(forged), vkey_);
  ExpectInvalidAt(report, k, "decode");
  EXPECT_NE(report.failure->message.find("the root struct: pointer 3 is not "
                                         "null, but no field this version"),
            std::string::npos)
      << Describe(report);
}

// A genuine signature made for another log (another origin) and replayed
// into this one: the author did sign it, but not for this log.
TEST_F(TamperTest, EntrySignedForAnotherLogIsUnauthorized) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  std::vector<std::string> forged = entries_;
  forged[k] = Resign(forged[k], builder_->keys().intake, {},
                     std::string("another-county.gov.cn/piaojue"));
  ExpectInvalidAt(VerifyPath(Publish(Rechain(forged, k)), vkey_), k,
                  "authorization");
}

// An old signature brought into the record long after it was made.
TEST_F(TamperTest, EntrySignedMoreThanThirtyDaysBeforeItWasRecordedIsInvalid) {
  Build(Stage::kProposals);
  const uint64_t k = builder_->refs().kindergarten;
  const int64_t recorded = Parse(entries_[k]).recorded_at_ms();
  std::vector<std::string> forged = entries_;
  forged[k] = Resign(forged[k], builder_->keys().intake, {}, std::nullopt,
                     recorded - ledger::kMaxSigningAgeMs - 1);
  const VerifyReport old = VerifyPath(Publish(Rechain(forged, k)), vkey_);
  ExpectInvalidAt(old, k, "time");
  // The instants are shown in China Standard Time, with the zone, like the
  // views (issue 10); the milliseconds stay for a program.
  ASSERT_TRUE(old.failure.has_value());
  const int64_t bound = recorded - ledger::kMaxSigningAgeMs;
  EXPECT_EQ(old.failure->expected,
            ">= " + std::to_string(bound) + " (" + FormatCst(bound) + ")");
  EXPECT_EQ(old.failure->found,
            std::to_string(bound - 1) + " (" + FormatCst(bound - 1) + ")");
  EXPECT_NE(ReportToText(old).find("CST (UTC+08:00)"), std::string::npos)
      << ReportToText(old);
  // At exactly the bound it is accepted.
  forged[k] = Resign(entries_[k], builder_->keys().intake, {}, std::nullopt,
                     recorded - ledger::kMaxSigningAgeMs);
  const VerifyReport ok = VerifyPath(Publish(Rechain(forged, k)), vkey_);
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

// The whole log rebuilt by someone holding none of the real keys: every key
// replaced by one of their own, genesis naming their log key.
TEST_F(TamperTest, RekeyedLogIsValidOnlyUnpinned) {
  Build(Stage::kProposals);
  note::SignerKey forged_log{builder_->log_key().name, TestKey(109)};
  const std::string forged_vkey =
      note::FormatVerifierKey(forged_log.name, forged_log.key_pair.public_key);
  std::vector<std::string> forged = Rekeyed(forged_vkey);
  const std::string path = tmp_.Sub("rekeyed.bundle");
  WriteBundleFile(path, forged, SignCheckpoint(forged, forged_log));

  // Unpinned it is consistent with itself, and the summary says so.
  VerifyReport unpinned = VerifyPath(path);
  EXPECT_EQ(unpinned.exit_code, kExitValidUnpinned) << Describe(unpinned);
  EXPECT_FALSE(unpinned.pinned);
  EXPECT_EQ(unpinned.checkpoint_key, forged_vkey);
  EXPECT_NE(Describe(unpinned).find("UNPINNED"), std::string::npos);

  // Pinned to the congress's published key it fails at genesis.
  VerifyReport pinned = VerifyPath(path, vkey_);
  ExpectInvalidAt(pinned, 0, "checkpoint");
  EXPECT_TRUE(pinned.pinned);
}

TEST_F(TamperTest, CheckpointSignedByAnotherKeyFailsWhenPinned) {
  Build(Stage::kProposals);
  const std::string path = tmp_.Sub("other-signer.bundle");
  note::SignerKey other{builder_->log_key().name, TestKey(99)};
  WriteBundleFile(path, entries_, SignCheckpoint(entries_, other));
  ExpectInvalidAt(VerifyPath(path, vkey_), entries_.size(), "checkpoint");

  // A saved checkpoint of an earlier size, not signed by the log's key.
  const std::string saved = tmp_.Sub("saved.checkpoint");
  WriteFile(saved, SignCheckpoint(entries_, other, 5));
  const std::string honest = Publish(entries_, "honest.bundle");
  ExpectInvalidAt(VerifyPath(honest, vkey_, {saved}), 5, "checkpoint");
}

// ---------------------------------------------------------------------------
// The store itself, edited underneath

class StoreTamperTest : public TamperTest {
 protected:
  // Builds, signs a checkpoint, closes the ledger and opens its RocksDB
  // store for editing.
  std::unique_ptr<rocksdb::DB> OpenStore() {
    Build(Stage::kProposals);
    EXPECT_TRUE(builder_->ledger().SignCheckpoint().ok());
    builder_->Close();
    rocksdb::DB* raw = nullptr;
    rocksdb::Status s =
        rocksdb::DB::Open(rocksdb::Options(), builder_->dir(), &raw);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::unique_ptr<rocksdb::DB>(raw);
  }
  static std::string EntryKey(uint64_t index) {
    std::string k = "e";
    for (int shift = 56; shift >= 0; shift -= 8) {
      k.push_back(static_cast<char>((index >> shift) & 0xff));
    }
    return k;
  }
};

TEST_F(StoreTamperTest, EntryDeletedFromTheStoreIsReportedMissing) {
  auto db = OpenStore();
  const uint64_t k = builder_->refs().clinic;
  ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), EntryKey(k)).ok());
  db.reset();
  ExpectInvalidAt(VerifyPath(builder_->dir(), vkey_), k, "index");
}

TEST_F(StoreTamperTest, EntryEditedInTheStoreIsReportedAtThatEntry) {
  auto db = OpenStore();
  const uint64_t k = builder_->refs().clinic;
  std::string bytes = entries_[k];
  const EntryLayout l = LayoutOf(bytes);
  bytes[l.authored_at + l.authored_size - 12] ^= 0x04;
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), EntryKey(k), bytes).ok());
  db.reset();
  VerifyReport report = VerifyPath(builder_->dir(), vkey_);
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->index, k) << Describe(report);
}

TEST_F(StoreTamperTest, UnreadableTextInTheStoreIsInvalidAtThatEntry) {
  auto db = OpenStore();
  const uint64_t k = builder_->refs().kindergarten;
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), EntryKey(k),
                      WithUnterminatedJurisdiction(entries_[k], TestKey(77)))
                  .ok());
  db.reset();
  ExpectInvalidAt(VerifyPath(builder_->dir(), vkey_), k, "decode");
  RunResult run = RunVerifyBinary({builder_->dir(), "--vkey", vkey_}, tmp_);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("[decode]"), std::string::npos) << run.out;
}

TEST_F(StoreTamperTest, StoredTreeAndHeadAreNotBelieved) {
  auto db = OpenStore();
  // Every stored Merkle node and the head record overwritten with junk: the
  // ledger itself would refuse to open, the verifier never reads them.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator({}));
  std::vector<std::string> nodes;
  for (it->Seek("n"); it->Valid() && it->key().starts_with("n"); it->Next()) {
    nodes.push_back(it->key().ToString());
  }
  it.reset();
  ASSERT_FALSE(nodes.empty());
  for (const auto& key : nodes) {
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), key, std::string(32, 'x')).ok());
  }
  ASSERT_TRUE(
      db->Put(rocksdb::WriteOptions(), "m/head", std::string(80, '\x7f')).ok());
  db.reset();
  VerifyReport report = VerifyPath(builder_->dir(), vkey_);
  EXPECT_EQ(report.exit_code, 0) << Describe(report);
  EXPECT_EQ(report.entries, entries_.size());
  EXPECT_EQ(report.root,
            crypto::ToHex(crypto::AsBytes(RootOf(entries_, entries_.size()))));
}

// A log whose genesis names no checkpoint key (possible for logs made
// without `piaojue init`): checkpoints are still checked against the
// entries, and the report says their signatures were not.
TEST(NoCheckpointKeyTest, CheckpointsAreCheckedForTheirRootOnly) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  TempDir tmp;
  const crypto::KeyPair root = TestKey(1);
  note::SignerKey log_key{piaojue::testing::kOrigin, TestKey(9)};
  std::vector<std::string> entries;
  {
    ledger::LedgerOptions options;
    options.checkpoint_key = log_key;
    options.sync = false;
    // The test events' signing time (test_util.h).
    options.clock = [] { return int64_t{1700000000000}; };
    auto ledger = ledger::Ledger::Create(
        tmp.Sub("db"), piaojue::testing::Genesis(root), options);
    ASSERT_TRUE(ledger.ok());
    ASSERT_TRUE((*ledger)
                    ->Append(piaojue::testing::RegisterJurisdiction(
                        root, piaojue::testing::kCounty))
                    .ok());
    for (uint8_t k : {2, 3, 4}) {
      ASSERT_TRUE(
          (*ledger)
              ->Append(piaojue::testing::RegisterKey(
                  root, TestKey(k).public_key, schema::Role::GOVERNMENT_OFFICE))
              .ok());
    }
    entries = ReadEntries(**ledger);
  }
  const std::string path = tmp.Sub("log.bundle");
  WriteBundleFile(path, entries, SignCheckpoint(entries, log_key));
  VerifyReport report = VerifyPath(path);
  EXPECT_EQ(report.exit_code, kExitValidUnpinned) << Describe(report);
  ASSERT_EQ(report.checkpoints.size(), 1u);
  EXPECT_TRUE(report.checkpoints[0].ok);
  EXPECT_NE(report.checkpoints[0].message.find("signature NOT checked"),
            std::string::npos);

  // Cut the last two entries: the bundle's own checkpoint still catches it.
  std::vector<std::string> cut(entries.begin(), entries.end() - 2);
  WriteBundleFile(path, cut, SignCheckpoint(entries, log_key));
  report = VerifyPath(path);
  EXPECT_EQ(report.exit_code, 1) << Describe(report);
  ASSERT_TRUE(report.failure.has_value());
  EXPECT_EQ(report.failure->index, cut.size());
  EXPECT_EQ(report.failure->check, "checkpoint");
}

}  // namespace
}  // namespace piaojue::verifier
