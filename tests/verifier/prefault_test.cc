#include "verifier/prefault.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace piaojue::verifier {
namespace {

// The system's page, as mincore counts them (4 KiB on x86-64, up to 64 KiB
// elsewhere): a 4 KiB constant would misalign mincore's range there.
const uintptr_t kPage = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
// Below glibc's mmap threshold (128 KiB once M_TOP_PAD is set): from the
// heap.
constexpr size_t kBlock = 64 << 10;

uintptr_t Break() { return static_cast<uintptr_t>(syscall(SYS_brk, 0)); }

// How many of the pages overlapping [begin, end) are not resident.
size_t PagesNotResident(uintptr_t begin, uintptr_t end) {
  const uintptr_t first = begin & ~(kPage - 1);
  const uintptr_t last = (end + kPage - 1) & ~(kPage - 1);
  std::vector<unsigned char> resident((last - first) / kPage);
  if (mincore(reinterpret_cast<void*>(first), last - first, resident.data()) !=
      0) {
    ADD_FAILURE() << "mincore failed";
    return 0;
  }
  size_t not_resident = 0;
  for (unsigned char r : resident) not_resident += (r & 1) == 0;
  return not_resident;
}

// Where the heap's mapping ("[heap]" in /proc/self/maps) begins; 0 if
// there is none.
uintptr_t HeapBegin() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("[heap]") != std::string::npos) {
      return std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    }
  }
  return 0;
}

class PrefaultTest : public testing::Test {
 protected:
  void SetUp() override {
    // Process-wide, and the same for every test of this binary.
    if (!PrefaultHeap(1 << 20)) GTEST_SKIP() << "not glibc, or Linux < 5.14";
    // Where transparent huge pages are "always", a first write could make
    // a whole 2 MiB of the heap present on its own.
    ASSERT_EQ(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
  }
  void TearDown() override {
    for (void* block : blocks_) std::free(block);
  }
  // Allocates blocks from the heap until its break has moved `bytes` past
  // `from`, after using up what earlier tests freed (the heap is never
  // trimmed now); false if the blocks do not come from the heap below the
  // break (a sanitizer's allocator).
  bool GrowHeap(uintptr_t from, uintptr_t bytes) {
    const uintptr_t heap_begin = HeapBegin();
    if (heap_begin == 0) return false;
    const uintptr_t most = Break() - heap_begin + bytes + kBlock;
    while (Break() < from + bytes) {
      if (blocks_.size() * kBlock > most) return false;
      blocks_.push_back(std::malloc(kBlock));
      const auto block = reinterpret_cast<uintptr_t>(blocks_.back());
      if (block < heap_begin || block >= Break()) return false;
    }
    return true;
  }
  std::vector<void*> blocks_;
};

// The pages the heap grew by are resident after Advance, though malloc
// wrote only its blocks' headers in them.
TEST_F(PrefaultTest, PagesTheHeapGrewByAreResidentAfterAdvance) {
  HeapPrefaulter prefaulter;
  const uintptr_t start = prefaulter.populated_end();
  if (!GrowHeap(start, 2 << 20)) GTEST_SKIP() << "the heap is not brk's";
  const uintptr_t end = Break();
  ASSERT_GT(PagesNotResident(start, end), 0u);
  prefaulter.Advance();
  EXPECT_EQ(prefaulter.populated_end(), end);
  EXPECT_EQ(PagesNotResident(start, end), 0u);
}

// What the blocks hold is kept, at the bytes Advance loads (the first of
// each page) and elsewhere.
TEST_F(PrefaultTest, WhatTheHeapHoldsIsKept) {
  HeapPrefaulter prefaulter;
  const uintptr_t start = prefaulter.populated_end();
  if (!GrowHeap(start, 2 << 20)) GTEST_SKIP() << "the heap is not brk's";
  // Bytes 0 and 17 of every third whole page within the blocks: the pages
  // between stay untouched until Advance makes them present.
  std::vector<std::pair<unsigned char*, unsigned char>> marks;
  for (void* block : blocks_) {
    const auto begin = reinterpret_cast<uintptr_t>(block);
    for (uintptr_t page = (begin + kPage - 1) & ~(kPage - 1);
         page + kPage <= begin + kBlock; page += 3 * kPage) {
      for (uintptr_t at : {page, page + 17}) {
        auto* byte = reinterpret_cast<unsigned char*>(at);
        *byte = static_cast<unsigned char>((at >> 12) * 31 + at + 1);
        marks.emplace_back(byte, *byte);
      }
    }
  }
  // With pages as large as the blocks (64 KiB) none holds a whole page.
  if (marks.empty()) GTEST_SKIP() << "no whole page within a block";
  prefaulter.Advance();
  for (const auto& [byte, value] : marks) ASSERT_EQ(*byte, value);
}

}  // namespace
}  // namespace piaojue::verifier
