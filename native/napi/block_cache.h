// Memory of the addon's results. The large typed arrays (from 32 MiB: newFloatArray) are mapped in
// huge pages where the kernel allows it and, once their array is collected, kept (up to a cap) for the
// next array of the same size; malloc, which the smaller ones (V8's own) come from, is tuned to keep
// what is freed. Why: a first touch of a fresh 4 KiB page costs 1–16 µs (virtualised hosts at the high
// end), so a 2000×2000 float32 result spent up to 30 ms faulting its pages against a few ms of
// arithmetic.
#pragma once
#include <cstddef>

namespace ot::napi {

// A zero-filled block of `bytes` (> 0), or nullptr when memory cannot be had.
void* takeBlock(size_t bytes);
// Gives back a block takeBlock returned, with the same size.
void giveBlock(void* block, size_t bytes);
// glibc's malloc set to keep freed blocks of up to 32 MiB in its heap (mmap threshold 32 MiB, trim
// threshold 64 MiB) instead of unmapping them, so the kernels' scratch and results freed between calls
// are reused without page faults (19% of the CPU time of a 300×300 Sinkhorn solve + backward here).
// Once, at load; skipped with OT_MALLOC_TUNING=0 or when the process set malloc's own tunables
// (GLIBC_TUNABLES, MALLOC_*_).
void tuneMalloc();
// Memory held for reuse now: the kept blocks (not yet handed out again).
size_t retainedBytes();

}  // namespace ot::napi
