// Export bundle reader and writer. Grammar in bundle.h; spec in
// docs/FORMAT.md, "Export bundle".
#include "ledger/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
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

// Buffered reader that reports offsets in its errors.
class Reader {
 public:
  explicit Reader(std::FILE* f) : f_(f) {}
  Status Read(size_t n, std::string* out, std::string_view what) {
    if (Read(n, out)) return Status::Ok();
    return Truncated(what);
  }
  // The same for entry `i`, whose name is only spelled out for the error.
  Status ReadEntry(size_t n, std::string* out, uint64_t i) {
    if (Read(n, out)) return Status::Ok();
    return Truncated("entry " + std::to_string(i));
  }
  Result<uint64_t> ReadBe(int bytes, std::string_view what) {
    std::string b;
    RETURN_IF_ERROR(Read(bytes, &b, what));
    uint64_t v = 0;
    for (char c : b) v = v << 8 | static_cast<uint8_t>(c);
    return v;
  }
  uint64_t offset() const { return offset_; }
  bool AtEnd() { return std::fgetc(f_) == EOF; }

 private:
  bool Read(size_t n, std::string* out) {
    out->resize(n);
    if (n && std::fread(out->data(), 1, n, f_) != n) return false;
    offset_ += n;
    return true;
  }
  Status Truncated(std::string_view what) const {
    return Corruption("bundle truncated at byte " + std::to_string(offset_) +
                      " while reading " + std::string(what));
  }

  std::FILE* f_;
  uint64_t offset_ = 0;
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
  // Read in large blocks: with stdio's default (the file's 4 KiB block
  // size) a 1,000,000-entry bundle took ~140,000 read calls on the thread
  // that also runs the verifier's in-order checks. glibc ignores the size
  // unless given the buffer; it outlives the file (closed first).
  std::vector<char> buffer(256 * 1024);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return NotFound("cannot open " + path);
  struct Closer {
    std::FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{f};
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Reader r(f);
  std::string magic;
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
  std::string checkpoint;
  RETURN_IF_ERROR(r.Read(cp_len, &checkpoint, "the checkpoint"));
  ASSIGN_OR_RETURN(uint64_t count, r.ReadBe(8, "the entry count"));
  RETURN_IF_ERROR(on_checkpoint(checkpoint, count));
  std::string bytes;
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
