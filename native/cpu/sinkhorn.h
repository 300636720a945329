// Entropic OT on the CPU (POT: ot.solve entropic branch = ot.bregman.sinkhorn_log): the forward
// Sinkhorn solve with POT's iterates and stopping rule, and the reverse-mode adjoint through it.
// Templates on the problem's float type T (float or double); all arithmetic is double.
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include "common/progress.h"
#include "common/status.h"

namespace ot::cpu {

enum class EntropicReg : int { KL = 0, Entropy = 1 };
// The penalty of an unbalanced marginal (POT's unbalanced_type): ua KL(plan 1 || a) or ua |plan 1 - a|_1.
enum class Marginal : int { KL = 0, TV = 1, L2 = 2 };

// Per-iteration log-potentials kept by the forward for the adjoint. Layout (K = iterations):
// u^0 (n), then for k = 1..K: v^k (m), u^k (n). Only the pages actually written become resident.
// A last_step record is u_det, v, u, v_det (K = 1, plus the detached v the u-update read).
struct SinkhornHistory {
  std::unique_ptr<double[]> data;
  size_t capacity = 0;   // doubles allocated
  size_t iterations = 0; // K
  bool lastStep = false;
  size_t length(size_t n, size_t m) const { return n + iterations * (n + m) + (lastStep ? m : 0); }
};

template <typename T>
struct SinkhornProblem {
  const T* M = nullptr;       // n x m, row-major, finite
  const double* a = nullptr;  // n weights >= 0
  const double* b = nullptr;  // m weights >= 0, same total as a
  size_t n = 0, m = 0;
  double reg = 1;             // > 0
  EntropicReg regType = EntropicReg::KL;
  long maxIter = 1000;        // >= 1
  double tol = 1e-9;          // stop when ||colsum(plan) - b||_2 < tol (checked every 10 iterations)
  // POT's grad='last_step': maxIter-1 iterations, then v and u recomputed (log domain) from the detached
  // potentials, recorded in `history`.
  bool lastStep = false;
  // Keep every iteration's potentials in `history` (grad='autodiff').
  bool recordHistory = false;
  // Unbalanced marginals (Chizat et al. 2018, "Scaling algorithms for unbalanced transport problems";
  // POT: sinkhorn_knopp_unbalanced for KL): ua * D(plan 1 | a) and ub * D(plan^T 1 | b) replace the
  // constraints; +inf (the default) keeps a side exact. The u-update becomes the proximal step of D:
  //   KL: u = kappa log a - fa LSE_j(-M/reg + v), fa = ua / (ua + reg) (kappa = 1 for reg KL against
  //       a b^T, fa for entropy, whose reference measure is 1);
  //   TV: u = o + clamp(log a - o - LSE, -ua/reg, ua/reg), o = log a (reg KL) or 0 (entropy);
  //   L2 (ua/2 (plan 1 - a)^2): the root of e^(u + LSE) = a - reg (u - o) / ua (the new row mass equals
  //       the penalty's response to the dual potential reg (u - o)), by Newton's method.
  // The stopping rule is then the change of v between two iterations, ||v^k - v^(k-1)||_2 < tol
  // (the marginals themselves do not converge to a and b).
  double ua = std::numeric_limits<double>::infinity();
  double ub = std::numeric_limits<double>::infinity();
  Marginal marginal = Marginal::KL;
  // Warm start of the row log-potentials (reg annealing); null: 0, as POT.
  const double* initU = nullptr;
  CancelFlag cancel;
  ProgressSlot progress;  // (iteration, marginal error) at each error check

  bool unbalanced() const { return std::isfinite(ua) || std::isfinite(ub); }
  static double exponent(double um, double reg) { return std::isfinite(um) ? um / (um + reg) : 1.0; }
};

// What the plan is built from when the forward was not asked to write it (SinkhornResult::plan null):
// the final potentials in the form the forward's last pass read them. fromKernel: plan_ij = K_ij U_i V_j
// with K_ij = exp(M_ij c + alpha_i + beta_j) in T, as the scaling path keeps it; otherwise
// plan_ij = exp(M_ij c + u_i + v_j). sinkhornPlan then writes the very numbers the forward would have.
struct SinkhornPlanState {
  bool fromKernel = false;
  double c = 0;  // -1 / reg
  std::vector<double> u, v, alpha, beta, U, V;
};

template <typename T>
struct SinkhornResult {
  T* plan = nullptr;  // n x m, caller-owned; null: not written, planState filled instead
  SinkhornPlanState* planState = nullptr;  // caller-owned, filled when plan is null
  T* logU = nullptr;  // n, caller-owned
  T* logV = nullptr;  // m, caller-owned
  double value = 0, valueLinear = 0;
  long nIter = 0;          // POT's log['niter']
  Status status = Status::Ok;  // Ok (converged), MaxIter or Diverged
  SinkhornHistory history;     // filled for recordHistory / lastStep
  // Diagnostics: iterations run in the log domain, and absorptions of the scaling path.
  long logIterations = 0, absorptions = 0;
};

// Runs the solve; returns Ok, MaxIter, Diverged (results still written), Aborted, OutOfMemory or BadArgument.
template <typename T>
Status sinkhornSolve(const SinkhornProblem<T>& p, SinkhornResult<T>& out);

// The plan of a forward that left it unwritten (M as the forward read it; n x m into plan). Ok, Aborted
// or OutOfMemory.
template <typename T>
Status sinkhornPlan(const T* M, size_t n, size_t m, const SinkhornPlanState& state, T* plan, CancelFlag cancel);

// Gradients of (value, valueLinear, plan, logU, logV) with respect to (M, a, b), replaying the
// iterations stored in `history` (all of them for autodiff, the final step for last_step).
template <typename T>
struct SinkhornAdjoint {
  const T* M = nullptr;
  const double* a = nullptr;
  const double* b = nullptr;
  size_t n = 0, m = 0;
  double reg = 1;
  EntropicReg regType = EntropicReg::KL;
  const double* history = nullptr;  // layout of SinkhornHistory
  size_t iterations = 0;            // K >= 1
  bool lastStep = false;            // a last_step record (K = 1): u reads the detached v
  // The value terms see M, a, b directly (autodiff) or only through the plan (last_step: POT detaches them).
  bool directTerms = true;
  // Incoming gradients; null vectors mean zero.
  double gValue = 0, gValueLinear = 0;
  const T* gPlan = nullptr;
  const T* gLogU = nullptr;
  const T* gLogV = nullptr;
  // Outputs; dM may be null when M needs no gradient (skips the n x m accumulation).
  T* dM = nullptr;
  double* da = nullptr;
  double* db = nullptr;
};

template <typename T>
Status sinkhornBackward(const SinkhornAdjoint<T>& p);

}  // namespace ot::cpu
