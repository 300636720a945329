// The adjoint's kernel-gradient accumulation: for a block of S rank-1 terms (rows of FX, FY),
// dM[i][j] += scale * Kt[i][j] * sum_s FX[s][i] * FY[s][j] over a range of rows — one blocked
// matrix product per block of iterations instead of S passes over the n x m matrix.
#pragma once
#include <cstddef>

#include "cpu/fast_exp.h"

namespace ot::cpu::sk {

// R rows x C eight-wide column groups held in registers across the S terms.
template <int R, int C, typename T>
inline void gemmTile(T* dM, const T* Kt, size_t ld, const double* FX, size_t n, const double* FY, size_t m, int S,
                     size_t i, size_t j, double scale) {
  v8d acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = splat(0.0);
  for (int s = 0; s < S; ++s) {
    const double* fy = FY + static_cast<size_t>(s) * m + j;
    const double* fx = FX + static_cast<size_t>(s) * n + i;
    v8d y[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) y[c] = load8(fy + 8 * c);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const double x = fx[r];
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) acc[r][c] += x * y[c];
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    T* d = dM + (i + r) * ld + j;
    const T* k = Kt + (i + r) * ld + j;
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) store8(d + 8 * c, load8(d + 8 * c) + load8(k + 8 * c) * acc[r][c] * scale);
  }
}

template <typename T>
inline void gemmFlushRows(T* dM, const T* Kt, size_t m, const double* FX, size_t n, const double* FY, int S,
                          size_t r0, size_t r1, double scale) {
#if defined(__AVX512F__)
  constexpr int kRows = 4, kCols = 4;
#else
  constexpr int kRows = 2, kCols = 2;
#endif
  const size_t wide = m / (8 * kCols) * (8 * kCols);
  const size_t vec = m / 8 * 8;
  size_t i = r0;
  for (; i + kRows <= r1; i += kRows) {
    for (size_t j = 0; j < wide; j += 8 * kCols) gemmTile<kRows, kCols>(dM, Kt, m, FX, n, FY, m, S, i, j, scale);
    for (size_t j = wide; j < vec; j += 8) gemmTile<kRows, 1>(dM, Kt, m, FX, n, FY, m, S, i, j, scale);
  }
  for (; i < r1; ++i) {
    for (size_t j = 0; j < wide; j += 8 * kCols) gemmTile<1, kCols>(dM, Kt, m, FX, n, FY, m, S, i, j, scale);
    for (size_t j = wide; j < vec; j += 8) gemmTile<1, 1>(dM, Kt, m, FX, n, FY, m, S, i, j, scale);
  }
  for (size_t ii = r0; ii < r1; ++ii) {
    for (size_t j = vec; j < m; ++j) {
      double acc = 0;
      for (int s = 0; s < S; ++s) acc += FX[static_cast<size_t>(s) * n + ii] * FY[static_cast<size_t>(s) * m + j];
      dM[ii * m + j] = static_cast<T>(dM[ii * m + j] + static_cast<double>(Kt[ii * m + j]) * acc * scale);
    }
  }
}

}  // namespace ot::cpu::sk
