// Projection snapshots every K entries (issue 15): the state at any past
// size built from the nearest snapshot equals a full replay, costs at most
// K entries folded, and a damaged, moved or forged snapshot is never used.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "projections/replay.h"
#include "projections/state.h"
#include "projections/views.h"
#include "tests/cycle_builder.h"
#include "tests/snapshot_util.h"

namespace piaojue::testing {
namespace {

using projections::PastStateInfo;
using projections::State;
using Stage = CycleBuilder::Stage;

constexpr uint64_t kEvery = 8;

std::string Be64Key(char prefix, uint64_t v) {
  std::string k(1, prefix);
  for (int shift = 56; shift >= 0; shift -= 8) {
    k.push_back(static_cast<char>((v >> shift) & 0xff));
  }
  return k;
}

class ProjectionSnapshotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(b_.BuildAll());
    ASSERT_GT(b_.size(), 10 * kEvery);
    // The truth: a full replay from entry 0 at every size.
    for (uint64_t n = 0; n <= b_.size(); ++n) {
      auto s = projections::ReplayTo(b_.ledger(), n);
      ASSERT_OK(s);
      truth_[n] = s->Serialize();
    }
  }

  void WriteSnapshots() {
    projections::SnapshotWriter writer(b_.ledger(), kEvery);
    auto written = writer.CatchUpTo(b_.size());
    ASSERT_OK(written);
    EXPECT_EQ(*written, b_.size() / kEvery);
  }

  // Runs `edit` on the store's raw RocksDB (the ledger closed meanwhile),
  // as someone with access to the files would.
  void EditStore(const std::function<void(rocksdb::DB&)>& edit) {
    b_.Close();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), b_.dir(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    edit(*db);
    db.reset();
    ASSERT_OK(b_.Reopen());
  }

  std::string Get(rocksdb::DB& db, const std::string& key) {
    std::string v;
    EXPECT_TRUE(db.Get({}, key, &v).ok()) << "no key";
    return v;
  }

  CycleBuilder b_;
  std::map<uint64_t, std::string> truth_;
};

TEST_F(ProjectionSnapshotsTest,
       StateAtEverySizeFromSnapshotsEqualsAFullReplay) {
  WriteSnapshots();
  // Every size: 0, on every boundary, just before and after each, the head.
  for (uint64_t n = 0; n <= b_.size(); ++n) {
    PastStateInfo info;
    auto s = projections::StateAtSize(b_.ledger(), n, nullptr, &info);
    ASSERT_OK(s);
    EXPECT_EQ(s->Serialize(), truth_[n]) << "size " << n;
    // At most K entries replayed, counted rather than timed.
    EXPECT_LT(info.replayed, kEvery) << "size " << n;
    EXPECT_EQ(info.base, n - n % kEvery) << "size " << n;
    EXPECT_EQ(info.from_snapshot, n >= kEvery) << "size " << n;
    EXPECT_TRUE(info.skipped.empty()) << info.skipped.front();
  }
}

TEST_F(ProjectionSnapshotsTest, WithoutSnapshotsTheStateIsAFullReplay) {
  const uint64_t n = b_.size() - 3;
  PastStateInfo info;
  auto s = projections::StateAtSize(b_.ledger(), n, nullptr, &info);
  ASSERT_OK(s);
  EXPECT_EQ(s->Serialize(), truth_[n]);
  EXPECT_EQ(info.replayed, n);
  EXPECT_FALSE(info.from_snapshot);
  EXPECT_EQ(
      projections::StateAtSize(b_.ledger(), b_.size() + 1).status().code(),
      StatusCode::kOutOfRange);
}

TEST_F(ProjectionSnapshotsTest, SnapshotsAreWrittenAsTheLogGrowsAndBackfilled) {
  // A log of some entries without snapshots: the first call backfills.
  CycleBuilder grow;
  ASSERT_OK(grow.BuildThrough(Stage::kCandidateList));
  projections::SnapshotWriter writer(grow.ledger(), kEvery);
  auto first = writer.CatchUpTo(grow.ledger().size());
  ASSERT_OK(first);
  EXPECT_EQ(*first, grow.size() / kEvery);
  // The log grows: only the new boundaries are written.
  const uint64_t before = grow.size();
  ASSERT_OK(grow.BuildAll());
  auto next = writer.CatchUpTo(grow.ledger().size());
  ASSERT_OK(next);
  EXPECT_EQ(*next, grow.size() / kEvery - before / kEvery);
  EXPECT_EQ(*writer.CatchUpTo(grow.ledger().size()), 0u);
  auto sizes = grow.ledger().ProjectionSnapshotSizes();
  ASSERT_OK(sizes);
  ASSERT_EQ(sizes->size(), grow.size() / kEvery);
  for (size_t i = 0; i < sizes->size(); ++i) {
    EXPECT_EQ((*sizes)[i], (i + 1) * kEvery);
  }
  // A second writer over the same store (a restart) writes nothing again.
  projections::SnapshotWriter again(grow.ledger(), kEvery);
  EXPECT_EQ(*again.CatchUpTo(grow.ledger().size()), 0u);
}

TEST_F(ProjectionSnapshotsTest,
       ADamagedSnapshotIsIgnoredAndTheAnswerIsStillRight) {
  WriteSnapshots();
  const uint64_t damaged = 3 * kEvery;
  EditStore([&](rocksdb::DB& db) {
    std::string bytes = Get(db, Be64Key('p', damaged));
    bytes[bytes.size() / 2] ^= 0x01;
    ASSERT_TRUE(db.Put({}, Be64Key('p', damaged), bytes).ok());
  });
  for (uint64_t n = damaged; n < damaged + kEvery; ++n) {
    PastStateInfo info;
    auto s = projections::StateAtSize(b_.ledger(), n, nullptr, &info);
    ASSERT_OK(s);
    EXPECT_EQ(s->Serialize(), truth_[n]) << "size " << n;
    EXPECT_EQ(info.base, damaged - kEvery);
    ASSERT_EQ(info.skipped.size(), 1u);
    EXPECT_NE(info.skipped[0].find("SHA-256"), std::string::npos)
        << info.skipped[0];
  }
  // The others are untouched.
  PastStateInfo info;
  ASSERT_OK(
      projections::StateAtSize(b_.ledger(), damaged + kEvery, nullptr, &info));
  EXPECT_EQ(info.replayed, 0u);
  EXPECT_TRUE(info.skipped.empty());
}

TEST_F(ProjectionSnapshotsTest,
       ASnapshotMovedOrResealedUnderAnotherSizeIsIgnored) {
  WriteSnapshots();
  const uint64_t at = 4 * kEvery;
  EditStore([&](rocksdb::DB& db) {
    // Moved: the record of 2K stored under 4K's key, seal and all.
    ASSERT_TRUE(
        db.Put({}, Be64Key('s', at), Get(db, Be64Key('s', 2 * kEvery))).ok());
    ASSERT_TRUE(
        db.Put({}, Be64Key('p', at), Get(db, Be64Key('p', 2 * kEvery))).ok());
  });
  PastStateInfo info;
  auto s = projections::StateAtSize(b_.ledger(), at + 1, nullptr, &info);
  ASSERT_OK(s);
  EXPECT_EQ(s->Serialize(), truth_[at + 1]);
  EXPECT_EQ(info.base, at - kEvery);
  ASSERT_EQ(info.skipped.size(), 1u);
  EXPECT_NE(info.skipped[0].find("another size"), std::string::npos)
      << info.skipped[0];

  // Resealed: 2K's state under 4K with a seal recomputed for the log at 4K
  // (someone who can write the store and knows the format). The seal now
  // checks; the state itself does not hold 4K entries.
  const uint64_t other = 6 * kEvery;
  EditStore([&](rocksdb::DB& db) {
    ASSERT_TRUE(
        db.Put({}, Be64Key('p', other), Get(db, Be64Key('p', 2 * kEvery)))
            .ok());
  });
  auto sizes = b_.ledger().ProjectionSnapshotSizes();
  ASSERT_OK(sizes);
  ASSERT_OK(b_.ledger().PutProjectionSnapshot(other, truth_[2 * kEvery]));
  info = {};
  s = projections::StateAtSize(b_.ledger(), other + 2, nullptr, &info);
  ASSERT_OK(s);
  EXPECT_EQ(s->Serialize(), truth_[other + 2]);
  EXPECT_EQ(info.base, other - kEvery);
  ASSERT_EQ(info.skipped.size(), 1u);
  EXPECT_NE(info.skipped[0].find("holds a state of"), std::string::npos)
      << info.skipped[0];
}

TEST_F(ProjectionSnapshotsTest, RecheckFindsAResealedForgeryAndRewritesIt) {
  WriteSnapshots();
  // A forgery that passes every check at read time: the state of exactly
  // 5K entries with its cycle moved to another year, resealed for the log
  // at 5K.
  const uint64_t at = 5 * kEvery;
  int changed = 0;
  const std::string forged =
      EditSnapshot(truth_[at], [&](projections::internal::Model& m) {
        std::vector<uint64_t> refs;
        for (const auto& [ref, cycle] : m.cycles) refs.push_back(ref);
        for (uint64_t ref : refs) {
          m.cycles.mut(ref).year = 1999;
          ++changed;
        }
      });
  ASSERT_GT(changed, 0);
  ASSERT_OK(b_.ledger().PutProjectionSnapshot(at, forged));
  auto served = projections::StateAtSize(b_.ledger(), at);
  ASSERT_OK(served);
  ASSERT_NE(served->Serialize(), truth_[at]);  // what the recheck is for

  auto info = projections::RecheckProjectionSnapshots(b_.ledger(), kEvery);
  ASSERT_OK(info);
  EXPECT_EQ(info->rewritten, 1u);
  EXPECT_EQ(info->checked, b_.size() / kEvery - 1);
  served = projections::StateAtSize(b_.ledger(), at);
  ASSERT_OK(served);
  EXPECT_EQ(served->Serialize(), truth_[at]);
  // Nothing left to rewrite.
  info = projections::RecheckProjectionSnapshots(b_.ledger(), kEvery);
  ASSERT_OK(info);
  EXPECT_EQ(info->rewritten, 0u);
}

// Every state of this log, at every size, reads back from its snapshot bytes
// to a state that writes the same bytes and shows the same views.
TEST_F(ProjectionSnapshotsTest, EveryStateReadsBackFromItsBytes) {
  for (const auto& [n, bytes] : truth_) {
    auto back = State::Deserialize(bytes);
    ASSERT_TRUE(back.ok()) << "size " << n << ": " << back.status().ToString();
    ASSERT_EQ(back->Serialize(), bytes) << "size " << n;
    auto original = projections::ReplayTo(b_.ledger(), n);
    ASSERT_OK(original);
    for (const std::string name : {"cycles", "funnel", "projects"}) {
      projections::ViewQuery q;
      if (name != "cycles" && !back->CycleRefs().empty()) {
        q.cycle = back->CycleRefs().front();
      }
      auto a = projections::View(*back, name, q);
      auto b = projections::View(*original, name, q);
      ASSERT_EQ(a.ok(), b.ok()) << name << " at " << n;
      if (a.ok()) {
        EXPECT_EQ(a->dump(), b->dump()) << name << " at " << n;
      }
    }
  }
}

TEST_F(ProjectionSnapshotsTest, AStateAtHandIsUsedAsTheBase) {
  WriteSnapshots();
  State base;
  ASSERT_OK(projections::CatchUp(b_.ledger(), 2 * kEvery + 5, &base));
  PastStateInfo info;
  auto s = projections::StateAtSize(b_.ledger(), 2 * kEvery + 7, &base, &info);
  ASSERT_OK(s);
  EXPECT_EQ(s->Serialize(), truth_[2 * kEvery + 7]);
  EXPECT_EQ(info.base, 2 * kEvery + 5);
  EXPECT_EQ(info.replayed, 2u);
  EXPECT_FALSE(info.from_snapshot);
}

TEST_F(ProjectionSnapshotsTest, TheSealIsCheckedAgainstTheLog) {
  EXPECT_EQ(b_.ledger().PutProjectionSnapshot(0, "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(b_.ledger().PutProjectionSnapshot(b_.size() + 1, "x").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(b_.ledger().ProjectionSnapshotAtOrBelow(b_.size()).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace piaojue::testing
