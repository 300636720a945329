// Progress of an iterative kernel, read from JS while the kernel runs (lib/core/progress.ts polls it):
// three int64 words of a BigInt64Array over a SharedArrayBuffer, [seq, iter, bits of err], written as a
// seqlock (seq odd while a report is being written), so the reader never pairs one report's iter with
// another's err. A report is a few stores made at the kernel's own error checks: it costs nothing
// measurable, and the kernel never waits for JS.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ot {

struct ProgressSlot {
  volatile int64_t* slot = nullptr;  // null: nobody listens

  // One writer per slot (the thread that runs the kernel's control flow).
  void report(size_t iter, double err) const {
    if (slot == nullptr) return;
    int64_t bits = 0;
    std::memcpy(&bits, &err, sizeof bits);
    const int64_t seq = __atomic_load_n(slot, __ATOMIC_RELAXED);
    __atomic_store_n(slot, seq + 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(slot + 1, static_cast<int64_t>(iter), __ATOMIC_SEQ_CST);
    __atomic_store_n(slot + 2, bits, __ATOMIC_SEQ_CST);
    __atomic_store_n(slot, seq + 2, __ATOMIC_SEQ_CST);
  }
};

}  // namespace ot
