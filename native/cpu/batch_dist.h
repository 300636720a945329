// Batched cost matrices (POT: ot.batch.dist_batch): M[b] = metric(X[b], Y[b]) for B problems, threaded
// over problems, and the vector-Jacobian product back to X and Y.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

// The metrics POT's dist_batch accepts. KL: M_ij = sum_d y_jd log(y_jd + 1e-10) - y_jd log(x_id + 1e-10).
enum class BatchMetric : int { SqEuclidean = 0, Euclidean, Minkowski, KL };

// Parses "sqeuclidean" | "euclidean" | "minkowski" | "kl"; false when unknown.
bool parseBatchMetric(const char* name, BatchMetric* out);

// X [B,n,d], Y [B,m,d] (Y may equal X) → M [B,n,m]. `p` is the Minkowski exponent (> 0).
template <typename T>
Status batchDist(const T* X, const T* Y, size_t B, size_t n, size_t m, size_t d, BatchMetric metric, double p, T* M,
                 CancelFlag cancel = {});

// Given M from batchDist and G = dL/dM [B,n,m], writes dL/dX into gX [B,n,d] and dL/dY into gY [B,m,d]
// (either may be null). Where a norm is 0 its (sub)gradient is taken as 0.
template <typename T>
Status batchDistBackward(const T* X, const T* Y, const T* M, const T* G, size_t B, size_t n, size_t m, size_t d,
                         BatchMetric metric, double p, T* gX, T* gY, CancelFlag cancel = {});

}  // namespace ot::cpu
