// Rebuild equals incremental; time travel by log size and by time;
// snapshots with catch-up, and snapshots that do not match the log; diffs.
#include "projections/replay.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ledger/text_validation.h"
#include "projections/dates.h"
#include "projections/diff.h"
#include "projections/internal/model.h"
#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/projections/rule_test_util.h"
#include "tests/snapshot_util.h"

namespace piaojue::testing {
namespace {

using projections::State;
using Stage = CycleBuilder::Stage;

// Builds the whole cycle, keeping the incremental state's bytes as they
// were after every stage.
class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    while (b_.stage() < Stage::kAll) {
      const auto next = static_cast<Stage>(static_cast<int>(b_.stage()) + 1);
      ASSERT_OK(b_.BuildThrough(next));
      at_size_[b_.size()] = b_.state().Serialize();
      stage_size_[next] = b_.size();
    }
  }

  nlohmann::json ViewOf(const State& s, const std::string& name,
                        projections::ViewQuery q) {
    auto v = projections::View(s, name, q);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : nlohmann::json();
  }

  CycleBuilder b_;
  std::map<uint64_t, std::string> at_size_;  // size -> Serialize()
  std::map<Stage, uint64_t> stage_size_;
  TempDir tmp_;
};

TEST_F(ReplayTest, RebuildFromScratchEqualsIncremental) {
  auto rebuilt = projections::ReplayTo(b_.ledger(), b_.size());
  ASSERT_OK(rebuilt);
  EXPECT_EQ(rebuilt->size(), b_.size());
  EXPECT_EQ(rebuilt->last_entry_hash(), b_.ledger().head().last_entry_hash);
  EXPECT_EQ(rebuilt->Serialize(), b_.state().Serialize());
}

TEST_F(ReplayTest, ReplayToNIsTheStateWhenTheLogHadNEntries) {
  ASSERT_GT(at_size_.size(), 20u);
  for (const auto& [size, bytes] : at_size_) {
    auto replayed = projections::ReplayTo(b_.ledger(), size);
    ASSERT_OK(replayed);
    EXPECT_EQ(replayed->Serialize(), bytes) << "size " << size;
  }
}

// A rules-only state (the verifier's, State::KeepViewData(false)) folds the
// same log to the same rules' answers: the same size and head, the same
// recount of every round; only the texts the views show are left out.
TEST_F(ReplayTest, ARulesOnlyStateRecountsAsTheFullState) {
  State lean;
  lean.KeepViewData(false);
  ASSERT_OK(projections::CatchUp(b_.ledger(), b_.size(), &lean));
  EXPECT_EQ(lean.size(), b_.size());
  EXPECT_EQ(lean.last_entry_hash(), b_.ledger().head().last_entry_hash);
  int rounds = 0;
  for (const uint64_t round : {b_.refs().round, b_.refs().satisfaction_round}) {
    auto full = b_.state().Recount(round);
    auto thin = lean.Recount(round);
    ASSERT_OK(full);
    ASSERT_OK(thin);
    EXPECT_EQ(thin->issued, full->issued);
    EXPECT_EQ(thin->collected, full->collected);
    EXPECT_EQ(thin->complete, full->complete);
    EXPECT_EQ(thin->count, full->count);
    EXPECT_EQ(thin->outcome.elected, full->outcome.elected);
    ++rounds;
  }
  EXPECT_EQ(rounds, 2);
  // What it leaves out is only what the views read: smaller, not equal.
  EXPECT_LT(lean.Serialize().size(), b_.state().Serialize().size());
  // Not even the block a proposal's view texts would be kept in, nor the
  // entries' signing times; the full state has both.
  ASSERT_GT(lean.model().proposals.size(), 5u);
  for (const auto& [ref, p] : lean.model().proposals) {
    EXPECT_EQ(p.texts_held.get(), nullptr) << "proposal " << ref;
    EXPECT_EQ(p.details.title(),
              b_.state().model().proposals.at(ref).details.title());
  }
  EXPECT_TRUE(lean.model().entry_signed_at.empty());
  EXPECT_EQ(b_.state().model().entry_signed_at.size(), b_.size());
  for (const auto& [ref, p] : b_.state().model().proposals) {
    EXPECT_NE(p.texts_held.get(), nullptr) << "proposal " << ref;
  }
}

// Apply with the numbers of each author and jurisdiction kept by the
// caller between entries (State::Apply's third form, the verifier's) folds
// the log to the same state, byte for byte, as Apply looking them up for
// every entry; each key and each text gets a number of its own.
TEST_F(ReplayTest, KeptNumbersOfAuthorsAndJurisdictionsFoldTheSameState) {
  State kept;
  std::map<crypto::PublicKey, uint32_t> authors;
  std::map<std::string, uint32_t> jurisdictions;
  ASSERT_OK(b_.ledger().ForEachEntry(
      0, b_.size(), [&](uint64_t, std::string_view bytes) -> Status {
        ASSIGN_OR_RETURN(ledger::EntryView view,
                         ledger::EntryView::Parse(bytes));
        uint32_t& author =
            authors.try_emplace(view.author_key(), State::kUnknownNumber)
                .first->second;
        uint32_t& jurisdiction =
            jurisdictions
                .try_emplace(
                    ledger::TextString(view.authored().getJurisdiction()),
                    State::kUnknownNumber)
                .first->second;
        projections::PreparedEntry prepared(std::move(view));
        RETURN_IF_ERROR(kept.Check(prepared));
        kept.Apply(prepared, author, jurisdiction);
        return Status::Ok();
      }));
  EXPECT_EQ(kept.Serialize(), b_.state().Serialize());
  std::set<uint32_t> author_numbers, jurisdiction_numbers;
  for (const auto& [key, n] : authors) author_numbers.insert(n);
  for (const auto& [text, n] : jurisdictions) jurisdiction_numbers.insert(n);
  EXPECT_GT(authors.size(), 3u);
  EXPECT_EQ(author_numbers.size(), authors.size());
  EXPECT_EQ(jurisdiction_numbers.size(), jurisdictions.size());
  EXPECT_EQ(author_numbers.count(State::kUnknownNumber), 0u);
}

// A rules-only state saved and read back holds what it held: the same
// bytes, and still no block for a proposal's view texts, which are all
// empty (the reader made one for every proposal).
TEST_F(ReplayTest, ARulesOnlyStateReadBackHoldsNoTextBlocks) {
  State lean;
  lean.KeepViewData(false);
  ASSERT_OK(projections::CatchUp(b_.ledger(), b_.size(), &lean));
  const std::string bytes = lean.Serialize();
  BytesSource in(bytes);
  auto back = State::ReadSnapshot(in);
  ASSERT_OK(back);
  EXPECT_EQ(back->Serialize(), bytes);
  ASSERT_GT(back->model().proposals.size(), 5u);
  for (const auto& [ref, p] : back->model().proposals) {
    EXPECT_EQ(p.texts_held.get(), nullptr) << "proposal " << ref;
  }
  // A full state read back keeps the texts it has.
  const std::string full = b_.state().Serialize();
  BytesSource full_in(full);
  auto full_back = State::ReadSnapshot(full_in);
  ASSERT_OK(full_back);
  EXPECT_EQ(full_back->Serialize(), full);
  for (const auto& [ref, p] : full_back->model().proposals) {
    EXPECT_EQ(p.texts().description,
              b_.state().model().proposals.at(ref).texts().description)
        << "proposal " << ref;
  }
}

TEST_F(ReplayTest, ReplayBeyondTheLogIsOutOfRange) {
  auto r = projections::ReplayTo(b_.ledger(), b_.size() + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
}

TEST_F(ReplayTest, ReplayAsOfAnInstant) {
  // The vote: boxes opened at 11:00 CST on 25 February, ballots recorded
  // and the tally certified a few seconds later, the result at 12:00.
  auto at = projections::ParseInstantMs("2025-02-25T11:30:00+08:00");
  ASSERT_TRUE(at.has_value());
  auto state = projections::ReplayAsOf(b_.ledger(), *at);
  ASSERT_OK(state);
  EXPECT_EQ(state->size(), stage_size_.at(Stage::kTallyCertified));
  EXPECT_EQ(state->Serialize(), at_size_.at(state->size()));
  // The same instant in UTC.
  auto utc = projections::ParseInstantMs("2025-02-25T03:30:00Z");
  ASSERT_TRUE(utc.has_value());
  EXPECT_EQ(*utc, *at);
}

TEST_F(ReplayTest, ReplayAsOfADateIncludesThatWholeCstDay) {
  // "2025-02-25" means the end of that day in China: the result (12:00) is
  // in, the plans (5 March) are not.
  auto at = projections::ParseInstantMs("2025-02-25");
  ASSERT_TRUE(at.has_value());
  auto state = projections::ReplayAsOf(b_.ledger(), *at);
  ASSERT_OK(state);
  EXPECT_EQ(state->size(), stage_size_.at(Stage::kResultAnnounced));
  EXPECT_EQ(state->Serialize(), at_size_.at(state->size()));
  // Before genesis: the empty state.
  auto before = projections::ReplayAsOf(b_.ledger(), 0);
  ASSERT_OK(before);
  EXPECT_EQ(before->size(), 0u);
}

TEST_F(ReplayTest, ASnapshotPlusCatchUpEqualsIncremental) {
  const uint64_t snap_size = stage_size_.at(Stage::kResultAnnounced);
  auto early = projections::ReplayTo(b_.ledger(), snap_size);
  ASSERT_OK(early);
  const std::string path = tmp_.Sub("state.snapshot");
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), *early, path));
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_TRUE(info.from_snapshot);
  EXPECT_EQ(info.snapshot_size, snap_size);
  EXPECT_EQ(info.ignored_because, "");
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
}

TEST_F(ReplayTest, AMissingSnapshotMeansARebuild) {
  projections::LoadInfo info;
  auto loaded =
      projections::LoadOrRebuild(b_.ledger(), tmp_.Sub("none"), &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_EQ(info.ignored_because, "");
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
}

TEST_F(ReplayTest, ASnapshotOfAnotherLogIsIgnoredWithAReason) {
  // The same story in another ledger: same size, other nonces, other hashes.
  CycleBuilder other;
  ASSERT_OK(other.BuildThrough(Stage::kResultAnnounced));
  const std::string path = tmp_.Sub("other.snapshot");
  ASSERT_OK(projections::SaveSnapshot(other.ledger(), other.state(), path));
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("hash"), std::string::npos)
      << info.ignored_because;
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
}

TEST_F(ReplayTest, ASnapshotAheadOfTheLogIsIgnored) {
  CycleBuilder shorter;
  ASSERT_OK(shorter.BuildThrough(Stage::kCandidateList));
  const std::string path = tmp_.Sub("ahead.snapshot");
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), b_.state(), path));
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(shorter.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("entries"), std::string::npos);
  EXPECT_EQ(loaded->Serialize(), shorter.state().Serialize());
}

TEST_F(ReplayTest, ACorruptSnapshotIsIgnored) {
  const std::string good = b_.state().Serialize();
  const std::vector<std::string> bad = {
      "",
      "not json",
      good.substr(0, good.size() / 2),
      "{\"format\":\"piaojue-projections-snapshot/9\"}",
      "{\"format\":\"piaojue-projections-snapshot/1\",\"size\":1}",
      good + "x",
      good.substr(0, good.size() - 1)};
  for (const std::string& bytes : bad) {
    const std::string path = tmp_.Sub("bad.snapshot");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    projections::LoadInfo info;
    auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
    ASSERT_OK(loaded);
    EXPECT_FALSE(info.from_snapshot) << bytes.substr(0, 40);
    EXPECT_FALSE(info.ignored_because.empty()) << bytes.substr(0, 40);
    EXPECT_EQ(loaded->Serialize(), good);
  }
}

// A snapshot an earlier version wrote (JSON, "piaojue-projections-
// snapshot/2"), even sealed by the ledger, is not read: the state is
// rebuilt from the log and the reason says so.
TEST_F(ReplayTest, AnEarlierVersionsJsonSnapshotIsRefusedAndTheStateRebuilt) {
  const std::string path = tmp_.Sub("state.snapshot");
  const std::string old =
      "{\"format\":\"piaojue-projections-snapshot/2\",\"lastEntryHash\":\"" +
      crypto::ToHex(crypto::AsBytes(b_.state().last_entry_hash())) +
      "\",\"model\":{},\"size\":" + std::to_string(b_.size()) + "}";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << old;
  ASSERT_OK(b_.ledger().SealSnapshot(
      {b_.size(), crypto::Sha256(crypto::AsBytes(old))}));
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("earlier version"), std::string::npos)
      << info.ignored_because;
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
  // Saved again, it is the new format and is used.
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), b_.state(), path));
  EXPECT_EQ(ReadWholeFile(path).substr(0, 31),
            "piaojue-projections-snapshot/3\n");
  loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_TRUE(info.from_snapshot) << info.ignored_because;
  EXPECT_EQ(info.snapshot_size, b_.size());
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
}

// Someone who can write the data directory but not the ledger edits the
// snapshot consistently (its size and last entry hash still match the log).
// Loading it would show a false state and, worse, let the writer validate
// new entries against it; it must be ignored and the state rebuilt.
TEST_F(ReplayTest, AConsistentlyEditedSnapshotIsIgnoredAndRebuilt) {
  const std::string path = tmp_.Sub("state.snapshot");
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), b_.state(), path));
  ASSERT_EQ(MoveCyclesInSnapshot(path, 2025, 2019), 1);
  ASSERT_OK(State::Deserialize(ReadWholeFile(path)));  // still consistent
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("digest"), std::string::npos)
      << info.ignored_because;
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());
}

// A genuine but older snapshot put back in place of the newest one (or a
// snapshot file the writer never sealed) is not trusted either.
TEST_F(ReplayTest, AnOlderOrUnsealedSnapshotIsIgnored) {
  const uint64_t old_size = stage_size_.at(Stage::kCandidateList);
  auto old_state = projections::ReplayTo(b_.ledger(), old_size);
  ASSERT_OK(old_state);
  const std::string path = tmp_.Sub("state.snapshot");
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), *old_state, path));
  const std::string old_bytes = ReadWholeFile(path);
  ASSERT_OK(projections::SaveSnapshot(b_.ledger(), b_.state(), path));
  std::ofstream(path, std::ios::binary | std::ios::trunc) << old_bytes;
  projections::LoadInfo info;
  auto loaded = projections::LoadOrRebuild(b_.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("seal"), std::string::npos)
      << info.ignored_because;
  EXPECT_EQ(loaded->Serialize(), b_.state().Serialize());

  // A ledger that never sealed a snapshot trusts none.
  CycleBuilder fresh;
  ASSERT_OK(fresh.BuildThrough(Stage::kCandidateList));
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << fresh.state().Serialize();
  loaded = projections::LoadOrRebuild(fresh.ledger(), path, &info);
  ASSERT_OK(loaded);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_NE(info.ignored_because.find("no snapshot seal"), std::string::npos)
      << info.ignored_because;
}

// SaveSnapshot seals only a state of the ledger it is given.
TEST_F(ReplayTest, SavingTheStateOfAnotherLedgerIsRefused) {
  CycleBuilder other;
  ASSERT_OK(other.BuildThrough(Stage::kCandidateList));
  EXPECT_EQ(projections::SaveSnapshot(b_.ledger(), other.state(), tmp_.Sub("s"))
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ReplayTest, SerializeRoundTrips) {
  auto copy = State::Deserialize(b_.state().Serialize());
  ASSERT_OK(copy);
  EXPECT_EQ(copy->Serialize(), b_.state().Serialize());
  // A deserialized state keeps accepting entries like the original: the
  // views agree on it.
  projections::ViewQuery q;
  q.cycle = b_.refs().cycle;
  EXPECT_EQ(ViewOf(*copy, "funnel", q), ViewOf(b_.state(), "funnel", q));
}

TEST_F(ReplayTest, CorrectionsAndRetractionsRebuildAndRoundTripToo) {
  const auto& r = b_.refs();
  // Retract the inspection and the notice, correct a progress report, then
  // decide again.
  ASSERT_OK(
      b_.Submit(b_.keys().inspection, Correction(r.inspection, "重复录入")));
  ASSERT_OK(b_.Submit(b_.keys().standing, Correction(r.notice, "发错项目")));
  const uint64_t july = r.progress.at(r.barriers)[4];
  ASSERT_OK(b_.Submit(b_.keys().agency,
                      Correction(july, "少报", [&](schema::Event::Builder e) {
                        auto p = e.initProgressReported();
                        p.setProject(r.barriers);
                        CycleBuilder::SetDay(p.initAsOf(), 2025, 7, 31);
                        p.setPercentBp(5000);
                        p.setStarted(true);
                      })));
  auto rebuilt = projections::ReplayTo(b_.ledger(), b_.size());
  ASSERT_OK(rebuilt);
  EXPECT_EQ(rebuilt->Serialize(), b_.state().Serialize());
  auto copy = State::Deserialize(b_.state().Serialize());
  ASSERT_OK(copy);
  EXPECT_EQ(copy->Serialize(), b_.state().Serialize());
}

// (A snapshot whose records were damaged or edited inconsistently:
// SnapshotFormatTest, tests/projections/snapshot_format_test.cc.)

TEST_F(ReplayTest, TimeTravelledViewsEqualTheViewsOfThatTime) {
  // The funnel as it was after the party committee's review, rebuilt now.
  const uint64_t size = stage_size_.at(Stage::kPartyCommittee);
  auto then = State::Deserialize(at_size_.at(size));
  ASSERT_OK(then);
  auto replayed = projections::ReplayTo(b_.ledger(), size);
  ASSERT_OK(replayed);
  projections::ViewQuery q;
  q.cycle = b_.refs().cycle;
  const auto view = ViewOf(*replayed, "funnel", q);
  EXPECT_EQ(view, ViewOf(*then, "funnel", q));
  EXPECT_EQ(view["size"], size);
  // At that time the clinic was still in screening.
  for (const auto& p : view["proposals"]) {
    if (p["ref"] == b_.refs().clinic) {
      EXPECT_EQ(p["fate"]["status"], "inScreening");
    }
  }
}

TEST_F(ReplayTest, DiffShowsWhatChangedBetweenTwoPoints) {
  const uint64_t before_size = stage_size_.at(Stage::kPartyCommittee);
  const uint64_t after_size = stage_size_.at(Stage::kStandingCommittee);
  auto before = projections::ReplayTo(b_.ledger(), before_size);
  auto after = projections::ReplayTo(b_.ledger(), after_size);
  ASSERT_OK(before);
  ASSERT_OK(after);
  projections::ViewQuery q;
  q.cycle = b_.refs().cycle;
  const auto from = ViewOf(*before, "funnel", q);
  const auto to = ViewOf(*after, "funnel", q);
  const auto diff = projections::Diff(from, to);
  EXPECT_EQ(diff["from"], before_size);
  EXPECT_EQ(diff["to"], after_size);
  EXPECT_EQ(diff["view"], "funnel");
  ASSERT_TRUE(diff["patch"].is_array());
  // Applying the patch turns the old view into the new one (size and asOf
  // aside).
  auto patched = from.patch(diff["patch"]);
  auto want = to;
  patched.erase("size");
  patched.erase("asOf");
  want.erase("size");
  want.erase("asOf");
  EXPECT_EQ(patched, want);
  // Among the changes: the clinic's fate became a rejection.
  size_t clinic_index = 0;
  for (size_t i = 0; i < to["proposals"].size(); ++i) {
    if (to["proposals"][i]["ref"] == b_.refs().clinic) clinic_index = i;
  }
  const std::string fate =
      "/proposals/" + std::to_string(clinic_index) + "/fate";
  bool saw = false;
  for (const auto& op : diff["patch"]) {
    const std::string path = op["path"];
    if (path.rfind(fate, 0) == 0) saw = true;
    EXPECT_NE(path, "/size");
    EXPECT_NE(path, "/asOf");
  }
  EXPECT_TRUE(saw) << diff.dump(1);
  // No change, no patch.
  EXPECT_TRUE(projections::Diff(to, to)["patch"].empty());
}

// tests/vectors/ is a format-level example: its bytes, hashes, proofs and
// checkpoint are right, but its cycle has no collection window, so the
// cycle's rules refuse its last entry (docs/FORMAT.md, "Test vectors").
TEST(FormatVectorsTest, TheCycleRulesRefuseTheVectorsCycle) {
  std::ifstream in("tests/vectors/ledger-v2.txt");
  ASSERT_TRUE(in) << "run from the source tree";
  std::map<std::string, std::string> v;
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(": ");
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    v[line.substr(0, colon)] = line.substr(colon + 2);
  }
  auto unhex = [](const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      out.push_back(
          static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
  };
  State state;
  for (int i = 0; i < 4; ++i) {
    const std::string key = "entry" + std::to_string(i) + "_bytes";
    ASSERT_TRUE(v.count(key)) << key;
    auto view = ledger::EntryView::Parse(unhex(v[key]));
    ASSERT_OK(view);
    const Status s = state.Check(*view);
    if (i < 3) {
      ASSERT_OK(s);
      state.Apply(*view);
    } else {
      EXPECT_FALSE(s.ok());
      EXPECT_EQ(s.message().rfind("rule cycle.fields: ", 0), 0u)
          << s.ToString();
      EXPECT_NE(s.message().find("collectionStart"), std::string::npos)
          << s.ToString();
    }
  }
}

// A change is named by the record's reference and a readable path, never by
// its position in a list (issue 10): `proposals[ref=N].fate.status`.
TEST_F(ReplayTest, DiffNamesRecordsByReferenceNotPosition) {
  auto before = projections::ReplayTo(b_.ledger(),
                                      stage_size_.at(Stage::kPartyCommittee));
  auto after = projections::ReplayTo(b_.ledger(),
                                     stage_size_.at(Stage::kStandingCommittee));
  ASSERT_OK(before);
  ASSERT_OK(after);
  projections::ViewQuery q;
  q.cycle = b_.refs().cycle;
  const auto diff = projections::Diff(ViewOf(*before, "funnel", q),
                                      ViewOf(*after, "funnel", q));
  ASSERT_TRUE(diff["changes"].is_array()) << diff.dump(1);
  const std::string clinic_status =
      "proposals[ref=" + std::to_string(b_.refs().clinic) + "].fate.status";
  bool saw = false;
  for (const auto& c : diff["changes"]) {
    const std::string path = c["path"];
    // No bare list position anywhere in a path.
    EXPECT_EQ(path.find("/"), std::string::npos) << path;
    for (size_t i = path.find('['); i != std::string::npos;
         i = path.find('[', i + 1)) {
      EXPECT_FALSE(std::isdigit(static_cast<unsigned char>(path[i + 1])))
          << path;
    }
    if (path == clinic_status) {
      saw = true;
      EXPECT_EQ(c["op"], "replace");
      EXPECT_EQ(c["before"], "inScreening");
      EXPECT_EQ(c["after"], "rejected");
    }
  }
  EXPECT_TRUE(saw) << diff["changes"].dump(1);
  // A record that appears is one "add" naming it, with the whole record.
  nlohmann::json one{{"view", "x"}, {"items", {{{"ref", 5}, {"v", 1}}}}};
  nlohmann::json two = one;
  two["items"].push_back({{"ref", 9}, {"v", 2}});
  two["items"][0]["v"] = 3;
  const auto d = projections::Diff(one, two)["changes"];
  ASSERT_EQ(d.size(), 2u) << d.dump();
  EXPECT_EQ(d[0]["path"], "items[ref=5].v");
  EXPECT_EQ(d[0]["before"], 1);
  EXPECT_EQ(d[0]["after"], 3);
  EXPECT_EQ(d[1]["op"], "add");
  EXPECT_EQ(d[1]["path"], "items[ref=9]");
  EXPECT_EQ(d[1]["after"]["v"], 2);
  EXPECT_TRUE(projections::Diff(two, two)["changes"].empty());
}

}  // namespace
}  // namespace piaojue::testing

namespace piaojue::testing {
namespace {

// Past states kept in memory (projections::PastStates, what `piaojue serve`
// answers as_of from): each is the fold of exactly its entries, stays so
// while the fold goes on past it (the states share records, and the fold
// must copy what it changes rather than change a kept state), and a past
// state built from one equals a replay from entry 0.
TEST_F(ReplayTest, KeptPastStatesAreTheFoldOfTheirEntriesAndNeverChange) {
  const uint64_t every = 5;
  projections::PastStates past(every);
  ASSERT_OK(past.CatchUpTo(b_.ledger(), b_.size() / 2));
  std::vector<std::pair<std::shared_ptr<const State>, std::string>> early;
  for (uint64_t n = every; n <= b_.size() / 2; n += every) {
    auto kept = past.AtOrBefore(n);
    ASSERT_NE(kept, nullptr);
    ASSERT_EQ(kept->size(), n);
    early.emplace_back(kept, kept->Serialize());
  }
  ASSERT_OK(past.CatchUpTo(b_.ledger(), b_.size()));
  EXPECT_EQ(past.covered(), b_.size());
  EXPECT_EQ(past.kept(), b_.size() / every);
  for (const auto& [kept, bytes] : early) {
    EXPECT_EQ(kept->Serialize(), bytes) << "the kept state of " << kept->size();
  }
  for (const auto& [size, bytes] : at_size_) {
    auto base = past.AtOrBefore(size);
    if (size < every) {
      EXPECT_EQ(base, nullptr);
      continue;
    }
    ASSERT_NE(base, nullptr);
    EXPECT_EQ(base->size(), size / every * every);
    projections::PastStateInfo info;
    auto state = projections::StateAtSize(b_.ledger(), size, base.get(), &info);
    ASSERT_OK(state);
    EXPECT_LT(info.replayed, every);
    EXPECT_EQ(state->Serialize(), bytes) << "the state at " << size;
  }
}

// As a server keeps them (PastStates::Offer): from the states it publishes,
// of irregular sizes (a group of appends each). Every multiple of the
// spacing is kept, each the fold of exactly its entries, none changing
// while later states are offered and folded; and a query folding onto a
// kept state at the same time as the keeper (two copies sharing the lists
// appended to by two threads) changes neither.
TEST_F(ReplayTest, StatesKeptFromOfferedStatesAreTheFoldOfTheirEntries) {
  const uint64_t every = 4;
  projections::PastStates past(every);
  ASSERT_OK(past.CatchUpTo(b_.ledger(), 3));
  std::vector<std::pair<std::shared_ptr<const State>, std::string>> held;
  uint64_t at = 3, step = 1;
  while (at < b_.size()) {
    at = std::min(b_.size(), at + step);
    step = step % 7 + 2;  // 1, 3, 5, 7, 2, 4, ...: across multiples or not
    auto offered = projections::ReplayTo(b_.ledger(), at);
    ASSERT_OK(offered);
    ASSERT_OK(past.Offer(b_.ledger(), *offered));
    EXPECT_EQ(past.covered(), at);
    auto kept = past.AtOrBefore(at);
    if (at < every) continue;
    ASSERT_NE(kept, nullptr);
    ASSERT_EQ(kept->size(), at / every * every);
    if (held.empty() || held.back().first != kept) {
      held.emplace_back(kept, kept->Serialize());
      // A query folding onto it on another thread while the keeper goes on.
      std::thread query([&b = b_, kept, at] {
        auto s = projections::StateAtSize(b.ledger(), at, kept.get());
        EXPECT_TRUE(s.ok());
      });
      query.join();
    }
  }
  EXPECT_EQ(past.kept(), b_.size() / every);
  for (const auto& [kept, bytes] : held) {
    EXPECT_EQ(kept->Serialize(), bytes) << "the kept state of " << kept->size();
    auto replay = projections::ReplayTo(b_.ledger(), kept->size());
    ASSERT_OK(replay);
    EXPECT_EQ(bytes, replay->Serialize())
        << "the kept state of " << kept->size() << " is not the replay";
  }
}

// Over its memory budget, PastStates thins the states it keeps: the spacing
// doubles and only its multiples stay, so every past size is still within
// one spacing of a kept state, and each kept state is still exact.
TEST_F(ReplayTest, PastStatesOverBudgetAreThinnedAndStayExact) {
  const uint64_t every = 2;
  const size_t budget = 6;  // states, standing in for bytes
  projections::PastStates* self = nullptr;
  projections::PastStates past(every, [&] { return self->kept() > budget; });
  self = &past;
  ASSERT_OK(past.CatchUpTo(b_.ledger(), b_.size()));
  EXPECT_LE(past.kept(), budget);
  EXPECT_GT(past.spacing(), every);
  EXPECT_EQ(past.spacing() % every, 0u);
  EXPECT_EQ(past.kept(), b_.size() / past.spacing());
  for (const auto& [size, bytes] : at_size_) {
    auto base = past.AtOrBefore(size);
    if (size < past.spacing()) {
      EXPECT_EQ(base, nullptr);
      continue;
    }
    ASSERT_NE(base, nullptr);
    EXPECT_EQ(base->size() % past.spacing(), 0u);
    projections::PastStateInfo info;
    auto state = projections::StateAtSize(b_.ledger(), size, base.get(), &info);
    ASSERT_OK(state);
    EXPECT_LT(info.replayed, past.spacing());
    EXPECT_EQ(state->Serialize(), bytes) << "the state at " << size;
  }
}

}  // namespace
}  // namespace piaojue::testing

namespace piaojue::testing {
namespace {

// What `piaojue serve` publishes after each append: the rules' own state as
// of the last durable group of entries (RulesValidator::DurableState). Each
// such state is the fold of exactly the entries durable when it was kept,
// and stays so however many entries the rules apply after it (they share
// records with it, and must copy what they change).
TEST(DurableStateTest,
     EachKeptStateIsTheFoldOfTheDurableEntriesAndNeverChanges) {
  CycleBuilder b;
  b.validator().KeepDurableStates();
  std::vector<std::pair<std::shared_ptr<const State>, std::string>> held;
  while (b.stage() < Stage::kAll) {
    const auto next = static_cast<Stage>(static_cast<int>(b.stage()) + 1);
    ASSERT_OK(b.BuildThrough(next));
    std::shared_ptr<const State> durable = b.validator().DurableState();
    ASSERT_NE(durable, nullptr);
    ASSERT_EQ(durable->size(), b.size());
    held.emplace_back(durable, durable->Serialize());
  }
  ASSERT_GT(held.size(), 10u);
  for (const auto& [state, bytes] : held) {
    EXPECT_EQ(state->Serialize(), bytes) << "the state of " << state->size();
    auto replayed = projections::ReplayTo(b.ledger(), state->size());
    ASSERT_OK(replayed);
    EXPECT_EQ(replayed->Serialize(), bytes) << "the state of " << state->size();
  }
}

}  // namespace
}  // namespace piaojue::testing
