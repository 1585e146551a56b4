// A rebuild (projections::CatchUp) prepares entries on a second thread while
// it folds them (issue 15): whatever is wrong in the store, it must stop at
// the same entry, with the same error, holding the same state, as a fold
// that reads, parses, checks and applies one entry at a time.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "projections/replay.h"
#include "projections/state.h"
#include "tests/cycle_builder.h"

namespace piaojue::testing {
namespace {

using projections::State;

std::string EntryKey(uint64_t index) {
  std::string k = "e";
  for (int shift = 56; shift >= 0; shift -= 8) {
    k.push_back(static_cast<char>((index >> shift) & 0xff));
  }
  return k;
}

// The fold one entry at a time, on this thread: what a rebuild did before
// it was pipelined, and the reference its results are compared with.
Status FoldOneByOne(const ledger::Ledger& ledger, uint64_t begin, uint64_t end,
                    State* state) {
  return ledger.ForEachEntry(
      begin, end, [&](uint64_t index, std::string_view bytes) -> Status {
        auto entry = ledger::EntryView::Parse(bytes);
        if (!entry.ok()) {
          return Status(entry.status().code(),
                        "entry " + std::to_string(index) + ": " +
                            entry.status().message());
        }
        Status s = state->Check(*entry);
        if (!s.ok()) {
          return Status(s.code(),
                        "entry " + std::to_string(index) + ": " + s.message());
        }
        state->Apply(*entry);
        return Status::Ok();
      });
}

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(b_.BuildAll());
    // Enough entries for the pipeline (64 or more to fold) and several of
    // its batches (16, 32, 64...).
    ASSERT_GE(b_.size(), 100u);
  }

  // Runs `edit` on the store's raw RocksDB (the ledger closed meanwhile).
  void EditStore(const std::function<void(rocksdb::DB&)>& edit) {
    b_.Close();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), b_.dir(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    edit(*db);
    db.reset();
    ASSERT_OK(b_.Reopen());
  }

  std::string Get(rocksdb::DB& db, uint64_t index) {
    std::string v;
    EXPECT_TRUE(db.Get({}, EntryKey(index), &v).ok()) << "no entry " << index;
    return v;
  }

  // CatchUp from `begin` to the head and the one-by-one fold agree: the
  // same status (code and words) and the same state, of `stops_at` entries.
  void ExpectSameAsOneByOne(uint64_t begin, uint64_t stops_at) {
    SCOPED_TRACE("from " + std::to_string(begin));
    State pipelined, reference;
    if (begin > 0) {
      ASSERT_OK(projections::CatchUp(b_.ledger(), begin, &pipelined));
      ASSERT_OK(FoldOneByOne(b_.ledger(), 0, begin, &reference));
    }
    const Status got = projections::CatchUp(b_.ledger(), b_.size(), &pipelined);
    const Status want = FoldOneByOne(b_.ledger(), begin, b_.size(), &reference);
    EXPECT_FALSE(want.ok());
    EXPECT_EQ(got.code(), want.code()) << got.ToString();
    EXPECT_EQ(got.message(), want.message());
    EXPECT_EQ(pipelined.size(), stops_at);
    EXPECT_EQ(pipelined.Serialize(), reference.Serialize());
  }

  CycleBuilder b_;
};

TEST_F(RebuildTest, AWholeRebuildEqualsTheIncrementalState) {
  for (uint64_t begin : {uint64_t{0}, uint64_t{1}, uint64_t{17}, b_.size() - 70,
                         b_.size() - 63, b_.size() - 1}) {
    State state;
    if (begin > 0) ASSERT_OK(projections::CatchUp(b_.ledger(), begin, &state));
    ASSERT_OK(projections::CatchUp(b_.ledger(), b_.size(), &state));
    EXPECT_EQ(state.Serialize(), b_.state().Serialize()) << "from " << begin;
  }
}

// An entry moved into another's place is refused by the rules (it claims
// another index) at the place it was found, wherever that is in the batches.
TEST_F(RebuildTest, AnEntryOutOfPlaceIsRefusedAtItsPlaceAsOneByOne) {
  const std::vector<uint64_t> places = {5, 16, 47, 48, 80, b_.size() - 2};
  for (uint64_t k : places) {
    SCOPED_TRACE("entry " + std::to_string(k));
    std::string original;
    EditStore([&](rocksdb::DB& db) {
      original = Get(db, k);
      ASSERT_TRUE(db.Put({}, EntryKey(k), Get(db, k - 1)).ok());
    });
    ExpectSameAsOneByOne(0, k);
    ExpectSameAsOneByOne(k > 70 ? k - 70 : 0, k);
    // The message names the place and the rule, as before.
    State state;
    const Status s = projections::CatchUp(b_.ledger(), b_.size(), &state);
    EXPECT_EQ(s.message().rfind("entry " + std::to_string(k) +
                                    ": rule state.order: entry " +
                                    std::to_string(k - 1) + " cannot follow",
                                0),
              0u)
        << s.ToString();
    EditStore([&](rocksdb::DB& db) {
      ASSERT_TRUE(db.Put({}, EntryKey(k), original).ok());
    });
  }
  State state;
  ASSERT_OK(projections::CatchUp(b_.ledger(), b_.size(), &state));
  EXPECT_EQ(state.Serialize(), b_.state().Serialize());
}

TEST_F(RebuildTest, AnUndecodableEntryIsReportedAtItsPlaceAsOneByOne) {
  const uint64_t k = 60;
  EditStore([&](rocksdb::DB& db) {
    std::string bytes = Get(db, k);
    ASSERT_TRUE(
        db.Put({}, EntryKey(k), bytes.substr(0, bytes.size() / 2)).ok());
  });
  ExpectSameAsOneByOne(0, k);
  State state;
  const Status s = projections::CatchUp(b_.ledger(), b_.size(), &state);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(s.message().rfind("entry 60: ", 0), 0u) << s.ToString();
}

TEST_F(RebuildTest, AMissingEntryIsReportedAfterFoldingTheOnesBeforeIt) {
  const uint64_t k = 77;
  EditStore(
      [&](rocksdb::DB& db) { ASSERT_TRUE(db.Delete({}, EntryKey(k)).ok()); });
  ExpectSameAsOneByOne(0, k);
  State state;
  const Status s = projections::CatchUp(b_.ledger(), b_.size(), &state);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(s.message(), "entry 77 is missing from the store");
}

// A refusal early in a long range stops the preparing thread (which may be
// blocked handing over a batch): the call returns, and a later one works.
TEST_F(RebuildTest, AnEarlyRefusalStopsThePreparingThread) {
  EditStore([&](rocksdb::DB& db) {
    ASSERT_TRUE(db.Put({}, EntryKey(3), Get(db, 2)).ok());
  });
  for (int i = 0; i < 20; ++i) {
    State state;
    const Status s = projections::CatchUp(b_.ledger(), b_.size(), &state);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(state.size(), 3u);
  }
}

}  // namespace
}  // namespace piaojue::testing
