// Lazy (online) log-domain Sinkhorn between point clouds (POT: ot.solve_sample(lazy=True), its
// empirical_sinkhorn with isLazy): the squared Euclidean cost is recomputed from the coordinates in
// cache-sized tiles, fused with the log-sum-exp of each potential update, so memory is O(n + m) and the
// cost matrix is never stored. The same tiled passes give, at convergence, the transport cost, the
// marginals and the envelope gradients with respect to the points.
#pragma once
#include <cstddef>

#include "common/progress.h"
#include "common/status.h"

namespace ot::cpu {

template <typename T>
struct LazySinkhornProblem {
  const T* x = nullptr;  // [n, d] row-major
  const T* y = nullptr;  // [m, d]
  const T* a = nullptr;  // [n] weights (> 0 where used), null: uniform 1/n
  const T* b = nullptr;  // [m] weights, null: uniform 1/m
  size_t n = 0, m = 0, d = 0;
  double reg = 1;        // > 0
  size_t maxIter = 1000;
  double tol = 1e-9;     // stop when sum_i |plan 1 - a|_i <= tol, checked every 10 iterations (POT's rule)
  size_t tile = 0;       // columns per cost tile; 0: sized for the L1 cache
  bool wantGrad = false; // fill gradX / gradY
  bool wantLinearGrad = false;  // fill linGradX / linGradY / lamF / lamG (lazy_linear_grad.h)
  int threads = 0;       // 0: the library's default team size
  CancelFlag cancel;
  ProgressSlot progress;  // (iteration, marginal error) at each error check
};

template <typename T>
struct LazySinkhornResult {
  double* f = nullptr;   // [n] log-potential: plan = exp(f_i + g_j - C_ij / reg)
  double* g = nullptr;   // [m]
  T* gradX = nullptr;    // [n, d] d value / d x (envelope), when wantGrad
  T* gradY = nullptr;    // [m, d]
  T* linGradX = nullptr;  // [n, d] d valueLinear / d x (implicit), when wantLinearGrad
  T* linGradY = nullptr;  // [m, d]
  double* lamF = nullptr; // [n] d valueLinear / d a = -lamF (up to a constant), when wantLinearGrad
  double* lamG = nullptr; // [m]
  size_t linearGradIter = 0;       // conjugate-gradient steps of the linear gradient
  bool linearGradConverged = true;
  double valueLinear = 0;  // <C, plan>
  double value = 0;        // <C, plan> + reg * KL(plan || a b^T) (generalised KL, as ot.solve's)
  double err = 0;          // the last marginal error measured
  size_t nIter = 0;        // POT's log['niter']: index of the last iteration run
  int status = 0;          // Status::Ok (converged), MaxIter or Diverged, as an int
};

// Returns Ok, BadArgument (sizes, reg <= 0, null inputs), Aborted (between passes) or OutOfMemory.
template <typename T>
Status lazySinkhorn(const LazySinkhornProblem<T>& p, LazySinkhornResult<T>& out);

}  // namespace ot::cpu
