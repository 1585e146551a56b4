// The write-ahead log written over zeros: see
// ledger/internal/zero_filled_log.h.
#include "ledger/internal/zero_filled_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

namespace piaojue::ledger::internal {

ZeroFilledLog::ZeroFilledLog(std::unique_ptr<rocksdb::FSWritableFile> log,
                             int fill_fd, ZeroWriter write_zeros)
    : rocksdb::FSWritableFileOwnerWrapper(std::move(log)),
      fill_fd_(fill_fd),
      write_zeros_(write_zeros != nullptr ? std::move(write_zeros)
                                          : ZeroWriter(::pwrite)) {
  try {
    filler_ = std::thread([this] { Fill(); });
  } catch (const std::system_error&) {
    // No thread to spare: the log is appended as before.
    ::close(fill_fd_);
    fill_fd_ = -1;
  }
}

ZeroFilledLog::~ZeroFilledLog() {
  StopFilling();
  if (fill_fd_ >= 0) ::close(fill_fd_);
}

void ZeroFilledLog::PrepareWrite(size_t offset, size_t len,
                                 const rocksdb::IOOptions&,
                                 rocksdb::IODebugContext*) {
  Announce(offset + len);
}

rocksdb::IOStatus ZeroFilledLog::Append(const rocksdb::Slice& data,
                                        const rocksdb::IOOptions& o,
                                        rocksdb::IODebugContext* dbg) {
  Announce(target()->GetFileSize(o, dbg) + data.size());
  return target()->Append(data, o, dbg);
}

rocksdb::IOStatus ZeroFilledLog::Append(
    const rocksdb::Slice& data, const rocksdb::IOOptions& o,
    const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) {
  Announce(target()->GetFileSize(o, dbg) + data.size());
  return target()->Append(data, o, info, dbg);
}

rocksdb::IOStatus ZeroFilledLog::PositionedAppend(
    const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& o,
    rocksdb::IODebugContext* dbg) {
  Announce(offset + data.size());
  return target()->PositionedAppend(data, offset, o, dbg);
}

rocksdb::IOStatus ZeroFilledLog::PositionedAppend(
    const rocksdb::Slice& data, uint64_t offset, const rocksdb::IOOptions& o,
    const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) {
  Announce(offset + data.size());
  return target()->PositionedAppend(data, offset, o, info, dbg);
}

rocksdb::IOStatus ZeroFilledLog::Allocate(uint64_t, uint64_t,
                                          const rocksdb::IOOptions&,
                                          rocksdb::IODebugContext*) {
  return rocksdb::IOStatus::OK();
}

rocksdb::IOStatus ZeroFilledLog::Close(const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) {
  StopFilling();
  const uint64_t size = target()->GetFileSize(o, dbg);
  rocksdb::IOStatus closed = target()->Close(o, dbg);
  // A log closed cleanly ends at its last record (its zeros would be read as
  // the end anyway).
  if (closed.ok() && fill_fd_ >= 0 && zeroed_end_ > size &&
      ::ftruncate(fill_fd_, static_cast<off_t>(size)) != 0) {
    // Harmless: the zeros stay.
  }
  if (fill_fd_ >= 0) ::close(fill_fd_);
  fill_fd_ = -1;
  return closed;
}

// The filler thread: zeros from the end of what is written up to
// wanted_end_, a piece at a time, then one fdatasync, so that the later
// syncs of the log find its size and extents durable. A piece is taken
// under mu_ beyond every announced end and written outside it, so an
// append only waits for the filler when its bytes reach into the piece
// being written — with the filler 1 to 2 MiB ahead, almost never (holding
// mu_ through each 64 KiB pwrite made every append announced meanwhile
// wait for it).
void ZeroFilledLog::Fill() {
  static const char kZeros[kPiece] = {};
  std::unique_lock l(mu_);
  bool filling = true;
  while (filling) {
    wake_.wait(l, [&] { return stop_ || zeroed_end_ < wanted_end_; });
    if (stop_) break;
    while (!stop_ && zeroed_end_ < wanted_end_) {
      const uint64_t at = std::max(zeroed_end_, announced_end_);
      if (at >= wanted_end_) {
        zeroed_end_ = at;
        break;
      }
      const uint64_t n = std::min(kPiece, wanted_end_ - at);
      piece_in_flight_ = true;
      piece_begin_ = at;
      l.unlock();
      const bool written =
          write_zeros_(fill_fd_, kZeros, n, static_cast<off_t>(at)) ==
          static_cast<ssize_t>(n);
      l.lock();
      piece_in_flight_ = false;
      piece_done_.notify_all();
      if (!written) {
        filling = false;  // no more filling; the log is appended as before
        break;
      }
      zeroed_end_ = at + n;
    }
    if (!filling || stop_) break;
    l.unlock();
    const bool synced = ::fdatasync(fill_fd_) == 0;
    l.lock();
    filling = synced;
  }
}

// Nothing below `end` is zeroed from now on; the filler is asked to keep its
// zeros ahead of it.
void ZeroFilledLog::Announce(uint64_t end) {
  std::unique_lock l(mu_);
  announced_end_ = std::max(announced_end_, end);
  // A piece taken before this announcement and reaching below `end` must
  // land before the caller's bytes do; every later piece starts at or
  // beyond announced_end_.
  piece_done_.wait(l, [&] { return !piece_in_flight_ || end <= piece_begin_; });
  if (announced_end_ + kAhead > wanted_end_) {
    wanted_end_ = announced_end_ + 2 * kAhead;
    wake_.notify_one();
  }
}

void ZeroFilledLog::StopFilling() {
  {
    std::lock_guard l(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  if (filler_.joinable()) filler_.join();
}

bool IsWriteAheadLogName(std::string_view path) {
  const size_t slash = path.rfind('/');
  const std::string_view name =
      slash == std::string_view::npos ? path : path.substr(slash + 1);
  constexpr std::string_view kSuffix = ".log";
  if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) return false;
  return std::all_of(name.begin(), name.end() - kSuffix.size(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

rocksdb::IOStatus ZeroFilledLogFileSystem::NewWritableFile(
    const std::string& path, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file,
    rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->NewWritableFile(path, options, file, dbg);
  if (!s.ok() || options.use_direct_writes || !IsWriteAheadLogName(path)) {
    return s;
  }
  const int fill_fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fill_fd >= 0) {
    *file = std::make_unique<ZeroFilledLog>(std::move(*file), fill_fd);
  }
  return s;
}

rocksdb::Env* ZeroFilledLogEnv() {
  static rocksdb::Env* const env =
      rocksdb::NewCompositeEnv(std::make_shared<ZeroFilledLogFileSystem>(
                                   rocksdb::FileSystem::Default()))
          .release();
  return env;
}

}  // namespace piaojue::ledger::internal
