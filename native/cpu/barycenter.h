// The entropic Wasserstein barycenter of k histograms on one support (POT: ot.bregman.barycenter) by
// iterative Bregman projections in the log domain (POT's 'sinkhorn_log' iterates: stable at small reg).
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

template <typename T>
struct BarycenterProblem {
  const T* A = nullptr;       // n x k, row-major: histogram h in column h, entries >= 0
  const T* M = nullptr;       // n x n, row-major, finite
  const double* w = nullptr;  // k weights >= 0
  size_t n = 0, k = 0;
  double reg = 1;             // > 0
  long maxIter = 1000;        // >= 1
  double tol = 1e-4;          // >= 0: stop when POT's err (spread of the projected marginals) < tol
  CancelFlag cancel;
};

template <typename T>
struct BarycenterResult {
  T* bary = nullptr;  // n, caller-owned
  long nIter = 0;     // iterations run
  double err = 0;     // the last spread checked
  Status status = Status::Ok;
};

// Ok (converged), MaxIter, Diverged (non-finite iterates), Aborted, OutOfMemory or BadArgument.
template <typename T>
Status barycenterBregman(const BarycenterProblem<T>& p, BarycenterResult<T>& out);

}  // namespace ot::cpu
