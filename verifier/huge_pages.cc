#include "verifier/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace piaojue::verifier {

void AdviseHugePages(void* p, size_t n) {
  constexpr uintptr_t kHugePage = 2 << 20;
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = (begin + n) & ~(kHugePage - 1);
  if (last <= first) return;
  // A failure (no transparent huge pages in this kernel) leaves the small
  // pages, as without the advice.
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace piaojue::verifier
