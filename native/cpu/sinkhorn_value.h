// The value of an entropic plan (POT: ot.solve's value = value_linear + reg * regulariser) computed
// from the plan's row and column sums, and the regulariser's derivatives, shared by the forward's
// output pass and the adjoint's seed pass. With p = exp(x), x = -M/reg + u_i + v_j:
//   KL (POT: nx.kl_div(p, a b^T), eps = 1e-16):  sum p log(p / (a_i b_j) + eps) = sum p (x - log a_i - log b_j)
//   entropy:                                     sum p log(p + eps)             = sum p x
// up to p log(1 + eps q / p) <= eps q per entry, i.e. at most 1e-16 (KL) or 1e-16 n m (entropy) in all,
// so no entry needs a log. sum p x = -<M, p>/reg + sum_i r_i u_i + sum_j c_j v_j.
#pragma once
#include <cmath>
#include <cstddef>

#include "cpu/sinkhorn.h"

namespace ot::cpu::sk {

// sum_i w_i (x_i - y_i) over entries with mass (w = 0 where x = -inf: a zero weight).
inline double weightedGap(const double* w, const double* x, const double* y, size_t len) {
  double s = 0;
  for (size_t i = 0; i < len; ++i)
    if (w[i] > 0) s += w[i] * (x[i] - (y ? y[i] : 0.0));
  return s;
}

// The regulariser from <M, p>, the potentials and the plan's row sums r and column sums c.
inline double regularizer(EntropicReg type, double reg, double linear, const double* u, const double* r, const double* loga,
                          size_t n, const double* v, const double* c, const double* logb, size_t m) {
  const bool kl = type == EntropicReg::KL;
  return -linear / reg + weightedGap(r, u, kl ? loga : nullptr, n) + weightedGap(c, v, kl ? logb : nullptr, m);
}

// d regulariser / d p_ij = x_ij + 1 - (KL ? log a_i + log b_j : 0) (same eps bound). Its dependence on
// a and b (KL, through q = a_i b_j): d/da_i = -r_i / a_i, d/db_j = -c_j / b_j.
inline double regularizerRowShift(EntropicReg type, double loga_i) { return type == EntropicReg::KL ? 1.0 - loga_i : 1.0; }

}  // namespace ot::cpu::sk
