// Sliced Wasserstein distances on the GPU (POT: ot.sliced_wasserstein_distance and
// ot.max_sliced_wasserstein_distance with given projections): the CUDA twin of cpu/sliced.h, every
// projection projected, sorted and walked in one pass (quantile_walk.h), the same results (values in
// double, gradients in the samples' type). Plain C++ header.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cuda {

enum class SlicedGrad : int { None = 0, Mean = 1, Max = 2 };

template <typename T>
struct SlicedProblem {
  const T* xS = nullptr;           // device [n, d] row-major
  const T* xT = nullptr;           // device [m, d]
  const T* a = nullptr;            // device [n] weights, null: uniform 1/n
  const T* b = nullptr;            // device [m] weights, null: uniform 1/m
  const T* projections = nullptr;  // device [d, k]: column l is a direction
  size_t n = 0, m = 0, d = 0, k = 0;
  double p = 2;                    // >= 1
  SlicedGrad grad = SlicedGrad::None;  // which value gradS / gradT differentiate
  CancelFlag cancel;               // polled between the stages
};

template <typename T>
struct SlicedResult {
  double value = 0;             // (mean over projections of W_p^p)^(1/p)
  double maxValue = 0;          // (max over projections of W_p^p)^(1/p)
  size_t argMax = 0;            // the projection giving maxValue (first one on ties)
  double* projected = nullptr;  // host [k]: each projection's W_p^p, or null
  T* gradS = nullptr;           // device [n, d], or null; 0 where the value is 0 (as the CPU)
  T* gradT = nullptr;           // device [m, d], or null
};

// Ok, BadArgument (sizes, p < 1, null inputs), Aborted, OutOfMemory or DeviceError.
template <typename T>
Status slicedWassersteinCuda(const SlicedProblem<T>& p, SlicedResult<T>& out);

}  // namespace ot::cuda
