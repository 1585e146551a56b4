// Export bundle reader and writer. Grammar in bundle.h; spec in
// docs/FORMAT.md, "Export bundle".
#include "ledger/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "ledger/entry.h"

namespace piaojue::ledger {

namespace {

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
}

// Buffered reader that reports offsets in its errors. It reads the file
// through a buffer of its own and hands out the bytes where they lie in it
// (valid until the next read): an entry is no longer copied out of stdio's
// buffer into a string of its own first, as fread did, on the thread that
// also runs the verifier's in-order checks.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd), buffer_(kBufferSize) {}
  // The next `n` bytes, valid until the next call.
  Status Read(size_t n, std::string_view* out, std::string_view what) {
    if (Read(n, out)) return Status::Ok();
    return Truncated(what);
  }
  // The same for entry `i`, whose name is only spelled out for the error.
  Status ReadEntry(size_t n, std::string_view* out, uint64_t i) {
    if (Read(n, out)) return Status::Ok();
    return Truncated("entry " + std::to_string(i));
  }
  Result<uint64_t> ReadBe(int bytes, std::string_view what) {
    std::string_view b;
    RETURN_IF_ERROR(Read(bytes, &b, what));
    uint64_t v = 0;
    for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
    return v;
  }
  uint64_t offset() const { return offset_; }
  bool AtEnd() { return !Fill(1); }

 private:
  // Read in large blocks: with stdio's default (the file's 4 KiB block
  // size) a 1,000,000-entry bundle took ~140,000 read calls.
  static constexpr size_t kBufferSize = 256 * 1024;

  bool Read(size_t n, std::string_view* out) {
    if (!Fill(n)) return false;
    *out = std::string_view(buffer_.data() + begin_, n);
    begin_ += n;
    offset_ += n;
    return true;
  }
  // At least `n` bytes unread in the buffer; false if the file ends (or
  // cannot be read) first.
  bool Fill(size_t n) {
    if (end_ - begin_ >= n) return true;
    // The unread bytes to the front; the buffer grown for a checkpoint
    // larger than it.
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (n > buffer_.size()) buffer_.resize(n);
    while (end_ < n) {
      const ssize_t got =
          ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      end_ += static_cast<size_t>(got);
    }
    return true;
  }
  Status Truncated(std::string_view what) const {
    return Corruption("bundle truncated at byte " + std::to_string(offset_) +
                      " while reading " + std::string(what));
  }

  const int fd_;
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;  // the unread bytes of buffer_
  uint64_t offset_ = 0;         // the file's offset of buffer_[begin_]
};

}  // namespace

Status WriteBundle(const std::string& path, std::string_view checkpoint,
                   uint64_t count,
                   const std::function<Result<std::string>(uint64_t)>& entry) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return IOError("cannot create " + tmp);
  auto fail = [&](Status s) {
    std::fclose(f);
    std::remove(tmp.c_str());
    return s;
  };
  std::string header(kBundleMagic);
  PutBe(&header, checkpoint.size(), 4);
  header.append(checkpoint);
  PutBe(&header, count, 8);
  if (std::fwrite(header.data(), 1, header.size(), f) != header.size()) {
    return fail(IOError("write failed: " + tmp));
  }
  for (uint64_t i = 0; i < count; ++i) {
    auto bytes = entry(i);
    if (!bytes.ok()) return fail(bytes.status());
    if (bytes->empty() || bytes->size() > kMaxEntrySize) {
      return fail(Corruption("entry " + std::to_string(i) + " has " +
                             std::to_string(bytes->size()) + " bytes"));
    }
    std::string prefix;
    PutBe(&prefix, bytes->size(), 2);
    if (std::fwrite(prefix.data(), 1, 2, f) != 2 ||
        std::fwrite(bytes->data(), 1, bytes->size(), f) != bytes->size()) {
      return fail(IOError("write failed: " + tmp));
    }
  }
  if (std::fflush(f) != 0 || fsync(fileno(f)) != 0) {
    return fail(IOError("cannot sync " + tmp));
  }
  std::fclose(f);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IOError("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

Status ReadBundle(
    const std::string& path,
    const std::function<Status(std::string_view, uint64_t)>& on_checkpoint,
    const std::function<Status(uint64_t, std::string_view)>& on_entry) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open " + path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  Reader r(fd);
  std::string_view magic;
  RETURN_IF_ERROR(r.Read(kBundleMagic.size(), &magic, "the magic"));
  if (magic != kBundleMagic) {
    return Corruption("not a piaojue bundle (bad magic)");
  }
  ASSIGN_OR_RETURN(uint64_t cp_len, r.ReadBe(4, "the checkpoint length"));
  // A signed note is small; refuse absurd lengths before allocating.
  if (cp_len > (1 << 20)) {
    return Corruption("checkpoint length " + std::to_string(cp_len) +
                      " is implausible");
  }
  std::string_view read;
  RETURN_IF_ERROR(r.Read(cp_len, &read, "the checkpoint"));
  const std::string checkpoint(read);  // the reader's buffer moves on
  ASSIGN_OR_RETURN(uint64_t count, r.ReadBe(8, "the entry count"));
  RETURN_IF_ERROR(on_checkpoint(checkpoint, count));
  std::string_view bytes;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = r.offset();
    ASSIGN_OR_RETURN(uint64_t len, r.ReadBe(2, "an entry length"));
    if (len == 0) {
      return Corruption("entry " + std::to_string(i) + " at byte " +
                        std::to_string(at) + " has length 0");
    }
    RETURN_IF_ERROR(r.ReadEntry(len, &bytes, i));
    RETURN_IF_ERROR(on_entry(i, bytes));
  }
  if (!r.AtEnd()) {
    return Corruption("bundle has trailing bytes after entry " +
                      std::to_string(count));
  }
  return Status::Ok();
}

bool LooksLikeBundle(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic(kBundleMagic.size(), '\0');
  return in.read(magic.data(), magic.size()) && magic == kBundleMagic;
}

}  // namespace piaojue::ledger
