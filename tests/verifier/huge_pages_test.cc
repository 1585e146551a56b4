#include "verifier/huge_pages.h"

#include <gtest/gtest.h>

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
