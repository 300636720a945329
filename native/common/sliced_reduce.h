// The sliced distances' last step, shared by the CPU and GPU kernels (cpu/sliced.cc, cuda/sliced.cu): from
// the k per-projection costs W_l, the mean and max distances (p-th roots), the arg max, and the weight of
// each projection in the gradient of the value asked for. Host code, plain C++, in one fixed order so both
// devices give the same bits.
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

namespace ot::sliced {

struct Reduced {
  double mean = 0;  // of the W_l
  double value = 0, maxValue = 0;
  size_t argMax = 0;
};

inline Reduced reduce(const double* w, size_t k, double p) {
  double sum = 0;
  size_t arg = 0;
  for (size_t l = 0; l < k; ++l) {
    sum += w[l];
    if (w[l] > w[arg]) arg = l;
  }
  const double mean = sum / double(k), inv = 1.0 / p;
  return {mean, std::pow(mean, inv), std::pow(w[arg], inv), arg};
}

// d value / d W_l: (1/p) mean^(1/p - 1) / k for the mean, (1/p) W_max^(1/p - 1) at argMax (0 where the
// distance is 0: the root has no derivative there).
inline std::vector<double> gradWeights(const double* w, size_t k, double p, bool ofMax, const Reduced& r) {
  std::vector<double> coef(k, 0.0);
  const double inv = 1.0 / p;
  if (!ofMax && r.mean > 0) {
    std::fill(coef.begin(), coef.end(), inv * std::pow(r.mean, inv - 1) / double(k));
  } else if (ofMax && w[r.argMax] > 0) {
    coef[r.argMax] = inv * std::pow(w[r.argMax], inv - 1);
  }
  return coef;
}

}  // namespace ot::sliced
