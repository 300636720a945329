// Sliced Wasserstein: project both samples on each direction, solve the 1-D problems with the
// quantile walk (threads share the projections), then chain the root of the mean / max into the
// per-point derivatives to get the gradients with respect to the samples.
#include "cpu/sliced.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <vector>

#include "common/parallel.h"
#include "common/sliced_reduce.h"
#include "cpu/quantile_walk.h"

namespace ot::cpu {
namespace {

struct ProjectionScratch {
  std::vector<double> theta, ps, pt;
  oned::Sorted s, t;
};

// proj[i] = <x_i, theta> for the n rows of x [n, d].
template <typename T>
void project(const T* x, size_t n, size_t d, const double* theta, double* proj) {
  for (size_t i = 0; i < n; ++i) {
    const T* row = x + i * d;
    double acc = 0;
    for (size_t e = 0; e < d; ++e) acc += static_cast<double>(row[e]) * theta[e];
    proj[i] = acc;
  }
}

// grad[i, :] = sum_l coef[l] * G[l, i] * theta_l, rows split over a team.
template <typename T>
void chainToSamples(const std::vector<double>& G, const std::vector<double>& coef, const T* P, size_t n, size_t d,
                    size_t k, T* grad) {
  parallelFor(n, double(k * d), [&](size_t b, size_t e) {
    std::vector<double> acc(d);
    for (size_t i = b; i < e; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t l = 0; l < k; ++l) {
        const double g = coef[l] * G[l * n + i];
        if (g == 0) continue;
        for (size_t c = 0; c < d; ++c) acc[c] += g * static_cast<double>(P[c * k + l]);
      }
      for (size_t c = 0; c < d; ++c) grad[i * d + c] = static_cast<T>(acc[c]);
    }
  });
}

}  // namespace

template <typename T>
Status slicedWasserstein(const SlicedProblem<T>& p, SlicedResult<T>& out) {
  if (!p.xS || !p.xT || !p.projections || p.n == 0 || p.m == 0 || p.d == 0 || p.k == 0 || !(p.p >= 1))
    return Status::BadArgument;
  const size_t n = p.n, m = p.m, d = p.d, k = p.k;
  const bool wantGrad = p.grad != SlicedGrad::None && (out.gradS || out.gradT);
  try {
    std::vector<double> w(k), GS(wantGrad && out.gradS ? k * n : 0), GT(wantGrad && out.gradT ? k * m : 0);
    const double work = double(k) * double(n + m) * (double(d) + 30);
    int threads = p.threads > 0 ? std::min(p.threads, maxThreads()) : teamSizeFor(work);
    threads = std::max(1, std::min<int>(threads, static_cast<int>(k)));
    const Status st = forEachItem(
        k, threads, p.cancel, [] { return ProjectionScratch(); },
        [&](ProjectionScratch& s, size_t l) {
          s.theta.resize(d);
          s.ps.resize(n);
          s.pt.resize(m);
          for (size_t c = 0; c < d; ++c) s.theta[c] = static_cast<double>(p.projections[c * k + l]);
          project(p.xS, n, d, s.theta.data(), s.ps.data());
          project(p.xT, m, d, s.theta.data(), s.pt.data());
          s.s.load(s.ps.data(), n, 1, p.a, 1);
          s.t.load(s.pt.data(), m, 1, p.b, 1);
          w[l] = oned::transportCost(s.s, s.t, p.p, GS.empty() ? nullptr : GS.data() + l * n,
                                     GT.empty() ? nullptr : GT.data() + l * m);
          return Status::Ok;
        });
    if (st != Status::Ok) return st;
    const sliced::Reduced r = sliced::reduce(w.data(), k, p.p);
    out.value = r.value;
    out.maxValue = r.maxValue;
    out.argMax = r.argMax;
    if (out.projected) std::copy(w.begin(), w.end(), out.projected);
    if (wantGrad) {
      const std::vector<double> coef = sliced::gradWeights(w.data(), k, p.p, p.grad == SlicedGrad::Max, r);
      if (out.gradS) chainToSamples(GS, coef, p.projections, n, d, k, out.gradS);
      if (out.gradT) chainToSamples(GT, coef, p.projections, m, d, k, out.gradT);
    }
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  return Status::Ok;
}

template Status slicedWasserstein<float>(const SlicedProblem<float>&, SlicedResult<float>&);
template Status slicedWasserstein<double>(const SlicedProblem<double>&, SlicedResult<double>&);

}  // namespace ot::cpu
