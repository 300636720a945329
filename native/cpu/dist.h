// Pairwise cost matrices between the rows of x [n, d] and y [m, d] (POT: ot.dist / ot.utils.dist)
// and their vector-Jacobian products, multi-threaded, never materialising n×m×d.
#pragma once
#include <cstddef>

#include "common/metric.h"
#include "common/status.h"

namespace ot::cpu {

using ot::Metric;

// M[i, j] = metric(x_i, y_j), row-major [n, m]. `p` is the Minkowski exponent (>= 1). `same` says y is x
// (POT's `X is Y`): the diagonal is then exactly 0. Cosine needs non-zero rows (napi/ checks).
template <typename T>
Status dist(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, double p, bool same, T* M,
            CancelFlag cancel = {});

// Given M from dist() and G = dL/dM [n, m], writes dL/dx into gx [n, d] and dL/dy into gy [m, d]
// (either may be null to skip it). Where a distance is 0 the (sub)gradient of the norm is taken as 0.
template <typename T>
Status distBackward(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                    double p, bool same, T* gx, T* gy, CancelFlag cancel = {});

}  // namespace ot::cpu
