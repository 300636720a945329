// Pairwise cost matrices (POT: ot.dist / ot.utils.dist), multi-threaded. Samples of y are packed in
// panels so an R × C register tile of M accumulates over k in vector registers; no sum is reassociated.
// The inner-product metrics at larger d take the matrix-product route instead (dist_gemm.cc).
#include "cpu/dist.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "cpu/dist_gemm.h"
#include "cpu/dist_tiles.h"

namespace ot::cpu {
namespace {

// Columns per block: a d × kCols slab of packed y stays cache-resident while the rows stream past.
constexpr size_t kCols = 256;

using tiles::powInt;

// ---- forward: acc = fold(step, init) over k, then M = finish(acc) ----

template <typename T>
struct SqEuclideanFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T t = xk - yk; return a + t * t; }
  T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct EuclideanFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T t = xk - yk; return a + t * t; }
  T finish(T a, size_t, size_t) const { return std::sqrt(a); }
};
template <typename T>
struct CityblockFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { return a + std::abs(xk - yk); }
  T finish(T a, size_t, size_t) const { return a; }
};
// P > 0: integer exponent (multiplications, vectorisable); P == 0: any real p via pow.
template <typename T, int P>
struct MinkowskiFwd {
  T p, invP;
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const {
    const T u = std::abs(xk - yk);
    if constexpr (P > 0) return a + powInt<P>(u);
    else return a + std::pow(u, p);
  }
  T finish(T a, size_t, size_t) const { return std::pow(a, invP); }
};
template <typename T>
struct ChebyshevFwd {
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { const T u = std::abs(xk - yk); return u > a ? u : a; }
  T finish(T a, size_t, size_t) const { return a; }
};
template <typename T>
struct CosineFwd {
  const T* nx;  // row norms of x
  const T* ny;  // row norms of y
  T init() const { return T(0); }
  T step(T a, T xk, T yk) const { return a + xk * yk; }
  // One product in the denominator keeps dist(x, x) exactly symmetric.
  T finish(T a, size_t i, size_t j) const { return T(1) - a / (nx[i] * ny[j]); }
};

// Micro-tile: kTileRows rows of x against one packed panel of y, accumulators in registers for the
// whole k loop.
constexpr size_t kTileRows = 4;

template <typename T, class Op>
inline void forwardMicro(const Op& op, const T* const* xr, const T* __restrict panel, size_t d,
                         T (&out)[kTileRows][tiles::kPanel<T>]) {
  constexpr size_t R = kTileRows, C = tiles::kPanel<T>;
  // Local accumulators (not `out`, which might alias x as far as the compiler knows).
  T acc[R][C];
  for (size_t r = 0; r < R; ++r)
    for (size_t c = 0; c < C; ++c) acc[r][c] = op.init();
  // c outside r: this nesting is the one GCC turns into R × C/V register accumulators.
  for (size_t k = 0; k < d; ++k) {
    const T* __restrict yk = panel + k * C;
    T xv[R];
    for (size_t r = 0; r < R; ++r) xv[r] = xr[r][k];
    for (size_t c = 0; c < C; ++c)
      for (size_t r = 0; r < R; ++r) acc[r][c] = op.step(acc[r][c], xv[r], yk[c]);
  }
  for (size_t r = 0; r < R; ++r)
    for (size_t c = 0; c < C; ++c) out[r][c] = acc[r][c];
}

// Rows [i0, i1) × columns [j0, j1) of M; j0 is a multiple of the panel width.
template <typename T, class Op>
void forwardTile(const Op& op, const T* x, const T* yP, size_t m, size_t d, size_t i0, size_t i1, size_t j0,
                 size_t j1, T* M, CancelFlag cancel, std::atomic<bool>& aborted) {
  constexpr size_t R = kTileRows, C = tiles::kPanel<T>;
  T acc[R][C];
  const T* xr[R];
  for (size_t jb = j0; jb < j1; jb += kCols) {
    const size_t je = std::min(j1, jb + kCols);
    for (size_t i = i0; i < i1; i += R) {
      if (tiles::stopRequested(cancel, aborted)) return;
      const size_t rows = std::min(R, i1 - i);
      tiles::tileRows(x, i, rows, d, xr);
      for (size_t j = jb; j < je; j += C) {
        forwardMicro(op, xr, yP + (j / C) * d * C, d, acc);
        const size_t cols = std::min(C, je - j);
        for (size_t r = 0; r < rows; ++r) {
          T* row = M + (i + r) * m + j;
          for (size_t c = 0; c < cols; ++c) row[c] = op.finish(acc[r][c], i + r, j + c);
        }
      }
    }
  }
}

// Splits the n × m output over the team: by rows, or by columns when there are too few rows.
template <typename T, class Op>
Status runForward(const Op& op, const T* x, const T* yP, size_t n, size_t m, size_t d, T* M, CancelFlag cancel,
                  double costPerEntry) {
  std::atomic<bool> aborted{false};
  const int team = teamSizeFor(static_cast<double>(n) * static_cast<double>(m) * costPerEntry);
  const bool byRows = n >= static_cast<size_t>(2 * team) || n >= m;
  runTeamOrInline(team, [&](int tid, int nt) {
    if (byRows) {
      Range r = splitRange(n, tid, nt);
      if (r.begin < r.end) forwardTile(op, x, yP, m, d, r.begin, r.end, 0, m, M, cancel, aborted);
    } else {
      Range c = splitRange(m, tid, nt, tiles::kPanel<T>);
      if (c.begin < c.end) forwardTile(op, x, yP, m, d, 0, n, c.begin, c.end, M, cancel, aborted);
    }
  });
  return aborted.load() ? Status::Aborted : Status::Ok;
}

// The coordinate-wise loops: every metric, and the inner-product ones at small d.
template <typename T>
Status coordinateDist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, T* M,
                      CancelFlag cancel) {
  std::vector<T> yP, nx, ny;
  try {
    yP.resize(tiles::panelCount(m, tiles::kPanel<T>) * tiles::kPanel<T> * d);
    if (metric == Metric::Cosine) {
      nx.resize(n);
      ny.resize(m);
    }
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  tiles::packPanels(y, m, d, yP.data());
  const double cost = static_cast<double>(d) * 2.0 + 2.0;
  Status s = Status::Ok;
  switch (metric) {
    case Metric::SqEuclidean: s = runForward(SqEuclideanFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost); break;
    case Metric::Euclidean: s = runForward(EuclideanFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost); break;
    case Metric::Cityblock: s = runForward(CityblockFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost); break;
    case Metric::Chebyshev: s = runForward(ChebyshevFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost); break;
    case Metric::Minkowski: {
      const T tp = static_cast<T>(p), inv = static_cast<T>(1.0 / p);
      if (p == 1.0) s = runForward(CityblockFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost);
      else if (p == 2.0) s = runForward(EuclideanFwd<T>{}, x, yP.data(), n, m, d, M, cancel, cost);
      else if (p == 3.0) s = runForward(MinkowskiFwd<T, 3>{tp, inv}, x, yP.data(), n, m, d, M, cancel, cost);
      else if (p == 4.0) s = runForward(MinkowskiFwd<T, 4>{tp, inv}, x, yP.data(), n, m, d, M, cancel, cost);
      else s = runForward(MinkowskiFwd<T, 0>{tp, inv}, x, yP.data(), n, m, d, M, cancel, cost * 10);
      break;
    }
    case Metric::Cosine:
      tiles::rowNorms(x, n, d, nx.data());
      tiles::rowNorms(y, m, d, ny.data());
      s = runForward(CosineFwd<T>{nx.data(), ny.data()}, x, yP.data(), n, m, d, M, cancel, cost);
      break;
  }
  return s;
}

template <typename T>
Status distImpl(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
                CancelFlag cancel) {
  if (n == 0 || m == 0) return Status::Ok;
  const Status s = gemmForwardApplies(metric, p, d)
                       ? distGemm(x, y, n, m, d, metric == Metric::Minkowski ? Metric::Euclidean : metric, M, cancel)
                       : coordinateDist(x, y, n, m, d, metric, p, M, cancel);
  if (s == Status::Ok && same) {
    for (size_t i = 0; i < std::min(n, m); ++i) M[i * m + i] = T(0);
  }
  return s;
}

}  // namespace

template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
            CancelFlag cancel) {
  return distImpl(x, y, n, m, d, metric, p, same, M, cancel);
}

template Status dist<float>(const float*, const float*, size_t, size_t, size_t, Metric, double, bool, float*, CancelFlag);
template Status dist<double>(const double*, const double*, size_t, size_t, size_t, Metric, double, bool, double*, CancelFlag);

}  // namespace ot::cpu
