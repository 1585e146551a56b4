#include "verifier/huge_pages.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace piaojue::verifier {
namespace {

constexpr uintptr_t kHugePage = 2 << 20;

// Whether the mapping holding `addr` is advised for huge pages: "hg" among
// its VmFlags in /proc/self/smaps (set by the advice whether or not the
// kernel then finds huge pages to give).
bool Advised(uintptr_t addr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool holds = false;
  while (std::getline(smaps, line)) {
    unsigned long low = 0, high = 0;
    char dash = 0;
    if (std::sscanf(line.c_str(), "%lx%c%lx", &low, &dash, &high) == 3 &&
        dash == '-') {
      holds = low <= addr && addr < high;
      continue;
    }
    if (holds && line.rfind("VmFlags:", 0) == 0) {
      return line.find(" hg") != std::string::npos;
    }
  }
  return false;
}

bool KernelHasHugePages() {
  return std::filesystem::exists("/sys/kernel/mm/transparent_hugepage");
}

// Under AddressSanitizer (the debug preset) malloc is the sanitizer's,
// which grows no brk heap and takes no M_TOP_PAD.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif
#else
constexpr bool kUnderAddressSanitizer = false;
#endif

bool DataUnlimited() {
  rlimit data{};
  return getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur == RLIM_INFINITY;
}

// What the heap grows by (blocks below malloc's threshold for a mapping of
// their own) is advised, in whole huge pages, by the next call.
TEST(HugePagesTest, TheHeapsGrowthIsAdvisedByTheNextCall) {
  if (!KernelHasHugePages() || !DataUnlimited() || kUnderAddressSanitizer) {
    GTEST_SKIP();
  }
  PrepareHeapForHugePages();
  const auto start = reinterpret_cast<uintptr_t>(sbrk(0));
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 1024; ++i) {
    blocks.push_back(std::make_unique<char[]>(64 * 1024));
  }
  const auto brk = reinterpret_cast<uintptr_t>(sbrk(0));
  ASSERT_GT(brk, start + 4 * kHugePage);
  AdviseHugePagesForHeap();
  int advised = 0;
  for (const auto& block : blocks) {
    const auto at = reinterpret_cast<uintptr_t>(block.get());
    if (at < (start + kHugePage - 1) / kHugePage * kHugePage + kHugePage ||
        at >= brk / kHugePage * kHugePage) {
      continue;  // not in a whole huge page of what grew
    }
    if (at % (4 * kHugePage) >= 64 * 1024) continue;  // a few suffice
    EXPECT_TRUE(Advised(at)) << std::hex << at;
    ++advised;
  }
  EXPECT_GT(advised, 0);
  // The blocks are the program's as before.
  for (auto& block : blocks) block[64 * 1024 - 1] = 7;
  for (auto& block : blocks) EXPECT_EQ(block[64 * 1024 - 1], 7);
}

// A table is advised in the whole huge pages within it (what lies beyond
// them is another allocation's, or merged with a neighbour's mapping).
TEST(HugePagesTest, ATableIsAdvisedInTheWholeHugePagesWithinIt) {
  if (!KernelHasHugePages()) GTEST_SKIP();
  std::vector<uint32_t, HugePageAllocator<uint32_t>> table(3 << 20, 1);
  const auto begin = reinterpret_cast<uintptr_t>(table.data());
  const uintptr_t end = begin + table.size() * sizeof(uint32_t);
  const uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
  const uintptr_t last = end / kHugePage * kHugePage;
  ASSERT_LT(first, last);
  EXPECT_TRUE(Advised(first));
  EXPECT_TRUE(Advised(last - 1));
  for (uint32_t v : table) ASSERT_EQ(v, 1u);
}

}  // namespace
}  // namespace piaojue::verifier
