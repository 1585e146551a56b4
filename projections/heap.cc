#include "projections/heap.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace piaojue::projections {

uint64_t HeapInUseBytes() {
#if defined(__GLIBC__)
  // mallinfo2 (glibc 2.33+) counts in size_t; mallinfo's ints wrap at 2 GiB.
  const struct mallinfo2 m = mallinfo2();
  return static_cast<uint64_t>(m.uordblks) + static_cast<uint64_t>(m.hblkhd);
#else
  return 0;
#endif
}

}  // namespace piaojue::projections
