// A RocksDB FileSystem that behaves like a disk that has filled up, for
// tests of the store's handling of "no space left on device": once full,
// every write, flush and sync of a file fails with IOStatus::NoSpace (as
// ENOSPC does) and GetFreeSpace reports 0 bytes; reads and everything else
// pass through to the real file system. Flip it back with set_full(false),
// as an operator freeing space. set_full(true, /*free_space_shows=*/false)
// is a disk that fills between a free-space check and the write: writes
// fail while GetFreeSpace still reports the real disk's room.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <sys/mount.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

namespace piaojue::testing {

class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FullDiskFileSystem()
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

  const char* Name() const override { return "FullDiskFileSystem"; }

  void set_full(bool full, bool free_space_shows = true) {
    free_space_shows_.store(free_space_shows);
    full_->store(full);
  }
  bool full() const { return full_->load(); }
  // Writes, flushes and syncs refused so far.
  int refusals() const { return refusals_->load(); }

  rocksdb::IOStatus GetFreeSpace(const std::string& path,
                                 const rocksdb::IOOptions& options,
                                 uint64_t* free,
                                 rocksdb::IODebugContext* dbg) override {
    if (full_->load() && free_space_shows_.load()) {
      *free = 0;
      return rocksdb::IOStatus::OK();
    }
    return target()->GetFreeSpace(path, options, free, dbg);
  }

  rocksdb::IOStatus NewWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    if (s.ok()) result->reset(new File(std::move(*result), full_, refusals_));
    return s;
  }

  rocksdb::IOStatus ReopenWritableFile(
      const std::string& name, const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->ReopenWritableFile(name, options, result, dbg);
    if (s.ok()) result->reset(new File(std::move(*result), full_, refusals_));
    return s;
  }

  rocksdb::IOStatus ReuseWritableFile(
      const std::string& name, const std::string& old_name,
      const rocksdb::FileOptions& options,
      std::unique_ptr<rocksdb::FSWritableFile>* result,
      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s =
        target()->ReuseWritableFile(name, old_name, options, result, dbg);
    if (s.ok()) result->reset(new File(std::move(*result), full_, refusals_));
    return s;
  }

 private:
  using Flag = std::shared_ptr<std::atomic<bool>>;
  using Count = std::shared_ptr<std::atomic<int>>;

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& file, Flag full,
         Count refusals)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(file)),
          full_(std::move(full)),
          refusals_(std::move(refusals)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data,
                             const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data,
                                       uint64_t offset,
                                       const rocksdb::IOOptions& options,
                                       rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                          dbg);
    }
    rocksdb::IOStatus PositionedAppend(
        const rocksdb::Slice& data, uint64_t offset,
        const rocksdb::IOOptions& options,
        const rocksdb::DataVerificationInfo& info,
        rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options,
                                                          info, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Flush(options, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }
    rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes,
                                const rocksdb::IOOptions& options,
                                rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options,
                                                   dbg);
    }
    rocksdb::IOStatus Allocate(uint64_t offset, uint64_t len,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override {
      if (Full()) return NoSpace();
      return FSWritableFileOwnerWrapper::Allocate(offset, len, options, dbg);
    }

   private:
    bool Full() const { return full_->load(); }
    rocksdb::IOStatus NoSpace() {
      refusals_->fetch_add(1);
      return rocksdb::IOStatus::NoSpace("injected: no space left on device");
    }
    Flag full_;
    Count refusals_;
  };

  Flag full_ = std::make_shared<std::atomic<bool>>(false);
  std::atomic<bool> free_space_shows_{true};
  Count refusals_ = std::make_shared<std::atomic<int>>(0);
};

// An Env whose files live on `fs`.
inline std::unique_ptr<rocksdb::Env> EnvOn(
    const std::shared_ptr<rocksdb::FileSystem>& fs) {
  return rocksdb::NewCompositeEnv(fs);
}

// A small tmpfs mounted for one test (root only), filled on demand like a
// disk another process fills.
class SmallDisk {
 public:
  // Skips the test (with a message) when not root or the mount fails.
  static std::unique_ptr<SmallDisk> Mount(const std::string& dir,
                                          const std::string& size,
                                          std::string* why_not) {
    if (geteuid() != 0) {
      *why_not =
          "needs root to mount a tmpfs (run as root to test a real "
          "full disk)";
      return nullptr;
    }
    std::filesystem::create_directories(dir);
    const std::string data = "size=" + size;
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, data.c_str()) != 0) {
      *why_not = std::string("mounting a tmpfs failed: ") + strerror(errno);
      return nullptr;
    }
    return std::unique_ptr<SmallDisk>(new SmallDisk(dir));
  }
  ~SmallDisk() { umount2(dir_.c_str(), MNT_DETACH); }

  // Writes a filler file until the file system refuses (ENOSPC).
  void Fill() {
    FILE* f = fopen((dir_ + "/filler").c_str(), "wb");
    if (f == nullptr) return;
    std::string chunk(1 << 16, 'x');
    while (fwrite(chunk.data(), 1, chunk.size(), f) == chunk.size()) {
    }
    fclose(f);
  }
  void Free() { std::filesystem::remove(dir_ + "/filler"); }
  const std::string& dir() const { return dir_; }

 private:
  explicit SmallDisk(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace piaojue::testing
