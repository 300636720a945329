// The adjoint's kernel-gradient accumulation: for a block of S rank-1 terms (rows of FX, FY),
// dM[i][j] += scale * Kt[i][j] * sum_s FX[s][i] * FY[s][j] over a range of rows — one blocked
// matrix product per block of iterations instead of S passes over the n x m matrix.
#pragma once
#include <cstddef>

#include "cpu/fast_exp.h"

namespace ot::cpu::sk {

// R rows x C column groups of kLanes held in registers across the S terms.
// FXp: the R rows' factors packed as [s][r] (R per step, contiguous).
template <int R, int C, typename T>
inline void gemmTile(T* dM, const T* Kt, size_t ld, const double* FXp, const double* FY, size_t m, int S,
                     size_t i, size_t j, double scale) {
  v8d acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = splat(0.0);
  for (int s = 0; s < S; ++s) {
    const double* fy = FY + static_cast<size_t>(s) * m + j;
    const double* fx = FXp + static_cast<size_t>(s) * R;
    v8d y[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) y[c] = load8(fy + kLanes * c);
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
    for (int c = 0; c < C; ++c) store8(d + kLanes * c, load8(d + kLanes * c) + load8(k + kLanes * c) * acc[r][c] * scale);
  }
}

// pack: scratch of at least S * (r1 - r0) doubles, for FX's rows regrouped by row block.
template <typename T>
inline void gemmFlushRows(T* dM, const T* Kt, size_t m, const double* FX, size_t n, const double* FY, int S,
                          size_t r0, size_t r1, double scale, double* pack) {
#if defined(__AVX512F__)
  constexpr int kRows = 4, kCols = 4;  // 16 accumulators of the 32 registers
#else
  constexpr int kRows = 4, kCols = 2;  // 8 accumulators of the 16 registers
#endif
  const size_t wide = m / (kLanes * kCols) * (kLanes * kCols);
  const size_t vec = m / kLanes * kLanes;
  const size_t rowsWide = r0 + (r1 - r0) / kRows * kRows;
  // Row blocks of FX packed step by step, so a tile streams them; single tail rows likewise.
  auto packed = [&](size_t i) { return pack + (i - r0) * static_cast<size_t>(S); };
  for (size_t i = r0; i < rowsWide; i += kRows)
    for (int s = 0; s < S; ++s)
      for (int r = 0; r < kRows; ++r) packed(i)[s * kRows + r] = FX[static_cast<size_t>(s) * n + i + r];
  for (size_t i = rowsWide; i < r1; ++i)
    for (int s = 0; s < S; ++s) packed(i)[s] = FX[static_cast<size_t>(s) * n + i];
  // Column panels outermost: a panel of FY (S x kLanes kCols) stays in L1 while every row block uses it.
  for (size_t j = 0; j < wide; j += kLanes * kCols) {
    for (size_t i = r0; i < rowsWide; i += kRows) gemmTile<kRows, kCols>(dM, Kt, m, packed(i), FY, m, S, i, j, scale);
    for (size_t i = rowsWide; i < r1; ++i) gemmTile<1, kCols>(dM, Kt, m, packed(i), FY, m, S, i, j, scale);
  }
  for (size_t j = wide; j < vec; j += kLanes) {
    for (size_t i = r0; i < rowsWide; i += kRows) gemmTile<kRows, 1>(dM, Kt, m, packed(i), FY, m, S, i, j, scale);
    for (size_t i = rowsWide; i < r1; ++i) gemmTile<1, 1>(dM, Kt, m, packed(i), FY, m, S, i, j, scale);
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
