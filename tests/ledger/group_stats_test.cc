// What LedgerOptions::on_group reports of each group: how long placing it
// took, and how its synced write divides between the store's log (write and
// sync) and its in-memory table. The benchmarks report these to say where
// an append's time goes (docs/PERFORMANCE.md).
#include <gtest/gtest.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/ledger.h"
#include "tests/full_disk_fs.h"
#include "tests/test_util.h"

namespace piaojue::ledger {
namespace {

constexpr auto kSlowSync = std::chrono::milliseconds(6);
constexpr auto kSlowCheck = std::chrono::milliseconds(4);

// A disk whose every sync takes at least kSlowSync.
class SlowSyncFileSystem : public rocksdb::FileSystemWrapper {
 public:
  SlowSyncFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "SlowSyncFileSystem"; }

  rocksdb::IOStatus NewWritableFile(
      const std::string& path, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(path, options, file, dbg);
    if (s.ok()) *file = std::make_unique<File>(std::move(*file));
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    explicit File(std::unique_ptr<rocksdb::FSWritableFile>&& file)
        : FSWritableFileOwnerWrapper(std::move(file)) {}
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      std::this_thread::sleep_for(kSlowSync);
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      std::this_thread::sleep_for(kSlowSync);
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }
  };
};

// Accepts everything, each entry after kSlowCheck.
class SlowValidator : public EntryValidator {
 public:
  Status Validate(const EntryView&) override {
    std::this_thread::sleep_for(kSlowCheck);
    return Status();
  }
  void Apply(const EntryView&) override {}
};

int64_t Us(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::microseconds>(ms).count();
}

TEST(GroupStatsTest, PlacingTheLogAndTheTableAreTimedApart) {
  ASSERT_TRUE(crypto::InitCrypto().ok());
  const crypto::KeyPair root = testing::TestKey(1);
  testing::TempDir tmp;
  std::unique_ptr<rocksdb::Env> env =
      testing::EnvOn(std::make_shared<SlowSyncFileSystem>());
  SlowValidator validator;
  std::mutex mu;
  std::vector<GroupStats> groups;
  LedgerOptions o;
  o.clock = [] { return int64_t{1700000000000}; };
  o.env = env.get();
  o.validator = &validator;
  o.on_group = [&](const GroupStats& g) {
    std::lock_guard l(mu);
    groups.push_back(g);
  };
  auto ledger = Ledger::Create(tmp.Sub("db"), testing::Genesis(root), o);
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ASSERT_TRUE(
      (*ledger)
          ->Append(testing::RegisterJurisdiction(root, testing::kCounty))
          .ok());

  std::lock_guard l(mu);
  ASSERT_FALSE(groups.empty());
  const GroupStats& g = groups.back();
  ASSERT_EQ(g.appended, 1u);
  // Placing the one entry includes its check; the write includes the log's
  // sync, and is not shorter than its two timed parts (each rounded down).
  EXPECT_GE(g.place_us, Us(kSlowCheck));
  EXPECT_GE(g.log_us, Us(kSlowSync));
  EXPECT_GE(g.write_us, g.log_us);
  EXPECT_GE(g.memtable_us, 0);
  EXPECT_LE(g.log_us + g.memtable_us, g.write_us + 1);
}

}  // namespace
}  // namespace piaojue::ledger
