// Adam and SGD updates in torch's order of operations (see optim.h). Contraction into fused
// multiply-adds is off for this file: an FMA rounds once where torch rounds twice, and the ISA
// variants would round differently from each other.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include "common/optim.h"

#include <cmath>

namespace ot::optim {

template <typename T>
void adamUpdate(const AdamConfig& c, const Param<T>& p) {
  // torch: bias_correction1 = 1 − β1^step, step_size = lr / bias_correction1,
  // denom = √v / √(1 − β2^step) + eps (Python's float pow, i.e. the C library's pow, as here).
  const double biasCorrection1 = 1 - std::pow(c.beta1, p.step);
  const double biasCorrection2 = 1 - std::pow(c.beta2, p.step);
  const double stepSize = c.lr / biasCorrection1;
  const double bc2Sqrt = std::sqrt(biasCorrection2);
  const double c1 = 1 - c.beta1, c2 = 1 - c.beta2;
  const double b1 = c.beta1, b2 = c.beta2, eps = c.eps, wd = c.weightDecay;
  const double sign = c.maximize ? -1 : 1;
  T* __restrict x = p.x;
  const T* __restrict g = p.g;
  T* __restrict m = p.s1;
  T* __restrict v = p.s2;
  T* __restrict vmax = p.s3;
  if (wd == 0 && vmax == nullptr && !c.maximize) {
    // The common case, the loop below without its branches (the same operations in the same order).
    for (size_t i = 0; i < p.len; ++i) {
      const double gi = static_cast<double>(g[i]);
      const double mi = static_cast<double>(m[i]) * b1 + c1 * gi;
      const double vi = static_cast<double>(v[i]) * b2 + c2 * gi * gi;
      m[i] = static_cast<T>(mi);
      v[i] = static_cast<T>(vi);
      const double denom = std::sqrt(vi) / bc2Sqrt + eps;
      const double xi = static_cast<double>(x[i]);
      const double next = xi + (-stepSize * mi) / denom;
      x[i] = static_cast<T>(denom != 0 ? next : xi);
    }
    return;
  }
  for (size_t i = 0; i < p.len; ++i) {
    double gi = sign * static_cast<double>(g[i]);
    if (wd != 0) gi = gi + wd * static_cast<double>(x[i]);
    // torch: exp_avg.mul_(β1).add_(g, alpha=1−β1); exp_avg_sq.mul_(β2).addcmul_(g, g, value=1−β2)
    const double mi = static_cast<double>(m[i]) * b1 + c1 * gi;
    const double vi = static_cast<double>(v[i]) * b2 + c2 * gi * gi;
    m[i] = static_cast<T>(mi);
    v[i] = static_cast<T>(vi);
    double denomSq = vi;
    if (vmax != nullptr) {
      const double vm = static_cast<double>(vmax[i]);
      denomSq = vm != vm || vi != vi ? vi + vm : (vm > vi ? vm : vi);  // NaN propagates, as Math.max / torch.maximum
      vmax[i] = static_cast<T>(denomSq);
    }
    const double denom = std::sqrt(denomSq) / bc2Sqrt + eps;
    // torch: param.addcdiv_(exp_avg, denom, value=−step_size). denom is 0 only with eps = 0 and a zero
    // second moment, where the first moment is 0 too: no step (torch's 0/0 would write NaN).
    // (A select, not a branch, so the loop vectorises.)
    const double xi = static_cast<double>(x[i]);
    const double next = xi + (-stepSize * mi) / denom;
    x[i] = static_cast<T>(denom != 0 ? next : xi);
  }
}

template <typename T>
void sgdUpdate(const SgdConfig& c, const Param<T>& p) {
  const double sign = c.maximize ? -1 : 1;
  const double wd = c.weightDecay, mu = c.momentum, damp = 1 - c.dampening, lr = c.lr;
  // torch keeps no buffer without momentum; the first update copies the gradient into it.
  T* __restrict buf = mu != 0 ? p.s1 : nullptr;
  const bool fresh = p.step <= 1;
  T* __restrict x = p.x;
  const T* __restrict g = p.g;
  for (size_t i = 0; i < p.len; ++i) {
    double d = sign * static_cast<double>(g[i]);
    if (wd != 0) d = d + wd * static_cast<double>(x[i]);
    if (buf != nullptr) {
      const double b = fresh ? d : static_cast<double>(buf[i]) * mu + damp * d;
      buf[i] = static_cast<T>(b);
      d = c.nesterov ? d + mu * b : b;
    }
    x[i] = static_cast<T>(static_cast<double>(x[i]) + -lr * d);
  }
}

template void adamUpdate<float>(const AdamConfig&, const Param<float>&);
template void adamUpdate<double>(const AdamConfig&, const Param<double>&);
template void sgdUpdate<float>(const SgdConfig&, const Param<float>&);
template void sgdUpdate<double>(const SgdConfig&, const Param<double>&);

}  // namespace ot::optim
