// A RocksDB FileSystem whose table-file reads can be made to fail, as a
// disk with unreadable sectors (EIO) does: while failing, every positioned
// read of an .sst file returns an IOError. Files opened before the switch
// fail too, since the check is made on each read (RocksDB reads tables
// asynchronously only when ReadOptions::async_io asks; the ledger does not).
// Everything else (the write-ahead log, MANIFEST, writes) passes through to
// the real file system.
#pragma once

#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace piaojue::testing {

class FailingReadsFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FailingReadsFileSystem()
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "FailingReadsFileSystem"; }

  void set_failing(bool failing) { state_->failing.store(failing); }
  // Table-file reads refused so far.
  int failed_reads() const { return state_->failed.load(); }

  rocksdb::IOStatus NewRandomAccessFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSRandomAccessFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->NewRandomAccessFile(name, options, result, dbg);
    const bool table = name.size() > 4 && name.ends_with(".sst");
    if (s.ok() && table) result->reset(new File(std::move(*result), state_));
    return s;
  }

 private:
  struct State {
    std::atomic<bool> failing{false};
    std::atomic<int> failed{0};
  };

  class File : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSRandomAccessFile>&& file,
         std::shared_ptr<State> state)
        : rocksdb::FSRandomAccessFileOwnerWrapper(std::move(file)),
          state_(std::move(state)) {}

    rocksdb::IOStatus Read(uint64_t offset, size_t n,
                           const rocksdb::IOOptions& options,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* dbg) const override {
      if (Failing()) return Unreadable();
      return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result,
                                                  scratch, dbg);
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num_reqs,
                                const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (Failing()) return Unreadable();
      return FSRandomAccessFileOwnerWrapper::MultiRead(reqs, num_reqs, options,
                                                       dbg);
    }

   private:
    bool Failing() const { return state_->failing.load(); }
    rocksdb::IOStatus Unreadable() const {
      state_->failed.fetch_add(1);
      return rocksdb::IOStatus::IOError("injected: unreadable sector");
    }
    std::shared_ptr<State> state_;
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace piaojue::testing
