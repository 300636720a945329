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

// ---- ot.solve's entropic solve as the CPU returns it (native/cpu/sinkhorn.h), over the two above ----

// What a solve keeps for its adjoint: nothing, every iteration (grad='autodiff'), or the last step.
enum class SinkhornRecord : int { None = 0, History = 1, LastStep = 2 };

template <typename T>
struct SinkhornSolveProblem {
  const T* M = nullptr;  // [n×m] device
  const T* a = nullptr;  // [n] device, M's dtype
  const T* b = nullptr;  // [m] device
  size_t n = 0, m = 0;
  double reg = 1;
  bool klReg = true;  // POT's reg_type 'KL' (else 'entropy'): which regulariser `value` adds
  int64_t maxIter = 1000;  // >= 1
  double tol = 1e-9;
  SinkhornRecord record = SinkhornRecord::None;
  CancelFlag cancel;
};

template <typename T>
struct SinkhornSolveOutputs {
  T* logU = nullptr;  // [n] device (required)
  T* logV = nullptr;  // [m] device (required)
  T* plan = nullptr;  // [n×m] device (required)
  // Filled when something is recorded: [u rows (K+1)×n | v rows K×m | detached v (m, last_step only)],
  // K = iterations; the layout sinkhornBackwardCuda reads.
  DeviceBuffer* history = nullptr;
  size_t iterations = 0;
  // Host scalars: POT's value (valueLinear + reg·regulariser), <M, plan> and log['niter'].
  double value = 0, valueLinear = 0;
  int64_t nIter = 0;
};

// POT's ot.solve (entropic, sinkhorn_log): last_step runs maxIter - 1 detached iterations, then one
// update of v and u from their potentials (status is the detached run's unless the step diverges, and
// nIter = maxIter, as on the CPU). Returns Ok (converged), MaxIter, Diverged, or a failure.
template <typename T>
Status sinkhornSolveCuda(const SinkhornSolveProblem<T>& p, SinkhornSolveOutputs<T>& out);

// Incoming gradients of (value, valueLinear, plan, logU, logV) and the record they flow back through.
template <typename T>
struct SinkhornBackwardInput {
  const T* history = nullptr;  // SinkhornSolveOutputs::history's layout
  size_t iterations = 0;       // K >= 1 (1 for last_step)
  bool lastStep = false;
  // false: M in <M, plan> and a, b in the KL reference are constants (POT's last_step value).
  bool directTerms = true;
  double gValue = 0, gValueLinear = 0;
  const T* gPlan = nullptr;  // [n×m] or null (zero)
  const T* gLogU = nullptr;  // [n] or null
  const T* gLogV = nullptr;  // [m] or null
};

// dM [n×m] (may be null), da [n], db [m] of the seeds through the recorded iterations (the CPU's
// sinkhornBackward): value's cotangent is split into <M, plan> and reg·regulariser here.
template <typename T>
Status sinkhornBackwardCuda(const SinkhornSolveProblem<T>& p, const SinkhornBackwardInput<T>& in, T* dM, T* da, T* db);

}  // namespace ot::cuda
