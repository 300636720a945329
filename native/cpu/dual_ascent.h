// Dual ascent of regularised OT in one native call (Seguy et al. 2018; POT's plot_dual_ot_pytorch loop):
// `steps` optimiser updates of the potentials u, v on the fused dual loss (cpu/dual.h) with Adam or
// SGD (common/optim.h), the objective recorded at every step. It performs exactly the arithmetic of
// the JS loop `loss = lossDual*(u, v, xs, xt).neg(); loss.backward(); opt.step(); opt.zeroGrad()`.
#pragma once
#include <cstddef>

#include "common/optim.h"
#include "cpu/dual.h"

namespace ot::dual {

template <typename T>
struct Ascent {
  Problem<T> pb;            // samples, weights, cost and regulariser; pb.u / pb.v are not read
  T* u = nullptr;           // [n] in: the initial potentials; out: the final ones
  T* v = nullptr;           // [m]
  size_t steps = 0;
  optim::Config opt;        // minimises the negated objective, as the JS loop does
  double* history = nullptr;  // [steps]: the objective at the potentials of each step, before its update
  double* value = nullptr;    // the objective at the final potentials
  size_t* done = nullptr;     // steps completed (the failing step when the status is Diverged)
};

// Ok, Aborted (cancel raised; u, v hold the potentials reached), Diverged (the objective or a gradient
// became NaN, or a potential ±inf, at step *done), or OutOfMemory.
template <typename T>
Status ascend(const Ascent<T>& a, CancelFlag cancel);

}  // namespace ot::dual
