// Lazy log-domain Sinkhorn (see lazy_sinkhorn.h). Each pass walks one side's points in parallel blocks;
// for a point p it sweeps the other side in tiles: the tile's squared distances (from a transposed copy
// of the other side's coordinates, so the inner loops run over contiguous columns and vectorise), the
// exponent pot_j - C_pj / reg, the tile's max and sum of exponentials, folded into a running
// log-sum-exp. Float data computes in float (twice the lanes), sums of tiles in double.
#include "cpu/lazy_sinkhorn.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "common/lazy_value.h"
#include "cpu/fast_exp.h"
#include "cpu/lazy_linear_grad.h"
#include "cpu/lazy_tiles.h"

namespace ot::cpu {
namespace {

using tiles::passOver;
using tiles::Sides;
using tiles::tileCosts;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// out[p] = log sum_j exp(pot[j] - C_pj / reg) for the rows [r0, r1) (pot over the columns, -inf allowed).
template <typename C>
OT_WIDE_VECTORS void lseRows(const Sides<C>& s, const C* pot, C invReg, size_t tile, size_t r0, size_t r1, double* out,
                             C* cost) {
  for (size_t r = r0; r < r1; ++r) {
    const C* p = s.rows + r * s.d;
    double runMax = kNegInf, runSum = 0;
    for (size_t j0 = 0; j0 < s.nCols; j0 += tile) {
      const size_t w = std::min(tile, s.nCols - j0);
      tileCosts(s, p, j0, w, cost);
      C mx = -std::numeric_limits<C>::infinity();
      for (size_t j = 0; j < w; ++j) {
        cost[j] = pot[j0 + j] - cost[j] * invReg;
        mx = std::max(mx, cost[j]);
      }
      if (!(mx > -std::numeric_limits<C>::infinity())) continue;  // every weight of the tile is 0 (or NaN: caught later)
      C sum = 0;
      for (size_t j = 0; j < w; ++j) sum += fastExp<C>(cost[j] - mx);
      const double m = static_cast<double>(mx);
      if (m > runMax) {
        runSum = runSum * std::exp(runMax - m) + static_cast<double>(sum);
        runMax = m;
      } else {
        runSum += static_cast<double>(sum) * std::exp(m - runMax);
      }
    }
    out[r] = runMax + std::log(runSum);
  }
}

// At the solution, for the rows [r0, r1): mass[r] = sum_j P_rj, lin[r] = sum_j P_rj C_rj and, when grad is
// set, grad[r] = 2 (mass_r p_r - sum_j P_rj q_j) (d/dp of <C, P> with P held fixed: the envelope).
template <typename C, typename T>
OT_WIDE_VECTORS void statsRows(const Sides<C>& s, const double* own, const C* pot, C invReg, size_t tile, size_t r0,
                               size_t r1, double* mass, double* lin, T* grad, C* cost, C* plan, double* acc) {
  for (size_t r = r0; r < r1; ++r) {
    const C* p = s.rows + r * s.d;
    double rm = 0, rl = 0;
    for (size_t k = 0; k < s.d; ++k) acc[k] = 0;
    if (own[r] > kNegInf) {
      const C fr = static_cast<C>(own[r]);
      for (size_t j0 = 0; j0 < s.nCols; j0 += tile) {
        const size_t w = std::min(tile, s.nCols - j0);
        tileCosts(s, p, j0, w, cost);
        C tm = 0, tl = 0;
        for (size_t j = 0; j < w; ++j) {
          const C e = fastExp<C>(fr + pot[j0 + j] - cost[j] * invReg);
          plan[j] = e;
          tm += e;
          tl += e * cost[j];
        }
        rm += static_cast<double>(tm);
        rl += static_cast<double>(tl);
        if (grad != nullptr) {
          for (size_t k = 0; k < s.d; ++k) {
            const C* q = s.colsT + k * s.nCols + j0;
            C t = 0;
            for (size_t j = 0; j < w; ++j) t += plan[j] * q[j];
            acc[k] += static_cast<double>(t);
          }
        }
      }
    }
    mass[r] = rm;
    lin[r] = rl;
    if (grad != nullptr) {
      for (size_t k = 0; k < s.d; ++k) grad[r * s.d + k] = static_cast<T>(2 * (rm * static_cast<double>(p[k]) - acc[k]));
    }
  }
}

template <typename T>
Status solve(const LazySinkhornProblem<T>& p, LazySinkhornResult<T>& out) {
  using C = T;
  const size_t n = p.n, m = p.m, d = p.d;
  const C invReg = static_cast<C>(1.0 / p.reg);
  const size_t tile = p.tile > 0 ? p.tile : std::max<size_t>(64, std::min<size_t>(512, 8192 / (d + 1)));
  // Transposed copies, so a tile's columns are contiguous per coordinate; [n, d] views of the inputs.
  std::vector<C> xT(d * n), yT(d * m);
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < d; ++k) xT[k * n + i] = p.x[i * d + k];
  for (size_t j = 0; j < m; ++j)
    for (size_t k = 0; k < d; ++k) yT[k * m + j] = p.y[j * d + k];
  const Sides<C> byRow{p.x, n, yT.data(), m, d};
  const Sides<C> byCol{p.y, m, xT.data(), n, d};
  std::vector<double> logA(n), logB(m), A(n), B(m), lseR(n), lseC(m);
  for (size_t i = 0; i < n; ++i) {
    A[i] = p.a != nullptr ? static_cast<double>(p.a[i]) : 1.0 / static_cast<double>(n);
    logA[i] = A[i] > 0 ? std::log(A[i]) : kNegInf;
  }
  for (size_t j = 0; j < m; ++j) {
    B[j] = p.b != nullptr ? static_cast<double>(p.b[j]) : 1.0 / static_cast<double>(m);
    logB[j] = B[j] > 0 ? std::log(B[j]) : kNegInf;
  }
  double* f = out.f;
  double* g = out.g;
  std::fill(f, f + n, 0.0);
  std::fill(g, g + m, 0.0);
  std::vector<C> fC(n), gC(m, C(0));
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d + 6);
  auto rowPass = [&] {
    passOver<C>(n, work, p.threads, tile, [&](size_t r0, size_t r1, C* buf) { lseRows(byRow, gC.data(), invReg, tile, r0, r1, lseR.data(), buf); });
  };
  auto colPass = [&] {
    passOver<C>(m, work, p.threads, tile, [&](size_t r0, size_t r1, C* buf) { lseRows(byCol, fC.data(), invReg, tile, r0, r1, lseC.data(), buf); });
  };

  rowPass();
  out.status = 1;
  size_t it = 0;
  for (; it < p.maxIter; ++it) {
    if (p.cancel.raised()) return Status::Aborted;
    for (size_t i = 0; i < n; ++i) {
      f[i] = logA[i] - lseR[i];
      if (logA[i] == kNegInf) f[i] = kNegInf;
      fC[i] = static_cast<C>(f[i]);
    }
    colPass();
    for (size_t j = 0; j < m; ++j) {
      g[j] = logB[j] - lseC[j];
      if (logB[j] == kNegInf) g[j] = kNegInf;
      gC[j] = static_cast<C>(g[j]);
    }
    if (p.cancel.raised()) return Status::Aborted;
    const bool check = (it + 1) % 10 == 0;
    if (!check && it + 1 == p.maxIter) break;
    rowPass();  // the next f's log-sum-exp, and the row marginals of the current plan
    if (check) {
      double err = 0;
      for (size_t i = 0; i < n; ++i) err += std::fabs((A[i] > 0 ? std::exp(f[i] + lseR[i]) : 0.0) - A[i]);
      out.err = err;
      p.progress.report(it, err);
      if (!std::isfinite(err)) {
        out.status = 2;
        break;
      }
      if (err <= p.tol) {
        out.status = 0;
        break;
      }
    }
  }
  out.nIter = std::min(it, p.maxIter > 0 ? p.maxIter - 1 : 0);
  auto wA = [&](size_t i) { return A[i]; };
  auto wB = [&](size_t j) { return B[j]; };
  if (!lazy::potentialsFinite(f, g, n, m, wA, wB)) out.status = 2;
  if (out.status == 2) {
    out.value = out.valueLinear = std::numeric_limits<double>::quiet_NaN();
    return Status::Ok;
  }
  if (p.cancel.raised()) return Status::Aborted;

  // The value and the envelope gradients: one tiled pass per side at the solution.
  std::vector<double> massR(n), linR(n), massC(m), linC(m);
  T* gx = p.wantGrad ? out.gradX : nullptr;
  T* gy = p.wantGrad ? out.gradY : nullptr;
  passOver<C>(n, work, p.threads, 2 * tile, [&](size_t r0, size_t r1, C* buf) {
    std::vector<double> acc(d);
    statsRows(byRow, f, gC.data(), invReg, tile, r0, r1, massR.data(), linR.data(), gx, buf, buf + tile, acc.data());
  });
  passOver<C>(m, work, p.threads, 2 * tile, [&](size_t r0, size_t r1, C* buf) {
    std::vector<double> acc(d);
    statsRows(byCol, g, fC.data(), invReg, tile, r0, r1, massC.data(), linC.data(), gy, buf, buf + tile, acc.data());
  });
  const lazy::Value v = lazy::value(f, g, massR.data(), linR.data(), massC.data(), n, m, p.reg, wA, wB);
  out.valueLinear = v.valueLinear;
  out.value = v.value;
  // Finite points can still overflow the cost or cancel catastrophically in f + g - C / reg (far clouds,
  // tiny reg): the result is then not a solution, so it is reported as diverged, never as converged.
  bool finite = std::isfinite(out.value) && std::isfinite(out.valueLinear);
  if (gx != nullptr) {
    for (size_t i = 0; i < n * d && finite; ++i) finite = std::isfinite(static_cast<double>(gx[i]));
    for (size_t j = 0; j < m * d && finite; ++j) finite = std::isfinite(static_cast<double>(gy[j]));
  }
  if (!finite) {
    out.status = 2;
    out.value = out.valueLinear = std::numeric_limits<double>::quiet_NaN();
    return Status::Ok;
  }
  if (p.wantLinearGrad) {
    LazyLinearGradInput<T> li;
    li.byRow = byRow;
    li.byCol = byCol;
    li.f = f;
    li.g = g;
    li.fC = fC.data();
    li.gC = gC.data();
    li.massR = massR.data();
    li.linR = linR.data();
    li.massC = massC.data();
    li.linC = linC.data();
    li.reg = p.reg;
    li.tile = tile;
    li.threads = p.threads;
    li.maxIter = p.maxIter;
    li.cancel = p.cancel;
    LazyLinearGradInfo info;
    const Status st = lazyLinearGrad(li, out.linGradX, out.linGradY, out.lamF, out.lamG, info);
    if (st != Status::Ok) return st;
    out.linearGradIter = info.iterations;
    out.linearGradConverged = info.converged;
  }
  return Status::Ok;
}

}  // namespace

template <typename T>
Status lazySinkhorn(const LazySinkhornProblem<T>& p, LazySinkhornResult<T>& out) {
  if (p.x == nullptr || p.y == nullptr || out.f == nullptr || out.g == nullptr || p.n == 0 || p.m == 0 || p.d == 0 ||
      !(p.reg > 0) || (p.wantGrad && (out.gradX == nullptr || out.gradY == nullptr)) ||
      (p.wantLinearGrad && (out.linGradX == nullptr || out.linGradY == nullptr || out.lamF == nullptr || out.lamG == nullptr))) {
    return Status::BadArgument;
  }
  try {
    return solve(p, out);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
}

template Status lazySinkhorn<float>(const LazySinkhornProblem<float>&, LazySinkhornResult<float>&);
template Status lazySinkhorn<double>(const LazySinkhornProblem<double>&, LazySinkhornResult<double>&);

}  // namespace ot::cpu
