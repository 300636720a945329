// Log-domain Sinkhorn on the GPU (POT: ot.bregman.sinkhorn_log, as used by ot.solve) and the reverse-mode
// adjoint through its iterations. All array pointers are device pointers; scalars come back on the host.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "cuda/runtime.h"

namespace ot::cuda {

// Optional outputs of sinkhornLogCuda (device pointers; null = not wanted).
template <typename T>
struct SinkhornLogOutputs {
  T* logU = nullptr;   // [n] final log-potential u (required)
  T* logV = nullptr;   // [m] final log-potential v (required)
  T* plan = nullptr;   // [n×m] exp(-M/reg + u_i + v_j)
  // Iterate history for the adjoint, grown on the device as iterations run (so a huge maxIter costs
  // nothing up front): on return histU holds u0 then u after each iteration (nIter + 1 rows of n),
  // histV holds v after each iteration (nIter rows of m); rows beyond those are scratch.
  DeviceBuffer* histU = nullptr;
  DeviceBuffer* histV = nullptr;
  // Filled on return (host): iterations performed, last marginal error ||colsum(plan) - b||_2 (NaN when
  // never checked) and the value terms <M, plan>, Σ plan log(plan + 1e-16), Σ plan log(plan / (a b^T) + 1e-16).
  int64_t nIter = 0;
  double err = 0;
  double valueLinear = 0, entropy = 0, kl = 0;
};

// POT sinkhorn_log from u = u0 (zeros when null), v = 0:
//   v = log b - LSE_i(-M/reg + u);  u = log a - LSE_j(-M/reg + v);
//   every 10th iteration (ii % 10 == 0) err = ||colsum(plan) - b||_2, stop when err < tol.
// Everything stays on the device; only err crosses to the host, once per 10 iterations. Returns Ok
// (converged), MaxIter, Diverged (non-finite error), Aborted (cancel raised), OutOfMemory or DeviceError.
// With v0 (and maxIter == 1) the single u-update starts from v0 instead of the new v: POT's
// grad='last_step' step, where both potentials are updated from the detached (u0, v0).
template <typename T>
Status sinkhornLogCuda(const T* M, const T* a, const T* b, size_t n, size_t m, double reg, int64_t maxIter, double tol,
                       CancelFlag cancel, SinkhornLogOutputs<T>& out, const T* u0 = nullptr, const T* v0 = nullptr);

// Upstream gradients for the adjoint (device pointers may be null = zero; scalars multiply the value terms).
template <typename T>
struct SinkhornLogCotangents {
  const T* gLogU = nullptr;  // dL/du of the returned logU [n]
  const T* gLogV = nullptr;  // dL/dv of the returned logV [m]
  const T* gPlan = nullptr;  // dL/dplan [n×m]
  double gValueLinear = 0;   // dL/d<M, plan>
  double gEntropy = 0;       // dL/dΣ plan log(plan + 1e-16)
  double gKl = 0;            // dL/dΣ plan log(plan / (a b^T) + 1e-16)
  // false: M inside <M, plan> and a, b inside the KL reference are constants, as in POT's
  // grad='last_step', whose value is computed from detached inputs (only the plan carries gradient).
  bool directTerms = true;
};

// Reverse pass through K iterations recorded by sinkhornLogCuda (histU [(K+1)×n], histV [K×m]):
// recomputes each kernel row/column from M and the stored potentials (O(K(n+m)) memory, no n×m per
// iteration) and writes dM [n×m], da [n], db [m] (any may be null). u0 (histU row 0) is a constant.
// jacobiV (K must be 1): the u-update used this constant v instead of the new one, as in the v0 step of
// sinkhornLogCuda; with u0 = the detached u this is POT's grad='last_step' gradient.
template <typename T>
Status sinkhornLogAdjointCuda(const T* M, const T* a, const T* b, size_t n, size_t m, double reg, const T* histU,
                              const T* histV, int64_t K, const SinkhornLogCotangents<T>& g, CancelFlag cancel, T* dM,
                              T* da, T* db, const T* jacobiV = nullptr);

}  // namespace ot::cuda
