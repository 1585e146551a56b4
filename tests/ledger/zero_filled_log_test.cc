// The write-ahead log's zero filler against the appends beside it: an
// append never waits for a piece of zeros written beyond it, and one that
// reaches into the piece being written waits for it and keeps its bytes.
#include "ledger/internal/zero_filled_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <string>

#include "tests/test_util.h"

namespace piaojue::ledger::internal {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

// Holds the filler inside the first piece of zeros that starts at or beyond
// `hold_from` until Release().
class HeldPiece {
 public:
  explicit HeldPiece(uint64_t hold_from) : hold_from_(hold_from) {}

  ZeroWriter Writer() {
    return [this](int fd, const void* zeros, size_t n, off_t at) {
      {
        std::unique_lock l(mu_);
        if (!released_ && static_cast<uint64_t>(at) >= hold_from_ && !held_) {
          held_ = true;
          held_at_ = static_cast<uint64_t>(at);
          changed_.notify_all();
          changed_.wait(l, [&] { return released_; });
        }
      }
      return ::pwrite(fd, zeros, n, at);
    };
  }
  // Where the held piece starts, once the filler is in it.
  uint64_t WaitUntilHeld() {
    std::unique_lock l(mu_);
    EXPECT_TRUE(changed_.wait_for(l, 60s, [&] { return held_; }))
        << "the filler never reached " << hold_from_;
    return held_at_;
  }
  void Release() {
    std::lock_guard l(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  const uint64_t hold_from_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool held_ = false;
  bool released_ = false;
  uint64_t held_at_ = 0;
};

std::unique_ptr<ZeroFilledLog> OpenLog(const std::string& path,
                                       HeldPiece& held) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  EXPECT_TRUE(
      rocksdb::FileSystem::Default()
          ->NewWritableFile(path, rocksdb::FileOptions(), &file, nullptr)
          .ok());
  const int fill_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  EXPECT_GE(fill_fd, 0);
  return std::make_unique<ZeroFilledLog>(std::move(file), fill_fd,
                                         held.Writer());
}

std::future<rocksdb::IOStatus> AppendLater(ZeroFilledLog& log,
                                           const std::string& bytes) {
  return std::async(std::launch::async, [&log, bytes] {
    return log.Append(rocksdb::Slice(bytes), rocksdb::IOOptions(), nullptr);
  });
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Where `got` first differs from `want` (npos when equal), so that a failure
// names an offset rather than printing the whole log.
size_t FirstDifference(const std::string& got, const std::string& want) {
  const size_t n = std::min(got.size(), want.size());
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) return i;
  }
  return got.size() == want.size() ? std::string::npos : n;
}

// A log with `first` appended, its filler held in the first piece of zeros
// at or beyond 256 KiB.
class ZeroFilledLogTest : public ::testing::Test {
 protected:
  ZeroFilledLogTest() : log_(OpenLog(path_, held_)) {}
  ~ZeroFilledLogTest() override {
    held_.Release();  // else closing the log would wait for the filler
    log_.reset();
  }
  // Appends `first_` and returns where the held piece starts.
  uint64_t AppendFirstAndHoldAPiece() {
    EXPECT_TRUE(log_->Append(first_, rocksdb::IOOptions(), nullptr).ok());
    return held_.WaitUntilHeld();
  }

  TempDir tmp_;
  const std::string path_ = tmp_.Sub("000004.log");
  HeldPiece held_{256 << 10};
  std::unique_ptr<ZeroFilledLog> log_;
  const std::string first_ = std::string(100, 'a');
};

TEST_F(ZeroFilledLogTest, AnAppendBelowThePieceOfZerosBeingWrittenDoesNotWait) {
  const uint64_t piece = AppendFirstAndHoldAPiece();
  ASSERT_GE(piece, uint64_t{256 << 10});

  // Well below the held piece: it must not wait for the filler's write.
  const std::string second(1000, 'b');
  auto appended = AppendLater(*log_, second);
  const bool done = appended.wait_for(60s) == std::future_status::ready;
  held_.Release();
  ASSERT_TRUE(done) << "an append below the piece waited for it";
  ASSERT_TRUE(appended.get().ok());

  ASSERT_TRUE(log_->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(FirstDifference(ReadFile(path_), first_ + second),
            std::string::npos);
}

TEST_F(ZeroFilledLogTest,
       AnAppendReachingIntoThePieceBeingWrittenWaitsAndKeepsItsBytes) {
  const uint64_t piece = AppendFirstAndHoldAPiece();

  // From the log's end to 1,000 bytes into the held piece.
  const std::string second(piece - first_.size() + 1000, 'c');
  auto appended = AppendLater(*log_, second);
  // It may not reach the file while zeros bound for the same bytes are in
  // flight (were it to, the zeros would land on it after the release).
  EXPECT_EQ(appended.wait_for(200ms), std::future_status::timeout);
  held_.Release();
  ASSERT_TRUE(appended.get().ok());
  ASSERT_TRUE(log_->Sync(rocksdb::IOOptions(), nullptr).ok());

  // The filler goes on beyond the append: zeros only after it.
  const std::string third(5000, 'd');
  ASSERT_TRUE(log_->Append(third, rocksdb::IOOptions(), nullptr).ok());
  ASSERT_TRUE(log_->Close(rocksdb::IOOptions(), nullptr).ok());
  EXPECT_EQ(FirstDifference(ReadFile(path_), first_ + second + third),
            std::string::npos);
}

}  // namespace
}  // namespace piaojue::ledger::internal
