// Batched entropic OT on the CPU (POT: ot.batch.solve_batch with bregman_log_projection_batch /
// bregman_projection_batch): B independent Sinkhorn problems, threaded over problems, plus the
// reverse-mode adjoint through the iterations for grad='autodiff' and 'last_step'.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/status.h"

namespace ot::cpu {

enum class BatchSolver : int { LogSinkhorn = 0, Sinkhorn = 1 };
enum class BatchRegType : int { Entropy = 0, KL = 1 };
// Batch: POT's rule, every problem iterates until the largest marginal error of the batch is below tol.
// Problem: each problem stops at its own first checkpoint below tol (same test, fewer iterations).
enum class BatchStop : int { Batch = 0, Problem = 1 };
// What the solve keeps for differentiation through the iterations. LastStep is POT's batch grad=
// 'last_step': K is detached in the loop and in the plan, so M's gradient comes only from one extra
// update after the loop, while a and b (not detached in POT) still differentiate through every iteration.
enum class BatchRecord : int { None = 0, AllSteps = 1, LastStep = 2 };

struct BatchSinkhornParams {
  size_t B = 0, n = 0, m = 0;
  double reg = 1;
  int64_t maxIter = 1000;
  double tol = 1e-5;
  BatchSolver solver = BatchSolver::LogSinkhorn;
  BatchRegType regType = BatchRegType::Entropy;
  BatchStop stop = BatchStop::Batch;
  // LastStep also runs POT's extra update after the loop (grad='last_step').
  BatchRecord record = BatchRecord::None;
};

// Per-iteration vectors of every problem, for the adjoint. Per problem: the starting v (log solver) or
// g (scaling solver) [m], then for each recorded update the pair (-LSE_j(K+v) [n], -LSE_i(K+u) [m])
// (log solver: u = log a + first, v = log b + second, finite even for zero weights) or (f [n], g [m]).
template <typename T>
struct BatchTrace {
  size_t B = 0, n = 0, m = 0;
  std::vector<std::vector<T>> steps;
  size_t steps_of(size_t b) const { return (steps[b].size() - m) / (n + m); }
  size_t bytes() const {
    size_t s = 0;
    for (const auto& v : steps) s += v.capacity() * sizeof(T);
    return s;
  }
};

// Caller-owned outputs: plan [B,n,m] (null: not written, batchSinkhornPlans builds it from the potentials); pot0 [B,n], pot1 [B,m] = POT's potentials (log u, log v for the
// log solver; scalings f, g for the scaling solver); value, valueLinear [B]; status [B] (a Status per
// problem: Ok, MaxIter or Diverged); iters [B] = POT's n_iter for that problem (index of its last
// iteration); nIter = POT's n_iter for the batch; trace filled when params.record != None.
template <typename T>
struct BatchSinkhornOut {
  T* plan = nullptr;
  T* pot0 = nullptr;
  T* pot1 = nullptr;
  T* value = nullptr;
  T* valueLinear = nullptr;
  int32_t* status = nullptr;
  int32_t* iters = nullptr;
  int64_t nIter = 0;
  BatchTrace<T>* trace = nullptr;
  // Work done, for throughput reports: arithmetic operations and exp/log evaluations.
  double flops = 0, transcendentals = 0;
};

// Solves the B problems with cost M [B,n,m] and weights a [B,n], b [B,m] (non-null, napi/ fills uniform
// ones). Returns Ok, MaxIter (some problem did not reach tol), Diverged (non-finite values in some
// problem), Aborted or OutOfMemory.
template <typename T>
Status batchSinkhorn(const T* M, const T* a, const T* b, const BatchSinkhornParams& p, BatchSinkhornOut<T>& out,
                     CancelFlag cancel = {});

// The plans [B,n,m] of solved problems from their potentials pot0 [B,n], pot1 [B,m] (as batchSinkhorn
// returned them; the same arithmetic as its own plan output). Ok, Aborted or OutOfMemory.
template <typename T>
Status batchSinkhornPlans(const T* M, const T* pot0, const T* pot1, const BatchSinkhornParams& p, T* plan,
                          CancelFlag cancel = {});

// Vector-Jacobian product of (plan, pot0, pot1) through the recorded iterations: given their gradients
// gPlan [B,n,m], gPot0 [B,n], gPot1 [B,m] (any may be null = zero), writes d/dM into gM [B,n,m] and d/da,
// d/db into ga [B,n], gb [B,m] (null to skip). With a LastStep trace, M's gradient comes from the final
// update only (see BatchRecord).
template <typename T>
Status batchSinkhornBackward(const T* M, const T* a, const T* b, const BatchSinkhornParams& p,
                             const BatchTrace<T>& trace, const T* gPlan, const T* gPot0, const T* gPot1, T* gM,
                             T* ga, T* gb, CancelFlag cancel = {});

}  // namespace ot::cpu
