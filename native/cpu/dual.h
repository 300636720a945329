// Fused dual-OT kernels (POT: ot.stochastic.loss_dual_{entropic,quadratic}, plan_dual_*): one pass over
// the n×m pairs computes each cost inline, the loss term and its partial derivatives, never storing
// M or the plan; only dualPlan writes an n×m array.
#pragma once
#include <cstddef>
#include <functional>

#include "common/dual_types.h"
#include "common/metric.h"
#include "common/status.h"

namespace ot::dual {

using ot::Metric;

// Inputs (row-major): u [n], v [m], xs [n×d], xt [m×d]; ws/wt may be null (uniform 1/n, 1/m).
template <typename T>
struct Problem {
  const T* u = nullptr;
  const T* v = nullptr;
  const T* xs = nullptr;
  const T* xt = nullptr;
  const T* ws = nullptr;
  const T* wt = nullptr;
  size_t n = 0, m = 0, d = 0;
  Kind kind = Kind::Entropic;
  Metric metric = Metric::SqEuclidean;
  double reg = 1.0;
  double p = 2.0;  // Minkowski exponent
};

// loss = <u, ws> + <v, wt> + Σ_ij ws_i wt_j F(u_i + v_j - M_ij), and every wanted gradient, in one pass.
// threads = 0 picks the team size from the work.
template <typename T>
Status lossAndGrad(const Problem<T>& pb, double* loss, const Grads<T>& g, CancelFlag cancel, int threads = 0);

// Called on one thread after pass `pass` of lossLoop with its loss (the gradients are in the Grads);
// it may change u and v in place for the next pass. Anything but Ok ends the loop with that status.
using PassDone = std::function<Status(size_t pass, double loss)>;

// `passes` lossAndGrad passes on one thread team (made once, not per pass), `done` after each: the
// numbers lossAndGrad would give, pass by pass. Ok, Aborted (cancel, checked before each pass), the
// first failing status of a pass or of `done`, or OutOfMemory.
template <typename T>
Status lossLoop(const Problem<T>& pb, const Grads<T>& g, size_t passes, const PassDone& done, CancelFlag cancel);

// The primal plan G [n×m] = ws_i wt_j H(u_i + v_j - M_ij) (equation (8) of Seguy et al. 2018).
template <typename T>
Status plan(const Problem<T>& pb, T* G, CancelFlag cancel, int threads = 0);

}  // namespace ot::dual
