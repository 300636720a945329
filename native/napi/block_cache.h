// Memory of the large typed arrays the addon returns: blocks of 64 KiB and more are mapped in 2 MiB
// pages where the kernel allows it and, once their array is collected, kept (up to a cap) for the next
// array of the same size. Why: a first touch of a fresh 4 KiB page costs 1–11 µs (virtualised hosts at
// the high end), so a 2000×2000 float32 result spent 30 ms faulting its pages against 3 ms of
// arithmetic, and a repeated solve paid that on every call.
#pragma once
#include <cstddef>

namespace ot::napi {

// A zero-filled block of `bytes` (> 0), or nullptr when memory cannot be had.
void* takeBlock(size_t bytes);
// Gives back a block takeBlock returned, with the same size.
void giveBlock(void* block, size_t bytes);
// Memory held for reuse now: kept blocks and emptied regions (not yet handed out again).
size_t retainedBytes();

}  // namespace ot::napi
