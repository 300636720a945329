// Pairwise cost matrices on the GPU (POT: ot.dist) and their vector-Jacobian products; the CUDA twin
// of cpu/dist.h with the same metric semantics. All pointers are device pointers.
#pragma once
#include <cstddef>

#include "common/metric.h"
#include "common/status.h"

namespace ot::cuda {

using ot::Metric;

// M[i, j] = metric(x_i, y_j), row-major [n, m]; `p` is the Minkowski exponent (>= 1); `same` pins the
// diagonal to 0 (y is x). Cosine needs non-zero rows (checked by the caller for host inputs).
template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M);

// Given G = dL/dM [n, m], writes dL/dx into gx [n, d] and dL/dy into gy [m, d] (either may be null).
// Distances are recomputed inline (M is not needed). Where a distance is 0 the (sub)gradient of the
// norm is 0; Chebyshev routes the gradient to the first maximising coordinate, as cpu/dist.cc does.
template <typename T>
Status distBackward(const T* x, const T* y, const T* G, size_t n, size_t m, size_t d, Metric metric, double p,
                    bool same, T* gx, T* gy);

}  // namespace ot::cuda
