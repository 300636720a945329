// Fused dual-OT loss and gradients on the GPU (POT: ot.stochastic.loss_dual_{entropic,quadratic} and
// plan_dual_*), squared Euclidean cost computed inline from xs, xt: no n×m buffer. Device pointers.
#pragma once
#include <cstddef>

#include "common/dual_types.h"
#include "common/status.h"

namespace ot::cuda {

// The CPU kernels' kinds and gradient outputs (common/dual_types.h), under the names the .cu uses.
using DualKind = dual::Kind;
template <typename T>
using DualGrads = dual::Grads<T>;

// loss = <u, ws> + <v, wt> + Σ_ij ws_i wt_j F(u_i + v_j - |xs_i - xt_j|²) (host double), and every wanted
// gradient, in one pass over the pairs. ws / wt null = uniform 1/n, 1/m.
template <typename T>
Status dualLossGradCuda(const T* u, const T* v, const T* xs, const T* xt, const T* ws, const T* wt, size_t n, size_t m,
                        size_t d, double reg, DualKind kind, double* loss, const DualGrads<T>& g, CancelFlag cancel);

// plan G [n×m] = ws_i wt_j H(u_i + v_j - |xs_i - xt_j|²).
template <typename T>
Status dualPlanCuda(const T* u, const T* v, const T* xs, const T* xt, const T* ws, const T* wt, size_t n, size_t m,
                    size_t d, double reg, DualKind kind, T* G);

}  // namespace ot::cuda
