// Internal helpers shared by the cost-matrix forward (dist.cc) and backward (dist_backward.cc):
// the packed-panel layout of the samples, register-tile rows, cancellation checks and small
// branch-free scalar functions.
#pragma once
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>

#include "common/status.h"

// Keeps a micro-kernel out of line where inlining it makes GCC give up on vectorising it.
#if defined(__GNUC__)
#define OT_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define OT_NOINLINE __declspec(noinline)
#else
#define OT_NOINLINE
#endif

namespace ot::cpu::tiles {

// Panel width: two 256-bit vectors of T. Register tiles span one panel of samples.
template <typename T>
constexpr size_t kPanel = 64 / sizeof(T);

inline size_t panelCount(size_t rows, size_t width) { return (rows + width - 1) / width; }

// Packs z [rows, d] (row-major) into panels of C samples: zP[(s / C) * d * C + k * C + s % C] = z[s, k],
// zero-padded to whole panels, so a micro-kernel reads one contiguous C-vector per coordinate k.
template <typename T>
void packPanels(const T* z, size_t rows, size_t d, T* zP) {
  constexpr size_t C = kPanel<T>;
  std::fill(zP, zP + panelCount(rows, C) * C * d, T(0));
  for (size_t s = 0; s < rows; ++s)
    for (size_t k = 0; k < d; ++k) zP[(s / C) * d * C + k * C + s % C] = z[s * d + k];
}

// Row pointers of an R-row register tile starting at row i of z [.., d]. Rows past `rows` (a last,
// partial tile) repeat row i: the micro-kernel still runs all R, and their results are discarded.
template <size_t R, typename T>
inline void tileRows(const T* z, size_t i, size_t rows, size_t d, const T* (&zr)[R]) {
  for (size_t r = 0; r < R; ++r) zr[r] = z + (i + (r < rows ? r : 0)) * d;
}

// Whether a worker should stop: the caller raised `cancel`, or another worker of the call already
// stopped. Records the stop in `aborted`, which the call turns into Status::Aborted.
inline bool stopRequested(CancelFlag cancel, std::atomic<bool>& aborted) {
  if (!cancel.raised() && !aborted.load(std::memory_order_relaxed)) return false;
  aborted.store(true, std::memory_order_relaxed);
  return true;
}

template <typename T>
void rowNorms(const T* z, size_t rows, size_t d, T* out) {
  for (size_t i = 0; i < rows; ++i) {
    T s = 0;
    for (size_t k = 0; k < d; ++k) s += z[i * d + k] * z[i * d + k];
    out[i] = std::sqrt(s);
  }
}

// sign(t) in {-1, 0, 1}, written so that it vectorises (compare + convert, no branch).
template <typename T>
inline T sgn(T t) {
  return static_cast<T>(t > T(0)) - static_cast<T>(t < T(0));
}

template <int P, typename T>
inline T powInt(T a) {
  T r = T(1);
  for (int q = 0; q < P; ++q) r *= a;
  return r;
}

}  // namespace ot::cpu::tiles
