// Internal helpers shared by the cost-matrix forward (dist.cc) and backward (dist_backward.cc):
// the packed-panel layout of the samples and small branch-free scalar functions.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>

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
