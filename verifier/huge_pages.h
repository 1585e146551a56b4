// The verifier's heap on transparent huge pages (docs/PERFORMANCE.md, "The
// rules' records on huge pages").
//
// A verification's memory is mostly the rules' records, allocated a few
// hundred bytes at a time as the log is read and kept to the end: every
// 4 KiB page of it was faulted in once, one at a time, and on this
// project's virtual machines a fault costs ~11 µs, a seventh of a
// 1,000,000-entry run's CPU. With the heap advised for huge pages
// (madvise MADV_HUGEPAGE, honoured where the kernel's transparent huge
// pages are "madvise" or "always"), a fault brings in 2 MiB.
//
// Only glibc's main heap (grown with brk) is advised: piaojue-verify has
// every thread allocate from it (one malloc arena). The heap grows in steps
// of kHeapStep, so that most of each step is advised before anything in it
// is touched (a 2 MiB range touched before the advice keeps its small
// pages).
#pragma once

#include <cstddef>
#include <memory>

namespace piaojue::verifier {

inline constexpr size_t kHeapStep = 32 << 20;

// Makes the heap grow in steps of kHeapStep and remembers where it starts.
// Call at most once, at the start of main, before any thread is started.
// Does nothing (and AdviseHugePagesForHeap then nothing either) under a
// limit on the data segment (RLIMIT_DATA), where larger steps would fail
// sooner, or outside glibc.
void PrepareHeapForHugePages();

// Advises huge pages for the part of the heap grown since the last call.
// Cheap when it has not grown (no system call). Any thread; calls may
// overlap.
void AdviseHugePagesForHeap();

// Advises huge pages for the whole 2 MiB pages within [p, p + n). For large
// tables filled whole as soon as they are made (nothing then becomes
// resident that the fill would not have touched anyway). Any thread.
void AdviseHugePages(void* p, size_t n);

// The allocator of such a table (std::vector<T, HugePageAllocator<T>>):
// its memory is advised before the vector's elements are constructed in it.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding
  T* allocate(size_t n) {
    T* p = std::allocator<T>().allocate(n);
    AdviseHugePages(p, n * sizeof(T));
    return p;
  }
  void deallocate(T* p, size_t n) { std::allocator<T>().deallocate(p, n); }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) {
    return true;
  }
};

}  // namespace piaojue::verifier
