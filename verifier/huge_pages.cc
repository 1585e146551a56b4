#include "verifier/huge_pages.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>

namespace piaojue::verifier {

namespace {

constexpr uintptr_t kHugePage = 2 << 20;

// The heap's first huge page boundary; 0 until PrepareHeapForHugePages.
std::atomic<uintptr_t> heap_start{0};
std::mutex advise_mu;
// Where the advice ends, at a huge page boundary: the heap's part below it
// (down to heap_start) is advised. Guarded by advise_mu.
uintptr_t advised_end = 0;

uintptr_t Break() { return reinterpret_cast<uintptr_t>(sbrk(0)); }

}  // namespace

void PrepareHeapForHugePages() {
#ifdef __GLIBC__
  rlimit data{};
  if (getrlimit(RLIMIT_DATA, &data) != 0 || data.rlim_cur != RLIM_INFINITY) {
    return;
  }
  const uintptr_t brk = Break();
  if (brk == static_cast<uintptr_t>(-1)) return;
  // Beyond each request, glibc asks the kernel for M_TOP_PAD more bytes.
  if (mallopt(M_TOP_PAD, static_cast<int>(kHeapStep)) == 0) return;
  const uintptr_t start = (brk + kHugePage - 1) & ~(kHugePage - 1);
  {
    std::lock_guard lock(advise_mu);
    advised_end = start;
  }
  heap_start.store(start, std::memory_order_release);
  AdviseHugePagesForHeap();
#endif
}

void AdviseHugePagesForHeap() {
  const uintptr_t start = heap_start.load(std::memory_order_acquire);
  if (start == 0) return;
  // Whole huge pages only: the range after the last boundary is advised
  // once the heap has grown past the next (a huge page must lie within one
  // mapping, which the advice would split).
  const uintptr_t end = Break() & ~(kHugePage - 1);
  std::lock_guard lock(advise_mu);
  if (end < advised_end) {
    // The heap shrank (glibc gave its top back): what grows there again is
    // advised again.
    advised_end = std::max(start, end);
    return;
  }
  if (end == advised_end) return;
  // A failure (no transparent huge pages in this kernel) leaves the small
  // pages, as without the advice.
  (void)madvise(reinterpret_cast<void*>(advised_end), end - advised_end,
                MADV_HUGEPAGE);
  advised_end = end;
}

void AdviseHugePages(void* p, size_t n) {
  const auto begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = (begin + n) & ~(kHugePage - 1);
  if (last <= first) return;
  // A failure leaves the small pages, as without the advice.
  (void)madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace piaojue::verifier
