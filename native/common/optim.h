// Optimiser updates (torch.optim.Adam / SGD, single-tensor path) on raw arrays, shared by ot.optim's
// step (napi/optim.cc: every parameter in one call) and the native dual ascent (cpu/dual_ascent.cc),
// so a loop in JS and the same loop run natively follow one trajectory bit for bit.
#pragma once
#include <cstddef>

namespace ot::optim {

enum class Rule : int { Adam = 0, Sgd = 1 };

// Adam's hyper-parameters (torch's names); flags as in torch.optim.Adam.
struct AdamConfig {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
  bool amsgrad = false, maximize = false;
};

// SGD's hyper-parameters (torch.optim.SGD).
struct SgdConfig {
  double lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0;
  bool nesterov = false, maximize = false;
};

// One optimiser of either rule.
struct Config {
  Rule rule = Rule::Adam;
  AdamConfig adam;
  SgdConfig sgd;
};

// One parameter: values x [len] updated in place from its gradient g, with the rule's state arrays
// (Adam: s1 = exp_avg, s2 = exp_avg_sq, s3 = max_exp_avg_sq or null without amsgrad; SGD: s1 = the
// momentum buffer or null without momentum). `step` counts the updates including this one (1 first).
template <typename T>
struct Param {
  T* x = nullptr;
  const T* g = nullptr;
  T* s1 = nullptr;
  T* s2 = nullptr;
  T* s3 = nullptr;
  size_t len = 0;
  double step = 1;
};

// Arithmetic in double in torch's order (results stored in T), with contraction into fused
// multiply-adds disabled for this code, so every platform and ISA variant rounds the same way.
template <typename T>
void adamUpdate(const AdamConfig& c, const Param<T>& p);
template <typename T>
void sgdUpdate(const SgdConfig& c, const Param<T>& p);

template <typename T>
inline void update(const Config& c, const Param<T>& p) {
  if (c.rule == Rule::Adam) adamUpdate(c.adam, p);
  else sgdUpdate(c.sgd, p);
}

}  // namespace ot::optim
