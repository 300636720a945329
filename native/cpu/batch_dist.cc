// Batched cost matrices (POT: ot.batch.dist_batch) and their gradients. The distance metrics reuse the
// single-problem kernels of cpu/dist.h once per problem; KL (batch-only in POT) is computed here.
// Small problems are spread over the team one whole problem per thread; large ones run one after
// another, each using dist()'s own threads.
#include "cpu/batch_dist.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "common/parallel.h"
#include "cpu/dist.h"

namespace ot::cpu {

bool parseBatchMetric(const char* name, BatchMetric* out) {
  static const struct {
    const char* name;
    BatchMetric metric;
  } table[] = {{"sqeuclidean", BatchMetric::SqEuclidean},
               {"euclidean", BatchMetric::Euclidean},
               {"minkowski", BatchMetric::Minkowski},
               {"kl", BatchMetric::KL}};
  for (const auto& e : table)
    if (std::strcmp(name, e.name) == 0) {
      *out = e.metric;
      return true;
    }
  return false;
}

namespace {

constexpr double kKlEps = 1e-10;  // POT's dist_kl_batch eps

// Runs body(problem, scratch) over B problems: on a team sized by the total work when one problem is
// too small to use threads by itself, else one problem at a time (the kernels then thread inside).
template <typename T, class Body>
Status forProblems(size_t B, double workPerProblem, CancelFlag cancel, Body body) {
  const bool wholeProblems = teamSizeFor(workPerProblem) == 1;
  int nt = wholeProblems ? std::min<int>(teamSizeFor(workPerProblem * static_cast<double>(B)), static_cast<int>(B)) : 1;
  return forEachItem(B, nt, cancel, [] { return std::vector<T>(); },
                     [&](std::vector<T>& scratch, size_t b) { return body(b, scratch); });
}

Metric singleMetric(BatchMetric metric) {
  switch (metric) {
    case BatchMetric::Euclidean: return Metric::Euclidean;
    case BatchMetric::Minkowski: return Metric::Minkowski;
    default: return Metric::SqEuclidean;
  }
}

// POT's dist_kl_batch: M_ij = sum_k y_jk log(y_jk + eps) - sum_k y_jk log(x_ik + eps), with y transposed
// into scratch [d, m] so the inner loop runs over j.
template <typename T>
void klOne(const T* x, const T* y, size_t n, size_t m, size_t d, T* M, std::vector<T>& scratch) {
  scratch.resize(d * m + m + d);
  T* Yt = scratch.data();
  T* entrY = Yt + d * m;
  T* lx = entrY + m;
  const T eps = static_cast<T>(kKlEps);
  for (size_t j = 0; j < m; ++j) {
    T s = 0;
    for (size_t k = 0; k < d; ++k) {
      Yt[k * m + j] = y[j * d + k];
      s += y[j * d + k] * std::log(y[j * d + k] + eps);
    }
    entrY[j] = s;
  }
  for (size_t i = 0; i < n; ++i) {
    T* row = M + i * m;
    std::fill(row, row + m, T(0));
    for (size_t k = 0; k < d; ++k) lx[k] = std::log(x[i * d + k] + eps);
    for (size_t k = 0; k < d; ++k) {
      const T* yk = Yt + k * m;
      const T l = lx[k];
      for (size_t j = 0; j < m; ++j) row[j] += yk[j] * l;
    }
    for (size_t j = 0; j < m; ++j) row[j] = entrY[j] - row[j];
  }
}

// dM_ij/dx_ik = -y_jk / (x_ik + eps); dM_ij/dy_jk = log(y_jk + eps) + y_jk / (y_jk + eps) - log(x_ik + eps).
template <typename T>
void klBackOne(const T* x, const T* y, const T* G, size_t n, size_t m, size_t d, T* gx, T* gy) {
  if (gx) std::fill(gx, gx + n * d, T(0));
  if (gy) std::fill(gy, gy + m * d, T(0));
  const T eps = static_cast<T>(kKlEps);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) {
      const T g = G[i * m + j];
      if (g == 0) continue;
      for (size_t k = 0; k < d; ++k) {
        const T xv = x[i * d + k], yv = y[j * d + k];
        if (gx) gx[i * d + k] -= g * yv / (xv + eps);
        if (gy) gy[j * d + k] += g * (std::log(yv + eps) + yv / (yv + eps) - std::log(xv + eps));
      }
    }
  }
}

}  // namespace

template <typename T>
Status batchDist(const T* X, const T* Y, size_t B, size_t n, size_t m, size_t d, BatchMetric metric, double p, T* M,
                 CancelFlag cancel) {
  if (B == 0) return Status::Ok;
  const bool same = X == Y;
  double work = static_cast<double>(n) * m * (d + 1) * (metric == BatchMetric::Minkowski ? 20 : 2);
  return forProblems<T>(B, work, cancel, [&](size_t b, std::vector<T>& scratch) -> Status {
    const T* x = X + b * n * d;
    const T* y = Y + b * m * d;
    if (metric != BatchMetric::KL) return dist<T>(x, y, n, m, d, singleMetric(metric), p, same, M + b * n * m, cancel);
    klOne(x, y, n, m, d, M + b * n * m, scratch);
    return Status::Ok;
  });
}

template <typename T>
Status batchDistBackward(const T* X, const T* Y, const T* M, const T* G, size_t B, size_t n, size_t m, size_t d,
                         BatchMetric metric, double p, T* gX, T* gY, CancelFlag cancel) {
  if (B == 0) return Status::Ok;
  const bool same = X == Y;
  double work = static_cast<double>(n) * m * (d * 3.0 + 4.0) * 2;
  return forProblems<T>(B, work, cancel, [&](size_t b, std::vector<T>&) -> Status {
    const T* x = X + b * n * d;
    const T* y = Y + b * m * d;
    T* gx = gX ? gX + b * n * d : nullptr;
    T* gy = gY ? gY + b * m * d : nullptr;
    if (metric != BatchMetric::KL)
      return distBackward<T>(x, y, M + b * n * m, G + b * n * m, n, m, d, singleMetric(metric), p, same, gx, gy, cancel);
    klBackOne(x, y, G + b * n * m, n, m, d, gx, gy);
    return Status::Ok;
  });
}

#define OT_INSTANTIATE(T)                                                                                      \
  template Status batchDist<T>(const T*, const T*, size_t, size_t, size_t, size_t, BatchMetric, double, T*,     \
                               CancelFlag);                                                                    \
  template Status batchDistBackward<T>(const T*, const T*, const T*, const T*, size_t, size_t, size_t, size_t, \
                                       BatchMetric, double, T*, T*, CancelFlag);
OT_INSTANTIATE(float)
OT_INSTANTIATE(double)
#undef OT_INSTANTIATE

}  // namespace ot::cpu
