// Batched entropic OT on the GPU (POT: ot.batch.solve_batch with bregman_log_projection_batch /
// bregman_projection_batch): B problems in one launch, one thread block per problem.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace ot::cuda {

enum class BatchSolver : int { LogSinkhorn = 0, Sinkhorn = 1 };
// Batch: POT's rule, every problem iterates until the largest error in the batch is below tol.
// Each: a problem stops as soon as its own error is below tol (per-problem early exit).
enum class BatchStop : int { Batch = 0, Each = 1 };

// Device outputs; plan may be null. u, v are log-potentials for LogSinkhorn and scalings (f, g) for
// Sinkhorn, as POT's res.potentials. err is the last row-marginal error ||plan 1 - a||_2 per problem,
// converged is 1 where it fell below tol, nIter counts the iterations each problem performed.
template <typename T>
struct BatchOutputs {
  T* u = nullptr;            // [B×n]
  T* v = nullptr;            // [B×m]
  T* plan = nullptr;         // [B×n×m]
  T* valueLinear = nullptr;  // [B] <M, plan>
  T* entropy = nullptr;      // [B] Σ plan log(plan + 1e-16)
  T* kl = nullptr;           // [B] Σ plan log(plan / (a b^T) + 1e-16)
  T* err = nullptr;          // [B]
  int32_t* nIter = nullptr;  // [B]
  uint8_t* converged = nullptr;  // [B]
};

// M [B×n×m], a [B×n], b [B×m] (device). Problems whose n×m kernel fits in shared memory keep it there
// for all iterations; larger ones read M through L2 instead. Returns Ok when every problem converged,
// MaxIter otherwise, Aborted when the cancel flag is raised between launches.
template <typename T>
Status batchSinkhornCuda(const T* M, const T* a, const T* b, size_t B, size_t n, size_t m, double reg, int64_t maxIter,
                         double tol, BatchSolver solver, BatchStop stop, CancelFlag cancel, BatchOutputs<T>& out);

}  // namespace ot::cuda
