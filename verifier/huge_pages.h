// Large tables on transparent huge pages (docs/PERFORMANCE.md, "The rules'
// records on huge pages").
//
// A page the verifier touches for the first time costs ~11 µs on this
// project's virtual machines, one 4 KiB page at a time; a table of tens of
// MB filled whole as soon as it is made (the nonce table: 20 MB at
// 1,000,000 entries) is cheaper in 2 MiB pages, where the kernel's
// transparent huge pages are "madvise" or "always" (elsewhere the advice
// does nothing). Nothing becomes resident that the fill would not have
// touched anyway. The heap itself is not advised: its huge pages cost
// 1.5-12 MiB of the run's peak, over its bound.
#pragma once

#include <cstddef>
#include <memory>

namespace piaojue::verifier {

// Advises huge pages for the whole 2 MiB pages within [p, p + n). Any
// thread.
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
