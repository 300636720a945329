// The gradient of the transport cost <C, P> of the lazy Sinkhorn plan P = exp(f_i + g_j - C_ij / reg)
// (POT's sinkhorn2 loss, which the Sinkhorn divergence debiases) w.r.t. the points and the weights, in
// O(n + m) memory. P moves with the points through the potentials, so the envelope theorem does not apply
// to <C, P>; the implicit function theorem on the marginal constraints (P 1 = a, P^T 1 = b) gives it:
//   [diag(P 1)  P; P^T  diag(P^T 1)] (lf; lg) = -(rowsum(C o P); colsum(C o P)),
//   d<C,P>/dC_ij = P_ij (1 - (C_ij + lf_i + lg_j) / reg),  d/da = -lf,  d/db = -lg,
// solved by conjugate gradients on the Schur complement in lg (each step two lazy matrix-vector passes),
// preconditioned by diag(P^T 1). The limit of differentiating the iterations (ot.solve's 'autodiff').
#pragma once
#include <cstddef>

#include "common/status.h"
#include "cpu/lazy_tiles.h"

namespace ot::cpu {

template <typename T>
struct LazyLinearGradInput {
  tiles::Sides<T> byRow, byCol;   // x walked against y's transposed copy, and y against x's
  const double* f = nullptr;     // [n] log-potentials at the solution (-inf where a_i = 0)
  const double* g = nullptr;     // [m]
  const T* fC = nullptr;         // f, g in the compute type
  const T* gC = nullptr;
  const double* massR = nullptr; // [n] P 1
  const double* linR = nullptr;  // [n] rowsum(C o P)
  const double* massC = nullptr; // [m] P^T 1
  const double* linC = nullptr;  // [m] colsum(C o P)
  double reg = 1;
  size_t tile = 64;
  int threads = 0;
  size_t maxIter = 1000;         // conjugate-gradient steps at most
  CancelFlag cancel;
};

struct LazyLinearGradInfo {
  size_t iterations = 0;  // conjugate-gradient steps taken
  bool converged = false; // residual below the dtype's tolerance
};

// gradX [n, d], gradY [m, d] (d<C,P>/dx, /dy), lamF [n], lamG [m] (the multipliers: d/da = -lamF, up to
// a constant). Returns Ok or Aborted; throws std::bad_alloc.
template <typename T>
Status lazyLinearGrad(const LazyLinearGradInput<T>& in, T* gradX, T* gradY, double* lamF, double* lamG, LazyLinearGradInfo& info);

}  // namespace ot::cpu
