// Process heap settings for the training step's allocation pattern. Every step allocates and
// frees the same few hundred MB of activations and gradients (Float32Arrays, which Node takes
// from malloc). With glibc's defaults, blocks above the dynamic mmap threshold are mapped and
// unmapped each time, and a freed heap top above the trim threshold is handed back to the kernel,
// so the next step faults every page in again (zero-filled by the kernel: system time). Keeping
// freed memory in the heap lets the next step reuse it as is, the way a pool would, without
// tracking tensor lifetimes in JS. The cost: the process keeps its peak heap instead of shrinking.
#include "common.h"

#if defined(__GLIBC__)
#include <malloc.h>

#include <cstdlib>
#endif

namespace aha {

void heapInit() {
#if defined(__GLIBC__)
  // An explicit MALLOC_* setting by the user wins (glibc reads those at startup). 32 MB is the
  // largest mmap threshold glibc accepts on 64-bit; bigger blocks are still mapped per use.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) mallopt(M_TRIM_THRESHOLD, 1024 << 20);
#endif
}

}  // namespace aha
