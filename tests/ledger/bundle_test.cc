#include "ledger/bundle.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/entry.h"
#include "tests/test_util.h"

namespace piaojue::ledger {
namespace {

using testing::TempDir;

// Entries of lengths from 1 to kMaxEntrySize bytes, each byte a function of
// the entry's index and position, so a byte read from the wrong place (an
// earlier entry's, a stale part of the reader's buffer) shows.
std::vector<std::string> VariedEntries(size_t count) {
  std::vector<std::string> entries;
  for (size_t i = 0; i < count; ++i) {
    const size_t length = i % 7 == 3 ? kMaxEntrySize : 1 + (i * 7919) % 4093;
    std::string e(length, '\0');
    for (size_t j = 0; j < length; ++j) {
      e[j] = static_cast<char>((i * 31 + j * 7) & 0xff);
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string Write(const TempDir& tmp, const std::string& checkpoint,
                  const std::vector<std::string>& entries) {
  const std::string path = tmp.Sub("log.bundle");
  EXPECT_OK(WriteBundle(
      path, checkpoint, entries.size(),
      [&](uint64_t i) -> Result<std::string> { return entries[i]; }));
  return path;
}

struct Read {
  Status status;
  std::string checkpoint;
  uint64_t count = 0;
  std::vector<std::string> entries;
};

Read ReadAll(const std::string& path) {
  Read r;
  r.status = ReadBundle(
      path,
      [&](std::string_view cp, uint64_t count) {
        r.checkpoint = cp;
        r.count = count;
        return Status::Ok();
      },
      [&](uint64_t i, std::string_view bytes) {
        EXPECT_EQ(i, r.entries.size());
        r.entries.emplace_back(bytes);
        return Status::Ok();
      });
  return r;
}

// Where entry i's length prefix starts in a bundle of these entries.
uint64_t OffsetOfEntry(const std::string& checkpoint,
                       const std::vector<std::string>& entries, size_t i) {
  uint64_t at = kBundleMagic.size() + 4 + checkpoint.size() + 8;
  for (size_t k = 0; k < i; ++k) at += 2 + entries[k].size();
  return at;
}

// The reader hands out entries where they lie in its own buffer: entries
// that straddle its end (at every offset the lengths give), a checkpoint
// larger than the buffer, and entries larger than what is left in it must
// all read back byte for byte.
TEST(BundleTest, EntriesAcrossTheReadersBufferReadBackAsWritten) {
  TempDir tmp;
  std::string checkpoint(600 * 1024, 'c');
  for (size_t j = 0; j < checkpoint.size(); j += 97) checkpoint[j] = 'x';
  const std::vector<std::string> entries = VariedEntries(400);
  const std::string path = Write(tmp, checkpoint, entries);
  ASSERT_GT(std::filesystem::file_size(path), 4u * 1024 * 1024);

  Read r = ReadAll(path);
  ASSERT_OK(r.status);
  EXPECT_EQ(r.checkpoint, checkpoint);
  EXPECT_EQ(r.count, entries.size());
  ASSERT_EQ(r.entries.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(r.entries[i], entries[i]) << "entry " << i;
  }
}

// A bundle cut anywhere is refused at the byte where it ends, naming what
// was being read, after handing over every entry before the cut.
TEST(BundleTest, ACutBundleIsRefusedAtTheEntryItEndsIn) {
  TempDir tmp;
  const std::string checkpoint = "a checkpoint note\n";
  const std::vector<std::string> entries = VariedEntries(200);
  const std::string path = Write(tmp, checkpoint, entries);
  std::string whole;
  {
    std::ifstream in(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string cut_path = tmp.Sub("cut.bundle");
  for (size_t i : {0, 1, 37, 38, 120, 199}) {
    const uint64_t at = OffsetOfEntry(checkpoint, entries, i);
    // In the length prefix, then in the entry's bytes.
    for (uint64_t cut : {at + 1, at + 2 + entries[i].size() / 2}) {
      std::ofstream(cut_path, std::ios::binary | std::ios::trunc)
          << whole.substr(0, cut);
      Read r = ReadAll(cut_path);
      ASSERT_FALSE(r.status.ok());
      const bool in_length = cut < at + 2;
      EXPECT_EQ(r.status.message(),
                "bundle truncated at byte " +
                    std::to_string(in_length ? at : at + 2) +
                    " while reading " +
                    (in_length ? std::string("an entry length")
                               : "entry " + std::to_string(i)))
          << "cut at " << cut;
      ASSERT_EQ(r.entries.size(), i);
      for (size_t k = 0; k < i; ++k) ASSERT_EQ(r.entries[k], entries[k]);
    }
  }
  // One byte past the last entry.
  std::ofstream(cut_path, std::ios::binary | std::ios::trunc) << whole << "z";
  Read r = ReadAll(cut_path);
  EXPECT_EQ(r.status.message(), "bundle has trailing bytes after entry 200");
  EXPECT_EQ(r.entries.size(), entries.size());
}

}  // namespace
}  // namespace piaojue::ledger
