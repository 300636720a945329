// Log-domain Bregman projections for the entropic barycenter (see barycenter.h). Per iteration and
// histogram h: f = log A[:, h] - LSE_j(Mr[i, j] + G[j, h]), logKU[:, h] = LSE_i(Mr[i, j] + f[i]) with
// Mr = -M / reg, then log bary = sum_h w_h logKU[:, h] and G = log bary - logKU. Mr and its transpose are
// kept so both log-sum-exps walk contiguous rows. POT's err (sum over bins of the population std of
// exp(G + logKU) across histograms) is checked when iter % 10 == 1, as POT does.
#include "cpu/barycenter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

namespace ot::cpu {
namespace {

// log sum_t exp(a[t] + b[t]) over len terms.
inline double lse2(const double* a, const double* b, size_t len) {
  double top = -std::numeric_limits<double>::infinity();
  for (size_t t = 0; t < len; ++t) top = std::fmax(top, a[t] + b[t]);
  if (top == -std::numeric_limits<double>::infinity()) return top;
  double s = 0;
  for (size_t t = 0; t < len; ++t) s += std::exp(a[t] + b[t] - top);
  return top + std::log(s);
}

}  // namespace

template <typename T>
Status barycenterBregman(const BarycenterProblem<T>& p, BarycenterResult<T>& out) {
  const size_t n = p.n, k = p.k;
  if (n == 0 || k == 0 || !(p.reg > 0) || p.maxIter < 1 || out.bary == nullptr) return out.status = Status::BadArgument;
  std::vector<double> Mr, MrT, logA, G, logKU, Gh, f, logBar;
  try {
    Mr.resize(n * n);
    MrT.resize(n * n);
    logA.resize(n * k);
    G.assign(k * n, 0.0);  // histogram-major: G[h * n + j]
    logKU.resize(k * n);
    Gh.resize(n);
    f.resize(n);
    logBar.resize(n);
  } catch (const std::bad_alloc&) {
    return out.status = Status::OutOfMemory;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const double v = -static_cast<double>(p.M[i * n + j]) / p.reg;
      Mr[i * n + j] = v;
      MrT[j * n + i] = v;
    }
  // As POT: log(A + 1e-16), so empty bins stay finite.
  for (size_t i = 0; i < n; ++i)
    for (size_t h = 0; h < k; ++h) logA[h * n + i] = std::log(static_cast<double>(p.A[i * k + h]) + 1e-16);

  Status status = Status::MaxIter;
  long iter = 0;
  for (; iter < p.maxIter; ++iter) {
    if (p.cancel.raised()) return out.status = Status::Aborted;
    std::fill(logBar.begin(), logBar.end(), 0.0);
    for (size_t h = 0; h < k; ++h) {
      const double* g = &G[h * n];
      for (size_t i = 0; i < n; ++i) f[i] = logA[h * n + i] - lse2(&Mr[i * n], g, n);
      double* ku = &logKU[h * n];
      for (size_t j = 0; j < n; ++j) {
        ku[j] = lse2(&MrT[j * n], f.data(), n);
        logBar[j] += p.w[h] * ku[j];
      }
    }
    if (iter % 10 == 1) {
      double err = 0;
      for (size_t j = 0; j < n; ++j) {
        double mean = 0, var = 0;
        for (size_t h = 0; h < k; ++h) mean += std::exp(G[h * n + j] + logKU[h * n + j]);
        mean /= static_cast<double>(k);
        for (size_t h = 0; h < k; ++h) {
          const double d = std::exp(G[h * n + j] + logKU[h * n + j]) - mean;
          var += d * d;
        }
        err += std::sqrt(var / static_cast<double>(k));
      }
      out.err = err;
      if (!std::isfinite(err)) {
        out.nIter = iter + 1;
        return out.status = Status::Diverged;
      }
      if (err < p.tol) {
        status = Status::Ok;
        ++iter;
        break;
      }
    }
    for (size_t h = 0; h < k; ++h)
      for (size_t j = 0; j < n; ++j) G[h * n + j] = logBar[j] - logKU[h * n + j];
  }
  for (size_t j = 0; j < n; ++j) {
    const double v = std::exp(logBar[j]);
    if (!std::isfinite(v)) {
      out.nIter = iter;
      return out.status = Status::Diverged;
    }
    out.bary[j] = static_cast<T>(v);
  }
  out.nIter = iter;
  return out.status = status;
}

template Status barycenterBregman<float>(const BarycenterProblem<float>&, BarycenterResult<float>&);
template Status barycenterBregman<double>(const BarycenterProblem<double>&, BarycenterResult<double>&);

}  // namespace ot::cpu
