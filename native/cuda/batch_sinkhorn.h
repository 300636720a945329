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

// Device outputs, the fields the CPU solver returns (native/cpu/batch_sinkhorn.h); plan may be null.
// pot0, pot1 are log-potentials for LogSinkhorn and scalings (f, g) for Sinkhorn, as POT's
// res.potentials; status holds ot::Status codes (0 converged, 1 max_iter, 2 diverged: not converged
// with a non-finite error or value); nIter counts the iterations each problem performed.
template <typename T>
struct BatchOutputs {
  T* pot0 = nullptr;         // [B×n]
  T* pot1 = nullptr;         // [B×m]
  T* plan = nullptr;         // [B×n×m]
  T* value = nullptr;        // [B] <M, plan> + reg·(Σ plan log(plan/(a bᵀ) + 1e-16) | Σ plan log(plan + 1e-16))
  T* valueLinear = nullptr;  // [B] <M, plan>
  int32_t* status = nullptr;  // [B]
  int32_t* nIter = nullptr;   // [B]
};

// M [B×n×m], a [B×n], b [B×m] (device). Problems whose n×m kernel fits in shared memory keep it there
// for all iterations; larger ones read M through L2 instead. klReg picks value's regulariser (POT's
// reg_type 'kl', else 'entropy'). Returns Ok when every problem converged, MaxIter otherwise, Aborted
// when the cancel flag is raised between launches.
template <typename T>
Status batchSinkhornCuda(const T* M, const T* a, const T* b, size_t B, size_t n, size_t m, double reg, bool klReg,
                         int64_t maxIter, double tol, BatchSolver solver, BatchStop stop, CancelFlag cancel,
                         BatchOutputs<T>& out);

}  // namespace ot::cuda
