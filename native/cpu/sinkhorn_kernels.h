// Row-level building blocks of the Sinkhorn kernels (forward and adjoint): dot products with kernel
// rows, column accumulations over a block of rows, kernel-row rebuilds and log-sum-exp passes.
// Rows are T (the problem's float type); every accumulation is double.
#pragma once
#include <algorithm>
#include <cstddef>
#include <limits>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "common/parallel.h"
#include "cpu/fast_exp.h"

namespace ot::cpu::sk {

// Flush-to-zero and denormals-are-zero for this thread while in scope: kernel entries far below the
// plan's scale would otherwise go subnormal and make every multiply a hundred times slower.
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};

// How far (log units) potentials may drift from the base pair a kernel Kt = exp(-M/reg + alpha + beta)
// was built on before it is rebuilt: the products of kernel entries and scalings then stay
// representable in T (float: e^±87, double: e^±708) for every entry of the plan's scale.
template <typename T>
constexpr double kKernelReach = sizeof(T) == 4 ? 25.0 : 150.0;

// Threads for an n x m solve or adjoint: small problems stay on the calling thread. An iteration
// synchronises the team twice; below ~2^18 entries (about 25 us of work per iteration on one core) the
// barriers, and any other process taking a core, cost more than the second thread gains (300 x 300:
// 4.7 ms single-threaded for solve + adjoint, 9 ms as a team of 2 on a busy 2-core machine).
inline int teamSizeFor(size_t n, size_t m) {
  if (static_cast<double>(n) * static_cast<double>(m) < 262144.0) return 1;
  return std::max(1, std::min<int>(maxThreads(), static_cast<int>(n / 16)));
}

// Lanes [0, cnt) from p, the rest `pad`.
template <typename T>
inline v8d loadTail(const T* p, size_t cnt, double pad) {
  double buf[kLanes];
  for (size_t k = 0; k < kLanes; ++k) buf[k] = k < cnt ? static_cast<double>(p[k]) : pad;
  return load8(buf);
}
template <typename T>
inline void storeTail(T* p, v8d v, size_t cnt) {
  for (size_t k = 0; k < cnt; ++k) p[k] = static_cast<T>(v[k]);
}

// sum_j k[j] * v[j]
template <typename T>
inline double dotRow(const T* k, const double* v, size_t m) {
  v8d a0 = splat(0), a1 = splat(0), a2 = splat(0), a3 = splat(0);
  size_t j = 0;
  for (; j + 4 * kLanes <= m; j += 4 * kLanes) {
    a0 += load8(k + j) * load8(v + j);
    a1 += load8(k + j + kLanes) * load8(v + j + kLanes);
    a2 += load8(k + j + 2 * kLanes) * load8(v + j + 2 * kLanes);
    a3 += load8(k + j + 3 * kLanes) * load8(v + j + 3 * kLanes);
  }
  for (; j + kLanes <= m; j += kLanes) a0 += load8(k + j) * load8(v + j);
  double s = hsum((a0 + a1) + (a2 + a3));
  for (; j < m; ++j) s += static_cast<double>(k[j]) * v[j];
  return s;
}

// P[j] += sum_r K[r*ld + j] * w[r] over `rows` consecutive rows (four at a time so P is loaded once).
template <typename T>
inline void accumulateColumns(double* P, const T* K, size_t ld, const double* w, size_t rows, size_t m) {
  size_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const T* k0 = K + r * ld;
    const T* k1 = k0 + ld;
    const T* k2 = k1 + ld;
    const T* k3 = k2 + ld;
    const double w0 = w[r], w1 = w[r + 1], w2 = w[r + 2], w3 = w[r + 3];
    size_t j = 0;
    for (; j + kLanes <= m; j += kLanes)
      store8(P + j, load8(P + j) + (load8(k0 + j) * w0 + load8(k1 + j) * w1) + (load8(k2 + j) * w2 + load8(k3 + j) * w3));
    for (; j < m; ++j)
      P[j] += (static_cast<double>(k0[j]) * w0 + static_cast<double>(k1[j]) * w1) +
              (static_cast<double>(k2[j]) * w2 + static_cast<double>(k3[j]) * w3);
  }
  for (; r < rows; ++r) {
    const T* k0 = K + r * ld;
    const double w0 = w[r];
    size_t j = 0;
    for (; j + kLanes <= m; j += kLanes) store8(P + j, load8(P + j) + load8(k0 + j) * w0);
    for (; j < m; ++j) P[j] += static_cast<double>(k0[j]) * w0;
  }
}

// kt[j] = exp(M[j] * c + alpha + beta[j])  (c = -1/reg): one row of the stabilised kernel. Entries
// are capped below T's overflow so that a row or column multiplied by a zero scaling stays 0, not NaN.
template <typename T>
inline void buildKernelRow(T* kt, const T* M, double c, double alpha, const double* beta, size_t m) {
  const double cap = sizeof(T) == 4 ? 88.0 : 709.0;
  auto arg = [cap](v8d x) { return x > cap ? splat(cap) : x; };
  size_t j = 0;
  for (; j + kLanes <= m; j += kLanes) store8(kt + j, exp8(arg(load8(M + j) * c + alpha + load8(beta + j))));
  if (j < m) storeTail(kt + j, exp8(arg(loadTail(M + j, m - j, 0.0) * c + alpha + loadTail(beta + j, m - j, 0.0))), m - j);
}

// One row of a plan in chunks of kLanes, as the forward's last pass makes it: fromKernel, K_ij U_i V_j
// from the row Ki of the kernel (buildKernelRow's), else exp(M_ij c + u_i + v_j). f(j, cnt, M_ij, plan_ij)
// per chunk (cnt < kLanes for the tail, whose padding lanes are 0). The forward and sinkhornPlan both
// call it, so a plan built on demand is the one the forward would have written.
template <typename T, class F>
inline void planChunks(const T* Mi, const T* Ki, const double* V, const double* v, double ui, double Ui, double c, size_t m,
                       bool fromKernel, F&& f) {
  auto chunk = [&](size_t j, size_t cnt) {
    const bool full = cnt == kLanes;
    v8d mij = full ? load8(Mi + j) : loadTail(Mi + j, cnt, 0.0);
    v8d pij = fromKernel ? (full ? load8(Ki + j) : loadTail(Ki + j, cnt, 0.0)) * Ui * (full ? load8(V + j) : loadTail(V + j, cnt, 0.0))
                         : exp8(mij * c + ui + (full ? load8(v + j) : loadTail(v + j, cnt, -std::numeric_limits<double>::infinity())));
    f(j, cnt, mij, pij);
  };
  const size_t vec = m / kLanes * kLanes;
  for (size_t j = 0; j < vec; j += kLanes) chunk(j, kLanes);
  if (vec < m) chunk(vec, m - vec);
}

// cmax[j] = max(cmax[j], M[j] * c + u): the column maxima of a block of rows (log domain, pass 1).
template <typename T>
inline void columnMaxRow(double* cmax, const T* M, double c, double u, size_t m) {
  size_t j = 0;
  for (; j + kLanes <= m; j += kLanes) store8(cmax + j, vmax(load8(cmax + j), load8(M + j) * c + u));
  for (; j < m; ++j) {
    double x = static_cast<double>(M[j]) * c + u;
    if (x > cmax[j]) cmax[j] = x;
  }
}

// S[j] += exp(M[j] * c + u - cmax[j])  (log domain, pass 2).
template <typename T>
inline void columnSumExpRow(double* S, const T* M, double c, double u, const double* cmax, size_t m) {
  size_t j = 0;
  for (; j + kLanes <= m; j += kLanes) store8(S + j, load8(S + j) + exp8(load8(M + j) * c + u - load8(cmax + j)));
  if (j < m) {
    v8d e = exp8(loadTail(M + j, m - j, 0.0) * c + u - loadTail(cmax + j, m - j, 0.0));
    for (size_t k = 0; j + k < m; ++k) S[j + k] += e[k];
  }
}

// log sum_j exp(M[j] * c + v[j]), shifted by the row maximum (entries with v = -inf drop out).
template <typename T>
inline double rowLogSumExp(const T* M, double c, const double* v, size_t m) {
  const double ninf = -__builtin_inf();
  v8d mx = splat(ninf);
  size_t j = 0;
  for (; j + kLanes <= m; j += kLanes) mx = vmax(mx, load8(M + j) * c + load8(v + j));
  double top = hmax(mx);
  for (; j < m; ++j) {
    double x = static_cast<double>(M[j]) * c + v[j];
    if (x > top) top = x;
  }
  if (!(top > ninf)) return top;  // every entry is -inf (or NaN): nothing to shift by
  v8d acc = splat(0);
  j = 0;
  for (; j + kLanes <= m; j += kLanes) acc += exp8(load8(M + j) * c + load8(v + j) - top);
  if (j < m) acc += exp8(loadTail(M + j, m - j, 0.0) * c + loadTail(v + j, m - j, ninf) - top);
  return top + logScalar(hsum(acc));
}

}  // namespace ot::cpu::sk
