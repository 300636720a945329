// The lazy Sinkhorn's final bookkeeping, shared by the CPU and GPU kernels (cpu/lazy_sinkhorn.cc,
// cuda/lazy_sinkhorn.cu): from the log-potentials f, g, the weights and the plan's row / column masses and
// row costs at the solution, the value <C, P> + reg KL(P || a b^T) (generalised KL) and whether a weighted
// point's potential is not finite (diverged). Host code, plain C++.
#pragma once
#include <cmath>
#include <cstddef>

namespace ot::lazy {

// A(i), B(j): the weights (uniform where none were given).
template <typename WA, typename WB>
bool potentialsFinite(const double* f, const double* g, size_t n, size_t m, WA A, WB B) {
  for (size_t i = 0; i < n; ++i)
    if (A(i) > 0 && !std::isfinite(f[i])) return false;
  for (size_t j = 0; j < m; ++j)
    if (B(j) > 0 && !std::isfinite(g[j])) return false;
  return true;
}

struct Value {
  double value = 0, valueLinear = 0;
};

// sum P log(P / (a b^T)) = sum_i r_i (f_i - log a_i) + sum_j c_j (g_j - log b_j) - <C, P> / reg, since
// log P_ij = f_i + g_j - C_ij / reg; the generalised KL adds sum a sum b - sum P.
template <typename WA, typename WB>
Value value(const double* f, const double* g, const double* massR, const double* linR, const double* massC, size_t n,
            size_t m, double reg, WA A, WB B) {
  double lin = 0, mass = 0, kl = 0, sa = 0, sb = 0;
  for (size_t i = 0; i < n; ++i) {
    lin += linR[i];
    mass += massR[i];
    sa += A(i);
    if (A(i) > 0) kl += massR[i] * (f[i] - std::log(A(i)));
  }
  for (size_t j = 0; j < m; ++j) {
    sb += B(j);
    if (B(j) > 0) kl += massC[j] * (g[j] - std::log(B(j)));
  }
  kl += -lin / reg + sa * sb - mass;
  return {lin + reg * kl, lin};
}

}  // namespace ot::lazy
