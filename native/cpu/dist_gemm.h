// Matrix-product route of the cost matrices for the inner-product metrics (sqeuclidean, euclidean,
// cosine) at larger d: M from ‖x‖² + ‖y‖² − 2xyᵀ, gradients as products of a coefficient matrix with x, y.
#pragma once
#include <cstddef>

#include "common/metric.h"
#include "common/status.h"

namespace ot::cpu {

// The metrics this route serves (minkowski p = 2 is euclidean), from the d where it beats the coordinate
// loops (measured at 2000 × 2000, float32, one thread, AVX-512): the forward wins 2× from d = 8 (it won at
// d = 4 too; below 8 the loops stay, since low-d data puts more pairs in the recomputed band); the backward,
// which reads G and M twice, wins from d = 16 for sqeuclidean (about d = 8 for the others).
inline bool gemmMetric(Metric metric, double p) {
  return metric == Metric::SqEuclidean || metric == Metric::Euclidean || metric == Metric::Cosine ||
         (metric == Metric::Minkowski && p == 2.0);
}
inline bool gemmForwardApplies(Metric metric, double p, size_t d) { return gemmMetric(metric, p) && d >= 8; }
inline bool gemmBackwardApplies(Metric metric, double p, size_t d) { return gemmMetric(metric, p) && d >= 16; }

// Same contract as dist() (cpu/dist.h) for the metrics above; `same` only affects the caller's
// diagonal. Entries where cancellation could cost accuracy are recomputed coordinate-wise.
template <typename T>
Status distGemm(const T* x, const T* y, size_t n, size_t m, size_t d, Metric metric, T* M, CancelFlag cancel);

// Same contract as distBackward() for the metrics above (gx, gy zero-filled by the caller).
template <typename T>
Status distBackwardGemm(const T* x, const T* y, const T* M, const T* G, size_t n, size_t m, size_t d, Metric metric,
                        bool same, T* gx, T* gy, CancelFlag cancel);

}  // namespace ot::cpu
