// The dual ascent loop (dual_ascent.h): the fused loss pass, the exact negation the JS loop's .neg()
// applies to the gradients, and the shared optimiser update, repeated on one thread team (lossLoop);
// the state and gradient buffers are allocated once for the whole run.
#include "cpu/dual_ascent.h"

#include <cmath>
#include <new>
#include <vector>

namespace ot::dual {

template <typename T>
Status ascend(const Ascent<T>& a, CancelFlag cancel) {
  const size_t n = a.pb.n, m = a.pb.m;
  Problem<T> pb = a.pb;
  pb.u = a.u;
  pb.v = a.v;
  const bool adam = a.opt.rule == optim::Rule::Adam;
  const size_t states = adam ? (a.opt.adam.amsgrad ? 3 : 2) : (a.opt.sgd.momentum != 0 ? 1 : 0);
  std::vector<T> grad, state;
  try {
    grad.assign(n + m, T(0));
    state.assign(states * (n + m), T(0));  // torch's zero-initialised moments
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory;
  }
  // State of u first, then v, as the JS optimiser's per-parameter buffers.
  auto param = [&](T* x, const T* g, size_t off, size_t len, double step) {
    optim::Param<T> p;
    p.x = x;
    p.g = g;
    p.len = len;
    p.step = step;
    T* s = state.data() + off * states;
    if (states >= 1) p.s1 = s;
    if (states >= 2) p.s2 = s + len;
    if (states >= 3) p.s3 = s + 2 * len;
    return p;
  };
  Grads<T> g;
  g.du = grad.data();
  g.dv = grad.data() + n;
  // The JS loop's next loss call rejects potentials that overflowed to ±inf; so does the ascent.
  auto finite = [&] {
    bool ok = true;
    for (size_t i = 0; i < n; ++i) ok &= std::isfinite(a.u[i]);
    for (size_t j = 0; j < m; ++j) ok &= std::isfinite(a.v[j]);
    return ok;
  };
  // One team for every step (cpu/dual.h lossLoop); after each pass, on one thread: the history, the
  // JS loop's negated gradients and the optimiser's update of u and v in place.
  if (a.done) *a.done = 0;
  const Status looped = lossLoop<T>(pb, g, a.steps, [&](size_t k, double loss) {
    // The loss in the inputs' dtype, as the JS loop's scalar tensor holds it.
    a.history[k] = static_cast<double>(static_cast<T>(loss));
    bool nan = loss != loss;
    // The JS loop differentiates −loss: its gradients are these, negated (exactly).
    for (size_t i = 0; i < n + m; ++i) {
      nan |= grad[i] != grad[i];
      grad[i] = -grad[i];
    }
    if (nan) return Status::Diverged;
    const double step = static_cast<double>(k + 1);
    optim::update(a.opt, param(a.u, g.du, 0, n, step));
    optim::update(a.opt, param(a.v, g.dv, n, m, step));
    if (a.done) *a.done = k + 1;
    return finite() ? Status::Ok : Status::Diverged;
  }, cancel);
  if (looped != Status::Ok) return looped;
  double value = 0;
  if (Status st = lossAndGrad(pb, &value, Grads<T>{}, cancel); st != Status::Ok) return st;
  *a.value = static_cast<double>(static_cast<T>(value));
  return value != value ? Status::Diverged : Status::Ok;
}

template Status ascend<float>(const Ascent<float>&, CancelFlag);
template Status ascend<double>(const Ascent<double>&, CancelFlag);

}  // namespace ot::dual
