// Sliced Wasserstein distances on the CPU (POT: ot.sliced_wasserstein_distance and
// ot.max_sliced_wasserstein_distance with given projections): every projection's 1-D problem in one
// pass on a team of threads, both values, and the gradient of one of them with respect to xS / xT.
#pragma once
#include <cstddef>

#include "common/status.h"

namespace ot::cpu {

enum class SlicedGrad : int { None = 0, Mean = 1, Max = 2 };

template <typename T>
struct SlicedProblem {
  const T* xS = nullptr;           // [n, d] row-major
  const T* xT = nullptr;           // [m, d]
  const T* a = nullptr;            // [n] weights, null: uniform 1/n
  const T* b = nullptr;            // [m] weights, null: uniform 1/m
  const T* projections = nullptr;  // [d, k]: column l is a direction (unit, as POT's)
  size_t n = 0, m = 0, d = 0, k = 0;
  double p = 2;                    // >= 1
  SlicedGrad grad = SlicedGrad::None;  // which value gradS / gradT differentiate
  int threads = 0;                 // 0: the library's default team size
  CancelFlag cancel;
};

template <typename T>
struct SlicedResult {
  double value = 0;        // (mean over projections of W_p^p)^(1/p)  (POT: sliced_wasserstein_distance)
  double maxValue = 0;     // (max over projections of W_p^p)^(1/p)   (POT: max_sliced_wasserstein_distance)
  size_t argMax = 0;       // the projection giving maxValue (first one on ties)
  double* projected = nullptr;  // [k]: each projection's W_p^p (POT's log 'projected_emds'), or null
  T* gradS = nullptr;      // [n, d], or null; 0 where the value is 0 (the root's derivative is infinite)
  T* gradT = nullptr;      // [m, d], or null
};

// Returns Ok, BadArgument (sizes, p < 1, null inputs), Aborted (between projections) or OutOfMemory.
template <typename T>
Status slicedWasserstein(const SlicedProblem<T>& p, SlicedResult<T>& out);

}  // namespace ot::cpu
