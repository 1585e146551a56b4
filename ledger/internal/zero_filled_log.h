// The write-ahead log written over zeros already on disk (issue 15: a
// group's synced write; docs/RELIABILITY.md, "The write-ahead log written
// over zeros").
//
// RocksDB preallocates its log with fallocate, which leaves the blocks
// unwritten and the file's size short: every fdatasync after an append then
// also writes the inode (the new size, the extents turned written), twice on
// ext4 without a journal, before the cache flush — four device round trips
// where two carry the data. Here a thread of the log's own keeps zeros
// written and synced ahead of the records (1 to 2 MiB ahead), so a group's
// write overwrites blocks the file already holds and its fdatasync is the
// data and the flush (plus the inode when the mtime's clock tick changed).
// The price: every byte of the log is written twice.
//
// What stays true: the records are written and synced by RocksDB's own
// file exactly as before; zeros are only ever written beyond every byte
// RocksDB has announced (PrepareWrite, and each Append itself, before the
// bytes reach the file); a failed fill only stops filling. A crash leaves
// zeros after the last record, which RocksDB's reader takes as the end of
// the log (test
// LedgerTest.AppendsAcknowledgedBeforeACrashAreRecoveredOverTheZeroedLogTail);
// a clean close cuts them off.
//
// Private to ledger/: included only from ledger/*.cc and its tests.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

namespace piaojue::ledger::internal {

// How the filler writes one piece of zeros: pwrite(2), unless a test stands
// in (to hold a piece in flight). Returns what pwrite returns.
using ZeroWriter =
    std::function<ssize_t(int fd, const void* zeros, size_t n, off_t at)>;

class ZeroFilledLog : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  static constexpr uint64_t kAhead = 1 << 20;
  static constexpr uint64_t kPiece = 64 << 10;

  // `fill_fd`: the same file opened again for writing the zeros (owned).
  ZeroFilledLog(std::unique_ptr<rocksdb::FSWritableFile> log, int fill_fd,
                ZeroWriter write_zeros = nullptr);
  ~ZeroFilledLog() override;

  // Called by RocksDB before each write of [offset, offset + len) (the
  // log's end): from now on nothing at or below offset + len is zeroed.
  void PrepareWrite(size_t offset, size_t len, const rocksdb::IOOptions&,
                    rocksdb::IODebugContext*) override;
  // Every write announces its own end too before it reaches the file, so
  // that no zero lands on a record even if a RocksDB version wrote without
  // PrepareWrite first: the announcement is the one guarantee the filler
  // relies on.
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Append(const rocksdb::Slice& data,
                           const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                     uint64_t offset,
                                     const rocksdb::IOOptions& o,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override;
  // The zeros are the preallocation.
  rocksdb::IOStatus Allocate(uint64_t, uint64_t, const rocksdb::IOOptions&,
                             rocksdb::IODebugContext*) override;
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o,
                          rocksdb::IODebugContext* dbg) override;

 private:
  void Fill();
  void Announce(uint64_t end);
  void StopFilling();

  int fill_fd_;
  ZeroWriter write_zeros_;
  std::mutex mu_;
  std::condition_variable wake_;        // the filler: more zeros wanted
  std::condition_variable piece_done_;  // announcers: a piece has landed
  uint64_t announced_end_ = 0;  // guarded by mu_; RocksDB writes below it
  uint64_t wanted_end_ = 0;     // guarded by mu_; zeros wanted up to here
  uint64_t zeroed_end_ = 0;     // guarded by mu_; zeros or records below
  // While piece_in_flight_, the filler is writing a piece of zeros that
  // starts at piece_begin_, outside mu_ (an announcement reaching past
  // piece_begin_ waits for it to land); guarded by mu_.
  bool piece_in_flight_ = false;
  uint64_t piece_begin_ = 0;
  bool stop_ = false;  // guarded by mu_
  std::thread filler_;
};

// RocksDB's write-ahead logs are named NNNNNN.log.
bool IsWriteAheadLogName(std::string_view path);

// The default file system, with each new write-ahead log a ZeroFilledLog
// where the file can be opened a second time (any other file, or a log
// that cannot, as before).
class ZeroFilledLogFileSystem : public rocksdb::FileSystemWrapper {
 public:
  using rocksdb::FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "piaojue.ZeroFilledLog"; }
  rocksdb::IOStatus NewWritableFile(
      const std::string& path, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* file,
      rocksdb::IODebugContext* dbg) override;
};

// RocksDB's default environment with ZeroFilledLogFileSystem: the store's
// when LedgerOptions::env is null, and what `piaojue-bench limits` measures
// RocksDB alone on. One for the process, never freed (every store may use
// it until exit).
rocksdb::Env* ZeroFilledLogEnv();

}  // namespace piaojue::ledger::internal
