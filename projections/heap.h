// The process's heap in use: what the server's memory budget for past
// states and replays (docs/VIEWS.md) is checked against, and what
// `piaojue-bench asof` reports a past state to hold.
#ifndef PIAOJUE_PROJECTIONS_HEAP_H_
#define PIAOJUE_PROJECTIONS_HEAP_H_

#include <cstdint>

namespace piaojue::projections {

// The bytes malloc holds in use for the process (all arenas, mmapped
// blocks included); 0 where the C library cannot tell, so a budget checked
// against it is never exceeded there.
uint64_t HeapInUseBytes();

}  // namespace piaojue::projections

#endif  // PIAOJUE_PROJECTIONS_HEAP_H_
