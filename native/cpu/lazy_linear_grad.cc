// Implicit gradient of the lazy Sinkhorn transport cost <C, P> (see lazy_linear_grad.h): the tiled
// passes recompute P from the points, as the iterations do; the conjugate gradients run in double.
#include "cpu/lazy_linear_grad.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ot::cpu {
namespace {

using tiles::passOver;
using tiles::Sides;
using tiles::tileCosts;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// out[r] = sum_j P_rj vec_j for the rows [r0, r1), P_rj = exp(own_r + pot_j - C_rj / reg).
template <typename C>
OT_WIDE_VECTORS void dotRows(const Sides<C>& s, const double* own, const C* pot, const C* vec, C invReg, size_t tile,
                             size_t r0, size_t r1, double* out, C* cost) {
  for (size_t r = r0; r < r1; ++r) {
    double acc = 0;
    if (own[r] > kNegInf) {
      const C* p = s.rows + r * s.d;
      const C fr = static_cast<C>(own[r]);
      for (size_t j0 = 0; j0 < s.nCols; j0 += tile) {
        const size_t w = std::min(tile, s.nCols - j0);
        tileCosts(s, p, j0, w, cost);
        C t = 0;
        for (size_t j = 0; j < w; ++j) t += fastExp<C>(fr + pot[j0 + j] - cost[j] * invReg) * vec[j0 + j];
        acc += static_cast<double>(t);
      }
    }
    out[r] = acc;
  }
}

// grad[r] = sum_j W_rj d C_rj / d p_r = 2 (sum_j W_rj p_r - sum_j W_rj q_j), W_rj = P_rj (1 - (C_rj + lamOwn_r +
// lamPot_j) / reg): d<C,P>/dC through the potentials' response.
template <typename C, typename T>
OT_WIDE_VECTORS void gradRows(const Sides<C>& s, const double* own, const C* pot, const double* lamOwn, const C* lamPot,
                              C invReg, size_t tile, size_t r0, size_t r1, T* grad, C* cost, C* wt, double* acc) {
  for (size_t r = r0; r < r1; ++r) {
    const C* p = s.rows + r * s.d;
    double sw = 0;
    for (size_t k = 0; k < s.d; ++k) acc[k] = 0;
    if (own[r] > kNegInf) {
      const C fr = static_cast<C>(own[r]);
      const C lr = static_cast<C>(lamOwn[r]);
      for (size_t j0 = 0; j0 < s.nCols; j0 += tile) {
        const size_t w = std::min(tile, s.nCols - j0);
        tileCosts(s, p, j0, w, cost);
        C tw = 0;
        for (size_t j = 0; j < w; ++j) {
          const C e = fastExp<C>(fr + pot[j0 + j] - cost[j] * invReg);
          wt[j] = e * (C(1) - (cost[j] + lr + lamPot[j0 + j]) * invReg);
          tw += wt[j];
        }
        sw += static_cast<double>(tw);
        for (size_t k = 0; k < s.d; ++k) {
          const C* q = s.colsT + k * s.nCols + j0;
          C t = 0;
          for (size_t j = 0; j < w; ++j) t += wt[j] * q[j];
          acc[k] += static_cast<double>(t);
        }
      }
    }
    for (size_t k = 0; k < s.d; ++k) grad[r * s.d + k] = static_cast<T>(2 * (sw * static_cast<double>(p[k]) - acc[k]));
  }
}

}  // namespace

template <typename T>
Status lazyLinearGrad(const LazyLinearGradInput<T>& in, T* gradX, T* gradY, double* lamF, double* lamG, LazyLinearGradInfo& info) {
  using C = T;
  const size_t n = in.byRow.nRows, m = in.byCol.nRows, d = in.byRow.d, tile = in.tile;
  const C invReg = static_cast<C>(1.0 / in.reg);
  const double work = static_cast<double>(n) * static_cast<double>(m) * static_cast<double>(d + 4);
  std::vector<C> vecN(n), vecM(m);
  std::vector<double> outN(n), outM(m);
  // P v (over the rows) and P^T w (over the columns), v and w in double, rounded to the compute type.
  auto rowsTimes = [&](const std::vector<double>& v) {
    for (size_t j = 0; j < m; ++j) vecM[j] = static_cast<C>(v[j]);
    passOver<C>(n, work, in.threads, tile, [&](size_t r0, size_t r1, C* buf) { dotRows(in.byRow, in.f, in.gC, vecM.data(), invReg, tile, r0, r1, outN.data(), buf); });
  };
  auto colsTimes = [&](const std::vector<double>& w) {
    for (size_t i = 0; i < n; ++i) vecN[i] = static_cast<C>(w[i]);
    passOver<C>(m, work, in.threads, tile, [&](size_t r0, size_t r1, C* buf) { dotRows(in.byCol, in.g, in.fC, vecN.data(), invReg, tile, r0, r1, outM.data(), buf); });
  };
  std::vector<double> invR(n, 0.0), invC(m, 0.0);
  size_t active = 0;
  for (size_t i = 0; i < n; ++i) invR[i] = in.massR[i] > 0 ? 1 / in.massR[i] : 0;
  for (size_t j = 0; j < m; ++j) {
    invC[j] = in.massC[j] > 0 ? 1 / in.massC[j] : 0;
    active += invC[j] > 0;
  }
  // Keeps r in the range of the Schur complement S, whose kernel is the constant vector on the active columns.
  auto centre = [&](std::vector<double>& r) {
    double s = 0;
    for (size_t j = 0; j < m; ++j) s += invC[j] > 0 ? r[j] : 0;
    s /= static_cast<double>(std::max<size_t>(active, 1));
    for (size_t j = 0; j < m; ++j) r[j] = invC[j] > 0 ? r[j] - s : 0;
  };
  // rhs = -colsum(C o P) + P^T (rowsum(C o P) / P 1).
  std::vector<double> t(n), r(m), x(m, 0.0), z(m), p(m), Sp(m);
  for (size_t i = 0; i < n; ++i) t[i] = in.linR[i] * invR[i];
  colsTimes(t);
  for (size_t j = 0; j < m; ++j) r[j] = outM[j] - in.linC[j];
  centre(r);
  auto dot = [&](const std::vector<double>& u, const std::vector<double>& v) {
    double s = 0;
    for (size_t j = 0; j < m; ++j) s += u[j] * v[j];
    return s;
  };
  const double tol = (sizeof(T) == 8 ? 1e-13 : 1e-5) * std::sqrt(dot(r, r));
  for (size_t j = 0; j < m; ++j) z[j] = r[j] * invC[j];
  p = z;
  double rz = dot(r, z);
  info.converged = !(std::sqrt(dot(r, r)) > tol);
  for (size_t k = 0; k < in.maxIter && !info.converged; ++k) {
    if (in.cancel.raised()) return Status::Aborted;
    // S p = diag(P^T 1) p - P^T ((P p) / P 1)
    rowsTimes(p);
    for (size_t i = 0; i < n; ++i) t[i] = outN[i] * invR[i];
    colsTimes(t);
    for (size_t j = 0; j < m; ++j) Sp[j] = invC[j] > 0 ? in.massC[j] * p[j] - outM[j] : 0;
    const double pSp = dot(p, Sp);
    info.iterations = k + 1;
    if (!(pSp > 0)) break;  // rounding has exhausted the search directions
    const double alpha = rz / pSp;
    for (size_t j = 0; j < m; ++j) {
      x[j] += alpha * p[j];
      r[j] -= alpha * Sp[j];
    }
    centre(r);
    if (std::sqrt(dot(r, r)) <= tol) {
      info.converged = true;
      break;
    }
    for (size_t j = 0; j < m; ++j) z[j] = r[j] * invC[j];
    const double rzNext = dot(r, z);
    const double beta = rzNext / rz;
    rz = rzNext;
    for (size_t j = 0; j < m; ++j) p[j] = z[j] + beta * p[j];
  }
  if (in.cancel.raised()) return Status::Aborted;
  // lf = -(rowsum(C o P) + P lg) / P 1.
  rowsTimes(x);
  for (size_t j = 0; j < m; ++j) lamG[j] = x[j];
  for (size_t i = 0; i < n; ++i) lamF[i] = -(in.linR[i] + outN[i]) * invR[i];
  std::vector<C> lamFC(n), lamGC(m);
  for (size_t i = 0; i < n; ++i) lamFC[i] = static_cast<C>(lamF[i]);
  for (size_t j = 0; j < m; ++j) lamGC[j] = static_cast<C>(lamG[j]);
  passOver<C>(n, work, in.threads, 2 * tile, [&](size_t r0, size_t r1, C* buf) {
    std::vector<double> acc(d);
    gradRows(in.byRow, in.f, in.gC, lamF, lamGC.data(), invReg, tile, r0, r1, gradX, buf, buf + tile, acc.data());
  });
  passOver<C>(m, work, in.threads, 2 * tile, [&](size_t r0, size_t r1, C* buf) {
    std::vector<double> acc(d);
    gradRows(in.byCol, in.g, in.fC, lamG, lamFC.data(), invReg, tile, r0, r1, gradY, buf, buf + tile, acc.data());
  });
  return Status::Ok;
}

template Status lazyLinearGrad<float>(const LazyLinearGradInput<float>&, float*, float*, double*, double*, LazyLinearGradInfo&);
template Status lazyLinearGrad<double>(const LazyLinearGradInput<double>&, double*, double*, double*, double*, LazyLinearGradInfo&);

}  // namespace ot::cpu
