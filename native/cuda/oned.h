// 1-D exact OT on the GPU (POT: ot.wasserstein_1d): the CUDA twin of cpu/wasserstein1d.h's
// wasserstein1d, columns of [n, k] samples solved together by the walk of quantile_walk.h, with the
// same results (values in double, position gradients in the samples' type). Plain C++ header.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cuda {

template <typename T>
struct Wasserstein1dProblem {
  const T* u = nullptr;         // device [n, k] row-major: column c is the first sample of problem c
  const T* v = nullptr;         // device [m, k]
  const T* uWeights = nullptr;  // device [n, k], or [n] for every column when uWeightsShared; null: 1/n
  const T* vWeights = nullptr;  // device [m, k], or [m] when vWeightsShared; null: 1/m
  bool uWeightsShared = false, vWeightsShared = false;
  size_t n = 0, m = 0, k = 1;
  double p = 1;                 // >= 1
  CancelFlag cancel;            // polled between the stages
};

template <typename T>
struct Wasserstein1dResult {
  double* value = nullptr;  // host [k]: W_p^p per column (POT's wasserstein_1d, no root)
  T* gradU = nullptr;       // device [n, k]: d value_c / d u[i, c], or null
  T* gradV = nullptr;       // device [m, k], or null
};

// Ok, BadArgument (sizes, p < 1, null inputs), Aborted, OutOfMemory or DeviceError.
template <typename T>
Status wasserstein1dCuda(const Wasserstein1dProblem<T>& p, Wasserstein1dResult<T>& out);

}  // namespace ot::cuda
