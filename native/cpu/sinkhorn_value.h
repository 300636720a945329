// The value of an entropic plan (POT: ot.solve's value and value_linear) and the derivatives of its
// regularisation term, shared by the forward output pass and the adjoint's seed pass.
// KL: sum p * log(p / (a_i b_j) + 1e-16); entropy: sum p * log(p + 1e-16) (POT's eps inside the log).
#pragma once
#include "cpu/fast_exp.h"
#include "cpu/sinkhorn.h"

namespace ot::cpu::sk {

constexpr double kLogEps = 1e-16;

// Regularisation term of one block of plan entries p with reference q = a_i b_j (q unused for entropy).
inline v8d regTerm8(EntropicReg type, v8d p, v8d q) {
  v8d x = type == EntropicReg::KL ? p / q + kLogEps : p + kLogEps;
  v8d t = p * log8(x);
  return p > 0.0 ? t : splat(0.0);  // 0 * log(0) = 0, also where q = 0 (a zero weight)
}

// d term / d p, and d term / d q (KL only; 0 for entropy), per entry.
inline void regTermGrad8(EntropicReg type, v8d p, v8d q, v8d& dp, v8d& dq) {
  if (type == EntropicReg::KL) {
    v8d pe = p + kLogEps * q;
    dp = log8(p / q + kLogEps) + p / pe;
    dq = -(p * p) / (q * pe);
  } else {
    dp = log8(p + kLogEps) + p / (p + kLogEps);
    dq = splat(0.0);
  }
  v8l live = p > 0.0;
  dp = live ? dp : splat(0.0);
  dq = live ? dq : splat(0.0);
}

}  // namespace ot::cpu::sk
