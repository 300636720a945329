// Per-problem building blocks of the batched Sinkhorn solver and its adjoint: the kernel matrix in both
// layouts and the column-wise log-sum-exp / mat-vec passes. Every pass walks rows and vectorises across
// columns, so no loop needs a horizontal (reassociated) reduction.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "cpu/dist_gemm_simd.h"
#include "cpu/fast_exp.h"

namespace ot::cpu::batch {

// One thread's scratch for one problem at a time: K [n,m] and Kt [m,n] stay in L1/L2 while iterating.
template <typename T>
struct Workspace {
  size_t n, m;
  std::vector<T> K, Kt, gK, gKt;
  std::vector<T> mx, acc, tmp, la, lb;
  // The last LSEs of the u- and v-updates (shift guesses for columnLseShifted) and whether they are set.
  std::vector<T> lseU, lseV;
  bool haveLseU = false, haveLseV = false;
  std::vector<double> dsum;
  // Work done (for throughput reports): arithmetic operations, and exp/log evaluations, over all passes.
  double flops = 0, transcendentals = 0;
  // Adds a pass over the n×m entries costing `f` arithmetic operations and `t` exp/log per entry.
  void tally(double f, double t) {
    flops += f * static_cast<double>(n * m);
    transcendentals += t * static_cast<double>(n * m);
  }
  Workspace(size_t n_, size_t m_, bool withGrad)
      : n(n_), m(m_), K(n_ * m_), Kt(n_ * m_), mx(std::max(n_, m_)), acc(std::max(n_, m_)),
        tmp(std::max(n_, m_)), la(n_), lb(m_), lseU(n_), lseV(m_), dsum(2 * m_) {
    if (withGrad) {
      gK.assign(n_ * m_, T(0));
      gKt.assign(n_ * m_, T(0));
    }
  }
};

// One row of K = -M/reg (POT's log solver) or exp(-M/reg) (scaling solver). Multiplying by -1/reg
// (within an ulp of POT's division) keeps the pass at memory speed: a vector divide costs ~5x more.
template <typename T>
OT_WIDE_VECTORS void kernelRow(const T* __restrict M, T reg, bool scaling, size_t m, T* __restrict K) {
  const T scale = -T(1) / reg;
  for (size_t j = 0; j < m; ++j) K[j] = M[j] * scale;
  if (scaling)
    for (size_t j = 0; j < m; ++j) K[j] = fastExp(K[j]);
}

// K (kernelRow of every row) in both layouts.
template <typename T>
OT_WIDE_VECTORS void loadKernel(const T* __restrict M, T reg, bool scaling, size_t n, size_t m, T* __restrict K,
                                T* __restrict Kt) {
  for (size_t i = 0; i < n; ++i) kernelRow(M + i * m, reg, scaling, m, K + i * m);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) Kt[j * n + i] = K[i * m + j];
}

// One row of the plan: T_ij = exp(K_ij + u + v_j) (log solver: POT's exp(K + u[:, :, None] + v[:, None, :]))
// or K_ij f g_j (scaling solver), K's row as loadKernel made it.
template <typename T>
OT_WIDE_VECTORS void planRow(const T* __restrict K, T u, const T* __restrict v, size_t m, bool logDomain, T* __restrict out) {
  if (logDomain) {
    for (size_t j = 0; j < m; ++j) out[j] = fastExp(K[j] + u + v[j]);
  } else {
    // A zero scaling is a row or column without mass: its entries are 0 even where K overflowed.
    for (size_t j = 0; j < m; ++j) out[j] = u == T(0) || v[j] == T(0) ? T(0) : K[j] * u * v[j];
  }
}

// log a, log b (POT: nx.log(a)); zero weights give -inf, which the LSE updates treat as empty rows.
template <typename T>
OT_WIDE_VECTORS void logWeights(const T* __restrict a, const T* __restrict b, size_t n, size_t m, T* __restrict la,
                                T* __restrict lb) {
  const T ninf = -std::numeric_limits<T>::infinity();
  for (size_t i = 0; i < n; ++i) la[i] = a[i] > T(0) ? fastLog(a[i]) : ninf;
  for (size_t j = 0; j < m; ++j) lb[j] = b[j] > T(0) ? fastLog(b[j]) : ninf;
}

// out[c] = log sum_r exp(A[r,c] + w[r]) for A [rows, cols], with the max shift of torch's logsumexp.
template <typename T>
OT_WIDE_VECTORS void columnLse(const T* __restrict A, const T* __restrict w, size_t rows, size_t cols, T* __restrict mx,
                               T* __restrict s, T* __restrict out) {
  const T ninf = -std::numeric_limits<T>::infinity();
  for (size_t c = 0; c < cols; ++c) {
    mx[c] = ninf;
    s[c] = T(0);
  }
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    const T wr = w[r];
    for (size_t c = 0; c < cols; ++c) {
      T x = row[c] + wr;
      mx[c] = x > mx[c] ? x : mx[c];
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    const T wr = w[r];
    for (size_t c = 0; c < cols; ++c) s[c] += fastExp(row[c] + wr - mx[c]);
  }
  for (size_t c = 0; c < cols; ++c) out[c] = mx[c] + fastLog(s[c]);
}

// Single-pass variant of columnLse: the shift is a guess of the result (the previous iteration's LSE, which
// moves little), so the max pass can be skipped: out[c] = shift[c] + log sum_r exp(A[r,c] + w[r] - shift[c]).
// Returns false (out unusable) when some sum left [2^-60, 2^60] — a guess off by more than ~40 — so the
// caller redoes the exact two-pass columnLse; within that range no term that matters under- or overflows.
template <typename T>
OT_WIDE_VECTORS bool columnLseShifted(const T* __restrict A, const T* __restrict w, size_t rows, size_t cols,
                                      const T* __restrict shift, T* __restrict s, T* __restrict out) {
  for (size_t c = 0; c < cols; ++c) s[c] = T(0);
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    const T wr = w[r];
    for (size_t c = 0; c < cols; ++c) s[c] += fastExp(row[c] + wr - shift[c]);
  }
  const T lo = T(8.673617379884035e-19), hi = T(1.152921504606847e18);  // 2^-60, 2^60
  int bad = 0;
  for (size_t c = 0; c < cols; ++c) bad |= (s[c] < lo) | !(s[c] <= hi);  // bitwise: && would branch
  if (bad) return false;
  for (size_t c = 0; c < cols; ++c) out[c] = shift[c] + fastLog(s[c]);
  return true;
}

// out[c] = sum_r A[r,c] * w[r]. Column blocks of 4 hardware vectors stay in registers over all rows (two
// sets, even and odd rows, so the multiply-adds of consecutive rows overlap): the plain loop kept `out`
// in memory and waited on a store-to-load round trip per row, 2.5x slower at 64 columns.
template <typename T>
OT_WIDE_VECTORS void columnDot(const T* __restrict A, const T* __restrict w, size_t rows, size_t cols, T* __restrict out) {
  using S = gemm::Simd<T>;
  using V = typename S::V;
  constexpr size_t L = S::L, C = 4 * L;
  size_t c0 = 0;
  for (; c0 + C <= cols; c0 += C) {
    V e0{}, e1{}, e2{}, e3{}, o0{}, o1{}, o2{}, o3{};
    size_t r = 0;
    for (; r + 2 <= rows; r += 2) {
      const T* p = A + r * cols + c0;
      const T* q = p + cols;
      const V we = S::splat(w[r]), wo = S::splat(w[r + 1]);
      e0 += S::load(p) * we, e1 += S::load(p + L) * we, e2 += S::load(p + 2 * L) * we, e3 += S::load(p + 3 * L) * we;
      o0 += S::load(q) * wo, o1 += S::load(q + L) * wo, o2 += S::load(q + 2 * L) * wo, o3 += S::load(q + 3 * L) * wo;
    }
    if (r < rows) {
      const T* p = A + r * cols + c0;
      const V we = S::splat(w[r]);
      e0 += S::load(p) * we, e1 += S::load(p + L) * we, e2 += S::load(p + 2 * L) * we, e3 += S::load(p + 3 * L) * we;
    }
    S::store(out + c0, e0 + o0), S::store(out + c0 + L, e1 + o1);
    S::store(out + c0 + 2 * L, e2 + o2), S::store(out + c0 + 3 * L, e3 + o3);
  }
  if (c0 == cols) return;
  for (size_t c = c0; c < cols; ++c) out[c] = T(0);
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    const T wr = w[r];
    for (size_t c = c0; c < cols; ++c) out[c] += row[c] * wr;
  }
}

// out[c] = sum_r exp(A[r,c] + x[c] + w[r]): the marginal of exp(K + u + v) along r (POT's check).
template <typename T>
OT_WIDE_VECTORS void columnExpSum(const T* __restrict A, const T* __restrict x, const T* __restrict w, size_t rows,
                                  size_t cols, T* __restrict out) {
  for (size_t c = 0; c < cols; ++c) out[c] = T(0);
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    const T wr = w[r];
    for (size_t c = 0; c < cols; ++c) out[c] += fastExp(row[c] + x[c] + wr);
  }
}

// Adjoint of an LSE update taken in the layout where the reduction runs down the rows: with softmax
// weights P[r,c] = exp(A[r,c] + x[c] + e[r]) (e = -LSE of row r's update), accumulates
// gA[r,c] -= g[r] P[r,c] (when KGrad) and gx[c] -= sum_r g[r] P[r,c].
template <bool KGrad, typename T>
OT_WIDE_VECTORS void lseBackward(const T* __restrict A, const T* __restrict x, const T* __restrict e,
                                 const T* __restrict g, size_t rows, size_t cols, T* __restrict gA, T* __restrict gx) {
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    T* grow = gA + r * cols;
    const T gr = g[r], er = e[r];
    if (gr == T(0)) continue;
    for (size_t c = 0; c < cols; ++c) {
      T p = gr * fastExp(row[c] + x[c] + er);
      if constexpr (KGrad) grow[c] -= p;
      gx[c] -= p;
    }
  }
}

// Adjoint of out[r] = sum_c A[r,c] x[c] given g[r] = d/d out[r]: gA[r,c] += g[r] x[c] (when KGrad),
// gx[c] += sum_r A[r,c] g[r].
template <bool KGrad, typename T>
OT_WIDE_VECTORS void dotBackward(const T* __restrict A, const T* __restrict x, const T* __restrict g, size_t rows,
                                 size_t cols, T* __restrict gA, T* __restrict gx) {
  for (size_t r = 0; r < rows; ++r) {
    const T* row = A + r * cols;
    T* grow = gA + r * cols;
    const T gr = g[r];
    if (gr == T(0)) continue;
    for (size_t c = 0; c < cols; ++c) {
      if constexpr (KGrad) grow[c] += gr * x[c];
      gx[c] += row[c] * gr;
    }
  }
}

}  // namespace ot::cpu::batch
