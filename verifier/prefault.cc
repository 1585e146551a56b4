#include "verifier/prefault.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <atomic>

namespace piaojue::verifier {
namespace {

// The size of a page (4 KiB on x86-64).
uintptr_t PageSize() {
  static const auto size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::atomic<bool> enabled{false};

// The break from the kernel, not glibc's sbrk(0): that reads a variable
// another thread's malloc may be writing.
uintptr_t CurrentBreak() { return static_cast<uintptr_t>(syscall(SYS_brk, 0)); }

}  // namespace

bool PrefaultHeap(size_t pad) {
#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE)
  // A kernel older than 5.14 refuses the advice: then nothing is changed.
  void* probe = mmap(nullptr, PageSize(), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (probe == MAP_FAILED) return false;
  const bool populates = madvise(probe, PageSize(), MADV_POPULATE_WRITE) == 0;
  munmap(probe, PageSize());
  if (!populates) return false;
  if (mallopt(M_TOP_PAD, static_cast<int>(pad)) != 1) return false;
  // Invariant from here: the break never moves down (only malloc_trim
  // would move it, and the verifier never calls it), so a page below a
  // break read earlier stays mapped: Advance's loads cannot fault on an
  // unmapped page.
  if (mallopt(M_TRIM_THRESHOLD, -1) != 1) return false;
  enabled.store(true, std::memory_order_release);
  return true;
#else
  (void)pad;
  return false;
#endif
}

HeapPrefaulter::HeapPrefaulter() : populated_end_(CurrentBreak()) {}

void HeapPrefaulter::Advance() {
#ifdef MADV_POPULATE_WRITE
  if (!enabled.load(std::memory_order_acquire)) return;
  const uintptr_t end = CurrentBreak();
  if (end <= populated_end_) return;
  // Whole pages: the heap's mapping ends at the page that holds the break.
  const uintptr_t page_size = PageSize();
  const uintptr_t first = populated_end_ & ~(page_size - 1);
  const uintptr_t last = (end + page_size - 1) & ~(page_size - 1);
  // The pages from `first` up may be malloc's already, and written by other
  // threads meanwhile: populating keeps what a page holds, and a load
  // changes nothing. A failure leaves the pages to be faulted in.
  (void)madvise(reinterpret_cast<void*>(first), last - first,
                MADV_POPULATE_WRITE);
#if defined(__x86_64__)
  // One byte of each page loaded by hand (not through C++: another thread
  // may be writing it): a present page's first access still costs a trap
  // to the hypervisor, cheaper here in a row than spread over malloc's
  // first writes.
  for (uintptr_t page = first; page < last; page += page_size) {
    asm volatile("movb (%0), %%al" : : "r"(page) : "al", "memory");
  }
#endif
  populated_end_ = end;
#endif
}

}  // namespace piaojue::verifier
