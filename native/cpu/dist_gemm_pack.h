// Shared by the forward and backward matrix-product cost kernels: the centre subtracted from the
// samples before their products, so that ‖x‖² + ‖y‖² stays small next to the distances.
#pragma once
#include <algorithm>
#include <cstddef>
#include <utility>

namespace ot::cpu::gemm {

// A centre for the euclidean metrics: the mean of up to 256 rows of x and of y, spread over both sets.
// Any point near the data will do (a float sum is enough); it keeps ‖x‖² + ‖y‖² small next to the distances.
template <typename T>
inline void centre(const T* x, const T* y, size_t n, size_t m, size_t d, T* mu) {
  std::fill(mu, mu + d, T(0));
  size_t count = 0;
  for (const auto& [z, rows] : {std::pair{x, n}, std::pair{y, m}}) {
    const size_t take = std::min<size_t>(rows, 256);
    for (size_t t = 0; t < take; ++t) {
      const T* row = z + (t * rows / take) * d;
      for (size_t k = 0; k < d; ++k) mu[k] += row[k];
    }
    count += take;
  }
  for (size_t k = 0; k < d; ++k) mu[k] /= static_cast<T>(count);
}

}  // namespace ot::cpu::gemm
