// Lazy (online) log-domain Sinkhorn between point clouds on the GPU (POT: ot.solve_sample(lazy=True)):
// the CUDA twin of cpu/lazy_sinkhorn.h. The squared Euclidean cost is recomputed from the coordinates in
// shared-memory tiles, fused with each potential's log-sum-exp, so device memory is O(n + m) and the cost
// matrix is never stored. Same iterations, stopping rule, value and envelope gradients as the CPU kernel.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cuda {

template <typename T>
struct LazySinkhornCudaProblem {
  const T* x = nullptr;  // device [n, d] row-major
  const T* y = nullptr;  // device [m, d]
  const T* a = nullptr;  // device [n] weights, null: uniform 1/n
  const T* b = nullptr;  // device [m] weights, null: uniform 1/m
  size_t n = 0, m = 0, d = 0;
  double reg = 1;        // > 0
  size_t maxIter = 1000;
  double tol = 1e-9;     // stop when sum_i |plan 1 - a|_i <= tol, checked every 10 iterations (POT's rule)
  bool wantGrad = false; // fill gradX / gradY
  CancelFlag cancel;
};

template <typename T>
struct LazySinkhornCudaResult {
  double* f = nullptr;     // host [n] log-potential: plan = exp(f_i + g_j - C_ij / reg)
  double* g = nullptr;     // host [m]
  T* gradX = nullptr;      // device [n, d] d value / d x (envelope), when wantGrad
  T* gradY = nullptr;      // device [m, d]
  double valueLinear = 0;  // <C, plan>
  double value = 0;        // <C, plan> + reg * KL(plan || a b^T) (generalised KL)
  double err = 0;          // the last marginal error measured
  size_t nIter = 0;        // POT's log['niter']: index of the last iteration run
  int status = 0;          // 0 converged, 1 max_iter, 2 diverged (cpu/lazy_sinkhorn.h's codes)
};

// Returns Ok, BadArgument (sizes, reg <= 0, null inputs), Aborted (between iterations), OutOfMemory or a
// device error.
template <typename T>
Status lazySinkhornCuda(const LazySinkhornCudaProblem<T>& p, LazySinkhornCudaResult<T>& out);

}  // namespace ot::cuda
