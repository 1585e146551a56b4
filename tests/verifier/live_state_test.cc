// Following a live log with a saved replay state (docs/VERIFY.md, section
// 12): a later run checks only the entries after the remembered checkpoint,
// continuing the registry, nonce, rules and recount state saved beside the
// state file, still catches a new entry that breaks a rule only the earlier
// entries establish, and falls back to checking every entry when the saved
// state is damaged, edited or not the remembered checkpoint's.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "ledger/crypto.h"
#include "tests/cycle_builder.h"
#include "tests/verifier/fake_tile_server.h"
#include "tests/verifier/tamper_util.h"
#include "verifier/monitor.h"

namespace piaojue::verifier {
namespace {

using nlohmann::json;
using piaojue::testing::CycleBuilder;
using namespace piaojue::verifier::testing;
using Stage = CycleBuilder::Stage;

std::string VkeyOf(const note::SignerKey& key) {
  return note::FormatVerifierKey(key.name, key.key_pair.public_key);
}

// The event of entry `like`, signed by `author` and placed after `entries`
// (a second after the last one): with a fresh nonce, or, with
// `replay_nonce`, the very signed event of `like` again. What a writer that
// skips the rules (or a hand-edited store) would append.
std::string AppendLike(const std::vector<std::string>& entries,
                       const std::string& like, const crypto::KeyPair& author,
                       bool replay_nonce) {
  ledger::EntryView last = Parse(entries.back());
  ledger::EntryView view = Parse(like);
  const int64_t at = last.recorded_at_ms() + 1000;
  ledger::SignedEvent signed_event;
  if (replay_nonce) {
    signed_event.authored = view.authored_event().bytes();
    signed_event.signature = view.signature();
  } else {
    auto fresh = ledger::SignEvent(author, view.authored().getOrigin().cStr(),
                                   view.authored().getJurisdiction().cStr(), at,
                                   view.event());
    EXPECT_TRUE(fresh.ok()) << fresh.status().ToString();
    signed_event = *fresh;
  }
  auto bytes = ledger::EncodeEntry(
      entries.size(), crypto::Sha256(crypto::AsBytes(entries.back())), at,
      signed_event);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return *bytes;
}

class LiveStateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::InitCrypto().ok()); }

  // Builds the fixture's cycle through `first` (read into first_), then
  // through `later` (read into later_).
  void Build(Stage first, Stage later) {
    builder_ = std::make_unique<CycleBuilder>();
    ASSERT_TRUE(builder_->BuildThrough(first).ok());
    first_ = ReadEntries(builder_->ledger());
    ASSERT_TRUE(builder_->BuildThrough(later).ok());
    later_ = ReadEntries(builder_->ledger());
    vkey_ = VkeyOf(builder_->log_key());
    state_ = tmp_.Sub("monitor.state");
  }

  MonitorOptions Options() {
    MonitorOptions o;
    o.verify.path = "http://log.example/tlog";
    o.verify.vkey = vkey_;
    o.verify.quiet = true;
    o.verify.fetch = server_.AsFetch();
    o.state_file = state_;
    return o;
  }

  // Serves `entries` under a checkpoint of all of them and runs once.
  VerifyReport RunOn(const std::vector<std::string>& entries) {
    server_.Serve(entries, SignCheckpoint(entries, builder_->log_key()));
    return MonitorOnce(Options());
  }

  TempDir tmp_;
  std::unique_ptr<CycleBuilder> builder_;
  std::vector<std::string> first_, later_;
  std::string vkey_, state_;
  FakeTileServer server_;
};

TEST_F(LiveStateTest, ASecondRunChecksOnlyTheNewEntries) {
  // The ballots are recorded before the first run; the tally and the result
  // that must agree with their recount come after it.
  Build(Stage::kBallotsRecorded, Stage::kPlanned);
  const uint64_t m = first_.size(), n = later_.size();
  VerifyReport first = RunOn(first_);
  ASSERT_EQ(first.exit_code, kExitValid) << Describe(first);
  EXPECT_EQ(first.from_saved_state, 0u);
  EXPECT_TRUE(std::filesystem::exists(state_ + ".replay"));

  VerifyReport second = RunOn(later_);
  ASSERT_EQ(second.exit_code, kExitValid) << Describe(second);
  EXPECT_EQ(second.entries, n);
  EXPECT_EQ(second.from_saved_state, m);
  EXPECT_TRUE(second.saved_state_ignored_because.empty())
      << second.saved_state_ignored_because;
  // One (partial) entry bundle holds the saved state's last entry and the
  // new ones: read once, fetched once.
  EXPECT_EQ(second.bundles, 1u);
  EXPECT_EQ(second.bundles_fetched, 1u);
  json j = json::parse(ReportToJson(second));
  EXPECT_EQ(j["replay"]["checked"], n - m);
  EXPECT_EQ(j["replay"]["fromSavedState"], m);
  const std::string text = ReportToText(second);
  EXPECT_NE(text.find(std::to_string(n - m) +
                      " checked (chain, signatures, authorization, rules) "
                      "after the " +
                      std::to_string(m) +
                      " whose checks were continued from the saved state"),
            std::string::npos)
      << text;

  // The same verdict, root and recount (of ballots recorded before the
  // first run) as a verification of the whole log from entry 0.
  MonitorOptions fresh = Options();
  fresh.state_file = "";
  VerifyReport whole = MonitorOnce(fresh);
  ASSERT_EQ(whole.exit_code, kExitValid) << Describe(whole);
  EXPECT_EQ(whole.from_saved_state, 0u);
  EXPECT_EQ(json::parse(ReportToJson(whole))["replay"]["checked"], n);
  EXPECT_EQ(second.root, whole.root);
  EXPECT_EQ(second.recount_json, whole.recount_json);
  EXPECT_NE(second.recount_json.find("\"matchesPublished\":true"),
            std::string::npos)
      << second.recount_json;

  // A third run at the same checkpoint continues from the second's state.
  VerifyReport third = RunOn(later_);
  ASSERT_EQ(third.exit_code, kExitValid) << Describe(third);
  EXPECT_EQ(third.from_saved_state, n);
  EXPECT_EQ(json::parse(ReportToJson(third))["replay"]["checked"], 0);
}

TEST_F(LiveStateTest, ANewEntryBreakingARuleOfTheSavedStateIsCaught) {
  // The round is certified and announced before the first run; after it, a
  // teller records the first box's ballots again (a fresh nonce, a valid
  // signature): only the saved rules state knows the box is recorded and
  // the round certified.
  Build(Stage::kResultAnnounced, Stage::kResultAnnounced);
  ASSERT_EQ(RunOn(first_).exit_code, kExitValid);
  const uint64_t m = first_.size();
  std::vector<std::string> forged = first_;
  forged.push_back(AppendLike(first_, first_[builder_->refs().ballots.front()],
                              builder_->keys().teller, false));
  VerifyReport r = RunOn(forged);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  EXPECT_EQ(r.from_saved_state, m);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->index, m) << Describe(r);
  EXPECT_EQ(r.failure->check, "rules") << Describe(r);
  EXPECT_FALSE(r.state_updated);
}

TEST_F(LiveStateTest, ANonceReplayedFromBeforeTheSavedStateIsCaught) {
  // An earlier entry's signed event, appended again as it was: only the
  // saved nonces show it is a replay.
  Build(Stage::kProposals, Stage::kProposals);
  ASSERT_EQ(RunOn(first_).exit_code, kExitValid);
  const uint64_t m = first_.size();
  std::vector<std::string> forged = first_;
  const uint64_t k = builder_->refs().submitted.back();
  forged.push_back(AppendLike(first_, first_[k], builder_->keys().intake,
                              /*replay_nonce=*/true));
  VerifyReport r = RunOn(forged);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  EXPECT_EQ(r.from_saved_state, m);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->index, m);
  EXPECT_EQ(r.failure->check, "nonce") << Describe(r);
}

TEST_F(LiveStateTest, AKeyRevokedBeforeTheSavedStateStaysRevoked) {
  // The root revokes the office's key before the first run; after it, the
  // office signs a proposal merge with it.
  builder_ = std::make_unique<CycleBuilder>();
  ASSERT_TRUE(builder_->BuildThrough(Stage::kProposals).ok());
  const crypto::KeyPair office = builder_->keys().office;
  ASSERT_TRUE(builder_
                  ->Submit(
                      builder_->keys().root,
                      [&](schema::Event::Builder e) {
                        auto k = e.initKeyRevoked();
                        k.setKey(
                            capnp::Data::Reader(office.public_key.data(), 32));
                        k.setReason("离任");
                      },
                      "")
                  .ok());
  first_ = ReadEntries(builder_->ledger());
  vkey_ = VkeyOf(builder_->log_key());
  state_ = tmp_.Sub("monitor.state");
  ASSERT_EQ(RunOn(first_).exit_code, kExitValid);
  // Any event the office may author: its own first screening decision.
  CycleBuilder other;
  ASSERT_TRUE(other.BuildThrough(Stage::kGovernmentReview).ok());
  std::vector<std::string> others = ReadEntries(other.ledger());
  std::vector<std::string> forged = first_;
  forged.push_back(AppendLike(
      first_, others[other.refs().government_review.front()], office, false));
  VerifyReport r = RunOn(forged);
  EXPECT_EQ(r.exit_code, kExitInvalid) << Describe(r);
  EXPECT_EQ(r.from_saved_state, first_.size());
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(r.failure->index, first_.size());
  EXPECT_EQ(r.failure->check, "authorization") << Describe(r);
}

TEST_F(LiveStateTest, AnEditedSavedStateIsDetectedAndEveryEntryChecked) {
  Build(Stage::kProposals, Stage::kMerged);
  ASSERT_EQ(RunOn(first_).exit_code, kExitValid);
  const std::string replay = state_ + ".replay";
  const std::string saved = ReadFile(replay);
  // One nonce dropped from the saved state: the replayed proposal would
  // then pass. The digest in the state file no longer matches.
  json edited = json::parse(saved);
  ASSERT_FALSE(edited["checker"]["nonces"].empty());
  edited["checker"]["nonces"].erase(edited["checker"]["nonces"].begin());
  WriteFile(replay, edited.dump());
  VerifyReport r = RunOn(later_);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  EXPECT_EQ(r.from_saved_state, 0u);
  EXPECT_NE(r.saved_state_ignored_because.find("SHA-256 differs"),
            std::string::npos)
      << r.saved_state_ignored_because;
  EXPECT_NE(ReportToText(r).find("the saved state was NOT used"),
            std::string::npos)
      << ReportToText(r);
  json j = json::parse(ReportToJson(r));
  EXPECT_EQ(j["replay"]["checked"], later_.size());
  EXPECT_EQ(j["replay"]["fromSavedState"], 0);
  EXPECT_TRUE(j["replay"].contains("savedStateIgnoredBecause"));
  // The run saved a good state again: the next one continues from it.
  VerifyReport next = RunOn(later_);
  EXPECT_EQ(next.from_saved_state, later_.size()) << Describe(next);
}

TEST_F(LiveStateTest, ASavedStateWhoseDigestWasForgedIsStillChecked) {
  // Someone edits the saved state and the digest in the state file too: the
  // parts that can be checked against the log and each other still are.
  Build(Stage::kProposals, Stage::kMerged);
  ASSERT_EQ(RunOn(first_).exit_code, kExitValid);
  const std::string replay = state_ + ".replay";
  json edited = json::parse(ReadFile(replay));
  edited["checker"]["prevHash"] = std::string(64, '0');
  const std::string bytes = edited.dump();
  WriteFile(replay, bytes);
  json state = json::parse(ReadFile(state_));
  state["replay"]["sha256"] =
      crypto::ToHex(crypto::AsBytes(crypto::Sha256(crypto::AsBytes(bytes))));
  WriteFile(state_, state.dump());
  VerifyReport r = RunOn(later_);
  EXPECT_EQ(r.exit_code, kExitValid) << Describe(r);
  EXPECT_EQ(r.from_saved_state, 0u);
  EXPECT_NE(r.saved_state_ignored_because.find("not of the same entries"),
            std::string::npos)
      << r.saved_state_ignored_because;

  // A state saved for another log of the same size, its root replaced by
  // this log's: its last entry is not this log's.
  CycleBuilder other;
  ASSERT_TRUE(other.BuildThrough(Stage::kMerged).ok());
  std::vector<std::string> other_entries = ReadEntries(other.ledger());
  ASSERT_EQ(other_entries.size(), later_.size());
  FakeTileServer other_server;
  other_server.Serve(other_entries,
                     SignCheckpoint(other_entries, other.log_key()));
  MonitorOptions o = Options();
  o.verify.fetch = other_server.AsFetch();
  o.state_file = tmp_.Sub("other.state");
  ASSERT_EQ(MonitorOnce(o).exit_code, kExitValid);
  json foreign = json::parse(ReadFile(o.state_file + ".replay"));
  foreign["root"] = json::parse(ReadFile(replay))["root"];
  const std::string foreign_bytes = foreign.dump();
  WriteFile(replay, foreign_bytes);
  state = json::parse(ReadFile(state_));
  state["replay"]["sha256"] = crypto::ToHex(
      crypto::AsBytes(crypto::Sha256(crypto::AsBytes(foreign_bytes))));
  WriteFile(state_, state.dump());
  // A replayed nonce after it is caught: the foreign state is not used.
  std::vector<std::string> forged = later_;
  forged.push_back(AppendLike(later_, later_[builder_->refs().submitted[0]],
                              builder_->keys().intake, true));
  VerifyReport again = RunOn(forged);
  EXPECT_EQ(again.exit_code, kExitInvalid) << Describe(again);
  EXPECT_EQ(again.from_saved_state, 0u);
  EXPECT_NE(again.saved_state_ignored_because.find("last entry"),
            std::string::npos)
      << again.saved_state_ignored_because;
  ASSERT_TRUE(again.failure);
  EXPECT_EQ(again.failure->check, "nonce") << Describe(again);
}

TEST_F(LiveStateTest, ARunWithoutSignaturesSavesNoReplayState) {
  // Its entries' authors were not checked: a later full run must not take
  // them as checked.
  Build(Stage::kProposals, Stage::kMerged);
  server_.Serve(first_, SignCheckpoint(first_, builder_->log_key()));
  MonitorOptions o = Options();
  o.verify.check_signatures = false;
  VerifyReport r = MonitorOnce(o);
  ASSERT_EQ(r.exit_code, kExitValid) << Describe(r);
  EXPECT_TRUE(r.state_updated);
  EXPECT_FALSE(std::filesystem::exists(state_ + ".replay"));
  VerifyReport next = RunOn(later_);
  EXPECT_EQ(next.exit_code, kExitValid) << Describe(next);
  EXPECT_EQ(next.from_saved_state, 0u);
}

}  // namespace
}  // namespace piaojue::verifier
